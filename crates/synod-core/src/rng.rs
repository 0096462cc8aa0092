//! The one kind of random generator in synod: ChaCha8, seeded, portable across platforms.
//!
//! The sampling helpers are written here rather than taken from `rand` so that a seed keeps
//! producing the same run across dependency upgrades: the byte stream of ChaCha8 is specified,
//! and these few lines turning it into numbers are ours.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng as _, SeedableRng};

/// A seeded, portable pseudo-random generator.
#[derive(Clone, Debug)]
pub struct SimRng(ChaCha8Rng);

impl SimRng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> SimRng {
        SimRng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// A generator for a sub-stream of `seed`, identified by `stream` (for example one per
    /// node), independent of how much the other streams are used.
    pub fn derive(seed: u64, stream: u64) -> SimRng {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream.wrapping_add(1));
        SimRng(rng)
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (Lemire's multiply-shift with rejection; unbiased). `n` must be > 0.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "SimRng::below(0)");
        let mut m = (self.next_u64() as u128) * (n as u128);
        // A draw is rejected when its low half is below `2^64 mod n`, which is below `n`: so a
        // low half at or above `n` is accepted without computing it (a division, the slowest
        // step, on every message's latency). The draws and results are the same either way.
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = (self.next_u64() as u128) * (n as u128);
            }
        }
        (m >> 64) as u64
    }

    /// Uniform in the inclusive range `lo..=hi` (returns `lo` when `hi <= lo`).
    #[inline]
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.below(span),
            None => self.next_u64(),
        }
    }

    /// Uniform in `[0, 1)`, with 53 bits of precision.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p` (never for `p <= 0`, always for `p >= 1`, drawing nothing).
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            false
        } else if p >= 1.0 {
            true
        } else {
            self.unit() < p
        }
    }

    /// A uniformly chosen element, or `None` for an empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len() as u64) as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<u64> = {
            let mut r = SimRng::new(7);
            (0..5).map(|_| r.next_u64()).collect()
        };
        let mut r = SimRng::new(7);
        let b: Vec<u64> = (0..5).map(|_| r.next_u64()).collect();
        assert_eq!(a, b);
        let mut other = SimRng::new(8);
        assert_ne!(a[0], other.next_u64());
    }

    #[test]
    fn derived_streams_differ_from_each_other_and_the_root() {
        let mut root = SimRng::new(1);
        let mut s0 = SimRng::derive(1, 0);
        let mut s1 = SimRng::derive(1, 1);
        let (a, b, c) = (root.next_u64(), s0.next_u64(), s1.next_u64());
        assert!(a != b && b != c && a != c);
    }

    #[test]
    fn the_byte_stream_is_pinned() {
        // ChaCha8 seeded with 1: if this changes, every golden trace changes with it.
        assert_eq!(SimRng::new(1).next_u64(), 7_424_550_030_962_593_201);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = SimRng::new(3);
        let mut seen = [0u32; 6];
        for _ in 0..6000 {
            seen[r.below(6) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| (800..1200).contains(&c)), "{seen:?}");
        assert_eq!(r.range_inclusive(5, 5), 5);
        assert_eq!(r.range_inclusive(9, 2), 9);
    }

    #[test]
    fn below_draws_exactly_as_the_textbook_form() {
        // `below` skips the division when it cannot change the outcome: the results and the
        // draws taken (so every later draw) must be those of the plain form, for small ranges
        // and for huge ones, where rejections are frequent.
        fn plain(r: &mut SimRng, n: u64) -> u64 {
            let threshold = n.wrapping_neg() % n;
            loop {
                let m = (r.next_u64() as u128) * (n as u128);
                if (m as u64) >= threshold {
                    return (m >> 64) as u64;
                }
            }
        }
        let (mut fast, mut reference) = (SimRng::new(5), SimRng::new(5));
        for i in 0..20_000u64 {
            let n = match i % 4 {
                0 => 1 + i % 10,
                1 => 9_001,
                2 => (1 << 63) + 12_345 + i,
                _ => u64::MAX - i,
            };
            assert_eq!(fast.below(n), plain(&mut reference, n), "n = {n}");
        }
        assert_eq!(fast.next_u64(), reference.next_u64());
    }

    #[test]
    fn chance_extremes_draw_nothing() {
        let mut a = SimRng::new(4);
        let mut b = SimRng::new(4);
        assert!(!a.chance(0.0));
        assert!(a.chance(1.0));
        assert_eq!(a.next_u64(), b.next_u64());
    }
}
