//! Newtypes for the numbers that must not be mixed up: node ids, virtual time, timer ids.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A process in the simulated cluster: servers and clients alike. Ids are dense, from 0.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The id as an index into per-node vectors.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Virtual time, in microseconds since the start of the run. Also used for spans of time.
///
/// Nothing in synod's pure crates reads a clock: time advances only when the simulator takes the
/// next event from its queue.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Time(pub u64);

impl Time {
    /// The start of every run.
    pub const ZERO: Time = Time(0);
    /// A time later than any run reaches.
    pub const MAX: Time = Time(u64::MAX);

    /// `n` microseconds.
    pub const fn micros(n: u64) -> Time {
        Time(n)
    }
    /// `n` milliseconds.
    pub const fn ms(n: u64) -> Time {
        Time(n.saturating_mul(1000))
    }
    /// Fractional milliseconds, rounded to the microsecond (negative values clamp to zero).
    pub fn ms_f64(ms: f64) -> Time {
        Time((ms * 1000.0).round().max(0.0) as u64)
    }
    /// Microseconds since the start.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// Milliseconds since the start, as a float for printing.
    pub fn as_ms_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
    /// Multiply a span by a factor (for slow nodes and backoff), saturating.
    pub fn scale(self, factor: f64) -> Time {
        Time::micros((self.0 as f64 * factor).round().clamp(0.0, u64::MAX as f64) as u64)
    }
}

impl Add for Time {
    type Output = Time;
    fn add(self, rhs: Time) -> Time {
        Time(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for Time {
    fn add_assign(&mut self, rhs: Time) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}

impl Sub for Time {
    type Output = Time;
    fn sub(self, rhs: Time) -> Time {
        Time(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for Time {
    /// Milliseconds with one decimal, as the narrated trace prints them: `12.4ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tenths = (self.0 + 50) / 100;
        write!(f, "{}.{}ms", tenths / 10, tenths % 10)
    }
}

/// A timer set by a process; used to cancel it. Unique within a run.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimerId(pub u64);

impl fmt::Display for TimerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_prints_as_milliseconds_with_one_decimal() {
        assert_eq!(Time::micros(12_440).to_string(), "12.4ms");
        assert_eq!(Time::micros(12_460).to_string(), "12.5ms");
        assert_eq!(Time::ZERO.to_string(), "0.0ms");
        assert_eq!(Time::ms(1500).to_string(), "1500.0ms");
    }

    #[test]
    fn time_arithmetic_saturates() {
        assert_eq!(Time::MAX + Time::ms(1), Time::MAX);
        assert_eq!(Time::ms(1) - Time::ms(2), Time::ZERO);
        assert_eq!(Time::ms(10).scale(2.5), Time::ms(25));
    }
}
