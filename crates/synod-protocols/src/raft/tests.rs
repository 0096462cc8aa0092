//! Paper-behaviour tests: one server driven by hand, each test named after the behaviour and
//! citing the section of the Raft paper (Ongaro and Ousterhout, 2014). These are sections 5
//! and 8, with the later additions (PreVote, CheckQuorum, snapshots) off; `later_tests.rs`
//! tests those.

use super::*;
use crate::kv::{Command, Reply, Request};
use std::sync::Arc;
use synod_core::testing::Harness;
use synod_core::{NodeId, Process};

/// The configuration of sections 5 and 8: no PreVote, no CheckQuorum, no snapshots.
pub(super) fn paper(bug: Option<Bug>) -> RaftConfig {
    RaftConfig {
        bug,
        pre_vote: false,
        check_quorum: false,
        snapshot_every: 0,
        ..RaftConfig::default()
    }
}

fn cfg(bug: Option<Bug>) -> Arc<RaftConfig> {
    Arc::new(paper(bug))
}

pub(super) fn entry(term: u64, key: &str) -> Entry {
    Entry::command(term, None, Command::Get { key: key.into() })
}

pub(super) fn log_of(terms: &[u64]) -> Log {
    let mut log = Log::default();
    for (i, t) in terms.iter().enumerate() {
        log.push(entry(*t, &format!("k{i}")));
    }
    log
}

/// Node `id` (0-based) of a 5-node cluster, started from `durable`.
fn node(id: u32, durable: Option<Durable>, bug: Option<Bug>) -> Harness<RaftNode> {
    let p = RaftNode::Server(RaftServer::new(cfg(bug), NodeId(id), durable));
    let mut h = Harness::new(NodeId(id), p, 7);
    h.start();
    h
}

pub(super) fn server(h: &Harness<RaftNode>) -> &RaftServer {
    match &h.process {
        RaftNode::Server(s) => s,
        RaftNode::Client(_) => unreachable!("a server"),
    }
}

pub(super) fn durable(term: u64, voted_for: Option<u32>, terms: &[u64]) -> Option<Durable> {
    Some(Durable {
        current_term: term,
        voted_for: voted_for.map(NodeId),
        log: log_of(terms),
        snapshot: None,
    })
}

pub(super) fn timeout(h: &mut Harness<RaftNode>) {
    h.now += Time::ms(1000);
    h.fire(RaftTimer::Election);
}

pub(super) fn vote_request(term: u64, last_log_index: u64, last_log_term: u64) -> RaftMsg {
    RaftMsg::RequestVote {
        term,
        last_log_index,
        last_log_term,
        transfer: false,
    }
}

pub(super) fn granted(h: &mut Harness<RaftNode>) -> Vec<bool> {
    h.take_sent()
        .into_iter()
        .filter_map(|(_, m)| match m {
            RaftMsg::Vote { granted, .. } => Some(granted),
            _ => None,
        })
        .collect()
}

pub(super) fn append(
    term: u64,
    prev: u64,
    prev_term: u64,
    entries: Vec<Entry>,
    commit: u64,
) -> RaftMsg {
    RaftMsg::AppendEntries {
        term,
        prev_log_index: prev,
        prev_log_term: prev_term,
        entries: entries.into_iter().map(std::sync::Arc::new).collect(),
        leader_commit: commit,
        round: 0,
    }
}

pub(super) fn append_replies(h: &mut Harness<RaftNode>) -> Vec<(bool, u64, u64)> {
    h.take_sent()
        .into_iter()
        .filter_map(|(_, m)| match m {
            RaftMsg::AppendReply {
                success,
                match_index,
                conflict_index,
                ..
            } => Some((success, match_index, conflict_index)),
            _ => None,
        })
        .collect()
}

pub(super) fn ok_reply(term: u64, prev: u64, len: u64) -> RaftMsg {
    RaftMsg::AppendReply {
        term,
        success: true,
        prev_log_index: prev,
        len,
        match_index: prev + len,
        conflict_index: 0,
        conflict_term: 0,
        round: 0,
    }
}

/// Make node 0 the leader of term `term + 1` from `durable`, with the votes of nodes 1 and 2.
fn leader(d: Option<Durable>, bug: Option<Bug>) -> Harness<RaftNode> {
    let mut h = node(0, d, bug);
    timeout(&mut h);
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

#[test]
fn election_timeout_makes_a_follower_candidate_of_the_next_term_5_2() {
    // Reference: section 5.2. A follower that hears nothing for an election timeout increments
    // its term, votes for itself and asks every other server for a vote.
    let mut h = node(0, None, None);
    assert!(
        h.out
            .timers
            .iter()
            .any(|(_, after, t)| *t == RaftTimer::Election
                && *after >= Time::ms(150)
                && *after <= Time::ms(300))
    );
    timeout(&mut h);
    let s = server(&h);
    assert_eq!(
        (s.role(), s.term(), s.voted_for()),
        (Role::Candidate, 1, Some(NodeId(0)))
    );
    let asked: Vec<NodeId> = h.take_sent().into_iter().map(|(to, _)| to).collect();
    assert_eq!(asked, [1, 2, 3, 4].map(NodeId));
}

#[test]
fn a_node_grants_at_most_one_vote_per_term_5_2() {
    // Reference: section 5.2, "each server will vote for at most one candidate in a given term".
    let mut h = node(3, None, None);
    h.deliver(NodeId(0), vote_request(1, 0, 0));
    h.deliver(NodeId(1), vote_request(1, 0, 0));
    h.deliver(NodeId(0), vote_request(1, 0, 0)); // the same candidate asking again
    assert_eq!(granted(&mut h), [true, false, true]);
    h.deliver(NodeId(1), vote_request(2, 0, 0)); // a new term: a new vote
    assert_eq!(granted(&mut h), [true]);
}

#[test]
fn a_vote_is_refused_to_a_candidate_whose_log_is_less_up_to_date_5_4_1() {
    // Reference: section 5.4.1. Compare the last entries' terms first, then the lengths.
    let mut h = node(3, durable(2, None, &[1, 2]), None);
    h.deliver(NodeId(0), vote_request(3, 5, 1)); // longer, but an older last term
    h.deliver(NodeId(1), vote_request(4, 1, 2)); // same last term, shorter
    h.deliver(NodeId(2), vote_request(5, 2, 2)); // same last entry: up to date
    assert_eq!(granted(&mut h), [false, false, true]);
}

#[test]
fn without_the_up_to_date_check_a_stale_candidate_gets_the_vote() {
    // The planted bug `vote-without-up-to-date-check` (section 5.4.1 left out).
    let mut h = node(
        3,
        durable(2, None, &[1, 2]),
        Some(Bug::VoteWithoutUpToDateCheck),
    );
    h.deliver(NodeId(0), vote_request(3, 5, 1));
    assert_eq!(granted(&mut h), [true]);
}

#[test]
fn a_candidate_with_a_majority_becomes_leader_and_appends_a_no_op_5_2() {
    // Reference: section 5.2 (majority, heartbeats at once) and 8 (the no-op of a new term).
    let mut h = node(0, None, None);
    timeout(&mut h);
    h.clear();
    h.deliver(
        NodeId(1),
        RaftMsg::Vote {
            term: 1,
            granted: true,
        },
    );
    assert_eq!(server(&h).role(), Role::Candidate, "2 of 5 is no majority");
    h.deliver(
        NodeId(2),
        RaftMsg::Vote {
            term: 1,
            granted: true,
        },
    );
    let s = server(&h);
    assert_eq!(s.role(), Role::Leader);
    assert_eq!(
        s.log().get(1).map(|e| (e.term, &e.cmd)),
        Some((1, &Command::Noop))
    );
    assert!(
        h.out
            .events
            .contains(&"role leader term 1 (leads)".to_string())
    );
    let sent = h.take_sent();
    assert_eq!(sent.len(), 4);
    assert!(
        sent.iter()
            .all(|(_, m)| matches!(m, RaftMsg::AppendEntries { term: 1, .. }))
    );
}

#[test]
fn a_candidate_steps_down_on_append_entries_from_a_leader_of_its_term_5_2() {
    // Reference: section 5.2, "if the leader's term is at least as large as the candidate's
    // current term, then the candidate recognizes the leader as legitimate".
    let mut h = node(0, None, None);
    timeout(&mut h);
    h.deliver(NodeId(4), append(1, 0, 0, vec![], 0));
    let s = server(&h);
    assert_eq!(
        (s.role(), s.term(), s.leader()),
        (Role::Follower, 1, Some(NodeId(4)))
    );
}

#[test]
fn a_leader_steps_down_when_it_sees_a_higher_term_5_1() {
    // Reference: section 5.1, "if a candidate or leader discovers that its term is out of date,
    // it immediately reverts to follower state".
    let mut h = leader(None, None);
    h.deliver(NodeId(3), ok_reply(7, 0, 0));
    let s = server(&h);
    assert_eq!(
        (s.role(), s.term(), s.voted_for()),
        (Role::Follower, 7, None)
    );
}

#[test]
fn append_entries_fails_the_consistency_check_with_a_back_off_hint_5_3() {
    // Reference: section 5.3. The follower's log ends at 2: an AppendEntries after index 5 is
    // refused and the leader is told to retry from 3. An entry 2 of another term is refused too,
    // with the first index of the conflicting term.
    let mut h = node(3, durable(2, None, &[1, 1]), None);
    h.deliver(NodeId(0), append(3, 5, 3, vec![entry(3, "x")], 0));
    assert_eq!(append_replies(&mut h), [(false, 0, 3)]);
    h.deliver(NodeId(0), append(3, 2, 2, vec![entry(3, "x")], 0));
    assert_eq!(append_replies(&mut h), [(false, 0, 1)]);
    assert_eq!(server(&h).log().last_index(), 2, "nothing appended");
}

#[test]
fn a_leader_takes_a_refusal_of_a_stale_term_for_no_back_off_hint_5_3() {
    // Figure 2: a follower refuses a request of an older term with its own term and no hint.
    // Delayed (held), such a refusal can reach the leader in the follower's term: it answers a
    // request of an earlier term and says nothing of the follower's log, so the leader must not
    // send the log again from index 1 (found by a long `figure8` campaign: at one entry per
    // AppendEntries the follower took seconds to catch up, and `converged` failed).
    let mut h = leader(durable(2, None, &[1, 1, 1]), None);
    assert_eq!(server(&h).log().last_index(), 4, "no-op at 4");
    let refusal = |conflict_index, conflict_term| RaftMsg::AppendReply {
        term: 3,
        success: false,
        prev_log_index: 4,
        len: 0,
        match_index: 0,
        conflict_index,
        conflict_term,
        round: 0,
    };
    // What the leader sends again: the prev_log_index of each AppendEntries.
    let resent = |h: &mut Harness<RaftNode>| -> Vec<u64> {
        h.take_sent()
            .into_iter()
            .filter_map(|(_, m)| match m {
                RaftMsg::AppendEntries { prev_log_index, .. } => Some(prev_log_index),
                _ => None,
            })
            .collect()
    };
    h.deliver(NodeId(1), refusal(0, 0));
    assert_eq!(
        resent(&mut h),
        [] as [u64; 0],
        "a stale refusal sends nothing"
    );
    // A real mismatch (the follower's entries of term 2 start at 3) backs off to its hint.
    h.deliver(NodeId(1), refusal(3, 2));
    assert_eq!(resent(&mut h), [2]);
}

#[test]
fn a_conflicting_suffix_is_replaced_by_the_leaders_entries_5_3() {
    // Reference: section 5.3, "if an existing entry conflicts with a new one (same index but
    // different terms), delete the existing entry and all that follow it".
    let mut h = node(3, durable(2, None, &[1, 2, 2, 2]), None);
    h.deliver(
        NodeId(0),
        append(3, 1, 1, vec![entry(3, "x"), entry(3, "y")], 0),
    );
    assert_eq!(append_replies(&mut h), [(true, 3, 0)]);
    let log = server(&h).log();
    assert_eq!(
        (1..=log.last_index())
            .map(|i| log.term_at(i).unwrap())
            .collect::<Vec<_>>(),
        [1, 3, 3]
    );
}

#[test]
fn a_repeated_append_entries_does_not_truncate_later_entries_5_3() {
    // Reference: section 5.3 / Figure 2: only a conflict truncates; an old, delayed
    // AppendEntries whose entries are already stored leaves the log as it is.
    let mut h = node(3, durable(3, None, &[1, 3, 3]), None);
    h.deliver(NodeId(0), append(3, 1, 1, vec![entry(3, "k1")], 0));
    assert_eq!(append_replies(&mut h), [(true, 2, 0)]);
    assert_eq!(server(&h).log().last_index(), 3);
}

#[test]
fn a_follower_commits_up_to_the_leaders_commit_index_but_not_past_its_new_entries_5_3() {
    // Reference: Figure 2, "set commitIndex = min(leaderCommit, index of last new entry)", and
    // entries are applied in log order.
    let mut h = node(3, durable(1, None, &[1, 1, 1, 1]), None);
    h.deliver(NodeId(0), append(1, 1, 1, vec![entry(1, "k1")], 9));
    assert_eq!(server(&h).commit_index(), 2);
    assert_eq!(server(&h).last_applied(), 2);
    let applied: Vec<&String> = h
        .out
        .events
        .iter()
        .filter(|e| e.starts_with("apply"))
        .collect();
    assert_eq!(applied.len(), 2);
    assert!(applied[0].starts_with("apply 1 ") && applied[1].starts_with("apply 2 "));
}

#[test]
fn a_leader_commits_an_older_terms_entry_only_with_one_of_its_own_term_5_4_2() {
    // Reference: section 5.4.2 and Figure 8. Node 0 has an entry of term 1 and becomes leader of
    // term 3 (no-op at index 2). Index 1 stored on a majority is not committed by counting;
    // once the no-op is on a majority, both are committed.
    let mut h = leader(durable(2, None, &[1]), None);
    assert_eq!(server(&h).term(), 3);
    h.deliver(NodeId(1), ok_reply(3, 0, 1));
    h.deliver(NodeId(2), ok_reply(3, 0, 1));
    assert_eq!(
        server(&h).commit_index(),
        0,
        "index 1 is of term 1: not committed"
    );
    h.deliver(NodeId(1), ok_reply(3, 1, 1));
    h.deliver(NodeId(2), ok_reply(3, 1, 1));
    assert_eq!(server(&h).commit_index(), 2);
}

#[test]
fn the_planted_bug_commits_an_older_terms_entry_by_counting() {
    // The planted bug `commit-old-term`: what section 5.4.2 forbids.
    let mut h = leader(durable(2, None, &[1]), Some(Bug::CommitOldTerm));
    h.deliver(NodeId(1), ok_reply(3, 0, 1));
    h.deliver(NodeId(2), ok_reply(3, 0, 1));
    assert_eq!(server(&h).commit_index(), 1);
}

#[test]
fn term_vote_and_log_survive_a_restart_and_nothing_else_does() {
    // Persistence (Figure 2, "persistent state on all servers").
    let mut h = node(3, None, None);
    h.deliver(NodeId(0), vote_request(1, 0, 0));
    h.deliver(NodeId(0), append(1, 0, 0, vec![entry(1, "a")], 1));
    let kept = h.process.durable();
    let again = node(3, kept.clone(), None);
    let s = server(&again);
    assert_eq!(
        (s.term(), s.voted_for(), s.log().last_index()),
        (1, Some(NodeId(0)), 1)
    );
    assert_eq!(
        (s.commit_index(), s.last_applied(), s.leader()),
        (0, 0, None)
    );
    // Having voted before the crash, it refuses another candidate of the same term.
    let mut again = again;
    again.deliver(NodeId(1), vote_request(1, 1, 1));
    assert_eq!(granted(&mut again), [false]);
    // The planted bug forgets the vote and votes twice in term 1.
    let mut buggy = node(3, kept, Some(Bug::ForgetVoteOnRestart));
    buggy.deliver(NodeId(1), vote_request(1, 1, 1));
    assert_eq!(granted(&mut buggy), [true]);
}

#[test]
fn a_follower_answers_a_client_with_the_leader_it_knows_8() {
    // Reference: section 8, "if the client's first choice is not the leader, that server will
    // reject the client's request and supply information about the most recent leader".
    let mut h = node(3, None, None);
    h.deliver(NodeId(0), append(1, 0, 0, vec![], 0));
    h.take_sent();
    let req = Request {
        client: NodeId(5),
        req_id: 1,
        cmd: Command::Get { key: "a".into() },
    };
    h.deliver(NodeId(5), RaftMsg::Request(req));
    let sent = h.take_sent();
    assert!(matches!(
        &sent[..],
        [(
            NodeId(5),
            RaftMsg::Reply(Reply::NotLeader {
                req_id: 1,
                leader: Some(NodeId(0))
            })
        )]
    ));
}

#[test]
fn a_retried_request_still_in_the_log_is_not_appended_twice_8() {
    // Reference: section 8 (exactly-once): a retry of a request the leader holds uncommitted
    // waits for that entry; once applied, retries are answered from the session table.
    let mut h = leader(None, None);
    let req = Request {
        client: NodeId(5),
        req_id: 1,
        cmd: Command::Put {
            key: "a".into(),
            value: "v".into(),
        },
    };
    h.deliver(NodeId(5), RaftMsg::Request(req.clone()));
    h.deliver(NodeId(5), RaftMsg::Request(req));
    assert_eq!(server(&h).log().last_index(), 2, "no-op and one PUT");
}

fn servers(logs: &[(u64, &[u64])]) -> Vec<RaftNode> {
    logs.iter()
        .enumerate()
        .map(|(i, (term, terms))| {
            RaftNode::Server(RaftServer::new(
                cfg(None),
                NodeId(i as u32),
                durable(*term, None, terms),
            ))
        })
        .collect()
}

#[test]
fn the_log_matching_check_flags_one_index_and_term_after_different_entries() {
    // Figure 3, log matching: (index 3, term 2) after a term-1 entry on one node and after a
    // term-2 entry on another cannot both exist.
    let nodes = servers(&[(2, &[1, 1, 2]), (2, &[1, 2, 2])]);
    let mut checker = RaftChecker::new(vec!["n1".into(), "Taziri".into()]);
    let live: Vec<Option<&RaftNode>> = nodes.iter().map(Some).collect();
    let (property, detail) = checker.check(live.iter().copied()).unwrap();
    assert_eq!(property, "log matching");
    // The detail names the server as the scenario does.
    assert!(detail.starts_with("Taziri holds"), "{detail}");
}

#[test]
fn the_log_matching_check_accepts_logs_that_agree_up_to_where_they_end() {
    let nodes = servers(&[(3, &[1, 1, 2, 3]), (2, &[1, 1, 2]), (1, &[1])]);
    let mut checker = RaftChecker::new(vec!["n1".into(), "n2".into(), "n3".into()]);
    let live: Vec<Option<&RaftNode>> = nodes.iter().map(Some).collect();
    assert_eq!(checker.check(live.iter().copied()), None);
    assert_eq!(
        checker.check(live.iter().copied()),
        None,
        "and again, incrementally"
    );
}

#[test]
fn the_lease_check_flags_a_lease_read_once_a_later_term_has_a_leader_6_4_1() {
    // Dissertation 6.4.1: the lease promises that no other leader exists while it holds. n1
    // leads term 3; n2, still of term 1, then answers a read by its lease.
    use std::sync::atomic::Ordering;
    let newer = leader(durable(2, None, &[1]), None);
    let term = server(&newer).term();
    let older = RaftNode::Server(RaftServer::new(
        cfg(None),
        NodeId(1),
        durable(1, None, &[1]),
    ));
    let mut checker = RaftChecker::new(vec!["n1".into(), "n2".into()]);
    let look = |c: &mut RaftChecker| c.check([Some(&newer.process), Some(&older)]);
    assert_eq!(look(&mut checker), None, "no lease read yet");
    // The newest leader's own lease reads are what the lease is for.
    server(&newer).lease_reads.store(2, Ordering::Relaxed);
    assert_eq!(look(&mut checker), None);
    let RaftNode::Server(s) = &older else {
        unreachable!("a server")
    };
    s.lease_reads.store(1, Ordering::Relaxed);
    let (property, detail) = look(&mut checker).expect("a violation");
    assert_eq!(property, "lease safety");
    assert_eq!(
        detail,
        format!("n2, leader of term 1, answered a read by its lease after n1 led term {term}")
    );
}

#[test]
fn the_vote_check_flags_a_second_vote_in_one_term_even_across_a_restart_5_2() {
    // Section 5.2: "each server will vote for at most one candidate in a given term". n1
    // votes for n2 in term 3; restarted without its vote (as the planted
    // `forget-vote-on-restart` restarts) it has not broken the rule, until it votes for n3.
    let look = |c: &mut RaftChecker, voted: Option<u32>, term: u64| {
        let n1 = RaftNode::Server(RaftServer::new(
            cfg(None),
            NodeId(0),
            durable(term, voted, &[1]),
        ));
        c.check([Some(&n1)])
    };
    let mut checker = RaftChecker::new(vec!["n1".into(), "n2".into(), "n3".into()]);
    assert_eq!(look(&mut checker, Some(1), 3), None, "a first vote");
    assert_eq!(look(&mut checker, Some(1), 3), None, "the same vote again");
    assert_eq!(look(&mut checker, None, 3), None, "a vote forgotten");
    let (property, detail) = look(&mut checker, Some(2), 3).expect("a violation");
    assert_eq!(property, "one vote per term");
    assert_eq!(detail, "n1 voted for n2 in term 3, and then for n3");
    // A vote in a later term is a new vote.
    let mut checker = RaftChecker::new(vec!["n1".into(), "n2".into(), "n3".into()]);
    assert_eq!(look(&mut checker, Some(1), 3), None);
    assert_eq!(look(&mut checker, Some(2), 4), None);
}

#[test]
fn the_state_check_flags_a_server_restored_without_the_client_sessions_7() {
    // Section 7: a snapshot holds the state machine as of its last index, and section 6.3's
    // client sessions are part of it. Two servers at the same applied index must hold the
    // same store and sessions; one restored from a snapshot that left the sessions out does
    // not.
    use crate::kv::contract::{Sessions, Store};
    let restored = |with_sessions: bool| {
        let mut store = Store::default();
        let put = Command::Put {
            key: "a".into(),
            value: "v".into(),
        };
        let mut sessions = Sessions::default();
        sessions.apply(&mut store, NodeId(5), 1, &put);
        let snapshot = Snapshot {
            last_index: 4,
            last_term: 1,
            config: RaftConfig::default().initial,
            store,
            sessions: if with_sessions {
                sessions
            } else {
                Sessions::default()
            },
        };
        RaftNode::Server(RaftServer::new(
            cfg(None),
            NodeId(0),
            Some(Durable {
                current_term: 1,
                voted_for: None,
                log: Log::after(4, 1),
                snapshot: Some(Arc::new(snapshot)),
            }),
        ))
    };
    let (whole, without) = (restored(true), restored(false));
    // The same server, looked at alone as the simulator does (`check_acted`): seen at index 4
    // with its sessions, it restarts from a snapshot at index 4 that has none. Its applied
    // index comes back unchanged; its state machine does not.
    let mut checker = RaftChecker::new(vec!["n1".into(), "n2".into()]);
    assert_eq!(
        checker.check_acted(NodeId(0), [Some(&whole)].into_iter()),
        None
    );
    assert_eq!(
        checker.check_acted(NodeId(2), [Some(&whole)].into_iter()),
        None,
        "a client's step looks at no server"
    );
    let (property, detail) = checker
        .check_acted(NodeId(0), [Some(&without)].into_iter())
        .expect("a violation");
    assert_eq!(property, "state machine safety");
    assert_eq!(
        detail,
        "n1, restored from a snapshot, holds after index 4 a state machine whose client sessions differ from what it held there before (here: store {a: v}, 0 client sessions)"
    );
    let mut checker = RaftChecker::new(vec!["n1".into(), "n2".into()]);
    assert_eq!(checker.check([Some(&whole), None]), None);
    assert_eq!(
        checker.check([Some(&whole), Some(&whole)]),
        None,
        "the same state"
    );
    let mut checker = RaftChecker::new(vec!["n1".into(), "n2".into()]);
    let (property, detail) = checker
        .check([Some(&whole), Some(&without)])
        .expect("a violation");
    assert_eq!(property, "state machine safety");
    assert_eq!(
        detail,
        "n2, restored from a snapshot, holds after index 4 a state machine whose client sessions differ from n1's there (here: store {a: v}, 0 client sessions)"
    );
}
