//! 100,000 URLs through `PurgeBatcher` against a loopback server that misbehaves on purpose:
//! seeded random 429s (with and without `retry-after`) and 20% 5xx answers. Whatever happens,
//! the report must account for every URL exactly once, and what it calls succeeded must be
//! exactly what the server accepted. Waits run on a test clock, so nothing really sleeps.
//!
//! Prints its figures (requests, retries, resends, 429s, 5xx, wall and simulated time) on
//! stderr; `cargo test --release -p cf-cache-tests --test ext_purge_100k -- --nocapture`.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Instant;

use cf_cache_client::Clock;
use cf_cache_ext::batch::{ItemFailure, Plan, PurgeBatcher, PurgeItem, PurgeTarget};
use cf_cache_tests::batch::{Reply, scripted_server};
use cf_cache_tests::{TestClock, ZONE, client_with_clock};

const URLS: usize = 100_000;

fn url(i: usize) -> String {
    format!("https://www.example.com/assets/{i:06}/app.js")
}

/// 5% rate-limited (half of those with `retry-after: 1`), 20% server errors, the rest accepted.
fn flaky(rng: &Mutex<fastrand::Rng>) -> Reply {
    let mut rng = rng.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let roll = rng.f64();
    if roll < 0.05 {
        Reply::rate_limited(rng.bool().then_some(1))
    } else if roll < 0.25 {
        let status = [500, 502, 503, 504][rng.usize(..4)];
        Reply::failure(status, 1000, "upstream trouble")
    } else {
        Reply::purge_accepted()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_one_of_100k_urls_is_accounted_for_through_429s_and_5xx() {
    let rng = Mutex::new(fastrand::Rng::with_seed(0x5eed_cafe));
    let (server, log) = scripted_server(move |_, _| flaky(&rng)).await;
    let clock = TestClock::new();
    let started = clock.now();
    let batcher = match PurgeBatcher::builder(
        client_with_clock(&server, clock.clone()),
        PurgeTarget::PurgeZone { zone_id: ZONE.into() },
    )
    .plan(Plan::Free)
    .concurrency(8)
    .build()
    {
        Ok(batcher) => batcher,
        Err(e) => panic!("settings are valid: {e}"),
    };

    let wall = Instant::now();
    let report = batcher.run((0..URLS).map(|i| PurgeItem::Url(url(i)))).await;
    let wall = wall.elapsed();

    // Every URL exactly once.
    let succeeded: Vec<String> = report
        .succeeded
        .iter()
        .map(|item| match item {
            PurgeItem::Url(u) => u.clone(),
            other => panic!("only URLs went in, got {other:?}"),
        })
        .collect();
    let failed: Vec<String> = report
        .failed_items()
        .into_iter()
        .map(|item| match item {
            PurgeItem::Url(u) => u,
            other => panic!("only URLs went in, got {other:?}"),
        })
        .collect();
    let mut seen = HashSet::with_capacity(URLS);
    for u in succeeded.iter().chain(&failed) {
        assert!(seen.insert(u.as_str()), "{u} reported twice");
    }
    assert_eq!(seen.len(), URLS);
    assert!((0..URLS).all(|i| seen.contains(url(i).as_str())));

    // Succeeded is exactly what the server accepted; nothing it accepted is called failed.
    let exchanges = log.exchanges();
    let accepted: HashSet<String> = exchanges
        .iter()
        .filter(|e| e.status == 200)
        .flat_map(|e| e.strings("files"))
        .collect();
    let succeeded: HashSet<String> = succeeded.into_iter().collect();
    assert_eq!(succeeded, accepted);

    // Failures are requests that kept failing, with the server's error attached.
    for f in &report.failed {
        match &f.reason {
            ItemFailure::Request(e) => assert!(
                e.status().is_some_and(|s| s == 429 || s >= 500),
                "unexpected error {e}"
            ),
            other => panic!("unexpected reason {other}"),
        }
    }
    let stats = &report.stats;
    assert_eq!(
        (stats.items, stats.succeeded, stats.failed),
        (URLS as u64, succeeded.len() as u64, failed.len() as u64)
    );
    assert!(
        stats.resends > 0,
        "the seed produces rate limits that reach the batcher"
    );

    let requests = exchanges.len() as u64;
    let too_many = exchanges.iter().filter(|e| e.status == 429).count();
    let server_errors = exchanges.iter().filter(|e| e.status >= 500).count();
    let simulated = clock.now().duration_since(started).unwrap_or_default();
    eprintln!(
        "100k purge: {requests} HTTP requests ({} batcher calls, {} client retries, {} resends after 429), \
         {too_many} answered 429, {server_errors} answered 5xx; {} URLs succeeded, {} failed \
         ({} chunks); wall {:.2?}, simulated {:.0?} (pacing {:.0?}, rate-limit waits {:.0?})",
        stats.requests,
        requests - stats.requests,
        stats.resends,
        stats.succeeded,
        stats.failed,
        stats.failed / 30,
        wall,
        simulated,
        stats.pacing_wait,
        stats.rate_limit_wait,
    );
}
