//! What a call's answer said besides its result: every operation `x` has a twin
//! `x_with_meta` that returns the result together with a [`ResponseMeta`]. The plain method
//! never builds one, so it costs nothing to callers who do not ask.
//!
//! Errors carry the same facts in their own fields (`status`, `ray_id`, `rate_limit` of
//! [`ApiError`](crate::ApiError) and [`RateLimited`](crate::RateLimited)).

use reqwest::header::{HeaderMap, HeaderName};

use crate::error::ApiMessage;
use crate::ratelimit::RateLimit;

/// An operation's result with the metadata of the answer that carried it.
#[derive(Debug, Clone, PartialEq)]
pub struct WithMeta<T> {
    /// What the plain operation returns.
    pub value: T,
    /// The answer's status, `cf-ray`, rate-limit headers and envelope `messages`.
    pub meta: ResponseMeta,
}

impl<T> WithMeta<T> {
    /// The result, dropping the metadata.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The same metadata with the result changed by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> WithMeta<U> {
        WithMeta {
            value: f(self.value),
            meta: self.meta,
        }
    }
}

/// The metadata of a successful answer. It holds only what is listed here: never a request
/// header (the credentials travel there) nor the response's other headers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseMeta {
    /// The HTTP status.
    pub status: u16,
    /// Cloudflare's `cf-ray` id of the answer, for support requests.
    pub ray_id: Option<String>,
    /// The server's count of the request budget (`Ratelimit`, `Ratelimit-Policy`,
    /// `X-RateLimit-*`).
    pub rate_limit: RateLimit,
    /// The envelope's `messages` (notices that came with the result); empty for an operation
    /// whose answer is not an envelope.
    pub messages: Vec<ApiMessage>,
    /// How many attempts the call took: 1, or more when the client retried.
    pub attempts: u32,
}

const CF_RAY: HeaderName = HeaderName::from_static("cf-ray");

impl ResponseMeta {
    pub(crate) fn new(status: u16, headers: &HeaderMap, attempts: u32, messages: Vec<ApiMessage>) -> Self {
        Self {
            status,
            ray_id: ray_id(headers),
            rate_limit: RateLimit::from_headers(headers),
            messages,
            attempts,
        }
    }
}

/// The `cf-ray` header, when it is text.
pub(crate) fn ray_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CF_RAY)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
