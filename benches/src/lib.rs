//! Benchmarks of cf-cache against hand-written baselines. The library holds what the bench
//! targets share: a loopback server, the hand-written `reqwest` baseline, synthetic specs for
//! the generator, a CPU-time measurement for criterion and the fixtures of each scenario.
//!
//! `benches/run-all.sh` runs everything; `BENCHMARKS.md` at the workspace root has the figures.

pub mod baseline;
pub mod cpu;
pub mod server;
pub mod synth;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use cf_cache_client::Client;
use cf_cache_client::types::PurgeRequest;
use hyper::StatusCode;

use crate::baseline::Baseline;
use crate::server::{Handler, Server};

/// The API token both clients send.
pub const TOKEN: &str = "bench-token-0123456789abcdef";
/// A zone id in Cloudflare's format.
pub const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";
/// URLs per purge request in the per-call benchmark.
pub const PURGE_URLS: usize = 30;

/// The envelope the server returns for a purge.
pub const PURGE_ENVELOPE: &[u8] =
    br#"{"success":true,"errors":[],"messages":[],"result":{"id":"023e105f4ecef8ad9ca31a8372d0c353"}}"#;
/// The envelope the server returns for the Cache Reserve setting.
pub const RESERVE_ENVELOPE: &[u8] = br#"{"success":true,"errors":[],"messages":[],"result":{"id":"cache_reserve","editable":true,"value":"off","modified_on":"2026-03-01T12:00:00Z"}}"#;

/// `n` distinct purge URLs, numbered from `first`.
pub fn urls(first: usize, n: usize) -> Vec<String> {
    (first..first + n)
        .map(|i| format!("https://www.example.com/assets/{i}/styles.css"))
        .collect()
}

/// The SDK client as an application would build it (API token, default retries), pointed at
/// `base`.
pub fn sdk_client(base: &str) -> Client {
    Client::builder()
        .api_token(TOKEN)
        .base_url(base)
        .build()
        .expect("client configuration is valid")
}

/// The handler of the per-call scenario: the purge envelope for purges, the setting otherwise.
pub fn per_call_handler() -> Handler {
    let purge = Bytes::from_static(PURGE_ENVELOPE);
    let reserve = Bytes::from_static(RESERVE_ENVELOPE);
    Arc::new(move |parts, _| {
        let body = if parts.uri.path().ends_with("/purge_cache") {
            purge.clone()
        } else {
            reserve.clone()
        };
        (StatusCode::OK, body)
    })
}

/// One request as the server saw it: method, path and query, headers (sorted), body.
pub type SeenRequest = (String, String, Vec<(String, String)>, Bytes);

/// Sends one purge and one settings read through each client to a recording server and
/// returns an error describing any difference between what the two sent. The per-call
/// benchmarks run this first: their comparison only means something if the requests match.
pub async fn check_identical_requests() -> Result<(), String> {
    let seen: Arc<Mutex<Vec<SeenRequest>>> = Arc::default();
    let record = Arc::clone(&seen);
    let answer = per_call_handler();
    let server = Server::start(Arc::new(move |parts, body| {
        let mut headers: Vec<(String, String)> = parts
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        headers.sort();
        let target = parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default();
        if let Ok(mut seen) = record.lock() {
            seen.push((parts.method.to_string(), target, headers, body.clone()));
        }
        answer(parts, body)
    }));
    let sdk = sdk_client(server.url());
    let raw = Baseline::new(server.url(), TOKEN);
    let files = urls(0, PURGE_URLS);
    sdk.purge_cache(ZONE, &PurgeRequest::Files(files.clone()))
        .await
        .map_err(|e| format!("SDK purge failed: {e}"))?;
    raw.purge_files(ZONE, &files)
        .await
        .map_err(|e| format!("baseline purge failed: {e:?}"))?;
    sdk.get_cache_reserve(ZONE)
        .await
        .map_err(|e| format!("SDK read failed: {e}"))?;
    raw.get_cache_reserve(ZONE)
        .await
        .map_err(|e| format!("baseline read failed: {e:?}"))?;
    let seen = seen.lock().map_err(|_| "recording poisoned")?.clone();
    let [sdk_purge, raw_purge, sdk_get, raw_get] = seen.as_slice() else {
        return Err(format!("expected 4 requests, the server saw {}", seen.len()));
    };
    for (what, sdk, raw) in [("purge", sdk_purge, raw_purge), ("read", sdk_get, raw_get)] {
        if sdk != raw {
            return Err(format!(
                "the {what} requests differ:\n  SDK:      {sdk:?}\n  baseline: {raw:?}"
            ));
        }
    }
    Ok(())
}

/// Peak resident set size of this process so far (`VmHWM`), in KiB; `None` off Linux.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The 1-minute load average, for labelling timings taken on a shared machine.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
