//! The typed client against the fake's state: what one call writes, the next reads back;
//! zones are separate; purges are recorded as sent; credentials are checked; faults are
//! seeded and replay the same way.

use cf_cache_client::types::{
    OriginCloudRegionRequest, PurgeRequest, SmartTieredCacheUpdate, ToggleValue, VariantsUpdate,
};
use cf_cache_client::{Client, Error, RetryPolicy};
use cf_cache_ext::pagination::origin_cloud_regions;
use cf_cache_fake::{Config, FakeCloudflare, Fault, Faults, PurgeAction, PurgedKind};
use cf_cache_tests::fake::{Raw, client, start};
use cf_cache_tests::{TOKEN, ZONE};
use futures::TryStreamExt;
use serde_json::json;

const OTHER_ZONE: &str = "ffffffffffffffffffffffffffffffff";
const ENV: &str = "6b4a1d2f0c9e8d7b5a3f1e0d9c8b7a65";

fn typed<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).unwrap_or_else(|e| panic!("test body must be a valid model: {e}"))
}

fn ok<T>(result: Result<T, Error>) -> T {
    result.unwrap_or_else(|e| panic!("the call must succeed: {e}"))
}

#[tokio::test]
async fn settings_persist_per_zone_and_delete_resets_them() {
    let fake = start(Config::new()).await;
    let client = client(&fake);
    let on = SmartTieredCacheUpdate {
        value: ToggleValue::On,
    };
    ok(client.create_smart_tiered_cache(ZONE, &on).await);
    assert_eq!(
        ok(client.get_smart_tiered_cache(ZONE).await).value,
        ToggleValue::On
    );
    assert_eq!(
        ok(client.get_smart_tiered_cache(OTHER_ZONE).await).value,
        ToggleValue::Off
    );
    let deleted = ok(client.delete_smart_tiered_cache(ZONE).await);
    assert!(deleted.modified_on.is_some());
    assert_eq!(
        ok(client.get_smart_tiered_cache(ZONE).await).value,
        ToggleValue::Off
    );

    let variants: VariantsUpdate =
        typed(json!({"value": {"jpeg": ["image/webp", "image/avif"], "png": ["image/webp"]}}));
    ok(client.update_variants(ZONE, &variants).await);
    let read = ok(client.get_variants(ZONE).await);
    assert_eq!(
        serde_json::to_value(&read.value).ok(),
        serde_json::to_value(&variants.value).ok()
    );
    ok(client.delete_variants(ZONE).await);
    let after = serde_json::to_value(ok(client.get_variants(ZONE).await).value).ok();
    assert_eq!(after, Some(json!({})));

    ok(client
        .update_regional_tiered_cache(ZONE, &typed(json!({"value": "on"})))
        .await);
    assert_eq!(
        ok(client.get_regional_tiered_cache(ZONE).await).value,
        ToggleValue::On
    );
}

#[tokio::test]
async fn mappings_are_stored_canonically_and_page_through_the_ext_paginator() {
    let fake = start(Config::new()).await;
    let client = client(&fake);
    let v6: OriginCloudRegionRequest =
        typed(json!({"origin_ip": "2001:db8:0:0::1", "region": "us-central1", "vendor": "gcp"}));
    let stored = ok(client.upsert_origin_cloud_region(ZONE, &v6.origin_ip, &v6).await);
    assert_eq!(stored.origin_ip, "2001:db8::1");
    let batch: Vec<OriginCloudRegionRequest> = (0..249)
        .map(|i| typed(json!({"origin_ip": format!("10.0.{}.{}", i / 200, i % 200), "region": "us-east-1", "vendor": "aws"})))
        .collect();
    for chunk in batch.chunks(100) {
        let result = ok(client
            .batch_upsert_origin_cloud_regions(ZONE, &typed(json!(chunk)))
            .await);
        assert!(result.failed.is_empty());
    }
    let pages = origin_cloud_regions(&client, ZONE).build();
    let all: Vec<_> = pages
        .unwrap_or_else(|e| panic!("default paging must be valid: {e}"))
        .items()
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("every page must arrive: {e}"));
    assert_eq!(all.len(), 250);
    // 250 mappings at 100 per page, total_pages known: exactly 3 list requests.
    assert_eq!(list_requests(&fake), 3);
}

fn list_requests(fake: &FakeCloudflare) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.operation == Some("list_origin_cloud_regions"))
        .count()
}

#[tokio::test]
async fn a_full_zone_of_3500_mappings_reads_ahead_in_exactly_35_pages() {
    let fake = start(Config::new()).await;
    let client = client(&fake);
    for chunk in 0..35 {
        let batch: Vec<OriginCloudRegionRequest> = (0..100)
            .map(|i| {
                typed(
                    json!({"origin_ip": format!("10.1.{chunk}.{i}"), "region": "eu-west-1", "vendor": "aws"}),
                )
            })
            .collect();
        ok(client
            .batch_upsert_origin_cloud_regions(ZONE, &typed(json!(batch)))
            .await);
    }
    let pages = origin_cloud_regions(&client, ZONE).read_ahead(true).build();
    let all: Vec<_> = pages
        .unwrap_or_else(|e| panic!("default paging must be valid: {e}"))
        .items()
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("every page must arrive: {e}"));
    assert_eq!(all.len(), 3_500);
    let distinct: std::collections::BTreeSet<&str> = all.iter().map(|m| m.origin_ip.as_str()).collect();
    assert_eq!(distinct.len(), 3_500);
    assert_eq!(list_requests(&fake), 35);
}

#[tokio::test]
async fn every_purge_body_is_recorded_item_by_item_with_its_action_and_environment() {
    let fake = start(Config::new()).await;
    let client = client(&fake);
    let bodies = [
        PurgeRequest::Everything,
        PurgeRequest::Files(vec!["https://www.example.com/a.css".into()]),
        typed(
            json!({"files": [{"url": "https://www.example.com/cat.jpg", "headers": {"CF-Device-Type": "mobile"}}]}),
        ),
        PurgeRequest::Tags(vec!["t1".into(), "t2".into()]),
        PurgeRequest::Hosts(vec!["img.example.com".into()]),
        PurgeRequest::Prefixes(vec!["www.example.com/blog".into()]),
    ];
    for body in &bodies {
        ok(client.invalidate_environment_cache(ZONE, ENV, body).await);
    }
    let purged = fake.purged();
    assert_eq!(purged.len(), 7);
    assert!(purged.iter().all(|p| p.action == PurgeAction::Invalidate
        && p.environment_id.as_deref() == Some(ENV)
        && p.zone_id == ZONE));
    let kinds: Vec<PurgedKind> = purged.into_iter().map(|p| p.item).collect();
    assert_eq!(kinds[0], PurgedKind::Everything);
    assert!(
        matches!(&kinds[2], PurgedKind::Url { headers, .. } if headers.get("CF-Device-Type").map(String::as_str) == Some("mobile"))
    );
    assert_eq!(
        kinds[3..5],
        [PurgedKind::Tag("t1".into()), PurgedKind::Tag("t2".into())]
    );
    assert_eq!(kinds[6], PurgedKind::Prefix("www.example.com/blog".into()));
}

#[tokio::test]
async fn url_purges_in_a_forbidden_environment_are_1136_and_purge_nothing() {
    let fake = start(Config::new().forbid_url_purge_in(ENV)).await;
    let files = PurgeRequest::Files(vec!["https://www.example.com/a".into()]);
    let refused = client(&fake).purge_environment_cache(ZONE, ENV, &files).await;
    assert!(refused.is_err_and(|e| e.has_code(1136)));
    assert!(fake.purged().is_empty());
    ok(client(&fake)
        .purge_environment_cache(ZONE, ENV, &PurgeRequest::Tags(vec!["t".into()]))
        .await);
}

#[tokio::test]
async fn an_email_and_global_key_pass_and_a_wrong_key_is_403() {
    let fake = start(Config::new().api_key("ops@example.com", "global-key-123")).await;
    let with_key = |key: &str| {
        Client::builder()
            .api_key("ops@example.com", key)
            .base_url(fake.base_url())
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap_or_else(|e| panic!("test client must build: {e}"))
    };
    ok(with_key("global-key-123").get_cache_reserve(ZONE).await);
    let refused = with_key("wrong").get_cache_reserve(ZONE).await;
    assert!(
        matches!(&refused, Err(e) if e.status() == Some(403) && e.has_code(10_000)),
        "{refused:?}"
    );
    let ray = match &refused {
        Err(Error::Api(e)) => e.ray_id.clone(),
        _ => None,
    };
    assert_eq!(
        ray.as_deref(),
        Some("0000000000000001-FAKE"),
        "every answer carries a cf-ray"
    );
    // A token is not accepted where only a key pair is configured.
    assert!(
        client(&fake)
            .get_cache_reserve(ZONE)
            .await
            .is_err_and(|e| e.status() == Some(403))
    );
    // Neither the records nor the fake's own `Debug` show a credential it was sent.
    for shown in [format!("{:?}", fake.requests()), format!("{fake:?}")] {
        assert!(
            !shown.contains("global-key-123") && !shown.contains(TOKEN),
            "{shown}"
        );
    }
}

fn faults() -> Faults {
    Faults {
        seed: 2026,
        server_error_rate: 0.2,
        reset_rate: 0.1,
        truncate_rate: 0.1,
        html_rate: 0.1,
        ..Faults::default()
    }
}

async fn fault_pattern(fake: &FakeCloudflare) -> Vec<Option<Fault>> {
    let raw = Raw::new(fake);
    for _ in 0..60 {
        let request = raw
            .request("GET", &format!("/zones/{ZONE}/cache/variants"))
            .bearer_auth(TOKEN);
        let _ = request.send().await;
    }
    fake.requests().iter().map(|r| r.fault).collect()
}

#[tokio::test]
async fn the_same_seed_replays_the_same_faults() {
    let first = fault_pattern(&start(Config::new().faults(faults())).await).await;
    let second = fault_pattern(&start(Config::new().faults(faults())).await).await;
    assert_eq!(first, second);
    for kind in [Fault::ServerError, Fault::Reset, Fault::Truncated, Fault::Html] {
        assert!(
            first.contains(&Some(kind)),
            "60 requests at these rates must show {kind:?}"
        );
    }
    let other = fault_pattern(&start(Config::new().faults(Faults { seed: 1, ..faults() })).await).await;
    assert_ne!(first, other);
}

#[tokio::test]
async fn a_truncated_body_is_a_decode_error_and_an_html_page_is_retried() {
    let truncated = start(Config::new().faults(Faults {
        truncate_rate: 1.0,
        ..Faults::default()
    }))
    .await;
    let decoded = client(&truncated).get_variants(ZONE).await;
    assert!(matches!(decoded, Err(Error::Decode(_))), "{decoded:?}");

    let html = start(Config::new().faults(Faults {
        html_rate: 1.0,
        ..Faults::default()
    }))
    .await;
    let failed = client(&html).get_variants(ZONE).await;
    assert_eq!(failed.err().and_then(|e| e.status()), Some(502));
    // The first attempt and the client's two retries, each met by the HTML page.
    assert_eq!(html.request_count(), 3);
    assert!(html.requests().iter().all(|r| r.fault == Some(Fault::Html)));
}
