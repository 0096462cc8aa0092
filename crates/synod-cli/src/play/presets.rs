//! Scenarios a game can start from: the repository's own scenario files (compiled in), played
//! with the game's colours, and slowed down for a human (they run on millisecond timescales).
//!
//! The servers `n1`..`n5` of a scenario become red, green, blue, orange and purple (the names
//! are only labels: renaming changes no draw of the simulation). A preset's notes are shown as
//! callouts at their times; when scenario files carry notes of their own, the scenario's notes
//! take their place (see [`notes`]).

use super::game::{NAMES, Proto};
use super::teach::Note;
use synod_core::Time;
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
    /// Timed notes (virtual ms, text), in the game's colour names.
    pub notes: &'static [(u64, &'static str)],
}

const FIGURE8_NOTES: &[(u64, &str)] = &[
    (
        1,
        "Figure 8 of the Raft paper, forced by this scenario's partitions and crashes. Red, green, blue, orange and purple are the paper's S1..S5. One entry per AppendEntries keeps the catch-up slow enough to watch.",
    ),
    (
        244,
        "(a) Red leads term 1; indices 1..7 are committed everywhere. Red and green are now cut off from the others, just as three client requests reach red: it appends them at 8..10 and can replicate them to green only. No majority, no commit.",
    ),
    (
        395,
        "(b) Purple times out first on the other side and stands for term 2; blue and orange vote for it (their logs end at 7, as purple's does).",
    ),
    (
        400,
        "Purple's own messages to blue and orange are cut now, after its RequestVotes left: it wins, but its no-op at index 8 (term 2) stays on purple alone. Purple crashes at 420 ms.",
    ),
    (
        700,
        "(c) Blue and orange cannot elect anyone without purple, nor after the heal, since red and green refuse their shorter logs (5.4.1).",
    ),
    (
        911,
        "Red wins term 6 with the votes of green, blue and orange, and appends its no-op at index 11, which reaches green only. It brings blue and orange up to date one entry at a time.",
    ),
    (
        931,
        "Now index 8 (term 1) is on red, green, blue and orange: a majority. A leader that committed it by counting replicas would do so now. Raft does not (5.4.2): it is not of the current term.",
    ),
    (
        940,
        "(d) Red and green crash before the term-6 no-op reaches a majority, and purple restarts.",
    ),
    (
        1390,
        "(e) Purple (last log term 2) is more up to date than blue and orange (term 1): it refuses them, then wins term 8 with their votes and replaces their entries 8 and 9 with its own. Index 8 was never committed, so nothing is lost.",
    ),
    (
        1500,
        "Red and green restart and have their entries 8..11 overwritten the same way; every request still completes, exactly once.",
    ),
];

const FIGURE8_BUG_NOTES: &[(u64, &str)] = &[
    (
        1,
        "Figure 8 with the planted bug commit-old-term: a leader commits an entry of an older term as soon as it is stored on a majority. The schedule is the Figure 8 scenario's.",
    ),
    (
        244,
        "(a) Red leads term 1 and is cut off with green as three requests arrive: they land at indices 8..10 on red and green only.",
    ),
    (
        400,
        "(b) Purple wins term 2 with the votes of blue and orange; its no-op at index 8 stays on purple alone, and purple crashes at 420 ms.",
    ),
    (
        911,
        "(c) Red wins term 6 and catches blue and orange up one entry at a time.",
    ),
    (
        931,
        "Index 8 (term 1) is now on a majority, and the broken leader commits it by counting replicas: blue and orange apply it. Raft forbids this (5.4.2).",
    ),
    (
        940,
        "(d) Red and green crash; purple, whose log ends with its own entry 8 of term 2, restarts.",
    ),
    (
        1390,
        "(e) Purple wins term 8 with the votes of blue and orange, a leader without the committed entry 8: leader completeness breaks, and it would overwrite what blue and orange applied.",
    ),
];

const LEADER_CRASH_NOTES: &[(u64, &str)] = &[
    (
        1,
        "The leader will crash at 300 ms while the clients are busy, and restart at 700 ms.",
    ),
    (
        300,
        "The leader crashes. The followers stop hearing heartbeats; the first whose election timer fires stands for a new term, and its log is up to date, so it wins (5.4.1).",
    ),
    (
        700,
        "The old leader restarts from disk (term, vote, log) as a follower and catches up from the new leader. Clients retried elsewhere; request ids keep the retries exactly-once.",
    ),
];

/// The scenarios the game offers.
pub const PRESETS: &[Preset] = &[
    Preset {
        id: "raft-figure8",
        title: "Figure 8",
        proto: Proto::Raft,
        text: include_str!("../../../../scenarios/raft-figure8.toml"),
        time_scale: 0.01,
        notes: FIGURE8_NOTES,
    },
    Preset {
        id: "raft-figure8-commit-old-term",
        title: "Figure 8, broken (commit-old-term)",
        proto: Proto::Raft,
        text: include_str!("../../../../scenarios/raft-figure8-commit-old-term.toml"),
        time_scale: 0.01,
        notes: FIGURE8_BUG_NOTES,
    },
    Preset {
        id: "raft-leader-crash",
        title: "Leader crash",
        proto: Proto::Raft,
        text: include_str!("../../../../scenarios/raft-leader-crash.toml"),
        time_scale: 0.01,
        notes: LEADER_CRASH_NOTES,
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

/// The notes a preset shows. (Scenario files do not carry notes yet; when they do, a
/// scenario's own notes replace these.)
pub fn notes(preset: &Preset) -> Vec<Note> {
    preset
        .notes
        .iter()
        .map(|(at, text)| Note {
            at: Time::ms(*at),
            text: text.to_string(),
        })
        .collect()
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
            assert!(!notes(p).is_empty());
        }
        assert!(find("nope").unwrap_err().contains("raft-figure8"));
    }
}
