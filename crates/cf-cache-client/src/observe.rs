//! A look at every answer as it arrives, for callers that follow the server's own accounting
//! (its rate-limit headers) instead of guessing it: `cf-cache-ext`'s pacer, for one.
//!
//! An observer sees each attempt, retried ones included, before the body is decoded; the
//! `_with_meta` operations hand back the last answer's [`ResponseMeta`](crate::ResponseMeta),
//! envelope `messages` included. Both read the rate-limit headers through [`RateLimit`].

use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::ratelimit::RateLimit;

/// Sees each attempt's answer, status and headers, before the client decides whether to
/// retry; attach one with [`Client::with_response_observer`](crate::Client::with_response_observer).
/// It runs on the request's task, so it should only take note (no blocking, no I/O).
pub trait ResponseObserver: Send + Sync + fmt::Debug {
    /// Called once per attempt that got an answer (an attempt that failed in transport has
    /// none).
    fn observe(&self, response: &ObservedResponse<'_>);
}

/// One answer, as a [`ResponseObserver`] sees it.
#[derive(Debug, Clone, Copy)]
pub struct ObservedResponse<'a> {
    status: u16,
    attempt: u32,
    headers: &'a HeaderMap,
}

impl<'a> ObservedResponse<'a> {
    pub(crate) fn new(status: u16, attempt: u32, headers: &'a HeaderMap) -> Self {
        Self {
            status,
            attempt,
            headers,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Which attempt of the call this answers: 1 for the first, 2 for the first retry, ...
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The wait the answer asks for, read as the client's retries read it: `retry-after-ms`,
    /// else `retry-after` in seconds or as an HTTP date (against `now`).
    pub fn retry_after(&self, now: SystemTime) -> Option<Duration> {
        crate::runtime::decode::retry_after(self.headers, now)
    }

    /// Cloudflare's `cf-ray` id of the answer.
    pub fn ray_id(&self) -> Option<&'a str> {
        self.headers.get("cf-ray").and_then(|v| v.to_str().ok())
    }

    /// The server's count of the request budget, read as [`ResponseMeta::rate_limit`] is
    /// (parsed on each call: an observer that does not ask pays nothing).
    ///
    /// [`ResponseMeta::rate_limit`]: crate::ResponseMeta::rate_limit
    pub fn rate_limit(&self) -> RateLimit {
        RateLimit::from_headers(self.headers)
    }

    /// Every value of the header `name` (case-insensitive), in order; values that are not
    /// visible ASCII are skipped.
    pub fn header_values(&self, name: &str) -> impl Iterator<Item = &'a str> + use<'a> {
        self.headers
            .get_all(name)
            .into_iter()
            .filter_map(|value| value.to_str().ok())
    }
}
