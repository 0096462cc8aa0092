//! What a protocol tells synod about itself ([`Protocol`]), and the registry of protocols
//! ([`Registry`]) that the command line, the scenario parser and the documentation read.
//!
//! A protocol is one folder and one descriptor: a `pub const PROTOCOL: Protocol` in its
//! `mod.rs`. Every field is required, so a protocol that forgets a piece (its planted bugs, its
//! settings, its builder) does not compile. The list of protocols synod ships is
//! [`crate::PROTOCOLS`]; `synod run --help`, `synod check --bug list`, the scenario parser and
//! the tables in README.md and docs/scenarios.md all derive from it.

use crate::scenario::{Scenario, ScenarioError};
use crate::system::System;
use std::fmt;

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
    /// The keys it takes in `[cluster]`, with what each means.
    pub counts: &'static [(&'static str, &'static str)],
    /// Build the system a scenario describes: the processes laid out as nodes, its own state
    /// checks attached, the scenario's faults resolved against the node names.
    pub build: fn(&Scenario) -> Result<System, ScenarioError>,
}

impl Protocol {
    /// The planted bug called `name`.
    pub fn bug(&self, name: &str) -> Option<&'static PlantedBug> {
        self.bugs.iter().find(|b| b.name == name)
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

    /// The protocols for `--help`: one line each, name and summary.
    pub fn help(&self) -> String {
        let width = self.iter().map(|p| p.name.len()).max().unwrap_or(0);
        self.iter()
            .map(|p| format!("  {:<width$}  {}", p.name, p.summary))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
