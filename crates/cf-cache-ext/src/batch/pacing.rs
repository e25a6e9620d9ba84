//! Client-side token buckets, so a batch stays under Cloudflare's limits instead of finding
//! them through 429s: the plan's purge buckets here, the API-wide budget in [`budget`]
//! (a sliding window; shared through Redis by [`fleet`] when set up).
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

use cf_cache_client::{Clock, ObservedResponse, Printable, ResponseObserver};

use super::budget::{self, LocalBudget};
#[cfg(feature = "redis")]
use super::fleet::{self, Fleet};
use super::plan::{BucketLimit, PlanLimits, WindowLimit};
use super::server_view::ServerView;

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

/// Paces requests on token buckets: the plan's purge buckets and the API-wide request
/// budget (a sliding window).
///
/// Clones share the buckets, which is how several batchers (a purge and an invalidate run,
/// say, or runs on zones of the same account, which share Cloudflare's buckets) stay under
/// one limit together. Processes share them through Redis (feature `redis`,
/// `Pacer::with_fleet`).
///
/// A pacer is also a [`ResponseObserver`]: the batchers show it every answer their client
/// gets, so the server's `Ratelimit` headers (requests made by other clients of the token)
/// and `retry-after` correct its count.
#[derive(Clone)]
pub struct Pacer {
    clock: Arc<dyn Clock>,
    bulk: Option<Arc<Bucket>>,
    urls: Option<Arc<Bucket>>,
    requests: Option<Arc<LocalBudget>>,
    #[cfg(feature = "redis")]
    fleet: Option<Arc<Fleet>>,
}

/// A pacer set to share its budget through Redis could not reach it, and was told to fail
/// rather than pace on its own; the items it would have paced were not sent.
#[derive(Debug, thiserror::Error)]
#[error("the shared request budget is unreachable: {}", Printable(&.source.to_string()))]
pub struct PacerUnavailable {
    #[source]
    pub(crate) source: Box<dyn std::error::Error + Send + Sync>,
}

/// A request's admission: how long it waited, and the slot it holds in the request budget
/// until its answer is in.
pub(crate) struct Admission {
    pub waited: Duration,
    slot: Option<Slot>,
    opened: Option<Opened>,
}

/// The request went first on a full plan bucket, so the API's bucket starts counting at its
/// arrival: its answer tells how late that may have been.
struct Opened {
    bucket: Arc<Bucket>,
    start: BurstStart,
}

/// When the request that opened a burst went, on the clock its answer is timed on. Shared
/// with the fleet's bucket in Redis.
#[derive(Debug)]
pub(crate) struct BurstStart {
    went: Instant,
    clock: Arc<dyn Clock>,
}

impl BurstStart {
    /// The request goes now.
    pub(crate) fn now(clock: &Arc<dyn Clock>) -> Self {
        Self {
            went: clock.monotonic(),
            clock: Arc::clone(clock),
        }
    }

    /// How long since it went: read when its answer is in.
    pub(crate) fn taken(&self) -> Duration {
        self.clock.monotonic().saturating_duration_since(self.went)
    }
}

enum Slot {
    Local(budget::Slot),
    #[cfg(feature = "redis")]
    Fleet(fleet::Slot),
}

impl Admission {
    /// The request's answer is in (or it failed): its slot is dated now.
    pub(crate) async fn answered(self) {
        if let Some(opened) = self.opened {
            opened.bucket.anchor(opened.start.taken());
        }
        match self.slot {
            #[cfg(feature = "redis")]
            Some(Slot::Fleet(slot)) => slot.answered().await,
            Some(Slot::Local(slot)) => drop(slot),
            None => {}
        }
    }
}

impl fmt::Debug for Pacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut pacer = f.debug_struct("Pacer");
        pacer
            .field("bulk", &self.bulk.as_ref().map(|b| b.limit))
            .field("urls", &self.urls.as_ref().map(|b| b.limit))
            .field("requests", &self.requests.as_ref().map(|b| b.limit()))
            .field("clock", &self.clock);
        #[cfg(feature = "redis")]
        pacer.field("fleet", &self.fleet);
        pacer.finish()
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
            #[cfg(feature = "redis")]
            fleet: None,
        }
    }

    /// Adds the plan's purge buckets (replacing any set before), starting full.
    pub fn with_plan(mut self, limits: &PlanLimits) -> Self {
        self.bulk = Some(Arc::new(Bucket::new(limits.bulk)));
        self.urls = Some(Arc::new(Bucket::new(limits.urls)));
        self
    }

    /// Adds the budget every request counts against (replacing any set before), with the
    /// whole of it available: at most `limit.requests()` in any window of `limit.window()`. Usually
    /// [`API_REQUEST_LIMIT`](super::API_REQUEST_LIMIT), or a
    /// [`share`](WindowLimit::share) of it when other tools use the same token.
    pub fn with_request_limit(mut self, limit: WindowLimit) -> Self {
        self.requests = Some(Arc::new(LocalBudget::new(limit, &*self.clock)));
        self
    }

    /// Shares the request budget and the plan's buckets with every process that paces on
    /// `fleet` (the same Redis and account): the limits set on this pacer then apply to all
    /// of them together.
    #[cfg(feature = "redis")]
    pub fn with_fleet(mut self, fleet: Fleet) -> Self {
        self.fleet = Some(Arc::new(fleet));
        self
    }

    /// Waits until a request costing `cost` may go, and takes its slot in the budget.
    pub(crate) async fn acquire(&self, cost: Cost) -> Result<Admission, PacerUnavailable> {
        #[cfg(feature = "redis")]
        if let Some(fleet) = &self.fleet {
            let limit = self.requests.as_ref().map(|b| b.limit());
            let bucket = self.plan_bucket(cost).map(|(b, tokens)| (b.limit, tokens));
            match fleet.acquire(limit, cost, bucket, &self.clock).await {
                Ok((slot, waited)) => {
                    return Ok(Admission {
                        waited,
                        slot: Some(Slot::Fleet(slot)),
                        opened: None,
                    });
                }
                // Falls back to pacing alone, or fails, as the fleet was configured.
                Err(error) => fleet.unavailable(error)?,
            }
        }
        // The budget first, then the plan's bucket: a token is charged only once the
        // request may go, or a long wait for the window would leave the bucket believing
        // tokens were spent long before the server saw them.
        let (slot, mut waited) = match &self.requests {
            Some(budget) => {
                let (slot, waited) = budget.admit(&self.clock).await;
                (Some(Slot::Local(slot)), waited)
            }
            None => (None, Duration::ZERO),
        };
        let mut opened = None;
        if let Some((bucket, tokens)) = self.plan_bucket(cost) {
            let now = self.clock.monotonic();
            let reserved = bucket.reserve(tokens, now);
            let wait = reserved.at.saturating_duration_since(now);
            if !wait.is_zero() {
                self.clock.sleep(wait).await;
                waited += wait;
            }
            // After the wait: the request goes now.
            opened = reserved.opens_burst.then(|| Opened {
                bucket: Arc::clone(bucket),
                start: BurstStart::now(&self.clock),
            });
        }
        Ok(Admission { waited, slot, opened })
    }

    /// Empties every bucket `cost` draws on, and holds the request budget, until `wait` from
    /// now: the API has just said its own bucket is empty, so other requests (of the fleet,
    /// when there is one) should hold off too, not collect 429s.
    pub(crate) async fn hold_off(&self, cost: Cost, wait: Duration) {
        if let Some(until) = self.clock.monotonic().checked_add(wait)
            && let Some((bucket, _)) = self.plan_bucket(cost)
        {
            bucket.hold_off(until);
        }
        if let Some(budget) = &self.requests {
            budget.hold_off(&*self.clock, wait);
        }
        #[cfg(feature = "redis")]
        if let Some(fleet) = &self.fleet {
            fleet.hold_off(wait).await;
        }
    }

    fn plan_bucket(&self, cost: Cost) -> Option<(&Arc<Bucket>, u32)> {
        match cost {
            Cost::Request => None,
            Cost::Bulk => self.bulk.as_ref().map(|b| (b, 1)),
            Cost::Urls(n) => self.urls.as_ref().map(|b| (b, n)),
        }
    }
}

impl ResponseObserver for Pacer {
    fn observe(&self, response: &ObservedResponse<'_>) {
        let now = self.clock.now();
        let view = ServerView::read(
            response.status(),
            &response.rate_limit(),
            response.retry_after(now),
            now,
        );
        // A later attempt is a retry the client made on its own, which no slot was taken for.
        let unadmitted = response.attempt() > 1;
        if let Some(budget) = &self.requests {
            budget.note(&*self.clock, &view, unadmitted);
        }
        #[cfg(feature = "redis")]
        if let Some(fleet) = &self.fleet {
            fleet.note(&*self.clock, &view, unadmitted);
        }
    }
}

/// Taken off each bucket's burst. The API's bucket starts counting at a request's arrival,
/// ours at its admission, a little earlier (the time to send it). When a burst starts on a
/// full bucket, that head start of the first request would let a later request of the burst
/// arrive before the API's bucket holds its tokens: a 429 (1134) missed by a few
/// milliseconds, measured on the Free plan's 800-URL bucket. Only the burst shrinks (by 80
/// URLs on Free, once per burst); the refill rate stays the plan's.
///
/// A first request slower to arrive than this (a TLS handshake to a distant server on a
/// new connection) is caught by its answer: see [`Bucket::anchor`] (and the fleet's
/// `ANCHOR` for its bucket in Redis).
pub(crate) const SEND_MARGIN: Duration = Duration::from_millis(100);

/// The most a burst's start is moved by its first answer. The arrival it stands for is at
/// most a connection set-up late; an answer slower than this is a slow server or one of the
/// client's own retries (with their waits), which say nothing about when the request arrived.
const MAX_ANCHOR: Duration = Duration::from_secs(1);

/// How far ahead of now a bucket's theoretical arrival time may run before requests must
/// wait: the burst, in time, less [`SEND_MARGIN`]. Shared with the fleet's bucket in Redis.
pub(crate) fn tolerance(limit: &BucketLimit) -> Duration {
    limit
        .refill
        .interval()
        .saturating_mul(limit.capacity)
        .saturating_sub(SEND_MARGIN)
}

/// One GCRA bucket.
#[derive(Debug)]
struct Bucket {
    limit: BucketLimit,
    interval: Duration,
    /// See [`tolerance`].
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
            tolerance: tolerance(&limit),
            tat: Mutex::new(None),
        }
    }

    /// Takes `tokens` now: when the request they pay for may go, and whether it opens a burst
    /// (the bucket was full).
    fn reserve(&self, tokens: u32, now: Instant) -> Reserved {
        let mut tat = self.tat.lock().unwrap_or_else(PoisonError::into_inner);
        let opens_burst = tat.is_none_or(|t| t <= now);
        let from = tat.map_or(now, |t| t.max(now));
        let next = later(from, self.interval.saturating_mul(tokens));
        *tat = Some(next);
        Reserved {
            at: next.checked_sub(self.tolerance).map_or(now, |at| at.max(now)),
            opens_burst,
        }
    }

    /// The request that opened a burst was answered `taken` after it went. The API's bucket
    /// started at its arrival, which came at most that long after; whatever of it the margin
    /// does not cover, ours starts later too (every later slot moves, as the API's do).
    fn anchor(&self, taken: Duration) {
        let late = anchor_shift(taken);
        if !late.is_zero() {
            let mut tat = self.tat.lock().unwrap_or_else(PoisonError::into_inner);
            *tat = tat.map(|t| later(t, late));
        }
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

/// How much later a bucket starts when the request that opened its burst was answered
/// `taken` after it went. Shared with the fleet's bucket in Redis.
pub(crate) fn anchor_shift(taken: Duration) -> Duration {
    taken.min(MAX_ANCHOR).saturating_sub(SEND_MARGIN)
}

/// What [`Bucket::reserve`] gives.
struct Reserved {
    /// When the request may go.
    at: Instant,
    /// It went first on a full bucket.
    opens_burst: bool,
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

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    /// When each of `n` reservations of `tokens` made at `now` may go, from `origin`.
    fn slots(bucket: &Bucket, n: usize, tokens: u32, now: Instant, origin: Instant) -> Vec<Duration> {
        (0..n)
            .map(|_| bucket.reserve(tokens, now).at.saturating_duration_since(origin))
            .collect()
    }

    #[test]
    fn a_full_bucket_lets_the_burst_less_the_margin_through_then_one_per_interval() {
        let bucket = Bucket::new(Plan::Free.limits().bulk);
        let t0 = Instant::now();
        let slots = slots(&bucket, 28, 1, t0, t0);
        assert!(slots[..24].iter().all(Duration::is_zero), "{slots:?}");
        // The 25th token of the burst waits out the margin; the refill is the plan's.
        assert_eq!(slots[24..], [ms(100), ms(12_100), ms(24_100), ms(36_100)]);
    }

    #[test]
    fn the_bucket_refills_while_idle_but_never_beyond_its_capacity() {
        let bucket = Bucket::new(limit(1, 1, 3));
        let t0 = Instant::now();
        assert_eq!(slots(&bucket, 4, 1, t0, t0), [ms(0), ms(0), ms(100), ms(1_100)]);
        // An hour later the bucket is full again: the same burst, not 3,600 tokens.
        let later = t0 + Duration::from_secs(3_600);
        assert_eq!(
            slots(&bucket, 4, 1, later, later),
            [ms(0), ms(0), ms(100), ms(1_100)]
        );
    }

    #[test]
    fn costs_larger_than_one_token_wait_proportionally() {
        let bucket = Bucket::new(Plan::Free.limits().urls);
        let t0 = Instant::now();
        // 800 URLs of burst less 100 ms of refill, then 100 URLs at 1.25 ms each.
        let slots = slots(&bucket, 10, 100, t0, t0);
        assert!(slots[..7].iter().all(Duration::is_zero), "{slots:?}");
        assert_eq!(slots[7..], [ms(100), ms(225), ms(350)]);
    }

    #[test]
    fn a_burst_whose_first_request_arrives_late_still_finds_its_tokens_at_the_api() {
        // The API's bucket (the same limits, no margin) starts at the first request's
        // arrival, up to the margin after our admission; the others arrive at their slot.
        let limits = Plan::Free.limits().urls;
        let interval = limits.refill.interval();
        let capacity = interval.saturating_mul(limits.capacity);
        let bucket = Bucket::new(limits);
        let t0 = Instant::now();
        let mut api_tat = t0 + SEND_MARGIN;
        for (i, slot) in slots(&bucket, 60, 30, t0, t0).into_iter().enumerate() {
            let arrival = if i == 0 { t0 + SEND_MARGIN } else { t0 + slot };
            let after = api_tat.max(arrival) + interval * 30;
            assert!(
                after.saturating_duration_since(arrival) <= capacity,
                "request {i} arrives at {slot:?}, before the API's bucket holds its 30 URLs"
            );
            api_tat = after;
        }
    }

    #[test]
    fn only_a_reservation_on_a_full_bucket_opens_a_burst() {
        let bucket = Bucket::new(limit(1, 1, 3));
        let t0 = Instant::now();
        let opened: Vec<bool> = (0..3).map(|_| bucket.reserve(1, t0).opens_burst).collect();
        assert_eq!(opened, [true, false, false]);
        // Refilled after three seconds: full again.
        assert!(bucket.reserve(1, t0 + Duration::from_secs(3)).opens_burst);
    }

    #[test]
    fn a_late_first_answer_moves_every_later_slot_by_what_the_margin_does_not_cover() {
        let bucket = Bucket::new(limit(1, 1, 3));
        let t0 = Instant::now();
        assert_eq!(slots(&bucket, 2, 1, t0, t0), [ms(0), ms(0)]);
        bucket.anchor(ms(450));
        assert_eq!(slots(&bucket, 2, 1, t0, t0), [ms(450), ms(1_450)]);
    }

    #[test]
    fn a_first_answer_within_the_margin_moves_nothing() {
        let bucket = Bucket::new(limit(1, 1, 3));
        let t0 = Instant::now();
        assert_eq!(slots(&bucket, 2, 1, t0, t0), [ms(0), ms(0)]);
        bucket.anchor(SEND_MARGIN);
        assert_eq!(slots(&bucket, 2, 1, t0, t0), [ms(100), ms(1_100)]);
    }

    #[test]
    fn a_first_answer_slower_than_a_connection_set_up_moves_the_burst_by_at_most_a_second() {
        let bucket = Bucket::new(limit(1, 1, 3));
        let t0 = Instant::now();
        assert_eq!(slots(&bucket, 2, 1, t0, t0), [ms(0), ms(0)]);
        // A minute of the client's own retries is not a minute-late arrival.
        bucket.anchor(Duration::from_secs(60));
        assert_eq!(slots(&bucket, 1, 1, t0, t0), [ms(1_000)]);
    }

    /// Replays a run of 60 purges of 30 URLs, 4 in flight, against the API's bucket (the
    /// same limits, no margin, counting at arrival): requests take `latency` each way, but
    /// the first 4 open connections, which adds `handshake` to their arrival. With `anchor`,
    /// the burst's first answer is shown to the bucket, as `Admission::answered` does.
    /// Returns the requests the API would have refused.
    fn replay(handshake: Duration, latency: Duration, anchor: bool) -> Vec<usize> {
        let limits = Plan::Free.limits().urls;
        let interval = limits.refill.interval();
        let capacity = interval.saturating_mul(limits.capacity);
        let bucket = Bucket::new(limits);
        let t0 = Instant::now();
        let mut lanes = [t0; 4];
        let mut opener: Option<(Instant, Instant)> = None;
        let mut arrivals = Vec::new();
        for i in 0..60 {
            let lane = (0..4).min_by_key(|&l| lanes[l]).unwrap_or(0);
            let ready = lanes[lane];
            if let Some((went, answered)) = opener.filter(|&(_, answered)| anchor && answered <= ready) {
                bucket.anchor(answered - went);
                opener = None;
            }
            let reserved = bucket.reserve(30, ready);
            let went = reserved.at.max(ready);
            let arrival = went + latency + if i < 4 { handshake } else { Duration::ZERO };
            let answered = arrival + latency;
            if reserved.opens_burst && i == 0 {
                opener = Some((went, answered));
            }
            lanes[lane] = answered;
            arrivals.push((arrival, i));
        }
        arrivals.sort();
        let mut api_tat = t0;
        let mut refused = Vec::new();
        for (arrival, i) in arrivals {
            let after = api_tat.max(arrival) + interval * 30;
            if after.saturating_duration_since(arrival) > capacity {
                refused.push(i);
            } else {
                api_tat = after;
            }
        }
        refused
    }

    #[test]
    fn the_margin_alone_covers_a_fast_start_but_not_one_over_slow_new_connections() {
        assert_eq!(replay(ms(50), ms(5), false), Vec::<usize>::new());
        assert_ne!(replay(ms(200), ms(5), false), Vec::<usize>::new());
    }

    #[test]
    fn a_burst_opened_over_slow_new_connections_is_held_back_by_its_first_answer() {
        for handshake in [ms(0), ms(50), ms(200), ms(400), ms(900)] {
            assert_eq!(
                replay(handshake, ms(5), true),
                Vec::<usize>::new(),
                "handshake {handshake:?}"
            );
        }
    }

    /// A clock that only moves when told to, or by its sleeps.
    #[derive(Debug)]
    struct StepClock(Mutex<std::time::SystemTime>);

    impl StepClock {
        fn advance(&self, by: Duration) {
            let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            *now += by;
        }
    }

    impl Clock for StepClock {
        fn now(&self) -> std::time::SystemTime {
            *self.0.lock().unwrap_or_else(PoisonError::into_inner)
        }

        fn sleep(&self, duration: Duration) -> cf_cache_client::clock::Sleep {
            self.advance(duration);
            Box::pin(std::future::ready(()))
        }
    }

    /// The pacing wait, in all, of 30 purges of 30 URLs on the Free plan 450 ms into a run
    /// that sent 4 at once, the first of which was answered `first_taken` after it went.
    fn waits_after_a_first_answer(first_taken: Duration) -> Duration {
        let clock = Arc::new(StepClock(Mutex::new(
            std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_392_000),
        )));
        let pacer = Pacer::new(clock.clone()).with_plan(&Plan::Free.limits());
        let acquire = || async {
            pacer
                .acquire(Cost::Urls(30))
                .await
                .unwrap_or_else(|_| panic!("no fleet is set"))
        };
        futures::executor::block_on(async {
            let mut first = Vec::new();
            for _ in 0..4 {
                first.push(acquire().await);
            }
            clock.advance(first_taken);
            for admission in first {
                admission.answered().await;
            }
            clock.advance(ms(450).saturating_sub(first_taken));
            let mut waited = Duration::ZERO;
            for _ in 0..30 {
                let admission = acquire().await;
                waited += admission.waited;
                admission.answered().await;
            }
            waited
        })
    }

    #[test]
    fn the_pacer_shows_the_bucket_its_first_answer() {
        // The same requests at the same times; answered 450 ms after it went, the first
        // request moves the bucket by the 350 ms the margin does not cover, of which 50 ms
        // are still ahead (the 4 requests' 150 ms of tokens, 450 ms into the run).
        let prompt = waits_after_a_first_answer(Duration::ZERO);
        let late = waits_after_a_first_answer(ms(450));
        assert_eq!(late.saturating_sub(prompt), ms(50), "{prompt:?} then {late:?}");
    }

    #[test]
    fn hold_off_empties_the_bucket_until_the_wait_is_over() {
        let bucket = Bucket::new(limit(1, 1, 10));
        let t0 = Instant::now();
        bucket.hold_off(t0 + Duration::from_secs(7));
        assert_eq!(secs(bucket.reserve(1, t0).at, t0), 7.0);
        assert_eq!(secs(bucket.reserve(1, t0).at, t0), 8.0);
        // A hold-off shorter than the queue already waiting changes nothing.
        bucket.hold_off(t0 + Duration::from_secs(1));
        assert_eq!(secs(bucket.reserve(1, t0).at, t0), 9.0);
    }
}
