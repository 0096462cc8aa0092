//! Raft as the registry lists it: the scenario keys it takes, and the system it builds
//! (servers `n1`..`nN` or the names given, then the clients).

use super::{
    BUGS, Bug, CommitObserver, Members, RaftChecker, RaftConfig, RaftNode, RaftServer, ReadMode,
};
use crate::kv::{self, Workload};
use crate::nemesis::{Draw, Nemesis};
use crate::protocol::{Campaign, FaultVerb, Protocol};
use crate::scenario::{FaultAction, Moment, Scenario, ScenarioError};
use crate::settings::{Invalid, Kind, Setting, Settings, Value};
use crate::system::{System, sim_config};
use std::sync::Arc;
use synod_core::{NodeId, Time};
use synod_sim::{Fault, NodeSpec, On, Sim, SimConfig, Target};

/// The most servers a Raft scenario may have. Every server keeps the progress of every other
/// (memory grows with the square of the count), every election asks every server, and the live
/// checks read every server after each event: 500 servers run 10 s of virtual time in about a
/// second; 1,000 spend a minute in split votes and elect nobody.
pub const MAX_SERVERS: u64 = 500;

/// `cluster.nodes`.
pub const NODES: Setting = Setting {
    key: "cluster.nodes",
    kind: Kind::Count {
        default: 5,
        min: 1,
        max: MAX_SERVERS,
        why_max: "every server keeps state for every other and every election asks them all: beyond 500, runs take minutes and elections keep splitting",
    },
    doc: "servers (named `n1`..`nN` unless `cluster.names` names them)",
};

/// `cluster.spares`.
pub const SPARES: Setting = Setting {
    key: "cluster.spares",
    kind: Kind::Count {
        default: 0,
        min: 0,
        max: MAX_SERVERS,
        why_max: "at most 500 servers in all",
    },
    doc: "servers beyond `cluster.nodes` that start empty and outside the configuration, for `add` to bring in (named after the others: `n6`..)",
};

/// `cluster.names`.
pub const NAMES: Setting = Setting {
    key: "cluster.names",
    kind: Kind::Names,
    doc: "the servers' names, in order (default `n1`..`nN`); as many as `cluster.nodes` plus `cluster.spares` if both are given",
};

/// `timing.election_timeout_ms`.
pub const ELECTION_TIMEOUT: Setting = Setting {
    key: "timing.election_timeout_ms",
    kind: Kind::RangeMs {
        default: (150.0, 300.0),
    },
    doc: "the randomized election timeout (section 5.2); min above 0",
};

/// `timing.heartbeat_ms`.
pub const HEARTBEAT: Setting = Setting {
    key: "timing.heartbeat_ms",
    kind: Kind::Ms { default: 50.0 },
    doc: "the leader's heartbeat interval; below the election timeout's min",
};

/// `timing.max_append_entries`.
pub const MAX_APPEND_ENTRIES: Setting = Setting {
    key: "timing.max_append_entries",
    kind: Kind::Count {
        default: 64,
        min: 1,
        max: 1_000_000,
        why_max: "a limit against typos",
    },
    doc: "the most entries one AppendEntries carries",
};

/// `timing.clock_drift_percent`.
pub const CLOCK_DRIFT: Setting = Setting {
    key: crate::campaign::CLOCK_DRIFT_KEY,
    kind: Kind::Count {
        default: 100,
        min: 0,
        max: 10_000,
        why_max: "a lease 101 times shorter than the election timeout is no lease",
    },
    doc: "how much faster one server's clock may run than another's, in percent: a lease read trusts a lease of election_timeout_ms.min / (1 + drift) (dissertation 6.4.1), and a campaign's clock nemeses never slow a clock beyond 1 + drift (at most 2)",
};

/// `raft.pre_vote`.
pub const PRE_VOTE: Setting = Setting {
    key: "raft.pre_vote",
    kind: Kind::Flag { default: true },
    doc: "PreVote (dissertation 9.6): a would-be candidate first asks whether it could win, so a server cut off in a minority never raises its term",
};

/// `raft.check_quorum`.
pub const CHECK_QUORUM: Setting = Setting {
    key: "raft.check_quorum",
    kind: Kind::Flag { default: true },
    doc: "CheckQuorum: a leader that has not heard from a majority within an election timeout steps down; and a server that hears a leader disregards requests for votes (dissertation 6.2, 4.2.3)",
};

/// The default of `raft.snapshot_every`: small, so that ordinary runs and campaigns exercise
/// compaction and `InstallSnapshot`.
pub const DEFAULT_SNAPSHOT_EVERY: u64 = 64;

/// `raft.snapshot_every`.
pub const SNAPSHOT_EVERY: Setting = Setting {
    key: "raft.snapshot_every",
    kind: Kind::Count {
        default: DEFAULT_SNAPSHOT_EVERY,
        min: 0,
        max: 1_000_000_000,
        why_max: "a limit against typos",
    },
    doc: "a server snapshots its store and client sessions and discards its log after this many applied entries (section 7); 0: never",
};

/// `raft.reads`.
pub const READS: Setting = Setting {
    key: "raft.reads",
    kind: Kind::Choice {
        options: &["log", "read_index", "lease"],
        default: "log",
    },
    doc: "how the leader serves reads: through the log like writes, by ReadIndex (a heartbeat round confirms it leads, 6.4) or by a lease (6.4.1; needs `check_quorum`)",
};

/// Raft's own keys.
pub const SETTINGS: &[Setting] = &[
    NODES,
    SPARES,
    NAMES,
    ELECTION_TIMEOUT,
    HEARTBEAT,
    MAX_APPEND_ENTRIES,
    CLOCK_DRIFT,
    PRE_VOTE,
    CHECK_QUORUM,
    SNAPSHOT_EVERY,
    READS,
];

/// `add = "n6"`: a membership change (dissertation 4.1).
pub const ADD: FaultVerb = FaultVerb {
    key: "add",
    doc: "tell the leader to add this server to the configuration (a spare of `cluster.spares`, or a server removed before): dissertation 4.1",
    expand: |node, names| admin("add", node, names),
};

/// `remove = "n2"`: a membership change (dissertation 4.1).
pub const REMOVE: FaultVerb = FaultVerb {
    key: "remove",
    doc: "tell the leader to remove this server from the configuration; `\"leader\"` removes the leader itself, which steps down once that is committed",
    expand: |node, names| admin("remove", node, names),
};

/// `transfer = "n3"`: a leadership transfer (dissertation 3.10).
pub const TRANSFER: FaultVerb = FaultVerb {
    key: "transfer",
    doc: "tell the leader to hand its leadership to this server (`TimeoutNow`, dissertation 3.10)",
    expand: |node, names| admin("transfer", node, names),
};

/// The `membership` nemesis: the leader is told to remove a random server, and to add it back
/// when the fault ends (the `add` is the undoing, not counted as a fault). Opt-in through
/// `--faults` too, where its name is [`synod_sim::FaultKind::Membership`]'s.
pub const MEMBERSHIP: Nemesis = Nemesis {
    name: "membership",
    doc: "the leader is told to remove a random server (`remove`), and to add it back (`add`) when the fault ends",
    draw: membership,
    spares: 0,
};

/// The `overlap` nemesis: the schedule of the single-server change bug (Ongaro, raft-dev,
/// 2015; the dissertation's 4.1 fixes it), drawn to strike whoever leads then. It needs two
/// spares (`cluster.spares`, as Raft's default campaign gives it in its story); without them
/// it draws nothing ([`Nemesis::spares`]).
pub const OVERLAP: Nemesis = Nemesis {
    name: "overlap",
    doc: "the single-server change bug's schedule (needs two spares, `cluster.spares = 2`, as the default campaign's story gives it): the leader is cut off alone and told to add a spare, which it cannot commit; the first server to give its vote in the election that follows is put on the old leader's side with that spare (a heal, then a cut) as its vote goes out, and the new leader is told at once to add the other spare; the two configurations have disjoint majorities unless a leader commits an entry of its term first",
    draw: overlap,
    spares: 2,
};

/// The `transfer` nemesis: the leader is told to hand its leadership to a random server.
pub const TRANSFER_LEADER: Nemesis = Nemesis {
    name: "transfer",
    doc: "the leader is told to hand its leadership to a random server (`transfer`)",
    draw: transfer,
    spares: 0,
};

fn membership(d: &mut Draw<'_>) {
    let n = d.server();
    let at = d.at();
    let lasts = d.lasts(at);
    d.push(at, FaultAction::Protocol("remove", n.clone()), None);
    d.push(at + lasts, FaultAction::Protocol("add", n), None);
}

/// How long an `overlap` story takes to play out at most: the next leader found (within
/// 800 ms), then the old one elected again on its side (a step down and an election or two).
pub const OVERLAP_SPAN: Time = Time::ms(2_000);

/// The single-server change bug's schedule, after Ongaro's counterexample (raft-dev, 2015),
/// drawn to strike whoever leads then, on four servers and two spares:
///
/// 1. The leader (L1) is cut off alone and told to add a spare (S1). It appends the
///    configuration of five and uses it, but cannot commit it.
/// 2. The others elect a new leader (L2); all three must vote. As the first of them (V) gives
///    its vote (its vote already out, so L2 still wins), the cuts are healed and the servers
///    split again: V, L1 and S1 on one side, L2, the third and the other spare (S2) on the
///    other. V has voted in L2's term but holds none of its entries.
/// 3. L2 is told at once to add S2. Correct, it refuses until its no-op is committed, which
///    needs V. With `change-before-term-commit` it appends its configuration of five and
///    commits it with the third and S2: three of its five.
/// 4. On the other side L1 steps down at V's answer and L1 or S1 wins a later term with V's
///    vote: three of L1's five, none of which holds L2's committed entries.
///
/// The two configurations are the same size, but each holds a different spare, so their
/// majorities need not meet: why a leader commits an entry of its own term before it changes
/// the membership: once its no-op is committed, no earlier leader's uncommitted change can win
/// an election again.
/// The first vote may go to a candidate that loses (a split vote), or L1 may no longer lead
/// when it comes (CheckQuorum); such draws miss the story, harmlessly.
fn overlap(d: &mut Draw<'_>) {
    let mut spares = d.spare_names().to_vec();
    // Once a seed: a second draw would add spares the first added, and is not the story
    // (measured: a spare added, truncated away and added again is left outside the
    // configuration with a diverging log; without PreVote its elections keep deposing the
    // leader, and it catches up seconds later).
    let added = |f: &crate::scenario::FaultSpec| matches!(&f.action, FaultAction::Protocol("add", n) if spares.contains(n));
    if spares.len() < OVERLAP.spares || d.drawn().iter().any(added) {
        return;
    }
    let i = d.rng.below(spares.len() as u64) as usize;
    let first = spares.swap_remove(i);
    let second = spares.swap_remove(d.rng.below(spares.len() as u64) as usize);
    let at = d.at_leaving(OVERLAP_SPAN);
    let all = || vec!["*".to_string()];
    d.push(
        at,
        FaultAction::Partition(vec![vec!["leader".into()], all()]),
        None,
    );
    d.push(at, FaultAction::Protocol("add", first.clone()), None);
    let wait = Time::ms(800);
    let votes = Moment {
        on: On::Votes,
        after: Time::ZERO,
        within: Some(wait),
    };
    d.push_when_for_good(at, votes, FaultAction::Heal);
    let side = vec!["voter".into(), "leader".into(), first];
    d.push_when_for_good(at, votes, FaultAction::Partition(vec![side, all()]));
    // The new leader wins as the last vote it needs arrives, a message delay or so after the
    // first.
    let leads = Moment {
        on: On::Leads,
        after: Time::ZERO,
        within: Some(wait + Time::ms(200)),
    };
    d.push_when_for_good(at, leads, FaultAction::Protocol("add", second));
}

fn transfer(d: &mut Draw<'_>) {
    let n = d.server();
    let at = d.at();
    d.push(at, FaultAction::Protocol("transfer", n), None);
}

/// Whether the seed reads by lease, as given or drawn so far: lease reads rest on CheckQuorum
/// (6.4.1), so a seed that has them keeps it on.
fn lease_reads(v: &crate::campaign::Vary<'_>) -> bool {
    v.is(READS.key, &Value::Word("lease".into()))
}

/// Raft's share of a campaign's configuration swarm ([`crate::campaign::Vary`]): each seed
/// draws a cluster of 3 or 5 servers; the paper's section 5 alone or with PreVote and
/// CheckQuorum (each on half the time: a bug that they mask is still met); reads through the
/// log, by ReadIndex, or by lease where CheckQuorum is on (6.4, 6.4.1); one entry per
/// AppendEntries (Figure 8's pace) or the default batch; snapshots never, every 4 entries or
/// every 64; on three seeds in four near-equal election timeouts (split votes, repeated
/// elections: measured, they meet PreVote's and 5.4.1's planted bugs most often); and on half
/// the seeds (besides the third every protocol draws) a client timeout of 40-100 ms, so that
/// clients retry while a leader changes and their first try may still commit: what the
/// sessions of section 6.3, and the snapshots that must keep them (section 7), are for.
fn vary(v: &mut crate::campaign::Vary<'_>) {
    let nodes = v.pick(&[3, 5]);
    v.set(NODES.key, Value::Count(nodes));
    let pre_vote = v.rng.chance(0.5);
    v.set(PRE_VOTE.key, Value::Flag(pre_vote));
    let check_quorum = v.rng.chance(0.5) || lease_reads(v);
    v.set(CHECK_QUORUM.key, Value::Flag(check_quorum));
    let reads: &[&str] = if v.is(CHECK_QUORUM.key, &Value::Flag(true)) {
        &["log", "read_index", "lease"]
    } else {
        &["log", "read_index"]
    };
    let read = v.pick(reads);
    v.set(READS.key, Value::Word(read.into()));
    let batch = v.pick(&[1, 64]);
    v.set(MAX_APPEND_ENTRIES.key, Value::Count(batch));
    let every = v.pick(&[0, 4, DEFAULT_SNAPSHOT_EVERY]);
    v.set(SNAPSHOT_EVERY.key, Value::Count(every));
    if v.rng.chance(0.75) {
        v.set(ELECTION_TIMEOUT.key, Value::RangeMs(100.0, 115.0));
    }
    v.short_timeouts(0.5, 100);
}

/// Figure 8's story ([`crate::protocol::Story`]): the `figure8` nemesis once, on the Raft the
/// paper tells it of, section 5 alone: no PreVote, no CheckQuorum (so reads go through the log),
/// no snapshots, the paper's election timeouts. Three servers, since a minority is one server
/// and the story holds one at a time; one entry per AppendEntries, since a new leader appends
/// its no-op at once and a batch that reaches an older term's entry carries the no-op too (and
/// 5.4.2 then commits both rightly). Measured, each of these raises how often the story ends
/// in the planted bug (docs/checking.md, "Choosing the default").
fn figure8_shape(v: &mut crate::campaign::Vary<'_>) {
    v.set(NODES.key, Value::Count(3));
    section5(v);
    v.set(MAX_APPEND_ENTRIES.key, Value::Count(1));
}

/// The single-server change bug's story: the `overlap` nemesis once, on the cluster it needs
/// (four servers and two spares), with section 5's elections (the paper's election timeouts
/// too: a split vote would give the first vote to a candidate that loses) and no snapshots.
fn overlap_shape(v: &mut crate::campaign::Vary<'_>) {
    v.set(NODES.key, Value::Count(4));
    v.set(SPARES.key, Value::Count(2));
    section5(v);
}

/// The Raft of the paper's section 5 alone, for the stories: no PreVote, no CheckQuorum unless
/// the scenario gives lease reads (which rest on it), reads through the log, no snapshots, the
/// paper's election timeouts of 150-300 ms.
fn section5(v: &mut crate::campaign::Vary<'_>) {
    v.set(PRE_VOTE.key, Value::Flag(false));
    v.set(READS.key, Value::Word("log".into()));
    if !lease_reads(v) {
        v.set(CHECK_QUORUM.key, Value::Flag(false));
    }
    v.set(SNAPSHOT_EVERY.key, Value::Count(0));
    v.set(ELECTION_TIMEOUT.key, Value::RangeMs(150.0, 300.0));
}

/// The single-server change bug's story, told on some seeds of Raft's default campaign.
const OVERLAP_STORY: crate::protocol::Story = crate::protocol::Story {
    nemesis: "overlap",
    percent: 25,
    span: OVERLAP_SPAN,
    shape: overlap_shape,
};

/// The story Raft's default campaign tells on some seeds.
const FIGURE8_STORY: crate::protocol::Story = crate::protocol::Story {
    nemesis: "figure8",
    percent: 25,
    span: crate::nemesis::FIGURE8_SPAN,
    shape: figure8_shape,
};

/// An order to the leader, once the server it names is known to exist.
fn admin(verb: &'static str, node: &str, names: &[String]) -> Result<Vec<Fault>, String> {
    let leader = verb == "remove" && node == "leader";
    if !leader && !names.iter().any(|n| n == node) {
        return Err(format!("no server `{node}` (nodes: {})", names.join(", ")));
    }
    Ok(vec![Fault::Admin {
        to: Target::Leader,
        verb,
        arg: node.to_string(),
    }])
}

/// Raft, as the registry lists it.
pub const PROTOCOL: Protocol = Protocol {
    name: "raft",
    summary: "Raft replicated KV: elections (PreVote, CheckQuorum), log replication, persistence, snapshots, membership changes, leadership transfer, ReadIndex and lease reads (the default)",
    docs: "docs/protocols/raft.md",
    bugs: BUGS,
    checks: &[
        "log matching",
        "leader append-only",
        "leader completeness",
        "state machine safety",
        "lease safety",
        "one vote per term",
    ],
    settings: &[SETTINGS, kv::CLIENT_SETTINGS],
    validate,
    faults: &[ADD, REMOVE, TRANSFER],
    campaign: Campaign {
        // Measured against the swarm and a score of mixes on every Raft bug (docs/checking.md,
        // "Choosing the default"): a leader cut off past an election timeout comes back with
        // a higher term, a stale log or entries nobody else has, what 5.3, 5.4.1 and Figure
        // 2's "convert to follower" guard against; a leader that crash-restarts leaves an
        // election among equals, whose first voter crash-restarts too, what a durable
        // votedFor guards against. Five seconds of faults meet these five times as often as
        // one; clients at 6 requests a second each, rather than back to back, keep the seeds
        // above 1,000 a second. A leader cut off with its clock at half speed (`slow-leader`)
        // keeps a lease past the others' election, what the drift margin of 6.4.1 is for.
        nemesis: "isolate-leader,revote,slow-leader",
        window: Time::ms(5_000),
        intensity: 20,
        rate: 6,
        nemeses: &[MEMBERSHIP, TRANSFER_LEADER, OVERLAP],
        vary,
        stories: &[FIGURE8_STORY, OVERLAP_STORY],
        ..Campaign::DEFAULT
    },
    legend: &[
        (
            "[n4 leader t1]",
            "n4 speaks, as leader of term 1 (or follower, candidate)",
        ),
        ("t3", "term 3"),
        (
            "9@t1",
            "the end of a log: index 9, an entry of term 1 (votes compare these, 5.4.1)",
        ),
        ("3/5", "3 of the 5 servers: votes, or copies of an entry"),
        (
            "entry 8, commit 7",
            "an AppendEntries brought entry 8; its leader has committed up to index 7",
        ),
    ],
    build,
    reference_model: false,
    explore: Some(super::explore::EXPLORE),
};

/// Raft's rules across keys.
fn validate(s: &Settings) -> Result<(), Invalid> {
    if let Some(names) = s.strings(&NAMES) {
        let want = s.count(&NODES) + s.count(&SPARES);
        if (s.given(&NODES) || s.given(&SPARES)) && names.len() as u64 != want {
            return Err(Invalid {
                key: NAMES.key,
                message: if s.given(&SPARES) {
                    format!(
                        "{} names given, but `cluster.nodes` and `cluster.spares` make {want}",
                        names.len(),
                    )
                } else {
                    format!(
                        "{} names given, but `cluster.nodes` is {}",
                        names.len(),
                        s.count(&NODES)
                    )
                },
            });
        }
        if s.given(&SPARES) && !s.given(&NODES) && names.len() as u64 <= s.count(&SPARES) {
            return Err(Invalid {
                key: SPARES.key,
                message: format!(
                    "{} spares of {} servers leave none in the configuration",
                    s.count(&SPARES),
                    names.len()
                ),
            });
        }
        if names.len() as u64 > MAX_SERVERS {
            return Err(Invalid {
                key: NAMES.key,
                message: format!("{} names; at most {MAX_SERVERS} servers", names.len()),
            });
        }
    }
    let (lo, _) = s.range(&ELECTION_TIMEOUT);
    if lo == Time::ZERO {
        return Err(Invalid {
            key: ELECTION_TIMEOUT.key,
            message: "min must be above 0".into(),
        });
    }
    if s.count(&NODES) + s.count(&SPARES) > MAX_SERVERS {
        return Err(Invalid {
            key: SPARES.key,
            message: format!(
                "{} nodes and {} spares: at most {MAX_SERVERS} servers",
                s.count(&NODES),
                s.count(&SPARES)
            ),
        });
    }
    if s.choice(&READS) == "lease" && !s.flag(&CHECK_QUORUM) {
        return Err(Invalid {
            key: if s.given(&CHECK_QUORUM) {
                CHECK_QUORUM.key
            } else {
                READS.key
            },
            message: "lease reads need `raft.check_quorum = true`: the lease rests on followers that disregard votes while they hear the leader (dissertation 6.4.1)".into(),
        });
    }
    let heartbeat = s.time(&HEARTBEAT);
    if heartbeat >= lo {
        return Err(Invalid {
            key: if s.given(&HEARTBEAT) {
                HEARTBEAT.key
            } else {
                ELECTION_TIMEOUT.key
            },
            message: format!(
                "the heartbeat interval ({heartbeat}) must be below the election timeout's minimum ({lo}), or followers start elections under a live leader"
            ),
        });
    }
    Ok(())
}

/// The servers' names: as given, or `n1`..`nN` (spares included).
fn server_names(s: &Settings) -> Vec<String> {
    s.strings(&NAMES).unwrap_or_else(|| {
        (1..=s.count(&NODES) + s.count(&SPARES))
            .map(|i| format!("n{i}"))
            .collect()
    })
}

/// The compaction interval a planted bug in snapshots turns snapshots on with, where the
/// settings have none: the smallest the campaigns' swarm draws.
const BUG_SNAPSHOT_EVERY: u64 = 4;

/// Raft's configuration as a scenario's settings give it, with a planted bug. A bug that lives
/// in a feature turns the feature on: `stale-lease-read` reads by lease,
/// `pre-vote-grants-real-vote` runs PreVote, and `snapshot-drops-sessions` snapshots (every 4
/// entries, `BUG_SNAPSHOT_EVERY`, where the settings say never).
pub fn config(st: &Settings, bug: Option<Bug>) -> RaftConfig {
    let names = server_names(st);
    let members = names.len() as u64 - st.count(&SPARES).min(names.len() as u64 - 1);
    let mut reads = ReadMode::from_name(st.choice(&READS)).unwrap_or(ReadMode::Log);
    let mut check_quorum = st.flag(&CHECK_QUORUM);
    if bug == Some(Bug::StaleLeaseRead) {
        reads = ReadMode::Lease;
        check_quorum = true;
    }
    // `pre-vote-grants-real-vote` lives in PreVote: without it, nothing is planted.
    let pre_vote = st.flag(&PRE_VOTE) || bug == Some(Bug::PreVoteGrantsRealVote);
    let mut snapshot_every = st.count(&SNAPSHOT_EVERY);
    if bug == Some(Bug::SnapshotDropsSessions) && snapshot_every == 0 {
        snapshot_every = BUG_SNAPSHOT_EVERY;
    }
    RaftConfig {
        servers: names.len(),
        initial: Members::new((0..members as u32).map(NodeId)),
        names,
        election_timeout: st.range(&ELECTION_TIMEOUT),
        heartbeat: st.time(&HEARTBEAT),
        max_entries: st.count(&MAX_APPEND_ENTRIES) as usize,
        pre_vote,
        check_quorum,
        snapshot_every,
        reads,
        clock_drift_percent: st.count(&CLOCK_DRIFT),
        bug,
    }
}

/// The configuration the servers of a scenario share (the explorer builds them from it too).
pub(super) fn scenario_config(s: &Scenario) -> Result<RaftConfig, ScenarioError> {
    Ok(config(&s.settings, s.planted(Bug::from_name)?))
}

fn build(s: &Scenario) -> Result<System, ScenarioError> {
    let cfg = scenario_config(s)?;
    let st = &s.settings;
    let names = cfg.names.clone();
    let servers = (0..names.len() as u32).map(NodeId).collect();
    let sim = simulation(
        sim_config(s),
        cfg,
        specs(&names),
        st.count(&kv::CLIENTS) as u32,
        kv::workload(st),
        true,
    );
    Ok(System::new(sim, servers))
}

/// The node specs of a Raft system's servers, named `names`.
pub fn specs(names: &[String]) -> Vec<NodeSpec> {
    names
        .iter()
        .map(|n| NodeSpec {
            name: n.clone(),
            role: "server".into(),
            client: false,
        })
        .collect()
}

/// A simulation of a Raft system: the servers `servers` (as many as `cfg.servers`), then
/// `clients` clients, with the observer that narrates when entries become committed. With
/// `checks`, the live checks that read the servers are installed ([`RaftChecker`]: log
/// matching, leader append-only, leader completeness, state machine safety of committed entries
/// and of the state machines at each applied index, lease safety, one vote per term).
pub fn simulation(
    sim: SimConfig,
    cfg: RaftConfig,
    servers: Vec<NodeSpec>,
    clients: u32,
    workload: Workload,
    checks: bool,
) -> Sim<RaftNode> {
    let cfg = Arc::new(cfg);
    let n = cfg.servers;
    let names = cfg.names.clone();
    let contacts: Vec<NodeId> = (0..n as u32).map(NodeId).collect();
    let mut s = kv::simulation(
        sim,
        servers,
        clients,
        contacts,
        workload,
        move |id, durable| RaftServer::new(cfg.clone(), id, durable),
    );
    // Under a schedule (an explorer's counterexample), handlers draw as the explorer did.
    s.seed_handlers_from_state();
    let mut observer = CommitObserver::new(names.clone());
    s.set_narrator(Box::new(move |node, nodes, out| {
        observer.observe(node, nodes, out)
    }));
    if checks {
        let mut checker = RaftChecker::new(names);
        s.set_state_check(Box::new(move |acted, nodes| {
            checker.check_acted(acted, nodes)
        }));
    }
    s
}
