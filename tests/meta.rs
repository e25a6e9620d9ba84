//! The `*_with_meta` operations over real HTTP: against `cf-cache-fake` (which sends `cf-ray`,
//! `Ratelimit` and `Ratelimit-Policy` on every authenticated answer) and against wiremock for
//! what the fake never sends (envelope `messages`, a retried success). Errors carry the same
//! metadata, and none of it holds a credential.

use std::time::Duration;

use cf_cache_client::types::PurgeRequest;
use cf_cache_client::{Error, Quota, RateLimit, Remaining, ResponseMeta, WithMeta};
use cf_cache_fake::Config;
use cf_cache_tests::fake::{client, start};
use cf_cache_tests::{TOKEN, ZONE};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn ok<T>(result: Result<T, Error>) -> T {
    result.unwrap_or_else(|e| panic!("the call must succeed: {e}"))
}

fn purge() -> PurgeRequest {
    PurgeRequest::Files(vec!["https://www.example.com/a.css".into()])
}

fn remaining(meta: &ResponseMeta) -> u32 {
    match meta.rate_limit.tightest() {
        Some(r) => r.remaining,
        None => panic!("the fake sends `Ratelimit`: {meta:?}"),
    }
}

#[tokio::test]
async fn purge_with_meta_returns_the_result_with_status_ray_and_rate_limit() {
    let fake = start(Config::new()).await;
    let client = client(&fake);

    let WithMeta { value, meta } = ok(client.purge_cache_with_meta(ZONE, &purge()).await);

    assert!(!value.id.is_empty());
    assert_eq!(meta.status, 200);
    assert_eq!(meta.attempts, 1);
    assert!(meta.messages.is_empty());
    let ray = meta.ray_id.as_deref().unwrap_or_default();
    assert!(ray.ends_with("-FAKE"), "{ray:?}");
    assert_eq!(
        meta.rate_limit.quotas,
        [Quota {
            policy: Some("default".into()),
            quota: 1_200,
            window: Some(Duration::from_secs(300)),
        }]
    );
    assert!(matches!(
        meta.rate_limit.remaining.as_slice(),
        [Remaining { policy: Some(name), remaining: 1_199, reset: Some(_) }] if name == "default"
    ));
}

#[tokio::test]
async fn each_call_reads_its_own_answer_the_count_going_down() {
    let fake = start(Config::new()).await;
    let client = client(&fake);

    let first = ok(client.get_cache_reserve_with_meta(ZONE).await).meta;
    let second = ok(client.get_cache_reserve_with_meta(ZONE).await).meta;

    assert_eq!(remaining(&second), remaining(&first) - 1);
    assert_ne!(first.ray_id, second.ray_id);
}

#[tokio::test]
async fn a_with_meta_call_gives_the_plain_calls_value() {
    let fake = start(Config::new()).await;
    let client = client(&fake);

    let plain = ok(client.get_cache_reserve(ZONE).await);
    let with_meta = ok(client.get_cache_reserve_with_meta(ZONE).await);

    assert_eq!(with_meta.into_value(), plain);
}

#[tokio::test]
async fn an_api_error_carries_the_ray_and_the_rate_limit_headers() {
    let fake = start(Config::new()).await;
    let client = client(&fake);

    // No clear has ever run in this zone: 1142.
    let error = match client.get_cache_reserve_clear_with_meta(ZONE).await {
        Err(e) => e,
        Ok(answer) => panic!("the zone never ran a clear: {answer:?}"),
    };

    assert!(error.has_code(1142), "{error:?}");
    let ray = error.ray_id().unwrap_or_default();
    assert!(ray.ends_with("-FAKE"), "{ray:?}");
    let limit = error.rate_limit().cloned().unwrap_or_default();
    assert_eq!(limit.quotas.len(), 1, "{limit:?}");
    assert_eq!(limit.remaining.len(), 1, "{limit:?}");
}

#[tokio::test]
async fn bad_input_is_refused_before_sending_as_by_the_plain_call() {
    let fake = start(Config::new()).await;
    let client = client(&fake);

    let refused = client.purge_cache_with_meta("../other", &purge()).await;

    assert!(
        matches!(refused, Err(Error::InvalidRequest(ref e)) if e.field == "zone_id"),
        "{refused:?}"
    );
    assert!(fake.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn the_metadata_and_errors_hold_no_credential() {
    let fake = start(Config::new()).await;
    let client = client(&fake);

    let answer = ok(client.purge_cache_with_meta(ZONE, &purge()).await);
    let error = client.get_cache_reserve_clear_with_meta(ZONE).await;

    for shown in [
        format!("{answer:?}"),
        format!("{:?}", answer.meta),
        format!("{error:?}"),
    ] {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(!shown.to_ascii_lowercase().contains("bearer"), "{shown}");
    }
}

fn envelope(result: serde_json::Value, messages: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("cf-ray", "8f1e2d3c4b5a6978-LHR")
        .set_body_json(json!({"success": true, "errors": [], "messages": messages, "result": result}))
}

#[tokio::test]
async fn the_envelopes_messages_come_back_in_order() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/zones/{ZONE}/purge_cache")))
        .respond_with(envelope(
            json!({"id": "abc"}),
            json!([
                {"code": 10000, "message": "this form is deprecated"},
                {"code": 10001, "message": "see the docs", "documentation_url": "https://developers.cloudflare.com/"}
            ]),
        ))
        .mount(&server)
        .await;
    let client = cf_cache_tests::client(&server);

    let WithMeta { value, meta } = ok(client.purge_cache_with_meta(ZONE, &purge()).await);

    assert_eq!(value.id, "abc");
    let codes: Vec<(i64, &str)> = meta
        .messages
        .iter()
        .map(|m| (m.code, m.message.as_str()))
        .collect();
    assert_eq!(
        codes,
        [(10000, "this form is deprecated"), (10001, "see the docs")]
    );
    assert_eq!(
        meta.messages[1].documentation_url.as_deref(),
        Some("https://developers.cloudflare.com/")
    );
    assert_eq!(meta.ray_id.as_deref(), Some("8f1e2d3c4b5a6978-LHR"));
    assert_eq!(
        meta.rate_limit,
        RateLimit::default(),
        "no rate-limit headers were sent"
    );
}

#[tokio::test]
async fn a_retried_success_counts_its_attempts_and_reads_the_last_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("cf-ray", "0000000000000001-AMS"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(envelope(
            json!({"id": "cache_reserve", "value": "on", "editable": true}),
            json!([]),
        ))
        .mount(&server)
        .await;
    let client = cf_cache_tests::client(&server);

    let meta = ok(client.get_cache_reserve_with_meta(ZONE).await).meta;

    assert_eq!(meta.attempts, 2);
    assert_eq!(meta.status, 200);
    assert_eq!(meta.ray_id.as_deref(), Some("8f1e2d3c4b5a6978-LHR"));
}
