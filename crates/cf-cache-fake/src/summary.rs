//! The record as one JSON document, for code that cannot call [`FakeCloudflare`]'s methods: a
//! client in another language or process, which gets it from the standalone binary's
//! `--report FILE` when the binary stops.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::FakeCloudflare;
use crate::record::PurgedKind;

impl FakeCloudflare {
    /// What the fake saw so far, as JSON:
    ///
    /// ```json
    /// {"requests": 667, "status": {"200": 667}, "rate_limited": 0,
    ///  "rate_limited_by_code": {}, "span_secs": 23.98,
    ///  "purged": {"items": 20000, "distinct": 20000, "more_than_once": 0,
    ///             "urls": ["https://www.example.com/a", ...]}}
    /// ```
    ///
    /// `status` counts answers by HTTP status (0: a dropped connection), `rate_limited_by_code`
    /// counts the 429s by error code (971 the API-wide or per-IP limit, 1134 a purge bucket),
    /// `span_secs` is the time from the first request's arrival to the last one's, and
    /// `purged.urls` lists every distinct URL an accepted purge or invalidate carried, sorted
    /// (`more_than_once` counts the items of any kind accepted more than once).
    pub fn report(&self) -> Value {
        let requests = self.requests();
        let mut status: BTreeMap<String, usize> = BTreeMap::new();
        let mut by_code: BTreeMap<String, usize> = BTreeMap::new();
        for request in &requests {
            *status.entry(request.status.to_string()).or_default() += 1;
            if request.status == 429 {
                for code in &request.error_codes {
                    *by_code.entry(code.to_string()).or_default() += 1;
                }
            }
        }
        let span = match (requests.first(), requests.last()) {
            (Some(first), Some(last)) => secs_between(first.at, last.at),
            _ => 0.0,
        };
        let purged = self.purged();
        let mut counts: HashMap<&PurgedKind, usize> = HashMap::new();
        for item in &purged {
            *counts.entry(&item.item).or_default() += 1;
        }
        let urls: BTreeSet<&str> = counts
            .keys()
            .filter_map(|kind| match kind {
                PurgedKind::Url { url, .. } => Some(url.as_str()),
                _ => None,
            })
            .collect();
        json!({
            "requests": requests.len(),
            "status": status,
            "rate_limited": requests.iter().filter(|r| r.status == 429).count(),
            "rate_limited_by_code": by_code,
            "span_secs": span,
            "purged": {
                "items": purged.len(),
                "distinct": counts.len(),
                "more_than_once": counts.values().filter(|&&n| n > 1).count(),
                "urls": urls,
            },
        })
    }
}

fn secs_between(from: SystemTime, to: SystemTime) -> f64 {
    to.duration_since(from).map_or(0.0, |d| d.as_secs_f64())
}
