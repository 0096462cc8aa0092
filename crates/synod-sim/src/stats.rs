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
    fn kind(&mut self, kind: &'static str) -> &mut KindStats {
        // A handful of kinds per protocol: a linear scan on interned names beats any map.
        let pos = self
            .kinds
            .iter()
            .position(|k| std::ptr::eq(k.kind, kind) || k.kind == kind);
        let i = match pos {
            Some(i) => i,
            None => {
                self.kinds.push(KindStats {
                    kind,
                    ..KindStats::default()
                });
                self.kinds.len() - 1
            }
        };
        &mut self.kinds[i]
    }

    pub(crate) fn sent(&mut self, kind: &'static str) {
        self.kind(kind).sent += 1;
    }
    pub(crate) fn delivered(&mut self, kind: &'static str) {
        self.kind(kind).delivered += 1;
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

    /// Totals over all kinds: (sent, delivered, dropped, duplicated).
    pub fn totals(&self) -> (u64, u64, u64, u64) {
        self.kinds.iter().fold((0, 0, 0, 0), |(s, d, x, u), k| {
            (s + k.sent, d + k.delivered, x + k.dropped, u + k.duplicated)
        })
    }
}
