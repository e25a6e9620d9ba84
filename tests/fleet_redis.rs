//! Several "processes" (each its own `Fleet`: its own Redis connection and slot names, its own
//! test clock) sharing one account's budget through a real `redis-server`: the request window,
//! the plan's bucket and a hold-off after a 429 all bind across them; with Redis unreachable a
//! fleet paces alone or fails, as configured, and loses no item.
//!
//! Needs the `redis` feature: `cargo test -p cf-cache-tests --features redis --test fleet_redis`
//! (run by `.ci/run`). Redis times the limits on its own clock, so the waits asked for here are
//! real-time figures less the few milliseconds the test took: they are checked within bounds.

use std::sync::Arc;
use std::time::Duration;

use cf_cache_ext::batch::{
    API_REQUEST_LIMIT, BatchReport, Fleet, FleetUnavailable, ItemFailure, Pacer, Plan, PurgeBatcher,
    PurgeItem, PurgeTarget, WindowLimit,
};
use cf_cache_tests::batch::{Reply, late_first_answer, scripted_server};
use cf_cache_tests::redis::{RedisServer, free_port};
use cf_cache_tests::{TestClock, ZONE, client_with_clock};
use wiremock::MockServer;

const ACCOUNT: &str = "01a7362d577a6c3019a474fd6f485823";

/// Slack allowed for the real time a test takes between two calls to Redis.
const SLACK: Duration = Duration::from_secs(5);

fn tags(n: usize) -> Vec<PurgeItem> {
    (0..n).map(|i| PurgeItem::Tag(format!("tag-{i}"))).collect()
}

async fn fleet(url: &str) -> Fleet {
    match Fleet::connect(url, ACCOUNT).await {
        Ok(fleet) => fleet,
        Err(e) => panic!("the fleet must connect to {url}: {e}"),
    }
}

/// One process of the fleet: its own clock and pacer on `plan` with `budget`, one request at a time.
async fn process(
    clock: Arc<TestClock>,
    server: &MockServer,
    url: &str,
    plan: Plan,
    budget: WindowLimit,
    then: FleetUnavailable,
) -> (PurgeBatcher, Arc<TestClock>) {
    let pacer = Pacer::new(clock.clone())
        .with_plan(&plan.limits())
        .with_request_limit(budget)
        .with_fleet(fleet(url).await.when_unavailable(then));
    let batcher = PurgeBatcher::builder(
        client_with_clock(server, clock.clone()),
        PurgeTarget::PurgeZone { zone_id: ZONE.into() },
    )
    .plan(plan)
    .concurrency(1)
    .pacer(pacer)
    .build()
    .unwrap_or_else(|e| panic!("test settings must be valid: {e}"));
    (batcher, clock)
}

/// A process of the fleet with the whole API budget, failing when Redis is out of reach.
async fn member(server: &MockServer, url: &str, plan: Plan) -> (PurgeBatcher, Arc<TestClock>) {
    process(
        TestClock::new(),
        server,
        url,
        plan,
        API_REQUEST_LIMIT,
        FleetUnavailable::Fail,
    )
    .await
}

fn assert_within(waits: &[Duration], expected: &[Duration]) {
    assert_eq!(waits.len(), expected.len(), "{waits:?} vs {expected:?}");
    for (wait, expected) in waits.iter().zip(expected) {
        assert!(
            *wait <= *expected && *wait + SLACK > *expected,
            "{waits:?} vs {expected:?}"
        );
    }
}

fn complete(report: &BatchReport<PurgeItem>) {
    assert!(report.is_complete(), "{:?}", report.failed.first());
}

#[tokio::test]
async fn three_processes_share_one_request_window() {
    // 6 requests in any 5 minutes for the whole fleet: two processes take 2 each and the third
    // 2 more without waiting; its third request waits for the first slot to leave the window.
    let redis = RedisServer::start();
    let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let budget = WindowLimit::new(6, Duration::from_secs(300)).unwrap_or_else(|| panic!("non-zero"));
    let mut processes = Vec::new();
    for _ in 0..3 {
        processes.push(
            process(
                TestClock::new(),
                &server,
                &redis.url(),
                Plan::Enterprise,
                budget,
                FleetUnavailable::Fail,
            )
            .await,
        );
    }
    for (batcher, clock) in &processes {
        complete(&batcher.run(tags(200)).await);
        assert!(clock.sleeps().is_empty());
    }
    let (last, clock) = &processes[2];
    complete(&last.run(tags(100)).await);

    assert_eq!(log.exchanges().len(), 7);
    // Five minutes after the first answer, plus the 1 s safety margin.
    assert_within(&clock.sleeps(), &[Duration::from_secs(301)]);
}

#[tokio::test]
async fn three_processes_share_one_purge_bucket() {
    // Free: tag purges refill 5 a minute with a bucket of 25. One process empties the bucket
    // (its 25th request waits out the pacer's 100 ms send margin); the next two requests,
    // from two other processes, wait 12 s and 24 s more for tokens.
    let redis = RedisServer::start();
    let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let (first, first_clock) = member(&server, &redis.url(), Plan::Free).await;
    complete(&first.run(tags(2_500)).await);
    assert_within(&first_clock.sleeps(), &[Duration::from_millis(100)]);

    let (second, second_clock) = member(&server, &redis.url(), Plan::Free).await;
    let (third, third_clock) = member(&server, &redis.url(), Plan::Free).await;
    complete(&second.run(tags(100)).await);
    complete(&third.run(tags(100)).await);

    assert_eq!(log.exchanges().len(), 27);
    assert_within(&second_clock.sleeps(), &[Duration::from_millis(12_100)]);
    assert_within(&third_clock.sleeps(), &[Duration::from_millis(24_100)]);
}

#[tokio::test]
async fn a_burst_whose_first_answer_comes_late_starts_the_shared_bucket_later() {
    // As above, but the first request is answered 950 ms after it went (a new connection far
    // away): the bucket in Redis starts the 850 ms the send margin does not cover later, so
    // the 25th request waits them out as well as the margin. Without them it would wait at
    // most the margin (less the real time the run took, as Redis counts it).
    let redis = RedisServer::start();
    let clock = TestClock::new();
    let (server, log) = late_first_answer(&clock, Duration::from_millis(950)).await;
    let (first, first_clock) = process(
        clock,
        &server,
        &redis.url(),
        Plan::Free,
        API_REQUEST_LIMIT,
        FleetUnavailable::Fail,
    )
    .await;
    complete(&first.run(tags(2_500)).await);

    assert_eq!(log.exchanges().len(), 25);
    let sleeps = first_clock.sleeps();
    assert_within(&sleeps, &[Duration::from_millis(950)]);
    assert!(sleeps[0] > Duration::from_millis(100), "{sleeps:?}");
}

#[tokio::test]
async fn a_429_seen_by_one_process_holds_the_others_off() {
    let redis = RedisServer::start();
    let (server, log) = scripted_server(|n, _| match n {
        0 => Reply::failure(429, 971, "rate limited").header("retry-after", "300".into()),
        _ => Reply::purge_accepted(),
    })
    .await;
    let (refused, _) = member(&server, &redis.url(), Plan::Enterprise).await;
    complete(&refused.run(tags(100)).await);

    let (other, clock) = member(&server, &redis.url(), Plan::Enterprise).await;
    complete(&other.run(tags(100)).await);

    assert_eq!(log.exchanges().len(), 3);
    assert_within(&clock.sleeps(), &[Duration::from_secs(300)]);
}

#[tokio::test]
async fn with_redis_unreachable_a_fleet_set_to_pace_alone_paces_on_its_own_limits() {
    // Nothing listens on the port. The process's own budget (12 requests) still holds.
    let url = format!("redis://127.0.0.1:{}/", free_port());
    let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let budget = API_REQUEST_LIMIT
        .share(1)
        .unwrap_or_else(|| panic!("12 requests"));
    let (batcher, clock) = process(
        TestClock::new(),
        &server,
        &url,
        Plan::Enterprise,
        budget,
        FleetUnavailable::PaceAlone,
    )
    .await;
    let report = batcher.run(tags(1_300)).await;

    complete(&report);
    assert_eq!(report.succeeded.len(), 1_300);
    assert_eq!(log.exchanges().len(), 13);
    assert_eq!(clock.sleeps(), [Duration::from_nanos(301_000_000_001)]);
}

#[tokio::test]
async fn with_redis_unreachable_a_fleet_set_to_fail_sends_nothing_and_reports_every_item() {
    let url = format!("redis://127.0.0.1:{}/", free_port());
    let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let (batcher, _) = member(&server, &url, Plan::Free).await;
    let items = tags(250);
    let report = batcher.run(items.clone()).await;

    assert!(log.exchanges().is_empty());
    assert!(report.succeeded.is_empty());
    assert_eq!(report.failed.len(), 250);
    assert!(
        report
            .failed
            .iter()
            .all(|f| matches!(f.reason, ItemFailure::Unpaced(_)))
    );
    // Every item comes back, in input form, ready to run again.
    let mut back = report.into_failed_items();
    back.sort_by_key(|item| format!("{item:?}"));
    let mut sent = items;
    sent.sort_by_key(|item| format!("{item:?}"));
    assert_eq!(back, sent);
}

#[tokio::test]
async fn a_fleet_never_shows_its_redis_password() {
    let fleet = fleet("redis://:hunter2@127.0.0.1:6379/").await;
    let pacer = Pacer::new(TestClock::new()).with_fleet(fleet);
    assert!(!format!("{pacer:?}").contains("hunter2"), "{pacer:?}");
}

#[tokio::test]
async fn a_fleet_that_paced_alone_shares_the_budget_again_once_redis_is_back() {
    // Budget 2 for the fleet. The first process paces one request alone while Redis is down;
    // Redis comes back, and after the pause before it is tried again the process's next two
    // requests fill the shared window, so the second process's request waits for a slot.
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}/");
    let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let budget = WindowLimit::new(2, Duration::from_secs(300)).unwrap_or_else(|| panic!("non-zero"));
    let (first, first_clock) = process(
        TestClock::new(),
        &server,
        &url,
        Plan::Enterprise,
        budget,
        FleetUnavailable::PaceAlone,
    )
    .await;
    complete(&first.run(tags(100)).await);

    let _redis = RedisServer::start_on(port);
    first_clock.advance(Duration::from_secs(10));
    complete(&first.run(tags(200)).await);
    let (second, second_clock) = process(
        TestClock::new(),
        &server,
        &url,
        Plan::Enterprise,
        budget,
        FleetUnavailable::Fail,
    )
    .await;
    complete(&second.run(tags(100)).await);

    assert_eq!(log.exchanges().len(), 4);
    assert_within(&second_clock.sleeps(), &[Duration::from_secs(301)]);
}

#[tokio::test]
async fn what_the_server_told_one_process_is_left_binds_the_others() {
    // The first answer says one request is left for 60 s. The same process takes it; another
    // process then waits for the reset.
    let redis = RedisServer::start();
    let (server, log) = scripted_server(|n, _| match n {
        0 => Reply::purge_accepted().header("ratelimit", "\"default\";r=1;t=60".into()),
        _ => Reply::purge_accepted(),
    })
    .await;
    let (told, told_clock) = member(&server, &redis.url(), Plan::Enterprise).await;
    complete(&told.run(tags(200)).await);
    let (other, other_clock) = member(&server, &redis.url(), Plan::Enterprise).await;
    complete(&other.run(tags(100)).await);

    assert_eq!(log.exchanges().len(), 3);
    assert!(told_clock.sleeps().is_empty());
    assert_within(&other_clock.sleeps(), &[Duration::from_secs(60)]);
}
