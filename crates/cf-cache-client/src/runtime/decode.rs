//! Turns the answer the retry loop ends with into the caller's value or a typed [`Error`]. A
//! 2xx is decoded as the operation's result shape; anything else becomes the API's refusal.
//!
//! Each shape's decoder reads the answer by reference and hands back the value with the
//! envelope's `messages`, so the plain operation ([`value`]) and its `_with_meta` twin
//! ([`with_meta`]) share it, and only the twin builds the metadata.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, RETRY_AFTER};
use serde::de::DeserializeOwned;

use crate::envelope::{Envelope, Failure, Page};
use crate::error::{ApiError, ApiMessage, DecodeError, Error, RateLimited, Result, snippet};
use crate::meta::{ResponseMeta, WithMeta, ray_id};
use crate::ratelimit::RateLimit;
use crate::runtime::Answer;

/// The header a server may state its wait in milliseconds with (Cloudflare's SDKs honour it).
const RETRY_AFTER_MS: HeaderName = HeaderName::from_static("retry-after-ms");

/// Error codes that mean "slow down": the global limit and the purge limit.
const RATE_LIMIT_CODES: [i64; 2] = [971, 1134];

/// A decoded success: the value, and the envelope's `messages` (empty when there is none).
pub(crate) struct Decoded<T> {
    value: T,
    messages: Vec<ApiMessage>,
}

impl<T> Decoded<T> {
    fn bare(value: T) -> Self {
        Self {
            value,
            messages: Vec::new(),
        }
    }
}

/// The plain operation's result.
pub(crate) fn value<T>(
    answer: Answer<'_>,
    decode: impl FnOnce(&Answer<'_>) -> Result<Decoded<T>>,
) -> Result<T> {
    decode(&answer).map(|decoded| decoded.value)
}

/// The `_with_meta` operation's result: the value and what the answer said about itself.
pub(crate) fn with_meta<T>(
    answer: Answer<'_>,
    decode: impl FnOnce(&Answer<'_>) -> Result<Decoded<T>>,
) -> Result<WithMeta<T>> {
    let Decoded { value, messages } = decode(&answer)?;
    let meta = ResponseMeta::new(answer.status.as_u16(), &answer.headers, answer.attempts, messages);
    Ok(WithMeta { value, meta })
}

/// For operations with no JSON result: only success or failure matters.
#[allow(
    dead_code,
    reason = "generated code calls this only for specs with such operations"
)]
pub(crate) fn empty(answer: &Answer<'_>) -> Result<Decoded<()>> {
    succeeded(answer)?;
    Ok(Decoded::bare(()))
}

/// For operations whose success body is not JSON (a file, CSV, text): its bytes.
#[allow(
    dead_code,
    reason = "generated code calls this only for specs with such operations"
)]
pub(crate) fn bytes(answer: &Answer<'_>) -> Result<Decoded<Bytes>> {
    succeeded(answer)?;
    Ok(Decoded::bare(answer.body.clone()))
}

/// For operations whose body is the value itself.
#[allow(
    dead_code,
    reason = "generated code calls this only for specs with such operations"
)]
pub(crate) fn bare<T: DeserializeOwned>(answer: &Answer<'_>) -> Result<Decoded<T>> {
    succeeded(answer)?;
    serde_json::from_slice(&answer.body)
        .map(Decoded::bare)
        .map_err(|e| decode_error(answer, &e))
}

/// For operations whose value is the envelope's `result`.
pub(crate) fn enveloped<T: DeserializeOwned>(answer: &Answer<'_>) -> Result<Decoded<T>> {
    succeeded(answer)?;
    let envelope = open::<T>(answer)?;
    Ok(Decoded {
        value: result_of(envelope.result, answer)?,
        messages: envelope.messages,
    })
}

/// For list operations: the `result` list plus `result_info`.
pub(crate) fn paged<T: DeserializeOwned>(answer: &Answer<'_>) -> Result<Decoded<Page<T>>> {
    succeeded(answer)?;
    let envelope = open::<Vec<T>>(answer)?;
    let result_info = envelope.result_info;
    let items = result_of(envelope.result, answer)?;
    Ok(Decoded {
        value: Page { items, result_info },
        messages: envelope.messages,
    })
}

/// `Ok` for a 2xx; the refusal for anything else.
fn succeeded(answer: &Answer<'_>) -> Result<()> {
    if answer.status.is_success() {
        Ok(())
    } else {
        Err(failure(answer))
    }
}

fn open<T: DeserializeOwned>(answer: &Answer<'_>) -> Result<Envelope<T>> {
    let envelope: Envelope<T> = serde_json::from_slice(&answer.body).map_err(|e| decode_error(answer, &e))?;
    if envelope.success == Some(false) {
        return Err(refusal(answer, envelope.errors, envelope.messages, None));
    }
    Ok(envelope)
}

/// A missing or null `result` is fine exactly when the caller's type accepts null.
fn result_of<T: DeserializeOwned>(result: Option<T>, answer: &Answer<'_>) -> Result<T> {
    match result {
        Some(value) => Ok(value),
        None => T::deserialize(serde_json::Value::Null).map_err(|_| {
            Error::Decode(DecodeError {
                status: answer.status.as_u16(),
                reason: "the envelope has no `result`".into(),
                snippet: snippet(&answer.body),
            })
        }),
    }
}

fn decode_error(answer: &Answer<'_>, e: &serde_json::Error) -> Error {
    Error::Decode(DecodeError {
        status: answer.status.as_u16(),
        reason: e.to_string(),
        snippet: snippet(&answer.body),
    })
}

/// A refused answer: the failure envelope if there is one, otherwise status and snippet.
fn failure(answer: &Answer<'_>) -> Error {
    match serde_json::from_slice::<Failure>(&answer.body) {
        // Any JSON object reads as a `Failure`; one without `errors` is not Cloudflare's
        // envelope (a proxy's problem+json, say), so keep the body for the caller to see.
        Ok(f) if !f.errors.is_empty() => refusal(answer, f.errors, f.messages, None),
        _ => refusal(answer, Vec::new(), Vec::new(), Some(snippet(&answer.body))),
    }
}

fn refusal(
    answer: &Answer<'_>,
    errors: Vec<ApiMessage>,
    messages: Vec<ApiMessage>,
    body_snippet: Option<String>,
) -> Error {
    let status = answer.status.as_u16();
    let ray_id = ray_id(&answer.headers);
    let rate_limit = Box::new(RateLimit::from_headers(&answer.headers));
    let rate_limited = answer.wait_too_long
        || status == StatusCode::TOO_MANY_REQUESTS.as_u16()
        || errors.iter().any(|m| RATE_LIMIT_CODES.contains(&m.code));
    if rate_limited {
        return Error::RateLimited(RateLimited {
            status,
            retry_after: retry_after(&answer.headers, answer.clock.now()),
            errors,
            ray_id,
            rate_limit,
        });
    }
    Error::Api(ApiError {
        status,
        errors,
        messages,
        ray_id,
        body_snippet,
        rate_limit,
    })
}

/// The wait a response asks for: `retry-after-ms`, else `retry-after` as seconds or an HTTP
/// date in any of the three forms of RFC 9110 (IMF-fixdate, RFC 850, asctime).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    // Constant names: every response is looked at, and a `&str` name is parsed per lookup.
    let text = |name: &HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = text(&RETRY_AFTER_MS).and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(seconds(ms / 1000.0));
    }
    let value = text(&RETRY_AFTER)?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| seconds(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `secs` (finite, not negative) as a `Duration`, saturating: a wait too long to represent is
/// still longer than any `max_wait`, where `Duration::from_secs_f64` would panic.
fn seconds(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    reqwest::header::HeaderName::from_static(k),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn retry_after_ms_wins_over_retry_after() {
        let h = headers(&[("retry-after-ms", "250"), ("retry-after", "7")]);
        assert_eq!(
            retry_after(&h, SystemTime::now()),
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")]), SystemTime::now()),
            Some(Duration::from_secs(3))
        );
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").expect("valid date");
        let h = headers(&[("retry-after", "Wed, 21 Oct 2026 07:28:30 GMT")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        let past = headers(&[("retry-after", "Wed, 21 Oct 2026 07:27:00 GMT")]);
        assert_eq!(
            retry_after(&past, now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
    }

    #[test]
    fn retry_after_reads_all_three_http_date_forms() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:07 GMT").expect("valid date");
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            let h: HeaderMap = [(RETRY_AFTER, HeaderValue::from_static(form))]
                .into_iter()
                .collect();
            assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)), "{form}");
        }
    }

    #[test]
    fn waits_too_long_for_a_duration_saturate_instead_of_panicking() {
        for (name, value) in [
            ("retry-after", "1e30"),
            ("retry-after", "18446744073709551616"),
            ("retry-after-ms", "1e300"),
        ] {
            let h: HeaderMap = [(
                reqwest::header::HeaderName::from_static(name),
                HeaderValue::from_static(value),
            )]
            .into_iter()
            .collect();
            assert_eq!(
                retry_after(&h, SystemTime::now()),
                Some(Duration::MAX),
                "{name}: {value}"
            );
        }
    }

    #[test]
    fn garbage_retry_after_is_ignored() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "soon")]), SystemTime::now()),
            None
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "-1")]), SystemTime::now()),
            None
        );
    }
}
