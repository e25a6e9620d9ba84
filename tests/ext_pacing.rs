//! The pacer against the API-wide budget over real HTTP on loopback, on a test clock: the
//! budget as a sliding window (a burst of what it has left, then a wait for the first slot to
//! leave it), the run's share of it, and the server's word (`Ratelimit`, retries the client
//! made on its own) correcting the local count.

use std::time::Duration;

use cf_cache_ext::ConfigError;
use cf_cache_ext::batch::{Plan, PurgeBatcher, PurgeBatcherBuilder, PurgeItem, PurgeTarget};
use cf_cache_tests::batch::{Reply, scripted_server};
use cf_cache_tests::{TestClock, ZONE, client_with_clock};

/// A slot leaves the window 5 minutes after its answer, plus the pacer's 1 s safety margin;
/// windows are closed at both ends, hence the nanosecond.
const SLOT_LIFE: Duration = Duration::from_nanos(301_000_000_001);

fn tags(n: usize) -> Vec<PurgeItem> {
    (0..n).map(|i| PurgeItem::Tag(format!("tag-{i}"))).collect()
}

/// Enterprise, so the tag bucket (500 at once) never binds: only the request budget does.
fn enterprise(server: &wiremock::MockServer, clock: &std::sync::Arc<TestClock>) -> PurgeBatcherBuilder {
    let client = client_with_clock(server, clock.clone());
    PurgeBatcher::builder(client, PurgeTarget::PurgeZone { zone_id: ZONE.into() }).plan(Plan::Enterprise)
}

fn build(builder: PurgeBatcherBuilder) -> PurgeBatcher {
    match builder.build() {
        Ok(batcher) => batcher,
        Err(e) => panic!("test settings must be valid: {e}"),
    }
}

#[tokio::test]
async fn a_run_within_the_budget_goes_at_once() {
    // 10 requests of a budget of 1,200: no spreading out.
    let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let clock = TestClock::new();
    let report = build(enterprise(&server, &clock)).run(tags(1_000)).await;

    assert!(report.is_complete());
    assert_eq!(log.exchanges().len(), 10);
    assert_eq!(clock.sleeps(), Vec::<Duration>::new());
}

#[tokio::test]
async fn past_its_share_a_run_waits_for_the_first_slot_to_leave_the_window() {
    // 1% of 1,200 is 12 requests in any 5 minutes: 12 go at once, the other 3 when the
    // first answers' slots expire (all answered at the same instant on this clock).
    for concurrency in [1, 4] {
        let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
        let clock = TestClock::new();
        let batcher = build(
            enterprise(&server, &clock)
                .request_budget_percent(1)
                .concurrency(concurrency),
        );
        let report = batcher.run(tags(1_500)).await;

        assert!(report.is_complete());
        assert_eq!(log.exchanges().len(), 15);
        assert_eq!(clock.sleeps(), [SLOT_LIFE], "concurrency {concurrency}");
        assert_eq!(report.stats.pacing_waits, 1);
    }
}

#[tokio::test]
async fn a_share_outside_1_to_100_percent_is_refused_before_any_request() {
    let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let clock = TestClock::new();
    for percent in [0, 101] {
        let refused = enterprise(&server, &clock)
            .request_budget_percent(percent)
            .build();
        assert_eq!(
            refused.err(),
            Some(ConfigError::InvalidSetting {
                setting: "request_budget_percent",
                value: percent.to_string(),
                allowed: "between 1 and 100".into(),
            })
        );
    }
    assert!(log.exchanges().is_empty());
}

#[tokio::test]
async fn what_the_server_says_is_left_holds_the_run_until_its_reset() {
    // Other clients of the token spent most of the budget: the first answer says 3 requests
    // are left until the count grows in 60 s. Three more go; the fifth waits, then asks, and
    // its answer says the window has room again.
    let (server, log) = scripted_server(|n, _| {
        let remaining = match n {
            0..=3 => 3 - n,
            _ => 1_000,
        };
        Reply::purge_accepted().header("ratelimit", format!("\"default\";r={remaining};t=60"))
    })
    .await;
    let clock = TestClock::new();
    let report = build(enterprise(&server, &clock).concurrency(1))
        .run(tags(1_000))
        .await;

    assert!(report.is_complete());
    assert_eq!(log.exchanges().len(), 10);
    assert_eq!(clock.sleeps(), [Duration::from_secs(60)]);
}

#[tokio::test]
async fn a_retry_the_client_makes_on_its_own_counts_against_the_budget() {
    // Budget 12. The first request is answered 503 and retried by the client after 1 s: two
    // requests reached the server. So 10 more fit, and the 12th chunk waits for a slot.
    let (server, log) = scripted_server(|n, _| match n {
        0 => Reply::failure(503, 10000, "try again").header("retry-after", "1".into()),
        _ => Reply::purge_accepted(),
    })
    .await;
    let clock = TestClock::new();
    let batcher = build(
        enterprise(&server, &clock)
            .request_budget_percent(1)
            .concurrency(1),
    );
    let report = batcher.run(tags(1_200)).await;

    assert!(report.is_complete());
    assert_eq!(log.exchanges().len(), 13);
    assert_eq!(clock.sleeps(), [Duration::from_secs(1), SLOT_LIFE]);
}
