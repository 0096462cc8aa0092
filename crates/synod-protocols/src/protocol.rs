//! What a protocol tells synod about itself ([`Protocol`]), and the registry of protocols
//! ([`Registry`]) that the command line, the scenario parser and the documentation read.
//!
//! A protocol is one folder and one descriptor: a `pub const PROTOCOL: Protocol` in its
//! `mod.rs`. Every field is required, so a protocol that forgets a piece (its planted bugs, its
//! settings, its builder) does not compile. The list of protocols synod ships is
//! [`crate::PROTOCOLS`]; `synod run --help`, `synod check --bug list`, the scenario parser and
//! the tables in README.md and docs/scenarios.md all derive from it.

pub use crate::explore::Explore;
use crate::nemesis::Nemesis;
use crate::scenario::{Scenario, ScenarioError};
use crate::settings::{Invalid, Kind, Setting, Settings};
use crate::system::System;
use std::fmt;
use synod_core::Time;
use synod_sim::Fault;

/// A deliberately broken variant of a protocol, for teaching and for trusting the checks.
#[derive(Debug, PartialEq, Eq)]
pub struct PlantedBug {
    /// Its name (`bug = "NAME"`, `--bug NAME`).
    pub name: &'static str,
    /// What it breaks, in one line.
    pub breaks: &'static str,
}

/// Declares a protocol's planted bugs once: an enum the protocol's code matches on, and the
/// [`PlantedBug`] table its descriptor lists.
///
/// ```
/// synod_protocols::planted_bugs! {
///     /// The planted bugs of this protocol.
///     pub enum Bug {
///         /// `forget-vote`.
///         ForgetVote = "forget-vote": "the vote is not kept across a restart",
///     }
/// }
/// assert_eq!(Bug::from_name("forget-vote"), Some(Bug::ForgetVote));
/// assert_eq!(BUGS[0].breaks, "the vote is not kept across a restart");
/// assert_eq!(Bug::ForgetVote.name(), "forget-vote");
/// ```
#[macro_export]
macro_rules! planted_bugs {
    (
        $(#[$doc:meta])*
        pub enum $Bug:ident {
            $( $(#[$vdoc:meta])* $Variant:ident = $name:literal : $breaks:literal ),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq)]
        pub enum $Bug {
            $( $(#[$vdoc])* $Variant ),+
        }

        /// The planted bugs, by name, with what each breaks.
        pub const BUGS: &[$crate::protocol::PlantedBug] = &[
            $( $crate::protocol::PlantedBug { name: $name, breaks: $breaks } ),+
        ];

        impl $Bug {
            /// The bug called `name`.
            pub fn from_name(name: &str) -> Option<$Bug> {
                match name {
                    $( $name => Some($Bug::$Variant), )+
                    _ => None,
                }
            }

            /// Its name.
            pub fn name(self) -> &'static str {
                match self {
                    $( $Bug::$Variant => $name, )+
                }
            }
        }
    };
}

/// Everything synod needs to know about a protocol. Each protocol folder declares one, as
/// `pub const PROTOCOL: Protocol`, and [`crate::PROTOCOLS`] lists them.
pub struct Protocol {
    /// The name scenarios and the command line use (`protocol = "raft"`, `synod run raft`).
    pub name: &'static str,
    /// One line: what it is. `synod run --help` and the docs tables show it.
    pub summary: &'static str,
    /// Its documentation page, from the repository root (`docs/protocols/raft.md`); empty if
    /// it has none.
    pub docs: &'static str,
    /// Its planted bugs (see [`planted_bugs!`]).
    pub bugs: &'static [PlantedBug],
    /// The names of the live checks it adds to the generic ones (the properties its state
    /// checks report), so that `expect.violation` can name them.
    pub checks: &'static [&'static str],
    /// The keys it takes in `[cluster]`, `[timing]`, `[workload]` and sections of its own,
    /// with their defaults and checks, in groups (the KV protocols share
    /// [`crate::kv::CLIENT_SETTINGS`]). Keys it does not list are rejected.
    pub settings: &'static [&'static [Setting]],
    /// Its rules across settings (a heartbeat below the election timeout, as many names as
    /// nodes), run after each value passed its own checks. `Err` names the key to report.
    pub validate: fn(&Settings) -> Result<(), Invalid>,
    /// Fault actions of its own, beyond the simulator's (`[[fault]]` keys), if any.
    pub faults: &'static [FaultVerb],
    /// How `synod check NAME` hurts it by default, and the nemeses of its own (a Raft
    /// membership change, a leadership transfer) that campaigns draw like the built-in ones.
    pub campaign: Campaign,
    /// The notations its narration uses, each with what it means (`t3`: term 3; `1.4`:
    /// ballot 1.4): printed once at the start of a narrated run, after the notations every
    /// run shares (`synod run --legend`).
    pub legend: &'static [(&'static str, &'static str)],
    /// Build the system a scenario describes: the processes laid out as nodes and its own state
    /// checks attached. The scenario's faults and requests are scheduled by
    /// [`crate::system::build`], against the node names.
    pub build: fn(&Scenario) -> Result<System, ScenarioError>,
    /// A reference model rather than a system under test (the register, Stateright's model
    /// for `synod explore`'s side-by-side): by design a client may wait forever and the nodes
    /// take no requests from outside, so `synod check` refuses it and the tests that send
    /// requests or demand liveness of every protocol leave it out. `false` for a protocol
    /// whose runs must make progress.
    pub reference_model: bool,
    /// How `synod explore` searches it ([`Explore`]: its small defaults, its bounds, the
    /// system the explorer searches), or `None` if its processes are not explorable
    /// (synod-core's `Explorable`); `synod explore` refuses those.
    pub explore: Option<Explore>,
}

/// The default campaign of a protocol (`synod check NAME` with no fault options), and the
/// nemeses it adds to the built-in ones (see [`crate::nemesis`]). Most protocols write
/// `Campaign::DEFAULT`; one whose interesting moments are elsewhere in time changes the window.
#[derive(Debug)]
pub struct Campaign {
    /// Faults strike in `[0, window)`; everything is repaired at `window`; clients keep
    /// issuing requests until then.
    pub window: Time,
    /// Faults drawn per seed.
    pub intensity: u32,
    /// The longest a single fault lasts.
    pub max_fault: Time,
    /// After the window, how long every request has to complete (the liveness bound).
    pub liveness: Time,
    /// Requests per second each client aims at through the window (0: back to back).
    pub rate: u32,
    /// The nemesis mix, as `--nemesis` takes it (`swarm`, `all`, a list of names).
    pub nemesis: &'static str,
    /// Nemeses of its own, drawn like the built-in ones and named on `--nemesis` (empty for
    /// most protocols). A nemesis may use the protocol's own `[[fault]]` verbs ([`Protocol::faults`]).
    pub nemeses: &'static [Nemesis],
    /// Shape the cluster a campaign hurts, where the protocol's defaults are too small to
    /// fail over (Multi-Paxos's single leader gets a standby): it changes only keys the
    /// scenario does not give. Most protocols write [`unchanged`].
    pub prepare: fn(&mut Scenario),
    /// How long a restarted server still counts as down when a campaign keeps a majority of
    /// the servers up (a diskless replica is back only once others answered its recovery).
    pub recovery: Time,
    /// Swarm testing of the configuration: draw the protocol's own settings for one seed
    /// (cluster size, batching, optional mechanisms), as [`crate::campaign`] draws the
    /// workload's. It must set only keys the scenario does not give (use
    /// [`crate::campaign::Vary`]), and only configurations under which the correct protocol
    /// is safe. Most protocols write [`fixed`].
    pub vary: fn(&mut crate::campaign::Vary<'_>),
    /// Stories told on some seeds instead of the mix (empty for most): see [`Story`].
    pub stories: &'static [Story],
}

/// A story a default campaign tells on some of its seeds instead of its mix: one nemesis, drawn
/// once, that draws a whole known schedule (Raft's Figure 8), on the configuration it needs, with no other
/// fault in its way. Swarm testing of schedules, as [`Campaign::vary`] is of configurations:
/// a failure that needs three leaders in turn is met on a share of the seeds, where drawn
/// among the mix's faults it is met almost never, and its holds would stop the others'
/// elections (docs/checking.md, "Choosing the default"). `--nemesis` and `--fixed-config`
/// tell no story.
#[derive(Debug)]
pub struct Story {
    /// The nemesis that draws it, as `--nemesis` names it.
    pub nemesis: &'static str,
    /// On how many seeds in a hundred it is told.
    pub percent: u32,
    /// How long its schedule takes to play out at most: a campaign whose fault window is
    /// shorter does not tell it (the repair would cut it short).
    pub span: Time,
    /// The configuration it needs, set over what [`Campaign::vary`] drew (only keys the
    /// scenario does not give, as there).
    pub shape: fn(&mut crate::campaign::Vary<'_>),
}

impl Story {
    /// Whether a fault window of `window` holds its schedule: a shorter one does not tell it.
    pub fn fits(&self, window: Time) -> bool {
        self.span <= window
    }
}

/// A campaign's [`Campaign::vary`] that draws nothing of the protocol's own.
pub fn fixed(_: &mut crate::campaign::Vary<'_>) {}

/// A campaign's [`Campaign::prepare`] that leaves the scenario as it is.
pub fn unchanged(_: &mut Scenario) {}

impl Campaign {
    /// The campaign a protocol takes unless it says otherwise (the swarm over a 1,000 ms
    /// window, 6 faults, clients back to back); Paxos, Multi-Paxos, VR and Raft change some of
    /// it, by measurement (docs/checking.md, "Choosing the default").
    pub const DEFAULT: Campaign = Campaign {
        window: Time::ms(1_000),
        intensity: 6,
        max_fault: Time::ms(400),
        liveness: Time::ms(4_000),
        rate: 0,
        nemesis: "swarm",
        nemeses: &[],
        prepare: unchanged,
        recovery: Time::ZERO,
        vary: fixed,
        stories: &[],
    };
}

/// A `[[fault]]` action a protocol adds (`isolate = "n1"`): it stands for faults of the
/// simulator's vocabulary, worked out from its value and the node names when the system is
/// built.
pub struct FaultVerb {
    /// The key in a `[[fault]]` table.
    pub key: &'static str,
    /// What it does, for the docs and messages.
    pub doc: &'static str,
    /// The faults it stands for, given its value (a string) and the node names; `Err` says why
    /// the value is unusable.
    pub expand: fn(value: &str, names: &[String]) -> Result<Vec<Fault>, String>,
}

/// No cross-field rules: a protocol whose settings are independent of each other.
pub fn no_rules(_: &Settings) -> Result<(), Invalid> {
    Ok(())
}

/// The properties every run is checked for, whatever the protocol: the generic live checks and
/// the simulator's message-storm bound. `expect.violation` may name these and the protocol's own
/// [`Protocol::checks`].
pub const GENERIC_CHECKS: &[&str] = &[
    synod_check::invariants::AGREEMENT,
    synod_check::invariants::STABILITY,
    synod_check::invariants::STATE_MACHINE_SAFETY,
    synod_check::invariants::ELECTION_SAFETY,
    synod_sim::sim::MESSAGE_STORM,
];

impl Protocol {
    /// The planted bug called `name`.
    pub fn bug(&self, name: &str) -> Option<&'static PlantedBug> {
        self.bugs.iter().find(|b| b.name == name)
    }

    /// Every key it takes, in order.
    pub fn all_settings(&self) -> impl Iterator<Item = &'static Setting> {
        self.settings.iter().flat_map(|group| group.iter())
    }

    /// The tables its keys live in (`cluster`, `timing`, ...), in the order it declares them.
    pub fn tables(&self) -> Vec<&'static str> {
        let mut tables = Vec::new();
        for s in self.all_settings() {
            if !tables.contains(&s.table()) {
                tables.push(s.table());
            }
        }
        tables
    }

    /// The setting called `key` (`cluster.nodes`).
    pub fn setting(&self, key: &str) -> Option<&'static Setting> {
        self.all_settings().find(|s| s.key == key)
    }

    /// The properties `expect.violation` may name for this protocol.
    pub fn properties(&self) -> Vec<&'static str> {
        GENERIC_CHECKS
            .iter()
            .chain(self.checks)
            .copied()
            .fold(Vec::new(), |mut v, p| {
                if !v.contains(&p) {
                    v.push(p);
                }
                v
            })
    }

    /// The names of its planted bugs, for messages.
    pub fn bug_names(&self) -> String {
        self.bugs
            .iter()
            .map(|b| b.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Protocol {
    /// Its name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl fmt::Debug for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Protocol({})", self.name)
    }
}

impl PartialEq for Protocol {
    /// Protocols are told apart by name: a registry holds one of each.
    fn eq(&self, other: &Protocol) -> bool {
        self.name == other.name
    }
}

/// A list of protocols. [`crate::PROTOCOLS`] is the one synod ships; a program that adds its
/// own protocol builds another (see `tests/registry.rs` and docs/writing-a-protocol.md).
#[derive(Clone, Copy)]
pub struct Registry<'a> {
    list: &'a [&'static Protocol],
}

impl<'a> Registry<'a> {
    /// A registry of `list`, in the order listings show them.
    pub const fn new(list: &'a [&'static Protocol]) -> Self {
        Registry { list }
    }

    /// The protocols, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'static Protocol> + 'a {
        self.list.iter().copied()
    }

    /// The protocol called `name`.
    pub fn get(&self, name: &str) -> Option<&'static Protocol> {
        self.iter().find(|p| p.name == name)
    }

    /// The names, comma-separated, for messages and help.
    pub fn names(&self) -> String {
        self.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
    }

    /// The names of the protocols `synod explore` can search (those with an
    /// [`Protocol::explore`] hook), comma-separated.
    pub fn explorable(&self) -> String {
        self.iter()
            .filter(|p| p.explore.is_some())
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Parse and validate a scenario whose protocol is one of these. `file` is used in
    /// messages only.
    pub fn parse(&self, file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        crate::scenario::parse(self, file, text)
    }

    /// The built-in scenario of the protocol called `name`: its defaults, as `synod run NAME`
    /// runs it.
    pub fn scenario(&self, name: &str) -> Result<Scenario, ScenarioError> {
        self.parse(
            &format!("<built-in {name}>"),
            &format!("protocol = {name:?}\n"),
        )
    }

    /// `synod check --bug list`: one line per planted bug (`protocol  name  what it breaks`),
    /// of every protocol or only of `only`.
    pub fn bug_list(&self, only: Option<&str>) -> String {
        let mut out = String::new();
        for p in self.iter().filter(|p| only.is_none_or(|o| o == p.name)) {
            if p.bugs.is_empty() && only.is_some() {
                out.push_str(&format!("protocol {} has no planted bugs\n", p.name));
            }
            for b in p.bugs {
                out.push_str(&format!("{:<11} {:<32} {}\n", p.name, b.name, b.breaks));
            }
        }
        out
    }

    /// The protocols as a Markdown table (`| name | what | docs |`), as README.md shows it.
    pub fn markdown_table(&self) -> String {
        let mut out = String::from("| name | what | planted bugs | docs |\n|---|---|---|---|\n");
        for p in self.iter() {
            let docs = if p.docs.is_empty() {
                String::new()
            } else {
                format!("[{}]({})", p.docs, p.docs)
            };
            let bugs = if p.bugs.is_empty() {
                "none".to_string()
            } else {
                p.bugs
                    .iter()
                    .map(|b| format!("`{}`", b.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out.push_str(&format!(
                "| `{}` | {} | {bugs} | {docs} |\n",
                p.name, p.summary
            ));
        }
        out
    }

    /// The keys each protocol takes, one Markdown table per protocol, as docs/scenarios.md
    /// shows them (a test keeps the two equal).
    pub fn settings_tables(&self) -> String {
        let mut out = String::new();
        for p in self.iter() {
            out.push_str(&format!(
                "### `{}`\n\n| key | default | meaning |\n|---|---|---|\n",
                p.name
            ));
            for s in p.all_settings() {
                let range = match s.kind {
                    Kind::Count { min, max, .. } => format!("; {min} to {max}"),
                    _ => String::new(),
                };
                let default = s.default_text();
                let default = if default.is_empty() {
                    String::new()
                } else {
                    format!("`{default}`")
                };
                out.push_str(&format!("| `{}` | {default} | {}{range} |\n", s.key, s.doc));
            }
            for v in p.faults {
                out.push_str(&format!("| `fault.{}` | | {} |\n", v.key, v.doc));
            }
            out.push('\n');
        }
        out
    }

    /// The protocols for `--help`: one line each, name and summary.
    pub fn help(&self) -> String {
        let width = self.iter().map(|p| p.name.len()).max().unwrap_or(0);
        self.iter()
            .map(|p| format!("  {:<width$}  {}", p.name, p.summary))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
