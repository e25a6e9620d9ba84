//! When a failed attempt is tried again, and after how long.
//!
//! The policy mirrors Cloudflare's official SDKs (2 retries on 408, 409, 429, 5xx and
//! connection failures; `x-should-retry`, `retry-after-ms` and `retry-after` honoured;
//! otherwise 0.5 s doubling, capped at 8 s, with jitter), plus one rule of its own: a wait the
//! server asks for that exceeds [`RetryPolicy::max_wait`] is not slept; the call returns
//! [`Error::RateLimited`](crate::Error::RateLimited) with that wait so the caller decides.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName};

use crate::backoff::Backoff;
use crate::runtime::decode::retry_after;

/// How a client retries. Cheap to copy; set per client with
/// [`ClientBuilder::retry_policy`](crate::ClientBuilder::retry_policy) or per call with
/// [`Client::with_retry_policy`](crate::Client::with_retry_policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    backoff: Backoff,
    max_wait: Duration,
}

/// The backoff of [`RetryPolicy::default`]: 0.5 s doubling up to 8 s, up to a quarter off.
const DEFAULT_BACKOFF: Backoff =
    Backoff::new(Duration::from_millis(500), Duration::from_secs(8)).with_jitter_percent(JITTER_PERCENT);

/// What [`RetryPolicy::with_jitter`] turns on: up to a quarter off, as the official SDKs do.
const JITTER_PERCENT: u8 = 25;

impl Default for RetryPolicy {
    /// 2 retries, backoff 0.5 s doubling up to 8 s with jitter, server waits honoured up to 60 s.
    fn default() -> Self {
        Self {
            max_retries: 2,
            backoff: DEFAULT_BACKOFF,
            max_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Never retries: every failure is returned as it happened.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// How many times a failed attempt is repeated (so at most `n + 1` attempts).
    pub fn with_max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The schedule of waits when the server gives none (default 0.5 s doubling up to 8 s,
    /// up to a quarter off at random). A wait the server asks for always wins over it.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The first backoff when the server gives no wait; it doubles on each retry.
    pub fn with_initial_backoff(mut self, delay: Duration) -> Self {
        self.backoff = self.backoff.with_initial(delay);
        self
    }

    /// The longest backoff computed by doubling.
    pub fn with_max_backoff(mut self, delay: Duration) -> Self {
        self.backoff = self.backoff.with_max(delay);
        self
    }

    /// The longest wait requested by the server (`retry-after`, `retry-after-ms`) that is slept
    /// before retrying. A longer request ends the call with the rate-limit error instead.
    pub fn with_max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// Whether computed backoffs are randomised (by up to -25%) so that many clients failing
    /// together do not retry together. Server-requested waits are never randomised.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.backoff = self
            .backoff
            .with_jitter_percent(if jitter { JITTER_PERCENT } else { 0 });
        self
    }

    /// See [`RetryPolicy::with_max_retries`].
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// See [`RetryPolicy::with_max_wait`].
    pub fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// See [`RetryPolicy::with_backoff`].
    pub fn backoff_schedule(&self) -> Backoff {
        self.backoff
    }

    /// The computed backoff before retry number `retry` (0 for the first), without jitter.
    pub fn backoff(&self, retry: u32) -> Duration {
        self.backoff.delay(retry)
    }

    /// Decides what follows an attempt that ended with `outcome`, after `retries_done`
    /// retries.
    pub(crate) fn decide(&self, outcome: Outcome<'_>, retries_done: u32, now: SystemTime) -> Verdict {
        let (reason, server_wait) = match outcome {
            Outcome::Transport(e) if e.is_builder() => return Verdict::Done,
            Outcome::TimedOut => ("timeout", None),
            Outcome::Transport(e) if e.is_timeout() => ("timeout", None),
            Outcome::Transport(e) if e.is_connect() => ("connect error", None),
            Outcome::Transport(_) => ("transport error", None),
            // A success is final: `x-should-retry` only overrides the verdict on failures, or
            // a purge that went through would be sent again.
            Outcome::Response(status, _) if status.is_success() => return Verdict::Done,
            // A redirect is refused, not retried: the same server would send it again, and
            // `x-should-retry` from a server that redirects is no reason to believe otherwise.
            Outcome::Response(status, _) if status.is_redirection() => return Verdict::Done,
            Outcome::Response(status, headers) => {
                let wanted = match header_text(headers, &X_SHOULD_RETRY) {
                    Some(v) if v.eq_ignore_ascii_case("true") => true,
                    Some(v) if v.eq_ignore_ascii_case("false") => false,
                    _ => retryable_status(status),
                };
                if !wanted {
                    return Verdict::Done;
                }
                (status_reason(status), retry_after(headers, now))
            }
        };
        if retries_done >= self.max_retries {
            return Verdict::Done;
        }
        match server_wait {
            Some(wait) if wait > self.max_wait => Verdict::WaitTooLong,
            Some(wait) => Verdict::Retry { wait, reason },
            None => Verdict::Retry {
                wait: self.backoff.sample(retries_done),
                reason,
            },
        }
    }
}

/// How an attempt ended, as far as retrying is concerned.
pub(crate) enum Outcome<'a> {
    /// A response arrived, complete.
    Response(StatusCode, &'a HeaderMap),
    /// The exchange failed below HTTP.
    Transport(&'a reqwest::Error),
    /// No complete response within the attempt timeout.
    TimedOut,
}

/// What to do after an attempt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Return this outcome to the caller.
    Done,
    /// Sleep `wait`, then send the request again.
    Retry { wait: Duration, reason: &'static str },
    /// The attempt would be retried, but the server asked for a wait over `max_wait`: return
    /// this outcome as a rate limit carrying that wait, whatever the status.
    WaitTooLong,
}

fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error()
}

fn status_reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        408 => "408 request timeout",
        409 => "409 conflict",
        429 => "429 rate limited",
        s if s >= 500 => "server error",
        _ => "x-should-retry: true",
    }
}

/// A constant name: looking it up skips parsing a header name on every response.
const X_SHOULD_RETRY: HeaderName = HeaderName::from_static("x-should-retry");

fn header_text<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (HeaderName::from_static(k), HeaderValue::from_static(v)))
            .collect()
    }

    fn status(code: u16) -> StatusCode {
        StatusCode::from_u16(code).expect("valid status")
    }

    fn steady() -> RetryPolicy {
        RetryPolicy::default().with_jitter(false)
    }

    #[test]
    fn backoff_doubles_from_half_a_second_and_caps_at_eight() {
        let p = steady();
        let waits: Vec<u64> = (0..7).map(|n| p.backoff(n).as_millis() as u64).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(p.backoff(u32::MAX), Duration::from_secs(8));
    }

    #[test]
    fn retryable_statuses_are_408_409_429_and_5xx() {
        let none = HeaderMap::new();
        for code in [408, 409, 429, 500, 502, 503, 504, 599] {
            assert!(
                matches!(
                    steady().decide(Outcome::Response(status(code), &none), 0, SystemTime::now()),
                    Verdict::Retry { .. }
                ),
                "{code} should be retried"
            );
        }
        for code in [200, 400, 401, 403, 404, 422] {
            assert_eq!(
                steady().decide(Outcome::Response(status(code), &none), 0, SystemTime::now()),
                Verdict::Done,
                "{code} should not be retried"
            );
        }
    }

    #[test]
    fn x_should_retry_overrides_the_status() {
        let no = headers(&[("x-should-retry", "false")]);
        assert_eq!(
            steady().decide(Outcome::Response(status(500), &no), 0, SystemTime::now()),
            Verdict::Done
        );
        let yes = headers(&[("x-should-retry", "true")]);
        assert!(matches!(
            steady().decide(Outcome::Response(status(400), &yes), 0, SystemTime::now()),
            Verdict::Retry { .. }
        ));
    }

    #[test]
    fn a_success_is_never_retried_whatever_x_should_retry_says() {
        let yes = headers(&[("x-should-retry", "true")]);
        for code in [200, 201, 202, 204] {
            assert_eq!(
                steady().decide(Outcome::Response(status(code), &yes), 0, SystemTime::now()),
                Verdict::Done,
                "{code} with x-should-retry: true"
            );
        }
    }

    #[test]
    fn server_waits_are_used_as_given_up_to_max_wait() {
        let p = steady().with_max_wait(Duration::from_secs(10));
        let ask = headers(&[("retry-after", "7")]);
        assert_eq!(
            p.decide(Outcome::Response(status(429), &ask), 0, SystemTime::now()),
            Verdict::Retry {
                wait: Duration::from_secs(7),
                reason: "429 rate limited"
            }
        );
        let too_long = headers(&[("retry-after", "11")]);
        for code in [429, 503] {
            assert_eq!(
                p.decide(Outcome::Response(status(code), &too_long), 0, SystemTime::now()),
                Verdict::WaitTooLong,
                "{code}"
            );
        }
        assert_eq!(
            p.decide(Outcome::Response(status(404), &too_long), 0, SystemTime::now()),
            Verdict::Done,
            "a wait on a status that is not retried changes nothing"
        );
    }

    #[test]
    fn retries_stop_at_the_limit() {
        let none = HeaderMap::new();
        let p = steady().with_max_retries(2);
        assert!(matches!(
            p.decide(Outcome::Response(status(503), &none), 1, SystemTime::now()),
            Verdict::Retry { wait, .. } if wait == Duration::from_secs(1)
        ));
        assert_eq!(
            p.decide(Outcome::Response(status(503), &none), 2, SystemTime::now()),
            Verdict::Done
        );
        assert_eq!(
            RetryPolicy::none().decide(Outcome::Response(status(503), &none), 0, SystemTime::now()),
            Verdict::Done
        );
    }

    #[test]
    fn jitter_only_shortens_and_by_at_most_a_quarter() {
        let b = RetryPolicy::default().backoff_schedule();
        assert_eq!(b.jittered(1, 0.0), Duration::from_millis(1000));
        assert_eq!(b.jittered(1, 1.0), Duration::from_millis(750));
        assert_eq!(
            steady().backoff_schedule().jittered(1, 1.0),
            Duration::from_millis(1000)
        );
    }

    #[test]
    fn the_backoff_setters_keep_the_rest_of_the_schedule() {
        let p = RetryPolicy::default()
            .with_initial_backoff(Duration::from_secs(1))
            .with_max_backoff(Duration::from_secs(3));
        assert_eq!(p.backoff_schedule().jitter_percent(), 25);
        let waits: Vec<u64> = (0..4).map(|n| p.backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 3, 3]);
    }
}
