//! Time as the client sees it. Two kinds, kept apart on purpose:
//!
//! - **monotonic** time ([`Clock::monotonic`], an [`Instant`]) for everything measured or
//!   waited: retry waits, deadlines, pacing. A wall clock stepped by NTP or by hand can then
//!   neither stall a run (a step back) nor let it burst (a step forward).
//! - **wall** time ([`Clock::now`], a [`SystemTime`]) only where the protocol speaks it: an
//!   HTTP-date `retry-after`, timestamps shown in progress reports.
//!
//! Injectable, so tests (and the helpers in `cf-cache-ext`) can simulate hours of waiting in
//! microseconds.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

/// A future returned by [`Clock::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where the client reads the time and how it waits.
///
/// The default is [`SystemClock`]. A test clock typically records each requested sleep and
/// advances its own `now` by that much instead of waiting.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current wall-clock time: for HTTP dates and for showing when something happened,
    /// never for measuring a wait.
    fn now(&self) -> SystemTime;

    /// Resolves once `duration` has passed on this clock.
    fn sleep(&self, duration: Duration) -> Sleep;

    /// The current monotonic time, which never goes back: what waits, deadlines and pacing
    /// are measured on.
    ///
    /// The default derives it from [`now`](Self::now), which suits a simulated clock (its
    /// `now` only moves forward, by its sleeps). A clock of real time must override it with
    /// `Instant::now()`, as [`SystemClock`] does, or wall-clock steps would reach the waits.
    fn monotonic(&self) -> Instant {
        simulated_instant(self.now())
    }
}

/// `wall` mapped onto the `Instant` line: an anchor pair taken once, then offsets from it.
/// A wall time before the anchor maps to the anchor itself (time does not run backwards).
fn simulated_instant(wall: SystemTime) -> Instant {
    static ANCHOR: OnceLock<(Instant, SystemTime)> = OnceLock::new();
    let &(instant, anchor_wall) = ANCHOR.get_or_init(|| (Instant::now(), SystemTime::UNIX_EPOCH));
    let offset = wall.duration_since(anchor_wall).unwrap_or_default();
    instant.checked_add(offset).unwrap_or(instant)
}

/// The real clock: `SystemTime::now()`, `Instant::now()` and `tokio::time::sleep` (itself
/// monotonic).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }

    fn monotonic(&self) -> Instant {
        Instant::now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_instants_move_with_the_wall_time_they_come_from() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_392_000);
        let later = t0 + Duration::from_secs(3_600);
        assert_eq!(
            simulated_instant(later) - simulated_instant(t0),
            Duration::from_secs(3_600)
        );
    }
}
