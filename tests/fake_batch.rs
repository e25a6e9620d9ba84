//! The batchers against real limits: the fake enforces the plan's buckets, the per-request
//! caps, the API-wide window and the 3,500-mapping cap, and records what it accepted, so each
//! test checks that every item was applied exactly once (or reported failed), not merely that
//! the batcher's report adds up. The client's clock is the fake's: pacing and retry waits
//! move the fake's time.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use cf_cache_client::Client;
use cf_cache_client::types::{CloudVendor, OriginCloudRegionRequest};
use cf_cache_ext::batch::{
    ItemFailure, Plan as BatchPlan, PurgeBatcher, PurgeItem, PurgeTarget, RegionBatcher,
};
use cf_cache_fake::{Config, FakeClock, FakeCloudflare, Faults, Plan, PurgedKind};
use cf_cache_tests::fake::{client, start};
use cf_cache_tests::{TOKEN, ZONE};

fn url(i: usize) -> String {
    format!("https://www.example.com/assets/{i}.js")
}

/// How many times the fake accepted each purged item.
fn purge_counts(fake: &FakeCloudflare) -> HashMap<PurgedKind, usize> {
    let mut counts = HashMap::new();
    for purged in fake.purged() {
        *counts.entry(purged.item).or_insert(0) += 1;
    }
    counts
}

fn zone() -> PurgeTarget {
    PurgeTarget::PurgeZone { zone_id: ZONE.into() }
}

fn batcher(fake: &FakeCloudflare, plan: BatchPlan, pacing: bool) -> PurgeBatcher {
    PurgeBatcher::builder(client(fake), zone())
        .plan(plan)
        .pacing(pacing)
        .build()
        .unwrap_or_else(|e| panic!("test settings must be valid: {e}"))
}

fn url_item(kind: &PurgedKind) -> Option<&str> {
    match kind {
        PurgedKind::Url { url, headers } if headers.is_empty() => Some(url),
        _ => None,
    }
}

#[tokio::test]
async fn twenty_thousand_urls_on_free_are_each_purged_once_without_a_429() {
    let fake = start(Config::new().plan(Plan::Free)).await;
    let report = batcher(&fake, BatchPlan::Free, true)
        .run((0..20_000).map(|i| PurgeItem::Url(url(i))))
        .await;
    assert_eq!((report.succeeded.len(), report.failed.len()), (20_000, 0));
    assert_eq!(fake.rate_limited(), 0, "the pacer must keep under every limit");
    let counts = purge_counts(&fake);
    assert_eq!(counts.len(), 20_000);
    assert!(counts.values().all(|&n| n == 1), "an URL was purged twice");
    assert!(counts.keys().all(|k| url_item(k).is_some()));
    // 667 requests of at most 30 URLs: the fake's per-request cap held.
    assert_eq!(fake.request_count(), 667);
}

/// The one test here on the real clock (about 1.6 s): on the fake's manual clock a request
/// arrives the instant the pacer lets it go, so only real time shows that the pacer's send
/// margin absorbs the delay between the two (the 27th request of the burst is the first that
/// depends on it). No timing is asserted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_real_clock_2000_urls_on_free_meet_no_429() {
    let fake = start(Config::new().plan(Plan::Free).clock(FakeClock::system())).await;
    let client = Client::builder()
        .api_token(TOKEN)
        .base_url(fake.base_url())
        .build()
        .unwrap_or_else(|e| panic!("test client must build: {e}"));
    let report = PurgeBatcher::builder(client, zone())
        .plan(BatchPlan::Free)
        .build()
        .unwrap_or_else(|e| panic!("test settings must be valid: {e}"))
        .run((0..2_000).map(|i| PurgeItem::Url(url(i))))
        .await;
    assert!(report.is_complete(), "{:?}", report.failed.first());
    assert_eq!(
        fake.rate_limited(),
        0,
        "{:?}",
        fake.requests().iter().find(|r| r.status == 429)
    );
    let counts = purge_counts(&fake);
    assert_eq!(counts.len(), 2_000);
    assert!(counts.values().all(|&n| n == 1), "an URL was purged twice");
}

#[tokio::test]
async fn unpaced_tag_purges_hit_the_free_bucket_and_still_land_once_each() {
    let fake = start(Config::new().plan(Plan::Free)).await;
    let tags: Vec<PurgeItem> = (0..3_000)
        .map(|i| PurgeItem::Tag(format!("release-{i}")))
        .collect();
    let report = batcher(&fake, BatchPlan::Free, false).run(tags).await;
    assert_eq!((report.succeeded.len(), report.failed.len()), (3_000, 0));
    // 30 requests of 100 tags against a bucket of 25: some were refused and resent.
    assert!(fake.rate_limited_with(1134) > 0);
    let counts = purge_counts(&fake);
    assert_eq!(counts.len(), 3_000);
    assert!(counts.values().all(|&n| n == 1), "a tag was purged twice");
}

#[tokio::test]
async fn a_batcher_told_of_100_urls_per_request_halves_on_the_fakes_30_cap() {
    let fake = start(Config::new().plan(Plan::Free)).await;
    let batcher = PurgeBatcher::builder(client(&fake), zone())
        .plan(BatchPlan::Free)
        .urls_per_request(100)
        .build()
        .unwrap_or_else(|e| panic!("test settings must be valid: {e}"));
    let report = batcher.run((0..1_000).map(|i| PurgeItem::Url(url(i)))).await;
    assert_eq!((report.succeeded.len(), report.failed.len()), (1_000, 0));
    assert!(report.stats.chunks_halved > 0, "{:?}", report.stats);
    assert!(purge_counts(&fake).values().all(|&n| n == 1));
    assert!(
        fake.requests().iter().any(|r| r.status == 400),
        "the fake must have refused 100 URLs"
    );
}

#[tokio::test]
async fn seeded_faults_lose_no_url() {
    let faults = Faults {
        seed: 99,
        server_error_rate: 0.1,
        rate_limit_rate: 0.05,
        html_rate: 0.05,
        reset_rate: 0.02,
        ..Faults::default()
    };
    let fake = start(Config::new().plan(Plan::Free).faults(faults)).await;
    let report = batcher(&fake, BatchPlan::Free, true)
        .run((0..6_000).map(|i| PurgeItem::Url(url(i))))
        .await;
    let counts = purge_counts(&fake);
    // Faults are injected before a request is applied, so a succeeded URL was purged exactly
    // once and a failed one not at all.
    for item in &report.succeeded {
        let PurgeItem::Url(u) = item else {
            panic!("only URLs went in")
        };
        let kind = PurgedKind::Url {
            url: u.clone(),
            headers: Default::default(),
        };
        assert_eq!(counts.get(&kind), Some(&1), "{u}");
    }
    assert_eq!(report.succeeded.len() + report.failed.len(), 6_000);
    assert_eq!(counts.len(), report.succeeded.len());
    assert!(fake.requests().iter().any(|r| r.fault.is_some()));
}

#[tokio::test]
async fn answers_lost_after_the_purge_was_applied_lose_no_url_but_repeat_some() {
    let faults = Faults {
        seed: 5,
        reset_rate: 0.05,
        truncate_rate: 0.05,
        lost_after_apply: true,
        ..Faults::default()
    };
    let fake = start(Config::new().plan(Plan::Free).faults(faults)).await;
    let inputs: Vec<String> = (0..3_000).map(url).collect();
    let report = batcher(&fake, BatchPlan::Free, true)
        .run(inputs.iter().cloned().map(PurgeItem::Url))
        .await;
    assert_eq!(report.succeeded.len() + report.failed.len(), 3_000);
    let counts = purge_counts(&fake);
    let purged = |u: &str| {
        counts
            .get(&PurgedKind::Url {
                url: u.to_string(),
                headers: Default::default(),
            })
            .copied()
    };
    // Whatever the report says, every URL reached the fake: a reported failure here is a
    // cut answer to an applied purge, which the report flags as possibly applied.
    assert!(
        inputs.iter().all(|u| purged(u).is_some()),
        "an URL never reached the fake"
    );
    // A reset after the purge was applied makes the client resend it: those URLs land twice.
    assert!(!fake.purged_more_than_once().is_empty());
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.fault == Some(cf_cache_fake::Fault::Reset))
    );
}

fn mapping(i: u32) -> OriginCloudRegionRequest {
    OriginCloudRegionRequest {
        origin_ip: IpAddr::V4(Ipv4Addr::from(0x0A00_0000 + i)),
        region: "us-east-1".into(),
        vendor: CloudVendor::Aws,
    }
}

#[tokio::test]
async fn region_upserts_stop_at_the_zones_3500_mappings_and_report_the_rest() {
    let fake = start(Config::new()).await;
    let batcher = RegionBatcher::builder(client(&fake), ZONE)
        .build()
        .unwrap_or_else(|e| panic!("test settings must be valid: {e}"));
    let report = batcher.upsert((0..3_650).map(mapping)).await;
    assert_eq!(fake.mapping_count(ZONE), 3_500);
    assert_eq!(report.succeeded.len(), 3_500);
    assert_eq!(report.failed.len(), 150);
    assert!(
        report.failed.iter().all(
            |f| matches!(&f.reason, ItemFailure::Request(e) | ItemFailure::NotSent(e) if e.has_code(1164))
        ),
        "{:?}",
        report.failed.first()
    );
    let deleted = batcher.delete((0..3_650).map(|i| mapping(i).origin_ip)).await;
    assert_eq!((deleted.succeeded.len(), deleted.failed.len()), (3_500, 150));
    assert_eq!(fake.mapping_count(ZONE), 0);
}
