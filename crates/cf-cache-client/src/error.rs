//! The error every operation returns: one enum a caller can match on.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// Result of an operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API refused the request: a failure envelope, or a 2xx whose `success` is false.
    #[error(transparent)]
    Api(ApiError),
    /// The API rate-limited the request (HTTP 429, or error code 971 or 1134) and retrying
    /// did not get through, or the wait it asked for exceeds the configured maximum.
    #[error(transparent)]
    RateLimited(RateLimited),
    /// The request or response did not make it across the network (connect, TLS, timeout,
    /// connection reset, body read).
    #[error(transparent)]
    Transport(TransportError),
    /// The response arrived but its body is not what the spec describes.
    #[error(transparent)]
    Decode(DecodeError),
    /// The request was refused before anything was sent.
    #[error(transparent)]
    InvalidRequest(InvalidRequest),
}

impl Error {
    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::RateLimited(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            Error::Transport(_) | Error::InvalidRequest(_) => None,
        }
    }

    /// Whether the API reported error `code` (in a failure or rate-limit response).
    pub fn has_code(&self, code: i64) -> bool {
        match self {
            Error::Api(e) => e.has_code(code),
            Error::RateLimited(e) => e.errors.iter().any(|m| m.code == code),
            _ => false,
        }
    }
}

/// One entry of an envelope's `errors` or `messages`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct ApiMessage {
    /// Cloudflare's numeric code, e.g. 1142. Meaning depends on the endpoint.
    pub code: i64,
    /// Human-readable text.
    #[serde(default)]
    pub message: String,
    /// Where Cloudflare documents this error, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<String>,
    /// Which part of the request the message is about, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ApiMessageSource>,
}

/// The part of the request an [`ApiMessage`] refers to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct ApiMessageSource {
    /// A JSON pointer into the request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

/// The API said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status of the response.
    pub status: u16,
    /// Every `{code, message}` of the envelope's `errors`.
    pub errors: Vec<ApiMessage>,
    /// The envelope's `messages`.
    pub messages: Vec<ApiMessage>,
    /// Cloudflare's `cf-ray` id of the response, for support requests.
    pub ray_id: Option<String>,
    /// The start of the body when it was not a JSON envelope (an HTML error page, say).
    pub body_snippet: Option<String>,
}

impl ApiError {
    /// Whether the API reported error `code`.
    pub fn has_code(&self, code: i64) -> bool {
        self.errors.iter().any(|m| m.code == code)
    }

    /// The reported error codes, in order.
    pub fn codes(&self) -> Vec<i64> {
        self.errors.iter().map(|m| m.code).collect()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cloudflare API error (HTTP {})", self.status)?;
        write_messages(f, &self.errors)?;
        if let Some(snippet) = &self.body_snippet {
            write!(f, "; body: {snippet:?}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

fn write_messages(f: &mut fmt::Formatter<'_>, messages: &[ApiMessage]) -> fmt::Result {
    for (i, m) in messages.iter().enumerate() {
        let sep = if i == 0 { ": " } else { "; " };
        write!(f, "{sep}[{}] {}", m.code, m.message)?;
    }
    Ok(())
}

/// The API rate-limited the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimited {
    /// HTTP status of the response (usually 429).
    pub status: u16,
    /// How long the API asked to wait, from `retry-after-ms` or `retry-after`.
    pub retry_after: Option<Duration>,
    /// The envelope's `errors` (971: global limit, 1134: purge limit), if any.
    pub errors: Vec<ApiMessage>,
    /// Cloudflare's `cf-ray` id of the response.
    pub ray_id: Option<String>,
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rate limited by the Cloudflare API (HTTP {})", self.status)?;
        if let Some(wait) = self.retry_after {
            write!(f, "; retry after {:.3}s", wait.as_secs_f64())?;
        }
        write_messages(f, &self.errors)
    }
}

impl std::error::Error for RateLimited {}

/// The exchange failed below HTTP.
#[derive(Debug, thiserror::Error)]
#[error("request to the Cloudflare API failed: {source}")]
pub struct TransportError {
    #[source]
    source: reqwest::Error,
}

impl TransportError {
    pub(crate) fn new(source: reqwest::Error) -> Self {
        // reqwest puts the URL in its messages; ours carry only the path template.
        Self {
            source: source.without_url(),
        }
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.source.is_timeout()
    }

    /// Whether the connection could not be established.
    pub fn is_connect(&self) -> bool {
        self.source.is_connect()
    }
}

/// A response body that does not match the spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode the Cloudflare API response (HTTP {status}): {reason}; body starts {snippet:?}")]
pub struct DecodeError {
    /// HTTP status of the response.
    pub status: u16,
    /// What did not fit.
    pub reason: String,
    /// The first bytes of the body (at most [`DecodeError::SNIPPET_LEN`], lossily UTF-8).
    pub snippet: String,
}

impl DecodeError {
    /// The most body bytes a [`DecodeError`] or [`ApiError`] keeps.
    pub const SNIPPET_LEN: usize = 512;
}

/// A request refused before sending.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{field}`: {reason}")]
pub struct InvalidRequest {
    /// The parameter or body field at fault (e.g. `zone_id`, `body.files[3]`).
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

/// The first bytes of `body` as text, bounded for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let end = body.len().min(DecodeError::SNIPPET_LEN);
    String::from_utf8_lossy(&body[..end]).into_owned()
}
