//! The narration says the moments that matter: the observer's line when a value is chosen or
//! an entry committed (no node knows it then), Raft's leader saying why it does not commit an
//! older term's entry (Figure 8), the planted bugs saying what they skip, followers' applies,
//! and the scenario's notes at their times.

#![allow(clippy::disallowed_methods)]

mod support;

use support::{load, narrate};
use synod_core::{Level, Time};
use synod_protocols::PROTOCOLS;
use synod_protocols::campaign;
use synod_protocols::scenario::Scenario;
use synod_sim::{FaultKind, FaultPlan};

/// The `[workload]` of the Raft sweeps.
const RAFT: &str = "[workload]\nclient_timeout_ms = 200\n";

fn story(s: &Scenario) -> String {
    narrate(s, Some(Level::Info)).0
}

/// The lines of `text` that contain `what`.
fn lines<'a>(text: &'a str, what: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(what)).collect()
}

/// The virtual time a narration line starts with, in ms.
fn time_of(line: &str) -> f64 {
    line.split_whitespace()
        .next()
        .and_then(|t| t.strip_suffix("ms"))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no time in {line:?}"))
}

/// A run of `protocol` with `bug` under random faults of `kinds` (as the planted-bug sweeps
/// run them), with `tables` of settings.
fn faulty(
    protocol: &str,
    bug: &str,
    seed: u64,
    kinds: &[FaultKind],
    count: u32,
    tables: &str,
) -> Scenario {
    let text = format!(
        "protocol = \"{protocol}\"\nbug = \"{bug}\"\nseed = {seed}\nuntil_ms = 8000\nsettle_ms = 2500\n{tables}"
    );
    let s = PROTOCOLS.parse("<narration>", &text).unwrap();
    let plan = FaultPlan {
        kinds: kinds.to_vec(),
        window: Time::ms(2000),
        count,
        max_duration: Time::ms(600),
        latency: (Time::ms(1), Time::ms(10)),
    };
    campaign::with_random_faults(&s, &plan).unwrap()
}

/// Figure 8 (5.4.2): at 931.5 ms index 8, of term 1, is on a majority; the leader of term 6
/// says once why it does not commit it, and the observer never calls it committed until the
/// leader of term 8 has its own entry on a majority.
#[test]
fn figure8_leader_says_why_it_waits_and_the_observer_agrees() {
    let text = story(&load("raft-figure8.toml"));
    let waiting = lines(&text, "only entries of my term");
    // n1 of term 6 waits on index 8 of term 1; later n5 of term 8 waits on its own index 8 of
    // term 2, until its no-op at index 9 is on a majority too.
    assert_eq!(
        waiting,
        vec![
            "  931.5ms  [n1 leader t6]     index 8 (term 1) is on 3/5, a majority, but only entries of my term 6 commit by counting: waiting (5.4.2)",
            " 1412.7ms  [n5 leader t8]     index 8 (term 2) is on 3/5, a majority, but only entries of my term 8 commit by counting: waiting (5.4.2)",
        ],
        "{text}"
    );
    let committed = lines(&text, "[observer]");
    let first_past_7 = committed
        .iter()
        .find(|l| !l.contains("committed: index") || !l.contains("(term 1)"))
        .unwrap();
    assert!(
        first_past_7.ends_with(
            "committed: indices 8..9, as index 9 (term 8) is now on a majority in its own term (n3, n4, n5)"
        ),
        "{first_past_7}"
    );
    assert!(time_of(first_past_7) > 1400.0, "{first_past_7}");
    // Every entry of term 1 the observer calls committed is one n1 committed (1..7).
    for l in &committed {
        if l.contains("(term 1)") {
            let k: u64 = l
                .split("index ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert!(k <= 7, "{l}");
        }
    }
}

/// With `commit-old-term` the leader says it breaks 5.4.2, and the observer does not follow it:
/// index 8 is never on a majority in its own term before the run stops.
#[test]
fn commit_old_term_says_so_and_the_observer_does_not_call_it_committed() {
    let text = story(&load("raft-figure8-commit-old-term.toml"));
    let bug = lines(&text, "BUG commit-old-term");
    assert_eq!(bug.len(), 1, "{text}");
    assert!(
        bug[0].starts_with("  931.5ms  [n1 leader t6]     WARN index 8 replicated on 3/5, committed (BUG commit-old-term: index 8 is of term 1, not my term 6"),
        "{}",
        bug[0]
    );
    assert!(
        lines(&text, "[observer]")
            .iter()
            .all(|l| !l.contains("index 8") && !l.contains("..8")),
        "{text}"
    );
}

/// With `vote-without-up-to-date-check` no vote claims to have compared logs; the votes the
/// check would have refused are warnings that show both logs.
#[test]
fn vote_without_up_to_date_check_says_the_log_was_not_compared() {
    let s = faulty(
        "raft",
        "vote-without-up-to-date-check",
        // A seed whose run casts a vote the check would refuse (with PreVote on by default,
        // fewer schedules do).
        68,
        &[FaultKind::Crash, FaultKind::Partition],
        8,
        RAFT,
    );
    let text = story(&s);
    assert!(lines(&text, "is up to date)").is_empty(), "{text}");
    let yes = lines(
        &text,
        ": yes (BUG vote-without-up-to-date-check: log not compared; its log ",
    );
    assert!(!yes.is_empty(), "{text}");
    let fatal = lines(&text, "WARN RequestVote from");
    assert!(!fatal.is_empty(), "no vote the check would refuse:\n{text}");
    assert!(
        fatal.iter().all(|l| l.contains(" is behind mine ")),
        "{fatal:?}"
    );
}

/// `forget-vote-on-restart` and `no-consistency-check` say what they skip.
#[test]
fn raft_bugs_that_skip_a_rule_say_which() {
    let s = faulty(
        "raft",
        "forget-vote-on-restart",
        3,
        &[FaultKind::Crash],
        40,
        RAFT,
    );
    let text = story(&s);
    let forgot = lines(&text, "(BUG forget-vote-on-restart: its vote for ");
    assert!(!forgot.is_empty(), "{text}");
    assert!(
        forgot
            .iter()
            .all(|l| l.contains("WARN restarting from disk"))
    );

    let s = faulty(
        "raft",
        "no-consistency-check",
        // A seed whose run accepts entries the check would refuse (PreVote moves them).
        69,
        &[FaultKind::Crash, FaultKind::Partition, FaultKind::Loss],
        16,
        RAFT,
    );
    let text = story(&s);
    let skipped = lines(&text, "accepted anyway (BUG no-consistency-check: ");
    assert!(!skipped.is_empty(), "{text}");
}

/// Every follower narrates what it applies at info, one line per command, as the leader does.
#[test]
fn followers_narrate_each_apply() {
    let text = story(&load("raft-fault-free.toml"));
    for n in ["n1", "n2", "n3", "n5"] {
        let applies: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(&format!("[{n} follower t1]")) && l.contains("  applies "))
            .collect();
        assert_eq!(applies.len(), 15, "{n}:\n{text}");
        assert!(
            applies[0].ends_with("applies 2: PUT \"d\" = \"val_87\" -> OK"),
            "{}",
            applies[0]
        );
    }
    assert_eq!(lines(&text, "replies to client").len(), 15);
}

/// Paxos: the observer says "chosen" at the accept that makes a majority, before any learner
/// decides; once.
#[test]
fn paxos_observer_says_chosen_before_anyone_knows() {
    let text = narrate(&load("paxos-fault-free.toml"), Some(Level::Debug)).0;
    let chosen = lines(&text, "[observer]");
    assert_eq!(chosen.len(), 1, "{text}");
    assert!(
        chosen[0].ends_with(
            "chosen: a majority accepted \"n4\" at ballot 1.4 (n3, n4, n5); no one knows it yet"
        ),
        "{}",
        chosen[0]
    );
    let at = text.lines().position(|l| l.contains("[observer]")).unwrap();
    let accepts: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("from n4: accepted"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        accepts[2] + 2,
        at,
        "right after the third acceptor accepts (and replies)"
    );
    let decided = text.lines().position(|l| l.contains(": decided")).unwrap();
    assert!(at < decided);
}

/// With `forget-promise`, a second value reaches a majority: the observer says agreement is lost.
#[test]
fn paxos_observer_sees_two_values_chosen_under_forget_promise() {
    let text = story(&load("paxos-bug-forget-promise.toml"));
    let second = lines(&text, "two values chosen, agreement is lost");
    assert_eq!(second.len(), 1, "{text}");
    assert!(
        lines(
            &text,
            "(BUG forget-promise: its promise and accepted proposal were not kept on disk)"
        )
        .len()
            >= 2,
        "{text}"
    );
    let text = story(&load("paxos-bug-ignore-p1b-values.toml"));
    assert!(
        !lines(&text, "(BUG ignore-p1b-values: the reported ").is_empty(),
        "{text}"
    );
}

/// Multi-Paxos: each slot is said chosen once, when the second of three acceptors accepts it,
/// before the leader counts the replies.
#[test]
fn multipaxos_observer_says_each_slot_chosen_once() {
    let text = story(&load("multipaxos-original.toml"));
    let chosen = lines(&text, "[observer]");
    let leader_chosen = lines(&text, "accepted, chosen ");
    assert!(!chosen.is_empty());
    assert_eq!(chosen.len(), leader_chosen.len(), "{text}");
    let mut slots = Vec::new();
    for l in &chosen {
        let slot: u64 = l
            .split("chosen: slot ")
            .nth(1)
            .and_then(|r| r.split(':').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{l}"));
        assert!(l.contains(": a majority accepted "), "{l}");
        slots.push(slot);
        let counted = leader_chosen
            .iter()
            .find(|c| c.contains(&format!("slot {slot}: ")))
            .unwrap();
        assert!(time_of(l) <= time_of(counted), "{l}\n{counted}");
    }
    slots.sort_unstable();
    let n = slots.len() as u64;
    assert_eq!(slots, (1..=n).collect::<Vec<_>>(), "each slot once");
}

/// The multi-Paxos bugs say what they skip.
#[test]
fn multipaxos_bugs_say_what_they_skip() {
    let all: Vec<FaultKind> = FaultKind::ALL.iter().map(|(k, _)| *k).collect();
    let found = |bug: &str, what: &str| {
        (1..=20).any(|seed| {
            let tables = "[cluster]\nleaders = 2\n";
            story(&faulty("multipaxos", bug, seed, &all, 5, tables)).contains(what)
        })
    };
    assert!(found("skip-phase1-values", "BUG skip-phase1-values: the "));
    assert!(found(
        "replica-out-of-order",
        "(BUG replica-out-of-order: applied on arrival, before slot "
    ));
    // A retry applied a second time says so, where the correct learner answers it from
    // memory (the scenario file of the bug: every replica applies retries twice alike).
    let text = story(&load("multipaxos-apply-retry-twice.toml"));
    let again = lines(&text, "(BUG apply-retry-twice: a retry of request #");
    assert!(!again.is_empty(), "{text}");
    assert!(
        again[0].contains("already; applied again, the sessions unread)"),
        "{}",
        again[0]
    );
    let mut fixed = load("multipaxos-apply-retry-twice.toml");
    fixed.bug = None;
    assert!(lines(&story(&fixed), "BUG apply-retry-twice").is_empty());
}

/// A scenario's notes are printed at their times, before the events due then, and the run is
/// the same as without them.
#[test]
fn notes_are_told_at_their_time_and_change_nothing() {
    let s = load("raft-figure8.toml");
    let text = story(&s);
    let notes = lines(&text, "[note]");
    assert_eq!(notes.len(), s.notes.len());
    let waiting = text.find("only entries of my term 6").unwrap();
    let note = text.find("  931.5ms  [note]").unwrap();
    assert!(note < waiting);
    // Without the notes, the same story minus the notes.
    let mut bare = s.clone();
    bare.notes.clear();
    let without = story(&bare);
    let strip = |t: &str| {
        t.lines()
            .filter(|l| !l.contains("[note]") && !l.starts_with("         "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&text), strip(&without));
}

/// Every protocol explains its own notations in the legend (a protocol added later, as VR was,
/// must too), and each notation it lists appears in its narration of the built-in scenario
/// (messages included, as `debug` shows them).
#[test]
fn every_protocol_has_a_legend_of_what_its_narration_shows() {
    // Every number a 0: `t3` and `t1` have one shape.
    let shape = |w: &str| {
        w.chars()
            .map(|c| if c.is_ascii_digit() { '0' } else { c })
            .collect::<String>()
    };
    for p in PROTOCOLS.iter() {
        assert!(!p.legend.is_empty(), "{} has no legend", p.name);
        let s = PROTOCOLS.scenario(p.name).unwrap();
        let shaped = shape(&narrate(&s, Some(Level::Debug)).0);
        for (notation, meaning) in p.legend {
            assert!(!meaning.is_empty(), "{}: {notation}", p.name);
            // A notation's first word (`[n4`, `t3`, `9@t1`, `p1a`) is in the narration, up to
            // its numbers.
            let word = notation
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches([',', ':']);
            let in_story = shaped.contains(&shape(word));
            assert!(in_story, "{}: `{notation}` is not in its narration", p.name);
        }
    }
}

/// VR's planted bugs say what they skip, as Raft's do: the view change that does not compare
/// last normal views, the answer to Recovery during a view change, the Prepare appended before
/// the ops it follows, the retry given a new op-number.
#[test]
fn vr_bugs_say_what_they_skip() {
    for (file, said) in [
        (
            "vr-bug-ignore-last-normal-view.toml",
            "(BUG ignore-last-normal-view: last normal views not compared, the longest log wins)",
        ),
        (
            "vr-bug-recovery-answer-in-view-change.toml",
            "(BUG recovery-answer-in-view-change: answers while changing views, a view that has not started)",
        ),
    ] {
        let text = story(&load(file));
        assert!(!lines(&text, said).is_empty(), "{file}:\n{text}");
    }
    // Under lossy random faults: a backup that appends a Prepare before the ops it follows,
    // and a primary without its client table that gives a retry a new op-number (short client
    // timeouts make the retries). Every line that says BUG says what happened.
    for (bug, extra, said) in [
        (
            "prepare-out-of-order",
            "",
            ["Prepare from ", " appended as op "],
        ),
        (
            "no-client-table",
            "[workload]\nclient_timeout_ms = 40\n",
            [
                "sends Prepare to the backups",
                "a retry, the client table holds it as op ",
            ],
        ),
    ] {
        let settings = format!("[network]\nloss = 0.2\n{extra}");
        let text = story(&faulty("vr", bug, 1, &[FaultKind::Loss], 20, &settings));
        let bugs = lines(&text, &format!("(BUG {bug}: "));
        assert!(!bugs.is_empty(), "{bug}: {text}");
        assert!(
            bugs.iter().all(|l| said.iter().all(|w| l.contains(w))),
            "{bugs:?}"
        );
    }
    // Without the bug, nothing says BUG.
    let text = story(&PROTOCOLS.scenario("vr").unwrap());
    assert!(!text.contains("BUG"), "{text}");
}
