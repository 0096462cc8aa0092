//! Counters of a run: events, and messages sent, delivered, dropped and duplicated by kind.

use synod_core::DropReason;

/// Message counters for one kind of message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KindStats {
    /// The message kind.
    pub kind: &'static str,
    /// Sent by processes.
    pub sent: u64,
    /// Delivered to a live process (duplicates count once per copy).
    pub delivered: u64,
    /// Not delivered: lost, partitioned, or the receiver was down.
    pub dropped: u64,
    /// Delivered twice by the network.
    pub duplicated: u64,
}

/// The statistics of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events taken from the queue.
    pub events: u64,
    /// Per message kind, in order of first appearance.
    pub kinds: Vec<KindStats>,
    /// Drops by reason: (reason, count), in order of first appearance.
    pub drop_reasons: Vec<(DropReason, u64)>,
    /// Cuts (partitions, one-way cuts, rings) after which the node leading could no longer
    /// reach a majority of the servers: the coverage a campaign reports.
    pub leader_isolations: u64,
}

impl Stats {
    /// The counters of `kind`, added on its first appearance.
    fn kind(&mut self, kind: &'static str) -> &mut KindStats {
        let i = self.kind_index(kind);
        &mut self.kinds[i]
    }

    /// Where the counters of `kind` are in `kinds`, added on its first appearance.
    fn kind_index(&mut self, kind: &'static str) -> usize {
        // A handful of kinds per protocol: a linear scan beats any map. Names are compared by
        // address first (a kind is nearly always the same literal), and by content only when
        // that fails; kinds are unique by content, so both find the same one.
        let pos = (self.kinds.iter().position(|k| std::ptr::eq(k.kind, kind)))
            .or_else(|| self.kinds.iter().position(|k| k.kind == kind));
        match pos {
            Some(i) => i,
            None => {
                self.kinds.push(KindStats {
                    kind,
                    ..KindStats::default()
                });
                self.kinds.len() - 1
            }
        }
    }

    pub(crate) fn duplicated(&mut self, kind: &'static str) {
        self.kind(kind).duplicated += 1;
    }
    pub(crate) fn dropped(&mut self, kind: &'static str, reason: DropReason) {
        self.kind(kind).dropped += 1;
        match self.drop_reasons.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => self.drop_reasons.push((reason, 1)),
        }
    }

    /// The counters of `kind`, found through `memo` (the simulator's hot path: a sent and a
    /// delivered message each count once).
    #[inline]
    pub(crate) fn counters(&mut self, memo: &mut KindMemo, kind: &'static str) -> &mut KindStats {
        let slot = KindMemo::slot(kind);
        let i = match memo.slots[slot] {
            Some((k, i)) if std::ptr::eq(k, kind) => i,
            _ => {
                let i = self.kind_index(kind);
                memo.slots[slot] = Some((kind, i));
                i
            }
        };
        &mut self.kinds[i]
    }

    /// Totals over all kinds: (sent, delivered, dropped, duplicated).
    pub fn totals(&self) -> (u64, u64, u64, u64) {
        self.kinds.iter().fold((0, 0, 0, 0), |(s, d, x, u), k| {
            (s + k.sent, d + k.delivered, x + k.dropped, u + k.duplicated)
        })
    }
}

/// Where each message kind's counters are, remembered by the address of the kind's name (a
/// `&'static str` literal, nearly always the same one per kind): a direct-mapped table of 64
/// slots, so that counting a message costs a multiplication and a comparison instead of a scan
/// of every kind (for a protocol's dozen kinds, two rarely share a slot). Addresses only decide
/// which slot remembers what, never which counters count: a miss falls back to the scan.
#[derive(Clone, Debug)]
pub(crate) struct KindMemo {
    slots: [Option<(&'static str, usize)>; 64],
}

impl Default for KindMemo {
    fn default() -> Self {
        KindMemo { slots: [None; 64] }
    }
}

impl KindMemo {
    /// The slot of `kind`: its address, hashed (Fibonacci hashing) to 6 bits.
    fn slot(kind: &'static str) -> usize {
        let addr = kind.as_ptr() as usize as u64;
        (addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memo_counts_like_the_scan_in_order_of_first_appearance() {
        let mut memo = KindMemo::default();
        let mut stats = Stats::default();
        // A name with the same content at another address counts as the same kind.
        let owned = String::from("p2a");
        let same: &'static str = Box::leak(owned.into_boxed_str());
        for kind in ["p2a", "p2b", "p2a", "Decision", same, "p2b"] {
            stats.counters(&mut memo, kind).sent += 1;
        }
        stats.counters(&mut memo, "p2b").delivered += 1;
        let seen: Vec<(&str, u64, u64)> = stats
            .kinds
            .iter()
            .map(|k| (k.kind, k.sent, k.delivered))
            .collect();
        assert_eq!(seen, [("p2a", 3, 0), ("p2b", 2, 1), ("Decision", 1, 0)]);
    }
}
