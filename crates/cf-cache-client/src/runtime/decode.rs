//! Turns what the raw client returns into the caller's value or a typed [`Error`]. Success
//! bodies arrive as bytes, failures as the unread response, so status, headers and body are
//! all at hand to build the right variant.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, RETRY_AFTER};
use serde::de::DeserializeOwned;

use crate::envelope::{Envelope, Failure, Page};
use crate::error::{
    ApiError, DecodeError, Error, InvalidRequest, RateLimited, Redirected, ResponseTooLarge, Result, Timeout,
    TransportError, snippet,
};

/// What a raw operation method returns.
/// A 2xx arrives as the response itself, its body already in memory (the retry loop reads
/// every body); anything else as progenitor's `UnexpectedResponse`.
pub(crate) type Raw = std::result::Result<reqwest::Response, progenitor_client::Error<()>>;

/// The header carrying a server wait in milliseconds; the retry loop also writes it.
pub(crate) const RETRY_AFTER_MS: HeaderName = HeaderName::from_static("retry-after-ms");

/// Error codes that mean "slow down": the global limit and the purge limit.
const RATE_LIMIT_CODES: [i64; 2] = [971, 1134];

/// Marks a response the retry loop gave up on because the server asked for a wait longer than
/// the policy's `max_wait`: it becomes [`Error::RateLimited`] whatever its status, so the
/// caller learns the wait.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WaitTooLong;

/// Marks the stand-in response for an attempt that ended in one of the client's own timeouts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Abandoned(pub(crate) Timeout);

/// What the retry loop left on a response in place of a usable body, if anything: a timeout
/// or a body over the cap. Checked before anything else is read from the response.
fn refused(response: &mut reqwest::Response) -> Option<Error> {
    let extensions = response.extensions_mut();
    if let Some(Abandoned(timeout)) = extensions.remove::<Abandoned>() {
        return Some(Error::Transport(TransportError::timed_out(timeout)));
    }
    extensions.remove::<ResponseTooLarge>().map(Error::TooLarge)
}

/// A response body the retry loop has already read whole. It travels in the response's
/// extensions, so the decoder takes it as it is instead of collecting the body a second time.
#[derive(Debug, Clone)]
pub(crate) struct BufferedBody(pub(crate) Bytes);

/// The body of `response`: the buffered one if the retry loop left it, otherwise read now.
async fn body_of(mut response: reqwest::Response) -> reqwest::Result<Bytes> {
    match response.extensions_mut().remove::<BufferedBody>() {
        Some(BufferedBody(bytes)) => Ok(bytes),
        None => response.bytes().await,
    }
}

/// A complete 2xx response.
struct Body {
    status: u16,
    headers: HeaderMap,
    bytes: Bytes,
}

/// For operations with no JSON result: only success or failure matters.
#[allow(
    dead_code,
    reason = "generated code calls this only for specs with such operations"
)]
pub(crate) async fn empty(raw: Raw) -> Result<()> {
    read(raw).await.map(drop)
}

/// For operations whose body is the value itself.
#[allow(
    dead_code,
    reason = "generated code calls this only for specs with such operations"
)]
pub(crate) async fn bare<T: DeserializeOwned>(raw: Raw) -> Result<T> {
    let body = read(raw).await?;
    serde_json::from_slice(&body.bytes).map_err(|e| decode_error(&body, &e))
}

/// For operations whose value is the envelope's `result`.
pub(crate) async fn enveloped<T: DeserializeOwned>(raw: Raw) -> Result<T> {
    let body = read(raw).await?;
    let envelope = open::<T>(&body)?;
    result_of(envelope.result, &body)
}

/// For list operations: the `result` list plus `result_info`.
pub(crate) async fn paged<T: DeserializeOwned>(raw: Raw) -> Result<Page<T>> {
    let body = read(raw).await?;
    let envelope = open::<Vec<T>>(&body)?;
    let result_info = envelope.result_info;
    let items = result_of(envelope.result, &body)?;
    Ok(Page { items, result_info })
}

fn open<T: DeserializeOwned>(body: &Body) -> Result<Envelope<T>> {
    let envelope: Envelope<T> = serde_json::from_slice(&body.bytes).map_err(|e| decode_error(body, &e))?;
    if envelope.success == Some(false) {
        return Err(refusal(
            body.status,
            &body.headers,
            retry_after(&body.headers, SystemTime::now()),
            envelope.errors,
            envelope.messages,
            None,
            false,
        ));
    }
    Ok(envelope)
}

/// A missing or null `result` is fine exactly when the caller's type accepts null.
fn result_of<T: DeserializeOwned>(result: Option<T>, body: &Body) -> Result<T> {
    match result {
        Some(value) => Ok(value),
        None => T::deserialize(serde_json::Value::Null).map_err(|_| {
            Error::Decode(DecodeError {
                status: body.status,
                reason: "the envelope has no `result`".into(),
                snippet: snippet(&body.bytes),
            })
        }),
    }
}

fn decode_error(body: &Body, e: &serde_json::Error) -> Error {
    Error::Decode(DecodeError {
        status: body.status,
        reason: e.to_string(),
        snippet: snippet(&body.bytes),
    })
}

/// Reads a 2xx body whole; turns everything else into the matching error.
async fn read(raw: Raw) -> Result<Body> {
    match raw {
        Ok(mut response) => {
            if let Some(error) = refused(&mut response) {
                return Err(error);
            }
            let status = response.status().as_u16();
            let headers = std::mem::take(response.headers_mut());
            let bytes = body_of(response)
                .await
                .map_err(|e| Error::Transport(TransportError::new(e)))?;
            Ok(Body {
                status,
                headers,
                bytes,
            })
        }
        Err(progenitor_client::Error::UnexpectedResponse(response)) => Err(failure(response).await),
        Err(
            progenitor_client::Error::CommunicationError(e) | progenitor_client::Error::ResponseBodyError(e),
        ) => Err(Error::Transport(TransportError::new(e))),
        Err(progenitor_client::Error::InvalidResponsePayload(bytes, e)) => Err(Error::Decode(DecodeError {
            status: StatusCode::OK.as_u16(),
            reason: e.to_string(),
            snippet: snippet(&bytes),
        })),
        Err(other) => Err(Error::InvalidRequest(InvalidRequest {
            field: "request".into(),
            reason: other.to_string(),
        })),
    }
}

/// A non-2xx response: the failure envelope if there is one, otherwise status and snippet.
async fn failure(mut response: reqwest::Response) -> Error {
    if let Some(error) = refused(&mut response) {
        return error;
    }
    if response.status().is_redirection() {
        return Error::Redirected(Redirected {
            status: response.status().as_u16(),
            target: redirect_target(&response),
        });
    }
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    // The retry loop has already turned any HTTP date into `retry-after-ms` on its clock.
    let wait = retry_after(&headers, SystemTime::now());
    let wait_too_long = response.extensions().get::<WaitTooLong>().is_some();
    let bytes = match body_of(response).await {
        Ok(bytes) => bytes,
        Err(e) => return Error::Transport(TransportError::new(e)),
    };
    match serde_json::from_slice::<Failure>(&bytes) {
        // Any JSON object reads as a `Failure`; one without `errors` is not Cloudflare's
        // envelope (a proxy's problem+json, say), so keep the body for the caller to see.
        Ok(f) if !f.errors.is_empty() => {
            refusal(status, &headers, wait, f.errors, f.messages, None, wait_too_long)
        }
        _ => refusal(
            status,
            &headers,
            wait,
            Vec::new(),
            Vec::new(),
            Some(snippet(&bytes)),
            wait_too_long,
        ),
    }
}

fn refusal(
    status: u16,
    headers: &HeaderMap,
    retry_after: Option<Duration>,
    errors: Vec<crate::ApiMessage>,
    messages: Vec<crate::ApiMessage>,
    body_snippet: Option<String>,
    wait_too_long: bool,
) -> Error {
    let ray_id = headers
        .get("cf-ray")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let rate_limited = wait_too_long
        || status == StatusCode::TOO_MANY_REQUESTS.as_u16()
        || errors.iter().any(|m| RATE_LIMIT_CODES.contains(&m.code));
    if rate_limited {
        return Error::RateLimited(RateLimited {
            status,
            retry_after,
            errors,
            ray_id,
        });
    }
    Error::Api(ApiError {
        status,
        errors,
        messages,
        ray_id,
        body_snippet,
    })
}

/// The origin (`scheme://host[:port]`) a redirect's `Location` points at, resolved against the
/// request's URL: what a caller needs to see where it was sent, and nothing that could hold a
/// secret (no path, query or userinfo).
fn redirect_target(response: &reqwest::Response) -> Option<String> {
    let location = response.headers().get(reqwest::header::LOCATION)?.to_str().ok()?;
    let origin = response.url().join(location.trim()).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
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
