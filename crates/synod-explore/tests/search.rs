//! The search's guarantees: results that do not depend on the number of threads, depth-first
//! and breadth-first agreeing on what a depth bound covers, and the network semantics.

use std::fmt;
use synod_core::{Ctx, Message, NodeId, Process};
use synod_explore::model::{Invariant, NetworkKind, View};
use synod_explore::{Bounds, End, Options, Spec, Strategy, explore};
use synod_protocols::PROTOCOLS;
use synod_protocols::explore::explore as explore_scenario;
use synod_protocols::scenario::Scenario;

/// The built-in scenario of `protocol` with `key` set to `n`.
fn builtin(protocol: &str, counts: &[(&str, u64)]) -> Scenario {
    let mut s = PROTOCOLS.scenario(protocol).unwrap();
    for (key, n) in counts {
        s.set_count(key, *n, "test").unwrap();
    }
    s
}

fn opts(strategy: Strategy, threads: usize) -> Options {
    Options {
        strategy,
        threads,
        ..Options::default()
    }
}

fn paxos_bug() -> Scenario {
    let mut s = builtin("paxos", &[("cluster.nodes", 2)]);
    s.set_bug("ignore-p1b-values").unwrap();
    s
}

fn paxos_bounds() -> Bounds {
    Bounds {
        max_crashes: 1,
        max_timers: Some(2),
        ..Bounds::default()
    }
}

/// The same counts and the same counterexample on 1, 2 and 4 threads: the smallest discovery
/// key wins, whoever finds a state first.
#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let one = explore_scenario(&paxos_bug(), paxos_bounds(), &opts(Strategy::Bfs, 1)).unwrap();
    let End::Violation(cx) = &one.outcome.end else {
        panic!("{:?}", one.outcome.end)
    };
    assert_eq!(cx.property, "agreement");
    for threads in [2, 4] {
        let many =
            explore_scenario(&paxos_bug(), paxos_bounds(), &opts(Strategy::Bfs, threads)).unwrap();
        assert_eq!(many, one, "{threads} threads");
    }
    let register = builtin("register", &[("cluster.clients", 2)]);
    let a = explore_scenario(&register, Bounds::default(), &opts(Strategy::Bfs, 1)).unwrap();
    let b = explore_scenario(&register, Bounds::default(), &opts(Strategy::Bfs, 3)).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.outcome.unique, 16_668);
}

/// Under a depth bound, depth-first search re-expands a state it meets again at a smaller
/// depth, so it covers exactly the states breadth-first search finds within the bound.
#[test]
fn depth_first_covers_what_breadth_first_covers_within_a_depth_bound() {
    let s = builtin("paxos", &[("cluster.nodes", 3)]);
    for depth in [4, 9] {
        let b = Bounds {
            max_crashes: 1,
            max_timers: Some(1),
            max_depth: Some(depth),
            ..Bounds::default()
        };
        let bfs = explore_scenario(&s, b, &opts(Strategy::Bfs, 2))
            .unwrap()
            .outcome;
        let dfs = explore_scenario(&s, b, &opts(Strategy::Dfs, 1))
            .unwrap()
            .outcome;
        assert_eq!(bfs.end, End::Exhausted);
        assert_eq!(dfs.end, End::Exhausted);
        assert_eq!(bfs.unique, dfs.unique, "depth {depth}");
        assert!(bfs.at_bound > 0);
    }
    // Depth-first finds the planted bug too (its path need not be the shortest).
    let d = explore_scenario(&paxos_bug(), paxos_bounds(), &opts(Strategy::Dfs, 1)).unwrap();
    let End::Violation(cx) = d.outcome.end else {
        panic!("{:?}", d.outcome.end)
    };
    assert_eq!(cx.property, "agreement");
    assert!(cx.path.len() >= 18);
}

// A tiny protocol to pin the network semantics: node 0 sends `A` then `B` to node 1, which
// records what it received, in order.

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
enum M {
    A,
    B,
}

impl fmt::Display for M {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl Message for M {
    fn kind(&self) -> &'static str {
        "m"
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Node {
    me: u32,
    got: Vec<M>,
}

impl Process for Node {
    type Msg = M;
    type Timer = ();
    type Durable = ();
    fn on_start(&mut self, ctx: &mut Ctx<'_, M, ()>) {
        if self.me == 0 {
            ctx.send(NodeId(1), M::A);
            ctx.send(NodeId(1), M::B);
        }
    }
    fn on_message(&mut self, _ctx: &mut Ctx<'_, M, ()>, _from: NodeId, msg: M) {
        self.got.push(msg);
    }
    fn on_timer(&mut self, _ctx: &mut Ctx<'_, M, ()>, _t: ()) {}
    fn durable(&self) {}
}

/// Under `network`, with `drops` losses allowed: the number of states, and (when `check`)
/// whether B can arrive before A.
fn receipts(network: NetworkKind, drops: u32, depth: u32, check: bool) -> (u64, bool) {
    let spec = Spec {
        protocol: "pair".into(),
        names: vec!["a".into(), "b".into()],
        crashable: vec![false, false],
        clients: Vec::new(),
        seed: 1,
        build: Box::new(|id, _| Node {
            me: id.0,
            got: Vec::new(),
        }),
        // "B before A": possible unless the network keeps the order.
        invariants: check
            .then(|| {
                Invariant::new("in order", |v: &View<'_, Node>| {
                    v.up().find_map(|(_, n)| {
                        (n.got.first() == Some(&M::B)).then(|| "B arrived first".to_string())
                    })
                })
            })
            .into_iter()
            .collect(),
        sometimes: Vec::new(),
        lin: None,
        bounds: Bounds {
            network,
            max_drops: drops,
            max_depth: Some(depth),
            ..Bounds::default()
        },
        prefix: Vec::new(),
    };
    let o = explore(&spec, &opts(Strategy::Bfs, 1));
    (o.unique, matches!(o.end, End::Violation(_)))
}

#[test]
fn the_network_kinds_deliver_as_documented() {
    // Unordered: B may overtake A.
    assert!(receipts(NetworkKind::Unordered, 0, 5, true).1);
    // Ordered: never, unless A is lost.
    assert!(!receipts(NetworkKind::Ordered, 0, 5, true).1);
    assert!(receipts(NetworkKind::Ordered, 1, 5, true).1);
    // Unordered: the start; A or B received; A then B, or B then A.
    assert_eq!(receipts(NetworkKind::Unordered, 0, 5, false).0, 5);
    // Ordered: the start; A; A then B.
    assert_eq!(receipts(NetworkKind::Ordered, 0, 5, false).0, 3);
    // Unordered with one loss, four more: nothing received and A or B lost (2), and A alone
    // or B alone received with the other lost (2); the loss is part of the state.
    assert_eq!(receipts(NetworkKind::Unordered, 1, 5, false).0, 5 + 4);
    // Duplicating: messages stay in flight, so node 1 can receive A again and again; the
    // depth bound keeps it finite: one state per sequence of receipts up to the bound.
    assert_eq!(
        receipts(NetworkKind::Duplicating, 0, 3, false).0,
        1 + 2 + 4 + 8
    );
}
