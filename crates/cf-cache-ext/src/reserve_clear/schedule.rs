//! How long to wait before each status poll.

use std::time::Duration;

/// Delays that start at `min` and double up to `max`, optionally jittered.
#[derive(Debug, Clone)]
pub(super) struct PollSchedule {
    min: Duration,
    max: Duration,
    jitter: bool,
    next: Duration,
}

impl PollSchedule {
    pub(super) fn new(min: Duration, max: Duration, jitter: bool) -> Self {
        Self {
            min,
            max,
            jitter,
            next: min,
        }
    }

    /// The wait before the next poll.
    ///
    /// Jitter takes up to a quarter off (never going below `min`), so that many waiters
    /// started together, say by a deploy script across zones, drift apart instead of polling
    /// in lockstep; it never lengthens a wait past `max`.
    pub(super) fn next_delay(&mut self) -> Duration {
        let base = self.next;
        self.next = base.saturating_mul(2).min(self.max);
        if self.jitter {
            base.mul_f64(1.0 - 0.25 * fastrand::f64()).max(self.min)
        } else {
            base
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn delays_double_from_min_and_stay_at_max() {
        let mut schedule = PollSchedule::new(MINUTE, 10 * MINUTE, false);
        let delays: Vec<u64> = (0..7).map(|_| schedule.next_delay().as_secs() / 60).collect();
        assert_eq!(delays, [1, 2, 4, 8, 10, 10, 10]);
    }

    #[test]
    fn jittered_delays_stay_within_min_and_max_and_vary() {
        let mut schedule = PollSchedule::new(MINUTE, 10 * MINUTE, true);
        let delays: Vec<Duration> = (0..200).map(|_| schedule.next_delay()).collect();
        assert!(
            delays.iter().all(|d| (MINUTE..=10 * MINUTE).contains(d)),
            "{delays:?}"
        );
        assert!(
            delays[10..].iter().any(|d| *d < 10 * MINUTE),
            "jitter shortens some waits at the cap"
        );
        assert!(delays[10..].iter().all(|d| *d >= 7 * MINUTE + MINUTE / 2));
    }

    #[test]
    fn equal_min_and_max_poll_at_a_fixed_rate() {
        let mut schedule = PollSchedule::new(MINUTE, MINUTE, false);
        assert!((0..5).all(|_| schedule.next_delay() == MINUTE));
    }
}
