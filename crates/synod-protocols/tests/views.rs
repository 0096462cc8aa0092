//! The protocols' views (`state` lines of the trace, what `synod view` draws): replaying a
//! node's `state` lines up to the end of a run gives exactly the state the node ends in, as its
//! status reports it (log length and last term, commit index, chosen prefix, promise, store).
// The tests read scenario files; the library itself does no IO.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use synod_core::{NodeStatus, ShowStore};
use synod_protocols::PROTOCOLS;
use synod_protocols::judge::Checks;
use synod_protocols::system;
use synod_sim::Shared;
use synod_sim::trace_out::{JsonTrace, json_header};

/// A node's state rebuilt from its `state` lines: key -> value (a field's text, or a row's
/// cells).
type Rebuilt = BTreeMap<String, serde_json::Value>;

/// Run a scenario with a JSON trace; each node's rebuilt state and final status.
fn run(file: &str) -> Vec<(Rebuilt, Option<NodeStatus>)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(file);
    let s = PROTOCOLS
        .parse(file, &std::fs::read_to_string(path).unwrap())
        .unwrap();
    let mut sys = system::build(&s).unwrap();
    let header = json_header(s.seed, s.protocol.name, sys.sim.specs());
    let trace = Shared::new(JsonTrace::new(Vec::new(), &header).unwrap());
    sys.sim.add_observer(Box::new(trace.clone()));
    let _checks = Checks::attach(&mut sys);
    sys.sim.run();
    let n = sys.sim.specs().len();
    let mut rebuilt = vec![Rebuilt::new(); n];
    let text = String::from_utf8(trace.borrow().writer().clone()).unwrap();
    let mut states = 0;
    for line in text.lines().skip(1) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["kind"] != "state" {
            continue;
        }
        states += 1;
        let node = &mut rebuilt[v["node"].as_u64().unwrap() as usize];
        for k in v["unset"].as_array().unwrap() {
            assert!(
                node.remove(k.as_str().unwrap()).is_some(),
                "{file}: unset of {k}, which was not set: {line}"
            );
        }
        for (k, val) in v["set"].as_object().unwrap() {
            node.insert(k.clone(), val.clone());
        }
    }
    assert!(states > 10, "{file}: {states} state lines");
    rebuilt.into_iter().zip(sys.sim.statuses()).collect()
}

fn fact<'a>(st: &'a NodeStatus, key: &str) -> &'a str {
    st.facts
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no fact {key} in {st:?}"))
}

fn field<'a>(r: &'a Rebuilt, key: &str) -> &'a str {
    r.get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("no field {key} in {r:?}"))
}

/// The `store` table as the store's own display: `{a: val_1, b: val_2}`.
fn store(r: &Rebuilt) -> String {
    let pairs: Vec<String> = r
        .iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("store/")?;
            Some(format!("{key}: {}", v[0].as_str().unwrap()))
        })
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

/// The rows of `table`, by numeric key.
fn rows(r: &Rebuilt, table: &str) -> BTreeMap<u64, Vec<String>> {
    r.iter()
        .filter_map(|(k, v)| {
            let i = k.strip_prefix(table)?.strip_prefix('/')?.parse().ok()?;
            let cells = v
                .as_array()?
                .iter()
                .map(|c| c.as_str().unwrap().to_string());
            Some((i, cells.collect()))
        })
        .collect()
}

#[test]
fn raft_states_replay_to_each_servers_final_log_commit_and_store() {
    // Figure 8: crashes, truncated and overwritten logs.
    let nodes = run("raft-figure8.toml");
    let mut servers = 0;
    for (r, st) in &nodes {
        let Some(st) = st else { continue };
        if st.role == "client" {
            assert!(r.is_empty(), "clients report no state: {r:?}");
            continue;
        }
        servers += 1;
        let log = rows(r, "log");
        // Indices 1..=n, no gap; the status reads `N entries, last term T`.
        assert_eq!(
            log.keys().copied().collect::<Vec<_>>(),
            (1..=log.len() as u64).collect::<Vec<_>>()
        );
        let last_term = log.values().last().map_or("0", |c| c[0].as_str());
        assert_eq!(
            fact(st, "log"),
            format!("{} entries, last term {last_term}", log.len())
        );
        assert_eq!(field(r, "commit"), fact(st, "commit"));
        assert_eq!(field(r, "applied"), fact(st, "applied"));
        assert_eq!(field(r, "role"), st.role);
        assert_eq!(format!("term {}", field(r, "term")), st.epoch);
        assert_eq!(store(r), ShowStore(st.store.as_ref().unwrap()).to_string());
    }
    assert_eq!(servers, 5);
}

#[test]
fn multipaxos_states_replay_to_each_nodes_final_promise_chosen_slots_and_store() {
    let nodes = run("multipaxos-leader-crash.toml");
    let (mut acceptors, mut learners) = (0, 0);
    for (r, st) in &nodes {
        let Some(st) = st else { continue };
        match st.role.as_str() {
            "acceptor" => {
                acceptors += 1;
                assert_eq!(field(r, "promised"), fact(st, "promised"));
                assert_eq!(rows(r, "accepted").len().to_string(), fact(st, "accepted"));
            }
            "leader" | "standby" | "replica" => {
                learners += 1;
                let chosen = rows(r, "chosen");
                let prefix: u64 = field(r, "chosen").parse().unwrap();
                assert!((1..=prefix).all(|s| chosen.contains_key(&s)), "{chosen:?}");
                assert_eq!(field(r, "applied"), fact(st, "applied"));
                assert_eq!(store(r), ShowStore(st.store.as_ref().unwrap()).to_string());
            }
            _ => assert!(r.is_empty(), "{st:?} reports {r:?}"),
        }
    }
    assert_eq!(acceptors, 3);
    assert!(learners >= 3, "the live leader and two replicas");
}

#[test]
fn paxos_states_replay_to_each_nodes_final_ballots_and_decision() {
    let nodes = run("paxos-dueling.toml");
    let mut decided = 0;
    for (r, st) in &nodes {
        let st = st.as_ref().unwrap();
        assert_eq!(field(r, "promised"), fact(st, "promised"));
        assert_eq!(field(r, "accepted"), fact(st, "accepted"));
        if let Some(d) = r.get("decided") {
            assert_eq!(
                d.as_str().unwrap(),
                st.decision.as_ref().unwrap().to_string()
            );
            decided += 1;
        }
    }
    assert_eq!(decided, 5);
}

/// Raft's view lists the log from its first changed index: the trace must be what a whole
/// report after every event gives. Asking every server for its view with another
/// `StateView` after each step breaks the sequence its next report continues, which makes that
/// report whole; the two traces must be byte for byte the same, in a run where leaders crash
/// and their uncommitted entries are overwritten.
#[test]
fn raft_logs_reported_from_their_first_change_equal_whole_reports() {
    use synod_core::{NodeId, Time, view::StateView};
    use synod_protocols::kv::Workload;
    use synod_protocols::raft::{self, RaftConfig};
    use synod_sim::{Fault, ScheduledFault, SimConfig, Step, Target};

    let trace = |seed: u64, whole: bool| {
        let names: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
        let config = SimConfig {
            seed,
            until: Time::ms(4000),
            ..SimConfig::default()
        };
        let workload = Workload {
            requests_per_client: 40,
            ..Workload::default()
        };
        let mut sim = raft::simulation(
            config,
            RaftConfig::default(),
            raft::specs(&names),
            4,
            workload,
            false,
        );
        // Crash the leader every 400 ms and bring everyone back 60 ms later: a crashed
        // leader's unreplicated entries are overwritten when it returns.
        for k in 0..8u64 {
            let at = 300 + 400 * k;
            sim.schedule(ScheduledFault {
                at: Time::ms(at),
                fault: Fault::Crash(Target::Leader),
            });
            for id in 0..5 {
                sim.schedule(ScheduledFault {
                    at: Time::ms(at + 60),
                    fault: Fault::Restart(Target::Node(NodeId(id))),
                });
            }
        }
        let header = json_header(seed, "raft", sim.specs());
        let out = Shared::new(JsonTrace::new(Vec::new(), &header).unwrap());
        sim.add_observer(Box::new(out.clone()));
        while let Step::Event = sim.step() {
            if whole {
                for id in 0..5 {
                    if let Some(p) = sim.process(NodeId(id)) {
                        synod_core::Process::view(p, &mut StateView::default());
                    }
                }
            }
        }
        String::from_utf8(out.borrow().writer().clone()).unwrap()
    };
    // Log rows rewritten or removed: what reporting from the first change must get right.
    let rewrites = |text: &str| {
        let mut rows: BTreeMap<(u64, String), serde_json::Value> = BTreeMap::new();
        let mut n = 0;
        for line in text.lines().skip(1) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v["kind"] != "state" {
                continue;
            }
            let node = v["node"].as_u64().unwrap();
            for k in v["unset"].as_array().unwrap() {
                let k = k.as_str().unwrap();
                n += usize::from(k.starts_with("log/"));
                rows.remove(&(node, k.to_string()));
            }
            for (k, val) in v["set"].as_object().unwrap() {
                if k.starts_with("log/") {
                    n += usize::from(rows.insert((node, k.clone()), val.clone()).is_some());
                }
            }
        }
        n
    };
    let (seed, suffixes) = (1..=20)
        .map(|seed| (seed, trace(seed, false)))
        .find(|(_, t)| rewrites(t) > 0)
        .expect("a seed of 20 where a log entry is overwritten");
    assert!(suffixes.matches("\"kind\":\"state\"").count() > 300);
    assert!(
        suffixes == trace(seed, true),
        "seed {seed}: the two traces differ"
    );
}
