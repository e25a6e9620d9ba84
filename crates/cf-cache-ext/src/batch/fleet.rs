//! One budget for a fleet: the request window and the plan's buckets kept in Redis, so every
//! process purging for an account (on any machine) draws on the same limits.
//!
//! The limiter is `fleet.lua`: the sliding window of [`window`](super::window) and the GCRA
//! of [`pacing`](super::pacing) in one script, which Redis runs atomically, on Redis's own
//! clock (`TIME`), so the processes' clocks never have to agree. Unlike the local window it
//! *reserves*: a request that must wait is given the slot that frees next and told when to
//! go, so waiters queue in order and nobody polls (except in the one case nothing is known:
//! when every counted slot is in flight). A slot is in flight, and counted, from its
//! reservation until its answer dates it; a process that dies leaves its slots counted until
//! their lease ends ([`LEASE`]) and a window more.
//!
//! Keys, per account and bucket: `cf-cache:pacer:{ACCOUNT}:requests` (the window, a sorted
//! set), `...:requests:hold`, `...:requests:left`, `...:urls` and `...:bulk`. The braces put
//! an account's keys in one cluster slot, as a script touching several keys needs.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;
use std::time::{Duration, Instant};

use cf_cache_client::{Clock, Printable};
use redis::aio::ConnectionManager;

use super::pacing::{self, BurstStart, Cost, PacerUnavailable};
use super::plan::{BucketLimit, WindowLimit};
use super::server_view::ServerView;
use super::window::SAFETY_MARGIN;

/// How long a slot counts as in flight without an answer: longer than any request with the
/// client's retries and timeouts (60 s per attempt, waits of up to 60 s between them), short
/// enough that a crashed process's slots come back within a quarter of an hour.
pub(crate) const LEASE: Duration = Duration::from_secs(600);

/// The longest one call to Redis may take before it counts as unreachable.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// How long an unreachable Redis is left alone before it is tried again, so that requests do
/// not each wait out a connection timeout during an outage.
const RECHECK: Duration = Duration::from_secs(5);

const ADMIT: &str = include_str!("fleet.lua");

/// Dates a slot at its answer, on Redis's clock (`answered` of `window.rs`). An expired slot
/// is added back: it still counts for a window from its answer.
const ANSWER: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[2])), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
";

/// Moves the plan bucket's theoretical arrival time `ARGV[1]` µs later, as `Bucket::anchor`
/// does locally; a bucket whose key has expired is full, and stays so.
const ANCHOR: &str = r"
local tat = redis.call('GET', KEYS[1])
if not tat then return 0 end
local late = tonumber(ARGV[1])
local ttl = math.max(redis.call('PTTL', KEYS[1]), 1)
redis.call('SET', KEYS[1], string.format('%.0f', tonumber(tat) + late), 'PX', ttl + math.ceil(late / 1000))
return 1
";

/// Holds the account's requests for `ARGV[1]` ms, unless a longer hold is on already.
const HOLD: &str = r"
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
";

/// What a [`Fleet`] does when Redis cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FleetUnavailable {
    /// Pace on this process's own pacer (its limits as configured), with a warning; the
    /// shared budget is used again as soon as Redis answers. The default.
    #[default]
    PaceAlone,
    /// Send nothing: the items are reported as failed
    /// ([`ItemFailure::Unpaced`](super::ItemFailure::Unpaced)), ready to run again.
    Fail,
}

/// The account's limits kept in Redis, shared by every process that paces on it; give it to
/// a pacer with [`Pacer::with_fleet`](super::Pacer::with_fleet). The pacer's own limits
/// (plan and request budget) are the ones applied, so every process should set the same.
pub struct Fleet {
    redis: ConnectionManager,
    window_key: String,
    hold_key: String,
    left_key: String,
    bucket_prefix: String,
    then: FleetUnavailable,
    /// Names this process's slots in the window.
    process: String,
    next_slot: AtomicU64,
    /// What answers said since the last call to Redis, sent with the next one.
    news: Mutex<News>,
    /// Set while Redis is unreachable, so the warning is given once per outage.
    warned: AtomicBool,
    /// Until when Redis is not tried again, and why.
    down: Mutex<Option<(Instant, String)>>,
    admit: redis::Script,
    answer: redis::Script,
    anchor: redis::Script,
    hold: redis::Script,
}

impl fmt::Debug for Fleet {
    /// The connection is left out: its settings may hold the Redis password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fleet")
            .field("window_key", &self.window_key)
            .field("then", &self.then)
            .field("process", &self.process)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct News {
    unadmitted: u32,
    remaining: Option<(u32, Option<Duration>)>,
    hold_until: Option<Instant>,
    quotas: Vec<(u32, Option<Duration>)>,
}

impl Fleet {
    /// Paces on the Redis at `url` (`redis://host:port/db`, `rediss://` for TLS) for
    /// `account` (the Cloudflare account id, or any name the fleet agrees on: letters,
    /// digits, `-`, `_` and `.`, 1 to 64 of them). Connects lazily: an unreachable Redis
    /// shows at the first request, where [`when_unavailable`](Self::when_unavailable)
    /// decides. Must be called inside a tokio runtime.
    pub async fn connect(url: &str, account: &str) -> Result<Self, redis::RedisError> {
        let valid = (1..=64).contains(&account.len())
            && account
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !valid {
            return Err(redis::RedisError::from((
                redis::ErrorKind::InvalidClientConfig,
                "the fleet's account name must be 1 to 64 letters, digits, '-', '_' or '.'",
            )));
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1);
        let redis = ConnectionManager::new_lazy_with_config(redis::Client::open(url)?, config)?;
        let prefix = format!("cf-cache:pacer:{{{account}}}");
        Ok(Self {
            redis,
            window_key: format!("{prefix}:requests"),
            hold_key: format!("{prefix}:requests:hold"),
            left_key: format!("{prefix}:requests:left"),
            bucket_prefix: prefix,
            then: FleetUnavailable::default(),
            process: format!("{:016x}.{}", fastrand::u64(..), std::process::id()),
            next_slot: AtomicU64::new(0),
            news: Mutex::new(News::default()),
            warned: AtomicBool::new(false),
            down: Mutex::new(None),
            admit: redis::Script::new(ADMIT),
            answer: redis::Script::new(ANSWER),
            anchor: redis::Script::new(ANCHOR),
            hold: redis::Script::new(HOLD),
        })
    }

    /// What to do when Redis cannot be reached (default [`FleetUnavailable::PaceAlone`]).
    pub fn when_unavailable(mut self, then: FleetUnavailable) -> Self {
        self.then = then;
        self
    }

    /// Reserves a slot in the shared window (when `limit` is set) and the tokens in the plan's
    /// shared bucket, then waits until the request may go.
    pub(crate) async fn acquire(
        self: &Arc<Self>,
        limit: Option<WindowLimit>,
        cost: Cost,
        bucket: Option<(BucketLimit, u32)>,
        clock: &Arc<dyn Clock>,
    ) -> Result<(Slot, Duration), Down> {
        let down = self.down.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some((until, reason)) = down
            && clock.monotonic() < until
        {
            return Err(Down(reason));
        }
        let mut waited = Duration::ZERO;
        loop {
            let member = format!(
                "{}:{}",
                self.process,
                self.next_slot.fetch_add(1, Ordering::Relaxed)
            );
            let news = self.take_news(&**clock);
            let length = limit.map_or(Duration::ZERO, |l| l.window());
            // As locally: a count without a reset lasts a whole window, and only a quota for
            // the budget's own window length applies to it.
            let reset = news
                .remaining
                .map_or(Duration::ZERO, |(_, reset)| reset.unwrap_or(length));
            let quota = news
                .quotas
                .iter()
                .filter(|(_, per)| per.is_none_or(|w| w == length))
                .map(|&(q, _)| q)
                .min();
            let mut call = self.admit.key(&self.window_key);
            call.key(&self.hold_key).key(&self.left_key);
            let bucket_name = match cost {
                Cost::Request => None,
                Cost::Bulk => Some("bulk"),
                Cost::Urls(_) => Some("urls"),
            };
            let bucket_key = match (bucket_name, bucket) {
                (Some(name), Some(_)) => Some(format!("{}:{name}", self.bucket_prefix)),
                _ => None,
            };
            if let Some(key) = &bucket_key {
                call.key(key);
            }
            let (interval, tolerance, tokens) = bucket.map_or((0, 0, 0), |(b, tokens)| {
                (
                    micros_up(b.refill.interval()),
                    micros(pacing::tolerance(&b)),
                    tokens,
                )
            });
            call.arg(limit.map_or(0, |l| l.requests()))
                .arg(micros(length))
                .arg(micros(LEASE))
                .arg(&member)
                .arg(micros(SAFETY_MARGIN))
                .arg(news.unadmitted)
                .arg(news.remaining.map_or(-1, |(r, _)| i64::from(r)))
                .arg(micros(reset))
                .arg(news.hold_until.map_or(0, |until| {
                    micros(until.saturating_duration_since(clock.monotonic()))
                }))
                .arg(quota.unwrap_or(0))
                .arg(interval)
                .arg(tolerance)
                .arg(tokens);
            let mut redis = self.redis.clone();
            let (reserved, wait_us, opens): (i64, i64, i64) = match call.invoke_async(&mut redis).await {
                Ok(answer) => answer,
                Err(error) => {
                    let reason = error.to_string();
                    let until = clock.monotonic().checked_add(RECHECK);
                    *self.down.lock().unwrap_or_else(PoisonError::into_inner) =
                        until.map(|until| (until, reason.clone()));
                    return Err(Down(reason));
                }
            };
            self.warned.store(false, Ordering::Relaxed);
            let wait = Duration::from_micros(u64::try_from(wait_us).unwrap_or(0));
            if !wait.is_zero() {
                clock.sleep(wait).await;
                waited += wait;
            }
            if reserved == 1 {
                let slot = Slot {
                    fleet: Arc::clone(self),
                    member: limit.map(|_| member),
                    keep: LEASE + length + SAFETY_MARGIN,
                    opened: bucket_key.filter(|_| opens == 1).map(|key| Opened {
                        key,
                        start: BurstStart::now(clock),
                    }),
                };
                return Ok((slot, waited));
            }
            // Every counted slot is in flight: let their answers come in before asking again
            // (on a clock that does not really sleep, they could not otherwise).
            yield_now().await;
        }
    }

    /// Redis could not be reached: pace alone with a warning (once per outage), or fail.
    pub(crate) fn unavailable(&self, Down(reason): Down) -> Result<(), PacerUnavailable> {
        match self.then {
            FleetUnavailable::Fail => Err(PacerUnavailable {
                source: reason.into(),
            }),
            FleetUnavailable::PaceAlone => {
                if !self.warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        error = %Printable(&reason),
                        "the fleet's Redis is unreachable; pacing on this process's own limits until it answers"
                    );
                }
                Ok(())
            }
        }
    }

    /// No request of the fleet goes before `wait` from now. Told to Redis at once, so the
    /// other processes hold off while this one waits; if Redis cannot be reached, they meet
    /// the limit themselves.
    pub(crate) async fn hold_off(&self, wait: Duration) {
        let millis = wait.as_nanos().div_ceil(1_000_000);
        if millis == 0 {
            return;
        }
        let mut hold = self.hold.key(&self.hold_key);
        hold.arg(u64::try_from(millis).unwrap_or(u64::MAX));
        self.best_effort(&hold, "could not tell the fleet's Redis to hold off")
            .await;
    }

    /// Keeps what an answer said, for the next call to Redis.
    pub(crate) fn note(&self, clock: &dyn Clock, view: &ServerView, unadmitted: bool) {
        let mut news = self.lock_news();
        if let Some(until) = view.hold.and_then(|hold| clock.monotonic().checked_add(hold)) {
            news.hold_until = Some(news.hold_until.map_or(until, |h| h.max(until)));
        }
        if unadmitted {
            news.unadmitted = news.unadmitted.saturating_add(1);
        }
        if view.remaining.is_some() {
            news.remaining = view.remaining;
        }
        if !view.quotas.is_empty() {
            news.quotas.clone_from(&view.quotas);
        }
    }

    fn take_news(&self, clock: &dyn Clock) -> News {
        let news = std::mem::take(&mut *self.lock_news());
        // A hold that has not ended yet stays for the next call too (this one may fail).
        if let Some(until) = news.hold_until
            && until > clock.monotonic()
        {
            self.lock_news().hold_until = Some(until);
        }
        news
    }

    /// Runs a script whose failure has a fallback (a lease, the margin, the other processes
    /// meeting the limit themselves): a failure is only logged, as `failed`.
    async fn best_effort(&self, call: &redis::ScriptInvocation<'_>, failed: &str) {
        let mut redis = self.redis.clone();
        let done: Result<i64, _> = call.invoke_async(&mut redis).await;
        if let Err(error) = done {
            tracing::debug!(error = %Printable(&error.to_string()), "{failed}");
        }
    }

    fn lock_news(&self) -> std::sync::MutexGuard<'_, News> {
        self.news.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Redis could not be reached (the error's text: the error itself is not `Clone`, and one
/// outage answers several requests).
#[derive(Debug)]
pub(crate) struct Down(String);

/// A request's slot in the fleet's window.
#[derive(Debug)]
pub(crate) struct Slot {
    fleet: Arc<Fleet>,
    /// `None` when the pacer has no request budget (nothing to date).
    member: Option<String>,
    /// How long the window's key must outlive this slot's date.
    keep: Duration,
    /// The request went first on the full shared bucket.
    opened: Option<Opened>,
}

/// As `Opened` in `pacing.rs`, for the bucket in Redis.
#[derive(Debug)]
struct Opened {
    key: String,
    start: BurstStart,
}

impl Slot {
    /// Dates the slot at its answer, and anchors the shared bucket on it when the request
    /// opened a burst. If Redis cannot be reached, the lease dates the slot, and the margin
    /// alone covers the burst.
    pub(crate) async fn answered(self) {
        let fleet = &self.fleet;
        if let Some(opened) = self.opened {
            let late = pacing::anchor_shift(opened.start.taken());
            if !late.is_zero() {
                let mut anchor = fleet.anchor.key(&opened.key);
                anchor.arg(micros(late));
                fleet
                    .best_effort(
                        &anchor,
                        "could not anchor the fleet's bucket on a burst's first answer",
                    )
                    .await;
            }
        }
        let Some(member) = self.member else { return };
        let mut date = fleet.answer.key(&fleet.window_key);
        date.arg(&member)
            .arg(micros(SAFETY_MARGIN))
            .arg(u64::try_from(self.keep.as_millis()).unwrap_or(u64::MAX));
        fleet
            .best_effort(
                &date,
                "could not date a slot in the fleet's window; its lease will",
            )
            .await;
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Rounded up, so the shared bucket never refills faster than the local one.
fn micros_up(d: Duration) -> u64 {
    u64::try_from(d.as_nanos().div_ceil(1_000)).unwrap_or(u64::MAX)
}

/// Returns `Pending` once, so other futures of the same task run before this one goes on.
async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}
