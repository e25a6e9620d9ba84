//! Cloudflare's response envelope and the error codes the fake answers with.

use serde_json::{Value, json};

/// Error codes the fake sends. Those marked "documented" are Cloudflare's (see the spec and
/// the facts file); the others stand where Cloudflare documents no code and are the fake's
/// choice, each a plausible code >= 1000 so the envelope stays valid against the spec.
pub mod codes {
    /// Documented: the API-wide (or per-IP) rate limit was exceeded (HTTP 429).
    pub const GLOBAL_RATE_LIMIT: i64 = 971;
    /// Documented: `purge_everything` combined with another key.
    pub const PURGE_EVERYTHING_COMBINED: i64 = 1092;
    /// Documented: the purge token bucket is empty (HTTP 429).
    pub const PURGE_RATE_LIMIT: i64 = 1134;
    /// Documented: purge by URL is not allowed for this kind of environment.
    pub const URL_PURGE_NOT_ALLOWED: i64 = 1136;
    /// Documented: the setting does not exist (no Reserve Clear ever ran; no such mapping).
    pub const SETTING_MISSING: i64 = 1142;
    /// Documented: body and path IP differ; also an invalid `page`/`per_page`.
    pub const INVALID_ORIGIN_REQUEST: i64 = 1146;
    /// Documented: Cache Reserve is on, so no clear can start.
    pub const CACHE_RESERVE_ON: i64 = 1152;
    /// Documented: Cache Reserve cannot be enabled while a clear runs.
    pub const CLEAR_IN_PROGRESS: i64 = 1153;
    /// Documented: unknown vendor, or region not offered for that vendor.
    pub const UNKNOWN_VENDOR_REGION: i64 = 1157;
    /// Documented (HTTP 403): the zone holds the maximum number of mappings.
    pub const TOO_MANY_MAPPINGS: i64 = 1164;
    /// Documented: no route for the URI (unknown path or zone).
    pub const NO_ROUTE: i64 = 7003;
    /// Cloudflare's code for a failed authentication (401 or 403).
    pub const AUTHENTICATION: i64 = 10_000;
    /// The fake's choice: the method is not allowed on this path (HTTP 405).
    pub const METHOD_NOT_ALLOWED: i64 = 7001;
    /// The fake's choice: the body is not JSON.
    pub const MALFORMED_JSON: i64 = 6007;
    /// The fake's choice: the body is JSON but not what the spec allows (including a purge
    /// over the per-request cap, whose message says "too many" and "at most").
    pub const INVALID_BODY: i64 = 1001;
    /// The fake's choice: an injected server error (HTTP 503).
    pub const SERVER_ERROR: i64 = 1000;
}

/// A failure: the HTTP status and one `{code, message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: i64,
    pub message: String,
    /// Seconds for `Retry-After`, when the 429 carries one.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: u16, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub(crate) fn bad_request(code: i64, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::bad_request(codes::INVALID_BODY, message)
    }

    pub(crate) fn body(&self) -> Value {
        json!({
            "success": false,
            "errors": [{"code": self.code, "message": self.message}],
            "messages": [],
            "result": null,
        })
    }
}

/// The success envelope around `result`.
pub(crate) fn success(result: Value) -> Value {
    json!({"success": true, "errors": [], "messages": [], "result": result})
}

/// The success envelope of a list, with `result_info`.
pub(crate) fn success_page(result: Vec<Value>, page: usize, per_page: usize, total: usize) -> Value {
    json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result_info": {
            "page": page,
            "per_page": per_page,
            "count": result.len(),
            "total_count": total,
            "total_pages": total.div_ceil(per_page),
        },
        "result": result,
    })
}
