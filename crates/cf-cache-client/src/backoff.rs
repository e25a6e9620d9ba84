//! The one exponential backoff schedule of cf-cache: the client's retries, the Reserve Clear
//! waiter's polls and the batchers' resends after a rate limit all wait by it, each with its
//! own numbers.

use std::time::Duration;

/// Waits that grow exponentially: `initial × factor^attempt`, capped at `max`, optionally
/// shortened at random by up to `jitter_percent` % (never below `floor`).
///
/// A value, cheap to copy: [`delay`](Self::delay) and [`jittered`](Self::jittered) are pure
/// functions of the attempt number (and, for `jittered`, of the random draw passed in), so a
/// schedule is tested without randomness; [`sample`](Self::sample) draws the jitter itself.
///
/// ```
/// use std::time::Duration;
/// use cf_cache_client::Backoff;
///
/// let polls = Backoff::new(Duration::from_secs(60), Duration::from_secs(600));
/// let minutes: Vec<u64> = (0..6).map(|n| polls.delay(n).as_secs() / 60).collect();
/// assert_eq!(minutes, [1, 2, 4, 8, 10, 10]);
///
/// let jittered = polls.with_jitter_percent(25);
/// assert_eq!(jittered.jittered(0, 0.0), Duration::from_secs(60));
/// assert_eq!(jittered.jittered(4, 1.0), Duration::from_secs(450), "a quarter off at most");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Backoff {
    initial: Duration,
    factor: u32,
    max: Duration,
    jitter_percent: u8,
    floor: Duration,
}

impl Backoff {
    /// Waits from `initial`, doubling up to `max`, without jitter.
    pub const fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            factor: 2,
            max,
            jitter_percent: 0,
            floor: Duration::ZERO,
        }
    }

    /// The same schedule from another first wait.
    pub const fn with_initial(mut self, initial: Duration) -> Self {
        self.initial = initial;
        self
    }

    /// The same schedule with another longest wait.
    pub const fn with_max(mut self, max: Duration) -> Self {
        self.max = max;
        self
    }

    /// What each wait is multiplied by to give the next (default 2; 1 waits `initial` every
    /// time, 0 is taken as 1).
    pub const fn with_factor(mut self, factor: u32) -> Self {
        self.factor = if factor == 0 { 1 } else { factor };
        self
    }

    /// Takes up to `percent` % (at most 100) off each wait at random, so that many callers
    /// failing together do not wait in lockstep. Jitter only ever shortens a wait.
    pub const fn with_jitter_percent(mut self, percent: u8) -> Self {
        self.jitter_percent = if percent > 100 { 100 } else { percent };
        self
    }

    /// The shortest wait jitter may leave (default zero).
    pub const fn with_floor(mut self, floor: Duration) -> Self {
        self.floor = floor;
        self
    }

    /// The first wait.
    pub const fn initial(&self) -> Duration {
        self.initial
    }

    /// The longest wait.
    pub const fn max(&self) -> Duration {
        self.max
    }

    /// The most taken off a wait at random, in percent.
    pub const fn jitter_percent(&self) -> u8 {
        self.jitter_percent
    }

    /// The wait before attempt `attempt` (0 for the first wait), without jitter.
    pub fn delay(&self, attempt: u32) -> Duration {
        if self.initial.is_zero() {
            return Duration::ZERO;
        }
        // A product that overflows is past any `max` a `Duration` can hold.
        self.factor
            .checked_pow(attempt)
            .and_then(|growth| self.initial.checked_mul(growth))
            .map_or(self.max, |delay| delay.min(self.max))
    }

    /// [`delay`](Self::delay) with jitter, for a random draw `unit` in `0.0..=1.0` (0 leaves
    /// the wait whole, 1 takes the most off): `delay × (1 − jitter × unit)`, never below the
    /// floor, never above the unjittered wait.
    pub fn jittered(&self, attempt: u32, unit: f64) -> Duration {
        let delay = self.delay(attempt);
        if self.jitter_percent == 0 {
            return delay;
        }
        // NaN compares false both ways: taken as no draw at all rather than a panic.
        let unit = if unit > 0.0 { unit.min(1.0) } else { 0.0 };
        let cut = f64::from(self.jitter_percent) / 100.0 * unit;
        delay.mul_f64(1.0 - cut).max(self.floor).min(delay)
    }

    /// [`jittered`](Self::jittered) with a fresh random draw.
    pub fn sample(&self, attempt: u32) -> Duration {
        if self.jitter_percent == 0 {
            self.delay(attempt)
        } else {
            self.jittered(attempt, fastrand::f64())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn waits_grow_by_the_factor_and_stop_at_the_max() {
        let b = Backoff::new(SECOND, 100 * SECOND).with_factor(3);
        let waits: Vec<u64> = (0..6).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(waits, [1, 3, 9, 27, 81, 100]);
    }

    #[test]
    fn huge_attempt_numbers_saturate_at_the_max() {
        let b = Backoff::new(SECOND, Duration::MAX);
        assert_eq!(b.delay(31), Duration::from_secs(1 << 31));
        assert_eq!(b.delay(32), Duration::MAX, "2^32 overflows the factor");
        assert_eq!(b.delay(u32::MAX), Duration::MAX);
        assert_eq!(Backoff::new(SECOND, 8 * SECOND).delay(u32::MAX), 8 * SECOND);
    }

    #[test]
    fn a_factor_of_one_is_a_fixed_rate() {
        let b = Backoff::new(SECOND, 10 * SECOND).with_factor(1);
        assert!((0..5).all(|n| b.delay(n) == SECOND));
        assert_eq!(Backoff::new(SECOND, 10 * SECOND).with_factor(0).delay(4), SECOND);
    }

    #[test]
    fn jitter_takes_off_at_most_its_share() {
        let b = Backoff::new(4 * SECOND, 4 * SECOND).with_jitter_percent(25);
        assert_eq!(b.jittered(0, 0.0), 4 * SECOND);
        assert_eq!(b.jittered(0, 0.5), Duration::from_millis(3_500));
        assert_eq!(b.jittered(0, 1.0), 3 * SECOND);
        assert_eq!(b.jittered(0, 7.0), 3 * SECOND, "a draw past 1 is taken as 1");
        assert_eq!(b.jittered(0, -1.0), 4 * SECOND, "a draw below 0 is taken as 0");
        assert_eq!(b.jittered(0, f64::NAN), 4 * SECOND, "so is no number at all");
    }

    #[test]
    fn jitter_never_goes_below_the_floor() {
        let b = Backoff::new(SECOND, 8 * SECOND)
            .with_jitter_percent(100)
            .with_floor(SECOND);
        assert_eq!(b.jittered(0, 1.0), SECOND);
        assert_eq!(b.jittered(3, 1.0), SECOND);
        assert_eq!(b.jittered(3, 0.5), 4 * SECOND);
    }

    #[test]
    fn without_jitter_a_sample_is_the_delay() {
        let b = Backoff::new(SECOND, 8 * SECOND);
        assert!((0..10).all(|n| b.sample(n) == b.delay(n)));
        assert_eq!(b.with_jitter_percent(200).jitter_percent(), 100);
    }
}
