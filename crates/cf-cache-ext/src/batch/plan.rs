//! What each Cloudflare plan allows a purge: items per request and the rate-limit buckets.
//!
//! Figures come from Cloudflare's published limits (see the crate README): the API-wide
//! budget per sliding window ([`WindowLimit`]), and per plan the purge buckets and items per
//! request. One figure is not published and is our choice, marked where it is set: the size
//! of the single-file (URL) bucket.

use std::time::Duration;

/// A refill rate: `count` tokens every `per`. Never zero (see [`Rate::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    count: u32,
    per: Duration,
}

impl Rate {
    /// The longest period a rate may be expressed over. Longer ones would let a wait outgrow
    /// what `SystemTime` can represent; no Cloudflare limit comes near it.
    pub const MAX_PERIOD: Duration = Duration::from_secs(24 * 60 * 60);

    /// `count` tokens every `per`; `None` when `count` is zero or `per` is zero or longer
    /// than [`Rate::MAX_PERIOD`].
    pub fn new(count: u32, per: Duration) -> Option<Self> {
        (count > 0 && !per.is_zero() && per <= Self::MAX_PERIOD).then_some(Self { count, per })
    }

    /// `count` tokens per second; `None` when `count` is zero.
    pub fn per_second(count: u32) -> Option<Self> {
        Self::new(count, Duration::from_secs(1))
    }

    /// `count` tokens per minute; `None` when `count` is zero.
    pub fn per_minute(count: u32) -> Option<Self> {
        Self::new(count, Duration::from_secs(60))
    }

    /// Only for the literal presets below, whose counts and periods are non-zero by sight.
    const fn preset(count: u32, per_secs: u64) -> Self {
        Self {
            count,
            per: Duration::from_secs(per_secs),
        }
    }

    /// Tokens per period.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The period.
    pub fn per(&self) -> Duration {
        self.per
    }

    /// Time for one token to refill, rounded up to the nanosecond so that pacing on it never
    /// runs faster than the limit (1,500/s would otherwise round to a hair too fast).
    pub fn interval(&self) -> Duration {
        let nanos = self.per.as_nanos().div_ceil(u128::from(self.count));
        // `per` is at most a day, so this always fits; saturate rather than trust that.
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// A token bucket: refills at `refill`, holds at most `capacity` tokens (the burst).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketLimit {
    /// How fast tokens come back.
    pub refill: Rate,
    /// How many tokens a full bucket holds: what may be spent at once after a quiet spell.
    pub capacity: u32,
}

/// A budget of `requests` in any window of `window`: how Cloudflare states its API-wide
/// limit. Never zero (see [`WindowLimit::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowLimit {
    requests: u32,
    window: Duration,
}

impl WindowLimit {
    /// `requests` in any `window`; `None` when either is zero or `window` is longer than
    /// [`Rate::MAX_PERIOD`].
    pub fn new(requests: u32, window: Duration) -> Option<Self> {
        (requests > 0 && !window.is_zero() && window <= Rate::MAX_PERIOD).then_some(Self { requests, window })
    }

    /// `percent` of this budget (rounded down), for a run that must leave the rest to other
    /// tools using the same token; `None` when that is no request at all or `percent` is over
    /// 100.
    pub fn share(self, percent: u8) -> Option<Self> {
        if percent > 100 {
            return None;
        }
        let requests = u64::from(self.requests) * u64::from(percent) / 100;
        Self::new(u32::try_from(requests).ok()?, self.window)
    }

    /// Requests allowed in one window.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The window's length.
    pub fn window(&self) -> Duration {
        self.window
    }
}

/// Cloudflare's API-wide limit: 1,200 requests in any 5 minutes per user or token (going
/// over costs a 5-minute block). The pacer keeps it as an exact sliding window, so a burst
/// of whatever the window has left may go at once.
pub const API_REQUEST_LIMIT: WindowLimit = WindowLimit {
    requests: 1200,
    window: Duration::from_secs(300),
};

/// A Cloudflare plan, which sets the purge rate limits and per-request caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Free plan.
    Free,
    /// Pro plan.
    Pro,
    /// Business plan.
    Business,
    /// Enterprise plan.
    Enterprise,
    /// Limits of your own (a negotiated contract, or a stricter budget than the plan's).
    Custom(PlanLimits),
}

/// The purge limits of one plan. Purge and invalidate share them, per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// The bucket for purges by tag, host, prefix or everything: one token per request.
    pub bulk: BucketLimit,
    /// The bucket for purges by URL: one token per URL.
    pub urls: BucketLimit,
    /// Tags, hosts or prefixes per request.
    pub items_per_request: usize,
    /// URLs per request unless configured otherwise.
    pub urls_per_request: usize,
    /// The most URLs per request the plan documents; the ceiling for configuring more.
    pub max_urls_per_request: usize,
}

impl Plan {
    /// The plan's limits.
    pub fn limits(&self) -> PlanLimits {
        // Cloudflare publishes only a URL refill rate. The bucket size is our choice: one
        // second of refill, so a full bucket never lets more than a second's worth go at once.
        let urls = |per_second: u32| BucketLimit {
            refill: Rate::preset(per_second, 1),
            capacity: per_second,
        };
        let bulk = |count: u32, per_secs: u64, capacity: u32| BucketLimit {
            refill: Rate::preset(count, per_secs),
            capacity,
        };
        // Below Enterprise, 100 URLs per request is documented but 30 is what reports show
        // being enforced, so 30 is the default and 100 the configurable ceiling.
        let below_enterprise = |bulk_limit: BucketLimit, url_rate: u32| PlanLimits {
            bulk: bulk_limit,
            urls: urls(url_rate),
            items_per_request: 100,
            urls_per_request: 30,
            max_urls_per_request: 100,
        };
        match self {
            Plan::Free => below_enterprise(bulk(5, 60, 25), 800),
            Plan::Pro => below_enterprise(bulk(5, 1, 25), 1_500),
            Plan::Business => below_enterprise(bulk(10, 1, 50), 1_500),
            Plan::Enterprise => PlanLimits {
                bulk: bulk(50, 1, 500),
                urls: urls(3_000),
                items_per_request: 100,
                urls_per_request: 500,
                max_urls_per_request: 500,
            },
            Plan::Custom(limits) => *limits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_round_up_so_pacing_never_outruns_the_limit() {
        assert_eq!(
            Plan::Free.limits().bulk.refill.interval(),
            Duration::from_secs(12)
        );
        assert_eq!(
            Plan::Free.limits().urls.refill.interval(),
            Duration::from_micros(1_250)
        );
        // 1 s / 1,500 = 666,666.67 ns: rounding down would allow 1,500.0015 URLs per second.
        assert_eq!(
            Plan::Pro.limits().urls.refill.interval(),
            Duration::from_nanos(666_667)
        );
    }

    #[test]
    fn a_share_of_the_request_budget_rounds_down_and_is_never_empty() {
        let half = API_REQUEST_LIMIT.share(50).map(|l| (l.requests(), l.window()));
        assert_eq!(half, Some((600, Duration::from_secs(300))));
        assert_eq!(API_REQUEST_LIMIT.share(100), Some(API_REQUEST_LIMIT));
        assert_eq!(API_REQUEST_LIMIT.share(0), None);
        assert_eq!(API_REQUEST_LIMIT.share(101), None);
        let tiny = WindowLimit::new(3, Duration::from_secs(1)).and_then(|l| l.share(34));
        assert_eq!(tiny.map(|l| l.requests()), Some(1));
        assert_eq!(
            WindowLimit::new(3, Duration::from_secs(1)).and_then(|l| l.share(33)),
            None
        );
    }

    #[test]
    fn zero_and_unbounded_rates_are_refused() {
        assert_eq!(Rate::per_second(0), None);
        assert_eq!(Rate::new(1, Duration::ZERO), None);
        assert_eq!(Rate::new(1, Rate::MAX_PERIOD + Duration::from_nanos(1)), None);
        assert!(Rate::per_minute(5).is_some());
    }

    #[test]
    fn presets_match_the_published_table() {
        let table = [
            (Plan::Free, 25, 12_000, 30, 100),
            (Plan::Pro, 25, 200, 30, 100),
            (Plan::Business, 50, 100, 30, 100),
            (Plan::Enterprise, 500, 20, 500, 500),
        ];
        for (plan, burst, bulk_interval_ms, urls, max_urls) in table {
            let limits = plan.limits();
            assert_eq!(limits.bulk.capacity, burst, "{plan:?}");
            assert_eq!(
                limits.bulk.refill.interval(),
                Duration::from_millis(bulk_interval_ms),
                "{plan:?}"
            );
            assert_eq!(limits.items_per_request, 100, "{plan:?}");
            assert_eq!(limits.urls_per_request, urls, "{plan:?}");
            assert_eq!(limits.max_urls_per_request, max_urls, "{plan:?}");
        }
    }
}
