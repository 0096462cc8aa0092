//! The journal is exact: replaying what it wrote gives back `durable()`, after every event of
//! simulated Raft runs with crashes, partitions, loss, duplication and delays; and a server
//! restarted from the replayed state is the one the simulator restarts.

use synod_core::NodeId;
use synod_core::{Process, Time};
use synod_protocols::kv::Workload;
use synod_protocols::raft::{self, Durable, RaftConfig, RaftNode};
use synod_serve::protocol::Protocol;
use synod_serve::raft::{RaftProtocol, replay};
use synod_sim::{FaultKind, FaultPlan, NetConfig, SimConfig, Step, random_faults};

fn durable(n: &RaftNode) -> Durable {
    n.durable().unwrap_or_default()
}

/// What one seed did.
struct Seen {
    events: u64,
    bytes: u64,
    longest: u64,
    /// Turns that replaced entries on disk.
    rewrites: u64,
    /// Turns that wrote a snapshot.
    snapshots: u64,
}

/// Runs one seed.
fn run_seed(seed: u64) -> Seen {
    let servers = 5;
    let names: Vec<String> = (1..=servers).map(|i| format!("n{i}")).collect();
    // Snapshots every 16 entries: the runs compact logs and send InstallSnapshot often.
    let cfg = RaftConfig {
        snapshot_every: 16,
        ..RaftConfig::with_servers(servers)
    };
    let specs = raft::specs(&names);
    let workload = Workload {
        requests_per_client: 60,
        ..Workload::default()
    };
    let sim_cfg = SimConfig {
        seed,
        net: NetConfig {
            loss: 0.02,
            duplicate: 0.02,
            ..NetConfig::default()
        },
        until: Time::ms(20_000),
        ..SimConfig::default()
    };
    let mut sim = raft::simulation(sim_cfg, cfg.clone(), specs, 4, workload, true);
    let ids: Vec<NodeId> = (0..servers as u32).map(NodeId).collect();
    let plan = FaultPlan {
        kinds: vec![
            FaultKind::Crash,
            FaultKind::Partition,
            FaultKind::Loss,
            FaultKind::Duplicate,
            FaultKind::Delay,
            FaultKind::Hold,
        ],
        window: Time::ms(8_000),
        count: 14,
        max_duration: Time::ms(1_500),
        latency: (Time::ms(1), Time::ms(10)),
    };
    for f in random_faults(seed, &ids, &plan) {
        sim.schedule(f);
    }

    // Per server: its journal, the state replayed from what the journal wrote, whether it was
    // up at the last look.
    let mut journals: Vec<RaftProtocol> = Vec::new();
    let mut disk: Vec<Durable> = Vec::new();
    for &id in &ids {
        let mut p = RaftProtocol::new(cfg.clone());
        let _ = p.build(id, Durable::default());
        journals.push(p);
        disk.push(Durable::default());
    }
    let mut up = vec![true; servers];
    let mut events = 0u64;
    let mut bytes = 0u64;
    let mut buf = Vec::new();
    let mut rewrites = 0u64;
    let mut snapshots = 0u64;
    loop {
        if let Step::End(_) = sim.step() {
            break;
        }
        events += 1;
        for (i, &id) in ids.iter().enumerate() {
            let now_up = sim.is_up(id);
            let Some(node) = sim.process(id).filter(|_| now_up) else {
                up[i] = false;
                continue;
            };
            if !up[i] {
                // Restarted: the simulator rebuilt it from what it kept at the crash, which
                // must be exactly what the journal put on disk.
                assert_eq!(
                    durable(node),
                    disk[i],
                    "seed {seed}: n{} restarted from a state the journal did not write",
                    i + 1
                );
                let mut p = RaftProtocol::new(cfg.clone());
                let _ = p.build(id, disk[i].clone());
                journals[i] = p;
                up[i] = true;
            }
            buf.clear();
            journals[i].journal(node, &mut buf);
            if !buf.is_empty() {
                bytes += buf.len() as u64;
                let before = disk[i].clone();
                replay(&mut disk[i], &buf).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
                let log = &disk[i].log;
                let kept = (log.first_index()..=before.log.last_index())
                    .all(|k| before.log.get(k) == log.get(k));
                if !kept {
                    rewrites += 1;
                }
                if before.snapshot != disk[i].snapshot {
                    snapshots += 1;
                }
            }
            assert_eq!(
                disk[i],
                durable(node),
                "seed {seed}, event {events}: n{}'s journal differs from its durable state",
                i + 1
            );
        }
    }
    assert!(
        sim.violation().is_none(),
        "seed {seed}: {:?}",
        sim.violation()
    );
    let longest = disk.iter().map(|d| d.log.last_index()).max().unwrap_or(0);
    Seen {
        events,
        bytes,
        longest,
        rewrites,
        snapshots,
    }
}

#[test]
fn replaying_the_journal_gives_back_durable_after_every_event_under_faults() {
    let mut total_events = 0;
    let mut total_rewrites = 0;
    let mut total_snapshots = 0;
    for seed in 1..=12 {
        let seen = run_seed(seed);
        total_rewrites += seen.rewrites;
        total_snapshots += seen.snapshots;
        assert!(
            seen.events > 1_000,
            "seed {seed}: only {} events",
            seen.events
        );
        assert!(
            seen.bytes > 0 && seen.longest > 20,
            "seed {seed}: log of {} entries",
            seen.longest
        );
        total_events += seen.events;
    }
    assert!(total_events > 20_000);
    // The runs must exercise the hard cases: a follower's conflicting suffix replaced, and
    // snapshots taken and installed (each a prefix of the log discarded on disk).
    assert!(total_rewrites > 0, "no run replaced log entries");
    assert!(
        total_snapshots > 12,
        "{total_snapshots} snapshots journaled"
    );
}

#[test]
fn a_truncated_log_is_journaled_as_a_truncation_then_the_new_entries() {
    use synod_protocols::kv::Command;
    use synod_protocols::raft::Entry;
    // Drive two journal turns by hand through a real server built from states: a log of
    // three entries of term 1, then the same log with entries 2..3 replaced by term 2.
    let cfg = RaftConfig::with_servers(3);
    let e = |term: u64, k: &str| Entry::command(term, None, Command::Get { key: k.into() });
    let mut first = Durable::default();
    for k in ["a", "b", "c"] {
        first.log.push(e(1, k));
    }
    let mut second = first.clone();
    second.log.truncate_from(2);
    second.log.push(e(2, "x"));
    second.current_term = 2;

    let mut p = RaftProtocol::new(cfg.clone());
    let _ = p.build(NodeId(0), Durable::default());
    let mut disk = Durable::default();
    let mut buf = Vec::new();
    let node1 = RaftProtocol::new(cfg.clone()).build(NodeId(0), first.clone());
    p.journal(&node1, &mut buf);
    replay(&mut disk, &buf).unwrap();
    assert_eq!(disk, first);
    let written_first = buf.len();
    buf.clear();
    let node2 = RaftProtocol::new(cfg).build(NodeId(0), second.clone());
    p.journal(&node2, &mut buf);
    replay(&mut disk, &buf).unwrap();
    assert_eq!(disk, second);
    // One state record, one truncation, one entry: much less than the whole log again.
    assert!(
        buf.len() < written_first,
        "{} vs {written_first}",
        buf.len()
    );
    buf.clear();
    p.journal(&node2, &mut buf);
    assert!(buf.is_empty(), "nothing changed, nothing written");
}
