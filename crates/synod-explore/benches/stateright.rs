//! synod's explorer and Stateright, side by side, on Stateright's own Paxos model: single-decree
//! Paxos serving a register, 3 servers, clients that each put then get, an unordered
//! non-duplicating network, breadth-first on every core.
//!
//! ```sh
//! cargo bench -p synod-explore --features stateright --bench stateright            # 3 clients
//! cargo bench -p synod-explore --features stateright --bench stateright -- 2 5     # 2 clients, 5 runs
//! ```
//!
//! Each measurement is a child process (this benchmark run again with `SYNOD_BENCH_CHILD`),
//! so that wall time and peak memory (the kernel's `VmHWM`) belong to one checker alone. The
//! two alternate, and the report gives the minimum and the median of each.
//!
//! The Stateright side is the model of Stateright's `examples/paxos.rs` written against its
//! public API (its register client and linearizability tester, its hash map and set types),
//! checked the way that example's `check` command checks it.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::process::Command;
use std::time::Instant;

mod sr {
    //! Stateright's Paxos register, as its example models it.
    use stateright::actor::register::{RegisterActor, RegisterMsg, RegisterMsg::*};
    use stateright::actor::{Actor, ActorModel, Id, Network, Out, majority, model_peers};
    use stateright::semantics::LinearizabilityTester;
    use stateright::semantics::register::Register;
    use stateright::util::{HashableHashMap, HashableHashSet};
    use stateright::{Checker, Expectation, Model};
    use std::borrow::Cow;

    type Ballot = (u32, Id);
    type Proposal = (u64, Id, char);

    #[derive(Clone, Debug, Eq, Hash, PartialEq, PartialOrd, Ord)]
    pub enum Internal {
        Prepare(Ballot),
        Prepared(Ballot, Option<(Ballot, Proposal)>),
        Accept(Ballot, Proposal),
        Accepted(Ballot),
        Decided(Ballot, Proposal),
    }

    #[derive(Clone, Debug, Eq, Hash, PartialEq)]
    pub struct Server {
        ballot: Ballot,
        proposal: Option<Proposal>,
        prepares: HashableHashMap<Id, Option<(Ballot, Proposal)>>,
        accepts: HashableHashSet<Id>,
        accepted: Option<(Ballot, Proposal)>,
        decided: bool,
    }

    #[derive(Clone)]
    pub struct PaxosActor {
        peers: Vec<Id>,
    }

    impl Actor for PaxosActor {
        type Msg = RegisterMsg<u64, char, Internal>;
        type State = Server;
        type Timer = ();
        type Random = ();
        type Storage = ();

        fn on_start(&self, _: Id, _: &Option<()>, _: &mut Out<Self>) -> Server {
            Server {
                ballot: (0, Id::from(0)),
                proposal: None,
                prepares: Default::default(),
                accepts: Default::default(),
                accepted: None,
                decided: false,
            }
        }

        fn on_msg(
            &self,
            id: Id,
            state: &mut Cow<Server>,
            src: Id,
            msg: Self::Msg,
            o: &mut Out<Self>,
        ) {
            if state.decided {
                if let (Get(req), Some((_, (_, _, v)))) = (msg, state.accepted) {
                    o.send(src, GetOk(req, v));
                }
                return;
            }
            let quorum = majority(self.peers.len() + 1);
            match msg {
                Put(req, v) if state.proposal.is_none() => {
                    let s = state.to_mut();
                    s.proposal = Some((req, src, v));
                    s.prepares = Default::default();
                    s.accepts = Default::default();
                    s.ballot = (s.ballot.0 + 1, id);
                    s.prepares.insert(id, s.accepted);
                    o.broadcast(&self.peers, &Internal(Internal::Prepare(s.ballot)));
                }
                Internal(Internal::Prepare(b)) if state.ballot < b => {
                    state.to_mut().ballot = b;
                    o.send(src, Internal(Internal::Prepared(b, state.accepted)));
                }
                Internal(Internal::Prepared(b, last)) if b == state.ballot => {
                    let s = state.to_mut();
                    s.prepares.insert(src, last);
                    if s.prepares.len() == quorum {
                        let p = s
                            .prepares
                            .values()
                            .max()
                            .copied()
                            .flatten()
                            .map(|(_, p)| p)
                            .or(s.proposal);
                        if let Some(p) = p {
                            s.proposal = Some(p);
                            s.accepted = Some((b, p));
                            s.accepts.insert(id);
                            o.broadcast(&self.peers, &Internal(Internal::Accept(b, p)));
                        }
                    }
                }
                Internal(Internal::Accept(b, p)) if state.ballot <= b => {
                    let s = state.to_mut();
                    s.ballot = b;
                    s.accepted = Some((b, p));
                    o.send(src, Internal(Internal::Accepted(b)));
                }
                Internal(Internal::Accepted(b)) if b == state.ballot => {
                    let s = state.to_mut();
                    s.accepts.insert(src);
                    if s.accepts.len() == quorum {
                        if let Some(p) = s.proposal {
                            s.decided = true;
                            o.broadcast(&self.peers, &Internal(Internal::Decided(b, p)));
                            o.send(p.1, PutOk(p.0));
                        }
                    }
                }
                Internal(Internal::Decided(b, p)) => {
                    let s = state.to_mut();
                    s.ballot = b;
                    s.accepted = Some((b, p));
                    s.decided = true;
                }
                _ => {}
            }
        }
    }

    /// Check the model with `clients` clients on `threads` threads: (unique, generated).
    pub fn check(clients: usize, threads: usize) -> (usize, usize) {
        let servers = 3;
        let model = ActorModel::new((), LinearizabilityTester::new(Register('\0')))
            .actors((0..servers).map(|i| {
                RegisterActor::Server(PaxosActor {
                    peers: model_peers(i, servers),
                })
            }))
            .actors((0..clients).map(|_| RegisterActor::Client {
                put_count: 1,
                server_count: servers,
            }))
            .init_network(Network::new_unordered_nonduplicating([]))
            .property(Expectation::Always, "linearizable", |_, state| {
                state.history.serialized_history().is_some()
            })
            .record_msg_in(RegisterMsg::record_returns)
            .record_msg_out(RegisterMsg::record_invocations);
        let checker = model.checker().threads(threads).spawn_bfs().join();
        checker.assert_properties();
        (checker.unique_state_count(), checker.state_count())
    }
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Peak resident memory of this process so far, in kB (Linux's `VmHWM`).
fn peak_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn child(which: &str, clients: u32) {
    let started = Instant::now();
    let (unique, generated) = match which {
        "synod" => {
            let mut s = synod_protocols::PROTOCOLS
                .scenario("register")
                .expect("builtin");
            s.set_count("cluster.clients", u64::from(clients), "the benchmark")
                .expect("a count the register takes");
            let opts = synod_explore::Options {
                threads: threads(),
                ..Default::default()
            };
            let r = synod_protocols::explore::explore(&s, synod_explore::Bounds::default(), &opts)
                .expect("explorable");
            assert_eq!(r.outcome.end, synod_explore::End::Exhausted);
            (r.outcome.unique as usize, r.outcome.generated as usize)
        }
        _ => sr::check(clients as usize, threads()),
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "unique={unique} generated={generated} secs={secs:.3} peak_kb={}",
        peak_kb()
    );
}

struct Run {
    unique: u64,
    generated: u64,
    secs: f64,
    peak_mb: f64,
}

fn measure(which: &str, clients: u32) -> Run {
    let out = Command::new(std::env::current_exe().expect("own path"))
        .env("SYNOD_BENCH_CHILD", which)
        .env("SYNOD_BENCH_CLIENTS", clients.to_string())
        .output()
        .expect("run the child");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> f64 {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{which}: no {name} in {text:?} {:?}", out.stderr))
    };
    Run {
        unique: field("unique") as u64,
        generated: field("generated") as u64,
        secs: field("secs"),
        peak_mb: field("peak_kb") / 1024.0,
    }
}

fn min_median(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2])
}

fn main() {
    if let Ok(which) = std::env::var("SYNOD_BENCH_CHILD") {
        let clients = std::env::var("SYNOD_BENCH_CLIENTS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(3);
        return child(&which, clients);
    }
    let args: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let clients = args.first().copied().unwrap_or(3);
    let runs = args.get(1).copied().unwrap_or(3).max(1);
    println!(
        "Paxos register (Stateright's examples/paxos.rs model): 3 servers, {clients} clients, unordered non-duplicating network, BFS on {} threads, {runs} runs each",
        threads()
    );
    let mut results: Vec<(&str, Vec<Run>)> =
        vec![("synod", Vec::new()), ("stateright", Vec::new())];
    for _ in 0..runs {
        for (which, runs) in &mut results {
            runs.push(measure(which, clients));
        }
    }
    let mut medians = Vec::new();
    for (which, runs) in &results {
        let (tmin, tmed) = min_median(runs.iter().map(|r| r.secs).collect());
        let (mmin, mmed) = min_median(runs.iter().map(|r| r.peak_mb).collect());
        println!(
            "{which:<10} unique {:>9}  generated {:>9}  wall s min {tmin:>6.2} median {tmed:>6.2}  peak MB min {mmin:>7.1} median {mmed:>7.1}",
            runs[0].unique, runs[0].generated
        );
        medians.push((runs[0].unique, tmed, mmed));
    }
    let (s, r) = (medians[0], medians[1]);
    println!(
        "same unique state count: {}; synod/stateright median wall time {:.2}x faster, peak memory {:.2}x smaller",
        if s.0 == r.0 { "yes" } else { "NO" },
        r.1 / s.1,
        r.2 / s.2
    );
}
