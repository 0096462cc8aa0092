//! Scenarios a game can start from: the repository's own scenario files (compiled in), played
//! with the game's colours, and slowed down for a human (they run on millisecond timescales).
//!
//! The servers `n1`..`n5` of a scenario become red, green, blue, orange and purple (the names
//! are only labels: renaming changes no draw of the simulation), in its faults and in its
//! `[[note]]`s, which the game shows as callouts at their times.

use super::game::{NAMES, Proto};
use synod_protocols::PROTOCOLS;
use synod_protocols::scenario::{FaultAction, Scenario};
use synod_protocols::settings::Value;

/// One scenario the game offers.
#[derive(Debug)]
pub struct Preset {
    /// Its id in the API (`scenario` of `POST /api/game`).
    pub id: &'static str,
    /// What the menu says.
    pub title: &'static str,
    /// The game it belongs to.
    pub proto: Proto,
    /// The scenario file.
    pub text: &'static str,
    /// Virtual milliseconds per wall millisecond at 1x.
    pub time_scale: f64,
}

/// The scenarios the game offers.
pub const PRESETS: &[Preset] = &[
    Preset {
        id: "raft-figure8",
        title: "Figure 8",
        proto: Proto::Raft,
        text: include_str!("../../../../scenarios/raft-figure8.toml"),
        time_scale: 0.01,
    },
    Preset {
        id: "raft-figure8-commit-old-term",
        title: "Figure 8, broken (commit-old-term)",
        proto: Proto::Raft,
        text: include_str!("../../../../scenarios/raft-figure8-commit-old-term.toml"),
        time_scale: 0.01,
    },
    Preset {
        id: "raft-leader-crash",
        title: "Leader crash",
        proto: Proto::Raft,
        text: include_str!("../../../../scenarios/raft-leader-crash.toml"),
        time_scale: 0.01,
    },
];

/// The preset with this id.
pub fn find(id: &str) -> Result<&'static Preset, String> {
    PRESETS.iter().find(|p| p.id == id).ok_or_else(|| {
        format!(
            "unknown scenario `{id}` (the game's scenarios: {})",
            PRESETS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
        )
    })
}

impl Preset {
    /// The scenario, its servers renamed to the game's colours; with `seed` if given.
    pub fn scenario(&self, seed: Option<u64>) -> Result<Scenario, String> {
        let mut sc = PROTOCOLS
            .parse(&format!("scenarios/{}.toml", self.id), self.text)
            .map_err(|e| e.to_string())?;
        let p = sc.protocol;
        let (Some(nodes), Some(names)) = (p.setting("cluster.nodes"), p.setting("cluster.names"))
        else {
            return Err(format!(
                "{}: protocol {p} does not name its servers",
                self.id
            ));
        };
        let n = sc.settings.count(nodes) as usize;
        if n > NAMES.len() {
            return Err(format!("{}: at most {} servers", self.id, NAMES.len()));
        }
        let colour = |name: &str| -> String {
            name.strip_prefix('n')
                .and_then(|k| k.parse::<usize>().ok())
                .filter(|k| (1..=n).contains(k))
                .map_or_else(|| name.to_string(), |k| NAMES[k - 1].to_string())
        };
        let group = |g: &[String]| g.iter().map(|x| colour(x)).collect::<Vec<_>>();
        for f in &mut sc.faults {
            f.action = match &f.action {
                FaultAction::Crash(x) => FaultAction::Crash(colour(x)),
                FaultAction::Restart(x) => FaultAction::Restart(colour(x)),
                FaultAction::Partition(gs) => {
                    FaultAction::Partition(gs.iter().map(|g| group(g)).collect())
                }
                FaultAction::OneWay(a, b) => FaultAction::OneWay(group(a), group(b)),
                FaultAction::Hold(x) => FaultAction::Hold(colour(x)),
                FaultAction::Release(x) => FaultAction::Release(colour(x)),
                FaultAction::Slow(x, k) => FaultAction::Slow(colour(x), *k),
                FaultAction::Skew(x, k) => FaultAction::Skew(colour(x), *k),
                other => other.clone(),
            };
        }
        for note in &mut sc.notes {
            note.text = recolour(&note.text, &colour);
        }
        let colours = NAMES[..n].iter().map(|s| s.to_string()).collect();
        sc.settings.set(names, Value::List(colours), None);
        if let Some(s) = seed {
            sc.seed = s;
        }
        Ok(sc)
    }
}

/// The servers' names a scenario gives (`cluster.names`), if it gives them.
pub fn server_names(sc: &Scenario) -> Option<Vec<String>> {
    let names = sc.protocol.setting("cluster.names")?;
    sc.settings.strings(names)
}

/// `text` with every server name (`n3`: a whole word) renamed by `colour`; a name at the start
/// of a sentence is capitalized (`Red leads term 1`).
fn recolour(text: &str, colour: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        let renamed = colour(word);
        let start = {
            let before = out.trim_end();
            before.is_empty() || before.ends_with(['.', ':', '!', '?', ')'])
        };
        if renamed != *word && start {
            let mut c = renamed.chars();
            if let Some(first) = c.next() {
                out.extend(first.to_uppercase());
                out.push_str(c.as_str());
            }
        } else {
            out.push_str(&renamed);
        }
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses_with_colours() {
        for p in PRESETS {
            let sc = p.scenario(None).unwrap();
            let names = server_names(&sc).unwrap();
            assert_eq!(names[0], "red");
            let resolved = sc.resolve_faults(&names).unwrap();
            assert_eq!(resolved.len(), sc.faults.len(), "{}", p.id);
            // The scenario's own notes, in the game's colours.
            assert!(!sc.notes.is_empty(), "{}", p.id);
            assert!(
                sc.notes.iter().all(|n| !n.text.contains("n1 ")),
                "{:?}",
                sc.notes
            );
        }
        assert!(find("nope").unwrap_err().contains("raft-figure8"));
    }

    #[test]
    fn notes_name_servers_by_colour() {
        let colour = |n: &str| match n {
            "n1" => "red".to_string(),
            "n5" => "purple".to_string(),
            other => other.to_string(),
        };
        assert_eq!(
            recolour(
                "n1 leads; then n5 (n1's peer) wins. n5 crashes; n10 and an1 stay.",
                &colour
            ),
            "Red leads; then purple (red's peer) wins. Purple crashes; n10 and an1 stay."
        );
        assert_eq!(
            recolour("(b) n5 times out", &colour),
            "(b) Purple times out"
        );
    }
}
