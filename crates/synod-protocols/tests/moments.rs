//! Faults that wait for a protocol's moment (`when = "leads"` / `"seeks"` / `"votes"`): they
//! strike a set delay after the moment, on the node it names then, and a repair or the end of
//! their wait (`within_ms`) disarms them.

#![allow(clippy::disallowed_methods)] // the shared test support reads scenario files

use synod_core::{Event, EventKind, Leadership, NodeId, Observer, Time, Violation};
use synod_protocols::PROTOCOLS;
use synod_protocols::judge::Checks;
use synod_protocols::scenario::Scenario;
use synod_protocols::system;
use synod_sim::{On, Shared};

mod support;

/// What a run showed: who took the lead or started an election when, and every fault struck.
#[derive(Default)]
struct Seen {
    roles: Vec<(Time, NodeId, Leadership)>,
    faults: Vec<(Time, String)>,
}

impl Observer for Seen {
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        match ev.kind {
            EventKind::Role { leadership, .. } => {
                self.roles.push((ev.time, ev.node.unwrap(), leadership));
            }
            EventKind::Fault { fault } => self.faults.push((ev.time, fault.to_string())),
            _ => {}
        }
        Ok(())
    }
}

impl Seen {
    /// When the first node announced `l`, and which.
    fn first(&self, l: Leadership) -> (Time, NodeId) {
        let r = self.roles.iter().find(|r| r.2 == l);
        let (t, node, _) = r.unwrap_or_else(|| panic!("no node {}", l.name()));
        (*t, *node)
    }

    /// The node the first restart brought back.
    fn restarted(&self) -> &str {
        (self.faults.iter())
            .find_map(|(_, f)| f.strip_prefix("restart "))
            .unwrap_or_else(|| panic!("no restart: {:?}", self.faults))
    }
}

fn parse(text: &str) -> Scenario {
    PROTOCOLS
        .parse("moments.toml", text)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// What nemesis `spec` draws for one fault on three servers, with rng seed `seed`, in a window
/// of `window` (faults up to 400 ms long, latencies 1-10 ms).
fn draw(spec: &str, seed: u64, window: Time) -> Vec<synod_protocols::scenario::FaultSpec> {
    draw_among(&["n1", "n2", "n3"], spec, seed, window)
}

/// [`draw`] among the servers `names`.
fn draw_among(
    names: &[&str],
    spec: &str,
    seed: u64,
    window: Time,
) -> Vec<synod_protocols::scenario::FaultSpec> {
    use synod_protocols::nemesis::{Draw, Mix, parse};
    let servers: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut rng = synod_core::SimRng::new(seed);
    let mut out = Vec::new();
    let mut d = Draw::new(
        &mut rng,
        &servers,
        window,
        Time::ms(400),
        (Time::ms(1), Time::ms(10)),
        &mut out,
    );
    let mix: Mix = parse(spec, &[]).unwrap();
    mix.draw(&mut d, 1);
    out
}

fn watch(s: &Scenario) -> (Seen, Vec<String>) {
    let mut sys = system::build(s).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = sys.sim.specs().iter().map(|n| n.name.clone()).collect();
    let seen = Shared::new(Seen::default());
    sys.sim.add_observer(Box::new(seen.clone()));
    let _checks = Checks::attach(&mut sys);
    sys.sim.run();
    let seen = std::mem::take(&mut *seen.borrow_mut());
    (seen, names)
}

const NEW_LEADER: &str = r#"
protocol = "raft"
seed = 3

[[fault]]
at_ms = 0
when = "leads"
after_ms = 2
crash = "leader"
for_ms = 40
"#;

#[test]
fn a_fault_waiting_for_a_leader_strikes_the_new_leader_after_its_delay() {
    let (seen, names) = watch(&parse(NEW_LEADER));
    let (t, leader) = seen.first(Leadership::Leads);
    let name = &names[leader.index()];
    // Armed at 0 ms, nothing strikes before the first leader; then the crash of whoever
    // leads 2 ms later (that leader), and its restart 40 ms after that.
    let want = [
        (
            Time::ZERO,
            "armed: crash leader for 40.0ms, 2.0ms after a node next leads".to_string(),
        ),
        (t + Time::ms(2), "crash leader for 40.0ms".to_string()),
        (t + Time::ms(42), format!("restart {name}")),
    ];
    // One shot: the next leader is left alone.
    assert_eq!(seen.faults, want);
    assert!(
        seen.roles
            .iter()
            .filter(|r| r.2 == Leadership::Leads)
            .count()
            >= 2
    );
}

#[test]
fn a_fault_waiting_for_an_election_strikes_when_one_starts() {
    let text = r#"
protocol = "raft"
seed = 3

[[fault]]
at_ms = 0
when = "seeks"
after_ms = 1.5
crash = "n2"
for_ms = 3
"#;
    let (seen, _) = watch(&parse(text));
    let t = seen.first(Leadership::Seeks).0;
    assert_eq!(
        seen.faults.get(1),
        Some(&(t + Time::micros(1_500), "crash n2 for 3.0ms".to_string()))
    );
}

#[test]
fn a_repair_disarms_a_fault_that_has_not_struck() {
    // Raft's first election timeout is at least 150 ms: the repair at 10 ms comes first.
    let text = r#"
protocol = "raft"
seed = 3

[[fault]]
at_ms = 0
when = "leads"
crash = "leader"

[[fault]]
at_ms = 10
repair = true
"#;
    let (seen, _) = watch(&parse(text));
    assert!(seen.roles.iter().any(|r| r.2 == Leadership::Leads));
    let crashes: Vec<_> = (seen.faults.iter())
        .filter(|f| f.1.starts_with("crash"))
        .collect();
    assert!(crashes.is_empty(), "{crashes:?}");
    // Without the repair, the same fault strikes.
    let armed = parse(&text.replace("repair = true", "heal = true"));
    let (seen, _) = watch(&armed);
    assert!(seen.faults.iter().any(|f| f.1.starts_with("crash")));
}

#[test]
fn a_waiting_fault_is_written_back_as_it_was_read() {
    let s = parse(NEW_LEADER);
    let text = s.to_toml();
    assert!(text.contains("when = \"leads\"\nafter_ms = 2\n"), "{text}");
    let again = PROTOCOLS.parse("again.toml", &text).unwrap();
    assert_eq!(again.faults.len(), 1);
    assert_eq!(again.faults[0].when, s.faults[0].when);
    assert_eq!(again.faults[0].lasts, s.faults[0].lasts);
}

#[test]
fn a_bad_moment_is_refused_with_its_line() {
    let bad = NEW_LEADER.replace("\"leads\"", "\"wins\"");
    let e = PROTOCOLS.parse("bad.toml", &bad).unwrap_err().to_string();
    assert!(e.contains("bad.toml:7"), "{e}");
    assert!(
        e.contains("unknown moment `wins` (valid: leads, seeks, votes)"),
        "{e}"
    );
    let lonely = NEW_LEADER.replace("when = \"leads\"\n", "");
    let e = PROTOCOLS
        .parse("bad.toml", &lonely)
        .unwrap_err()
        .to_string();
    assert!(e.contains("give `when` too"), "{e}");
    let repair = "protocol = \"raft\"\n[[fault]]\nat_ms = 1\nwhen = \"leads\"\nrepair = true\n";
    let e = PROTOCOLS.parse("bad.toml", repair).unwrap_err().to_string();
    assert!(e.contains("a repair ends the faults at its time"), "{e}");
}

#[test]
fn a_shrunk_scenario_says_what_the_fault_waited_for() {
    let s = parse(NEW_LEADER);
    let d = synod_protocols::campaign::describe(&s, "election safety");
    assert!(
        d.contains(
            "the leader crashes 2.0ms after a node takes the lead (armed at 0.0ms) for 40.0ms"
        ),
        "{d}"
    );
}

/// The default swarm draws from the classic, targeted and the protocol's own nemeses, in the
/// order it always has (so that seeds draw the same faults), and leaves the moments out;
/// `moments`, `all` and `swarm:LIST` bring them in.
#[test]
fn the_default_swarm_leaves_the_moments_out() {
    use synod_protocols::nemesis::{MOMENTS, Mix, parse};
    let raft = PROTOCOLS.iter().find(|p| p.name == "raft").unwrap();
    let own = raft.campaign.nemeses;
    let names = |m: &Mix| m.pool().iter().map(|n| n.name).collect::<Vec<_>>();
    let swarm = parse("swarm", own).unwrap();
    assert!(matches!(swarm, Mix::Swarm(_)));
    let pool = names(&swarm);
    assert_eq!(
        pool,
        [
            "crash",
            "partition",
            "loss",
            "duplicate",
            "delay",
            "slow",
            "hold",
            "crash-leader",
            "isolate-leader",
            "ring",
            "bridge",
            "storm",
            "skew",
            "membership",
            "transfer"
        ]
    );
    // `overlap` needs two spares: Raft's own, in `own` and `all`, not in the swarm.
    assert!(names(&parse("own", own).unwrap()).contains(&"overlap"));
    assert!(names(&parse("all", own).unwrap()).contains(&"overlap"));
    assert_eq!(names(&parse("moments", own).unwrap()), MOMENTS);
    let all = names(&parse("all", own).unwrap());
    assert!(MOMENTS.iter().all(|m| all.contains(m)), "{all:?}");
    let e = parse("swarm:nope", own).unwrap_err();
    assert!(
        e.contains("groups: all, classic, targeted, moments, own"),
        "{e}"
    );
}

/// The moments draw faults that wait: `crash-new-leader` one crash of the next leader,
/// `restart-voter` the leader cut off and a short crash armed for the election it causes.
#[test]
fn the_moment_nemeses_draw_faults_that_wait() {
    use synod_protocols::scenario::FaultAction;
    let draw = |spec: &str| draw(spec, 7, Time::ms(1_000));
    let new_leader = draw("crash-new-leader");
    assert_eq!(new_leader.len(), 1);
    let f = &new_leader[0];
    assert_eq!(f.action, FaultAction::Crash("leader".into()));
    let m = f.when.expect("it waits");
    assert_eq!(m.on, On::Leads);
    assert!(m.after < Time::ms(20), "{m:?}");
    let voter = draw("restart-voter");
    assert_eq!(voter.len(), 2, "{voter:?}");
    assert_eq!(
        voter[0].action,
        FaultAction::Partition(vec![vec!["leader".into()], vec!["*".into()]])
    );
    assert_eq!(voter[0].when, None);
    let m = voter[1].when.expect("it waits");
    assert_eq!(m.on, On::Seeks);
    assert!(m.after < Time::ms(30), "{m:?}");
    let down = voter[1].lasts.unwrap();
    assert!(down >= Time::micros(500) && down < Time::ms(5), "{down}");
}

/// The moment of the first leader of `NEW_LEADER`'s cluster (raft, seed 3).
fn first_leader_at() -> Time {
    let (seen, _) = watch(&parse(NEW_LEADER));
    seen.first(Leadership::Leads).0
}

#[test]
fn a_repair_between_the_moment_and_the_strike_cancels_the_fault() {
    let t = first_leader_at();
    let text = format!(
        r#"
protocol = "raft"
seed = 3

[[fault]]
at_ms = 0
when = "leads"
after_ms = 20
crash = "leader"
for_ms = 300

[[fault]]
at_ms = {}
repair = true
"#,
        (t + Time::ms(10)).as_micros() as f64 / 1_000.0
    );
    let (seen, _) = watch(&parse(&text));
    let crashes: Vec<_> = (seen.faults.iter())
        .filter(|f| f.1.starts_with("crash"))
        .collect();
    assert!(crashes.is_empty(), "{crashes:?}");
    // Repaired after the strike instead, it strikes.
    let late = text.replace(
        &format!(
            "at_ms = {}",
            (t + Time::ms(10)).as_micros() as f64 / 1_000.0
        ),
        &format!(
            "at_ms = {}",
            (t + Time::ms(30)).as_micros() as f64 / 1_000.0
        ),
    );
    let (seen, _) = watch(&parse(&late));
    assert!(seen.faults.iter().any(|f| f.1.starts_with("crash")));
}

#[test]
fn a_run_waits_for_a_fired_fault_to_be_undone() {
    // The cut strikes at the first leader's moment plus 20 ms and lasts a second: the run, with
    // a short settle time, ends only after it heals, and the stores have converged.
    let text = r#"
protocol = "raft"
seed = 3
settle_ms = 100

[[fault]]
at_ms = 0
when = "leads"
after_ms = 20
partition = "leader | *"
for_ms = 1000

[expect]
converged = true
all_requests_complete = true
"#;
    let t = first_leader_at();
    let s = parse(text);
    let mut sys = system::build(&s).unwrap();
    let checks = Checks::attach(&mut sys);
    let end = sys.sim.run();
    let report = synod_protocols::judge::judge(&sys, &checks, &s, end);
    assert!(
        sys.sim.now() >= t + Time::ms(1_020) + Time::ms(100),
        "ended at {}",
        sys.sim.now()
    );
    assert!(report.passed(), "{:?}", report.verdicts);
}

const VOTER: &str = r#"
protocol = "raft"
seed = 3

[[fault]]
at_ms = 0
when = "votes"
crash = "voter"
for_ms = 2
"#;

#[test]
fn a_fault_waiting_for_a_vote_crashes_the_voter_as_it_answers() {
    let (seen, names) = watch(&parse(VOTER));
    let (seeks, candidate) = seen.first(Leadership::Seeks);
    let (leads, leader) = seen.first(Leadership::Leads);
    // The vote comes after the request and before the candidate counts it; the crash is
    // bound to the node that voted, and named.
    let (t, crash) = &seen.faults[1];
    assert!(seeks < *t && *t < leads, "{seeks} < {t} < {leads}");
    let (back, restart) = &seen.faults[2];
    assert_eq!(*back, *t + Time::ms(2));
    let voter = restart.strip_prefix("restart ").expect(restart);
    assert_eq!(crash, &format!("crash {voter} for 2.0ms"));
    assert!(
        voter != names[candidate.index()] && voter != names[leader.index()],
        "the voter {voter} is neither the candidate nor the leader"
    );
    assert_eq!(seen.faults.len(), 3, "one shot: {:?}", seen.faults);
}

#[test]
fn a_fault_whose_wait_runs_out_never_strikes() {
    // Raft's first election comes after an election timeout, at least 150 ms: a fault that
    // waits 50 ms for a vote is gone by then; one that waits 500 ms strikes.
    let short = VOTER.replace("for_ms = 2", "for_ms = 2\nwithin_ms = 50");
    let (seen, _) = watch(&parse(&short));
    assert_eq!(
        seen.faults,
        [(
            Time::ZERO,
            "armed: crash voter for 2.0ms, when a node next votes within 50.0ms".to_string()
        )]
    );
    let long = VOTER.replace("for_ms = 2", "for_ms = 2\nwithin_ms = 500");
    let (seen, _) = watch(&parse(&long));
    assert_eq!(seen.faults.len(), 3, "{:?}", seen.faults);
}

#[test]
fn a_wait_is_written_back_and_checked() {
    let s = parse(&VOTER.replace("for_ms = 2", "for_ms = 2\nwithin_ms = 50\nafter_ms = 0.5"));
    let text = s.to_toml();
    assert!(
        text.contains("when = \"votes\"\nafter_ms = 0.5\nwithin_ms = 50\n"),
        "{text}"
    );
    assert!(text.contains("crash = \"voter\""), "{text}");
    let again = PROTOCOLS.parse("again.toml", &text).unwrap();
    assert_eq!(again.faults[0].when, s.faults[0].when);
    let zero = VOTER.replace("for_ms = 2", "for_ms = 2\nwithin_ms = 0");
    let e = PROTOCOLS.parse("bad.toml", &zero).unwrap_err().to_string();
    assert!(e.contains("bad.toml:10"), "{e}");
    assert!(e.contains("must be above 0"), "{e}");
    let lonely = VOTER.replace("when = \"votes\"\n", "within_ms = 5\n");
    let e = PROTOCOLS
        .parse("bad.toml", &lonely)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`within_ms` is how long a fault waits"), "{e}");
    let d = synod_protocols::campaign::describe(&s, "election safety");
    assert!(
        d.contains(
            "the voter crashes 0.5ms after a node gives its vote (armed at 0.0ms, waiting 50.0ms) for 2.0ms"
        ),
        "{d}"
    );
}

/// `revote`: the leader crash-restarts, and a crash of the first voter is armed from the
/// leader's restart, for a bounded while.
#[test]
fn revote_crashes_the_leader_then_the_first_voter() {
    use synod_protocols::scenario::FaultAction;
    let out = draw("revote", 7, Time::ms(1_000));
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0].action, FaultAction::Crash("leader".into()));
    let down = out[0].lasts.unwrap();
    assert!(down >= Time::micros(500) && down <= Time::ms(3), "{down}");
    assert_eq!(out[1].action, FaultAction::Crash("voter".into()));
    assert_eq!(out[1].at, out[0].at + down, "armed as the leader restarts");
    let m = out[1].when.expect("it waits");
    assert_eq!(m.on, On::Votes);
    assert!(m.after < Time::micros(500), "{m:?}");
    assert_eq!(m.within, Some(Time::ms(600)));
}

/// What `revote` is for: Raft's `votedFor` kept on disk. Without it (the planted bug
/// `forget-vote-on-restart`) a campaign of `revote` finds two leaders in one term within a
/// few dozen seeds; with it, none in as many.
#[test]
fn revote_finds_a_forgotten_vote() {
    let found = support::failing_seeds("raft", "revote", Some("forget-vote-on-restart"), 1..=60);
    assert!(found.len() >= 3, "{found:?}");
    assert_eq!(
        support::failing_seeds("raft", "revote", None, 1..=60),
        Vec::<u64>::new()
    );
}

/// Every protocol announces its votes: a Paxos or Multi-Paxos acceptor's promise at the first
/// Phase 1, a VR replica's `DoViewChange` once its primary is gone.
#[test]
fn every_protocol_announces_its_votes() {
    for (protocol, before) in [
        ("paxos", ""),
        ("multipaxos", ""),
        (
            "vr",
            "[[fault]]\nat_ms = 100\ncrash = \"n1\"\nfor_ms = 50\n",
        ),
    ] {
        let text = format!(
            "protocol = \"{protocol}\"\nseed = 3\n\n{before}\n[[fault]]\nat_ms = 0\nwhen = \"votes\"\ncrash = \"voter\"\nfor_ms = 2\n"
        );
        let (seen, _) = watch(&parse(&text));
        assert!(
            (seen.faults.iter())
                .any(|f| f.1.starts_with("crash ") && !f.1.starts_with("crash voter")),
            "{protocol}: {:?}",
            seen.faults
        );
    }
}

/// The crash a vote releases strikes that voter, even when others vote before it strikes: in
/// a five-server election the other followers answer within milliseconds of each other.
#[test]
fn a_fault_released_by_a_vote_strikes_that_voter() {
    let five = VOTER.replace("seed = 3\n", "seed = 3\n[cluster]\nnodes = 5\n");
    let struck = |after: &str| {
        let text = five.replace("for_ms = 2", &format!("for_ms = 2\nafter_ms = {after}"));
        let (seen, _) = watch(&parse(&text));
        seen.restarted().to_string()
    };
    assert_eq!(struck("0"), struck("8"));
}

/// A proposer's promise to itself is part of seeking, not a vote: a crash of the voter never
/// strikes the proposer whose Prepare released it.
#[test]
fn a_paxos_proposer_does_not_vote_for_itself() {
    for seed in 1..=20 {
        let text = format!(
            "protocol = \"paxos\"\nseed = {seed}\n\n[[fault]]\nat_ms = 0\nwhen = \"votes\"\ncrash = \"voter\"\nfor_ms = 2\n"
        );
        let (seen, names) = watch(&parse(&text));
        let (_, proposer) = seen.first(Leadership::Seeks);
        assert_ne!(seen.restarted(), names[proposer.index()], "seed {seed}");
    }
}

#[test]
fn voter_and_seeker_are_not_node_names() {
    for name in ["voter", "seeker"] {
        let text = format!(
            "protocol = \"raft\"\n[cluster]\nnodes = 3\nnames = [\"a\", \"{name}\", \"c\"]\n"
        );
        let e = PROTOCOLS
            .parse("names.toml", &text)
            .unwrap_err()
            .to_string();
        assert!(e.contains(&format!("`{name}` is reserved")), "{e}");
    }
}

/// `revote` never arms its wait at or after the end of the window, which the final repair
/// closes: a crash armed after it would strike during the liveness period.
#[test]
fn revote_arms_nothing_after_the_window() {
    let window = Time::ms(2);
    let mut armed = 0;
    for seed in 0..500 {
        let out = draw("revote", seed, window);
        for f in out.iter().filter(|f| f.when.is_some()) {
            assert!(f.at < window, "seed {seed}: {f:?}");
            armed += 1;
        }
        // The leader is back by the window's end (where the repair restarts it anyway).
        assert!(
            out[0].at + out[0].lasts.unwrap() <= window,
            "seed {seed}: {out:?}"
        );
    }
    // Most draws still arm it.
    assert!(armed > 100, "{armed}");
}

/// `comeback`: the leader is cut off alone past an election timeout, and a crash of whoever
/// leads next is armed for as long as the cut lasts, to strike 20-100 ms after it leads and
/// last past the cut's end.
#[test]
fn comeback_cuts_the_leader_off_then_crashes_its_successor() {
    use synod_protocols::scenario::FaultAction;
    for seed in 1..=20 {
        let out = draw("comeback", seed, Time::ms(5_000));
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(
            out[0].action,
            FaultAction::Partition(vec![vec!["leader".into()], vec!["*".into()]])
        );
        let cut = out[0].lasts.unwrap();
        assert!(cut < Time::ms(800), "{cut}");
        // (Less only where the window ends first.)
        let room = Time::ms(5_000) - out[0].at;
        assert!(cut >= Time::ms(200) || cut < room, "{cut}");
        assert_eq!(out[1].action, FaultAction::Crash("leader".into()));
        assert_eq!(out[1].at, out[0].at, "armed as the cut begins");
        let m = out[1].when.expect("it waits");
        assert_eq!(m.on, On::Leads);
        assert!(m.after >= Time::ms(20) && m.after <= Time::ms(100), "{m:?}");
        assert_eq!(
            m.within,
            Some(cut),
            "a successor elected while the cut lasts"
        );
        // Down past the cut, and over before the window ends even if it strikes last.
        let down = out[1].lasts.unwrap();
        let latest = out[1].at + cut + m.after + down;
        assert!(latest < Time::ms(5_000), "{latest}");
        assert!(
            down > cut || latest + Time::ms(800) >= Time::ms(5_000),
            "{down} {cut}"
        );
    }
}

/// `bounce-leader`: the leader's messages to a minority are cut one way for 20-100 ms, and as
/// the cut heals the leader crashes and restarts within 1 ms.
#[test]
fn bounce_leader_cuts_a_minority_behind_then_restarts_the_leader_at_once() {
    use synod_protocols::scenario::FaultAction;
    let mut behind_counts = std::collections::BTreeSet::new();
    for seed in 1..=40 {
        let out = draw("bounce-leader", seed, Time::ms(5_000));
        assert_eq!(out.len(), 2, "{out:?}");
        let FaultAction::OneWay(from, to) = &out[0].action else {
            panic!("{out:?}")
        };
        assert_eq!(from, &vec!["leader".to_string()]);
        // A minority of the three servers: one.
        assert_eq!(to.len(), 1, "{to:?}");
        behind_counts.insert(to[0].clone());
        let cut = out[0].lasts.unwrap();
        assert!(cut >= Time::ms(20) && cut <= Time::ms(100), "{cut}");
        assert_eq!(out[1].action, FaultAction::Crash("leader".into()));
        assert_eq!(
            out[1].at,
            out[0].at + cut,
            "the crash comes as the cut heals"
        );
        assert!(out[1].when.is_none());
        let down = out[1].lasts.unwrap();
        assert!(down > Time::ZERO && down <= Time::ms(1), "{down}");
    }
    // Any server may be left behind.
    assert_eq!(behind_counts.len(), 3, "{behind_counts:?}");
    // Of five servers, two fall behind: a minority, not one server.
    for seed in 1..=40 {
        let out = draw_among(
            &["n1", "n2", "n3", "n4", "n5"],
            "bounce-leader",
            seed,
            Time::ms(5_000),
        );
        let FaultAction::OneWay(_, to) = &out[0].action else {
            panic!("{out:?}")
        };
        assert!(to.len() == 2 && to[0] != to[1], "{to:?}");
    }
    // Near the window's end the cut is cut short and heals before the window ends, and the
    // crash still comes as it heals, over by the final repair.
    let window = Time::ms(60);
    let mut short = 0;
    for seed in 1..=40 {
        let out = draw("bounce-leader", seed, window);
        let cut = out[0].lasts.unwrap();
        assert!(out[0].at + cut < window, "{out:?}");
        short += usize::from(cut < Time::ms(20));
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[1].at, out[0].at + cut, "{out:?}");
        assert!(out[1].at + out[1].lasts.unwrap() <= window, "{out:?}");
    }
    assert!(short > 0, "no cut was cut short");
}

/// A shrunk scenario tells a bounce as it is: a crash of 16 us is not "for 0.0ms".
#[test]
fn a_shrunk_bounce_says_how_short_the_crash_was() {
    let text = r#"
protocol = "vr"

[[fault]]
at_ms = 159.102
for_ms = 28.158
one_way = { from = ["leader"], to = ["n1", "n2"] }

[[fault]]
at_ms = 187.26
for_ms = 0.016
crash = "leader"
"#;
    let d = synod_protocols::campaign::describe(&parse(text), "view completeness");
    assert!(
        d.contains("the leader cannot reach n1, n2 at 159.1ms for 28.2ms; the leader crashes at 187.3ms for 16 us"),
        "{d}"
    );
}

/// What `bounce-leader` is for: a VR primary restarts while its next successor may lag, and
/// its `Recovery` reaches replicas already changing views. A replica that answers it then
/// (the planted bug `recovery-answer-in-view-change`) hands over the primary-to-be's short
/// log; the correct replicas wait for the view to start. Over the old default's 5,000 ms
/// with 20 faults, to keep the test short.
#[test]
fn bounce_leader_finds_a_recovery_answered_during_a_view_change() {
    let plan = synod_protocols::campaign::Plan {
        window: Time::ms(5_000),
        intensity: 20,
        ..support::plan("vr", "bounce-leader")
    };
    let failing = |bug| support::failures("vr", &plan, bug, 1..=20);
    let found = failing(Some("recovery-answer-in-view-change"));
    assert!(found.len() >= 4, "{found:?}");
    assert!(
        found
            .iter()
            .all(|(_, property)| property == "view completeness"),
        "{found:?}"
    );
    assert_eq!(failing(None), Vec::new());
}

/// What `comeback` is for: a VR primary cut off alone keeps the requests its clients send, and
/// comes back to a view change its successor misses. A new primary that takes the longest
/// log whatever its view (the planted bug `ignore-last-normal-view`) loses what the
/// successor's view committed; the correct one, and its state transfer, lose nothing.
#[test]
fn comeback_finds_a_view_change_that_ignores_last_normal_views() {
    let bug = Some("ignore-last-normal-view");
    let found = support::failing_seeds("vr", "comeback", bug, 1..=40);
    assert!(found.len() >= 3, "{found:?}");
    assert_eq!(
        support::failing_seeds("vr", "comeback", None, 1..=40),
        Vec::<u64>::new()
    );
}

/// Five Raft servers without PreVote: the first to seek the lead is a real candidate.
const FIVE_NO_PRE_VOTE: &str =
    "protocol = \"raft\"\nseed = 3\n\n[cluster]\nnodes = 5\n\n[raft]\npre_vote = false\n\n";

/// `seeker` names the node whose attempt to lead released the fault, whatever the delay: the
/// first candidate of a five-server cluster (the name is bound when the moment comes, so the
/// trace shows the node, not `seeker`).
#[test]
fn a_fault_released_by_an_attempt_to_lead_strikes_that_seeker() {
    let text = format!(
        "{FIVE_NO_PRE_VOTE}[[fault]]\nat_ms = 0\nwhen = \"seeks\"\nafter_ms = AFTER\nhold = \"seeker\"\nfor_ms = 5\n"
    );
    for after in ["0", "30"] {
        let (seen, names) = watch(&parse(&text.replace("AFTER", after)));
        let (t, candidate) = seen.first(Leadership::Seeks);
        let held = format!("hold {} for 5.0ms", names[candidate.index()]);
        let after_ms: u64 = after.parse().unwrap();
        assert_eq!(
            seen.faults.get(1),
            Some(&(t + Time::ms(after_ms), held)),
            "after {after}: {:?}",
            seen.faults
        );
    }
}

/// The binding holds when another node starts trying to lead before the fault strikes. The
/// first candidate's messages are held at once (the votes its requests already sent may still
/// make it leader, but nobody hears from it again), so another server times out and seeks a
/// later term; the second fault, released by the first candidate's attempt but striking 350 ms
/// later, still strikes that first candidate, not the latest seeker.
#[test]
fn a_seeker_stays_bound_when_another_seeks_before_the_fault_strikes() {
    let text = FIVE_NO_PRE_VOTE.to_string()
        + r#"
[[fault]]
at_ms = 0
when = "seeks"
hold = "seeker"
for_ms = 400

[[fault]]
at_ms = 0
when = "seeks"
after_ms = 350
hold = "seeker"
for_ms = 7
"#;
    let (seen, names) = watch(&parse(&text));
    let (t, first) = seen.first(Leadership::Seeks);
    let strike = t + Time::ms(350);
    let others: Vec<NodeId> = (seen.roles.iter())
        .filter(|r| r.2 == Leadership::Seeks && r.0 > t && r.0 < strike && r.1 != first)
        .map(|r| r.1)
        .collect();
    assert!(!others.is_empty(), "nobody else sought: {:?}", seen.roles);
    let held = format!("hold {} for 7.0ms", names[first.index()]);
    assert!(
        seen.faults.contains(&(strike, held.clone())),
        "want {held} at {strike}: {:?}",
        seen.faults
    );
}

/// `figure8`: the leader cut off with as many servers as leave it a minority, for 350-800 ms,
/// early enough in the window for the whole story (2.8 s) to play; the first to be granted a
/// vote after the cut held at once, for the cut's length and 400-800 ms more; and, armed at the
/// heal, the next to lead held 2 to 4 message delays into its term, with every server the cut
/// kept beside the old leader.
#[test]
fn figure8_cuts_the_leader_off_then_holds_two_leaders_in_turn() {
    use synod_protocols::scenario::FaultAction;
    for (names, kept) in [
        (&["n1", "n2", "n3"][..], 0),
        (&["n1", "n2", "n3", "n4", "n5"], 1),
    ] {
        for seed in 1..=40 {
            let out = draw_among(names, "figure8", seed, Time::ms(60_000));
            assert_eq!(out.len(), 3 + kept, "{out:?}");
            assert!(out[0].at < Time::ms(57_200), "{out:?}");
            let FaultAction::Partition(groups) = &out[0].action else {
                panic!("{out:?}")
            };
            assert_eq!(groups[0][0], "leader");
            assert_eq!(groups[0].len(), 1 + kept, "{groups:?}");
            assert_eq!(groups[1], vec!["*".to_string()]);
            let cut = out[0].lasts.unwrap();
            assert!(cut >= Time::ms(350) && cut < Time::ms(800), "{cut}");
            let heal = out[0].at + cut;

            // The seeker, held as it is granted a vote, until well after the heal.
            assert_eq!(out[1].action, FaultAction::Hold("seeker".into()));
            assert_eq!(out[1].at, out[0].at);
            let m = out[1].when.unwrap();
            assert_eq!(
                (m.on, m.within, m.after),
                (On::Votes, Some(cut), Time::ZERO)
            );
            let held = out[1].lasts.unwrap();
            assert!(held >= cut + Time::ms(400) && held < cut + Time::ms(800));

            // The next leader after the heal, and those it kept, held a few rounds in.
            for f in &out[2..] {
                let m = f.when.unwrap();
                assert_eq!(f.at, heal);
                assert_eq!((m.on, m.within), (On::Leads, Some(Time::ms(600))));
                assert!(m.after >= Time::ms(20) && m.after < Time::ms(40), "{m:?}");
                assert!(f.lasts.unwrap() >= Time::ms(1_000), "{f:?}");
            }
            assert_eq!(out[2].action, FaultAction::Hold("leader".into()));
            for (f, n) in out[3..].iter().zip(&groups[0][1..]) {
                assert_eq!(f.action, FaultAction::Hold(n.clone()));
            }
        }
    }
    // Near the window's end (a window shorter than the story: it may start anywhere) every
    // fault is over by the final repair (which disarms a hold still waiting, and releases
    // every held server): one that may strike after the window's end lasts 1 us.
    let window = Time::ms(1_000);
    for seed in 1..=40 {
        for f in draw("figure8", seed, window) {
            let strikes_by = f.at + f.when.map_or(Time::ZERO, |m| m.within.unwrap() + m.after);
            let lasts = f.lasts.unwrap();
            if strikes_by < window {
                assert!(strikes_by + lasts <= window, "{f:?}");
            } else {
                assert_eq!(lasts, Time::micros(1), "{f:?}");
            }
        }
    }
}

/// What `figure8` is for: Raft's Figure 8 from random times. On the section-5 cluster
/// (scenarios/raft-section5.toml), a leader that commits its older entries by counting copies
/// (the planted bug `commit-old-term`) loses them to the leader held before it, on most seeds
/// of one story each; the correct leader waits for an entry of its term (5.4.2) and loses
/// nothing.
#[test]
fn figure8_finds_an_old_term_committed_by_counting() {
    use synod_protocols::campaign::{self, Outcome, Plan};
    let plan = Plan {
        intensity: 1,
        vary: false,
        ..support::plan("raft", "figure8")
    };
    let failing = |bug: Option<&str>| {
        let mut base = support::load("raft-section5.toml");
        base.bug = bug.map(String::from);
        (1..=20)
            .filter_map(
                |seed| match campaign::run_seed(&base, &plan, seed).unwrap().outcome {
                    Outcome::Pass => None,
                    Outcome::Fail { property, .. } => Some((seed, property)),
                    other => Some((seed, format!("{other:?}"))),
                },
            )
            .collect::<Vec<_>>()
    };
    let found = failing(Some("commit-old-term"));
    assert!(found.len() >= 10, "{found:?}");
    assert!(
        found.iter().all(|(_, p)| p == "leader completeness"),
        "{found:?}"
    );
    assert_eq!(failing(None), Vec::new());
}
