//! The learner half of leaders and replicas: the log of chosen entries, and the copy of the
//! store they are applied to, in slot order, exactly once per request.

use super::types::{Entry, Msg, Slot, Timer};
use crate::kv::{Sessions, Store};
use std::collections::BTreeMap;
use std::fmt;
use synod_core::view::{Changed, StateView};
use synod_core::{ClientResult, Ctx, NodeId};

/// Chosen entries and the state machine they drive.
#[derive(Clone, Debug, Default)]
pub struct Learner {
    /// Chosen entries by slot (index `slot - 1`); `None` where not (yet) known.
    log: Vec<Option<Entry>>,
    /// Every slot up to this one is known to be chosen.
    prefix: Slot,
    /// Slots applied (in order: 1..=applied).
    applied: Slot,
    /// The store.
    store: Store,
    /// Last request per client, for exactly-once application.
    sessions: Sessions,
    /// Planted bug `replica-out-of-order`: apply on arrival, not in slot order.
    out_of_order: bool,
    /// Planted bug `apply-retry-twice`: the sessions are not consulted.
    no_sessions: bool,
    /// With that bug: each client's last request applied, and its slot, so that the narration
    /// can say when a retry is applied a second time (the state machine does not read it).
    applied_by: BTreeMap<NodeId, (u64, Slot)>,
    /// With the bug: slots learned but not applied yet, in arrival order.
    unapplied: Vec<Slot>,
    /// With the bug: how many slots were applied.
    applied_count: u64,
    /// For the view: the first slot learned since the last report (see `view.rs`).
    view: Changed,
    /// The node id of `client 1`, to name clients in `decide` and `apply` events.
    first_client: u32,
}

/// An entry as `decide` and `apply` events carry it: `PUT "a" = "val_3" (client 2 #4)`, the
/// command and the request it came from, so that two different requests never look the same.
struct Shown<'a>(&'a Entry, u32);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Shown(entry, first_client) = self;
        match entry.origin {
            Some((client, req)) => match client.0.checked_sub(*first_client) {
                Some(i) => write!(f, "{} (client {} #{req})", entry.cmd, i + 1),
                None => write!(f, "{} (node {client} #{req})", entry.cmd),
            },
            None => entry.cmd.fmt(f),
        }
    }
}

impl Learner {
    /// An empty learner of a cluster whose clients start at node `first_client`;
    /// `out_of_order` plants the bug `replica-out-of-order`, `no_sessions` the bug
    /// `apply-retry-twice`.
    pub fn new(out_of_order: bool, no_sessions: bool, first_client: u32) -> Learner {
        Learner {
            out_of_order,
            no_sessions,
            first_client,
            ..Learner::default()
        }
    }

    /// Whether `slot` is known to be chosen.
    pub fn knows(&self, slot: Slot) -> bool {
        self.get(slot).is_some()
    }

    /// The entry chosen in `slot`, if known.
    pub fn get(&self, slot: Slot) -> Option<&Entry> {
        (slot as usize)
            .checked_sub(1)
            .and_then(|i| self.log.get(i))
            .and_then(Option::as_ref)
    }

    /// Every slot up to this one is known to be chosen.
    pub fn prefix(&self) -> Slot {
        self.prefix
    }

    /// The highest slot known to be chosen (0 if none).
    pub fn top(&self) -> Slot {
        self.log.len() as Slot
    }

    /// Slots applied so far.
    pub fn applied(&self) -> Slot {
        if self.out_of_order {
            self.applied_count
        } else {
            self.applied
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The exactly-once sessions of the store.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// Learn that `entry` is chosen in `slot` (emits `decide`). Returns false if it was known.
    pub fn learn(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, slot: Slot, entry: Entry) -> bool {
        if slot == 0 || self.knows(slot) {
            return false;
        }
        ctx.decide(slot, &Shown(&entry, self.first_client));
        let i = slot as usize - 1;
        if self.log.len() == i {
            // The common case: the slot after every slot known.
            self.log.push(Some(entry));
        } else {
            if self.log.len() < i {
                self.log.resize(i + 1, None);
            }
            self.log[i] = Some(entry);
        }
        self.view.mark(slot);
        while self.get(self.prefix + 1).is_some() {
            self.prefix += 1;
        }
        if self.out_of_order {
            self.unapplied.push(slot);
        }
        true
    }

    /// Apply every chosen entry that can be applied: in slot order, up to the first gap (or,
    /// with the planted bug, whatever arrived). `on_apply` sees each applied entry and its
    /// result (a retried request gets its first result, from memory).
    pub fn apply_ready(
        &mut self,
        ctx: &mut Ctx<'_, Msg, Timer>,
        mut on_apply: impl FnMut(&mut Ctx<'_, Msg, Timer>, &Entry, &ClientResult),
    ) {
        loop {
            let slot = if self.out_of_order {
                if self.unapplied.is_empty() {
                    return;
                }
                self.applied_count += 1;
                self.unapplied.remove(0)
            } else {
                if self.applied >= self.prefix {
                    return;
                }
                self.applied += 1;
                self.applied
            };
            let Some(entry) = self.log[slot as usize - 1].as_ref() else {
                continue;
            };
            let noop;
            let mut again = None;
            let (result, fresh) = match entry.origin {
                Some((client, req)) if self.no_sessions => {
                    match self.applied_by.get(&client) {
                        Some(&(last, at)) if last >= req => again = Some((last, at)),
                        _ => {
                            self.applied_by.insert(client, (req, slot));
                        }
                    }
                    noop = self.store.apply(&entry.cmd);
                    (&noop, true)
                }
                Some((client, req)) => {
                    self.sessions
                        .apply_ref(&mut self.store, client, req, &entry.cmd)
                }
                None => {
                    noop = self.store.apply(&entry.cmd);
                    (&noop, true)
                }
            };
            if let (Some((last, at)), Some((_, req))) = (again, entry.origin) {
                // A client sends a request once the one before is answered, so an older
                // request than its last applied one was applied too, in an earlier slot.
                let before = if last == req {
                    format!("applied in slot {at} already")
                } else {
                    format!("applied before the client's request #{last} in slot {at}")
                };
                ctx.warn(format_args!(
                    "slot {slot}: {} -> {result} (BUG apply-retry-twice: a retry of request #{req}, {before}; applied again, the sessions unread)",
                    entry.cmd
                ));
            } else if fresh && self.out_of_order && slot > self.prefix {
                ctx.warn(format_args!(
                    "slot {slot}: {} -> {result} (BUG replica-out-of-order: applied on arrival, before slot {} is known)",
                    entry.cmd,
                    self.prefix + 1
                ));
            } else if fresh {
                ctx.info(format_args!("slot {slot}: {} -> {result}", entry.cmd));
            } else if let Some((client, req)) = entry.origin {
                ctx.dedup(client, req);
                ctx.info(format_args!(
                    "slot {slot}: {} again (retry of request #{req}): answering {result} from memory",
                    entry.cmd
                ));
            }
            ctx.apply(slot, &Shown(entry, self.first_client), result);
            on_apply(ctx, entry, result);
        }
    }

    /// For the view: where the report of the chosen slots must start (see `view.rs`).
    pub(super) fn view_from(&self, v: &StateView) -> Slot {
        self.view.first(v)
    }

    /// Chosen entries from `from` on, at most `max` of them, for a learner catching up.
    pub fn entries_from(&self, from: Slot, max: usize) -> Vec<(Slot, Entry)> {
        let start = from.max(1) as usize - 1;
        self.log
            .iter()
            .enumerate()
            .skip(start)
            .filter_map(|(i, e)| e.as_ref().map(|e| (i as Slot + 1, e.clone())))
            .take(max)
            .collect()
    }
}
