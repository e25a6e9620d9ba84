//! `RegionBatcher` over real HTTP on loopback: chunks of 100 to the batch endpoints, and the
//! API's per-item answers (partial success, items it does not mention, whole-chunk failures)
//! merged into one report that holds every input exactly once.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use cf_cache_client::types::{CloudVendor, OriginCloudRegionRequest};
use cf_cache_ext::batch::{BatchReport, ItemFailure, RegionBatcher, RegionBatcherBuilder};
use cf_cache_tests::batch::{Exchange, Reply, envelope, scripted_server};
use cf_cache_tests::{TestClock, ZONE, client_with_clock};
use serde_json::{Value, json};

const BATCH_PATH: &str = "/zones/023e105f4ecef8ad9ca31a8372d0c353/origin/cloud_regions/batch";

fn v4(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0A00_0000 + i))
}

fn mapping(ip: IpAddr) -> OriginCloudRegionRequest {
    OriginCloudRegionRequest {
        origin_ip: ip,
        region: "us-east-1".into(),
        vendor: CloudVendor::Aws,
    }
}

fn build(builder: RegionBatcherBuilder) -> RegionBatcher {
    match builder.build() {
        Ok(batcher) => batcher,
        Err(e) => panic!("test settings must be valid: {e}"),
    }
}

/// The origin IPs a request carried: mapping objects for upserts, bare strings for deletes.
fn sent_ips(exchange: &Exchange) -> Vec<String> {
    exchange
        .body
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.get("origin_ip").unwrap_or(item).as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The API's per-item answer: `fail` gets an error, `omit` is left out, the rest succeed.
fn answer(ips: &[String], fail: impl Fn(&str) -> bool, omit: impl Fn(&str) -> bool) -> Reply {
    let mut succeeded = Vec::new();
    let mut failed = Vec::new();
    for ip in ips.iter().filter(|ip| !omit(ip)) {
        if fail(ip) {
            failed.push(json!({ "origin_ip": ip, "error": "region not supported for vendor" }));
        } else {
            succeeded.push(json!({ "origin_ip": ip, "region": "us-east-1", "vendor": "aws" }));
        }
    }
    Reply::new(200, envelope(json!({ "succeeded": succeeded, "failed": failed })))
}

fn last_octet(ip: &str) -> u32 {
    ip.rsplit('.').next().and_then(|o| o.parse().ok()).unwrap_or(0)
}

fn everything_once<I: std::fmt::Debug>(report: &BatchReport<I>, expected: usize) {
    let mut seen = HashSet::new();
    for item in report
        .succeeded
        .iter()
        .chain(report.failed.iter().map(|f| &f.item))
    {
        assert!(seen.insert(format!("{item:?}")), "{item:?} reported twice");
    }
    assert_eq!(seen.len(), expected);
}

#[tokio::test]
async fn upserts_go_100_at_a_time_and_partial_answers_are_merged_item_by_item() {
    // Chunk 1 (10.0.0.0..99): octets ending in 3 are refused, ending in 7 are not mentioned.
    // Chunk 2 (10.0.0.100..199): a server error on every attempt. Chunk 3: all accepted.
    let (server, log) = scripted_server(|_, exchange| {
        let ips = sent_ips(exchange);
        match ips.first().map(|ip| last_octet(ip)) {
            Some(0) => answer(&ips, |ip| last_octet(ip) % 10 == 3, |ip| last_octet(ip) % 10 == 7),
            Some(100) => Reply::failure(500, 1000, "internal error"),
            _ => answer(&ips, |_| false, |_| false),
        }
    })
    .await;
    let clock = TestClock::new();
    let batcher = build(
        RegionBatcher::builder(client_with_clock(&server, clock.clone()), ZONE)
            .concurrency(1)
            .pacing(false),
    );
    let report = batcher.upsert((0..250).map(|i| mapping(v4(i)))).await;

    everything_once(&report, 250);
    let exchanges = log.exchanges();
    assert!(
        exchanges
            .iter()
            .all(|e| e.method == "PUT" && e.path == BATCH_PATH)
    );
    let sizes: Vec<usize> = exchanges.iter().map(|e| e.items("")).collect();
    assert_eq!(
        sizes,
        [100, 100, 100, 100, 50],
        "the failing chunk is tried 3 times by the client"
    );
    assert_eq!(
        exchanges[0].body[0],
        json!({ "origin_ip": "10.0.0.0", "region": "us-east-1", "vendor": "aws" })
    );

    let (mut rejected, mut unmentioned, mut request_failed) = (0, 0, 0);
    for f in &report.failed {
        let octet = last_octet(&f.item.origin_ip.to_string());
        match &f.reason {
            ItemFailure::Rejected { message } => {
                assert!(octet < 100 && octet % 10 == 3, "{octet}");
                assert_eq!(message.as_deref(), Some("region not supported for vendor"));
                rejected += 1;
            }
            ItemFailure::NotReported => {
                assert!(octet < 100 && octet % 10 == 7, "{octet}");
                unmentioned += 1;
            }
            ItemFailure::Request(e) => {
                assert!((100..200).contains(&octet), "{octet}");
                assert_eq!(e.status(), Some(500));
                request_failed += 1;
            }
            other => panic!("unexpected reason {other}"),
        }
    }
    assert_eq!((rejected, unmentioned, request_failed), (10, 10, 100));
    assert_eq!(report.succeeded.len(), 130);
    assert_eq!(report.stats.requests, 3);
}

#[tokio::test]
async fn answers_are_matched_to_inputs_by_address_whatever_the_spelling() {
    // The API answers in its own spelling of each address.
    let (server, _log) = scripted_server(|_, exchange| {
        let shouted: Vec<String> = sent_ips(exchange)
            .iter()
            .map(|ip| match ip.parse::<IpAddr>() {
                Ok(IpAddr::V6(v6)) => {
                    let s = v6.segments();
                    format!(
                        "{:X}:{:X}:0:0:{:X}:{:X}:{:X}:{:X}",
                        s[0], s[1], s[4], s[5], s[6], s[7]
                    )
                }
                _ => ip.clone(),
            })
            .collect();
        answer(&shouted, |_| false, |_| false)
    })
    .await;
    let batcher =
        build(RegionBatcher::builder(client_with_clock(&server, TestClock::new()), ZONE).pacing(false));
    let ips: Vec<IpAddr> = (1..=20u16)
        .map(|i| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0xab, i)))
        .collect();
    let report = batcher.upsert(ips.iter().copied().map(mapping)).await;

    assert!(report.is_complete(), "{:?}", report.failed.first());
    assert_eq!(report.succeeded.len(), 20);
}

#[tokio::test]
async fn deletes_send_lists_of_addresses_and_merge_the_answers() {
    let (server, log) = scripted_server(|_, exchange| {
        let ips = sent_ips(exchange);
        answer(&ips, |ip| ip == "10.0.0.42", |_| false)
    })
    .await;
    let batcher =
        build(RegionBatcher::builder(client_with_clock(&server, TestClock::new()), ZONE).concurrency(2));
    let report = batcher.delete((0..120).map(v4)).await;

    everything_once(&report, 120);
    assert_eq!(report.succeeded.len(), 119);
    assert_eq!(report.failed_items(), [v4(42)]);
    let exchanges = log.exchanges();
    let mut sizes: Vec<usize> = exchanges.iter().map(|e| e.items("")).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [20, 100]);
    assert!(exchanges.iter().all(|e| e.method == "DELETE"
        && e.path == BATCH_PATH
        && e.body.as_array().is_some_and(|a| a.iter().all(Value::is_string))));
}

#[tokio::test]
async fn region_batches_count_against_the_api_wide_budget_by_default() {
    // 1% of the budget is 12 requests in any 5 minutes: 12 go at once, the other 3 once the
    // first slots leave the window (5 minutes after their answers, plus the 1 s margin).
    let (server, log) =
        scripted_server(|_, exchange| answer(&sent_ips(exchange), |_| false, |_| false)).await;
    let clock = TestClock::new();
    let batcher = build(
        RegionBatcher::builder(client_with_clock(&server, clock.clone()), ZONE)
            .chunk_size(10)
            .request_budget_percent(1),
    );
    let report = batcher.upsert((0..150).map(|i| mapping(v4(i)))).await;

    assert!(report.is_complete());
    assert_eq!(log.exchanges().len(), 15);
    assert_eq!(clock.sleeps(), [Duration::from_nanos(301_000_000_001)]);
}

#[tokio::test]
async fn chunk_sizes_beyond_the_apis_100_are_refused() {
    let (server, log) = scripted_server(|_, _| Reply::purge_accepted()).await;
    let client = client_with_clock(&server, TestClock::new());
    for bad in [0, 101] {
        assert!(
            RegionBatcher::builder(client.clone(), ZONE)
                .chunk_size(bad)
                .build()
                .is_err(),
            "{bad}"
        );
    }
    assert!(log.exchanges().is_empty());
}
