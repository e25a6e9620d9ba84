//! Turns what the raw client returns into the caller's value or a typed [`Error`]. Success
//! bodies arrive as bytes, failures as the unread response, so status, headers and body are
//! all at hand to build the right variant.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::TryStreamExt;
use progenitor_client::{ByteStream, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::envelope::{Envelope, Failure, Page};
use crate::error::{
    ApiError, DecodeError, Error, InvalidRequest, RateLimited, Result, TransportError, snippet,
};
use crate::runtime::ServerWait;

/// What a raw operation method returns.
pub(crate) type Raw = std::result::Result<ResponseValue<ByteStream>, progenitor_client::Error<()>>;

/// Error codes that mean "slow down": the global limit and the purge limit.
const RATE_LIMIT_CODES: [i64; 2] = [971, 1134];

/// A complete 2xx response.
struct Body {
    status: u16,
    /// The response itself, for its headers; its stream has been read to the end.
    response: ResponseValue<ByteStream>,
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
        let headers = body.response.headers();
        return Err(refusal(
            body.status,
            headers,
            retry_after(headers, SystemTime::now()),
            envelope.errors,
            envelope.messages,
            None,
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
            let status = response.status().as_u16();
            let bytes = collect(&mut response).await?;
            Ok(Body {
                status,
                response,
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

/// Reads the body to the end. The retry loop buffers every response, so this is normally a
/// single chunk, taken as it is.
async fn collect(stream: &mut ByteStream) -> Result<Bytes> {
    let transport = |e| Error::Transport(TransportError::new(e));
    let stream = &mut **stream;
    let Some(first) = stream.try_next().await.map_err(transport)? else {
        return Ok(Bytes::new());
    };
    let Some(second) = stream.try_next().await.map_err(transport)? else {
        return Ok(first);
    };
    let mut joined = [first, second].concat();
    while let Some(more) = stream.try_next().await.map_err(transport)? {
        joined.extend_from_slice(&more);
    }
    Ok(joined.into())
}

/// A non-2xx response: the failure envelope if there is one, otherwise status and snippet.
async fn failure(response: reqwest::Response) -> Error {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    // The retry loop measured the wait against the client's clock; reuse its figure.
    let wait = match response.extensions().get::<ServerWait>() {
        Some(ServerWait(wait)) => *wait,
        None => retry_after(&headers, SystemTime::now()),
    };
    let bytes = match response.bytes().await {
        Ok(bytes) => bytes,
        Err(e) => return Error::Transport(TransportError::new(e)),
    };
    match serde_json::from_slice::<Failure>(&bytes) {
        Ok(f) => refusal(status, &headers, wait, f.errors, f.messages, None),
        Err(_) => refusal(
            status,
            &headers,
            wait,
            Vec::new(),
            Vec::new(),
            Some(snippet(&bytes)),
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
) -> Error {
    let ray_id = headers
        .get("cf-ray")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let rate_limited = status == StatusCode::TOO_MANY_REQUESTS.as_u16()
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

/// The wait a response asks for: `retry-after-ms`, else `retry-after` as seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = text("retry-after")?;
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at: SystemTime = chrono::DateTime::parse_from_rfc2822(value).ok()?.into();
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
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
        let now: SystemTime = chrono::DateTime::parse_from_rfc2822("Wed, 21 Oct 2026 07:28:00 GMT")
            .map(Into::into)
            .expect("valid date");
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
