//! Spec conformance: every operation, called through the real `Client`, against Prism serving
//! `spec/cloudflare-cache.yaml` (see `cf_cache_tests::prism`).
//!
//! Prism runs with `--errors`, so it answers a request the spec does not allow with 401/422, and
//! replaces a response that does not match its schema with a 500; either way the client returns
//! an `Err`. Three checks:
//! - the static round: every request the client builds passes Prism's validation, with both
//!   kinds of credentials, and the spec's own examples decode;
//! - the dynamic rounds: Prism generates responses from the schemas (a different seed per round,
//!   so a failure is reproducible with `Prefer: dynamic=true, seed=<seed>`) and every one decodes;
//! - the negative control: requests that break the spec really are rejected, so the two rounds
//!   above cannot pass by accident.
//!
//! Run with `--nocapture` to see the counts.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use std::collections::{BTreeSet, HashMap};
use std::fmt::Debug;
use std::future::Future;
use std::time::{Duration, Instant};

use cf_cache_client::types::{
    CacheReserveUpdate, CloudVendor, OriginCloudRegionBatchDeleteRequest,
    OriginCloudRegionBatchUpsertRequest, OriginCloudRegionRequest, PurgeFileWithHeaders, PurgeRequest,
    RegionalTieredCacheUpdate, ReserveClearRequest, SmartTieredCacheUpdate, ToggleValue, VariantMimeTypes,
    VariantsUpdate, VariantsValue,
};
use cf_cache_client::{Client, Error, RetryPolicy};
use cf_cache_tests::prism::Prism;
use cf_cache_tests::{TOKEN, ZONE, workspace_root};
use futures::FutureExt;
use futures::future::{LocalBoxFuture, join_all};

/// An environment id distinct from `ZONE`, so a swapped path parameter would show.
const ENVIRONMENT: &str = "6b4a1d2f0c9e8d7b5a3f1e0d9c8b7a65";
const ORIGIN_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
const ORIGIN_IPV6: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
/// Global API key credentials, for the round that authenticates the legacy way.
const EMAIL: &str = "user@example.com";
const API_KEY: &str = "c2547eb745079dac9320b638f5e225cf483cc5cfdda41";

/// Dynamic rounds; each uses its own seed, so together they cover many generated shapes.
const DYNAMIC_ROUNDS: usize = 16;
/// Limit for one request; Prism answers in milliseconds, so this only bounds a hang.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long Prism's log may trail its responses.
const LOG_TIMEOUT: Duration = Duration::from_secs(10);

/// What Prism logs once per request that passed validation.
const PASSED: &str = "The request passed the validation rules";
/// What Prism logs once per request that failed validation.
const REJECTED: &str = "Request did not pass the validation rules";
/// Prism's prefix for every request or response violation it logs (errors and warnings).
const VIOLATION: &str = "Violation:";
/// What Prism logs instead when `--errors` turned a response violation into a 500.
const TERMINATED: &str = "Request terminated with error";

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------

fn http_client(default_headers: reqwest::header::HeaderMap) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .default_headers(default_headers)
        .timeout(REQUEST_TIMEOUT)
}

/// A token client for Prism that gets the spec's examples back.
fn token_client(prism: &Prism) -> Client {
    Client::builder()
        .api_token(TOKEN)
        .base_url(prism.base_url())
        .http_client(http_client(reqwest::header::HeaderMap::new()))
        .build()
        .unwrap_or_else(|e| panic!("the token client must build: {e}"))
}

/// An email + Global API key client for Prism that gets the spec's examples back.
fn key_client(prism: &Prism) -> Client {
    Client::builder()
        .api_key(EMAIL, API_KEY)
        .base_url(prism.base_url())
        .http_client(http_client(reqwest::header::HeaderMap::new()))
        .build()
        .unwrap_or_else(|e| panic!("the key client must build: {e}"))
}

/// A token client whose every request asks Prism for a body generated from the schema with
/// `seed`, instead of the spec's example.
fn dynamic_client(prism: &Prism, seed: &str) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let prefer = format!("dynamic=true, seed={seed}");
    let value = reqwest::header::HeaderValue::from_str(&prefer)
        .unwrap_or_else(|e| panic!("`Prefer: {prefer}` must be a valid header: {e}"));
    headers.insert("prefer", value);
    Client::builder()
        .api_token(TOKEN)
        .base_url(prism.base_url())
        .http_client(http_client(headers))
        .build()
        .unwrap_or_else(|e| panic!("the dynamic client must build: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Every operation, with the arguments of tests/e2e_operations.rs
// ---------------------------------------------------------------------------------------------

/// One finished call: which operation with which arguments, and the decoded value (as `Debug`
/// text) or the error.
struct Call {
    operation: &'static str,
    label: String,
    outcome: Result<String, Error>,
}

fn call<'a, T: Debug>(
    operation: &'static str,
    detail: &str,
    request: impl Future<Output = Result<T, Error>> + 'a,
) -> LocalBoxFuture<'a, Call> {
    let label = if detail.is_empty() {
        operation.to_string()
    } else {
        format!("{operation}({detail})")
    };
    async move {
        Call {
            operation,
            label,
            outcome: request.await.map(|value| format!("{value:?}")),
        }
    }
    .boxed_local()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

/// The six purge bodies (the spec's request examples), by the name the spec gives them.
fn purge_bodies() -> Vec<(&'static str, PurgeRequest)> {
    let file = |url: &str, country: &str, device: &str, language: &str| PurgeFileWithHeaders {
        url: url.to_string(),
        headers: HashMap::from([
            ("CF-IPCountry".to_string(), country.to_string()),
            ("CF-Device-Type".to_string(), device.to_string()),
            ("Accept-Language".to_string(), language.to_string()),
        ]),
    };
    vec![
        ("everything", PurgeRequest::Everything),
        (
            "files",
            PurgeRequest::Files(strings(&[
                "http://www.example.com/css/styles.css",
                "http://www.example.com/js/index.js",
            ])),
        ),
        (
            "files_with_headers",
            PurgeRequest::FilesWithHeaders(vec![
                file("http://www.example.com/cat_picture.jpg", "US", "desktop", "zh-CN"),
                file("http://www.example.com/dog_picture.jpg", "EU", "mobile", "en-US"),
            ]),
        ),
        (
            "tags",
            PurgeRequest::Tags(strings(&["a-cache-tag", "another-cache-tag"])),
        ),
        (
            "hosts",
            PurgeRequest::Hosts(strings(&["www.example.com", "images.example.com"])),
        ),
        (
            "prefixes",
            PurgeRequest::Prefixes(strings(&["www.example.com/foo", "images.example.com/bar/baz"])),
        ),
    ]
}

fn mapping(origin_ip: IpAddr, region: &str, vendor: CloudVendor) -> OriginCloudRegionRequest {
    OriginCloudRegionRequest {
        origin_ip,
        region: region.to_string(),
        vendor,
    }
}

/// Every operation of the spec at least once (purge and invalidate, zone and environment, with
/// each of the six bodies; paging with and without query; an IPv4 and an IPv6 origin).
fn every_operation(client: &Client) -> Vec<LocalBoxFuture<'_, Call>> {
    let mut calls = Vec::new();
    for (form, body) in purge_bodies() {
        let (zone_purge, env_purge, zone_invalidate) = (body.clone(), body.clone(), body.clone());
        calls.push(call("purge_cache", form, async move {
            client.purge_cache(ZONE, &zone_purge).await
        }));
        calls.push(call("purge_environment_cache", form, async move {
            client
                .purge_environment_cache(ZONE, ENVIRONMENT, &env_purge)
                .await
        }));
        calls.push(call("invalidate_cache", form, async move {
            client.invalidate_cache(ZONE, &zone_invalidate).await
        }));
        calls.push(call("invalidate_environment_cache", form, async move {
            client
                .invalidate_environment_cache(ZONE, ENVIRONMENT, &body)
                .await
        }));
    }

    let on = || CacheReserveUpdate {
        value: ToggleValue::On,
    };
    calls.push(call("get_cache_reserve", "", client.get_cache_reserve(ZONE)));
    calls.push(call("update_cache_reserve", "on", async move {
        client.update_cache_reserve(ZONE, &on()).await
    }));

    let empty = || ReserveClearRequest(serde_json::Map::new());
    calls.push(call(
        "get_cache_reserve_clear",
        "",
        client.get_cache_reserve_clear(ZONE),
    ));
    calls.push(call("start_cache_reserve_clear", "{}", async move {
        client.start_cache_reserve_clear(ZONE, &empty()).await
    }));
    calls.push(call(
        "get_smart_shield_cache_reserve_clear",
        "",
        client.get_smart_shield_cache_reserve_clear(ZONE),
    ));
    calls.push(call("start_smart_shield_cache_reserve_clear", "{}", async move {
        client
            .start_smart_shield_cache_reserve_clear(ZONE, &empty())
            .await
    }));

    let smart = |value| SmartTieredCacheUpdate { value };
    calls.push(call(
        "get_smart_tiered_cache",
        "",
        client.get_smart_tiered_cache(ZONE),
    ));
    calls.push(call("create_smart_tiered_cache", "on", async move {
        client
            .create_smart_tiered_cache(ZONE, &smart(ToggleValue::On))
            .await
    }));
    calls.push(call("update_smart_tiered_cache", "off", async move {
        client
            .update_smart_tiered_cache(ZONE, &smart(ToggleValue::Off))
            .await
    }));
    calls.push(call(
        "delete_smart_tiered_cache",
        "",
        client.delete_smart_tiered_cache(ZONE),
    ));

    calls.push(call(
        "get_regional_tiered_cache",
        "",
        client.get_regional_tiered_cache(ZONE),
    ));
    calls.push(call("update_regional_tiered_cache", "on", async move {
        let update = RegionalTieredCacheUpdate {
            value: ToggleValue::On,
        };
        client.update_regional_tiered_cache(ZONE, &update).await
    }));

    calls.push(call("get_variants", "", client.get_variants(ZONE)));
    calls.push(call("update_variants", "jpeg+png", async move {
        let update = VariantsUpdate {
            value: VariantsValue {
                jpeg: Some(VariantMimeTypes(strings(&["image/webp", "image/avif"]))),
                png: Some(VariantMimeTypes(strings(&["image/webp"]))),
                ..VariantsValue::default()
            },
        };
        client.update_variants(ZONE, &update).await
    }));
    calls.push(call("delete_variants", "", client.delete_variants(ZONE)));

    calls.push(call(
        "list_origin_cloud_regions",
        "page=2, per_page=50",
        client.list_origin_cloud_regions(ZONE, Some(2), Some(50)),
    ));
    calls.push(call(
        "list_origin_cloud_regions",
        "no paging",
        client.list_origin_cloud_regions(ZONE, None, None),
    ));
    calls.push(call(
        "get_origin_cloud_region",
        "IPv4",
        client.get_origin_cloud_region(ZONE, &ORIGIN_IP),
    ));
    calls.push(call(
        "get_origin_cloud_region",
        "IPv6",
        client.get_origin_cloud_region(ZONE, &ORIGIN_IPV6),
    ));
    calls.push(call("upsert_origin_cloud_region", "IPv4", async move {
        let body = mapping(ORIGIN_IP, "us-east-1", CloudVendor::Aws);
        client.upsert_origin_cloud_region(ZONE, &ORIGIN_IP, &body).await
    }));
    calls.push(call(
        "delete_origin_cloud_region",
        "IPv4",
        client.delete_origin_cloud_region(ZONE, &ORIGIN_IP),
    ));
    calls.push(call(
        "batch_upsert_origin_cloud_regions",
        "2 mappings",
        async move {
            let batch = OriginCloudRegionBatchUpsertRequest(vec![
                mapping(ORIGIN_IP, "us-east-1", CloudVendor::Aws),
                mapping(ORIGIN_IPV6, "us-central1", CloudVendor::Gcp),
            ]);
            client.batch_upsert_origin_cloud_regions(ZONE, &batch).await
        },
    ));
    calls.push(call("batch_delete_origin_cloud_regions", "2 ips", async move {
        let ips = OriginCloudRegionBatchDeleteRequest(vec![ORIGIN_IP, ORIGIN_IPV6]);
        client.batch_delete_origin_cloud_regions(ZONE, &ips).await
    }));
    calls.push(call(
        "list_supported_origin_cloud_regions",
        "",
        client.list_supported_origin_cloud_regions(ZONE),
    ));
    calls
}

/// The `operationId`s of `spec/cloudflare-cache.yaml`.
fn spec_operation_ids() -> BTreeSet<String> {
    let path = workspace_root().join("spec/cloudflare-cache.yaml");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{} must be readable: {e}", path.display()));
    let spec: serde_yaml::Value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{} must parse: {e}", path.display()));
    let paths = spec["paths"]
        .as_mapping()
        .unwrap_or_else(|| panic!("{} has no `paths`", path.display()));
    paths
        .values()
        .filter_map(serde_yaml::Value::as_mapping)
        .flat_map(|methods| methods.values())
        .filter_map(|operation| operation["operationId"].as_str())
        .map(str::to_string)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------------

/// Panics listing every failed call, with the violations Prism logged, if any call failed.
fn assert_all_ok(calls: &[Call], context: &str, prism: &Prism) {
    let failures: Vec<String> = calls
        .iter()
        .filter_map(|call| match &call.outcome {
            Ok(_) => None,
            Err(error) => Some(format!("  {}: {error}\n    {error:?}", call.label)),
        })
        .collect();
    if failures.is_empty() {
        return;
    }
    panic!(
        "{context}: {} of {} calls failed.\n{}\n\
         (With --errors Prism answers a request violation with 401/422 carrying the spec's 4XX \
         example, and a response that breaks its schema with a 500 problem whose details only \
         its `sl-violations` header has; what Prism logged:)\n{}",
        failures.len(),
        calls.len(),
        failures.join("\n"),
        prism_violations(prism)
    );
}

/// Prism's logged violations, or its last lines when there are none.
fn prism_violations(prism: &Prism) -> String {
    let mut violations = prism.lines_containing(VIOLATION);
    violations.extend(prism.lines_containing(TERMINATED));
    if violations.is_empty() {
        let output = prism.output();
        let tail = output.len().saturating_sub(60);
        format!(
            "(no violations logged; Prism's last lines:)\n{}",
            output[tail..].join("\n")
        )
    } else {
        violations.join("\n")
    }
}

/// Checks Prism's own account: exactly `expected` requests passed validation, and nothing it
/// handled (request or response) had a violation, not even a warning.
fn assert_prism_validated(prism: &Prism, expected: usize, context: &str) -> usize {
    let validated = prism.wait_for_lines(PASSED, expected, LOG_TIMEOUT);
    assert_eq!(
        validated, expected,
        "{context}: Prism should log `{PASSED}` once per request sent"
    );
    let violations = prism.lines_containing(VIOLATION);
    assert!(
        violations.is_empty(),
        "{context}: Prism logged violations:\n{}",
        violations.join("\n")
    );
    let rejected = prism.lines_containing(REJECTED);
    assert!(
        rejected.is_empty(),
        "{context}: Prism rejected requests:\n{}",
        rejected.join("\n")
    );
    let terminated = prism.lines_containing(TERMINATED);
    assert!(
        terminated.is_empty(),
        "{context}: Prism refused to send responses:\n{}",
        terminated.join("\n")
    );
    validated
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_the_client_builds_passes_prism_validation() {
    let started = Instant::now();
    let prism = Prism::start();
    let token = token_client(&prism);
    let key = key_client(&prism);

    let token_calls = join_all(every_operation(&token)).await;
    let key_calls = join_all(every_operation(&key)).await;

    let covered: BTreeSet<String> = token_calls.iter().map(|c| c.operation.to_string()).collect();
    assert_eq!(
        covered,
        spec_operation_ids(),
        "the static round must call exactly the spec's operations"
    );
    assert_all_ok(&token_calls, "static round, API token", &prism);
    assert_all_ok(&key_calls, "static round, email + Global API key", &prism);
    let sent = token_calls.len() + key_calls.len();
    let validated = assert_prism_validated(&prism, sent, "static round");

    eprintln!(
        "conformance/static: {} operations, {} calls per credential kind x 2, {validated} requests \
         validated by Prism, {sent} example responses decoded ({:.1?})",
        covered.len(),
        token_calls.len(),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_prism_generates_from_the_schemas_decodes() {
    let started = Instant::now();
    let prism = Prism::start();
    let mut parsed = 0;
    let mut operations = BTreeSet::new();

    for round in 1..=DYNAMIC_ROUNDS {
        let seed = format!("cf-cache-{round}");
        let client = dynamic_client(&prism, &seed);
        let calls = join_all(every_operation(&client)).await;
        assert_all_ok(
            &calls,
            &format!("dynamic round {round} (reproduce with `Prefer: dynamic=true, seed={seed}`)"),
            &prism,
        );
        for call in &calls {
            let value = call.outcome.as_ref().map_or("", String::as_str);
            // Every enum value in a generated body comes from the spec, so none may fall back
            // to an open enum's `Unknown` variant.
            assert!(
                !value.contains("Unknown("),
                "dynamic round {round} (seed {seed}), {}: a spec value decoded as Unknown: {value}",
                call.label
            );
            operations.insert(call.operation);
        }
        parsed += calls.len();
    }
    let validated = assert_prism_validated(&prism, parsed, "dynamic rounds");

    eprintln!(
        "conformance/dynamic: {} operations x {DYNAMIC_ROUNDS} rounds: {validated} requests \
         validated, {parsed} generated responses decoded ({:.1?})",
        operations.len(),
        started.elapsed()
    );
}

/// Without this, the rounds above could pass against a server that accepts anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_rejects_requests_that_break_the_spec() {
    let prism = Prism::start();
    let raw = http_client(reqwest::header::HeaderMap::new())
        .build()
        .unwrap_or_else(|e| panic!("the reqwest client must build: {e}"));
    let purge_url = format!("{}/zones/{ZONE}/purge_cache", prism.base_url());

    // `files` must be an array.
    let response = raw
        .post(&purge_url)
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(r#"{"files": 5}"#)
        .send()
        .await
        .unwrap_or_else(|e| panic!("Prism must answer: {e}"));
    assert_eq!(
        response.status().as_u16(),
        422,
        "a purge body with `files: 5` is invalid"
    );
    let violations = response
        .headers()
        .get("sl-violations")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    assert!(
        violations.contains("files must be array"),
        "Prism names the broken field in sl-violations: {violations:?}"
    );

    // A valid body without credentials.
    let response = raw
        .post(&purge_url)
        .header("content-type", "application/json")
        .body(r#"{"tags": ["a-cache-tag"]}"#)
        .send()
        .await
        .unwrap_or_else(|e| panic!("Prism must answer: {e}"));
    assert_eq!(
        response.status().as_u16(),
        401,
        "a request without credentials is refused"
    );

    // Bodies and queries the spec forbids. The client refuses the first two itself before
    // sending (tests/validation.rs), so they go out raw here; an unknown vendor is something
    // the client's open enum lets through, and Prism must catch it.
    let response = raw
        .post(&purge_url)
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(r#"{"tags": []}"#)
        .send()
        .await
        .unwrap_or_else(|e| panic!("Prism must answer: {e}"));
    let no_tags = Some(response.status().as_u16());
    let response = raw
        .get(format!(
            "{}/zones/{ZONE}/origin/cloud_regions?page=1&per_page=500",
            prism.base_url()
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap_or_else(|e| panic!("Prism must answer: {e}"));
    let huge_page = Some(response.status().as_u16());
    let client = token_client(&prism);
    let unknown_vendor = client
        .upsert_origin_cloud_region(
            ZONE,
            &ORIGIN_IP,
            &mapping(ORIGIN_IP, "eu-1", CloudVendor::Unknown("ibm".to_string())),
        )
        .await;
    for (what, status) in [
        ("an empty tag list (minItems: 1)", no_tags),
        ("per_page=500 (maximum: 100)", huge_page),
        (
            "vendor `ibm` (not in the enum)",
            unknown_vendor.err().and_then(|e| e.status()),
        ),
    ] {
        assert_eq!(status, Some(422), "{what} must be rejected with HTTP 422");
    }

    let rejected = prism.wait_for_lines(REJECTED, 5, LOG_TIMEOUT);
    assert_eq!(rejected, 5, "Prism logs each of the five rejections");
    assert_eq!(
        prism.lines_containing(PASSED),
        Vec::<String>::new(),
        "none of these requests may pass"
    );
}

/// The response side of the control: with `--errors`, a response that breaks its schema never
/// reaches the client. Without this, the static round would not prove the examples match.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_refuses_to_send_a_response_that_breaks_its_schema() {
    let spec_path = workspace_root().join("spec/cloudflare-cache.yaml");
    let text = std::fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| panic!("{} must be readable: {e}", spec_path.display()));
    let mut spec: serde_yaml::Value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{} must parse: {e}", spec_path.display()));
    let example = &mut spec["paths"]["/zones/{zone_id}/cache/cache_reserve"]["get"]["responses"]["200"]["content"]
        ["application/json"]["example"]["result"]["value"];
    assert_eq!(
        example.as_str(),
        Some("off"),
        "the spec's get_cache_reserve example moved"
    );
    *example = serde_yaml::Value::from("maybe");
    let broken =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cloudflare-cache-broken-example.yaml");
    let yaml = serde_yaml::to_string(&spec).unwrap_or_else(|e| panic!("the broken spec must serialise: {e}"));
    std::fs::write(&broken, yaml).unwrap_or_else(|e| panic!("cannot write {}: {e}", broken.display()));

    let prism = Prism::start_with_spec(&broken);
    // One attempt: the client would otherwise retry Prism's 500.
    let result = token_client(&prism)
        .with_retry_policy(RetryPolicy::none())
        .get_cache_reserve(ZONE)
        .await;

    match result {
        Err(error) => assert_eq!(error.status(), Some(500), "expected Prism's 500, got {error:?}"),
        Ok(setting) => panic!("a `value: maybe` example must not be served, got {setting:?}"),
    }
    assert_eq!(
        prism.wait_for_lines(TERMINATED, 1, LOG_TIMEOUT),
        1,
        "Prism logs the refused response"
    );
}
