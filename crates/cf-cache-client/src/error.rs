//! The error every operation returns: one enum a caller can match on.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::ratelimit::RateLimit;

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
    /// The server answered with a redirect (3xx). Cloudflare's API answers API calls itself,
    /// so a redirect is never followed: it would carry the credentials to whatever host it
    /// names.
    #[error(transparent)]
    Redirected(Redirected),
    /// The response body is larger than the client's limit
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)); no
    /// more of it than the limit was read.
    #[error(transparent)]
    TooLarge(ResponseTooLarge),
}

impl Error {
    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::RateLimited(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            Error::Redirected(e) => Some(e.status),
            Error::TooLarge(e) => Some(e.status),
            Error::Transport(_) | Error::InvalidRequest(_) => None,
        }
    }

    /// Cloudflare's `cf-ray` id of the refusing answer, for support requests.
    pub fn ray_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.ray_id.as_deref(),
            Error::RateLimited(e) => e.ray_id.as_deref(),
            _ => None,
        }
    }

    /// The server's count of the request budget, as the refusing answer stated it.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        match self {
            Error::Api(e) => Some(&*e.rate_limit),
            Error::RateLimited(e) => Some(&*e.rate_limit),
            _ => None,
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
    /// The server's count of the request budget (`Ratelimit`, `Ratelimit-Policy`,
    /// `X-RateLimit-*`), as the answer stated it. Boxed: it is read rarely, and an error
    /// stays small to move.
    pub rate_limit: Box<RateLimit>,
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
            // `{:?}` escapes quotes, controls and escape sequences alike.
            write!(f, "; body: {snippet:?}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

fn write_messages(f: &mut fmt::Formatter<'_>, messages: &[ApiMessage]) -> fmt::Result {
    for (i, m) in messages.iter().enumerate() {
        let sep = if i == 0 { ": " } else { "; " };
        write!(f, "{sep}[{}] {}", m.code, Printable(&m.message))?;
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
    /// The server's count of the request budget, as the answer stated it (boxed, as in
    /// [`ApiError::rate_limit`]).
    pub rate_limit: Box<RateLimit>,
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

/// The exchange failed below HTTP, or took longer than a timeout allows.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportKind,
}

#[derive(Debug)]
enum TransportKind {
    Reqwest(reqwest::Error),
    Timeout(Timeout),
}

/// Which timeout ended a call, how long it was and on which attempt it fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout {
    /// Which limit.
    pub kind: TimeoutKind,
    /// Its duration.
    pub limit: Duration,
    /// The attempt it ended (1 for the first); earlier ones were retried.
    pub attempt: u32,
}

/// Which of the client's timeouts fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// No connection within [`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout).
    Connect,
    /// No complete response (status, headers and whole body) within
    /// [`ClientBuilder::timeout`](crate::ClientBuilder::timeout) of the attempt's start.
    Attempt,
}

impl TransportError {
    pub(crate) fn new(source: reqwest::Error) -> Self {
        // reqwest puts the URL in its messages; ours carry only the path template.
        Self {
            kind: TransportKind::Reqwest(source.without_url()),
        }
    }

    pub(crate) fn timed_out(timeout: Timeout) -> Self {
        Self {
            kind: TransportKind::Timeout(timeout),
        }
    }

    /// Whether the request timed out (one of the client's timeouts, or one set on a
    /// `reqwest::ClientBuilder` given to [`ClientBuilder::http_client`](crate::ClientBuilder::http_client)).
    pub fn is_timeout(&self) -> bool {
        match &self.kind {
            TransportKind::Reqwest(e) => e.is_timeout(),
            TransportKind::Timeout(_) => true,
        }
    }

    /// Which of the client's timeouts fired, its duration and the attempt it ended.
    pub fn timeout(&self) -> Option<Timeout> {
        match &self.kind {
            TransportKind::Timeout(t) => Some(*t),
            TransportKind::Reqwest(_) => None,
        }
    }

    /// Whether the connection could not be established (a connect timeout included).
    pub fn is_connect(&self) -> bool {
        match &self.kind {
            TransportKind::Reqwest(e) => e.is_connect(),
            TransportKind::Timeout(t) => t.kind == TimeoutKind::Connect,
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TransportKind::Reqwest(e) => write!(f, "request to the Cloudflare API failed: {e}"),
            TransportKind::Timeout(Timeout {
                kind: TimeoutKind::Connect,
                limit,
                attempt,
            }) => write!(
                f,
                "request to the Cloudflare API timed out: attempt {attempt} could not connect \
                 within the {limit:?} connect timeout"
            ),
            TransportKind::Timeout(Timeout {
                kind: TimeoutKind::Attempt,
                limit,
                attempt,
            }) => write!(
                f,
                "request to the Cloudflare API timed out: attempt {attempt} got no complete \
                 response within the {limit:?} attempt timeout"
            ),
        }
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            TransportKind::Reqwest(e) => Some(e),
            TransportKind::Timeout(_) => None,
        }
    }
}

/// A redirect the client refused to follow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the server answered HTTP {status} redirecting to {}; redirects are never followed (they would \
     carry the credentials to another host): check the base URL",
    .target.as_deref().unwrap_or("an unreadable location")
)]
pub struct Redirected {
    /// HTTP status of the response (301, 302, 307, ...).
    pub status: u16,
    /// The origin the `Location` header points at, `scheme://host[:port]` only: never its
    /// path, query or any credentials in it. `None` when the header is missing or unusable.
    pub target: Option<String>,
}

/// A response body over the client's size limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the Cloudflare API response (HTTP {status}) is larger than the {limit}-byte limit{}; \
     reading stopped there (ClientBuilder::max_response_bytes raises it)",
    .declared.map(|n| format!(" (Content-Length {n})")).unwrap_or_default()
)]
pub struct ResponseTooLarge {
    /// HTTP status of the response.
    pub status: u16,
    /// The limit, in bytes.
    pub limit: usize,
    /// The size the server announced (`Content-Length`), when it announced one over the
    /// limit; the body was then refused before any of it was read.
    pub declared: Option<u64>,
}

/// A response body that does not match the spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot decode the Cloudflare API response (HTTP {status}): {}; body starts {snippet:?}",
    Printable(reason)
)]
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

/// Text from the server, safe to print: control characters (ANSI escape sequences, carriage
/// returns, bells), C1 controls and the bidirectional overrides that can make a terminal or a
/// log viewer show something other than what is there are written as `\u{..}` escapes; all
/// other text is written as it is.
///
/// Every `Display` of this crate's errors writes server-supplied messages through it;
/// `cf-cache-ext` does the same with what it shows.
#[derive(Debug, Clone, Copy)]
pub struct Printable<'a>(pub &'a str);

impl fmt::Display for Printable<'_> {
    /// Honours width and alignment (`{:<40}`), so tables of server values line up.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.chars().any(needs_escaping) {
            return f.pad(self.0);
        }
        if f.width().is_some() || f.precision().is_some() {
            let mut escaped = String::new();
            write_escaped(&mut escaped, self.0)?;
            return f.pad(&escaped);
        }
        write_escaped(f, self.0)
    }
}

fn write_escaped(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    let mut rest = text;
    while let Some((at, c)) = rest.char_indices().find(|&(_, c)| needs_escaping(c)) {
        out.write_str(&rest[..at])?;
        write!(out, "{}", c.escape_unicode())?;
        rest = &rest[at + c.len_utf8()..];
    }
    out.write_str(rest)
}

/// Controls (C0, DEL, C1) and the characters that reorder or hide text.
fn needs_escaping(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_controls_escape_sequences_and_bidi_overrides_only() {
        let hostile = "\u{1b}[2J\u{1b}]0;owned\u{7}ok\r\nline\u{9b}31m \u{202e}txt.exe caf\u{e9}";
        assert_eq!(
            Printable(hostile).to_string(),
            "\\u{1b}[2J\\u{1b}]0;owned\\u{7}ok\\u{d}\\u{a}line\\u{9b}31m \\u{202e}txt.exe caf\u{e9}"
        );
        assert_eq!(Printable("plain text").to_string(), "plain text");
        assert_eq!(format!("[{:<6}]", Printable("aws")), "[aws   ]");
        assert_eq!(format!("[{:>8}]", Printable("a\u{7}")), "[  a\\u{7}]");
    }

    #[test]
    fn api_error_messages_are_displayed_escaped() {
        let e = ApiError {
            status: 400,
            errors: vec![ApiMessage {
                code: 1,
                message: "bad\u{1b}[31m red".into(),
                documentation_url: None,
                source: None,
            }],
            messages: Vec::new(),
            ray_id: None,
            body_snippet: None,
            rate_limit: Box::default(),
        };
        assert_eq!(
            e.to_string(),
            "Cloudflare API error (HTTP 400): [1] bad\\u{1b}[31m red"
        );
    }
}
