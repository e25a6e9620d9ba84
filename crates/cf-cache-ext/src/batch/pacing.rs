//! Client-side token buckets, so a batch stays under Cloudflare's limits instead of finding
//! them through 429s.
//!
//! Each bucket is a GCRA (the "virtual scheduling" form of a token bucket): it keeps the
//! theoretical time at which it would be full again, and a request of `cost` tokens is
//! allowed once `cost` intervals past that time, less the burst, have been reached. Callers
//! *reserve* and then sleep until their slot, so waiters are served in arrival order and
//! none of them polls. Time is the injected [`Clock`]'s monotonic time (a wall clock stepped
//! forward would otherwise release a burst, stepped back stall the run), and waiting happens
//! on it too, so tests simulate hours of pacing without sleeping.
//!
//! `governor` implements the same algorithm, but its async waiting sleeps on real timers
//! (`futures-timer`) and it has check-and-retry rather than reservations (concurrent waiters
//! wake together and race for the token). The algorithm itself is a few lines; bridging both
//! would be more.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use cf_cache_client::Clock;

use super::plan::{BucketLimit, PlanLimits};

/// What one request draws from the buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cost {
    /// Any API request (origin region batches): only the API-wide bucket.
    Request,
    /// A purge by tag, host, prefix or everything: one token of the plan's bulk bucket.
    Bulk,
    /// A purge of this many URLs: that many tokens of the plan's URL bucket.
    Urls(u32),
}

/// Paces requests on token buckets: the plan's purge buckets and the API-wide request limit.
///
/// Clones share the buckets, which is how several batchers (a purge and an invalidate run,
/// say, or runs on zones of the same account, which share Cloudflare's buckets) stay under
/// one limit together.
#[derive(Clone)]
pub struct Pacer {
    clock: Arc<dyn Clock>,
    bulk: Option<Arc<Bucket>>,
    urls: Option<Arc<Bucket>>,
    requests: Option<Arc<Bucket>>,
}

impl fmt::Debug for Pacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pacer")
            .field("bulk", &self.bulk.as_ref().map(|b| b.limit))
            .field("urls", &self.urls.as_ref().map(|b| b.limit))
            .field("requests", &self.requests.as_ref().map(|b| b.limit))
            .field("clock", &self.clock)
            .finish()
    }
}

impl Pacer {
    /// A pacer with no buckets yet (it lets everything through), waiting on `clock`; usually
    /// the client's, from [`Client::clock`](cf_cache_client::Client::clock).
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            bulk: None,
            urls: None,
            requests: None,
        }
    }

    /// Adds the plan's purge buckets (replacing any set before), starting full.
    pub fn with_plan(mut self, limits: &PlanLimits) -> Self {
        self.bulk = Some(Arc::new(Bucket::new(limits.bulk)));
        self.urls = Some(Arc::new(Bucket::new(limits.urls)));
        self
    }

    /// Adds a bucket every request draws one token from (replacing any set before), starting
    /// full; usually [`API_REQUEST_LIMIT`](super::API_REQUEST_LIMIT).
    pub fn with_request_limit(mut self, limit: BucketLimit) -> Self {
        self.requests = Some(Arc::new(Bucket::new(limit)));
        self
    }

    /// Waits until a request costing `cost` may go; returns how long it waited.
    pub(crate) async fn acquire(&self, cost: Cost) -> Duration {
        let now = self.clock.monotonic();
        // Every bucket the request draws on is charged now; the request waits for the
        // slowest. Charging the others early only makes them slightly conservative.
        let ready_at = self
            .buckets(cost)
            .map(|(bucket, tokens)| bucket.reserve(tokens, now))
            .max()
            .unwrap_or(now);
        let wait = ready_at.saturating_duration_since(now);
        if !wait.is_zero() {
            self.clock.sleep(wait).await;
        }
        wait
    }

    /// Empties every bucket `cost` draws on until `wait` from now: the API has just said its
    /// own bucket is empty, so other requests should hold off too, not collect 429s.
    pub(crate) fn hold_off(&self, cost: Cost, wait: Duration) {
        let until = self.clock.monotonic().checked_add(wait);
        if let Some(until) = until {
            for (bucket, _) in self.buckets(cost) {
                bucket.hold_off(until);
            }
        }
    }

    fn buckets(&self, cost: Cost) -> impl Iterator<Item = (&Bucket, u32)> {
        let plan = match cost {
            Cost::Request => None,
            Cost::Bulk => self.bulk.as_deref().map(|b| (b, 1)),
            Cost::Urls(n) => self.urls.as_deref().map(|b| (b, n)),
        };
        let request = self.requests.as_deref().map(|b| (b, 1));
        plan.into_iter().chain(request)
    }
}

/// One GCRA bucket.
#[derive(Debug)]
struct Bucket {
    limit: BucketLimit,
    interval: Duration,
    /// How far ahead of now the theoretical arrival time may run before requests must wait:
    /// the burst, in time.
    tolerance: Duration,
    /// Theoretical arrival time: when the bucket would be full again. `None` until first used
    /// (a full bucket).
    tat: Mutex<Option<Instant>>,
}

impl Bucket {
    fn new(limit: BucketLimit) -> Self {
        let interval = limit.refill.interval();
        Self {
            limit,
            interval,
            tolerance: interval.saturating_mul(limit.capacity),
            tat: Mutex::new(None),
        }
    }

    /// Takes `tokens` now and returns when the request they pay for may go.
    fn reserve(&self, tokens: u32, now: Instant) -> Instant {
        let mut tat = self.tat.lock().unwrap_or_else(PoisonError::into_inner);
        let from = tat.map_or(now, |t| t.max(now));
        let next = later(from, self.interval.saturating_mul(tokens));
        *tat = Some(next);
        next.checked_sub(self.tolerance).map_or(now, |at| at.max(now))
    }

    /// Makes the bucket empty until `until`: the next single token is available then.
    fn hold_off(&self, until: Instant) {
        let mut tat = self.tat.lock().unwrap_or_else(PoisonError::into_inner);
        let empty_until = later(until, self.tolerance)
            .checked_sub(self.interval)
            .unwrap_or(until);
        *tat = Some(tat.map_or(empty_until, |t| t.max(empty_until)));
    }
}

/// `at + by`. Intervals are at most a day and costs at most a chunk, so this overflows only
/// for an instant hundreds of billions of years ahead; then no wait beats a panic.
fn later(at: Instant, by: Duration) -> Instant {
    at.checked_add(by).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::plan::{Plan, Rate};

    fn limit(count: u32, per_secs: u64, capacity: u32) -> BucketLimit {
        match Rate::new(count, Duration::from_secs(per_secs)) {
            Some(refill) => BucketLimit { refill, capacity },
            None => panic!("test rates are non-zero"),
        }
    }

    fn secs(t: Instant, origin: Instant) -> f64 {
        t.checked_duration_since(origin).map_or(-1.0, |d| d.as_secs_f64())
    }

    #[test]
    fn a_full_bucket_lets_the_burst_through_then_one_per_interval() {
        let bucket = Bucket::new(Plan::Free.limits().bulk);
        let t0 = Instant::now();
        let slots: Vec<f64> = (0..28).map(|_| secs(bucket.reserve(1, t0), t0)).collect();
        assert!(slots[..25].iter().all(|&s| s == 0.0), "{slots:?}");
        assert_eq!(slots[25..], [12.0, 24.0, 36.0]);
    }

    #[test]
    fn the_bucket_refills_while_idle_but_never_beyond_its_capacity() {
        let bucket = Bucket::new(limit(1, 1, 3));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(bucket.reserve(1, t0), t0);
        }
        assert_eq!(secs(bucket.reserve(1, t0), t0), 1.0);
        // An hour later the bucket is full again: exactly 3 go at once, not 3,600.
        let later = t0 + Duration::from_secs(3_600);
        for _ in 0..3 {
            assert_eq!(bucket.reserve(1, later), later);
        }
        assert_eq!(secs(bucket.reserve(1, later), later), 1.0);
    }

    #[test]
    fn costs_larger_than_one_token_wait_proportionally() {
        let bucket = Bucket::new(Plan::Free.limits().urls);
        let t0 = Instant::now();
        // 800 URLs of burst, then 100 URLs at 1.25 ms each.
        for _ in 0..8 {
            assert_eq!(bucket.reserve(100, t0), t0);
        }
        assert_eq!(secs(bucket.reserve(100, t0), t0), 0.125);
        assert_eq!(secs(bucket.reserve(100, t0), t0), 0.25);
    }

    #[test]
    fn hold_off_empties_the_bucket_until_the_wait_is_over() {
        let bucket = Bucket::new(limit(1, 1, 10));
        let t0 = Instant::now();
        bucket.hold_off(t0 + Duration::from_secs(7));
        assert_eq!(secs(bucket.reserve(1, t0), t0), 7.0);
        assert_eq!(secs(bucket.reserve(1, t0), t0), 8.0);
        // A hold-off shorter than the queue already waiting changes nothing.
        bucket.hold_off(t0 + Duration::from_secs(1));
        assert_eq!(secs(bucket.reserve(1, t0), t0), 9.0);
    }
}
