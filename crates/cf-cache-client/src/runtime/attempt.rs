//! One exchange with the server, bounded: a whole-attempt timeout, and a cap on the body
//! enforced while it streams in, so a hostile or broken server can cost neither unbounded
//! time nor unbounded memory.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::CONTENT_LENGTH;

use crate::error::ResponseTooLarge;
use crate::runtime::decode::BufferedBody;

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

/// How an attempt ended without a complete response to hand on.
pub(crate) enum Failed {
    /// reqwest's error (connect, TLS, reset, a malformed response, the connect timeout).
    Transport(reqwest::Error),
    /// No complete response within [`Limits::attempt_timeout`].
    TimedOut,
}

/// One exchange, body included. The body is read to its end through the response itself and
/// left in its extensions for the decoder, so the response is handed on as it came: status,
/// headers and URL untouched, nothing rebuilt. A body over the cap is not read further: the
/// response then carries [`ResponseTooLarge`] instead, for the decoder to report.
pub(crate) async fn attempt(
    client: &reqwest::Client,
    request: reqwest::Request,
    limits: &Limits,
) -> Result<reqwest::Response, Failed> {
    match tokio::time::timeout(limits.attempt_timeout, exchange(client, request, limits)).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(e)) => Err(Failed::Transport(e)),
        Err(_elapsed) => Err(Failed::TimedOut),
    }
}

async fn exchange(
    client: &reqwest::Client,
    request: reqwest::Request,
    limits: &Limits,
) -> reqwest::Result<reqwest::Response> {
    let mut response = client.execute(request).await?;
    let cap = limits.max_response_bytes;
    // An announced size over the cap is refused before a byte of the body is read.
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(length) = declared
        && length > cap as u64
    {
        return Ok(too_large(response, cap, Some(length)));
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
        return Ok(too_large(response, cap, None));
    }
    response.extensions_mut().insert(BufferedBody(body));
    Ok(response)
}

/// `response`, its body left unread (dropping it closes the connection), marked for the
/// decoder.
fn too_large(mut response: reqwest::Response, limit: usize, declared: Option<u64>) -> reqwest::Response {
    let refused = ResponseTooLarge {
        status: response.status().as_u16(),
        limit,
        declared,
    };
    response.extensions_mut().insert(refused);
    response
}
