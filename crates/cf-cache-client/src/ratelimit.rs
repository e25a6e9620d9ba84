//! The server's own count of the request budget, read from an answer's headers in both forms
//! Cloudflare has sent:
//!
//! - the IETF draft form: `Ratelimit: "default";r=50;t=30` (50 requests left, the window
//!   resets in 30 s; a list, one item per policy) and `Ratelimit-Policy: "default";q=1200;w=300`
//!   (a quota of 1,200 per 300 s);
//! - the older `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (an HTTP
//!   date).
//!
//! This is the one parse of these headers: [`ResponseMeta`](crate::ResponseMeta), the errors
//! and [`ObservedResponse`](crate::ObservedResponse) all read through it. Anything that does
//! not parse is left out, never guessed at.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName};

/// What an answer's rate-limit headers said; empty when it sent none (or none that parse).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// What is left of each policy's quota: the items of `Ratelimit`, then
    /// `X-RateLimit-Remaining` (with no policy name and no reset).
    pub remaining: Vec<Remaining>,
    /// Each policy's quota: the items of `Ratelimit-Policy`, then `X-RateLimit-Limit` (with no
    /// policy name and no window).
    pub quotas: Vec<Quota>,
    /// When the window resets, from `X-RateLimit-Reset` (an HTTP date).
    pub reset_at: Option<SystemTime>,
}

/// One policy's remaining count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remaining {
    /// The policy's name (`"default"` is sent as `default`), when the header names one.
    pub policy: Option<String>,
    /// Requests left in the window (`r`); a count past `u32::MAX` saturates.
    pub remaining: u32,
    /// Time until the window resets (`t`), when the header says.
    pub reset: Option<Duration>,
}

/// One policy's quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    /// The policy's name, when the header names one.
    pub policy: Option<String>,
    /// Requests allowed per window (`q`).
    pub quota: u32,
    /// The window's length (`w`), when the header says.
    pub window: Option<Duration>,
}

const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const X_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const X_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const X_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

impl RateLimit {
    /// Reads the rate-limit headers of `headers`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let values = |name: &HeaderName| headers.get_all(name).into_iter().filter_map(|v| v.to_str().ok());
        let mut out = Self::default();
        for (policy, params) in values(&RATELIMIT).flat_map(list_items) {
            if let Some(remaining) = param(&params, "r") {
                let reset = param(&params, "t").map(secs);
                out.remaining.push(Remaining {
                    policy,
                    remaining,
                    reset,
                });
            }
        }
        for (policy, params) in values(&RATELIMIT_POLICY).flat_map(list_items) {
            if let Some(quota) = param(&params, "q") {
                let window = param(&params, "w").map(secs);
                out.quotas.push(Quota {
                    policy,
                    quota,
                    window,
                });
            }
        }
        if let Some(remaining) = values(&X_REMAINING).find_map(number) {
            out.remaining.push(Remaining {
                policy: None,
                remaining,
                reset: None,
            });
        }
        if let Some(quota) = values(&X_LIMIT).find_map(number) {
            out.quotas.push(Quota {
                policy: None,
                quota,
                window: None,
            });
        }
        out.reset_at = values(&X_RESET).find_map(|v| httpdate::parse_http_date(v.trim()).ok());
        out
    }

    /// Whether the answer said nothing about the budget.
    pub fn is_empty(&self) -> bool {
        self.remaining.is_empty() && self.quotas.is_empty() && self.reset_at.is_none()
    }

    /// The policy with the fewest requests left (the first of equals), the one that binds.
    pub fn tightest(&self) -> Option<&Remaining> {
        self.remaining.iter().reduce(|tightest, r| {
            if r.remaining < tightest.remaining {
                r
            } else {
                tightest
            }
        })
    }
}

/// One item of a structured-field list: its name, when it has one, and its parameters.
type Item<'h> = (Option<String>, Vec<(&'h str, &'h str)>);

/// Each item of a structured-field list (`"a";x=1;y=2, b;z=3`). Quoted names may hold `,`
/// or `;`.
fn list_items(header: &str) -> Vec<Item<'_>> {
    split_outside_quotes(header, ',')
        .into_iter()
        .map(|item| {
            let mut parts = split_outside_quotes(item, ';').into_iter();
            let name = parts
                .next()
                .map(|n| n.trim().trim_matches('"'))
                .filter(|n| !n.is_empty())
                .map(str::to_string);
            let params = parts
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.trim(), v.trim()))
                .collect();
            (name, params)
        })
        .collect()
}

fn split_outside_quotes(s: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn param(params: &[(&str, &str)], key: &str) -> Option<u32> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| number(v))
}

fn secs(n: u32) -> Duration {
    Duration::from_secs(u64::from(n))
}

/// A non-negative integer; larger than `u32` saturates (a count that large binds nothing).
fn number(value: &str) -> Option<u32> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        value
            .parse::<u64>()
            .map_or(u32::MAX, |n| u32::try_from(n).unwrap_or(u32::MAX)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn read(headers: &[(&'static str, &'static str)]) -> RateLimit {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("valid name"),
                HeaderValue::from_static(value),
            );
        }
        RateLimit::from_headers(&map)
    }

    fn remaining(policy: Option<&str>, remaining: u32, reset: Option<u64>) -> Remaining {
        Remaining {
            policy: policy.map(str::to_string),
            remaining,
            reset: reset.map(Duration::from_secs),
        }
    }

    fn quota(policy: Option<&str>, quota: u32, window: Option<u64>) -> Quota {
        Quota {
            policy: policy.map(str::to_string),
            quota,
            window: window.map(Duration::from_secs),
        }
    }

    #[test]
    fn the_draft_form_gives_each_policy_its_count_reset_and_quota() {
        let limit = read(&[
            ("Ratelimit", "\"default\";r=50;t=30"),
            ("Ratelimit-Policy", "\"default\";q=1200;w=300"),
        ]);
        assert_eq!(limit.remaining, [remaining(Some("default"), 50, Some(30))]);
        assert_eq!(limit.quotas, [quota(Some("default"), 1200, Some(300))]);
        assert_eq!(limit.reset_at, None);
    }

    #[test]
    fn several_policies_are_all_read_and_the_tightest_is_the_smallest_count() {
        let limit = read(&[
            ("ratelimit", "\"burst\";r=90;t=10, \"default\";r=7;t=200"),
            ("ratelimit", "\"quoted, odd;name\";r=12;t=1"),
            (
                "ratelimit-policy",
                "\"burst\";q=100;w=60, \"default\";q=1200;w=300",
            ),
        ]);
        assert_eq!(
            limit.remaining,
            [
                remaining(Some("burst"), 90, Some(10)),
                remaining(Some("default"), 7, Some(200)),
                remaining(Some("quoted, odd;name"), 12, Some(1)),
            ]
        );
        assert_eq!(limit.tightest(), Some(&remaining(Some("default"), 7, Some(200))));
        assert_eq!(
            limit.quotas,
            [
                quota(Some("burst"), 100, Some(60)),
                quota(Some("default"), 1200, Some(300))
            ]
        );
    }

    #[test]
    fn the_older_x_ratelimit_form_is_read_too() {
        let limit = read(&[
            ("X-RateLimit-Limit", "1200"),
            ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", "Sun, 06 Nov 1994 08:54:37 GMT"),
        ]);
        assert_eq!(limit.remaining, [remaining(None, 0, None)]);
        assert_eq!(limit.quotas, [quota(None, 1200, None)]);
        assert_eq!(
            limit.reset_at,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(784_112_077))
        );
    }

    #[test]
    fn what_does_not_parse_is_left_out() {
        let limit = read(&[
            ("ratelimit", "\"default\";r=-1;t=abc, garbage, ;;;, \"x\";t=5"),
            ("ratelimit-policy", "\"default\";w=300"),
            ("x-ratelimit-remaining", "many"),
            ("x-ratelimit-reset", "yesterday"),
        ]);
        assert_eq!(limit, RateLimit::default());
        assert!(limit.is_empty());
        let huge = read(&[("ratelimit", "\"default\";r=99999999999;t=1")]);
        assert_eq!(huge.remaining, [remaining(Some("default"), u32::MAX, Some(1))]);
    }
}
