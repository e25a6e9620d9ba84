//! The fake's time: every limit, Reserve Clear and timestamp is computed on it, so a test can
//! move it forward by hours in one call instead of waiting.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// The time source of a [`FakeCloudflare`](crate::FakeCloudflare).
///
/// Cheap to clone; clones share one time. Two kinds:
/// - [`FakeClock::manual`]: stands still until [`advance`](FakeClock::advance)d (tests);
/// - [`FakeClock::system`]: the real clock, plus whatever has been `advance`d (the binary).
///
/// With the `client-clock` feature it also implements `cf_cache_client::Clock`: hand the same
/// clock to a client and every wait the client sleeps moves the fake's time by as much.
///
/// On a manual clock time moves only by `advance` and such sleeps, so: requests sent without
/// either all arrive at one instant (more than 200 trip the per-IP limit; turn it off with
/// [`Config::ip_limit(None)`](crate::Config::ip_limit) when that is not the point), and
/// concurrent tasks that sleep each move the clock by their own sleep, so simulated time runs
/// faster than it would for them in real time.
#[derive(Clone)]
pub struct FakeClock {
    inner: Arc<Inner>,
}

struct Inner {
    /// `None`: real time; `Some(start)`: a clock that only moves when advanced.
    base: Option<SystemTime>,
    /// How far the clock has been advanced.
    offset: Mutex<Duration>,
}

impl FakeClock {
    /// A clock standing at `start` until advanced.
    pub fn manual(start: SystemTime) -> Self {
        Self::with_base(Some(start))
    }

    /// The real wall clock (advancing it adds an offset).
    pub fn system() -> Self {
        Self::with_base(None)
    }

    fn with_base(base: Option<SystemTime>) -> Self {
        Self {
            inner: Arc::new(Inner {
                base,
                offset: Mutex::new(Duration::ZERO),
            }),
        }
    }

    /// The current time on this clock.
    pub fn now(&self) -> SystemTime {
        let base = self.inner.base.unwrap_or_else(SystemTime::now);
        base + self.offset()
    }

    /// Moves this clock (and every clone) forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.inner.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset = offset.saturating_add(by);
    }

    /// Whether the clock only moves when advanced.
    pub fn is_manual(&self) -> bool {
        self.inner.base.is_some()
    }

    fn offset(&self) -> Duration {
        *self.inner.offset.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for FakeClock {
    /// A manual clock starting at 2026-11-23T00:00:00Z.
    fn default() -> Self {
        Self::manual(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_392_000))
    }
}

impl fmt::Debug for FakeClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeClock")
            .field("manual", &self.is_manual())
            .field("now", &self.now())
            .finish()
    }
}

#[cfg(feature = "client-clock")]
impl cf_cache_client::Clock for FakeClock {
    fn now(&self) -> SystemTime {
        FakeClock::now(self)
    }

    /// On a manual clock a sleep advances the clock and returns at once; on the system
    /// clock it really sleeps.
    fn sleep(&self, duration: Duration) -> cf_cache_client::clock::Sleep {
        if self.is_manual() {
            self.advance(duration);
            Box::pin(std::future::ready(()))
        } else {
            Box::pin(tokio::time::sleep(duration))
        }
    }
}

/// Nanoseconds since the Unix epoch (0 for earlier times), the unit the limiters count in.
pub(crate) fn nanos(at: SystemTime) -> u128 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_share_it() {
        let clock = FakeClock::default();
        let start = clock.now();
        let clone = clock.clone();
        clone.advance(Duration::from_secs(3_600));
        assert_eq!(clock.now(), start + Duration::from_secs(3_600));
        assert_eq!(clock.now(), clone.now());
    }

    #[test]
    fn a_system_clock_adds_what_was_advanced_to_real_time() {
        let clock = FakeClock::system();
        clock.advance(Duration::from_secs(86_400));
        let ahead = clock.now().duration_since(SystemTime::now()).unwrap_or_default();
        assert!(ahead > Duration::from_secs(86_000), "{ahead:?}");
    }
}
