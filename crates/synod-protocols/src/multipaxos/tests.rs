//! The paper's behaviours, one process at a time, driven by hand.

use super::*;
use crate::kv::{Command, Reply, Request};
use std::sync::Arc;
use synod_core::testing::Harness;
use synod_core::{NodeId, Time};

const A1: NodeId = NodeId(0);
const A2: NodeId = NodeId(1);
const A3: NodeId = NodeId(2);
const L1: NodeId = NodeId(3);
const L2: NodeId = NodeId(4);
const R1: NodeId = NodeId(5);
const C1: NodeId = NodeId(6);

fn cfg(window: usize, bug: Option<Bug>) -> Arc<Config> {
    Arc::new(Config {
        acceptors: vec![A1, A2, A3],
        leaders: vec![L1, L2],
        replicas: vec![R1],
        window,
        heartbeat: Time::ms(50),
        leader_timeout: (Time::ms(150), Time::ms(300)),
        catch_up_batch: 64,
        bug,
    })
}

fn b(round: u64, leader: u32) -> Ballot {
    Ballot { round, leader }
}

fn put(client: NodeId, req_id: u64, key: &str, value: &str) -> Entry {
    Entry::new(
        Some((client, req_id)),
        Command::Put {
            key: key.into(),
            value: value.into(),
        },
    )
}

fn request(req_id: u64, key: &str) -> Msg {
    Msg::Request(Request {
        client: C1,
        req_id,
        cmd: Command::Get { key: key.into() },
    })
}

fn accepts(sent: &[(NodeId, Msg)]) -> Vec<(Slot, String)> {
    let mut v: Vec<(Slot, String)> = sent
        .iter()
        .filter_map(|(to, m)| match m {
            Msg::Accept { slot, entry, .. } if *to == A1 => Some((*slot, entry.cmd.to_string())),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

fn acceptor() -> Harness<Server> {
    let mut h = Harness::new(A1, Server::Acceptor(Acceptor::default()), 1);
    h.start().clear();
    h
}

#[test]
fn a_promise_reports_every_proposal_accepted_from_the_slot_asked_for() {
    // Paxos Made Simple, 2.2 (phase 1b): the promise carries the accepted proposals.
    let mut a = acceptor();
    a.deliver(
        L1,
        Msg::Accept {
            ballot: b(1, 1),
            slot: 1,
            entry: put(C1, 1, "a", "x"),
        },
    );
    a.deliver(
        L1,
        Msg::Accept {
            ballot: b(1, 1),
            slot: 3,
            entry: put(C1, 2, "b", "y"),
        },
    );
    a.take_sent();
    a.deliver(
        L2,
        Msg::Prepare {
            ballot: b(2, 2),
            from_slot: 2,
        },
    );
    match &a.take_sent()[..] {
        [(to, Msg::Promise { ballot, accepted })] => {
            assert_eq!((*to, *ballot), (L2, b(2, 2)));
            assert_eq!(accepted, &vec![(3, b(1, 1), put(C1, 2, "b", "y"))]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_acceptor_refuses_ballots_lower_than_its_promise() {
    // Paxos Made Simple, 2.2 (P1a): accept a proposal only if no higher prepare was answered.
    let mut a = acceptor();
    a.deliver(
        L2,
        Msg::Prepare {
            ballot: b(2, 2),
            from_slot: 1,
        },
    );
    a.take_sent();
    a.deliver(
        L1,
        Msg::Accept {
            ballot: b(1, 1),
            slot: 1,
            entry: put(C1, 1, "a", "x"),
        },
    );
    a.deliver(
        L1,
        Msg::Prepare {
            ballot: b(1, 1),
            from_slot: 1,
        },
    );
    let sent = a.take_sent();
    assert!(
        sent.iter()
            .all(|(to, m)| *to == L1 && matches!(m, Msg::Nack { promised } if *promised == b(2, 2))),
        "{sent:?}"
    );
    let Server::Acceptor(state) = &a.process else {
        unreachable!()
    };
    assert!(state.accepted.is_empty());
}

fn active_leader(window: usize, bug: Option<Bug>) -> Harness<Server> {
    let mut h = Harness::new(
        L1,
        Server::Leader(Box::new(Leader::new(cfg(window, bug), 1, None))),
        1,
    );
    h.start();
    for a in [A1, A2] {
        h.deliver(
            a,
            Msg::Promise {
                ballot: b(1, 1),
                accepted: vec![],
            },
        );
    }
    assert!(
        h.out
            .events
            .contains(&"role leader ballot 1.1 (leads)".to_string())
    );
    h.clear();
    h.take_sent();
    h
}

#[test]
fn a_new_leader_reproposes_the_highest_ballot_value_and_fills_gaps_with_noops() {
    // Paxos Made Simple, 3: the new leader learns, for each slot, the value accepted at the
    // highest ballot and proposes it again; slots with nothing accepted get a no-op.
    let durable = LeaderDurable { max_round: 5 };
    let mut h = Harness::new(
        L2,
        Server::Leader(Box::new(Leader::new(cfg(10, None), 2, Some(durable)))),
        1,
    );
    h.start().fire(Timer::LeaderTimeout);
    assert!(
        h.out
            .events
            .contains(&"role candidate ballot 6.2 (seeks)".to_string())
    );
    h.take_sent();
    h.deliver(
        A1,
        Msg::Promise {
            ballot: b(6, 2),
            accepted: vec![
                (1, b(3, 1), put(C1, 1, "a", "old")),
                (4, b(3, 1), put(C1, 3, "c", "z")),
            ],
        },
    );
    h.deliver(
        A2,
        Msg::Promise {
            ballot: b(6, 2),
            accepted: vec![(1, b(4, 1), put(C1, 2, "a", "new"))],
        },
    );
    assert_eq!(
        accepts(&h.take_sent()),
        vec![
            (1, r#"PUT "a" = "new""#.to_string()),
            (2, "NOOP".to_string()),
            (3, "NOOP".to_string()),
            (4, r#"PUT "c" = "z""#.to_string()),
        ]
    );
    // New requests go after the re-proposed slots.
    h.deliver(C1, request(9, "k"));
    assert_eq!(accepts(&h.take_sent()), vec![(5, r#"GET "k""#.to_string())]);
}

#[test]
fn with_the_planted_bug_a_new_leader_reuses_reported_slots() {
    let mut h = Harness::new(
        L2,
        Server::Leader(Box::new(Leader::new(
            cfg(10, Some(Bug::SkipPhase1Values)),
            2,
            None,
        ))),
        1,
    );
    h.start().fire(Timer::LeaderTimeout);
    h.take_sent();
    for a in [A1, A2] {
        h.deliver(
            a,
            Msg::Promise {
                ballot: b(1, 2),
                accepted: vec![(1, b(1, 1), put(C1, 1, "a", "x"))],
            },
        );
    }
    h.deliver(C1, request(2, "k"));
    assert_eq!(accepts(&h.take_sent()), vec![(1, r#"GET "k""#.to_string())]);
}

#[test]
fn phase2_is_pipelined_up_to_the_window() {
    let mut h = active_leader(2, None);
    for (i, c) in [NodeId(6), NodeId(7), NodeId(8)].into_iter().enumerate() {
        h.deliver(
            c,
            Msg::Request(Request {
                client: c,
                req_id: 1,
                cmd: Command::Get {
                    key: format!("k{i}"),
                },
            }),
        );
    }
    // Two slots in flight at once, the third waits for room.
    assert_eq!(
        accepts(&h.take_sent()),
        vec![(1, r#"GET "k0""#.into()), (2, r#"GET "k1""#.into())]
    );
    h.deliver(
        A1,
        Msg::Accepted {
            ballot: b(1, 1),
            slot: 2,
        },
    );
    h.deliver(
        A2,
        Msg::Accepted {
            ballot: b(1, 1),
            slot: 2,
        },
    );
    let sent = h.take_sent();
    assert!(
        sent.iter()
            .any(|(to, m)| *to == R1 && matches!(m, Msg::Decision { slot: 2, .. }))
    );
    assert_eq!(accepts(&sent), vec![(3, r#"GET "k2""#.into())]);
    // Slot 2 is chosen but slot 1 is not: nothing is applied or answered yet.
    assert!(!sent.iter().any(|(_, m)| matches!(m, Msg::Reply(_))));
    h.deliver(
        A3,
        Msg::Accepted {
            ballot: b(1, 1),
            slot: 1,
        },
    );
    h.deliver(
        A1,
        Msg::Accepted {
            ballot: b(1, 1),
            slot: 1,
        },
    );
    let replies: Vec<NodeId> = h
        .take_sent()
        .into_iter()
        .filter_map(|(to, m)| matches!(m, Msg::Reply(Reply::Done { .. })).then_some(to))
        .collect();
    assert_eq!(
        replies,
        vec![NodeId(6), NodeId(7)],
        "answered in slot order"
    );
}

#[test]
fn a_leader_that_meets_a_higher_ballot_steps_down_and_redirects_clients() {
    let mut h = active_leader(10, None);
    h.deliver(A1, Msg::Nack { promised: b(3, 2) });
    assert!(
        h.out
            .events
            .contains(&"role step down ballot 1.1 (follows)".to_string())
    );
    assert!(!h.process.status().leader);
    h.take_sent();
    h.deliver(C1, request(1, "a"));
    assert!(matches!(
        &h.take_sent()[..],
        [(
            C1,
            Msg::Reply(Reply::NotLeader {
                leader: Some(L2),
                ..
            })
        )]
    ));
}

#[test]
fn a_replica_waits_on_a_gap_then_applies_in_slot_order_and_catches_up() {
    let mut r = Harness::new(R1, Server::Replica(Replica::new(cfg(10, None))), 1);
    r.start().clear();
    r.deliver(
        L1,
        Msg::Decision {
            slot: 2,
            entry: put(C1, 2, "a", "second"),
        },
    );
    assert!(
        !r.out.events.iter().any(|e| e.starts_with("apply")),
        "slot 1 is missing"
    );
    // A heartbeat shows slots up to 2 are chosen; slot 1's decision may still be in flight.
    let beat = Msg::Heartbeat {
        ballot: b(1, 1),
        chosen: 2,
    };
    r.deliver(L1, beat.clone());
    assert!(r.take_sent().is_empty());
    // One beat later it is still missing: ask for it.
    r.deliver(L1, beat);
    assert!(matches!(
        &r.take_sent()[..],
        [(L1, Msg::CatchUp { from: 1 })]
    ));
    r.deliver(
        L1,
        Msg::Decisions {
            entries: vec![
                (1, put(C1, 1, "a", "first")),
                (2, put(C1, 2, "a", "second")),
            ],
        },
    );
    let applies: Vec<&String> = r
        .out
        .events
        .iter()
        .filter(|e| e.starts_with("apply"))
        .collect();
    assert_eq!(
        applies,
        vec![
            r#"apply 1 PUT "a" = "first" (client 1 #1) -> OK"#,
            r#"apply 2 PUT "a" = "second" (client 1 #2) -> ERROR key already exists: a"#
        ]
    );
}

#[test]
fn a_retried_put_chosen_twice_is_answered_from_memory_not_applied_twice() {
    let mut r = Harness::new(R1, Server::Replica(Replica::new(cfg(10, None))), 1);
    r.start().clear();
    r.deliver(
        L1,
        Msg::Decision {
            slot: 1,
            entry: put(C1, 1, "a", "v"),
        },
    );
    r.deliver(
        L1,
        Msg::Decision {
            slot: 2,
            entry: put(C1, 1, "a", "v"),
        },
    );
    let applies: Vec<&String> = r
        .out
        .events
        .iter()
        .filter(|e| e.starts_with("apply"))
        .collect();
    assert_eq!(
        applies,
        vec![
            r#"apply 1 PUT "a" = "v" (client 1 #1) -> OK"#,
            r#"apply 2 PUT "a" = "v" (client 1 #1) -> OK"#
        ]
    );
}

#[test]
fn a_standby_that_hears_heartbeats_does_not_take_over() {
    let mut h = Harness::new(
        L2,
        Server::Leader(Box::new(Leader::new(cfg(10, None), 2, None))),
        1,
    );
    h.start();
    h.deliver(
        L1,
        Msg::Heartbeat {
            ballot: b(1, 1),
            chosen: 0,
        },
    );
    h.fire(Timer::LeaderTimeout);
    assert!(!h.out.events.iter().any(|e| e.starts_with("role candidate")));
    // No heartbeat during the next timeout: it starts Phase 1 with a higher ballot.
    h.fire(Timer::LeaderTimeout);
    assert!(
        h.out
            .events
            .contains(&"role candidate ballot 2.2 (seeks)".to_string())
    );
}

#[test]
fn the_planted_apply_retry_twice_applies_a_retry_again_and_names_where_it_was_first() {
    // `apply-retry-twice`: the replica does not consult the sessions. Client 1's request #4 is
    // chosen in slot 1, its #5 in slot 2, and a late retry of #4 in slot 3: it is applied a
    // second time, and the narration names the slot of the request it knows of.
    let mut r = Harness::new(
        R1,
        Server::Replica(Replica::new(cfg(10, Some(Bug::ApplyRetryTwice)))),
        1,
    );
    r.start().clear();
    for (slot, req, key) in [(1, 4, "a"), (2, 5, "b"), (3, 4, "a"), (4, 5, "b")] {
        r.deliver(
            L1,
            Msg::Decision {
                slot,
                entry: put(C1, req, key, "v"),
            },
        );
    }
    let applied = r
        .out
        .events
        .iter()
        .filter(|e| e.starts_with("apply"))
        .count();
    assert_eq!(applied, 4, "every slot applied, the retries too");
    let bug: Vec<&str> = r
        .out
        .logs
        .iter()
        .map(|(_, t)| t.as_str())
        .filter(|t| t.contains("BUG apply-retry-twice"))
        .collect();
    assert_eq!(bug.len(), 2, "{bug:?}");
    assert!(
        bug[0].contains("a retry of request #4, applied before the client's request #5 in slot 2"),
        "{}",
        bug[0]
    );
    assert!(
        bug[1].contains("a retry of request #5, applied in slot 2 already"),
        "{}",
        bug[1]
    );
}
