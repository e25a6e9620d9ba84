//! One exchange with the server, bounded: a whole-attempt timeout, and a cap on the body
//! enforced while it streams in, so a hostile or broken server can cost neither unbounded
//! time nor unbounded memory.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, HeaderMap};

use crate::error::ResponseTooLarge;

/// The bounds every attempt of one client is held to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The most body bytes read from one response.
    pub max_response_bytes: usize,
    /// Connect to last body byte.
    pub attempt_timeout: Duration,
    /// Set on the `reqwest::Client`; kept here to name it when it fires.
    pub connect_timeout: Duration,
}

/// How an attempt ended without a response.
pub(crate) enum Failed {
    /// reqwest's error (connect, TLS, reset, a malformed response, the connect timeout).
    Transport(reqwest::Error),
    /// No complete response within [`Limits::attempt_timeout`].
    TimedOut,
}

/// A response, read as far as the limits allow.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The whole body, or the refusal of one over the cap (not read further).
    pub body: Result<Bytes, ResponseTooLarge>,
    /// Where a redirect (3xx) points, as [`Redirected::target`](crate::Redirected::target)
    /// shows it; `None` for any other status.
    pub redirect_target: Option<String>,
}

/// One exchange, body included, within the attempt timeout.
pub(crate) async fn attempt(
    client: &reqwest::Client,
    request: reqwest::Request,
    limits: &Limits,
) -> Result<Reply, Failed> {
    match tokio::time::timeout(limits.attempt_timeout, exchange(client, request, limits)).await {
        Ok(Ok(reply)) => Ok(reply),
        Ok(Err(e)) => Err(Failed::Transport(e)),
        Err(_elapsed) => Err(Failed::TimedOut),
    }
}

async fn exchange(
    client: &reqwest::Client,
    request: reqwest::Request,
    limits: &Limits,
) -> reqwest::Result<Reply> {
    let mut response = client.execute(request).await?;
    let status = response.status();
    let redirect_target = status
        .is_redirection()
        .then(|| redirect_target(&response))
        .flatten();
    let body = read_body(&mut response, status, limits.max_response_bytes).await?;
    Ok(Reply {
        status,
        headers: std::mem::take(response.headers_mut()),
        body,
        redirect_target,
    })
}

/// The body of `response`, never read past `cap`. A body over it is refused; dropping the
/// response then closes the connection.
async fn read_body(
    response: &mut reqwest::Response,
    status: StatusCode,
    cap: usize,
) -> reqwest::Result<Result<Bytes, ResponseTooLarge>> {
    let too_large = |declared| ResponseTooLarge {
        status: status.as_u16(),
        limit: cap,
        declared,
    };
    // An announced size over the cap is refused before a byte of the body is read.
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(length) = declared
        && length > cap as u64
    {
        return Ok(Err(too_large(Some(length))));
    }
    let mut body = match response.chunk().await? {
        Some(first) => first,
        None => Bytes::new(),
    };
    // Most bodies arrive as one chunk; longer ones are gathered, never past the cap.
    if body.len() <= cap
        && let Some(second) = response.chunk().await?
    {
        let mut all = BytesMut::from(body);
        all.extend_from_slice(&second);
        while all.len() <= cap
            && let Some(more) = response.chunk().await?
        {
            all.extend_from_slice(&more);
        }
        body = all.freeze();
    }
    if body.len() > cap {
        return Ok(Err(too_large(None)));
    }
    Ok(Ok(body))
}

/// The origin (`scheme://host[:port]`) a redirect's `Location` points at, resolved against the
/// request's URL: what a caller needs to see where it was sent, and nothing that could hold a
/// secret (no path, query or userinfo).
fn redirect_target(response: &reqwest::Response) -> Option<String> {
    let location = response.headers().get(reqwest::header::LOCATION)?.to_str().ok()?;
    let origin = response.url().join(location.trim()).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}
