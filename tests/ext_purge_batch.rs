//! `PurgeBatcher` over real HTTP on loopback: chunk sizes per plan and kind, validation before
//! sending, bounded concurrency, pacing on the plan's buckets (on a test clock), rate limits,
//! oversize refusals, failures that are reported and resumed, and the four target endpoints.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cf_cache_client::types::PurgeFileWithHeaders;
use cf_cache_client::{Client, ConfigError, Error, RetryPolicy};
use cf_cache_ext::batch::{
    BatchReport, BucketLimit, ItemFailure, Outcome, Pacer, Plan, PlanLimits, PurgeBatcher,
    PurgeBatcherBuilder, PurgeItem, PurgeTarget, Rate,
};
use cf_cache_tests::batch::{Exchange, GateServer, Reply, late_first_answer, scripted_server};
use cf_cache_tests::{TOKEN, TestClock, ZONE, client_with_clock};

const ENVIRONMENT: &str = "6b4a1d2f0c9e8d7b5a3f1e0d9c8b7a65";

fn zone() -> PurgeTarget {
    PurgeTarget::PurgeZone { zone_id: ZONE.into() }
}

fn url(i: usize) -> String {
    format!("https://www.example.com/page/{i}")
}

fn urls(n: usize) -> Vec<PurgeItem> {
    (0..n).map(|i| PurgeItem::Url(url(i))).collect()
}

fn tags(n: usize) -> Vec<PurgeItem> {
    (0..n).map(|i| PurgeItem::Tag(format!("tag-{i}"))).collect()
}

fn build(builder: PurgeBatcherBuilder) -> PurgeBatcher {
    match builder.build() {
        Ok(batcher) => batcher,
        Err(e) => panic!("test settings must be valid: {e}"),
    }
}

/// A batcher on `client` for the zone, one request at a time, pacing off unless changed.
fn serial(client: Client, plan: Plan) -> PurgeBatcherBuilder {
    PurgeBatcher::builder(client, zone())
        .plan(plan)
        .concurrency(1)
        .pacing(false)
}

/// Every item of the report, succeeded or failed, as text; panics on an item reported twice.
fn accounted(report: &BatchReport<PurgeItem>) -> HashSet<String> {
    let mut seen = HashSet::new();
    let all = report
        .succeeded
        .iter()
        .chain(report.failed.iter().map(|f| &f.item));
    for item in all {
        let text = format!("{item:?}");
        assert!(seen.insert(text.clone()), "{text} is reported twice");
    }
    seen
}

fn inputs(items: &[PurgeItem]) -> HashSet<String> {
    items.iter().map(|item| format!("{item:?}")).collect()
}

fn sizes(log: &[Exchange], key: &str) -> Vec<usize> {
    log.iter().map(|e| e.items(key)).collect()
}

fn elapsed(clock: &TestClock, start: std::time::SystemTime) -> Duration {
    use cf_cache_client::Clock;
    clock.now().duration_since(start).unwrap_or_default()
}

#[tokio::test]
async fn urls_are_cut_at_each_plans_per_request_maximum() {
    let cases: [(Plan, Option<usize>, usize, &[usize]); 4] = [
        (Plan::Free, None, 95, &[30, 30, 30, 5]),
        (Plan::Pro, Some(100), 250, &[100, 100, 50]),
        (Plan::Business, Some(45), 100, &[45, 45, 10]),
        (Plan::Enterprise, None, 1_200, &[500, 500, 200]),
    ];
    for (plan, per_request, n, expected) in cases {
        let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
        let mut builder = serial(client_with_clock(&server, TestClock::new()), plan);
        if let Some(per_request) = per_request {
            builder = builder.urls_per_request(per_request);
        }
        let items = urls(n);
        let report = build(builder).run(items.clone()).await;

        assert!(report.is_complete(), "{plan:?}: {:?}", report.failed.first());
        assert_eq!(sizes(&log.exchanges(), "files"), expected, "{plan:?}");
        let sent: Vec<String> = log.exchanges().iter().flat_map(|e| e.strings("files")).collect();
        assert_eq!(
            sent,
            (0..n).map(url).collect::<Vec<_>>(),
            "{plan:?}: each URL once, in order"
        );
        assert_eq!(accounted(&report), inputs(&items));
        assert_eq!(report.stats.requests, expected.len() as u64);
    }
}

#[tokio::test]
async fn tags_hosts_prefixes_and_urls_go_in_their_own_requests_at_their_own_limits() {
    let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let batcher = build(serial(client_with_clock(&server, TestClock::new()), Plan::Free));
    // Interleaved, as a real input would be.
    let mut items = Vec::new();
    for i in 0..250 {
        items.push(PurgeItem::Tag(format!("tag-{i}")));
        if i < 120 {
            items.push(PurgeItem::Host(format!("h{i}.example.com")));
        }
        if i < 40 {
            items.push(PurgeItem::Prefix(format!("www.example.com/section/{i}")));
            items.push(PurgeItem::UrlWithHeaders(PurgeFileWithHeaders {
                url: url(i),
                headers: [("CF-Device-Type".to_string(), "mobile".to_string())].into(),
            }));
        }
    }
    let report = batcher.run(items.clone()).await;

    assert!(report.is_complete());
    assert_eq!(accounted(&report), inputs(&items));
    let mut by_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for exchange in log.exchanges() {
        let object = exchange.body.as_object().cloned().unwrap_or_default();
        assert_eq!(object.len(), 1, "one key per body: {:?}", exchange.body);
        for (key, value) in object {
            by_key
                .entry(key)
                .or_default()
                .push(value.as_array().map_or(0, Vec::len));
        }
    }
    for lengths in by_key.values_mut() {
        lengths.sort_unstable_by(|a, b| b.cmp(a));
    }
    let expected: BTreeMap<String, Vec<usize>> = [
        ("files", vec![30, 10]),
        ("hosts", vec![100, 20]),
        ("prefixes", vec![40]),
        ("tags", vec![100, 100, 50]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(by_key, expected);
}

#[tokio::test]
async fn settings_outside_the_plans_limits_are_refused_before_any_request() {
    let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let client = client_with_clock(&server, TestClock::new());
    let refused = |builder: PurgeBatcherBuilder| match builder.build() {
        Ok(_) => panic!("should be refused"),
        Err(e) => e,
    };
    let builder = || PurgeBatcher::builder(client.clone(), zone());
    assert_eq!(
        refused(builder().plan(Plan::Pro).urls_per_request(101)),
        ConfigError::invalid_setting("urls_per_request", 101, "between 1 and 100")
    );
    assert_eq!(
        refused(builder().plan(Plan::Enterprise).urls_per_request(501)),
        ConfigError::invalid_setting("urls_per_request", 501, "between 1 and 500")
    );
    assert_eq!(
        refused(builder().urls_per_request(0)),
        ConfigError::invalid_setting("urls_per_request", 0, "between 1 and 100")
    );
    assert_eq!(
        refused(builder().concurrency(0)).to_string(),
        "concurrency must be at least 1, not 0"
    );
    let too_many_tags = PlanLimits {
        items_per_request: 101,
        ..Plan::Business.limits()
    };
    assert!(matches!(
        refused(builder().plan(Plan::Custom(too_many_tags))),
        ConfigError::InvalidSetting {
            setting: "items_per_request",
            ..
        }
    ));
    // The documented ceiling itself is fine.
    let at_ceiling = build(builder().plan(Plan::Free).urls_per_request(100));
    assert_eq!(at_ceiling.urls_per_request(), 100);
    assert!(log.exchanges().is_empty());
}

#[tokio::test]
async fn invalid_items_are_reported_with_the_clients_reason_and_never_sent() {
    let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let batcher = build(serial(client_with_clock(&server, TestClock::new()), Plan::Free));
    let bad = vec![
        PurgeItem::Url("www.example.com/no-scheme".into()),
        PurgeItem::Url("ftp://www.example.com/file".into()),
        PurgeItem::Tag("has space".into()),
        PurgeItem::Tag("x".repeat(1_025)),
        PurgeItem::Host("https://www.example.com".into()),
        PurgeItem::Prefix("https://www.example.com/a".into()),
        PurgeItem::Prefix(format!("www.example.com{}", "/a".repeat(32))),
    ];
    let good = vec![
        PurgeItem::Url(url(1)),
        PurgeItem::Tag("release-42".into()),
        PurgeItem::Host("www.example.com".into()),
        PurgeItem::Prefix("www.example.com/assets".into()),
    ];
    let items: Vec<PurgeItem> = bad.iter().cloned().chain(good.iter().cloned()).collect();
    let report = batcher.run(items).await;

    assert_eq!(inputs(&report.succeeded), inputs(&good));
    assert_eq!(inputs(&report.failed_items()), inputs(&bad));
    for failed in &report.failed {
        match &failed.reason {
            ItemFailure::Invalid(e) => assert!(e.field.starts_with("body."), "{e:?}"),
            other => panic!("{:?} failed for {other}", failed.item),
        }
    }
    assert_eq!(report.stats.invalid, bad.len() as u64);
    let sent: HashSet<String> = log
        .exchanges()
        .iter()
        .flat_map(|e| {
            ["files", "tags", "hosts", "prefixes"]
                .into_iter()
                .flat_map(|k| e.strings(k))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(sent.len(), good.len(), "only the good items were sent: {sent:?}");
}

#[tokio::test]
async fn no_more_requests_are_in_flight_than_the_concurrency_allows() {
    const PER_CHUNK: usize = 30;
    for concurrency in [1, 3, 5] {
        let chunks = 12;
        // How many URLs the batcher has taken from its input, read by the server as requests
        // arrive: a batcher that read ahead more than `concurrency` chunks would be holding
        // (and could be sending) more than it may.
        let pulled = Arc::new(AtomicUsize::new(0));
        let reading = Arc::clone(&pulled);
        let server = GateServer::start(concurrency, chunks, move || reading.load(Ordering::SeqCst)).await;
        let client = match Client::builder()
            .api_token(TOKEN)
            .base_url(server.uri())
            .clock(TestClock::new())
            .build()
        {
            Ok(client) => client,
            Err(e) => panic!("test client must build: {e}"),
        };
        let batcher = build(
            PurgeBatcher::builder(client, zone())
                .concurrency(concurrency)
                .pacing(false),
        );
        let input = (0..PER_CHUNK * chunks).map(|i| {
            pulled.fetch_add(1, Ordering::SeqCst);
            PurgeItem::Url(url(i))
        });
        let report = batcher.run(input).await;

        assert!(report.is_complete());
        assert_eq!(server.arrived(), chunks);
        // The gate holds requests until `concurrency` are in flight: they all were at once.
        assert_eq!(server.max_in_flight(), concurrency);
        for arrival in server.arrivals() {
            assert!(
                arrival.observed <= (arrival.answered + concurrency) * PER_CHUNK,
                "concurrency {concurrency}: {arrival:?}"
            );
        }
    }
}

#[tokio::test]
async fn free_plan_tag_purges_are_paced_at_five_a_minute_after_a_burst_of_25() {
    // 60 chunks of 100 tags: 24 go at once, the 25th after the pacer's 100 ms send margin
    // (the API's bucket starts at the first request's arrival), the other 35 one every 12 s.
    for concurrency in [1, 4] {
        let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
        let clock = TestClock::new();
        let start = cf_cache_client::Clock::now(&*clock);
        let pacer = Pacer::new(clock.clone()).with_plan(&Plan::Free.limits());
        let batcher = build(
            PurgeBatcher::builder(client_with_clock(&server, clock.clone()), zone())
                .plan(Plan::Free)
                .concurrency(concurrency)
                .pacer(pacer),
        );
        let report = batcher.run(tags(6_000)).await;

        assert!(report.is_complete());
        assert_eq!(log.exchanges().len(), 60);
        let mut expected = vec![Duration::from_millis(100)];
        expected.extend([Duration::from_secs(12); 35]);
        assert_eq!(clock.sleeps(), expected, "concurrency {concurrency}");
        assert_eq!(elapsed(&clock, start), Duration::from_millis(420_100));
        assert_eq!(report.stats.pacing_waits, 36);
        assert_eq!(report.stats.pacing_wait, Duration::from_millis(420_100));
    }
}

#[tokio::test]
async fn a_burst_whose_first_answer_comes_late_starts_the_bucket_later() {
    // 26 chunks of 100 tags on Free, the first answered 950 ms after it went (a new connection
    // far away): the API's bucket may have started up to then, so ours starts the 850 ms the
    // send margin does not cover later. Answered at once, the run would end at 12.1 s (the
    // 26th request a refill after the 25th, which waits out the margin); here it ends 850 ms
    // later, the 26th request waiting a whole refill from 950 ms.
    let clock = TestClock::new();
    let start = cf_cache_client::Clock::now(&*clock);
    let (server, log) = late_first_answer(&clock, Duration::from_millis(950)).await;
    let batcher = build(
        serial(client_with_clock(&server, clock.clone()), Plan::Free)
            .pacer(Pacer::new(clock.clone()).with_plan(&Plan::Free.limits())),
    );
    let report = batcher.run(tags(2_600)).await;

    assert!(report.is_complete());
    assert_eq!(log.exchanges().len(), 26);
    assert_eq!(clock.sleeps(), [Duration::from_secs(12)]);
    assert_eq!(elapsed(&clock, start), Duration::from_millis(12_950));
}

#[tokio::test]
async fn url_purges_are_paced_in_urls_per_second() {
    // Free: 800 URLs/s with a bucket of one second, less the 100 ms send margin. 20 chunks
    // of 100: 7 at once, the 8th after 100 ms, then one every 125 ms.
    let (server, _log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let clock = TestClock::new();
    let start = cf_cache_client::Clock::now(&*clock);
    let batcher = build(
        serial(client_with_clock(&server, clock.clone()), Plan::Free)
            .urls_per_request(100)
            .pacer(Pacer::new(clock.clone()).with_plan(&Plan::Free.limits())),
    );
    let report = batcher.run(urls(2_000)).await;

    assert!(report.is_complete());
    let mut expected = vec![Duration::from_millis(100)];
    expected.extend([Duration::from_millis(125); 12]);
    assert_eq!(clock.sleeps(), expected);
    assert_eq!(elapsed(&clock, start), Duration::from_millis(1_600));
}

#[tokio::test]
async fn a_rate_limited_chunk_waits_as_told_and_is_resent() {
    let (server, log) = scripted_server(|n, _| match n {
        0 => Reply::rate_limited(Some(7)),
        _ => Reply::purge_accepted(),
    })
    .await;
    let clock = TestClock::new();
    let client = client_with_clock(&server, clock.clone()).with_retry_policy(RetryPolicy::none());
    let items = urls(60);
    let report = build(serial(client, Plan::Free)).run(items.clone()).await;

    assert!(report.is_complete(), "{:?}", report.failed.first());
    assert_eq!(accounted(&report), inputs(&items));
    assert_eq!(clock.sleeps(), [Duration::from_secs(7)]);
    let log = log.exchanges();
    assert_eq!(log.len(), 3);
    assert_eq!(
        log[0].body, log[1].body,
        "the refused chunk is sent again as it was"
    );
    assert_eq!(
        (
            report.stats.requests,
            report.stats.rate_limited,
            report.stats.resends
        ),
        (3, 1, 1)
    );
    assert_eq!(report.stats.rate_limit_wait, Duration::from_secs(7));
}

#[tokio::test]
async fn without_a_retry_after_the_wait_follows_the_plans_refill_and_doubles() {
    // Free tag bucket: one token every 12 s. Two refusals of the same chunk: 12 s, then 24 s.
    let (server, log) = scripted_server(|n, _| match n {
        0 | 1 => Reply::rate_limited(None),
        _ => Reply::purge_accepted(),
    })
    .await;
    let clock = TestClock::new();
    let client = client_with_clock(&server, clock.clone()).with_retry_policy(RetryPolicy::none());
    let report = build(serial(client, Plan::Free)).run(tags(150)).await;

    assert!(report.is_complete());
    assert_eq!(clock.sleeps(), [Duration::from_secs(12), Duration::from_secs(24)]);
    assert_eq!(sizes(&log.exchanges(), "tags"), [100, 100, 100, 50]);
    assert_eq!(report.stats.resends, 2);
}

#[tokio::test]
async fn the_clients_own_retries_absorb_short_rate_limits_first() {
    // With the client's default policy (2 retries), one 429 never reaches the batcher.
    let (server, log) = scripted_server(|n, _| match n {
        0 => Reply::rate_limited(Some(2)),
        _ => Reply::purge_accepted(),
    })
    .await;
    let clock = TestClock::new();
    let report = build(serial(client_with_clock(&server, clock.clone()), Plan::Free))
        .run(urls(30))
        .await;

    assert!(report.is_complete());
    assert_eq!(log.exchanges().len(), 2);
    assert_eq!((report.stats.requests, report.stats.resends), (1, 0));
    assert_eq!(clock.sleeps(), [Duration::from_secs(2)]);
}

#[tokio::test]
async fn a_rate_limit_that_never_lifts_stops_the_run_and_loses_nothing() {
    let (server, log) = scripted_server(|_, _| Reply::rate_limited(None)).await;
    let clock = TestClock::new();
    let client = client_with_clock(&server, clock.clone()).with_retry_policy(RetryPolicy::none());
    let items = urls(90);
    let report = build(serial(client, Plan::Free).max_resends(2))
        .run(items.clone())
        .await;

    assert!(report.succeeded.is_empty());
    assert_eq!(accounted(&report), inputs(&items));
    assert_eq!(
        log.exchanges().len(),
        3,
        "the first chunk, sent once and resent twice"
    );
    let (mut gave_up, mut not_sent) = (0, 0);
    for failed in &report.failed {
        match &failed.reason {
            ItemFailure::Request(e) if matches!(**e, Error::RateLimited(_)) => gave_up += 1,
            ItemFailure::NotSent(e) if matches!(**e, Error::RateLimited(_)) => not_sent += 1,
            other => panic!("unexpected reason {other}"),
        }
    }
    assert_eq!((gave_up, not_sent), (30, 60));
    // Free URL bucket: 30 URLs refill in 37.5 ms; doubled once for the second resend.
    assert_eq!(
        clock.sleeps(),
        [Duration::from_micros(37_500), Duration::from_micros(75_000)]
    );
    assert_eq!(
        inputs(&report.failed_items()),
        inputs(&items),
        "every item can be resubmitted"
    );
}

#[tokio::test]
async fn a_rate_limit_wait_beyond_the_maximum_is_not_sat_through() {
    let (server, log) = scripted_server(|_, _| Reply::rate_limited(Some(3_600))).await;
    let clock = TestClock::new();
    let client = client_with_clock(&server, clock.clone()).with_retry_policy(RetryPolicy::none());
    let report = build(serial(client, Plan::Free)).run(urls(60)).await;

    assert_eq!(report.failed.len(), 60);
    assert_eq!(log.exchanges().len(), 1);
    assert!(
        clock.sleeps().is_empty(),
        "an hour is not waited: {:?}",
        clock.sleeps()
    );
}

#[tokio::test]
async fn chunks_refused_as_too_large_are_halved_and_later_chunks_cut_smaller() {
    let (server, log) = scripted_server(|_, exchange| {
        if exchange.items("files") > 10 {
            Reply::failure(400, 1000, "Too many files in request: at most 10 allowed")
        } else {
            Reply::purge_accepted()
        }
    })
    .await;
    let items = urls(70);
    let report = build(serial(client_with_clock(&server, TestClock::new()), Plan::Free))
        .run(items.clone())
        .await;

    assert!(report.is_complete(), "{:?}", report.failed.first());
    assert_eq!(accounted(&report), inputs(&items));
    assert_eq!(
        sizes(&log.exchanges(), "files"),
        [30, 15, 8, 7, 15, 8, 7, 8, 8, 8, 8, 8]
    );
    assert_eq!(report.stats.chunks_halved, 3);
    assert_eq!(report.stats.lowered_limits.get("files"), Some(&8));
    let accepted: Vec<String> = log
        .exchanges()
        .iter()
        .filter(|e| e.status == 200)
        .flat_map(|e| e.strings("files"))
        .collect();
    assert_eq!(accepted.len(), 70, "each URL accepted exactly once");
}

#[tokio::test]
async fn a_configured_error_code_also_means_too_many_items() {
    let (server, log) = scripted_server(|_, exchange| {
        if exchange.items("tags") > 50 {
            Reply::failure(422, 1099, "request refused")
        } else {
            Reply::purge_accepted()
        }
    })
    .await;
    let client = client_with_clock(&server, TestClock::new());
    let plain = build(serial(client.clone(), Plan::Free)).run(tags(100)).await;
    assert_eq!(
        plain.failed.len(),
        100,
        "unconfigured, 1099 is an ordinary failure"
    );

    let configured = build(serial(client, Plan::Free).too_many_items_codes([1099]))
        .run(tags(100))
        .await;
    assert!(configured.is_complete());
    assert_eq!(sizes(&log.exchanges(), "tags")[1..], [100, 50, 50]);
}

#[tokio::test]
async fn a_chunk_that_keeps_failing_is_reported_with_the_error_and_can_be_run_again() {
    // The first chunk meets 503 on all three of the client's attempts; later requests work.
    let (server, log) = scripted_server(|n, _| match n {
        0..=2 => Reply::failure(503, 1000, "Service unavailable"),
        _ => Reply::purge_accepted(),
    })
    .await;
    let clock = TestClock::new();
    let batcher = build(serial(client_with_clock(&server, clock.clone()), Plan::Free));
    let items = urls(60);
    let first = batcher.run(items.clone()).await;

    assert_eq!((first.succeeded.len(), first.failed.len()), (30, 30));
    for failed in &first.failed {
        match &failed.reason {
            ItemFailure::Request(e) => assert_eq!(e.status(), Some(503)),
            other => panic!("unexpected reason {other}"),
        }
    }
    assert_eq!(clock.sleeps().len(), 2, "the client's two retry backoffs");

    let second = batcher.run(first.failed_items()).await;
    assert!(second.is_complete());
    let mut done = inputs(&first.succeeded);
    done.extend(inputs(&second.succeeded));
    assert_eq!(done, inputs(&items));
    assert_eq!(log.exchanges().len(), 5);
}

#[tokio::test]
async fn bad_credentials_stop_the_run_after_one_request() {
    let (server, log) = scripted_server(|_, _| Reply::failure(403, 10000, "Authentication error")).await;
    let items = urls(100);
    let report = build(serial(client_with_clock(&server, TestClock::new()), Plan::Free))
        .run(items.clone())
        .await;

    assert_eq!(accounted(&report), inputs(&items));
    assert_eq!(log.exchanges().len(), 1);
    let not_sent = report
        .failed
        .iter()
        .filter(|f| matches!(&f.reason, ItemFailure::NotSent(e) if e.status() == Some(403)))
        .count();
    assert_eq!(not_sent, 70);
}

#[tokio::test]
async fn a_malformed_zone_id_is_refused_without_any_request() {
    let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let target = PurgeTarget::PurgeZone {
        zone_id: "../accounts".into(),
    };
    let batcher = build(
        PurgeBatcher::builder(client_with_clock(&server, TestClock::new()), target)
            .concurrency(2)
            .pacing(false),
    );
    let items = urls(200);
    let report = batcher.run(items.clone()).await;

    assert!(log.exchanges().is_empty());
    assert_eq!(accounted(&report), inputs(&items));
    assert!(report.succeeded.is_empty());
    assert!(report.failed.iter().all(|f| match &f.reason {
        ItemFailure::Request(e) | ItemFailure::NotSent(e) => matches!(**e, Error::InvalidRequest(_)),
        _ => false,
    }));
}

#[tokio::test]
async fn each_target_goes_to_its_own_operation() {
    let targets = [
        (
            PurgeTarget::PurgeZone { zone_id: ZONE.into() },
            format!("/zones/{ZONE}/purge_cache"),
        ),
        (
            PurgeTarget::InvalidateZone { zone_id: ZONE.into() },
            format!("/zones/{ZONE}/invalidate_cache"),
        ),
        (
            PurgeTarget::PurgeEnvironment {
                zone_id: ZONE.into(),
                environment_id: ENVIRONMENT.into(),
            },
            format!("/zones/{ZONE}/environments/{ENVIRONMENT}/purge_cache"),
        ),
        (
            PurgeTarget::InvalidateEnvironment {
                zone_id: ZONE.into(),
                environment_id: ENVIRONMENT.into(),
            },
            format!("/zones/{ZONE}/environments/{ENVIRONMENT}/invalidate_cache"),
        ),
    ];
    for (target, path) in targets {
        let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
        let batcher = build(PurgeBatcher::builder(
            client_with_clock(&server, TestClock::new()),
            target,
        ));
        let report = batcher.run(tags(150)).await;
        assert!(report.is_complete());
        let seen: Vec<(String, String)> = log.exchanges().into_iter().map(|e| (e.method, e.path)).collect();
        assert_eq!(seen, vec![("POST".to_string(), path.clone()); 2]);
    }
}

#[tokio::test]
async fn outcomes_can_go_to_a_callback_instead_of_the_report() {
    let (server, _log) = scripted_server(|n, _| match n {
        1 => Reply::failure(400, 1000, "Invalid request"),
        _ => Reply::purge_accepted(),
    })
    .await;
    let batcher = build(serial(client_with_clock(&server, TestClock::new()), Plan::Free));
    let (mut ok, mut failed) = (HashSet::new(), HashSet::new());
    let stats = batcher
        .run_with(futures::stream::iter(urls(100)), |outcome| match outcome {
            Outcome::Succeeded(item) => assert!(ok.insert(format!("{item:?}"))),
            Outcome::Failed(f) => assert!(failed.insert(format!("{:?}", f.item))),
        })
        .await;

    assert_eq!((ok.len(), failed.len()), (70, 30));
    assert_eq!((stats.items, stats.succeeded, stats.failed), (100, 70, 30));
    assert!(ok.is_disjoint(&failed));
}

#[tokio::test]
async fn batchers_sharing_a_pacer_share_its_buckets() {
    // Purge and invalidate draw on one account bucket: together they get one burst of 25
    // (24 at once, the 25th after the 100 ms send margin).
    let (server, _log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let clock = TestClock::new();
    let limits = PlanLimits {
        bulk: BucketLimit {
            refill: Rate::per_minute(5).unwrap_or_else(|| panic!("non-zero")),
            capacity: 25,
        },
        ..Plan::Free.limits()
    };
    let pacer = Pacer::new(clock.clone()).with_plan(&limits);
    let client = client_with_clock(&server, clock.clone());
    let purge = build(serial(client.clone(), Plan::Free).pacer(pacer.clone()));
    let invalidate = build(
        PurgeBatcher::builder(client, PurgeTarget::InvalidateZone { zone_id: ZONE.into() })
            .concurrency(1)
            .pacer(pacer),
    );
    assert!(purge.run(tags(2_000)).await.is_complete());
    assert!(clock.sleeps().is_empty(), "20 requests fit the burst");
    assert!(invalidate.run(tags(1_000)).await.is_complete());
    let mut expected = vec![Duration::from_millis(100)];
    expected.extend([Duration::from_secs(12); 5]);
    assert_eq!(clock.sleeps(), expected);
}

#[tokio::test]
async fn a_run_can_be_spawned_as_a_task() {
    let (server, _log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let batcher = build(serial(client_with_clock(&server, TestClock::new()), Plan::Free));
    let task = tokio::spawn(async move { batcher.run(urls(45)).await });
    match task.await {
        Ok(report) => assert_eq!(report.succeeded.len(), 45),
        Err(e) => panic!("the run task failed: {e}"),
    }
}

#[test]
fn runs_are_send_so_they_can_be_spawned_on_a_multi_threaded_runtime() {
    fn send<T: Send>(_: &T) {}
    let client = Client::builder()
        .api_token(TOKEN)
        .base_url("http://127.0.0.1:9")
        .build()
        .expect("valid settings");
    let batcher = build(PurgeBatcher::builder(client.clone(), zone()));
    // Built, checked for `Send` at compile time, and dropped unpolled: nothing is sent.
    send(&batcher.run(urls(1)));
    send(&batcher.run_with(futures::stream::iter(urls(1)), |_| {}));
    let regions = match cf_cache_ext::batch::RegionBatcher::builder(client, ZONE).build() {
        Ok(batcher) => batcher,
        Err(e) => panic!("default settings are valid: {e}"),
    };
    send(&regions.delete(Vec::new()));
}
