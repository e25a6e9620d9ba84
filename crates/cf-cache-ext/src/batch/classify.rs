//! How the batcher reads a failed request: wait and resend, split the chunk, stop the run,
//! or fail the chunk's items.

use std::time::Duration;

use cf_cache_client::{ApiError, Error};

/// What to do about a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The API asked us to slow down (429, 971, 1134), maybe saying for how long.
    RateLimited(Option<Duration>),
    /// The API refused the chunk as too large.
    TooManyItems,
    /// Every later request would fail the same way: stop sending.
    Fatal,
    /// This chunk failed; others may still succeed.
    Failed,
}

/// How a "too many items in this request" refusal is recognised.
///
/// Cloudflare does not document the error code, so this is a guess: any of the configured
/// codes; or HTTP 413; or HTTP 400 whose message speaks of a count limit ("too many", "more
/// than", "exceed", "maximum", "at most", "limit"). A false positive costs a few extra
/// requests (the chunk is halved down to single items, which then fail with the API's error);
/// a false negative fails the chunk's items with the API's error. Neither loses an item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OversizeRule {
    pub codes: Vec<i64>,
}

/// "Purge by URL is not allowed for this environment".
const URL_PURGE_NOT_ALLOWED: i64 = 1136;

const COUNT_LIMIT_WORDS: [&str; 6] = ["too many", "more than", "exceed", "maximum", "at most", "limit"];

impl OversizeRule {
    fn matches(&self, e: &ApiError) -> bool {
        if self.codes.iter().any(|&code| e.has_code(code)) || e.status == 413 {
            return true;
        }
        e.status == 400
            && e.errors.iter().any(|m| {
                let text = m.message.to_ascii_lowercase();
                COUNT_LIMIT_WORDS.iter().any(|w| text.contains(w))
            })
    }
}

pub(crate) fn classify(error: &Error, oversize: &OversizeRule) -> Verdict {
    match error {
        Error::RateLimited(limit) => Verdict::RateLimited(limit.retry_after),
        // The environment does not take purges by URL: true of every later URL chunk, and
        // going on would spend the account's budget on nothing.
        Error::Api(api) if api.has_code(URL_PURGE_NOT_ALLOWED) => Verdict::Fatal,
        Error::Api(api) if oversize.matches(api) => Verdict::TooManyItems,
        // Bad credentials or missing permissions: true of every request of the run.
        Error::Api(api) if matches!(api.status, 401 | 403) => Verdict::Fatal,
        // Items are checked before they are chunked, so a refusal before sending is about
        // the target (a malformed zone or environment id), which every request shares.
        Error::InvalidRequest(refused) if !refused.field.starts_with("body") => Verdict::Fatal,
        // The base URL answers with redirects: so will it for every request.
        Error::Redirected(_) => Verdict::Fatal,
        _ => Verdict::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cf_cache_client::{ApiMessage, InvalidRequest, RateLimited};

    fn api(status: u16, code: i64, message: &str) -> Error {
        Error::Api(ApiError {
            status,
            errors: vec![ApiMessage {
                code,
                message: message.into(),
                documentation_url: None,
                source: None,
            }],
            messages: Vec::new(),
            ray_id: None,
            body_snippet: None,
            rate_limit: Box::default(),
        })
    }

    #[test]
    fn rate_limits_carry_the_requested_wait() {
        let limited = Error::RateLimited(RateLimited {
            status: 429,
            retry_after: Some(Duration::from_secs(3)),
            errors: Vec::new(),
            ray_id: None,
            rate_limit: Box::default(),
        });
        assert_eq!(
            classify(&limited, &OversizeRule::default()),
            Verdict::RateLimited(Some(Duration::from_secs(3)))
        );
    }

    #[test]
    fn count_limit_refusals_are_recognised_by_status_message_or_configured_code() {
        let rule = OversizeRule { codes: vec![1234] };
        for e in [
            api(400, 1000, "Too many files in request"),
            api(400, 1000, "You may purge at most 30 URLs"),
            api(400, 1000, "Request exceeds the maximum of 100 items"),
            api(413, 1000, "Payload Too Large"),
            api(422, 1234, "anything"),
        ] {
            assert_eq!(classify(&e, &rule), Verdict::TooManyItems, "{e}");
        }
        for e in [
            api(400, 1000, "Invalid url"),
            api(500, 1000, "too many requests in flight"),
        ] {
            assert_eq!(classify(&e, &rule), Verdict::Failed, "{e}");
        }
    }

    #[test]
    fn auth_failures_refused_targets_and_1136_stop_the_run_but_body_refusals_do_not() {
        let rule = OversizeRule::default();
        assert_eq!(
            classify(&api(403, 10000, "Authentication error"), &rule),
            Verdict::Fatal
        );
        assert_eq!(classify(&api(401, 10000, "Unauthorized"), &rule), Verdict::Fatal);
        let no_urls_here = api(400, 1136, "Purge by URL is not supported for this environment");
        assert_eq!(classify(&no_urls_here, &rule), Verdict::Fatal);
        let refused = |field: &str| {
            Error::InvalidRequest(InvalidRequest {
                field: field.into(),
                reason: "bad".into(),
            })
        };
        assert_eq!(classify(&refused("zone_id"), &rule), Verdict::Fatal);
        assert_eq!(classify(&refused("body.files[2]"), &rule), Verdict::Failed);
    }
}
