//! The two kinds of limit Cloudflare applies, computed exactly on the fake's clock (integer
//! nanoseconds, no rounding): a sliding window of requests (the API-wide 1,200 per 5 minutes,
//! 200 per second per IP) and token buckets (the purge buckets).

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use crate::clock::nanos;

/// At most `quota` requests in any `window`; going over blocks every request for `block`.
#[derive(Debug)]
pub(crate) struct SlidingWindow {
    quota: u32,
    window: u128,
    block: u128,
    /// When each request still inside the window was admitted (nanoseconds, oldest first).
    admitted: VecDeque<u128>,
    blocked_until: Option<u128>,
}

/// The window's state as the `Ratelimit` header reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WindowStatus {
    /// Requests the window still admits.
    pub remaining: u32,
    /// Until the next request leaves the window (or the block ends).
    pub reset: Duration,
}

impl SlidingWindow {
    pub(crate) fn new(quota: u32, window: Duration, block: Duration) -> Self {
        Self {
            quota,
            window: window.as_nanos(),
            block: block.as_nanos(),
            admitted: VecDeque::new(),
            blocked_until: None,
        }
    }

    /// Admits one request at `at`, or says how long until one would be admitted. The request
    /// that finds the window full starts the block; refused requests do not count.
    pub(crate) fn admit(&mut self, at: SystemTime) -> Result<(), Duration> {
        let now = nanos(at);
        if let Some(until) = self.blocked_until {
            if now < until {
                return Err(duration(until - now));
            }
            self.blocked_until = None;
        }
        self.expire(now);
        if self.admitted.len() >= self.quota as usize {
            if self.block > 0 {
                self.blocked_until = Some(now + self.block);
                return Err(duration(self.block));
            }
            return Err(self.until_next_leaves(now));
        }
        self.admitted.push_back(now);
        Ok(())
    }

    /// The quota left and the time until it grows, as of `at`.
    pub(crate) fn status(&mut self, at: SystemTime) -> WindowStatus {
        let now = nanos(at);
        if let Some(until) = self.blocked_until.filter(|&until| now < until) {
            return WindowStatus {
                remaining: 0,
                reset: duration(until - now),
            };
        }
        self.expire(now);
        let used = u32::try_from(self.admitted.len()).unwrap_or(u32::MAX);
        WindowStatus {
            remaining: self.quota.saturating_sub(used),
            reset: self.until_next_leaves(now),
        }
    }

    fn expire(&mut self, now: u128) {
        while let Some(&oldest) = self.admitted.front() {
            if now.saturating_sub(oldest) >= self.window {
                self.admitted.pop_front();
            } else {
                break;
            }
        }
    }

    fn until_next_leaves(&self, now: u128) -> Duration {
        self.admitted.front().map_or(Duration::ZERO, |&oldest| {
            duration((oldest + self.window).saturating_sub(now))
        })
    }
}

/// A token bucket of `capacity` tokens refilled at `count` per `per` (a GCRA: one number, the
/// time at which the bucket would be full again). Time is counted in units of 1/`count`
/// nanosecond so that any rate is exact.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    count: u128,
    /// Cost of one token, in scaled units (`per` in nanoseconds).
    per_token: u128,
    capacity: u128,
    /// When the bucket is full again, in scaled units.
    full_at: u128,
}

impl TokenBucket {
    /// `count` tokens per `per`, holding at most `capacity`; `count` and `capacity` must be >= 1.
    pub(crate) fn new(count: u32, per: Duration, capacity: u32) -> Self {
        Self {
            count: u128::from(count.max(1)),
            per_token: per.as_nanos().max(1),
            capacity: u128::from(capacity.max(1)),
            full_at: 0,
        }
    }

    /// Takes `tokens` at `at`, or says how long until that many are there.
    pub(crate) fn take(&mut self, at: SystemTime, tokens: u32) -> Result<(), Duration> {
        let now = nanos(at) * self.count;
        let after = self.full_at.max(now) + u128::from(tokens) * self.per_token;
        let allowed = self.capacity * self.per_token;
        if after - now > allowed {
            return Err(duration((after - now - allowed).div_ceil(self.count)));
        }
        self.full_at = after;
        Ok(())
    }

    /// Whole tokens in the bucket at `at`.
    pub(crate) fn available(&self, at: SystemTime) -> u32 {
        let now = nanos(at) * self.count;
        let missing = self.full_at.saturating_sub(now).div_ceil(self.per_token);
        u32::try_from(self.capacity.saturating_sub(missing)).unwrap_or(u32::MAX)
    }
}

fn duration(nanos: u128) -> Duration {
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// Whole seconds, rounded up (what `Retry-After` and the `Ratelimit` header carry).
pub(crate) fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `micros` after an arbitrary start.
    fn at(micros: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000) + Duration::from_micros(micros)
    }

    #[test]
    fn the_window_admits_its_quota_at_once_then_blocks_for_the_block() {
        let mut w = SlidingWindow::new(1_200, Duration::from_secs(300), Duration::from_secs(300));
        for _ in 0..1_200 {
            assert_eq!(w.admit(at(0)), Ok(()));
        }
        assert_eq!(w.admit(at(1_000_000)), Err(Duration::from_secs(300)));
        // Still blocked just before the block ends, though the window has emptied.
        assert_eq!(w.admit(at(300_500_000)), Err(Duration::from_millis(500)));
        assert_eq!(w.admit(at(301_000_000)), Ok(()));
    }

    #[test]
    fn no_window_ever_holds_more_than_the_quota() {
        // 3 per 10 s without a block: a request is admitted exactly when the oldest leaves.
        let mut w = SlidingWindow::new(3, Duration::from_secs(10), Duration::ZERO);
        for t in [0, 4_000_000, 9_000_000] {
            assert_eq!(w.admit(at(t)), Ok(()));
        }
        assert_eq!(w.admit(at(9_999_000)), Err(Duration::from_millis(1)));
        assert_eq!(w.admit(at(10_000_000)), Ok(()));
        assert_eq!(w.admit(at(13_000_000)), Err(Duration::from_secs(1)));
        assert_eq!(
            w.status(at(13_000_000)),
            WindowStatus {
                remaining: 0,
                reset: Duration::from_secs(1)
            }
        );
        assert_eq!(
            w.status(at(14_000_000)),
            WindowStatus {
                remaining: 1,
                reset: Duration::from_secs(5)
            }
        );
    }

    #[test]
    fn the_url_bucket_refills_800_per_second_exactly() {
        let mut b = TokenBucket::new(800, Duration::from_secs(1), 800);
        for _ in 0..26 {
            assert_eq!(b.take(at(0), 30), Ok(()));
        }
        assert_eq!(b.available(at(0)), 20);
        // 30 more need 10 tokens: 12.5 ms of refill at 800/s.
        assert_eq!(b.take(at(0), 30), Err(Duration::from_micros(12_500)));
        assert_eq!(b.take(at(12_500), 30), Ok(()));
        assert_eq!(b.available(at(10_000_000)), 800);
    }

    #[test]
    fn the_free_bulk_bucket_holds_25_and_refills_one_per_12_seconds() {
        let mut b = TokenBucket::new(5, Duration::from_secs(60), 25);
        for _ in 0..25 {
            assert_eq!(b.take(at(0), 1), Ok(()));
        }
        assert_eq!(b.take(at(0), 1), Err(Duration::from_secs(12)));
        assert_eq!(b.take(at(11_000_000), 1), Err(Duration::from_secs(1)));
        assert_eq!(b.take(at(12_000_000), 1), Ok(()));
    }

    #[test]
    fn rates_that_do_not_divide_a_second_stay_exact() {
        let mut b = TokenBucket::new(3, Duration::from_secs(1), 1);
        assert_eq!(b.take(at(0), 1), Ok(()));
        assert_eq!(b.take(at(0), 1), Err(Duration::from_nanos(333_333_334)));
        assert_eq!(ceil_secs(Duration::from_nanos(333_333_334)), 1);
    }
}
