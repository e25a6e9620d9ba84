//! What an answer says about the server's own count of the budget, as the pacer needs it:
//! the tightest remaining count, the quotas, and on a 429 how long to hold off. The headers
//! themselves are parsed once, by the client ([`RateLimit`]); this only condenses them.
//! Anything that did not parse is absent: these headers only ever tighten the pacing, so a
//! header the client cannot read leaves it as it was.

use std::time::{Duration, SystemTime};

use cf_cache_client::RateLimit;

/// What one answer said. Times are relative to when it was read (`now` in [`ServerView::read`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ServerView {
    /// The tightest of the policies' remaining counts, with the time until its window resets
    /// (`None`: the header did not say; the caller assumes a whole window).
    pub remaining: Option<(u32, Option<Duration>)>,
    /// Quotas per window length, as `Ratelimit-Policy` (or `X-RateLimit-Limit`, window
    /// unknown) states them.
    pub quotas: Vec<(u32, Option<Duration>)>,
    /// How long the server asked to hold off (on a 429 only).
    pub hold: Option<Duration>,
}

impl ServerView {
    /// Reads an answer of `status` whose rate-limit headers say `limit` and which asks for a
    /// wait of `retry_after`, at wall time `now` (for `X-RateLimit-Reset`'s HTTP date).
    pub(crate) fn read(
        status: u16,
        limit: &RateLimit,
        retry_after: Option<Duration>,
        now: SystemTime,
    ) -> Self {
        let remaining = limit.tightest().map(|r| (r.remaining, r.reset));
        let quotas = limit.quotas.iter().map(|q| (q.quota, q.window)).collect();
        let hold = (status == 429).then(|| {
            let reset = limit
                .reset_at
                .map(|at| at.duration_since(now).unwrap_or(Duration::ZERO));
            retry_after.max(reset)
        });
        Self {
            remaining,
            quotas,
            hold: hold.flatten(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cf_cache_client::{Quota, Remaining};

    fn at() -> SystemTime {
        // Sun, 06 Nov 1994 08:49:37 GMT
        SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn remaining(remaining: u32, reset: Option<Duration>) -> Remaining {
        Remaining {
            policy: None,
            remaining,
            reset,
        }
    }

    #[test]
    fn the_tightest_remaining_count_and_every_quota_are_kept() {
        let limit = RateLimit {
            remaining: vec![
                remaining(90, Some(secs(10))),
                remaining(7, Some(secs(200))),
                remaining(7, None),
            ],
            quotas: vec![Quota {
                policy: Some("default".into()),
                quota: 1200,
                window: Some(secs(300)),
            }],
            reset_at: None,
        };
        let view = ServerView::read(200, &limit, None, at());
        assert_eq!(view.remaining, Some((7, Some(secs(200)))), "the first of equals");
        assert_eq!(view.quotas, [(1200, Some(secs(300)))]);
        assert_eq!(view.hold, None);
    }

    #[test]
    fn a_429_holds_off_for_the_longest_wait_it_names() {
        let limit = RateLimit {
            reset_at: Some(at() + secs(60)),
            ..RateLimit::default()
        };
        let asked = Some(secs(300));
        assert_eq!(ServerView::read(429, &limit, asked, at()).hold, asked);
        assert_eq!(
            ServerView::read(429, &limit, Some(secs(5)), at()).hold,
            Some(secs(60))
        );
        // Only a refusal asks to hold off: a success's stray retry-after does not.
        assert_eq!(ServerView::read(200, &limit, asked, at()).hold, None);
    }

    #[test]
    fn an_answer_without_rate_limit_headers_says_nothing() {
        assert_eq!(
            ServerView::read(429, &RateLimit::default(), None, at()),
            ServerView::default()
        );
    }
}
