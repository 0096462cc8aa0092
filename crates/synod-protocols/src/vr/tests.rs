//! Paper-behaviour tests: one replica driven by hand, each test named after the behaviour and
//! citing the section of "Viewstamped Replication Revisited" (Liskov and Cowling, 2012). Five
//! replicas (`f = 2`): nodes 0..4; clients are nodes 5 and up.

use super::*;
use crate::kv::{Command, Reply, Request};
use std::rc::Rc;
use synod_core::testing::Harness;
use synod_core::{ClientResult, NodeId};

fn cfg(bug: Option<Bug>) -> Rc<VrConfig> {
    Rc::new(VrConfig {
        bug,
        ..VrConfig::default()
    })
}

/// Replica `id`, started fresh (`restarted = false`) or after a crash.
fn replica(id: u32, restarted: bool, bug: Option<Bug>) -> Harness<VrReplica> {
    let p = VrReplica::new(cfg(bug), NodeId(id), restarted.then_some(Durable));
    let mut h = Harness::new(NodeId(id), p, 7);
    h.start();
    h.clear();
    h
}

fn put(client: u32, req_id: u64, key: &str) -> Request {
    Request {
        client: NodeId(client),
        req_id,
        cmd: Command::Put {
            key: key.into(),
            value: format!("v{req_id}"),
        },
    }
}

/// A log of puts of `keys`, each by its own client.
fn log_of(keys: &[&str]) -> Vec<Request> {
    keys.iter()
        .enumerate()
        .map(|(i, k)| put(5 + i as u32, 1, k))
        .collect()
}

fn prepare(view: u64, op: u64, entry: Request, commit: u64) -> VrMsg {
    VrMsg::Prepare {
        view,
        op,
        entry,
        commit,
    }
}

fn dvc(view: u64, log: Vec<Request>, last_normal: u64, commit: u64) -> VrMsg {
    VrMsg::DoViewChange {
        view,
        op: log.len() as u64,
        log,
        last_normal,
        commit,
    }
}

/// The kinds of the messages sent, with their destinations.
fn sent(h: &mut Harness<VrReplica>) -> Vec<(u32, &'static str)> {
    use synod_core::Message;
    h.take_sent()
        .into_iter()
        .map(|(to, m)| (to.0, m.kind()))
        .collect()
}

fn to_all(kind: &'static str, me: u32) -> Vec<(u32, &'static str)> {
    (0..5).filter(|p| *p != me).map(|p| (p, kind)).collect()
}

/// Node 0, the primary of view 0, with `keys` requested and acknowledged by nodes 1 and 2.
fn primary_with(keys: &[&str]) -> Harness<VrReplica> {
    let mut h = replica(0, false, None);
    let log = log_of(keys);
    for r in &log {
        h.deliver(r.client, VrMsg::Request(r.clone()));
    }
    for b in [1, 2] {
        h.deliver(
            NodeId(b),
            VrMsg::PrepareOk {
                view: 0,
                op: log.len() as u64,
            },
        );
    }
    h.clear();
    h
}

/// Expire the view-change deadline of `h`.
fn time_out(h: &mut Harness<VrReplica>) {
    h.now += Time::ms(1000);
    h.fire(VrTimer::Deadline);
}

// -------------------------------------------------------------------------------------------
// 4.1 Normal operation.

#[test]
fn the_primary_of_view_v_is_replica_v_mod_n_and_backups_send_clients_to_it_4() {
    // Reference: section 4, "the primary is chosen round-robin, starting with replica 1".
    let h = replica(3, false, None);
    let r = &h.process;
    assert_eq!(r.primary_of(0), NodeId(0));
    assert_eq!(r.primary_of(7), NodeId(2));
    assert!(!r.is_primary());
    let mut h = h;
    h.deliver(NodeId(6), VrMsg::Request(put(6, 1, "a")));
    match h.take_sent().as_slice() {
        [(to, VrMsg::Reply(Reply::NotLeader { req_id: 1, leader }))] => {
            assert_eq!((*to, *leader), (NodeId(6), Some(NodeId(0))));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_request_gets_the_next_op_number_and_a_prepare_to_every_backup_4_1() {
    // Reference: 4.1 step 3, "the primary advances op-number, adds the request to the end of
    // the log ... and sends <PREPARE v, m, n, k> to the other replicas".
    let mut h = primary_with(&["a"]);
    h.deliver(NodeId(6), VrMsg::Request(put(6, 1, "b")));
    let msgs = h.take_sent();
    assert_eq!(msgs.len(), 4);
    for (to, m) in &msgs {
        assert!((1..5).contains(&to.0));
        match m {
            VrMsg::Prepare {
                view: 0,
                op: 2,
                entry,
                commit: 1,
            } => assert_eq!(entry, &put(6, 1, "b")),
            other => panic!("{other}"),
        }
    }
    assert_eq!(h.process.op(), 2);
}

#[test]
fn an_op_prepared_on_f_plus_1_replicas_is_committed_executed_and_answered_4_1() {
    // Reference: 4.1 step 5: the primary waits for f PREPAREOKs, then executes the operation,
    // increments the commit-number and sends <REPLY v, s, x> to the client.
    let mut h = replica(0, false, None);
    h.deliver(NodeId(5), VrMsg::Request(put(5, 1, "a")));
    h.clear();
    h.deliver(NodeId(1), VrMsg::PrepareOk { view: 0, op: 1 });
    assert_eq!(h.process.commit(), 0, "f = 2: one backup is not enough");
    h.deliver(NodeId(1), VrMsg::PrepareOk { view: 0, op: 1 });
    assert_eq!(h.process.commit(), 0, "the same backup twice counts once");
    h.deliver(NodeId(3), VrMsg::PrepareOk { view: 0, op: 1 });
    assert_eq!(h.process.commit(), 1);
    assert_eq!(
        h.out.events,
        ["apply 1 PUT \"a\" = \"v1\" -> OK", "commit 1"]
    );
    match h.take_sent().as_slice() {
        [(to, VrMsg::Reply(Reply::Done { req_id: 1, result }))] => {
            assert_eq!(
                (*to, result),
                (NodeId(5), &ClientResult::Ok { value: None })
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_prepareok_acknowledges_every_earlier_op_too_4_1() {
    // Reference: 4.1 step 4: a backup accepts a PREPARE only once it has every earlier op, so a
    // PREPAREOK for op n stands for all ops up to n.
    let mut h = replica(0, false, None);
    for (i, k) in ["a", "b", "c"].iter().enumerate() {
        h.deliver(NodeId(5), VrMsg::Request(put(5, i as u64 + 1, k)));
    }
    h.deliver(NodeId(2), VrMsg::PrepareOk { view: 0, op: 3 });
    h.deliver(NodeId(4), VrMsg::PrepareOk { view: 0, op: 2 });
    assert_eq!(h.process.commit(), 2);
    h.deliver(NodeId(4), VrMsg::PrepareOk { view: 0, op: 3 });
    assert_eq!(h.process.commit(), 3);
}

#[test]
fn a_backup_appends_prepares_in_op_order_and_keeps_early_ones_waiting_4_1() {
    // Reference: 4.1 step 4, "backups process PREPARE messages in order: a backup won't accept
    // a prepare with op-number n until it has entries for all earlier requests in its log".
    let mut h = replica(2, false, None);
    let log = log_of(&["a", "b", "c"]);
    h.deliver(NodeId(0), prepare(0, 2, log[1].clone(), 0));
    h.deliver(NodeId(0), prepare(0, 3, log[2].clone(), 0));
    assert_eq!(h.process.op(), 0);
    assert!(
        h.take_sent().is_empty(),
        "no PrepareOk for an op it cannot append"
    );
    h.deliver(NodeId(0), prepare(0, 1, log[0].clone(), 0));
    assert_eq!(h.process.log(), &log[..]);
    match h.take_sent().as_slice() {
        [(to, VrMsg::PrepareOk { view: 0, op: 3 })] => assert_eq!(*to, NodeId(0)),
        other => panic!("{other:?}"),
    }
    // A duplicate is acknowledged again (its PrepareOk may have been lost), not appended.
    h.deliver(NodeId(0), prepare(0, 2, log[1].clone(), 0));
    assert_eq!(h.process.op(), 3);
    assert_eq!(sent(&mut h), [(0, "PrepareOk")]);
}

#[test]
fn a_backup_executes_up_to_the_commit_number_it_learns_4_1() {
    // Reference: 4.1 steps 6 and 7: the commit-number comes with the next PREPARE or a COMMIT;
    // the backup executes in order, and does not reply to the client.
    let mut h = replica(1, false, None);
    let log = log_of(&["a", "b"]);
    h.deliver(NodeId(0), prepare(0, 1, log[0].clone(), 0));
    h.deliver(NodeId(0), prepare(0, 2, log[1].clone(), 1));
    assert_eq!(h.process.commit(), 1);
    h.clear();
    h.deliver(NodeId(0), VrMsg::Commit { view: 0, commit: 2 });
    assert_eq!(h.process.commit(), 2);
    assert_eq!(h.process.store().len(), 2);
    assert!(h.take_sent().is_empty(), "a backup does not answer clients");
}

#[test]
fn the_planted_bug_appends_an_early_prepare_in_the_place_of_a_missing_one() {
    // `prepare-out-of-order`: op 2 arrives first and becomes op 1 of this backup's log, which
    // then acknowledges op 1 it does not hold.
    let mut h = replica(2, false, Some(Bug::PrepareOutOfOrder));
    let log = log_of(&["a", "b"]);
    h.deliver(NodeId(0), prepare(0, 2, log[1].clone(), 0));
    assert_eq!(h.process.log(), &log[1..2]);
    match h.take_sent().as_slice() {
        [(_, VrMsg::PrepareOk { view: 0, op: 1 })] => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_idle_primary_sends_commit_each_heartbeat_and_resends_lost_prepares_4_1() {
    // Reference: 4.1 step 6, "if the primary does not receive a new client request in a timely
    // way, it instead informs the backups of the latest commit by sending <COMMIT v, k>".
    let mut h = primary_with(&["a"]);
    h.fire(VrTimer::Tick);
    assert!(
        h.take_sent().is_empty(),
        "a Prepare went out this heartbeat"
    );
    h.fire(VrTimer::Tick);
    // Op 1 is committed: nodes 3 and 4, which did not acknowledge it, fetch it themselves.
    assert_eq!(sent(&mut h), to_all("Commit", 0));
    // A request sent just now is not resent at once; a heartbeat later, the backups that have
    // not acknowledged it get it again.
    h.deliver(NodeId(6), VrMsg::Request(put(6, 1, "b")));
    h.deliver(NodeId(1), VrMsg::PrepareOk { view: 0, op: 2 });
    h.clear();
    h.fire(VrTimer::Tick);
    assert!(
        h.take_sent().is_empty(),
        "a Prepare went out this heartbeat"
    );
    h.fire(VrTimer::Tick);
    let resent: Vec<(u32, &str)> = sent(&mut h)
        .into_iter()
        .filter(|(_, k)| *k == "Prepare")
        .collect();
    assert_eq!(resent, [(2, "Prepare"), (3, "Prepare"), (4, "Prepare")]);
}

#[test]
fn the_client_table_makes_a_retry_exactly_once_4_1() {
    // Reference: 4.1 step 2: a request older than the client's latest is dropped; the latest
    // again is dropped while it is in progress, and answered with the recorded result once
    // executed.
    let mut h = replica(0, false, None);
    h.deliver(NodeId(5), VrMsg::Request(put(5, 2, "a")));
    h.clear();
    h.deliver(NodeId(5), VrMsg::Request(put(5, 2, "a")));
    assert!(h.take_sent().is_empty(), "in progress: dropped");
    assert_eq!(h.process.op(), 1, "not appended twice");
    // What a campaign counts as a retry recognized.
    assert_eq!(h.out.events, ["dedup 5 #2"]);
    for b in [1, 2] {
        h.deliver(NodeId(b), VrMsg::PrepareOk { view: 0, op: 1 });
    }
    h.clear();
    h.deliver(NodeId(5), VrMsg::Request(put(5, 2, "a")));
    match h.take_sent().as_slice() {
        [(_, VrMsg::Reply(Reply::Done { req_id: 2, result }))] => {
            assert_eq!(result, &ClientResult::Ok { value: None })
        }
        other => panic!("{other:?}"),
    }
    h.deliver(NodeId(5), VrMsg::Request(put(5, 1, "a")));
    assert!(h.take_sent().is_empty(), "an older request is dropped");
    assert_eq!((h.process.op(), h.process.store().len()), (1, 1));
}

#[test]
fn the_planted_bug_without_a_client_table_executes_a_retry_twice() {
    // `no-client-table`: the retry of an executed DELETE gets a new op-number, and executing it
    // again answers "key not found" for a delete that took effect.
    let mut h = replica(0, false, Some(Bug::NoClientTable));
    let put = put(5, 1, "a");
    let del = Request {
        client: NodeId(6),
        req_id: 1,
        cmd: Command::Delete { key: "a".into() },
    };
    for (op, r) in [(1, &put), (2, &del), (3, &del)] {
        h.deliver(r.client, VrMsg::Request(r.clone()));
        for b in [1, 2] {
            h.deliver(NodeId(b), VrMsg::PrepareOk { view: 0, op });
        }
    }
    let results: Vec<ClientResult> = h
        .take_sent()
        .into_iter()
        .filter_map(|(to, m)| match m {
            VrMsg::Reply(Reply::Done { result, .. }) if to == NodeId(6) => Some(result),
            _ => None,
        })
        .collect();
    assert_eq!(
        results,
        [
            ClientResult::Ok { value: None },
            ClientResult::Error {
                error: "key not found: a".into()
            }
        ]
    );
}

// -------------------------------------------------------------------------------------------
// 4.2 View changes.

#[test]
fn a_backup_that_hears_nothing_from_the_primary_starts_a_view_change_4_2() {
    // Reference: 4.2 step 1: "a replica i that notices the need for a view change advances its
    // view-number, sets its status to view-change, and sends <STARTVIEWCHANGE v, i>".
    let mut h = replica(2, false, None);
    assert!(
        h.out.timers.is_empty(),
        "the start's timers were cleared by the helper"
    );
    h.now = Time::ms(100);
    h.fire(VrTimer::Deadline);
    assert_eq!(h.process.status(), Status::Normal, "not yet timed out");
    time_out(&mut h);
    assert_eq!(
        (h.process.status(), h.process.view()),
        (Status::ViewChange, 1)
    );
    assert_eq!(sent(&mut h), to_all("StartViewChange", 2));
    assert!(
        h.out
            .events
            .contains(&"role view-change view 1 (seeks)".to_string())
    );
}

#[test]
fn a_primary_never_times_out_on_itself_4_2() {
    let mut h = replica(0, false, None);
    time_out(&mut h);
    assert!(h.process.is_primary());
    assert!(h.take_sent().is_empty());
}

#[test]
fn start_view_change_of_a_later_view_is_joined_and_f_of_them_send_do_view_change_4_2() {
    // Reference: 4.2 steps 1 and 2: a STARTVIEWCHANGE with a larger view-number makes a replica
    // join; with STARTVIEWCHANGE from f other replicas it sends <DOVIEWCHANGE v, l, v', n, k, i>
    // to the new primary.
    let mut h = replica(3, false, None);
    let log = log_of(&["a", "b"]);
    h.deliver(NodeId(0), prepare(0, 1, log[0].clone(), 0));
    h.deliver(NodeId(0), prepare(0, 2, log[1].clone(), 1));
    h.clear();
    h.deliver(NodeId(4), VrMsg::StartViewChange { view: 1 });
    assert_eq!(
        (h.process.status(), h.process.view()),
        (Status::ViewChange, 1)
    );
    assert_eq!(sent(&mut h), to_all("StartViewChange", 3));
    h.deliver(NodeId(4), VrMsg::StartViewChange { view: 1 });
    assert!(h.take_sent().is_empty(), "one other is not f = 2");
    h.deliver(NodeId(2), VrMsg::StartViewChange { view: 1 });
    match h.take_sent().as_slice() {
        [
            (
                to,
                VrMsg::DoViewChange {
                    view: 1,
                    log: l,
                    last_normal: 0,
                    op: 2,
                    commit: 1,
                },
            ),
        ] => assert_eq!((*to, l), (NodeId(1), &log)),
        other => panic!("{other:?}"),
    }
}

/// Node 3 changing to view 3 (it is that view's primary), with `others` DoViewChange messages
/// delivered after one StartViewChange from node 0.
fn new_primary(bug: Option<Bug>, others: Vec<(u32, VrMsg)>) -> Harness<VrReplica> {
    let mut h = replica(3, false, bug);
    h.deliver(NodeId(0), VrMsg::StartViewChange { view: 3 });
    for (from, m) in others {
        h.deliver(NodeId(from), m);
    }
    h
}

#[test]
fn the_new_primary_takes_the_log_with_the_largest_last_normal_view_4_2() {
    // Reference: 4.2 step 3: "it selects as the new log the one contained in the message with
    // the largest v'; if several messages have the same v' it selects the one among them with
    // the largest n". A longer log from an older view loses.
    let newer = log_of(&["a", "b"]);
    let older = log_of(&["a", "x", "y", "z"]);
    let mut h = new_primary(
        None,
        vec![
            (2, dvc(3, older.clone(), 1, 1)),
            (1, dvc(3, newer.clone(), 2, 2)),
        ],
    );
    let r = &h.process;
    assert!(r.is_primary());
    assert_eq!((r.view(), r.last_normal(), r.log()), (3, 3, &newer[..]));
    assert_eq!(r.commit(), 2, "the largest commit-number received");
    // The typed contract: the primary of view 3 leads it (election safety reads this).
    assert!(
        h.out
            .events
            .contains(&"role primary view 3 (leads)".to_string())
    );
    let starts: Vec<(u32, &str)> = sent(&mut h)
        .into_iter()
        .filter(|(_, k)| *k == "StartView")
        .collect();
    assert_eq!(starts, to_all("StartView", 3));
}

#[test]
fn a_new_primary_reports_what_the_chosen_log_replaces_and_brings() {
    // What a campaign counts: node 3 held a, q from view 0 (nothing committed); the chosen
    // log of view 2 is a, b, c, all committed. Its own q is discarded, c caught up.
    let mut h = replica(3, false, None);
    let own = log_of(&["a", "q"]);
    for (i, e) in own.iter().enumerate() {
        h.deliver(NodeId(0), prepare(0, i as u64 + 1, e.clone(), 0));
    }
    h.clear();
    let chosen = log_of(&["a", "b", "c"]);
    h.deliver(NodeId(0), VrMsg::StartViewChange { view: 3 });
    h.deliver(NodeId(1), dvc(3, chosen.clone(), 2, 3));
    h.deliver(NodeId(2), dvc(3, chosen.clone(), 2, 3));
    assert!(h.process.is_primary());
    assert_eq!(h.process.log(), &chosen[..]);
    for e in ["truncate 2 +1", "catch-up 3..3"] {
        assert!(h.out.events.contains(&e.to_string()), "{:?}", h.out.events);
    }
}

#[test]
fn among_logs_of_the_same_last_normal_view_the_largest_op_number_wins_4_2() {
    let short = log_of(&["a"]);
    let long = log_of(&["a", "b", "c"]);
    let h = new_primary(
        None,
        vec![(1, dvc(3, long.clone(), 2, 1)), (2, dvc(3, short, 2, 1))],
    );
    assert_eq!(h.process.log(), &long[..]);
}

#[test]
fn the_planted_bug_takes_the_longest_log_whatever_its_view() {
    // `ignore-last-normal-view`: the stale, longer log wins, and ops committed in view 2 are
    // lost.
    let newer = log_of(&["a", "b"]);
    let older = log_of(&["a", "x", "y", "z"]);
    let h = new_primary(
        Some(Bug::IgnoreLastNormalView),
        vec![(2, dvc(3, older.clone(), 1, 1)), (1, dvc(3, newer, 2, 2))],
    );
    assert_eq!(h.process.log(), &older[..]);
}

#[test]
fn the_new_primary_needs_f_plus_1_do_view_changes_its_own_among_them_4_2() {
    let log = log_of(&["a"]);
    let mut h = replica(3, false, None);
    // DoViewChange from two others: each also counts as that replica's StartViewChange, so the
    // new primary has f of them and adds its own: three in all.
    h.deliver(NodeId(1), dvc(3, log.clone(), 0, 0));
    assert_eq!(h.process.status(), Status::ViewChange);
    h.deliver(NodeId(2), dvc(3, log.clone(), 0, 0));
    assert!(h.process.is_primary());
}

#[test]
fn the_new_primary_executes_committed_ops_and_answers_their_clients_4_2() {
    // Reference: 4.2 step 4: "the new primary ... executes (in order) any committed operations
    // that it hadn't executed previously, updates its client table, and sends the replies".
    let log = log_of(&["a", "b", "c"]);
    let h = new_primary(
        None,
        vec![(1, dvc(3, log.clone(), 0, 2)), (2, dvc(3, log, 0, 1))],
    );
    let r = &h.process;
    assert_eq!((r.op(), r.commit()), (3, 2));
    let replies: Vec<NodeId> = h
        .out
        .sent
        .iter()
        .filter_map(|(to, m)| matches!(m, VrMsg::Reply(Reply::Done { .. })).then_some(*to))
        .collect();
    assert_eq!(replies, [NodeId(5), NodeId(6)]);
}

#[test]
fn a_replica_takes_the_log_of_start_view_and_acknowledges_the_uncommitted_ops_4_2() {
    // Reference: 4.2 step 5: replicas replace their log, set status normal, "if there are
    // non-committed operations in the log, they send a <PREPAREOK v, n, i>", and execute the
    // committed ones.
    let mut h = replica(4, false, None);
    h.deliver(NodeId(0), prepare(0, 1, put(9, 1, "stale"), 0));
    h.deliver(NodeId(2), VrMsg::StartViewChange { view: 1 });
    h.clear();
    let log = log_of(&["a", "b", "c"]);
    h.deliver(
        NodeId(1),
        VrMsg::StartView {
            view: 1,
            log: log.clone(),
            op: 3,
            commit: 2,
        },
    );
    let r = &h.process;
    assert_eq!(
        (r.status(), r.view(), r.log(), r.commit()),
        (Status::Normal, 1, &log[..], 2)
    );
    assert_eq!(sent(&mut h), [(1, "PrepareOk")]);
}

#[test]
fn messages_of_older_views_are_ignored_4_2() {
    let mut h = replica(4, false, None);
    h.deliver(NodeId(1), dvc(1, Vec::new(), 0, 0));
    h.deliver(NodeId(2), VrMsg::StartViewChange { view: 1 });
    h.clear();
    h.deliver(NodeId(0), prepare(0, 1, put(5, 1, "a"), 0));
    h.deliver(NodeId(0), VrMsg::Commit { view: 0, commit: 1 });
    h.deliver(NodeId(0), VrMsg::StartViewChange { view: 0 });
    assert!(h.take_sent().is_empty());
    assert_eq!((h.process.view(), h.process.op()), (1, 0));
}

#[test]
fn a_view_change_that_does_not_complete_moves_on_to_the_next_view_4_2() {
    // Reference: 4.2: if the new primary fails, the replicas time out and go on to view v + 1.
    let mut h = replica(2, false, None);
    h.deliver(NodeId(4), VrMsg::StartViewChange { view: 1 });
    h.clear();
    time_out(&mut h);
    assert_eq!(
        (h.process.status(), h.process.view()),
        (Status::ViewChange, 2)
    );
    assert_eq!(sent(&mut h), to_all("StartViewChange", 2));
}

// -------------------------------------------------------------------------------------------
// 4.3 Recovery.

/// The nonce of the Recovery a restarted replica sent.
fn recovering(id: u32, bug: Option<Bug>) -> (Harness<VrReplica>, u64) {
    let p = VrReplica::new(cfg(bug), NodeId(id), Some(Durable));
    let mut h = Harness::new(NodeId(id), p, 7);
    h.start();
    let nonces: Vec<u64> = h
        .take_sent()
        .into_iter()
        .map(|(_, m)| match m {
            VrMsg::Recovery { nonce } => nonce,
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(nonces.len(), 4, "Recovery goes to every other replica");
    assert!(nonces.iter().all(|n| *n == nonces[0]));
    h.clear();
    (h, nonces[0])
}

#[test]
fn a_restarted_replica_keeps_nothing_and_asks_every_replica_with_a_nonce_4_3() {
    // Reference: 4.3 step 1, "the recovering replica, i, sends a <RECOVERY i, x> message to all
    // other replicas, where x is a nonce".
    let (mut h, nonce) = recovering(2, None);
    let r = &h.process;
    assert_eq!((r.status(), r.op(), r.commit()), (Status::Recovering, 0, 0));
    assert_eq!(nonce, r.nonce());
    assert!(!synod_core::Process::status(r).leader);
    // Its resends carry the same nonce: they belong to the same recovery.
    h.fire(VrTimer::Tick);
    assert!(
        h.take_sent()
            .iter()
            .all(|(_, m)| matches!(m, VrMsg::Recovery { nonce: n } if *n == nonce))
    );
}

#[test]
fn a_recovering_replica_takes_no_part_in_requests_prepares_or_view_changes_4_3() {
    // Reference: 4.3: "it cannot participate in request processing and view changes until it
    // has a state at least as recent as when it failed".
    let (mut h, _) = recovering(2, None);
    h.deliver(NodeId(0), prepare(0, 1, put(5, 1, "a"), 0));
    h.deliver(NodeId(1), VrMsg::StartViewChange { view: 1 });
    h.deliver(NodeId(1), dvc(2, log_of(&["a"]), 1, 1));
    h.deliver(NodeId(3), VrMsg::Recovery { nonce: 1 });
    assert!(h.take_sent().is_empty());
    h.deliver(NodeId(5), VrMsg::Request(put(5, 1, "a")));
    match h.take_sent().as_slice() {
        [(_, VrMsg::Reply(Reply::NotLeader { leader: None, .. }))] => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(h.process.status(), Status::Recovering);
}

#[test]
fn only_a_replica_in_normal_status_answers_recovery_and_only_the_primary_with_its_state_4_3() {
    // Reference: 4.3 step 2, "a replica j replies to a RECOVERY message only when its status is
    // normal"; "if j is the primary of its view, l is its log, n is its op-number, and k is the
    // commit-number; otherwise these values are nil".
    let mut p = primary_with(&["a", "b"]);
    p.deliver(NodeId(3), VrMsg::Recovery { nonce: 42 });
    match p.take_sent().as_slice() {
        [
            (
                _,
                VrMsg::RecoveryResponse {
                    view: 0,
                    nonce: 42,
                    state: Some((log, 2, 2)),
                },
            ),
        ] => assert_eq!(log.len(), 2),
        other => panic!("{other:?}"),
    }
    let mut b = replica(1, false, None);
    b.deliver(NodeId(3), VrMsg::Recovery { nonce: 42 });
    match b.take_sent().as_slice() {
        [
            (
                _,
                VrMsg::RecoveryResponse {
                    view: 0,
                    nonce: 42,
                    state: None,
                },
            ),
        ] => {}
        other => panic!("{other:?}"),
    }
    b.deliver(NodeId(2), VrMsg::StartViewChange { view: 1 });
    b.clear();
    b.deliver(NodeId(3), VrMsg::Recovery { nonce: 42 });
    assert!(b.take_sent().is_empty(), "changing views: no answer");
}

#[test]
fn the_planted_bug_answers_recovery_while_changing_views() {
    // `recovery-answer-in-view-change`: node 1, the primary-to-be of view 1, answers with its
    // own log as if view 1 had started.
    let mut b = replica(1, false, Some(Bug::RecoveryAnswerInViewChange));
    b.deliver(NodeId(2), VrMsg::StartViewChange { view: 1 });
    b.clear();
    b.deliver(NodeId(3), VrMsg::Recovery { nonce: 42 });
    match b.take_sent().as_slice() {
        [
            (
                _,
                VrMsg::RecoveryResponse {
                    view: 1,
                    state: Some(_),
                    ..
                },
            ),
        ] => {}
        other => panic!("{other:?}"),
    }
}

fn response(view: u64, nonce: u64, state: Option<(Vec<Request>, u64)>) -> VrMsg {
    VrMsg::RecoveryResponse {
        view,
        nonce,
        state: state.map(|(log, k)| {
            let n = log.len() as u64;
            (log, n, k)
        }),
    }
}

#[test]
fn recovery_needs_f_plus_1_answers_to_its_nonce_one_from_the_latest_views_primary_4_3() {
    // Reference: 4.3 step 3: "the recovering replica waits to receive at least f + 1
    // RECOVERYRESPONSE messages from different replicas, all containing the nonce it sent in
    // its RECOVERY message, including one from the primary of the latest view it learns of".
    let (mut h, nonce) = recovering(4, None);
    let log = log_of(&["a", "b", "c"]);
    h.deliver(NodeId(0), response(2, nonce, None));
    h.deliver(NodeId(1), response(2, nonce ^ 1, None)); // another recovery's answer
    h.deliver(NodeId(1), response(1, nonce, None));
    h.deliver(NodeId(3), response(2, nonce, None));
    assert_eq!(
        h.process.status(),
        Status::Recovering,
        "three answers, but none from node 2, the primary of view 2"
    );
    // The primary of an older view does not count.
    h.deliver(NodeId(1), response(1, nonce, Some((log_of(&["old"]), 1))));
    assert_eq!(h.process.status(), Status::Recovering);
    h.deliver(NodeId(2), response(2, nonce, Some((log.clone(), 2))));
    let r = &h.process;
    assert_eq!(
        (r.status(), r.view(), r.log(), r.commit()),
        (Status::Normal, 2, &log[..], 2)
    );
    assert_eq!(
        h.out
            .events
            .iter()
            .filter(|e| e.starts_with("apply"))
            .count(),
        2,
        "the store is rebuilt by executing the committed ops"
    );
    assert_eq!(sent(&mut h), [(2, "PrepareOk")]);
}

// -------------------------------------------------------------------------------------------
// 5.2 State transfer.

/// Replica 2, a backup of view 0 holding ops a, b, c (2 committed), and the log of view 3
/// (a, b, x, y) whose primary, node 3, it has not heard from yet.
fn before_view_3() -> (Harness<VrReplica>, Vec<Request>) {
    let mut h = replica(2, false, None);
    let old = log_of(&["a", "b", "c"]);
    for (i, e) in old.iter().enumerate() {
        h.deliver(NodeId(0), prepare(0, i as u64 + 1, e.clone(), i as u64));
    }
    (h, log_of(&["a", "b", "x", "y"]))
}

#[test]
fn a_replica_that_hears_of_a_later_view_keeps_its_committed_prefix_and_asks_for_the_rest_5_2() {
    // Reference: 5.2: a replica that learns of a later view it was not part of asks for the
    // log after its commit-number, <GETSTATE v, n', i>, and the primary's log replaces its own
    // from there. (The paper drops the rest of its log at once; this replica keeps it until
    // the state arrives: see the next test.)
    let (mut h, new) = before_view_3();
    assert_eq!((h.process.op(), h.process.commit()), (3, 2));
    h.clear();
    h.deliver(NodeId(3), prepare(3, 4, new[3].clone(), 3));
    let r = &h.process;
    assert_eq!((r.status(), r.view()), (Status::Normal, 3));
    // Its log is still view 0's, whole, until the state arrives.
    assert_eq!((r.last_normal(), r.op()), (0, 3));
    match h.take_sent().as_slice() {
        [(to, VrMsg::GetState { view: 3, op: 2 })] => assert_eq!(*to, NodeId(3)),
        other => panic!("{other:?}"),
    }
    h.deliver(
        NodeId(3),
        VrMsg::NewState {
            view: 3,
            after: 2,
            entries: new[2..3].to_vec(),
            op: 3,
            commit: 3,
        },
    );
    // Op 3 came by state transfer; op 4, which had arrived early, follows it.
    let r = &h.process;
    assert_eq!((r.log(), r.commit()), (&new[..], 3));
    assert_eq!(r.last_normal(), 3, "the log is view 3's now");
    // What a campaign counts: its own op 3 (c) discarded for view 3's (x), committed.
    for e in ["truncate 3 +1", "catch-up 3..3"] {
        assert!(h.out.events.contains(&e.to_string()), "{:?}", h.out.events);
    }
    assert_eq!(sent(&mut h), [(3, "PrepareOk")]);
}

#[test]
fn a_start_view_that_arrives_after_the_views_first_prepare_is_taken_4_2() {
    // The new primary's first Prepare overtook its StartView: the replica joined view 3 by
    // state transfer and waits for the state. The StartView, when it comes, is the view's log
    // (whatever its length next to the replica's own, which is not the view's): taken.
    let (mut h, new) = before_view_3();
    h.deliver(NodeId(3), prepare(3, 4, new[3].clone(), 3));
    assert_eq!(h.process.last_normal(), 0);
    h.deliver(
        NodeId(3),
        VrMsg::StartView {
            view: 3,
            log: new[..3].to_vec(),
            op: 3,
            commit: 3,
        },
    );
    let r = &h.process;
    assert_eq!(
        (r.status(), r.view(), r.last_normal()),
        (Status::Normal, 3, 3)
    );
    assert_eq!(r.log(), &new[..3]);
}

#[test]
fn a_view_change_before_the_state_arrives_ranks_the_truncated_log_by_its_old_view_5_2() {
    // Found by the `comeback` nemesis (20,000-seed campaigns): a replica hears of view 3, and
    // the primary of view 3 crashes before answering GetState. Had it truncated its log to its
    // commit-number and taken view 3 as its last-normal view (the paper's 5.2), its
    // DoViewChange would offer a log that lacks ops committed past that commit-number, maybe
    // with its own acknowledgement, ranked above the logs that hold them (4.2 ranks by
    // last-normal view first), and the next view would lose them. It offers what it had.
    let (mut h, new) = before_view_3();
    h.deliver(NodeId(3), prepare(3, 4, new[3].clone(), 3));
    h.clear();
    h.deliver(NodeId(1), VrMsg::StartViewChange { view: 4 });
    h.deliver(NodeId(0), VrMsg::StartViewChange { view: 4 });
    let dvcs: Vec<(NodeId, VrMsg)> = h
        .take_sent()
        .into_iter()
        .filter(|(_, m)| matches!(m, VrMsg::DoViewChange { .. }))
        .collect();
    match dvcs.as_slice() {
        [
            (
                to,
                VrMsg::DoViewChange {
                    view: 4,
                    last_normal,
                    op,
                    ..
                },
            ),
        ] => {
            assert_eq!((*to, *last_normal, *op), (NodeId(4), 0, 3));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn get_state_is_answered_only_in_normal_status_and_the_askers_view_5_2() {
    let mut p = primary_with(&["a", "b", "c"]);
    p.deliver(NodeId(4), VrMsg::GetState { view: 0, op: 1 });
    match p.take_sent().as_slice() {
        [
            (
                _,
                VrMsg::NewState {
                    view: 0,
                    after: 1,
                    entries,
                    op: 3,
                    commit: 3,
                },
            ),
        ] => assert_eq!(entries.len(), 2),
        other => panic!("{other:?}"),
    }
    p.deliver(NodeId(4), VrMsg::GetState { view: 1, op: 1 });
    assert!(p.take_sent().is_empty());
}

// -------------------------------------------------------------------------------------------
// The live checks catch real violations.

fn node(h: Harness<VrReplica>) -> VrNode {
    VrNode::Server(h.process)
}

fn check(nodes: &[VrNode]) -> Option<String> {
    let names = (1..=nodes.len()).map(|i| format!("n{i}")).collect();
    let mut checker = VrChecker::new(names);
    checker.check(nodes.iter().map(Some)).map(|(p, _)| p)
}

#[test]
fn the_checker_catches_two_replicas_committing_different_ops_at_one_op_number() {
    let mut a = replica(1, false, None);
    a.deliver(NodeId(0), prepare(0, 1, put(5, 1, "a"), 0));
    a.deliver(NodeId(0), VrMsg::Commit { view: 0, commit: 1 });
    let mut b = replica(2, false, None);
    b.deliver(NodeId(0), prepare(0, 1, put(6, 1, "b"), 0));
    b.deliver(NodeId(0), VrMsg::Commit { view: 0, commit: 1 });
    let idle = replica(0, false, None);
    assert_eq!(
        check(&[node(idle), node(a), node(b)]).as_deref(),
        Some("state machine safety")
    );
}

#[test]
fn the_checker_catches_a_new_primary_without_a_committed_op() {
    // Node 1 committed op 1 in view 0; node 3 becomes primary of view 3 with an empty log.
    let mut a = replica(1, false, None);
    a.deliver(NodeId(0), prepare(0, 1, put(5, 1, "a"), 1));
    let p = new_primary(
        None,
        vec![(1, dvc(3, Vec::new(), 0, 0)), (2, dvc(3, Vec::new(), 0, 0))],
    );
    assert!(p.process.is_primary());
    let idle = || node(replica(4, false, None));
    assert_eq!(
        check(&[idle(), node(a), idle(), node(p)]).as_deref(),
        Some("primary completeness")
    );
}

#[test]
fn the_checker_catches_a_replica_normal_in_a_view_without_an_op_committed_before_it_4_3() {
    // Node 1 committed op 1 in view 0. Node 4 recovers into view 2 from answers whose
    // primary of view 2 gives it an empty log (a primary-to-be whose view change has not
    // finished, as the planted `recovery-answer-in-view-change` lets it answer).
    let mut a = replica(1, false, None);
    a.deliver(NodeId(0), prepare(0, 1, put(5, 1, "a"), 1));
    let (mut r, nonce) = recovering(4, None);
    for from in [0, 3] {
        r.deliver(NodeId(from), response(2, nonce, None));
    }
    r.deliver(NodeId(2), response(2, nonce, Some((Vec::new(), 0))));
    assert_eq!((r.process.status(), r.process.view()), (Status::Normal, 2));
    let idle = |id| node(replica(id, false, None));
    assert_eq!(
        check(&[idle(0), node(a), idle(2), idle(3), node(r)]).as_deref(),
        Some("view completeness")
    );
    // Recovering with the op is fine; so is a view whose committed ops came in that view.
    let mut b = replica(1, false, None);
    b.deliver(NodeId(0), prepare(0, 1, put(5, 1, "a"), 1));
    let (mut r, nonce) = recovering(4, None);
    for from in [0, 3] {
        r.deliver(NodeId(from), response(2, nonce, None));
    }
    r.deliver(
        NodeId(2),
        response(2, nonce, Some((vec![put(5, 1, "a")], 1))),
    );
    assert_eq!(
        check(&[idle(0), node(b), idle(2), idle(3), node(r)]).as_deref(),
        None
    );
}

#[test]
fn the_checker_catches_two_primaries_of_one_view() {
    // Impossible with one configuration (the primary of view v is v mod n): two replicas that
    // disagree on n both lead view 5.
    let lead_view_5 = |id: u32, replicas: usize| {
        let cfg = Rc::new(VrConfig {
            replicas,
            ..VrConfig::default()
        });
        let mut h = Harness::new(NodeId(id), VrReplica::new(cfg, NodeId(id), None), 7);
        h.start();
        for from in [2, 3] {
            h.deliver(NodeId(from), dvc(5, Vec::new(), 0, 0));
        }
        assert!(h.process.is_primary() && h.process.view() == 5);
        node(h)
    };
    assert_eq!(
        check(&[lead_view_5(0, 5), lead_view_5(1, 4)]).as_deref(),
        Some("one primary per view")
    );
}

#[test]
fn a_backup_whose_primary_asks_for_recovery_starts_a_view_change_at_once_4_2() {
    // Reference: 4.2 step 1, "a replica that notices the need for a view change". A primary
    // that sends Recovery has lost its state: it will prepare nothing more in its view, and it
    // cannot recover before a later view starts. The backup answers, then changes views.
    let mut h = replica(2, false, None);
    h.deliver(NodeId(0), VrMsg::Recovery { nonce: 9 });
    let kinds = sent(&mut h);
    assert_eq!(kinds[0], (0, "RecoveryResponse"));
    assert_eq!(&kinds[1..], &to_all("StartViewChange", 2)[..]);
    assert_eq!(
        (h.process.status(), h.process.view()),
        (Status::ViewChange, 1)
    );
    // Recovery from another backup changes nothing.
    let mut b = replica(2, false, None);
    b.deliver(NodeId(3), VrMsg::Recovery { nonce: 9 });
    assert_eq!(sent(&mut b), [(3, "RecoveryResponse")]);
    assert_eq!(b.process.status(), Status::Normal);
}

// -------------------------------------------------------------------------------------------
// What `synod view` draws.

/// Apply one report's changes to `state` (`field` or `table/key` -> cells).
fn replay(
    state: &mut std::collections::BTreeMap<String, Vec<String>>,
    changes: &[synod_core::view::StateChange],
) {
    use synod_core::view::StateChange;
    for c in changes {
        let (key, value) = match c {
            StateChange::Field { name, value } => {
                (name.to_string(), value.clone().map(|v| vec![v]))
            }
            StateChange::Row { table, key, cells } => (format!("{table}/{key}"), cells.clone()),
        };
        match value {
            Some(v) => state.insert(key, v),
            None => state.remove(&key),
        };
    }
}

/// The state a replica's view must add up to: Figure 2's fields, the log by op-number and the
/// store, read from the replica itself.
fn expected(r: &VrReplica) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut want = std::collections::BTreeMap::new();
    let mut put = |k: String, v: Vec<String>| {
        want.insert(k, v);
    };
    let status = match r.status() {
        Status::Normal => "normal",
        Status::ViewChange => "view-change",
        Status::Recovering => "recovering",
    };
    put("status".into(), vec![status.into()]);
    put("view".into(), vec![r.view().to_string()]);
    put(
        "primary".into(),
        vec![format!("n{}", r.primary_of(r.view()).0 + 1)],
    );
    put("last_normal".into(), vec![r.last_normal().to_string()]);
    put("op".into(), vec![r.op().to_string()]);
    put("commit".into(), vec![r.commit().to_string()]);
    for (i, req) in r.log().iter().enumerate() {
        let Command::Put { key, .. } = &req.cmd else {
            panic!("puts only")
        };
        put(
            format!("log/{}", i + 1),
            vec![format!("P {key}"), req.cmd.to_string()],
        );
    }
    for (k, v) in r.store().data() {
        put(format!("store/{k}"), vec![v.clone()]);
    }
    want
}

#[test]
fn the_view_reports_the_log_from_its_first_change_and_adds_up_to_the_replicas_state() {
    // A backup appends ops (reported from the new op on), executes some, then takes a shorter
    // log of another view from StartView (the replaced ops must go) and fetches the rest.
    let mut h = replica(1, false, None);
    let mut view = synod_core::view::StateView::default();
    let mut state = std::collections::BTreeMap::new();
    let mut step = |h: &mut Harness<VrReplica>, what: &str| {
        let changes = view.report(|v| h.process.report_view(v)).to_vec();
        replay(&mut state, &changes);
        assert_eq!(state, expected(&h.process), "after {what}: {changes:?}");
        changes.len()
    };
    step(&mut h, "start");
    let log = log_of(&["a", "b", "c"]);
    for (i, e) in log.iter().enumerate() {
        h.deliver(NodeId(0), prepare(0, i as u64 + 1, e.clone(), i as u64));
        // The op-number, the new row, and the commit-number and store once ops commit.
        assert!(step(&mut h, "a prepare") <= 4);
    }
    assert_eq!(h.process.commit(), 2);
    let newer = [log[0].clone(), log[1].clone(), put(9, 1, "x")];
    h.deliver(NodeId(2), VrMsg::StartViewChange { view: 2 });
    step(&mut h, "a view change");
    h.deliver(
        NodeId(2),
        VrMsg::StartView {
            view: 2,
            op: 2,
            log: newer[..2].to_vec(),
            commit: 2,
        },
    );
    step(&mut h, "StartView with a shorter log");
    h.deliver(
        NodeId(2),
        VrMsg::NewState {
            view: 2,
            after: 2,
            entries: newer[2..].to_vec(),
            op: 3,
            commit: 3,
        },
    );
    step(&mut h, "NewState");
    assert_eq!(h.process.log(), &newer[..]);
    assert_eq!(
        state["log/3"],
        ["P x".to_string(), newer[2].cmd.to_string()]
    );
    assert_eq!(state["primary"], ["n3"]);
}
