//! cf-cache-ext against hand-written loops, same loopback server, same process:
//!
//! - purge batching: 100,000 URLs through `PurgeBatcher` (Free plan chunks of 30, 4 in
//!   flight, pacing off) vs a tokio + reqwest loop sending the same chunks 4 at a time. Wall
//!   time (median of `RUNS`, alternating) and request count, which must be ceil(N / 30).
//! - peak memory: 1,000,000 URLs streamed from an iterator, each variant in a fresh process
//!   (this binary re-run with `--rss`), against the same process doing no purging.
//! - pagination: 3,500 origin region mappings, 100 per page, from a server that takes 20 ms
//!   per request: requests (must be 35) and wall time with and without read-ahead, with a
//!   caller that does nothing per page and one that spends 10 ms on each.
//!
//! A plain `main` rather than criterion: each scenario takes a second or more and says what
//! it has to say in a few runs.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cf_cache_benches::baseline::Baseline;
use cf_cache_benches::server::{Handler, Server, fixed};
use cf_cache_benches::{PURGE_ENVELOPE, TOKEN, ZONE, load_average, peak_rss_kib, sdk_client};
use cf_cache_ext::batch::{Plan, PurgeBatcher, PurgeItem, PurgeTarget};
use cf_cache_ext::pagination::origin_cloud_regions;
use futures::{StreamExt, TryStreamExt, stream};
use hyper::StatusCode;

const RUNS: usize = 3;
/// A batch run takes a fraction of a second, so more of them steady the median.
const BATCH_RUNS: usize = 9;
const BATCH_URLS: usize = 100_000;
const RSS_URLS: usize = 1_000_000;
const CHUNK: usize = 30;
const CONCURRENCY: usize = 4;
const MAPPINGS: usize = 3_500;
const PER_PAGE: i64 = 100;
const LATENCY: Duration = Duration::from_millis(20);
const PAGE_WORK: Duration = Duration::from_millis(10);

fn url(i: usize) -> String {
    format!("https://www.example.com/assets/{i:07}/app.js")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn batcher(base: &str) -> PurgeBatcher {
    PurgeBatcher::builder(sdk_client(base), PurgeTarget::PurgeZone { zone_id: ZONE.into() })
        .plan(Plan::Free)
        .concurrency(CONCURRENCY)
        .pacing(false)
        .build()
        .expect("batcher settings are valid")
}

/// Purges `n` URLs with the batcher; returns the number it reports as succeeded.
async fn purge_with_batcher(base: &str, n: usize) -> u64 {
    let batcher = batcher(base);
    assert_eq!(batcher.urls_per_request(), CHUNK, "the Free plan's chunk");
    let items = stream::iter((0..n).map(|i| PurgeItem::Url(url(i))));
    let stats = batcher.run_with(items, drop).await;
    stats.succeeded
}

/// The same work by hand: chunks of 30 from the iterator, 4 requests in flight.
async fn purge_by_hand(base: &str, n: usize) -> u64 {
    let raw = Baseline::new(base, TOKEN);
    stream::iter((0..n).map(url))
        .chunks(CHUNK)
        .map(|chunk| {
            let raw = &raw;
            async move {
                raw.purge_files(ZONE, &chunk).await.expect("purge accepted");
                chunk.len() as u64
            }
        })
        .buffer_unordered(CONCURRENCY)
        .fold(0, |done, n| async move { done + n })
        .await
}

fn batch_wall() {
    println!(
        "\n== purge batching: {BATCH_URLS} URLs, chunks of {CHUNK}, {CONCURRENCY} in flight, pacing off"
    );
    let expected = BATCH_URLS.div_ceil(CHUNK) as u64;
    let rt = runtime();
    let mut sdk = Vec::new();
    let mut raw = Vec::new();
    for _ in 0..BATCH_RUNS {
        for by_hand in [false, true] {
            let server = Server::start(fixed(PURGE_ENVELOPE));
            let started = Instant::now();
            let done = rt.block_on(async {
                if by_hand {
                    purge_by_hand(server.url(), BATCH_URLS).await
                } else {
                    purge_with_batcher(server.url(), BATCH_URLS).await
                }
            });
            let wall = started.elapsed();
            assert_eq!(done, BATCH_URLS as u64, "every URL purged");
            assert_eq!(server.requests(), expected, "requests = ceil(N / chunk)");
            if by_hand { &mut raw } else { &mut sdk }.push(wall);
        }
    }
    report_pair("wall", &mut sdk, &mut raw);
    println!("requests: {expected} each (= ceil({BATCH_URLS} / {CHUNK}), checked on every run)");
}

/// Prints the medians of `sdk` and `raw` and their ratio.
fn report_pair(what: &str, sdk: &mut [Duration], raw: &mut [Duration]) {
    sdk.sort();
    raw.sort();
    let (s, r) = (sdk[sdk.len() / 2], raw[raw.len() / 2]);
    let load = load_average().map_or("?".into(), |l| format!("{l:.2}"));
    println!(
        "{what}: cf-cache-ext {:.1} ms, by hand {:.1} ms, ratio {:.3}x (median of {}; load {load})",
        s.as_secs_f64() * 1e3,
        r.as_secs_f64() * 1e3,
        s.as_secs_f64() / r.as_secs_f64(),
        sdk.len(),
    );
}

/// Runs in a child process: purges `urls` URLs the `how` way and prints `VmHWM` in KiB. Also
/// the way to profile one side alone: `ext --rss sdk 100000` under callgrind or perf.
fn rss_child(how: &str, urls: usize) {
    let rt = runtime();
    let server = Server::start(fixed(PURGE_ENVELOPE));
    let done = rt.block_on(async {
        match how {
            "sdk" => purge_with_batcher(server.url(), urls).await,
            "baseline" => purge_by_hand(server.url(), urls).await,
            // The floor: runtime, server and both clients built, nothing purged.
            _ => {
                drop((batcher(server.url()), Baseline::new(server.url(), TOKEN)));
                0
            }
        }
    });
    println!("{done} {}", peak_rss_kib().unwrap_or(0));
}

fn batch_memory() {
    println!("\n== peak memory: {RSS_URLS} URLs streamed from an iterator (VmHWM of a fresh process)");
    let exe = std::env::current_exe().expect("own path");
    let peak = |how: &str| -> (u64, u64) {
        let out = Command::new(&exe)
            .args(["--rss", how])
            .output()
            .expect("run the child");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().unwrap_or(0));
        (fields.next().unwrap_or(0), fields.next().unwrap_or(0))
    };
    let (_, floor) = peak("floor");
    let (sdk_done, sdk) = peak("sdk");
    let (raw_done, raw) = peak("baseline");
    assert_eq!(
        (sdk_done, raw_done),
        (RSS_URLS as u64, RSS_URLS as u64),
        "every URL purged"
    );
    println!("process without purging: {:.1} MiB", floor as f64 / 1024.0);
    println!(
        "cf-cache-ext (run_with): {:.1} MiB peak ({:+.1} MiB over it); by hand: {:.1} MiB peak ({:+.1} MiB); ratio of peaks {:.3}x",
        sdk as f64 / 1024.0,
        (sdk as f64 - floor as f64) / 1024.0,
        raw as f64 / 1024.0,
        (raw as f64 - floor as f64) / 1024.0,
        sdk as f64 / raw as f64,
    );
}

/// `MAPPINGS` mappings, served `per_page` at a time with `result_info`.
fn mappings_handler() -> Handler {
    Arc::new(|parts, _| {
        let query = parts.uri.query().unwrap_or_default();
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                .and_then(|v| v.parse::<usize>().ok())
        };
        let page = param("page").unwrap_or(1).max(1);
        let per_page = param("per_page").unwrap_or(20).clamp(1, 100);
        let total_pages = MAPPINGS.div_ceil(per_page);
        let first = (page - 1) * per_page;
        let items: Vec<String> = (first..(first + per_page).min(MAPPINGS))
            .map(|i| {
                format!(
                    r#"{{"origin_ip":"10.0.{}.{}","region":"us-east-1","vendor":"aws","modified_on":"2026-03-01T12:00:00Z"}}"#,
                    i / 256,
                    i % 256
                )
            })
            .collect();
        let body = format!(
            r#"{{"success":true,"errors":[],"messages":[],"result":[{}],"result_info":{{"page":{page},"per_page":{per_page},"count":{},"total_count":{MAPPINGS},"total_pages":{total_pages}}}}}"#,
            items.join(","),
            items.len(),
        );
        (StatusCode::OK, Bytes::from(body))
    })
}

/// Pages through every mapping; `work` is slept after each page. Returns the item count.
async fn paginate_sdk(base: &str, read_ahead: bool, work: Duration) -> usize {
    let client = sdk_client(base);
    let mut pages = origin_cloud_regions(&client, ZONE)
        .per_page(PER_PAGE)
        .read_ahead(read_ahead)
        .build()
        .expect("valid paging");
    let mut items = 0;
    while let Some(page) = pages.try_next().await.expect("page fetched") {
        items += page.items.len();
        if !work.is_zero() {
            tokio::time::sleep(work).await;
        }
    }
    items
}

async fn paginate_by_hand(base: &str, work: Duration) -> usize {
    let raw = Baseline::new(base, TOKEN);
    let mut items = 0;
    let mut page = 1;
    loop {
        let (mappings, info) = raw
            .list_mappings(ZONE, page, PER_PAGE)
            .await
            .expect("page fetched");
        items += mappings.len();
        if !work.is_zero() {
            tokio::time::sleep(work).await;
        }
        let last = info
            .and_then(|i| i.page.zip(i.total_pages))
            .is_none_or(|(p, total)| p >= total);
        if last || mappings.is_empty() {
            return items;
        }
        page += 1;
    }
}

fn pagination() {
    println!(
        "\n== pagination: {MAPPINGS} mappings, {PER_PAGE} per page, {} ms per request",
        LATENCY.as_millis()
    );
    let rt = runtime();
    let expected = MAPPINGS.div_ceil(PER_PAGE as usize) as u64;
    for work in [Duration::ZERO, PAGE_WORK] {
        println!("caller's work per page: {} ms", work.as_millis());
        for (label, variant) in [
            ("by hand", 0),
            ("cf-cache-ext", 1),
            ("cf-cache-ext, read-ahead", 2),
        ] {
            let mut walls = Vec::new();
            for _ in 0..RUNS {
                let server = Server::start_with_delay(mappings_handler(), LATENCY);
                let started = Instant::now();
                let items = rt.block_on(async {
                    match variant {
                        0 => paginate_by_hand(server.url(), work).await,
                        v => paginate_sdk(server.url(), v == 2, work).await,
                    }
                });
                walls.push(started.elapsed());
                assert_eq!(items, MAPPINGS, "every mapping read");
                assert_eq!(server.requests(), expected, "{expected} requests");
            }
            walls.sort();
            println!(
                "  {label:<26} {expected} requests, {:>7.1} ms (median of {RUNS}; load {})",
                walls[RUNS / 2].as_secs_f64() * 1e3,
                load_average().map_or("?".into(), |l| format!("{l:.2}")),
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--rss") {
        let urls = args.get(at + 2).and_then(|n| n.parse().ok()).unwrap_or(RSS_URLS);
        rss_child(args.get(at + 1).map_or("floor", String::as_str), urls);
        return;
    }
    // `cargo bench --bench ext -- batch` (or `memory`, `pagination`) runs only those parts.
    let parts: Vec<&str> = args
        .iter()
        .skip(1)
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |part: &str| parts.is_empty() || parts.contains(&part);
    if want("batch") {
        batch_wall();
    }
    if want("memory") {
        batch_memory();
    }
    if want("pagination") {
        pagination();
    }
}
