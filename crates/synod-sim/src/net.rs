//! The network model: latency, loss, duplication, and the topology of cut links, held nodes and
//! slow nodes.

use synod_core::{NodeId, SimRng, Time};

/// How the network behaves when nothing is broken, and the knobs faults turn.
#[derive(Clone, Debug, PartialEq)]
pub struct NetConfig {
    /// Fastest delivery.
    pub latency_min: Time,
    /// Slowest delivery; each message's latency is uniform in `[min, max]`, so messages reorder.
    pub latency_max: Time,
    /// Probability that a message is lost.
    pub loss: f64,
    /// Probability that a message is delivered twice (each copy with its own latency).
    pub duplicate: f64,
    /// Messages a node sends at one instant leave one after another, this far apart (the
    /// web game uses it so that a player can act between a leader's sends). Zero: all at once.
    pub stagger: Time,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            latency_min: Time::ms(1),
            latency_max: Time::ms(10),
            loss: 0.0,
            duplicate: 0.0,
            stagger: Time::ZERO,
        }
    }
}

/// Which links are cut, which nodes are held or slow. Links are directed: a one-way partition
/// cuts one direction.
#[derive(Clone, Debug)]
pub struct Topology {
    n: usize,
    /// One bit per directed link, allocated at the first cut (a run of thousands of clients
    /// that is never partitioned pays nothing for it).
    cut: Vec<u64>,
    held: Vec<bool>,
    slow: Vec<f64>,
    /// Nodes whose latency multiplier is not 1 (none: latency draws skip the multiplier).
    slowed: usize,
    cuts: usize,
}

impl Topology {
    /// `n` nodes, every link healthy.
    pub fn new(n: usize) -> Self {
        Topology {
            n,
            cut: Vec::new(),
            held: vec![false; n],
            slow: vec![1.0; n],
            slowed: 0,
            cuts: 0,
        }
    }

    fn bit(&self, from: NodeId, to: NodeId) -> (usize, u64) {
        let i = from.index() * self.n + to.index();
        (i / 64, 1 << (i % 64))
    }

    /// Whether messages from `from` to `to` are cut.
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        if self.cuts == 0 {
            return false;
        }
        let (word, mask) = self.bit(from, to);
        self.cut[word] & mask != 0
    }

    /// Cut the link from `from` to `to` (one direction).
    pub fn cut(&mut self, from: NodeId, to: NodeId) {
        if from != to {
            if self.cut.is_empty() {
                self.cut = vec![0; (self.n * self.n).div_ceil(64)];
            }
            let (word, mask) = self.bit(from, to);
            if self.cut[word] & mask == 0 {
                self.cut[word] |= mask;
                self.cuts += 1;
            }
        }
    }

    /// Restore every link (held and slow nodes stay as they are).
    pub fn heal(&mut self) {
        self.cut = Vec::new();
        self.cuts = 0;
    }

    /// Whether any link is cut.
    pub fn partitioned(&self) -> bool {
        self.cuts > 0
    }

    /// Whether `node`'s outgoing messages are held.
    pub fn is_held(&self, node: NodeId) -> bool {
        self.held[node.index()]
    }

    /// Hold or release `node`.
    pub fn set_held(&mut self, node: NodeId, held: bool) {
        self.held[node.index()] = held;
    }

    /// The latency multiplier of `node`.
    pub fn slowness(&self, node: NodeId) -> f64 {
        self.slow[node.index()]
    }

    /// Set the latency multiplier of `node`.
    pub fn set_slow(&mut self, node: NodeId, factor: f64) {
        self.slow[node.index()] = factor;
        self.slowed = self.slow.iter().filter(|f| **f != 1.0).count();
    }

    /// Draw the latency of one message from `from` to `to`.
    #[inline]
    pub fn latency(&self, cfg: &NetConfig, rng: &mut SimRng, from: NodeId, to: NodeId) -> Time {
        let base = Time::micros(
            rng.range_inclusive(cfg.latency_min.as_micros(), cfg.latency_max.as_micros()),
        );
        if self.slowed == 0 {
            return base;
        }
        let factor = self.slow[from.index()] * self.slow[to.index()];
        if factor == 1.0 {
            base
        } else {
            base.scale(factor)
        }
    }
}
