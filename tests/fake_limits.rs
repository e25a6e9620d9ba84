//! The fake's limits over real HTTP, on its manual clock (5-minute windows pass in one call):
//! the API-wide sliding window and its block, the per-IP window, the purge buckets of each
//! plan, the `Ratelimit` headers and the `Retry-After` switches.

use std::time::Duration;

use cf_cache_client::types::PurgeRequest;
use cf_cache_fake::{Config, FakeCloudflare, Plan, RetryAfter, WindowLimit};
use cf_cache_tests::ZONE;
use cf_cache_tests::fake::{Raw, RawAnswer, client, start};
use serde_json::{Value, json};

const SECOND: Duration = Duration::from_secs(1);

fn variants() -> String {
    format!("/zones/{ZONE}/cache/variants")
}

fn purge() -> String {
    format!("/zones/{ZONE}/purge_cache")
}

fn tags() -> Value {
    json!({"tags": ["release"]})
}

fn urls(n: usize) -> Value {
    json!({"files": (0..n).map(|i| format!("https://www.example.com/{i}")).collect::<Vec<_>>()})
}

/// Only the API-wide window (no per-IP limit, which a manual clock trips at 200 requests).
fn api_only(limit: WindowLimit) -> Config {
    Config::new().ip_limit(None).api_limit(Some(limit))
}

async fn gets(raw: &Raw, n: usize) -> Vec<RawAnswer> {
    let mut answers = Vec::with_capacity(n);
    for _ in 0..n {
        answers.push(raw.call("GET", &variants(), None).await);
    }
    answers
}

fn statuses(answers: &[RawAnswer]) -> Vec<u16> {
    answers.iter().map(|a| a.status).collect()
}

#[tokio::test]
async fn the_api_wide_budget_admits_1200_at_once_then_blocks_for_five_minutes() {
    let fake = start(api_only(WindowLimit::API)).await;
    let raw = Raw::new(&fake);
    let burst = gets(&raw, 1_200).await;
    assert!(burst.iter().all(|a| a.status == 200));
    let over = raw.call("GET", &variants(), None).await;
    assert_eq!(
        (over.status, over.code(), over.header("retry-after")),
        (429, Some(971), Some("300"))
    );
    fake.advance(Duration::from_secs(299));
    let still = raw.call("GET", &variants(), None).await;
    assert_eq!((still.status, still.header("retry-after")), (429, Some("1")));
    fake.advance(SECOND);
    assert_eq!(raw.call("GET", &variants(), None).await.status, 200);
    assert_eq!(fake.rate_limited_with(971), 2);
}

#[tokio::test]
async fn the_window_slides_so_a_burst_may_use_what_it_has_left() {
    // 10 per 60 s: 6 at t=0, 4 at t=30 (full), then at t=60 the first 6 have left.
    let fake = start(api_only(WindowLimit {
        quota: 10,
        window: Duration::from_secs(60),
        block: Duration::ZERO,
    }))
    .await;
    let raw = Raw::new(&fake);
    assert_eq!(statuses(&gets(&raw, 6).await), [200; 6]);
    fake.advance(Duration::from_secs(30));
    assert_eq!(statuses(&gets(&raw, 5).await), [200, 200, 200, 200, 429]);
    fake.advance(Duration::from_secs(29));
    assert_eq!(raw.call("GET", &variants(), None).await.status, 429);
    fake.advance(SECOND);
    assert_eq!(
        statuses(&gets(&raw, 7).await),
        [200, 200, 200, 200, 200, 200, 429]
    );
}

#[tokio::test]
async fn every_answer_reports_the_quota_in_ratelimit_headers() {
    let fake = start(api_only(WindowLimit::API)).await;
    let raw = Raw::new(&fake);
    let first = raw.call("GET", &variants(), None).await;
    assert_eq!(first.header("ratelimit"), Some("\"default\";r=1199;t=300"));
    assert_eq!(first.header("ratelimit-policy"), Some("\"default\";q=1200;w=300"));
    fake.advance(Duration::from_secs(100));
    let failed = raw
        .call("GET", &format!("/zones/{ZONE}/cache/cache_reserve_clear"), None)
        .await;
    assert_eq!(failed.code(), Some(1142));
    assert_eq!(failed.header("ratelimit"), Some("\"default\";r=1198;t=200"));
    assert_eq!(failed.header("retry-after"), None);
}

#[tokio::test]
async fn the_per_ip_limit_is_200_a_second() {
    let fake = start(Config::new()).await;
    let raw = Raw::new(&fake);
    assert!(gets(&raw, 200).await.iter().all(|a| a.status == 200));
    let over = raw.call("GET", &variants(), None).await;
    assert_eq!((over.status, over.code()), (429, Some(971)));
}

#[tokio::test]
async fn retry_after_on_971_can_be_switched_off() {
    let config = api_only(WindowLimit {
        quota: 1,
        ..WindowLimit::API
    })
    .retry_after(RetryAfter {
        global: false,
        purge: true,
    });
    let fake = start(config).await;
    let raw = Raw::new(&fake);
    gets(&raw, 1).await;
    let over = raw.call("GET", &variants(), None).await;
    assert_eq!(
        (over.status, over.code(), over.header("retry-after")),
        (429, Some(971), None)
    );
}

/// (plan, bulk requests the bucket holds, wait for the next one)
const BULK: [(Plan, usize, u64); 4] = [
    (Plan::Free, 25, 12_000),
    (Plan::Pro, 25, 200),
    (Plan::Business, 50, 100),
    (Plan::Enterprise, 500, 20),
];

#[tokio::test]
async fn each_plans_bulk_bucket_holds_its_size_and_refills_at_its_rate() {
    for (plan, size, refill_ms) in BULK {
        let fake = start(Config::new().plan(plan).ip_limit(None)).await;
        let raw = Raw::new(&fake);
        for i in 0..size {
            assert_eq!(
                raw.call("POST", &purge(), Some(&tags())).await.status,
                200,
                "{plan:?} #{i}"
            );
        }
        let empty = raw.call("POST", &purge(), Some(&tags())).await;
        let wait = refill_ms.div_ceil(1_000).to_string();
        assert_eq!(
            (empty.status, empty.code(), empty.header("retry-after")),
            (429, Some(1134), Some(wait.as_str())),
            "{plan:?}"
        );
        fake.advance(Duration::from_millis(refill_ms - 1));
        assert_eq!(
            raw.call("POST", &purge(), Some(&tags())).await.status,
            429,
            "{plan:?}"
        );
        fake.advance(Duration::from_millis(1));
        assert_eq!(
            raw.call("POST", &purge(), Some(&tags())).await.status,
            200,
            "{plan:?}"
        );
    }
}

#[tokio::test]
async fn the_free_url_bucket_is_800_a_second_in_requests_of_at_most_30() {
    let fake = start(Config::new().plan(Plan::Free).ip_limit(None)).await;
    let raw = Raw::new(&fake);
    assert_eq!(raw.call("POST", &purge(), Some(&urls(31))).await.status, 400);
    for _ in 0..26 {
        assert_eq!(raw.call("POST", &purge(), Some(&urls(30))).await.status, 200);
    }
    // 780 taken, 20 left: 30 more need 12.5 ms of refill.
    assert_eq!(fake.purge_tokens().1, 20);
    assert_eq!(
        raw.call("POST", &purge(), Some(&urls(30))).await.code(),
        Some(1134)
    );
    assert_eq!(raw.call("POST", &purge(), Some(&urls(20))).await.status, 200);
    fake.advance(Duration::from_micros(37_500));
    assert_eq!(raw.call("POST", &purge(), Some(&urls(30))).await.status, 200);
    assert_eq!(fake.purged().len(), 26 * 30 + 20 + 30);
}

#[tokio::test]
async fn purge_and_invalidate_share_one_bucket_across_zones() {
    let fake = start(Config::new().plan(Plan::Free).ip_limit(None)).await;
    let raw = Raw::new(&fake);
    let other_zone = "f".repeat(32);
    for i in 0..25 {
        let path = match i % 3 {
            0 => purge(),
            1 => format!("/zones/{ZONE}/invalidate_cache"),
            _ => format!("/zones/{other_zone}/environments/e1/purge_cache"),
        };
        assert_eq!(raw.call("POST", &path, Some(&tags())).await.status, 200);
    }
    let path = format!("/zones/{other_zone}/invalidate_cache");
    assert_eq!(raw.call("POST", &path, Some(&tags())).await.code(), Some(1134));
}

#[tokio::test]
async fn retry_after_on_1134_can_be_switched_off() {
    let config = Config::new().plan(Plan::Free).retry_after(RetryAfter {
        global: true,
        purge: false,
    });
    let fake = start(config).await;
    let raw = Raw::new(&fake);
    for _ in 0..25 {
        raw.call("POST", &purge(), Some(&tags())).await;
    }
    let empty = raw.call("POST", &purge(), Some(&tags())).await;
    assert_eq!(
        (empty.status, empty.code(), empty.header("retry-after")),
        (429, Some(1134), None)
    );
}

#[tokio::test]
async fn the_client_waits_out_a_1134_on_the_fakes_clock_and_succeeds() {
    let fake: FakeCloudflare = start(Config::new().plan(Plan::Free)).await;
    let client = client(&fake);
    let start = fake.clock().now();
    let body = PurgeRequest::Tags(vec!["release".into()]);
    for _ in 0..26 {
        if let Err(e) = client.purge_cache(ZONE, &body).await {
            panic!("every purge must end accepted: {e}");
        }
    }
    assert_eq!(fake.rate_limited_with(1134), 1);
    assert_eq!(fake.purged().len(), 26);
    // The client slept the 12 s the fake asked for, on the fake's clock.
    assert_eq!(
        fake.clock().now().duration_since(start).ok(),
        Some(Duration::from_secs(12))
    );
}
