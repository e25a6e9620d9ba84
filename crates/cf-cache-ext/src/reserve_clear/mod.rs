//! Start a Cache Reserve Clear, or follow one already running, and wait until it completes.
//!
//! ```no_run
//! # async fn run(client: cf_cache_client::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use cf_cache_ext::reserve_clear::{ProgressEvent, ReserveClearWaiter};
//!
//! let zone = "023e105f4ecef8ad9ca31a8372d0c353";
//! let done = ReserveClearWaiter::builder(&client, zone)
//!     .turn_off_cache_reserve(true)
//!     .on_progress(|p| {
//!         if let ProgressEvent::Observed { status, .. } = p.event {
//!             println!("{:?} in: {}", p.elapsed, status.state);
//!         }
//!     })
//!     .build()?
//!     .start_and_wait()
//!     .await?;
//! println!("cleared from {} to {:?}", done.start_ts, done.end_ts);
//! # Ok(())
//! # }
//! ```
//!
//! # What it does
//!
//! [`ReserveClearWaiter::start_and_wait`] first reads the status. A clear already running is
//! followed rather than started again. Otherwise (never cleared, error 1142, or the last clear
//! completed) it turns Cache Reserve off if asked to, starts the clear and follows it. If the
//! start fails for any reason but 1152, the status is read again: a clear that turns out to be
//! running (someone else's, or ours whose response was lost) is followed too.
//! [`ReserveClearWaiter::wait`] only follows; with no clear ever run it ends with
//! [`ReserveClearError::NeverCleared`].
//!
//! # Timing
//!
//! A clear usually takes hours, so polls start 1 minute apart and grow (doubling, with jitter)
//! to 10 minutes; the deadline is 26 hours, past Cloudflare's "usually within 24 hours". A
//! deadline that passes ends the wait with [`ReserveClearError::DeadlineExceeded`] and the
//! last status (the last poll falls on the deadline itself); the clear goes on regardless.
//! All waiting is on the client's [`Clock`] (or the one given to
//! [`ReserveClearWaiterBuilder::clock`]), so a test clock simulates a day in microseconds. The
//! deadline is measured on the clock's monotonic time, so a wall clock stepped back cannot
//! keep the waiter polling past it, nor one stepped forward end it early. Every wait is at
//! least the minimum delay, so whatever the server answers, a wait makes at most one poll per
//! minimum delay of the deadline (and one more on the deadline itself). A zero minimum
//! delay, a minimum above the maximum or a zero deadline is refused by
//! [`ReserveClearWaiterBuilder::build`] with a [`ConfigError`].
//!
//! # Failed polls
//!
//! Each poll is a client call, retried as the client's [`RetryPolicy`] says. A poll that
//! still fails with something that may pass (rate limiting, a transport failure, a 5xx, 408
//! or 409) is reported as [`ProgressEvent::PollFailed`] and the wait goes on at the next
//! delay: losing hours of waiting to a brief outage would be worse than polling again. After
//! [`ReserveClearWaiterBuilder::max_poll_errors`] such failures in a row (5 by default), or at once
//! for any other failure (401, 403, an undecodable body), the wait ends with
//! [`ReserveClearError::Status`] carrying the last status seen. The read before any waiting
//! gets no such tolerance: when it fails nothing has been started or followed yet, so the
//! error is returned at once.

mod endpoint;
mod error;
mod progress;
mod run;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use cf_cache_client::types::ReserveClearStatus;
use cf_cache_client::{Backoff, Client, Clock, ConfigError, RetryPolicy};

pub use endpoint::ClearEndpoint;
pub use error::ReserveClearError;
pub use progress::{Progress, ProgressEvent};

use crate::settings;
use run::Run;

/// The first wait between polls by default.
pub const DEFAULT_MIN_POLL_DELAY: Duration = Duration::from_secs(60);
/// The longest wait between polls by default.
pub const DEFAULT_MAX_POLL_DELAY: Duration = Duration::from_secs(10 * 60);
/// How long to wait for completion by default: 26 hours.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(26 * 60 * 60);
/// Transient poll failures tolerated in a row by default.
pub const DEFAULT_MAX_POLL_ERRORS: u32 = 5;

type ProgressCallback = Box<dyn for<'a> FnMut(&Progress<'a>) + Send>;

/// Starts or follows a Cache Reserve Clear until it completes; see the [module docs](self).
/// Made by [`ReserveClearWaiter::builder`], its settings already checked.
#[must_use = "the waiter does nothing until .start_and_wait() or .wait() is awaited"]
pub struct ReserveClearWaiter {
    settings: run::Settings,
}

impl fmt::Debug for ReserveClearWaiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.settings;
        f.debug_struct("ReserveClearWaiter")
            .field("zone_id", &s.zone_id)
            .field("endpoint", &s.endpoint)
            .field("turn_off_cache_reserve", &s.turn_off_cache_reserve)
            .field("schedule", &s.schedule)
            .field("deadline", &s.deadline)
            .field("max_poll_errors", &s.max_poll_errors)
            .field("clock", &s.clock)
            .field("on_progress", &s.on_progress.is_some())
            .finish()
    }
}

/// Configures a [`ReserveClearWaiter`]; see [`ReserveClearWaiter::builder`].
#[must_use = "the builder does nothing until .build()"]
pub struct ReserveClearWaiterBuilder {
    client: Client,
    zone_id: String,
    endpoint: ClearEndpoint,
    turn_off_cache_reserve: bool,
    min_delay: Duration,
    max_delay: Duration,
    jitter: bool,
    deadline: Duration,
    max_poll_errors: u32,
    clock: Option<Arc<dyn Clock>>,
    on_progress: Option<ProgressCallback>,
}

impl fmt::Debug for ReserveClearWaiterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReserveClearWaiterBuilder")
            .field("zone_id", &self.zone_id)
            .field("endpoint", &self.endpoint)
            .field("turn_off_cache_reserve", &self.turn_off_cache_reserve)
            .field("min_delay", &self.min_delay)
            .field("max_delay", &self.max_delay)
            .field("jitter", &self.jitter)
            .field("deadline", &self.deadline)
            .field("max_poll_errors", &self.max_poll_errors)
            .field("clock", &self.clock)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

impl ReserveClearWaiter {
    /// Starts configuring a waiter for `zone_id` using `client` (a cheap clone is kept), with
    /// the defaults.
    pub fn builder(client: &Client, zone_id: impl Into<String>) -> ReserveClearWaiterBuilder {
        ReserveClearWaiterBuilder {
            client: client.clone(),
            zone_id: zone_id.into(),
            endpoint: ClearEndpoint::default(),
            turn_off_cache_reserve: false,
            min_delay: DEFAULT_MIN_POLL_DELAY,
            max_delay: DEFAULT_MAX_POLL_DELAY,
            jitter: true,
            deadline: DEFAULT_DEADLINE,
            max_poll_errors: DEFAULT_MAX_POLL_ERRORS,
            clock: None,
            on_progress: None,
        }
    }

    /// Starts a clear (or follows one already running) and waits for it to complete. Returns
    /// the final status, with `start_ts` and `end_ts`.
    pub async fn start_and_wait(self) -> Result<ReserveClearStatus, ReserveClearError> {
        Run::new(self.settings).start_and_wait().await
    }

    /// Follows the current clear until it completes, without starting one. Returns at once if
    /// the last clear has completed.
    pub async fn wait(self) -> Result<ReserveClearStatus, ReserveClearError> {
        Run::new(self.settings).wait().await
    }
}

impl ReserveClearWaiterBuilder {
    /// Which endpoint pair to start and poll (default [`ClearEndpoint::Cache`]).
    pub fn endpoint(mut self, endpoint: ClearEndpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// Whether `start_and_wait` may turn Cache Reserve off when it is on (default no: the
    /// start then fails with [`ReserveClearError::CacheReserveOn`]). Turning it off stops
    /// Cache Reserve serving and filling for the zone; it stays off after the clear.
    pub fn turn_off_cache_reserve(mut self, turn_off: bool) -> Self {
        self.turn_off_cache_reserve = turn_off;
        self
    }

    /// The first wait between polls and the longest (defaults 1 and 10 minutes). Waits double
    /// from `min` up to `max`. `min` must be above zero and at most `max`.
    pub fn poll_delays(mut self, min: Duration, max: Duration) -> Self {
        self.min_delay = min;
        self.max_delay = max;
        self
    }

    /// Whether waits are shortened at random by up to a quarter, never below the minimum
    /// (default on).
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// How long to wait in all, from the first request (default 26 hours; must be above zero).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Transient poll failures tolerated in a row before giving up (default 5; 0 gives up on
    /// the first). See the [module docs](self#failed-polls).
    pub fn max_poll_errors(mut self, max: u32) -> Self {
        self.max_poll_errors = max;
        self
    }

    /// Retries every call as `policy` says instead of as the client does.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.client = self.client.with_retry_policy(policy);
        self
    }

    /// Waits and reads the time on `clock` instead of the client's.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Calls `callback` at each step: every status read, the start, a resumed clear, Cache
    /// Reserve turned off, a tolerated poll failure.
    pub fn on_progress(mut self, callback: impl for<'a> FnMut(&Progress<'a>) + Send + 'static) -> Self {
        self.on_progress = Some(Box::new(callback));
        self
    }

    /// Checks the settings and builds the waiter. The zone id is request data, checked by the
    /// client when the first request is made
    /// ([`ReserveClearError::InvalidRequest`]).
    pub fn build(self) -> Result<ReserveClearWaiter, ConfigError> {
        // Polling in a loop would only hit the rate limit.
        settings::above_zero("poll_delays", self.min_delay)?;
        if self.min_delay > self.max_delay {
            return Err(ConfigError::invalid_setting(
                "poll_delays",
                format_args!("{:?} up to {:?}", self.min_delay, self.max_delay),
                "a minimum at most the maximum",
            ));
        }
        settings::above_zero("deadline", self.deadline)?;
        let clock = self.clock.unwrap_or_else(|| self.client.clock());
        Ok(ReserveClearWaiter {
            settings: run::Settings {
                client: self.client,
                zone_id: self.zone_id,
                endpoint: self.endpoint,
                turn_off_cache_reserve: self.turn_off_cache_reserve,
                schedule: poll_schedule(self.min_delay, self.max_delay, self.jitter),
                deadline: self.deadline,
                max_poll_errors: self.max_poll_errors,
                clock,
                on_progress: self.on_progress,
            },
        })
    }
}

/// The waits between polls: from `min`, doubling up to `max`.
///
/// Jitter takes up to a quarter off (never going below `min`), so that many waiters started
/// together, say by a deploy script across zones, drift apart instead of polling in
/// lockstep; it never lengthens a wait past `max`.
fn poll_schedule(min: Duration, max: Duration, jitter: bool) -> Backoff {
    Backoff::new(min, max)
        .with_jitter_percent(if jitter { 25 } else { 0 })
        .with_floor(min)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn delays_double_from_min_and_stay_at_max() {
        let schedule = poll_schedule(MINUTE, 10 * MINUTE, false);
        let delays: Vec<u64> = (0..7).map(|n| schedule.sample(n).as_secs() / 60).collect();
        assert_eq!(delays, [1, 2, 4, 8, 10, 10, 10]);
    }

    #[test]
    fn jittered_delays_stay_within_min_and_max() {
        let schedule = poll_schedule(MINUTE, 10 * MINUTE, true);
        assert_eq!(schedule.jittered(0, 1.0), MINUTE, "never below the minimum");
        assert_eq!(schedule.jittered(10, 0.0), 10 * MINUTE, "never above the maximum");
        assert_eq!(
            schedule.jittered(10, 1.0),
            7 * MINUTE + MINUTE / 2,
            "a quarter off at most"
        );
    }

    #[test]
    fn equal_min_and_max_poll_at_a_fixed_rate() {
        let schedule = poll_schedule(MINUTE, MINUTE, false);
        assert!((0..5).all(|n| schedule.sample(n) == MINUTE));
    }
}
