//! Protocol-owned scenario settings: the keys a protocol takes in `[cluster]`, `[timing]`,
//! `[workload]` and any section of its own, each with its default and its checks.
//!
//! A protocol declares its keys as [`Setting`] constants and lists them in its descriptor
//! ([`crate::protocol::Protocol::settings`]); the scenario parser reads exactly those keys,
//! checks each value against its [`Kind`] with the file, line and key in every message, rejects
//! keys the protocol does not take, and then runs the protocol's own cross-field rules
//! ([`crate::protocol::Protocol::validate`]). The builder reads the values back through the same
//! constants ([`Settings::count`], [`Settings::range`], ...), so a key's name is written once.

use std::fmt;
use synod_core::Time;

/// The largest time a scenario may name, in milliseconds: the simulator's clock counts
/// microseconds in 64 bits, so anything later cannot be represented.
pub const MAX_MS: f64 = u64::MAX as f64 / 1000.0;

/// One key a protocol takes.
#[derive(Debug)]
pub struct Setting {
    /// `table.key`, as docs/scenarios.md writes it: `cluster.nodes`, `timing.heartbeat_ms`.
    pub key: &'static str,
    /// What a value may be, and the default.
    pub kind: Kind,
    /// What it means, in a few words (the docs table shows it).
    pub doc: &'static str,
}

/// What values a setting takes, and its default.
#[derive(Debug)]
pub enum Kind {
    /// A whole number from `min` to `max`. `why_max` says why the limit is where it is (shown
    /// when a value exceeds it).
    Count {
        /// Used when the key is not given.
        default: u64,
        /// The smallest value.
        min: u64,
        /// The largest value.
        max: u64,
        /// Why no more: `each server keeps state for every other`.
        why_max: &'static str,
    },
    /// A time in milliseconds, above zero (fractions allowed).
    Ms {
        /// Used when the key is not given.
        default: f64,
    },
    /// A range of milliseconds, `{ min = 150, max = 300 }`, with `0 <= min <= max`.
    RangeMs {
        /// Used when the key is not given.
        default: (f64, f64),
    },
    /// Names for nodes, in order: distinct, not empty, without surrounding spaces, without `,`
    /// or `|` (the partition syntax uses them), and not `leader`, `voter` or `*` (fault targets).
    Names,
    /// A list of strings, none empty.
    Strings {
        /// Used when the key is not given; empty: no default (the protocol decides).
        default: &'static [&'static str],
    },
    /// A switch, `true` or `false`.
    Flag {
        /// Used when the key is not given.
        default: bool,
    },
    /// One word of a fixed list, `"read_index"`.
    Choice {
        /// The words it takes, in the order the docs list them.
        options: &'static [&'static str],
        /// Used when the key is not given (one of `options`).
        default: &'static str,
    },
    /// Relative weights by name, `{ get = 1, put = 2 }`: whole numbers, at least one positive.
    Weights {
        /// The names it takes, in order.
        names: &'static [&'static str],
        /// Used when the key is not given (one per name).
        default: &'static [u64],
    },
}

impl Setting {
    /// The table it lives in: `cluster` for `cluster.nodes`.
    pub fn table(&self) -> &'static str {
        self.key.split_once('.').map_or("", |(t, _)| t)
    }

    /// Its name within the table: `nodes` for `cluster.nodes`.
    pub fn name(&self) -> &'static str {
        self.key.split_once('.').map_or(self.key, |(_, k)| k)
    }

    /// Its default as a scenario would write it, for the docs (`5`, `{ min = 150, max = 300 }`).
    pub fn default_text(&self) -> String {
        match &self.kind {
            Kind::Count { default, .. } => default.to_string(),
            Kind::Ms { default } => ms_text(*default),
            Kind::RangeMs { default: (a, b) } => {
                format!("{{ min = {}, max = {} }}", ms_text(*a), ms_text(*b))
            }
            Kind::Names => String::new(),
            Kind::Flag { default } => default.to_string(),
            Kind::Choice { default, .. } => format!("{default:?}"),
            Kind::Strings { default: [] } => String::new(),
            Kind::Strings { default } => {
                let quoted: Vec<String> = default.iter().map(|s| format!("{s:?}")).collect();
                format!("[{}]", quoted.join(", "))
            }
            Kind::Weights { names, default } => {
                let parts: Vec<String> = names
                    .iter()
                    .zip(default.iter())
                    .map(|(n, w)| format!("{n} = {w}"))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
        }
    }

    /// Check `value` against this setting's kind: `Err` says what is wrong (without the key,
    /// which the caller adds).
    pub fn check(&self, value: &Value) -> Result<(), String> {
        match (&self.kind, value) {
            (
                Kind::Count {
                    min, max, why_max, ..
                },
                Value::Count(n),
            ) => {
                if n < min || n > max {
                    let why = if n > max && !why_max.is_empty() {
                        format!(" ({why_max})")
                    } else {
                        String::new()
                    };
                    Err(format!("must be between {min} and {max}, got {n}{why}"))
                } else {
                    Ok(())
                }
            }
            (Kind::Ms { .. }, Value::Ms(x)) => {
                if *x > 0.0 {
                    Ok(())
                } else {
                    Err(format!("must be a time above 0 ms, got {}", ms_text(*x)))
                }
            }
            (Kind::RangeMs { .. }, Value::RangeMs(a, b)) => {
                if a > b {
                    Err(format!(
                        "min ({}) is greater than max ({})",
                        ms_text(*a),
                        ms_text(*b)
                    ))
                } else {
                    Ok(())
                }
            }
            (Kind::Names, Value::List(names)) => check_names(names),
            (Kind::Strings { .. }, Value::List(items)) => {
                if items.is_empty() {
                    Err("give at least one".into())
                } else if items.iter().any(|s| s.trim().is_empty()) {
                    Err("an entry is empty".into())
                } else {
                    Ok(())
                }
            }
            (Kind::Flag { .. }, Value::Flag(_)) => Ok(()),
            (Kind::Choice { options, .. }, Value::Word(w)) => {
                if options.contains(&w.as_str()) {
                    Ok(())
                } else {
                    let quoted: Vec<String> = options.iter().map(|o| format!("{o:?}")).collect();
                    Err(format!("`{w}` is not one of {}", quoted.join(", ")))
                }
            }
            (Kind::Weights { .. }, Value::Weights(w)) => {
                if w.iter().all(|x| *x == 0) {
                    Err("at least one weight must be positive".into())
                } else {
                    Ok(())
                }
            }
            (kind, value) => Err(format!("expected {}, got {value:?}", kind.expected())),
        }
    }
}

/// Node names must be usable everywhere a scenario and the REPL name nodes.
fn check_names(names: &[String]) -> Result<(), String> {
    if names.is_empty() {
        return Err("give at least one name".into());
    }
    let mut seen = std::collections::BTreeSet::new();
    for n in names {
        if n.is_empty() || n.trim() != n {
            return Err(format!(
                "`{n}`: a name must not be empty or begin or end with a space"
            ));
        }
        if n.contains(',') || n.contains('|') {
            return Err(format!(
                "`{n}`: a name cannot contain `,` or `|` (a partition is written `n1,n2 | n3`)"
            ));
        }
        if n == "*" || synod_sim::Target::role(n).is_some() {
            return Err(format!(
                "`{n}` is reserved: a fault aimed at `leader` strikes whichever node leads, one aimed at `voter` the node that voted last, one aimed at `seeker` the node that last started trying to lead, one aimed at `*` every server"
            ));
        }
        if !seen.insert(n) {
            return Err(format!("`{n}` appears twice"));
        }
    }
    Ok(())
}

impl Kind {
    /// What a value of this kind looks like, for messages.
    pub fn expected(&self) -> &'static str {
        match self {
            Kind::Count { .. } => "a whole number",
            Kind::Ms { .. } => "a time in milliseconds",
            Kind::RangeMs { .. } => "a range `{ min = .., max = .. }` in milliseconds",
            Kind::Names | Kind::Strings { .. } => "a list of strings",
            Kind::Flag { .. } => "true or false",
            Kind::Choice { .. } => "a string",
            Kind::Weights { .. } => "a table of weights",
        }
    }
}

/// A milliseconds value as a scenario writes it: `50`, `0.5`.
pub fn ms_text(ms: f64) -> String {
    if ms.fract() == 0.0 && ms.abs() < 1e15 {
        format!("{}", ms as i64)
    } else {
        format!("{ms}")
    }
}

/// A setting's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A whole number.
    Count(u64),
    /// Milliseconds.
    Ms(f64),
    /// A range of milliseconds.
    RangeMs(f64, f64),
    /// Names or strings.
    List(Vec<String>),
    /// Weights, in the order of the kind's names.
    Weights(Vec<u64>),
    /// A switch.
    Flag(bool),
    /// One word of a [`Kind::Choice`].
    Word(String),
}

impl fmt::Display for Value {
    /// As a scenario writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Count(n) => write!(f, "{n}"),
            Value::Ms(x) => f.write_str(&ms_text(*x)),
            Value::RangeMs(a, b) => write!(f, "{{ min = {}, max = {} }}", ms_text(*a), ms_text(*b)),
            Value::List(items) => {
                let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
                write!(f, "[{}]", quoted.join(", "))
            }
            Value::Weights(w) => {
                let parts: Vec<String> = w.iter().map(u64::to_string).collect();
                write!(f, "[{}]", parts.join(", "))
            }
            Value::Flag(b) => write!(f, "{b}"),
            Value::Word(w) => write!(f, "{w:?}"),
        }
    }
}

/// A cross-field rule that failed: the key it is reported at, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The key (`timing.heartbeat_ms`).
    pub key: &'static str,
    /// What is wrong and what to do.
    pub message: String,
}

/// The settings of one scenario: the values given (with the line each was given at), and the
/// protocol's defaults for the rest.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    given: Vec<(&'static Setting, Value, Option<usize>)>,
}

impl PartialEq for Settings {
    /// The same keys with the same values (lines do not matter).
    fn eq(&self, other: &Settings) -> bool {
        fn strip(s: &Settings) -> Vec<(&str, &Value)> {
            let mut v: Vec<(&str, &Value)> = s.given.iter().map(|(k, v, _)| (k.key, v)).collect();
            v.sort_by(|a, b| a.0.cmp(b.0));
            v
        }
        strip(self) == strip(other)
    }
}

impl Settings {
    fn find(&self, s: &Setting) -> Option<&(&'static Setting, Value, Option<usize>)> {
        self.given.iter().find(|(k, _, _)| k.key == s.key)
    }

    /// Set `setting` to `value`, given at `line` (`None`: from the command line). The caller
    /// has checked the value.
    pub fn set(&mut self, setting: &'static Setting, value: Value, line: Option<usize>) {
        self.given.retain(|(k, _, _)| k.key != setting.key);
        self.given.push((setting, value, line));
    }

    /// Whether the scenario gave `s`.
    pub fn given(&self, s: &Setting) -> bool {
        self.find(s).is_some()
    }

    /// The line `s` was given at.
    pub fn line(&self, s: &Setting) -> Option<usize> {
        self.find(s).and_then(|(_, _, l)| *l)
    }

    /// The values given, in the order they were given.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Setting, &Value)> {
        self.given.iter().map(|(k, v, _)| (*k, v))
    }

    /// A [`Kind::Count`] setting: its value, or its default.
    pub fn count(&self, s: &Setting) -> u64 {
        match (self.find(s), &s.kind) {
            (Some((_, Value::Count(n), _)), _) => *n,
            (_, Kind::Count { default, .. }) => *default,
            _ => 0,
        }
    }

    /// A [`Kind::Ms`] setting as a time.
    pub fn time(&self, s: &Setting) -> Time {
        match (self.find(s), &s.kind) {
            (Some((_, Value::Ms(x), _)), _) => Time::ms_f64(*x),
            (_, Kind::Ms { default }) => Time::ms_f64(*default),
            _ => Time::ZERO,
        }
    }

    /// A [`Kind::RangeMs`] setting as times.
    pub fn range(&self, s: &Setting) -> (Time, Time) {
        match (self.find(s), &s.kind) {
            (Some((_, Value::RangeMs(a, b), _)), _) => (Time::ms_f64(*a), Time::ms_f64(*b)),
            (_, Kind::RangeMs { default: (a, b) }) => (Time::ms_f64(*a), Time::ms_f64(*b)),
            _ => (Time::ZERO, Time::ZERO),
        }
    }

    /// A [`Kind::Names`] or [`Kind::Strings`] setting: the list given, or its default (`None`
    /// for no default).
    pub fn strings(&self, s: &Setting) -> Option<Vec<String>> {
        match (self.find(s), &s.kind) {
            (Some((_, Value::List(items), _)), _) => Some(items.clone()),
            (_, Kind::Strings { default }) if !default.is_empty() => {
                Some(default.iter().map(|x| x.to_string()).collect())
            }
            _ => None,
        }
    }

    /// A [`Kind::Flag`] setting: its value, or its default.
    pub fn flag(&self, s: &Setting) -> bool {
        match (self.find(s), &s.kind) {
            (Some((_, Value::Flag(b), _)), _) => *b,
            (_, Kind::Flag { default }) => *default,
            _ => false,
        }
    }

    /// A [`Kind::Choice`] setting: the word given, or its default.
    pub fn choice(&self, s: &Setting) -> &str {
        match (self.find(s), &s.kind) {
            (Some((_, Value::Word(w), _)), _) => w,
            (_, Kind::Choice { default, .. }) => default,
            _ => "",
        }
    }

    /// A [`Kind::Weights`] setting, in the order of its names.
    pub fn weights(&self, s: &Setting) -> Vec<u64> {
        match (self.find(s), &s.kind) {
            (Some((_, Value::Weights(w), _)), _) => w.clone(),
            (_, Kind::Weights { default, .. }) => default.to_vec(),
            _ => Vec::new(),
        }
    }
}

/// Servers that a scenario may name: the rule every protocol with a count of servers
/// (`cluster.nodes`) and their names (`cluster.names`) shares, and the names it runs with.
impl Settings {
    /// The rule across `names` and `count`: as many names as `count` says when both are given,
    /// and no more names than `count` allows (its [`Kind::Count`] maximum). The error is
    /// reported at `names`.
    pub fn check_names(
        &self,
        names: &'static Setting,
        count: &'static Setting,
    ) -> Result<(), Invalid> {
        let Some(list) = self.strings(names) else {
            return Ok(());
        };
        let n = list.len() as u64;
        if self.given(count) && n != self.count(count) {
            return Err(Invalid {
                key: names.key,
                message: format!(
                    "{n} names given, but `{}` is {}",
                    count.key,
                    self.count(count)
                ),
            });
        }
        if let Kind::Count { max, .. } = count.kind
            && n > max
        {
            return Err(Invalid {
                key: names.key,
                message: format!("{n} names; at most {max} servers"),
            });
        }
        Ok(())
    }

    /// The servers' names: `names` as given, or `n1`..`nN` for `count`.
    pub fn node_names(&self, names: &Setting, count: &Setting) -> Vec<String> {
        self.strings(names)
            .unwrap_or_else(|| (1..=self.count(count)).map(|i| format!("n{i}")).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODES: Setting = Setting {
        key: "cluster.nodes",
        kind: Kind::Count {
            default: 3,
            min: 1,
            max: 4,
            why_max: "",
        },
        doc: "",
    };
    const NAMES: Setting = Setting {
        key: "cluster.names",
        kind: Kind::Names,
        doc: "",
    };

    fn names(list: &[&str]) -> Value {
        Value::List(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn servers_are_numbered_unless_named() {
        let mut s = Settings::default();
        assert_eq!(s.node_names(&NAMES, &NODES), ["n1", "n2", "n3"]);
        s.set(&NODES, Value::Count(2), Some(3));
        assert_eq!(s.node_names(&NAMES, &NODES), ["n1", "n2"]);
        s.set(&NAMES, names(&["a", "b"]), Some(4));
        assert_eq!(s.node_names(&NAMES, &NODES), ["a", "b"]);
        assert_eq!(s.check_names(&NAMES, &NODES), Ok(()));
    }

    #[test]
    fn names_must_match_the_count_given_and_its_maximum() {
        let mut s = Settings::default();
        s.set(&NAMES, names(&["a", "b"]), Some(4));
        // No count given: the names decide it.
        assert_eq!(s.check_names(&NAMES, &NODES), Ok(()));
        s.set(&NODES, Value::Count(3), Some(3));
        let e = s.check_names(&NAMES, &NODES).unwrap_err();
        assert_eq!(e.key, "cluster.names");
        assert_eq!(e.message, "2 names given, but `cluster.nodes` is 3");
        let mut s = Settings::default();
        s.set(&NAMES, names(&["a", "b", "c", "d", "e"]), Some(4));
        let e = s.check_names(&NAMES, &NODES).unwrap_err();
        assert_eq!(e.message, "5 names; at most 4 servers");
    }
}
