//! An operator's orders to the leader: membership changes (Ongaro's dissertation, 4.1 and
//! 4.2.2) and leadership transfer (3.10). They arrive as fault verbs of a scenario (`add =
//! "n6"`, `remove = "n2"`, `transfer = "n3"`), REPL commands and campaign nemeses, all through
//! [`Process::on_admin`].

use super::*;

/// A leadership transfer in progress (dissertation 3.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct Transfer {
    /// To whom.
    pub(super) to: NodeId,
    /// When it is abandoned (an election timeout after it began).
    pub(super) until: Time,
    /// Whether `TimeoutNow` went out.
    pub(super) sent: bool,
}

impl RaftServer {
    /// Carry out `verb` (`add`, `remove`, `transfer`) on the server named `arg`. False for a
    /// verb Raft does not know.
    pub(super) fn admin(&mut self, ctx: &mut RCtx<'_, '_>, verb: &str, arg: &str) -> bool {
        if !matches!(verb, "add" | "remove" | "transfer") {
            return false;
        }
        let who = if verb == "remove" && arg == "leader" {
            Some(self.me)
        } else {
            (self.cfg.names.iter())
                .position(|n| n == arg)
                .filter(|i| *i < self.cfg.servers)
                .map(|i| NodeId(i as u32))
        };
        let Some(who) = who else {
            ctx.warn(format_args!("{verb} {arg}: no server is called `{arg}`"));
            return true;
        };
        if self.role != Role::Leader {
            ctx.info(format_args!("{verb} {arg}: not the leader, refused"));
            return true;
        }
        match verb {
            "add" => self.change_membership(ctx, who, true),
            "remove" => self.change_membership(ctx, who, false),
            _ => self.start_transfer(ctx, who),
        }
        true
    }

    /// Dissertation 4.1: add or remove one server by appending the new configuration, which
    /// the leader uses at once. One change at a time, and (the fix to the single-server change
    /// bug) only once an entry of the leader's own term is committed.
    fn change_membership(&mut self, ctx: &mut RCtx<'_, '_>, who: NodeId, add: bool) {
        let verb = if add { "add" } else { "remove" };
        let name = self.name(who).to_string();
        let refusal = if add && self.config.contains(who) {
            Some("already a member".to_string())
        } else if !add && !self.config.contains(who) {
            Some("not a member".to_string())
        } else if !add && self.config.len() == 1 {
            Some("the last member".to_string())
        } else if let Some(t) = self.transfer {
            Some(format!(
                "a leadership transfer to {} is in progress",
                self.name(t.to)
            ))
        } else if self.config_index > self.commit_index {
            Some(format!(
                "the change at index {} is not committed yet (one change at a time, 4.1)",
                self.config_index
            ))
        } else if self.commit_index < self.term_start
            && self.cfg.bug != Some(Bug::ChangeBeforeTermCommit)
        {
            Some(format!(
                "no entry of its term is committed yet (index {} is not): a change now could overlap an uncommitted change of an earlier leader",
                self.term_start
            ))
        } else {
            None
        };
        if let Some(why) = refusal {
            ctx.info(format_args!("{verb} {name}: refused, {why}"));
            return;
        }
        let new = if add {
            self.config.with(who)
        } else {
            self.config.without(who)
        };
        let idx = self.d.log.push(Entry {
            term: self.d.current_term,
            req: None,
            cmd: Command::Noop,
            config: Some(new),
        });
        self.mark_dirty(idx);
        self.reload_config();
        if add {
            // Start from the new entry; the consistency check walks back from there.
            self.progress[who.index()] = Progress {
                next: idx,
                ..Progress::default()
            };
        } else if who != self.me {
            // Keep replicating to it until the removal commits, so that it learns it is out
            // (and does not campaign).
            self.peers.push(who);
        }
        if ctx.log_enabled(Level::Info) {
            let early = if self.commit_index < self.term_start {
                " before committing an entry of its term!"
            } else {
                ""
            };
            ctx.info(format_args!(
                "{verb} {name}: appends configuration {} at index {idx} and uses it{early}",
                self.config.named(&self.cfg.names)
            ));
        }
        self.replicate(ctx);
    }

    /// Dissertation 4.2.2: once a configuration that leaves the leader out is committed, it
    /// steps down; and once any change is committed, the servers it removed are no longer
    /// replicated to.
    pub(super) fn leave_if_removed(&mut self, ctx: &mut RCtx<'_, '_>) {
        if self.role != Role::Leader || self.commit_index < self.config_index {
            return;
        }
        if self.peers.iter().any(|p| !self.config.contains(*p)) {
            let me = self.me;
            self.peers = self.config.iter().filter(|p| *p != me).collect();
        }
        if !self.config.contains(self.me) {
            ctx.info(format_args!(
                "configuration {} without it is committed: steps down (4.2.2)",
                self.config.named(&self.cfg.names)
            ));
            let term = self.d.current_term;
            self.become_follower(ctx, term, None);
        }
    }

    /// Dissertation 4.2.3: a server that asks for votes but is outside the (committed)
    /// configuration missed its own removal (it was down or cut off when the change committed,
    /// and the leader stopped replicating to it). Its votes are not counted, but left alone it
    /// would campaign forever and believe itself a member with a stale store. The leader sends
    /// it the log from the end backwards, as to any follower, so that it learns the
    /// configuration that leaves it out; its answers count for nothing.
    pub(super) fn tell_removed(&mut self, ctx: &mut RCtx<'_, '_>, from: NodeId) {
        if self.role != Role::Leader
            || self.config.contains(from)
            || self.peers.contains(&from)
            || from.index() >= self.cfg.servers
        {
            return;
        }
        ctx.info(format_args!(
            "{} asks for votes from outside the configuration {}: it missed its removal, sends it the log (4.2.3)",
            self.name(from),
            self.config.named(&self.cfg.names)
        ));
        self.progress[from.index()] = Progress {
            next: self.d.log.last_index() + 1,
            probing: true,
            ..Progress::default()
        };
        self.send_append(ctx, from);
    }

    /// Dissertation 3.10: stop taking requests, bring the target's log up to date, then tell it
    /// to start an election at once (`TimeoutNow`). Abandoned after an election timeout.
    fn start_transfer(&mut self, ctx: &mut RCtx<'_, '_>, to: NodeId) {
        let name = self.name(to).to_string();
        let refusal = if to == self.me {
            Some("it leads already".to_string())
        } else if !self.config.contains(to) {
            Some("not a member".to_string())
        } else {
            (self.transfer).map(|t| format!("a transfer to {} is in progress", self.name(t.to)))
        };
        if let Some(why) = refusal {
            ctx.info(format_args!("transfer to {name}: refused, {why}"));
            return;
        }
        self.transfer = Some(Transfer {
            to,
            until: ctx.now() + self.cfg.election_timeout.1,
            sent: false,
        });
        // A lease says no other leader can exist for a while; handing over makes one.
        self.reads.drop_lease();
        ctx.info(format_args!(
            "leadership transfer to {name} (3.10): takes no more requests, brings {name}'s log up to date"
        ));
        self.transfer_if_ready(ctx, to);
        if !self.transfer.is_some_and(|t| t.sent) {
            self.send_append(ctx, to);
        }
    }

    /// Once the target of a transfer holds the whole log, send it `TimeoutNow`.
    pub(super) fn transfer_if_ready(&mut self, ctx: &mut RCtx<'_, '_>, from: NodeId) {
        let Some(t) = self.transfer else {
            return;
        };
        let last = self.d.log.last_index();
        if t.to != from || t.sent || self.progress[from.index()].matched < last {
            return;
        }
        let lease = if self.cfg.reads == ReadMode::Lease {
            " (and takes no lease for the rest of its term: the election may come late)"
        } else {
            ""
        };
        ctx.info(format_args!(
            "{} holds the whole log (up to {last}): sends TimeoutNow{lease}",
            self.name(from)
        ));
        self.transfer = Some(Transfer { sent: true, ..t });
        self.reads.forgo_lease();
        let term = self.d.current_term;
        ctx.send(from, RaftMsg::TimeoutNow { term });
    }

    /// At each heartbeat: abandon a transfer that did not complete within an election timeout.
    pub(super) fn transfer_timeout(&mut self, ctx: &mut RCtx<'_, '_>) {
        if let Some(t) = self.transfer {
            if ctx.now() >= t.until {
                ctx.warn(format_args!(
                    "the transfer to {} did not complete within an election timeout: abandoned, takes requests again",
                    self.name(t.to)
                ));
                self.transfer = None;
            }
        }
    }

    /// Dissertation 3.10: the leader asks this server to start an election now (it holds the
    /// whole log). No PreVote, and voters that hear the leader vote anyway.
    pub(super) fn handle_timeout_now(&mut self, ctx: &mut RCtx<'_, '_>, from: NodeId, term: u64) {
        if term != self.d.current_term
            || self.role == Role::Leader
            || !self.config.contains(self.me)
        {
            ctx.debug(format_args!(
                "ignoring TimeoutNow from {} (term {term})",
                self.name(from)
            ));
            return;
        }
        ctx.info(format_args!(
            "TimeoutNow from {}: starts an election for term {} at once (leadership transfer)",
            self.name(from),
            term + 1
        ));
        self.start_election(ctx, true);
    }
}
