//! What the retry loop hands the decoder: the answer that ended the call, whole.

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::clock::Clock;

/// The last answer of a call: a complete response (never a redirect, never one whose body was
/// over the cap: those end the call in the retry loop), with what the loop learned about it.
pub(crate) struct Answer<'c> {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// How many attempts the call took (1 when it was not retried).
    pub attempts: u32,
    /// The retry loop stopped because the server asked for a wait longer than the policy's
    /// `max_wait`: the answer is a rate limit carrying that wait, whatever its status.
    pub wait_too_long: bool,
    /// The client's clock, which a `retry-after` HTTP date is read against.
    pub clock: &'c dyn Clock,
}
