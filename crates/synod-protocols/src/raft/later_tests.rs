//! Paper-behaviour tests of what comes after the paper's section 5: log compaction (section
//! 7), and from Ongaro's dissertation PreVote (9.6), CheckQuorum (6.2) with the rule of 4.2.3,
//! membership changes (4.1, 4.2.2), leadership transfer (3.10) and reads (6.4, 6.4.1). One
//! server in a harness, fed exact messages and timers; each test is named after the behaviour
//! and ends with the section it follows.

use super::tests::{append, append_replies, durable, entry, granted, ok_reply, paper, server};
use super::*;
use crate::kv::{Command, Reply, Request, Sessions, Store};
use std::sync::Arc;
use synod_core::testing::Harness;
use synod_core::{ClientResult, NodeId, Process};

/// Node `id` with configuration `cfg`, started from `d` at time 0.
fn node_with(id: u32, cfg: RaftConfig, d: Option<Durable>) -> Harness<RaftNode> {
    let p = RaftNode::Server(RaftServer::new(Arc::new(cfg), NodeId(id), d));
    let mut h = Harness::new(NodeId(id), p, 7);
    h.start();
    h
}

/// Section 5's configuration with `f` applied.
fn with(f: impl FnOnce(&mut RaftConfig)) -> RaftConfig {
    let mut c = paper(None);
    f(&mut c);
    c
}

/// Node 0 made leader of the next term with the votes of nodes 1 and 2, at time 1000 ms.
fn leader_with(cfg: RaftConfig, d: Option<Durable>) -> Harness<RaftNode> {
    let pre_vote = cfg.pre_vote;
    let mut h = node_with(0, cfg, d);
    h.now = Time::ms(1000);
    h.fire(RaftTimer::Election);
    if pre_vote {
        let term = server(&h).term() + 1;
        for v in [1, 2] {
            h.deliver(
                NodeId(v),
                RaftMsg::PreVoteReply {
                    term,
                    granted: true,
                },
            );
        }
    }
    let term = server(&h).term();
    for v in [1, 2] {
        h.deliver(
            NodeId(v),
            RaftMsg::Vote {
                term,
                granted: true,
            },
        );
    }
    assert_eq!(server(&h).role(), Role::Leader);
    h.clear();
    h
}

/// Followers 1 and 2 acknowledge the leader's log up to `upto` (its no-op, say).
fn ack(h: &mut Harness<RaftNode>, from: &[u32], upto: u64, round: u64) {
    let term = server(h).term();
    for &f in from {
        h.deliver(
            NodeId(f),
            RaftMsg::AppendReply {
                term,
                success: true,
                prev_log_index: upto.saturating_sub(1),
                len: 1,
                match_index: upto,
                conflict_index: 0,
                conflict_term: 0,
                round,
            },
        );
    }
}

fn put(term: u64, client: u32, req: u64, key: &str) -> Entry {
    Entry::command(
        term,
        Some((NodeId(client), req)),
        Command::Put {
            key: key.into(),
            value: format!("v{req}"),
        },
    )
}

fn request(client: u32, req_id: u64, cmd: Command) -> RaftMsg {
    RaftMsg::Request(Request {
        client: NodeId(client),
        req_id,
        cmd,
    })
}

fn get(key: &str) -> Command {
    Command::Get { key: key.into() }
}

/// The replies to clients sent so far.
fn replies(h: &mut Harness<RaftNode>) -> Vec<(NodeId, Reply)> {
    h.take_sent()
        .into_iter()
        .filter_map(|(to, m)| match m {
            RaftMsg::Reply(r) => Some((to, r)),
            _ => None,
        })
        .collect()
}

/// A snapshot up to `index` (term `term`) of a store holding `a`, with client 9's request 1
/// remembered.
fn snapshot(index: u64, term: u64) -> SharedSnapshot {
    let mut store = Store::default();
    let mut sessions = Sessions::default();
    sessions.apply(&mut store, NodeId(9), 1, &put(1, 9, 1, "a").cmd);
    Arc::new(Snapshot {
        last_index: index,
        last_term: term,
        config: RaftConfig::default().initial,
        store,
        sessions,
    })
}

use super::log::SharedSnapshot;

// ---------------------------------------------------------------- section 7: log compaction

#[test]
fn a_server_snapshots_after_snapshot_every_applied_entries_and_discards_its_log_7() {
    let cfg = with(|c| c.snapshot_every = 3);
    let mut h = node_with(3, cfg, None);
    let entries = vec![put(1, 5, 1, "a"), put(1, 6, 1, "b"), put(1, 5, 2, "c")];
    h.deliver(NodeId(0), append(1, 0, 0, entries, 2));
    assert!(server(&h).snapshot().is_none(), "2 applied, not 3");
    h.deliver(NodeId(0), append(1, 3, 1, vec![], 3));
    // Taken as the next event begins (between events, as in the background).
    h.deliver(NodeId(0), append(1, 3, 1, vec![put(1, 6, 2, "d")], 3));
    let s = server(&h);
    let snap = s.snapshot().expect("a snapshot");
    assert_eq!((snap.last_index, snap.last_term), (3, 1));
    assert_eq!(snap.store.len(), 3);
    assert_eq!(snap.sessions.len(), 2, "the sessions of clients 5 and 6");
    assert_eq!((s.log().first_index(), s.log().last_index()), (4, 4));
    assert!(s.log().get(3).is_none() && s.log().term_at(3) == Some(1));
    assert!(
        h.out
            .logs
            .iter()
            .any(|(_, l)| l.starts_with("snapshot up to index 3 (term 1)")),
        "{:?}",
        h.out.logs
    );
}

#[test]
fn a_restarted_server_rebuilds_its_store_and_sessions_from_its_snapshot_7() {
    let mut d = durable(2, None, &[]).unwrap();
    d.log = Log::after(4, 1);
    d.log.push(put(2, 9, 2, "b"));
    d.snapshot = Some(snapshot(4, 1));
    let h = node_with(3, paper(None), Some(d));
    let s = server(&h);
    assert_eq!((s.commit_index(), s.last_applied()), (4, 4));
    assert_eq!(s.store().data().get("a").map(String::as_str), Some("v1"));
    assert!(
        h.out
            .logs
            .iter()
            .any(|(_, l)| l.contains("snapshot up to index 4")),
        "{:?}",
        h.out.logs
    );
}

#[test]
fn a_leader_sends_its_snapshot_to_a_follower_behind_its_first_index_7() {
    let mut d = durable(1, None, &[]).unwrap();
    d.log = Log::after(5, 1);
    d.log.push(entry(1, "x"));
    d.snapshot = Some(snapshot(5, 1));
    let mut h = leader_with(paper(None), Some(d));
    assert_eq!(server(&h).log().last_index(), 7, "no-op at 7");
    h.fire(RaftTimer::Heartbeat(2));
    h.clear();
    // Node 1's log ends at 2: it refuses the heartbeat after 7 and asks for 3.
    h.deliver(
        NodeId(1),
        RaftMsg::AppendReply {
            term: 2,
            success: false,
            prev_log_index: 7,
            len: 0,
            match_index: 0,
            conflict_index: 3,
            conflict_term: 0,
            round: 1,
        },
    );
    let sent = h.take_sent();
    assert!(
        matches!(&sent[..], [(NodeId(1), RaftMsg::InstallSnapshot { term: 2, snapshot, .. })] if snapshot.last_index == 5),
        "{sent:?}"
    );
    // Installed: replication goes on from index 6.
    h.deliver(
        NodeId(1),
        RaftMsg::SnapshotReply {
            term: 2,
            match_index: 5,
            round: 1,
        },
    );
    let sent = h.take_sent();
    assert!(
        matches!(
            &sent[..],
            [(
                NodeId(1),
                RaftMsg::AppendEntries {
                    prev_log_index: 5,
                    ..
                }
            )]
        ),
        "{sent:?}"
    );
}

#[test]
fn install_snapshot_keeps_the_entries_after_a_matching_last_entry_and_discards_a_conflicting_log_7()
{
    // Figure 13, receiver implementation, steps 6 and 7.
    let mut h = node_with(3, paper(None), durable(1, None, &[1, 1, 1, 1]));
    h.deliver(
        NodeId(0),
        RaftMsg::InstallSnapshot {
            term: 1,
            snapshot: snapshot(3, 1),
            round: 0,
        },
    );
    let s = server(&h);
    assert_eq!(
        (s.log().first_index(), s.log().last_index()),
        (4, 4),
        "entry 4 kept"
    );
    assert_eq!((s.commit_index(), s.last_applied()), (3, 3));
    assert_eq!(s.store().len(), 1, "the snapshot's store");
    let sent = h.take_sent();
    assert!(matches!(
        &sent[..],
        [(NodeId(0), RaftMsg::SnapshotReply { match_index: 3, .. })]
    ));

    let mut h = node_with(3, paper(None), durable(2, None, &[1, 1, 1, 1]));
    h.deliver(
        NodeId(0),
        RaftMsg::InstallSnapshot {
            term: 2,
            snapshot: snapshot(3, 2),
            round: 0,
        },
    );
    let s = server(&h);
    assert_eq!(
        (
            s.log().first_index(),
            s.log().last_index(),
            s.log().last_term()
        ),
        (4, 3, 2),
        "its entry 3 has another term: the whole log goes"
    );
}

#[test]
fn append_entries_before_a_followers_snapshot_skip_the_compacted_prefix_7() {
    let mut d = durable(1, None, &[]).unwrap();
    d.log = Log::after(5, 1);
    d.snapshot = Some(snapshot(5, 1));
    let mut h = node_with(3, paper(None), Some(d));
    // Entries 4..7 from a leader whose next index for this follower lagged: 4 and 5 are in
    // the snapshot (committed, so equal), 6 and 7 are new.
    let entries = (4..=7).map(|i| entry(1, &format!("k{i}"))).collect();
    h.deliver(NodeId(0), append(1, 3, 1, entries, 7));
    assert_eq!(append_replies(&mut h), [(true, 7, 0)]);
    let s = server(&h);
    assert_eq!((s.log().last_index(), s.commit_index()), (7, 7));
    // All of them before the snapshot: acknowledged up to it, nothing stored.
    h.deliver(NodeId(0), append(1, 1, 1, vec![entry(1, "k2")], 7));
    assert_eq!(append_replies(&mut h), [(true, 5, 0)]);
}

#[test]
fn the_planted_bug_snapshot_drops_sessions_so_a_retry_applies_twice() {
    // Client 5's put of `a` is applied at index 1 and its reply lost; client 6 deletes `a`;
    // client 5 retries its put, a second copy at index 3. With the sessions in the snapshot the
    // copy is answered from memory; without them, a server restored from the snapshot applies
    // it again and `a` comes back.
    for (bug, expect_a) in [(None, false), (Some(Bug::SnapshotDropsSessions), true)] {
        let cfg = RaftConfig {
            bug,
            ..with(|c| c.snapshot_every = 2)
        };
        let mut h = node_with(3, cfg.clone(), None);
        let del = Entry::command(1, Some((NodeId(6), 1)), Command::Delete { key: "a".into() });
        h.deliver(NodeId(0), append(1, 0, 0, vec![put(1, 5, 1, "a"), del], 2));
        h.deliver(NodeId(0), append(1, 2, 1, vec![], 2)); // snapshot at 2
        assert!(server(&h).snapshot().is_some());
        let restarted = h.process.durable();
        let mut h = node_with(3, cfg, restarted);
        h.deliver(NodeId(0), append(1, 2, 1, vec![put(1, 5, 1, "a")], 3));
        assert_eq!(
            server(&h).store().data().contains_key("a"),
            expect_a,
            "bug {bug:?}"
        );
    }
}

// ------------------------------------------------------------------ dissertation 9.6: PreVote

#[test]
fn election_timeout_asks_for_pre_votes_without_raising_the_term_9_6() {
    let cfg = with(|c| c.pre_vote = true);
    let mut h = node_with(0, cfg, durable(4, None, &[1, 4]));
    h.now = Time::ms(1000);
    h.fire(RaftTimer::Election);
    let s = server(&h);
    assert_eq!(
        (s.role(), s.term(), s.voted_for()),
        (Role::PreCandidate, 4, None)
    );
    let sent = h.take_sent();
    assert_eq!(sent.len(), 4);
    assert!(sent.iter().all(|(_, m)| matches!(
        m,
        RaftMsg::PreVote {
            term: 5,
            last_log_index: 2,
            last_log_term: 4
        }
    )));
    assert!(
        h.out
            .events
            .contains(&"role pre-candidate term 5 (seeks)".to_string())
    );
}

#[test]
fn a_pre_vote_is_refused_while_a_leader_is_heard_and_granted_after_an_election_timeout_9_6() {
    let cfg = with(|c| c.pre_vote = true);
    let mut h = node_with(3, cfg, None);
    h.now = Time::ms(1000);
    h.deliver(NodeId(0), append(1, 0, 0, vec![], 0));
    h.take_sent();
    let pre_vote = |term| RaftMsg::PreVote {
        term,
        last_log_index: 0,
        last_log_term: 0,
    };
    h.now = Time::ms(1100);
    h.deliver(NodeId(1), pre_vote(2));
    h.now = Time::ms(1150); // an election timeout (the minimum) after the leader was heard
    h.deliver(NodeId(1), pre_vote(2));
    h.deliver(NodeId(2), pre_vote(1)); // no term above its own
    let answers: Vec<(u64, bool)> = h
        .take_sent()
        .into_iter()
        .filter_map(|(_, m)| match m {
            RaftMsg::PreVoteReply { term, granted } => Some((term, granted)),
            _ => None,
        })
        .collect();
    assert_eq!(answers, [(1, false), (2, true), (1, false)]);
    // Nothing changed at the voter: no term, no vote.
    let s = server(&h);
    assert_eq!(
        (s.term(), s.voted_for(), s.role()),
        (1, None, Role::Follower)
    );
}

#[test]
fn a_majority_of_pre_votes_starts_the_real_election_9_6() {
    let cfg = with(|c| c.pre_vote = true);
    let mut h = node_with(0, cfg, None);
    h.now = Time::ms(1000);
    h.fire(RaftTimer::Election);
    h.clear();
    let yes = RaftMsg::PreVoteReply {
        term: 1,
        granted: true,
    };
    h.deliver(NodeId(1), yes.clone());
    assert_eq!(server(&h).role(), Role::PreCandidate, "2 of 5");
    h.deliver(NodeId(1), yes.clone()); // the same voter twice counts once
    assert_eq!(server(&h).role(), Role::PreCandidate);
    h.deliver(NodeId(2), yes);
    let s = server(&h);
    assert_eq!(
        (s.role(), s.term(), s.voted_for()),
        (Role::Candidate, 1, Some(NodeId(0)))
    );
    let sent = h.take_sent();
    assert!(sent.iter().all(|(_, m)| matches!(
        m,
        RaftMsg::RequestVote {
            term: 1,
            transfer: false,
            ..
        }
    )));
    // A refusal from a higher term sends a pre-candidate back to follow it.
    let mut h = node_with(0, with(|c| c.pre_vote = true), None);
    h.now = Time::ms(1000);
    h.fire(RaftTimer::Election);
    h.deliver(
        NodeId(1),
        RaftMsg::PreVoteReply {
            term: 7,
            granted: false,
        },
    );
    assert_eq!((server(&h).role(), server(&h).term()), (Role::Follower, 7));
}

#[test]
fn the_planted_bug_takes_pre_votes_for_real_votes() {
    let cfg = RaftConfig {
        bug: Some(Bug::PreVoteGrantsRealVote),
        ..with(|c| c.pre_vote = true)
    };
    let mut h = node_with(0, cfg, None);
    h.now = Time::ms(1000);
    h.fire(RaftTimer::Election);
    for v in [1, 2] {
        h.deliver(
            NodeId(v),
            RaftMsg::PreVoteReply {
                term: 1,
                granted: true,
            },
        );
    }
    // No RequestVote went out, yet it leads term 1: another pre-candidate with the same
    // pre-votes would lead term 1 too.
    let s = server(&h);
    assert_eq!((s.role(), s.term()), (Role::Leader, 1));
    assert!(
        !h.take_sent()
            .iter()
            .any(|(_, m)| matches!(m, RaftMsg::RequestVote { .. }))
    );
}

// ------------------------------------------------- dissertation 6.2 and 4.2.3: CheckQuorum

#[test]
fn a_leader_that_hears_from_no_majority_within_an_election_timeout_steps_down_6_2() {
    let cfg = with(|c| c.check_quorum = true);
    let mut h = leader_with(cfg, None);
    let term = server(&h).term();
    ack(&mut h, &[1, 2], 1, 0);
    h.now += Time::ms(150);
    h.fire(RaftTimer::CheckQuorum(term));
    assert_eq!(server(&h).role(), Role::Leader, "heard from 3 of 5");
    ack(&mut h, &[1], 1, 0);
    h.now += Time::ms(150);
    h.fire(RaftTimer::CheckQuorum(term));
    let s = server(&h);
    assert_eq!(
        (s.role(), s.term()),
        (Role::Follower, term),
        "heard from 2 of 5"
    );
    assert!(
        h.out
            .logs
            .iter()
            .any(|(_, l)| l.contains("steps down (CheckQuorum)"))
    );
}

#[test]
fn a_server_that_hears_a_leader_disregards_a_request_for_votes_4_2_3() {
    let cfg = with(|c| c.check_quorum = true);
    let mut h = node_with(3, cfg.clone(), None);
    h.now = Time::ms(1000);
    h.deliver(NodeId(0), append(1, 0, 0, vec![], 0));
    h.take_sent();
    h.now = Time::ms(1050);
    h.deliver(NodeId(1), super::tests::vote_request(5, 0, 0));
    assert_eq!(granted(&mut h), [false]);
    assert_eq!(server(&h).term(), 1, "its higher term is disregarded too");
    // An election timeout later, the candidate is heard.
    h.now = Time::ms(1150);
    h.deliver(NodeId(1), super::tests::vote_request(5, 0, 0));
    assert_eq!(granted(&mut h), [true]);
    assert_eq!(server(&h).term(), 5);
}

#[test]
fn a_transfer_election_is_honoured_even_while_a_leader_is_heard_3_10() {
    let cfg = with(|c| c.check_quorum = true);
    let mut h = node_with(3, cfg, None);
    h.now = Time::ms(1000);
    h.deliver(NodeId(0), append(1, 0, 0, vec![], 0));
    h.take_sent();
    h.deliver(
        NodeId(1),
        RaftMsg::RequestVote {
            term: 2,
            last_log_index: 0,
            last_log_term: 0,
            transfer: true,
        },
    );
    assert_eq!(granted(&mut h), [true]);
    assert_eq!(server(&h).term(), 2);
}

// ------------------------------------------------ dissertation 4.1, 4.2.2: membership changes

/// Six servers, five of them in the configuration (n6 a spare).
fn six() -> RaftConfig {
    RaftConfig {
        initial: Members::new((0..5).map(NodeId)),
        ..RaftConfig {
            pre_vote: false,
            check_quorum: false,
            snapshot_every: 0,
            ..RaftConfig::with_servers(6)
        }
    }
}

#[test]
fn a_leader_adds_a_server_by_a_configuration_entry_it_uses_at_once_4_1() {
    let mut h = leader_with(six(), None);
    ack(&mut h, &[1, 2], 1, 0);
    assert_eq!(server(&h).commit_index(), 1);
    h.clear();
    assert!(h.admin("add", "n6"));
    let s = server(&h);
    assert_eq!(
        s.log().get(2).and_then(|e| e.config.clone()),
        Some(Members::new((0..6).map(NodeId)))
    );
    assert!(
        s.config().contains(NodeId(5)),
        "used before it is committed"
    );
    let to: Vec<NodeId> = h.take_sent().into_iter().map(|(to, _)| to).collect();
    assert!(
        to.contains(&NodeId(5)),
        "replicates to the new server: {to:?}"
    );
    // The new configuration has 6 servers: its majority is 4.
    ack(&mut h, &[1, 2], 2, 0);
    assert_eq!(server(&h).commit_index(), 1, "3 of 6 is no majority");
    ack(&mut h, &[5], 2, 0);
    assert_eq!(server(&h).commit_index(), 2);
}

#[test]
fn a_new_leader_changes_nothing_until_an_entry_of_its_term_is_committed_4_1() {
    // The fix to single-server changes (Ongaro, raft-dev, 2015): a change appended before the
    // leader commits an entry of its term could overlap an earlier leader's uncommitted one.
    let mut h = leader_with(six(), None);
    h.admin("add", "n6");
    assert_eq!(server(&h).log().last_index(), 1, "refused");
    assert!(
        h.out
            .logs
            .iter()
            .any(|(_, l)| l.contains("no entry of its term is committed yet")),
        "{:?}",
        h.out.logs
    );
    ack(&mut h, &[1, 2], 1, 0);
    h.admin("add", "n6");
    assert_eq!(server(&h).log().last_index(), 2, "accepted");
    // One change at a time: the next waits for this one to commit.
    h.admin("remove", "n2");
    assert_eq!(server(&h).log().last_index(), 2, "refused");
}

#[test]
fn the_planted_bug_changes_membership_before_committing_an_entry_of_its_term() {
    let cfg = RaftConfig {
        bug: Some(Bug::ChangeBeforeTermCommit),
        ..six()
    };
    let mut h = leader_with(cfg, None);
    h.admin("add", "n6");
    assert_eq!(server(&h).log().last_index(), 2);
    assert!(server(&h).config().contains(NodeId(5)));
}

#[test]
fn a_leader_that_removes_itself_steps_down_once_the_change_commits_4_2_2() {
    let mut h = leader_with(paper(None), None);
    ack(&mut h, &[1, 2], 1, 0);
    h.admin("remove", "n1");
    assert_eq!(server(&h).role(), Role::Leader, "it manages the change");
    // Without itself, the configuration {n2..n5} needs 3 of them.
    ack(&mut h, &[1, 2], 2, 0);
    assert_eq!(server(&h).commit_index(), 1);
    ack(&mut h, &[3], 2, 0);
    let s = server(&h);
    assert_eq!((s.commit_index(), s.role()), (2, Role::Follower));
    assert!(s.status().store.is_none(), "outside: no replicated store");
    // And it never campaigns again.
    h.clear();
    h.now += Time::ms(1000);
    h.fire(RaftTimer::Election);
    assert!(h.take_sent().is_empty());
}

#[test]
fn a_follower_uses_the_latest_configuration_in_its_log_and_reverts_on_truncation_4_1() {
    let mut h = node_with(3, six(), None);
    let change = Entry {
        config: Some(Members::new((0..6).map(NodeId))),
        ..entry(1, "")
    };
    h.deliver(NodeId(0), append(1, 0, 0, vec![entry(1, "a"), change], 1));
    assert_eq!(
        server(&h).config().len(),
        6,
        "uncommitted, used all the same"
    );
    // A leader of term 2 overwrites index 2: the change is gone, and so is its configuration.
    h.deliver(NodeId(1), append(2, 1, 1, vec![entry(2, "b")], 1));
    assert_eq!(server(&h).config().len(), 5);
}

#[test]
fn a_server_outside_the_configuration_never_campaigns_4_1() {
    let mut h = node_with(5, six(), None);
    h.now = Time::ms(5000);
    h.fire(RaftTimer::Election);
    assert_eq!(server(&h).role(), Role::Follower);
    assert!(h.take_sent().is_empty());
}

// ---------------------------------------------------- dissertation 3.10: leadership transfer

#[test]
fn transfer_brings_the_target_up_to_date_then_sends_timeout_now_3_10() {
    let mut h = leader_with(paper(None), None);
    ack(&mut h, &[1, 2], 1, 0);
    h.clear();
    assert!(h.admin("transfer", "n4"));
    assert!(
        !h.take_sent()
            .iter()
            .any(|(_, m)| matches!(m, RaftMsg::TimeoutNow { .. })),
        "n4 lacks index 1"
    );
    // A leader handing over takes no requests: it points clients at the target.
    h.deliver(NodeId(5), request(5, 1, get("a")));
    assert_eq!(
        replies(&mut h),
        [(
            NodeId(5),
            Reply::NotLeader {
                req_id: 1,
                leader: Some(NodeId(3))
            }
        )]
    );
    ack(&mut h, &[3], 1, 0);
    let sent = h.take_sent();
    assert!(
        sent.iter()
            .any(|(to, m)| *to == NodeId(3) && matches!(m, RaftMsg::TimeoutNow { term: 1 })),
        "{sent:?}"
    );
}

#[test]
fn timeout_now_starts_an_election_at_once_without_pre_vote_3_10() {
    let cfg = with(|c| {
        c.pre_vote = true;
        c.check_quorum = true;
    });
    let mut h = node_with(3, cfg, None);
    h.now = Time::ms(1000);
    h.deliver(NodeId(0), append(1, 0, 0, vec![], 0));
    h.take_sent();
    h.deliver(NodeId(0), RaftMsg::TimeoutNow { term: 1 });
    let s = server(&h);
    assert_eq!((s.role(), s.term()), (Role::Candidate, 2));
    assert!(h.take_sent().iter().all(|(_, m)| matches!(
        m,
        RaftMsg::RequestVote {
            term: 2,
            transfer: true,
            ..
        }
    )));
}

#[test]
fn a_transfer_that_does_not_complete_within_an_election_timeout_is_abandoned_3_10() {
    let mut h = leader_with(paper(None), None);
    ack(&mut h, &[1, 2], 1, 0);
    h.admin("transfer", "n4");
    h.now += Time::ms(301);
    h.fire(RaftTimer::Heartbeat(1));
    h.clear();
    h.deliver(
        NodeId(5),
        request(
            5,
            1,
            Command::Put {
                key: "a".into(),
                value: "v".into(),
            },
        ),
    );
    assert_eq!(server(&h).log().last_index(), 2, "takes requests again");
}

// --------------------------------------------------------- dissertation 6.4, 6.4.1: reads

#[test]
fn read_index_answers_once_a_majority_confirms_a_round_begun_after_the_read_6_4() {
    let cfg = with(|c| c.reads = ReadMode::ReadIndex);
    let mut h = leader_with(cfg, None);
    ack(&mut h, &[1, 2], 1, 0);
    h.clear();
    h.deliver(NodeId(5), request(5, 1, get("a")));
    assert!(replies(&mut h).is_empty(), "waits for a round");
    assert_eq!(server(&h).log().last_index(), 1, "nothing appended");
    // Acknowledgements of an older round do not count.
    ack(&mut h, &[1, 2], 1, 0);
    assert!(replies(&mut h).is_empty());
    ack(&mut h, &[1], 1, 1);
    assert!(replies(&mut h).is_empty(), "2 of 5");
    ack(&mut h, &[2], 1, 1);
    assert_eq!(
        replies(&mut h),
        [(
            NodeId(5),
            Reply::Done {
                req_id: 1,
                result: ClientResult::Error {
                    error: "key not found: a".into()
                }
            }
        )]
    );
}

#[test]
fn read_index_waits_for_an_entry_of_the_leaders_term_to_commit_6_4() {
    let cfg = with(|c| c.reads = ReadMode::ReadIndex);
    let mut h = leader_with(cfg, None);
    h.deliver(NodeId(5), request(5, 1, get("a")));
    // Round 1 confirmed, but the no-op (index 1) is not committed: no answer.
    let term = server(&h).term();
    for f in [1, 2] {
        h.deliver(
            NodeId(f),
            RaftMsg::AppendReply {
                term,
                success: true,
                prev_log_index: 0,
                len: 0,
                match_index: 0,
                conflict_index: 0,
                conflict_term: 0,
                round: 1,
            },
        );
    }
    assert!(replies(&mut h).is_empty());
    ack(&mut h, &[1, 2], 1, 1);
    assert_eq!(replies(&mut h).len(), 1);
}

#[test]
fn a_lease_begins_with_its_round_and_lasts_an_election_timeout_over_the_drift_bound_6_4_1() {
    let cfg = with(|c| {
        c.reads = ReadMode::Lease;
        c.check_quorum = true;
        c.clock_drift_percent = 100;
    });
    let mut h = leader_with(cfg, None);
    h.now = Time::ms(1050);
    h.fire(RaftTimer::Heartbeat(1)); // round 1 begins at 1050 ms
    h.now = Time::ms(1060);
    ack(&mut h, &[1, 2], 1, 1); // confirmed at 1060 ms; the no-op commits
    h.clear();
    // 150 ms / (1 + 100%) = 75 ms from 1050 ms: until 1125 ms.
    h.now = Time::ms(1124);
    h.deliver(NodeId(5), request(5, 1, get("a")));
    assert_eq!(replies(&mut h).len(), 1, "within the lease: at once");
    h.now = Time::ms(1125);
    h.deliver(NodeId(5), request(5, 2, get("a")));
    assert!(replies(&mut h).is_empty(), "lease over: by ReadIndex");
}

#[test]
fn the_planted_bug_runs_the_lease_from_the_answers_without_the_drift_margin() {
    let cfg = RaftConfig {
        bug: Some(Bug::StaleLeaseRead),
        ..with(|c| {
            c.reads = ReadMode::Lease;
            c.check_quorum = true;
        })
    };
    let mut h = leader_with(cfg, None);
    h.now = Time::ms(1050);
    h.fire(RaftTimer::Heartbeat(1));
    h.now = Time::ms(1060);
    ack(&mut h, &[1, 2], 1, 1);
    h.clear();
    // A follower that answered at 1055 ms may vote for another leader from 1205 ms on (and
    // sooner if its clock runs fast); this lease runs to 1210 ms.
    h.now = Time::ms(1209);
    h.deliver(NodeId(5), request(5, 1, get("a")));
    assert_eq!(replies(&mut h).len(), 1);
}

#[test]
fn a_leader_that_steps_down_refuses_the_reads_it_holds_6_4() {
    let cfg = with(|c| c.reads = ReadMode::ReadIndex);
    let mut h = leader_with(cfg, None);
    ack(&mut h, &[1, 2], 1, 0);
    h.deliver(NodeId(5), request(5, 1, get("a")));
    h.clear();
    h.deliver(NodeId(3), ok_reply(9, 0, 0));
    assert_eq!(
        replies(&mut h),
        [(
            NodeId(5),
            Reply::NotLeader {
                req_id: 1,
                leader: None
            }
        )]
    );
}

#[test]
fn a_refusal_of_a_stale_term_confirms_no_read_round_6_4() {
    // A follower refuses a request of an older term with its own term and that request's
    // round, a round of the older term's numbering (rounds start again in each term). Delayed,
    // it reaches this leader in the follower's term: it was sent before any round of this term
    // began, so it confirms none, whatever number it carries (nor does a refused snapshot).
    let cfg = with(|c| c.reads = ReadMode::ReadIndex);
    let mut h = leader_with(cfg, None);
    ack(&mut h, &[1, 2], 1, 0);
    h.deliver(NodeId(5), request(5, 1, get("a")));
    h.clear();
    let term = server(&h).term();
    h.deliver(
        NodeId(1),
        RaftMsg::AppendReply {
            term,
            success: false,
            prev_log_index: 0,
            len: 1,
            match_index: 0,
            conflict_index: 0,
            conflict_term: 0,
            round: 40,
        },
    );
    h.deliver(
        NodeId(2),
        RaftMsg::SnapshotReply {
            term,
            match_index: 0,
            round: 40,
        },
    );
    assert!(replies(&mut h).is_empty(), "round 1 is not confirmed");
    ack(&mut h, &[1, 2], 1, 1);
    assert_eq!(replies(&mut h).len(), 1);
}
