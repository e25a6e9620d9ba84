//! What the fake saw and did, for tests to assert on: every request and its answer, every
//! purged item.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use serde_json::Value;

/// Purge (evict) or invalidate (mark stale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PurgeAction {
    /// `purge_cache`.
    Purge,
    /// `invalidate_cache`.
    Invalidate,
}

/// One accepted purge item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PurgedKind {
    /// A URL, with the cache-key headers sent beside it (empty for a plain URL).
    Url {
        /// The URL as sent.
        url: String,
        /// The headers of a custom cache key.
        headers: BTreeMap<String, String>,
    },
    /// A cache tag.
    Tag(String),
    /// A hostname.
    Host(String),
    /// A URL prefix.
    Prefix(String),
    /// Everything in the zone (or environment).
    Everything,
}

/// An item a purge or invalidate request got accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgedItem {
    /// The zone.
    pub zone_id: String,
    /// The environment, for the environment endpoints.
    pub environment_id: Option<String>,
    /// Purge or invalidate.
    pub action: PurgeAction,
    /// What was purged.
    pub item: PurgedKind,
    /// When, on the fake's clock.
    pub at: SystemTime,
    /// The [`RequestRecord::seq`] of the request that carried it.
    pub request: u64,
}

/// A fault the fake injected instead of answering normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 503 with a JSON failure envelope.
    ServerError,
    /// 429 with error 971.
    RateLimit,
    /// Connection closed without an answer.
    Reset,
    /// 200 with the body cut in half.
    Truncated,
    /// 502 with an HTML page.
    Html,
}

/// One request the fake received and how it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// Sequence number, from 0, in the order requests arrived.
    pub seq: u64,
    /// When it arrived, on the fake's clock.
    pub at: SystemTime,
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// Query string, if any.
    pub query: Option<String>,
    /// The spec's `operationId`, when the path and method name one.
    pub operation: Option<&'static str>,
    /// Status answered (0 for a reset connection).
    pub status: u16,
    /// Error codes in the answer.
    pub error_codes: Vec<i64>,
    /// The `Retry-After` seconds sent, if any.
    pub retry_after: Option<u64>,
    /// The fault injected, if any.
    pub fault: Option<Fault>,
    /// The request's JSON body (with [`Config::record_bodies`](crate::Config::record_bodies)).
    pub request_body: Option<Value>,
    /// The response's JSON body (with [`Config::record_bodies`](crate::Config::record_bodies);
    /// never for faults).
    pub response_body: Option<Value>,
}

/// The logs, behind their own locks (never held across an await).
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    requests: Mutex<Vec<RequestRecord>>,
    purged: Mutex<Vec<PurgedItem>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not hide the record from the others.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Recorder {
    pub(crate) fn request(&self, record: RequestRecord) {
        lock(&self.requests).push(record);
    }

    pub(crate) fn purged(&self, items: impl IntoIterator<Item = PurgedItem>) {
        lock(&self.purged).extend(items);
    }

    pub(crate) fn requests_snapshot(&self) -> Vec<RequestRecord> {
        lock(&self.requests).clone()
    }

    pub(crate) fn purged_snapshot(&self) -> Vec<PurgedItem> {
        lock(&self.purged).clone()
    }

    pub(crate) fn count_requests(&self, f: impl Fn(&RequestRecord) -> bool) -> usize {
        lock(&self.requests).iter().filter(|r| f(r)).count()
    }

    pub(crate) fn clear(&self) {
        lock(&self.requests).clear();
        lock(&self.purged).clear();
    }
}
