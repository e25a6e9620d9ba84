//! What an answer's headers say about the server's own count of the budget, in both forms
//! Cloudflare has sent:
//!
//! - the IETF draft form: `Ratelimit: "default";r=50;t=30` (50 requests left, the window
//!   resets in 30 s; a list, one item per policy) and `Ratelimit-Policy: "default";q=1200;w=300`
//!   (a quota of 1,200 per 300 s);
//! - the older `X-RateLimit-Limit`, `X-RateLimit-Remaining` and, on a 429,
//!   `X-RateLimit-Reset` (an HTTP date);
//!
//! plus, on a 429, the wait it asks for (`Retry-After`, read by the client). Anything that
//! does not parse is ignored: these headers only ever tighten the pacing, so a header we
//! cannot read leaves it as it was.

use std::time::{Duration, SystemTime};

/// What one answer said. Times are relative to when it was read (`now` in [`ServerView::read`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ServerView {
    /// The tightest of the policies' remaining counts, with the time until its window resets
    /// (`None`: the header did not say; the caller assumes a whole window).
    pub remaining: Option<(u32, Option<Duration>)>,
    /// Quotas per window length, as `Ratelimit-Policy` (or `X-RateLimit-Limit`, window
    /// unknown) states them.
    pub quotas: Vec<(u32, Option<Duration>)>,
    /// How long the server asked to hold off (on a 429 only).
    pub hold: Option<Duration>,
}

impl ServerView {
    /// Reads an answer of `status` whose headers `values(name)` gives and which asks for a
    /// wait of `retry_after`, at wall time `now` (for HTTP dates).
    pub(crate) fn read<'a, I>(
        status: u16,
        values: impl Fn(&str) -> I,
        retry_after: Option<Duration>,
        now: SystemTime,
    ) -> Self
    where
        I: Iterator<Item = &'a str>,
    {
        let mut view = Self::default();
        for params in values("ratelimit").flat_map(list_items) {
            if let Some(r) = param(&params, "r") {
                let reset = param(&params, "t").map(secs);
                view.tighten(r, reset);
            }
        }
        for params in values("ratelimit-policy").flat_map(list_items) {
            if let Some(q) = param(&params, "q") {
                view.quotas.push((q, param(&params, "w").map(secs)));
            }
        }
        if let Some(remaining) = values("x-ratelimit-remaining").find_map(number) {
            view.tighten(remaining, None);
        }
        if let Some(limit) = values("x-ratelimit-limit").find_map(number) {
            view.quotas.push((limit, None));
        }
        if status == 429 {
            let reset = values("x-ratelimit-reset").find_map(|v| {
                let at = httpdate::parse_http_date(v.trim()).ok()?;
                Some(at.duration_since(now).unwrap_or(Duration::ZERO))
            });
            view.hold = retry_after.max(reset);
        }
        view
    }

    fn tighten(&mut self, remaining: u32, reset: Option<Duration>) {
        if self.remaining.is_none_or(|(r, _)| remaining < r) {
            self.remaining = Some((remaining, reset));
        }
    }
}

/// The parameters of each item of a structured-field list (`"a";x=1;y=2, b;z=3`). Names
/// are not needed: every policy the server names is a limit this token is under. Quoted
/// names may hold `,` or `;`.
fn list_items(header: &str) -> Vec<Vec<(&str, &str)>> {
    split_outside_quotes(header, ',')
        .into_iter()
        .map(|item| {
            split_outside_quotes(item, ';')
                .into_iter()
                .skip(1)
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.trim(), v.trim()))
                .collect()
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

    fn at() -> SystemTime {
        // Sun, 06 Nov 1994 08:49:37 GMT
        SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    fn read(status: u16, headers: &[(&str, &str)]) -> ServerView {
        read_asking(status, headers, None)
    }

    fn read_asking(status: u16, headers: &[(&str, &str)], retry_after: Option<Duration>) -> ServerView {
        let values = |name: &str| {
            let name = name.to_string();
            headers
                .iter()
                .filter(move |(n, _)| n.eq_ignore_ascii_case(&name))
                .map(|(_, v)| *v)
                .collect::<Vec<_>>()
                .into_iter()
        };
        ServerView::read(status, values, retry_after, at())
    }

    #[test]
    fn the_draft_form_gives_the_remaining_count_its_reset_and_the_quota() {
        let view = read(
            200,
            &[
                ("Ratelimit", "\"default\";r=50;t=30"),
                ("Ratelimit-Policy", "\"default\";q=1200;w=300"),
            ],
        );
        assert_eq!(view.remaining, Some((50, Some(Duration::from_secs(30)))));
        assert_eq!(view.quotas, [(1200, Some(Duration::from_secs(300)))]);
        assert_eq!(view.hold, None);
    }

    #[test]
    fn of_several_policies_the_tightest_remaining_count_is_kept() {
        let view = read(
            200,
            &[
                ("ratelimit", "\"burst\";r=90;t=10, \"default\";r=7;t=200"),
                ("ratelimit", "\"quoted, odd;name\";r=12;t=1"),
                (
                    "ratelimit-policy",
                    "\"burst\";q=100;w=60, \"default\";q=1200;w=300",
                ),
            ],
        );
        assert_eq!(view.remaining, Some((7, Some(Duration::from_secs(200)))));
        assert_eq!(
            view.quotas,
            [
                (100, Some(Duration::from_secs(60))),
                (1200, Some(Duration::from_secs(300)))
            ]
        );
    }

    #[test]
    fn the_older_x_ratelimit_form_is_read_too() {
        let view = read(
            429,
            &[
                ("X-RateLimit-Limit", "1200"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "Sun, 06 Nov 1994 08:54:37 GMT"),
            ],
        );
        assert_eq!(view.remaining, Some((0, None)));
        assert_eq!(view.quotas, [(1200, None)]);
        assert_eq!(view.hold, Some(Duration::from_secs(300)));
    }

    #[test]
    fn a_429_holds_off_for_the_longest_wait_it_names() {
        let reset = [("X-RateLimit-Reset", "Sun, 06 Nov 1994 08:50:37 GMT")];
        let asked = Some(Duration::from_secs(300));
        assert_eq!(read_asking(429, &reset, asked).hold, asked);
        assert_eq!(
            read_asking(429, &reset, Some(Duration::from_secs(5))).hold,
            Some(Duration::from_secs(60))
        );
        // Only a refusal asks to hold off: a success's stray retry-after does not.
        assert_eq!(read_asking(200, &reset, asked).hold, None);
    }

    #[test]
    fn what_does_not_parse_is_ignored() {
        let view = read(
            429,
            &[
                ("ratelimit", "\"default\";r=-1;t=abc, garbage, ;;;, \"x\";t=5"),
                ("ratelimit-policy", "\"default\";w=300"),
                ("x-ratelimit-remaining", "many"),
                ("x-ratelimit-reset", "yesterday"),
            ],
        );
        assert_eq!(view, ServerView::default());
        let huge = read(200, &[("ratelimit", "\"default\";r=99999999999;t=1")]);
        assert_eq!(huge.remaining, Some((u32::MAX, Some(Duration::from_secs(1)))));
    }
}
