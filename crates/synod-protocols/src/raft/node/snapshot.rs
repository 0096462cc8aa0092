//! Log compaction and `InstallSnapshot` (Raft paper, section 7; Figures 12 and 13).
//!
//! Every server snapshots its own state machine once `raft.snapshot_every` entries were
//! applied since its last snapshot: the store, the client sessions and the configuration as of
//! the last applied index, with that index and its term; the log before it is discarded. A
//! follower whose next index the leader has compacted away gets the leader's snapshot instead
//! of entries (in one message: synod does not split it into chunks).

use super::*;
use crate::raft::log::Snapshot;
use std::sync::Arc;

impl RaftServer {
    /// Section 7: snapshot the state machine when enough entries were applied since the last
    /// snapshot, and discard the log up to it. Called as each event begins.
    pub(super) fn maybe_snapshot(&mut self, ctx: &mut RCtx<'_, '_>) {
        let every = self.cfg.snapshot_every;
        if every == 0 || self.last_applied < self.d.log.snapshot_index() + every {
            return;
        }
        let index = self.last_applied;
        let Some(term) = self.d.log.term_at(index) else {
            return;
        };
        let sessions = if self.cfg.bug == Some(Bug::SnapshotDropsSessions) {
            // The planted bug: the sessions stay out of the snapshot. A server restored from it
            // forgets which requests it applied, and applies a retry's second copy again.
            Sessions::default()
        } else {
            self.sessions.clone()
        };
        let snapshot = Snapshot {
            last_index: index,
            last_term: term,
            config: self.config_at(index),
            store: self.store.clone(),
            sessions,
        };
        let dropped = index + 1 - self.d.log.first_index();
        self.d.log.compact_to(index, term);
        self.d.snapshot = Some(Arc::new(snapshot));
        // The rows before the snapshot are gone from the view: report the log whole.
        self.view_log.mark(0);
        if ctx.log_enabled(Level::Info) {
            ctx.info(format_args!(
                "snapshot up to index {index} (term {term}): store {}, {} client sessions; {dropped} entries discarded, the log goes on at {}",
                self.store,
                self.sessions.len(),
                self.d.log.first_index()
            ));
        }
    }

    /// Send `to` the snapshot: the entries it needs next were compacted away.
    pub(super) fn send_snapshot(&mut self, ctx: &mut RCtx<'_, '_>, to: NodeId) {
        let Some(snapshot) = self.d.snapshot.clone() else {
            return;
        };
        if ctx.log_enabled(Level::Info) {
            ctx.info(format_args!(
                "{} needs entries from {}, compacted away: sends it the snapshot up to index {}",
                self.name(to),
                self.progress[to.index()].next,
                snapshot.last_index
            ));
        }
        // Wait for its answer before sending more (a lost snapshot is sent again when the
        // next heartbeat finds the follower still behind).
        let pr = &mut self.progress[to.index()];
        pr.next = snapshot.last_index + 1;
        pr.probing = true;
        pr.inflight = 0;
        let msg = RaftMsg::InstallSnapshot {
            term: self.d.current_term,
            snapshot,
            round: self.reads.round(),
        };
        ctx.send(to, msg);
    }

    /// Figure 13, receiver: keep the log after the snapshot if it holds the snapshot's last
    /// entry, else discard it whole; reset the state machine (and the configuration) to the
    /// snapshot's.
    pub(super) fn handle_install_snapshot(
        &mut self,
        ctx: &mut RCtx<'_, '_>,
        from: NodeId,
        term: u64,
        snapshot: SharedSnapshot,
        round: u64,
    ) {
        let cur = self.d.current_term;
        if term < cur {
            ctx.debug(format_args!(
                "ignoring InstallSnapshot from {} of stale term {term}",
                self.name(from)
            ));
            ctx.send(
                from,
                RaftMsg::SnapshotReply {
                    term: cur,
                    match_index: 0,
                    round,
                },
            );
            return;
        }
        if !self.accept_leader(ctx, from, term, "InstallSnapshot") {
            return;
        }
        let (index, last_term) = (snapshot.last_index, snapshot.last_term);
        if index <= self.commit_index {
            // Already there (a duplicate, or it caught up meanwhile): committed entries match.
            ctx.debug(format_args!(
                "InstallSnapshot from {} up to index {index}: already committed here",
                self.name(from)
            ));
        } else {
            let kept = if self.d.log.term_at(index) == Some(last_term) {
                let kept = self.d.log.last_index() - index;
                self.d.log.compact_to(index, last_term);
                kept
            } else {
                self.d.log = Log::after(index, last_term);
                0
            };
            self.store = snapshot.store.clone();
            self.sessions = snapshot.sessions.clone();
            self.last_applied = index;
            self.commit_index = index;
            self.d.snapshot = Some(snapshot);
            self.reload_config();
            self.mark_dirty(self.d.log.first_index());
            self.view_log.mark(0);
            ctx.commit(index);
            if ctx.log_enabled(Level::Info) {
                let line = format!(
                    "InstallSnapshot from {}: state up to index {index} (term {last_term}), store {}, {}; {}",
                    self.name(from),
                    self.store,
                    if self.cfg.bug == Some(Bug::SnapshotDropsSessions) {
                        "no client sessions (BUG snapshot-drops-sessions: the snapshot left them out)".to_string()
                    } else {
                        format!("{} client sessions", self.sessions.len())
                    },
                    if kept > 0 {
                        format!("keeps its {kept} entries after it")
                    } else {
                        "its log starts over after it".to_string()
                    }
                );
                if self.cfg.bug == Some(Bug::SnapshotDropsSessions) {
                    ctx.warn(line);
                } else {
                    ctx.info(line);
                }
            }
        }
        let match_index = self.commit_index.max(index);
        ctx.send(
            from,
            RaftMsg::SnapshotReply {
                term: self.d.current_term,
                match_index,
                round,
            },
        );
    }

    /// A follower installed the snapshot: replicate from after it.
    pub(super) fn handle_snapshot_reply(
        &mut self,
        ctx: &mut RCtx<'_, '_>,
        from: NodeId,
        term: u64,
        match_index: u64,
        round: u64,
    ) {
        if self.role != Role::Leader || term != self.d.current_term || match_index == 0 {
            // `match_index` 0: a refusal of a request of an older term (an installed snapshot
            // reaches index 1 at least). As for `AppendReply`, it answers nothing this term
            // sent, and its round, of the older term's numbering, confirms no read round.
            return;
        }
        self.heard_from(ctx, from, round);
        let pr = &mut self.progress[from.index()];
        let advanced = match_index > pr.matched;
        pr.matched = pr.matched.max(match_index);
        pr.next = pr.matched + 1;
        pr.probing = false;
        pr.inflight = 0;
        if advanced {
            self.maybe_commit(ctx);
            self.transfer_if_ready(ctx, from);
        }
        if self.role == Role::Leader && self.progress[from.index()].next <= self.d.log.last_index()
        {
            self.send_append(ctx, from);
        }
    }
}
