//! End-to-end tests of every API operation over real HTTP on loopback.
//!
//! Each test calls one operation through the public `Client` against a wiremock server that
//! answers with the spec's example, then checks what went over the wire (method, exact path,
//! query, JSON body, credentials, and that no `api-version` header is sent) and what came
//! back (the typed result, field by field, as the spec's example says).

use std::collections::HashMap;

use cf_cache_client::types::{
    CacheReserveSettingId, CacheReserveUpdate, CloudVendor, OriginCloudRegionBatchDeleteRequest,
    OriginCloudRegionBatchFailure, OriginCloudRegionBatchSuccess, OriginCloudRegionBatchUpsertRequest,
    OriginCloudRegionRequest, PurgeFileWithHeaders, PurgeRequest, PurgeResult, RegionalTieredCacheSettingId,
    RegionalTieredCacheUpdate, ReserveClearRequest, ReserveClearState, ReserveClearStatusId,
    SmartTieredCacheDeletedId, SmartTieredCacheSettingId, SmartTieredCacheUpdate, SupportedCloudRegion,
    ToggleValue, VariantMimeTypes, VariantsDeletedId, VariantsSettingId, VariantsUpdate, VariantsValue,
};
use cf_cache_client::{ApiError, Client, Error, ResultInfo};
use cf_cache_tests::{TOKEN, ZONE, client, spec_example, spec_failure_example};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers
// ---------------------------------------------------------------------------------------------

/// An environment id distinct from `ZONE`, so a swapped path parameter shows.
const ENVIRONMENT: &str = "6b4a1d2f0c9e8d7b5a3f1e0d9c8b7a65";
/// The `id` of every purge/invalidate example result in the spec.
const PURGE_ID: &str = "023e105f4ecef8ad9ca31a8372d0c353";

// Path templates, as the spec (and `spec_example`) names them.
const PURGE: &str = "/zones/{zone_id}/purge_cache";
const INVALIDATE: &str = "/zones/{zone_id}/invalidate_cache";
const ENV_PURGE: &str = "/zones/{zone_id}/environments/{environment_id}/purge_cache";
const ENV_INVALIDATE: &str = "/zones/{zone_id}/environments/{environment_id}/invalidate_cache";
const CACHE_RESERVE: &str = "/zones/{zone_id}/cache/cache_reserve";
const RESERVE_CLEAR: &str = "/zones/{zone_id}/cache/cache_reserve_clear";
const SMART_SHIELD_RESERVE_CLEAR: &str = "/zones/{zone_id}/smart_shield/cache_reserve_clear";
const SMART_TIERED: &str = "/zones/{zone_id}/cache/tiered_cache_smart_topology_enable";
const REGIONAL_TIERED: &str = "/zones/{zone_id}/cache/regional_tiered_cache";
const VARIANTS: &str = "/zones/{zone_id}/cache/variants";
const CLOUD_REGIONS: &str = "/zones/{zone_id}/origin/cloud_regions";
const CLOUD_REGION: &str = "/zones/{zone_id}/origin/cloud_regions/{origin_ip}";
const CLOUD_REGIONS_BATCH: &str = "/zones/{zone_id}/origin/cloud_regions/batch";
const SUPPORTED_REGIONS: &str = "/zones/{zone_id}/origin/cloud_regions/supported_regions";

/// A loopback server that answers every request the same way, and a token client for it.
/// It matches any request, so a wrong method or path is still recorded and reported by the
/// test's own assertions rather than as a bare 404.
struct Api {
    server: MockServer,
    client: Client,
}

impl Api {
    /// Answers every request with HTTP `status` and the JSON `body`.
    async fn answering(status: u16, body: Value) -> Self {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&server)
            .await;
        let client = client(&server);
        Self { server, client }
    }

    /// Answers every request with the spec's 200 example for `method path`.
    async fn answering_with_spec_example(method: &str, path: &str) -> Self {
        Self::answering(200, spec_example(method, path)).await
    }

    /// The single request the server received.
    async fn only_request(&self) -> Request {
        let mut requests = self
            .server
            .received_requests()
            .await
            .expect("the mock server records requests");
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request, got {requests:#?}"
        );
        requests.remove(0)
    }
}

/// `METHOD /path?query` exactly as the server saw it: the path still percent-encoded, and no
/// `?` at all when there is no query string.
fn request_line(request: &Request) -> String {
    match request.url.query() {
        Some(query) => format!("{} {}?{}", request.method, request.url.path(), query),
        None => format!("{} {}", request.method, request.url.path()),
    }
}

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request
        .headers
        .get(name)
        .map(|value| value.to_str().expect("header values are ASCII text"))
}

/// The request body parsed as JSON, after checking it was labelled as JSON.
fn json_body(request: &Request) -> Value {
    assert_eq!(
        header(request, "content-type"),
        Some("application/json"),
        "a JSON body is sent as application/json"
    );
    serde_json::from_slice(&request.body).unwrap_or_else(|e| {
        panic!(
            "the body must be JSON ({e}): {:?}",
            String::from_utf8_lossy(&request.body)
        )
    })
}

fn assert_no_body(request: &Request) {
    assert!(
        request.body.is_empty(),
        "expected no body, got {:?}",
        String::from_utf8_lossy(&request.body)
    );
}

/// The token travels as `Authorization: Bearer <TOKEN>`, and progenitor's `api-version`
/// header, which Cloudflare does not use, is absent.
fn assert_token_auth_and_no_api_version(request: &Request) {
    let expected = format!("Bearer {TOKEN}");
    assert_eq!(
        header(request, "authorization"),
        Some(expected.as_str()),
        "API token auth"
    );
    assert_eq!(
        header(request, "api-version"),
        None,
        "no api-version header may be sent"
    );
}

/// The `Error::Api` inside `result`, or a panic naming what came instead.
fn api_error<T: std::fmt::Debug>(result: Result<T, Error>) -> ApiError {
    match result {
        Err(Error::Api(error)) => error,
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

/// The `{}` body a Cache Reserve Clear start requires.
fn empty_clear_request() -> ReserveClearRequest {
    ReserveClearRequest(serde_json::Map::new())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

fn ip(text: &str) -> std::net::IpAddr {
    text.parse()
        .unwrap_or_else(|e| panic!("test IP {text:?} must parse: {e}"))
}

fn mime_types(types: &[&str]) -> Option<VariantMimeTypes> {
    Some(VariantMimeTypes(strings(types)))
}

// The six purge bodies, from the spec's request examples, with the JSON each must travel as.

fn everything() -> PurgeRequest {
    PurgeRequest::Everything
}
fn everything_json() -> Value {
    json!({"purge_everything": true})
}

fn files() -> PurgeRequest {
    PurgeRequest::Files(strings(&[
        "http://www.example.com/css/styles.css",
        "http://www.example.com/js/index.js",
    ]))
}
fn files_json() -> Value {
    json!({"files": ["http://www.example.com/css/styles.css", "http://www.example.com/js/index.js"]})
}

fn files_with_headers() -> PurgeRequest {
    let file = |url: &str, country: &str, device: &str, language: &str| PurgeFileWithHeaders {
        url: url.to_string(),
        headers: HashMap::from([
            ("CF-IPCountry".to_string(), country.to_string()),
            ("CF-Device-Type".to_string(), device.to_string()),
            ("Accept-Language".to_string(), language.to_string()),
        ]),
    };
    PurgeRequest::FilesWithHeaders(vec![
        file("http://www.example.com/cat_picture.jpg", "US", "desktop", "zh-CN"),
        file("http://www.example.com/dog_picture.jpg", "EU", "mobile", "en-US"),
    ])
}
fn files_with_headers_json() -> Value {
    json!({"files": [
        {
            "url": "http://www.example.com/cat_picture.jpg",
            "headers": {"CF-IPCountry": "US", "CF-Device-Type": "desktop", "Accept-Language": "zh-CN"}
        },
        {
            "url": "http://www.example.com/dog_picture.jpg",
            "headers": {"CF-IPCountry": "EU", "CF-Device-Type": "mobile", "Accept-Language": "en-US"}
        }
    ]})
}

fn tags() -> PurgeRequest {
    PurgeRequest::Tags(strings(&["a-cache-tag", "another-cache-tag"]))
}
fn tags_json() -> Value {
    json!({"tags": ["a-cache-tag", "another-cache-tag"]})
}

fn hosts() -> PurgeRequest {
    PurgeRequest::Hosts(strings(&["www.example.com", "images.example.com"]))
}
fn hosts_json() -> Value {
    json!({"hosts": ["www.example.com", "images.example.com"]})
}

fn prefixes() -> PurgeRequest {
    PurgeRequest::Prefixes(strings(&["www.example.com/foo", "images.example.com/bar/baz"]))
}
fn prefixes_json() -> Value {
    json!({"prefixes": ["www.example.com/foo", "images.example.com/bar/baz"]})
}

// ---------------------------------------------------------------------------------------------
// The four endpoints of a purge body, each with the six bodies: purge_cache and
// invalidate_cache (POST /zones/{zone_id}/...), purge_environment_cache and
// invalidate_environment_cache (POST /zones/{zone_id}/environments/{environment_id}/...)
// ---------------------------------------------------------------------------------------------

/// An operation taking a purge body.
#[derive(Clone, Copy)]
enum PurgeEndpoint {
    Purge,
    Invalidate,
    EnvironmentPurge,
    EnvironmentInvalidate,
}

impl PurgeEndpoint {
    /// The path template, as the spec names it.
    fn template(self) -> &'static str {
        match self {
            Self::Purge => PURGE,
            Self::Invalidate => INVALIDATE,
            Self::EnvironmentPurge => ENV_PURGE,
            Self::EnvironmentInvalidate => ENV_INVALIDATE,
        }
    }

    /// The request line the server must see, written out (not derived from the template).
    fn request_line(self) -> String {
        match self {
            Self::Purge => format!("POST /zones/{ZONE}/purge_cache"),
            Self::Invalidate => format!("POST /zones/{ZONE}/invalidate_cache"),
            Self::EnvironmentPurge => format!("POST /zones/{ZONE}/environments/{ENVIRONMENT}/purge_cache"),
            Self::EnvironmentInvalidate => {
                format!("POST /zones/{ZONE}/environments/{ENVIRONMENT}/invalidate_cache")
            }
        }
    }

    async fn call(self, client: &Client, body: &PurgeRequest) -> Result<PurgeResult, Error> {
        match self {
            Self::Purge => client.purge_cache(ZONE, body).await,
            Self::Invalidate => client.invalidate_cache(ZONE, body).await,
            Self::EnvironmentPurge => client.purge_environment_cache(ZONE, ENVIRONMENT, body).await,
            Self::EnvironmentInvalidate => client.invalidate_environment_cache(ZONE, ENVIRONMENT, body).await,
        }
    }
}

/// Sends `body` to `endpoint` against the spec's example, and checks what travelled (the
/// request line, `json`, the credentials) and what came back (the example's id).
async fn assert_purge_sent(endpoint: PurgeEndpoint, body: PurgeRequest, json: Value) {
    let api = Api::answering_with_spec_example("POST", endpoint.template()).await;

    let accepted = endpoint
        .call(&api.client, &body)
        .await
        .expect("the purge is accepted");

    let request = api.only_request().await;
    assert_eq!(request_line(&request), endpoint.request_line());
    assert_eq!(json_body(&request), json);
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(accepted.id, PURGE_ID);
}

/// One test per endpoint and body, so a failure names both.
macro_rules! purge_sends {
    ($($name:ident: $endpoint:ident, $body:ident, $json:ident;)*) => {$(
        #[tokio::test]
        async fn $name() {
            assert_purge_sent(PurgeEndpoint::$endpoint, $body(), $json()).await;
        }
    )*};
}

purge_sends! {
    purge_everything_posts_purge_everything_true: Purge, everything, everything_json;
    purge_by_files_posts_the_url_list: Purge, files, files_json;
    purge_by_files_with_headers_posts_url_and_header_objects: Purge, files_with_headers, files_with_headers_json;
    purge_by_tags_posts_the_tags_body: Purge, tags, tags_json;
    purge_by_hosts_posts_the_hosts_body: Purge, hosts, hosts_json;
    purge_by_prefixes_posts_the_prefixes_body: Purge, prefixes, prefixes_json;
    invalidate_everything_posts_purge_everything_true: Invalidate, everything, everything_json;
    invalidate_by_files_posts_the_url_list: Invalidate, files, files_json;
    invalidate_by_files_with_headers_posts_url_and_header_objects: Invalidate, files_with_headers, files_with_headers_json;
    invalidate_by_tags_posts_the_tags_body: Invalidate, tags, tags_json;
    invalidate_by_hosts_posts_the_hosts_body: Invalidate, hosts, hosts_json;
    invalidate_by_prefixes_posts_the_prefixes_body: Invalidate, prefixes, prefixes_json;
    environment_purge_everything_posts_purge_everything_true: EnvironmentPurge, everything, everything_json;
    environment_purge_by_files_posts_the_url_list: EnvironmentPurge, files, files_json;
    environment_purge_by_files_with_headers_posts_url_and_header_objects: EnvironmentPurge, files_with_headers, files_with_headers_json;
    environment_purge_by_tags_posts_the_tags_body: EnvironmentPurge, tags, tags_json;
    environment_purge_by_hosts_posts_the_hosts_body: EnvironmentPurge, hosts, hosts_json;
    environment_purge_by_prefixes_posts_the_prefixes_body: EnvironmentPurge, prefixes, prefixes_json;
    environment_invalidate_everything_posts_purge_everything_true: EnvironmentInvalidate, everything, everything_json;
    environment_invalidate_by_files_posts_the_url_list: EnvironmentInvalidate, files, files_json;
    environment_invalidate_by_files_with_headers_posts_url_and_header_objects: EnvironmentInvalidate, files_with_headers, files_with_headers_json;
    environment_invalidate_by_tags_posts_the_tags_body: EnvironmentInvalidate, tags, tags_json;
    environment_invalidate_by_hosts_posts_the_hosts_body: EnvironmentInvalidate, hosts, hosts_json;
    environment_invalidate_by_prefixes_posts_the_prefixes_body: EnvironmentInvalidate, prefixes, prefixes_json;
}

#[tokio::test]
async fn a_slash_in_the_environment_id_is_refused_before_sending() {
    let api = Api::answering_with_spec_example("POST", ENV_PURGE).await;

    let result = api
        .client
        .purge_environment_cache(ZONE, "staging/blue", &tags())
        .await;

    assert_nothing_sent(&api).await;
    match result {
        Err(Error::InvalidRequest(refusal)) => assert_eq!(refusal.field, "environment_id"),
        other => panic!("expected Error::InvalidRequest for environment_id, got {other:?}"),
    }
}

async fn assert_nothing_sent(api: &Api) {
    let requests = api
        .server
        .received_requests()
        .await
        .expect("the mock server records requests");
    let lines: Vec<String> = requests.iter().map(request_line).collect();
    assert_eq!(lines, Vec::<String>::new(), "nothing may be sent");
}

/// `..` cannot be percent-encoded out of harm's way: URL parsers resolve `..` (and `%2e%2e`) as
/// a parent segment, so `/zones/Z/environments/../purge_cache` becomes the zone-wide
/// `/zones/Z/purge_cache`. The client must refuse such a path parameter before sending.
#[tokio::test]
async fn an_environment_id_of_dot_dot_is_refused_instead_of_purging_the_whole_zone() {
    let api = Api::answering_with_spec_example("POST", ENV_PURGE).await;

    let result = api
        .client
        .purge_environment_cache(ZONE, "..", &everything())
        .await;

    let requests = api
        .server
        .received_requests()
        .await
        .expect("the mock server records requests");
    let lines: Vec<String> = requests.iter().map(request_line).collect();
    assert_eq!(
        lines,
        Vec::<String>::new(),
        "nothing may be sent, least of all a zone-wide purge"
    );
    match result {
        Err(Error::InvalidRequest(refusal)) => assert_eq!(refusal.field, "environment_id"),
        other => panic!("expected Error::InvalidRequest for environment_id, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Cache Reserve: /zones/{zone_id}/cache/cache_reserve
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn get_cache_reserve_gets_the_setting() {
    let api = Api::answering_with_spec_example("GET", CACHE_RESERVE).await;

    let setting = api
        .client
        .get_cache_reserve(ZONE)
        .await
        .expect("the setting is returned");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("GET /zones/{ZONE}/cache/cache_reserve")
    );
    assert_no_body(&request);
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(setting.id, CacheReserveSettingId::CacheReserve);
    assert!(setting.editable);
    assert_eq!(setting.value, ToggleValue::Off);
    assert_eq!(setting.modified_on, None, "the spec example has no modified_on");
}

#[tokio::test]
async fn update_cache_reserve_patches_the_new_value() {
    let api = Api::answering_with_spec_example("PATCH", CACHE_RESERVE).await;

    let setting = api
        .client
        .update_cache_reserve(
            ZONE,
            &CacheReserveUpdate {
                value: ToggleValue::On,
            },
        )
        .await
        .expect("the setting is updated");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("PATCH /zones/{ZONE}/cache/cache_reserve")
    );
    assert_eq!(json_body(&request), json!({"value": "on"}));
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(setting.id, CacheReserveSettingId::CacheReserve);
    assert!(setting.editable);
    assert_eq!(setting.value, ToggleValue::On);
    assert_eq!(setting.modified_on, None);
}

// ---------------------------------------------------------------------------------------------
// Cache Reserve Clear: /zones/{zone_id}/cache/cache_reserve_clear and its Smart Shield twin
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn get_cache_reserve_clear_reports_a_completed_clear_with_both_timestamps() {
    let api = Api::answering_with_spec_example("GET", RESERVE_CLEAR).await;

    let status = api
        .client
        .get_cache_reserve_clear(ZONE)
        .await
        .expect("the status is returned");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("GET /zones/{ZONE}/cache/cache_reserve_clear")
    );
    assert_no_body(&request);
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(status.id, ReserveClearStatusId::CacheReserveClear);
    assert_eq!(status.state, ReserveClearState::Completed);
    // The spec writes these as 2023-10-02T10:00:00.12345Z and 2023-10-02T12:00:00.12345Z.
    assert_eq!(status.start_ts.to_rfc3339(), "2023-10-02T10:00:00.123450+00:00");
    assert_eq!(
        status.end_ts.map(|t| t.to_rfc3339()).as_deref(),
        Some("2023-10-02T12:00:00.123450+00:00")
    );
    assert_eq!(status.modified_on, None);
}

#[tokio::test]
async fn start_cache_reserve_clear_posts_an_empty_object() {
    let api = Api::answering_with_spec_example("POST", RESERVE_CLEAR).await;

    let status = api
        .client
        .start_cache_reserve_clear(ZONE, &empty_clear_request())
        .await
        .expect("the clear is started");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("POST /zones/{ZONE}/cache/cache_reserve_clear")
    );
    assert_eq!(json_body(&request), json!({}));
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(status.id, ReserveClearStatusId::CacheReserveClear);
    assert_eq!(status.state, ReserveClearState::InProgress);
    assert_eq!(status.start_ts.to_rfc3339(), "2023-10-02T10:00:00.123450+00:00");
    assert_eq!(status.end_ts, None, "a clear in progress has no end");
}

#[tokio::test]
async fn get_smart_shield_cache_reserve_clear_uses_the_smart_shield_path() {
    let api = Api::answering_with_spec_example("GET", SMART_SHIELD_RESERVE_CLEAR).await;

    let status = api
        .client
        .get_smart_shield_cache_reserve_clear(ZONE)
        .await
        .expect("the status is returned");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("GET /zones/{ZONE}/smart_shield/cache_reserve_clear")
    );
    assert_no_body(&request);
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(status.id, ReserveClearStatusId::CacheReserveClear);
    assert_eq!(status.state, ReserveClearState::InProgress);
    assert_eq!(status.start_ts.to_rfc3339(), "2023-10-02T10:00:00.123450+00:00");
    assert_eq!(status.end_ts, None);
}

#[tokio::test]
async fn start_smart_shield_cache_reserve_clear_posts_an_empty_object_to_the_smart_shield_path() {
    let api = Api::answering_with_spec_example("POST", SMART_SHIELD_RESERVE_CLEAR).await;

    let status = api
        .client
        .start_smart_shield_cache_reserve_clear(ZONE, &empty_clear_request())
        .await
        .expect("the clear is started");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("POST /zones/{ZONE}/smart_shield/cache_reserve_clear")
    );
    assert_eq!(json_body(&request), json!({}));
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(status.id, ReserveClearStatusId::CacheReserveClear);
    assert_eq!(status.state, ReserveClearState::InProgress);
    assert_eq!(status.start_ts.to_rfc3339(), "2023-10-02T10:00:00.123450+00:00");
    assert_eq!(status.end_ts, None);
}

// ---------------------------------------------------------------------------------------------
// Smart Tiered Cache: /zones/{zone_id}/cache/tiered_cache_smart_topology_enable
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn get_smart_tiered_cache_gets_the_setting() {
    let api = Api::answering_with_spec_example("GET", SMART_TIERED).await;

    let setting = api
        .client
        .get_smart_tiered_cache(ZONE)
        .await
        .expect("the setting is returned");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("GET /zones/{ZONE}/cache/tiered_cache_smart_topology_enable")
    );
    assert_no_body(&request);
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(
        setting.id,
        SmartTieredCacheSettingId::TieredCacheSmartTopologyEnable
    );
    assert!(setting.editable);
    assert_eq!(setting.value, ToggleValue::On);
    assert_eq!(
        setting.modified_on.map(|t| t.to_rfc3339()).as_deref(),
        Some("2014-01-01T05:20:00.123450+00:00")
    );
}

#[tokio::test]
async fn create_smart_tiered_cache_posts_the_value() {
    let api = Api::answering_with_spec_example("POST", SMART_TIERED).await;

    let setting = api
        .client
        .create_smart_tiered_cache(
            ZONE,
            &SmartTieredCacheUpdate {
                value: ToggleValue::On,
            },
        )
        .await
        .expect("the setting is created");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("POST /zones/{ZONE}/cache/tiered_cache_smart_topology_enable")
    );
    assert_eq!(json_body(&request), json!({"value": "on"}));
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(
        setting.id,
        SmartTieredCacheSettingId::TieredCacheSmartTopologyEnable
    );
    assert!(setting.editable);
    assert_eq!(setting.value, ToggleValue::On);
    assert_eq!(
        setting.modified_on.map(|t| t.to_rfc3339()).as_deref(),
        Some("2014-01-01T05:20:00.123450+00:00")
    );
}

#[tokio::test]
async fn update_smart_tiered_cache_patches_the_value() {
    let api = Api::answering_with_spec_example("PATCH", SMART_TIERED).await;

    let setting = api
        .client
        .update_smart_tiered_cache(
            ZONE,
            &SmartTieredCacheUpdate {
                value: ToggleValue::Off,
            },
        )
        .await
        .expect("the setting is updated");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("PATCH /zones/{ZONE}/cache/tiered_cache_smart_topology_enable")
    );
    assert_eq!(json_body(&request), json!({"value": "off"}));
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(
        setting.id,
        SmartTieredCacheSettingId::TieredCacheSmartTopologyEnable
    );
    assert!(setting.editable);
    assert_eq!(setting.value, ToggleValue::Off);
    assert_eq!(
        setting.modified_on.map(|t| t.to_rfc3339()).as_deref(),
        Some("2014-01-01T05:20:00.123450+00:00")
    );
}

#[tokio::test]
async fn delete_smart_tiered_cache_sends_a_bodiless_delete_and_returns_the_removed_setting() {
    let api = Api::answering_with_spec_example("DELETE", SMART_TIERED).await;

    let deleted = api
        .client
        .delete_smart_tiered_cache(ZONE)
        .await
        .expect("the setting is removed");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("DELETE /zones/{ZONE}/cache/tiered_cache_smart_topology_enable")
    );
    assert_no_body(&request);
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(
        deleted.id,
        SmartTieredCacheDeletedId::TieredCacheSmartTopologyEnable
    );
    assert!(deleted.editable);
    assert_eq!(
        deleted.modified_on.map(|t| t.to_rfc3339()).as_deref(),
        Some("2014-01-01T05:20:00.123450+00:00")
    );
}

// ---------------------------------------------------------------------------------------------
// Regional Tiered Cache: /zones/{zone_id}/cache/regional_tiered_cache
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn get_regional_tiered_cache_gets_the_setting() {
    let api = Api::answering_with_spec_example("GET", REGIONAL_TIERED).await;

    let setting = api
        .client
        .get_regional_tiered_cache(ZONE)
        .await
        .expect("the setting is returned");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("GET /zones/{ZONE}/cache/regional_tiered_cache")
    );
    assert_no_body(&request);
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(setting.id, RegionalTieredCacheSettingId::TcRegional);
    assert!(setting.editable);
    assert_eq!(setting.value, ToggleValue::On);
    assert_eq!(
        setting.modified_on.map(|t| t.to_rfc3339()).as_deref(),
        Some("2014-01-01T05:20:00.123450+00:00")
    );
}

#[tokio::test]
async fn update_regional_tiered_cache_patches_the_value() {
    let api = Api::answering_with_spec_example("PATCH", REGIONAL_TIERED).await;

    let setting = api
        .client
        .update_regional_tiered_cache(
            ZONE,
            &RegionalTieredCacheUpdate {
                value: ToggleValue::On,
            },
        )
        .await
        .expect("the setting is updated");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("PATCH /zones/{ZONE}/cache/regional_tiered_cache")
    );
    assert_eq!(json_body(&request), json!({"value": "on"}));
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(setting.id, RegionalTieredCacheSettingId::TcRegional);
    assert!(setting.editable);
    assert_eq!(setting.value, ToggleValue::On);
    assert_eq!(
        setting.modified_on.map(|t| t.to_rfc3339()).as_deref(),
        Some("2014-01-01T05:20:00.123450+00:00")
    );
}

// ---------------------------------------------------------------------------------------------
// Image variants: /zones/{zone_id}/cache/variants
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn get_variants_returns_the_mime_types_of_every_extension() {
    let api = Api::answering_with_spec_example("GET", VARIANTS).await;

    let setting = api
        .client
        .get_variants(ZONE)
        .await
        .expect("the setting is returned");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("GET /zones/{ZONE}/cache/variants")
    );
    assert_no_body(&request);
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(setting.id, VariantsSettingId::Variants);
    assert!(setting.editable);
    assert_eq!(
        setting.value,
        VariantsValue {
            avif: mime_types(&["image/webp", "image/jpeg"]),
            bmp: mime_types(&["image/webp", "image/jpeg"]),
            gif: mime_types(&["image/webp", "image/jpeg"]),
            jp2: mime_types(&["image/webp", "image/avif"]),
            jpeg: mime_types(&["image/webp", "image/avif"]),
            jpg: mime_types(&["image/webp", "image/avif"]),
            jpg2: mime_types(&["image/webp", "image/avif"]),
            png: mime_types(&["image/webp", "image/avif"]),
            tif: mime_types(&["image/webp", "image/avif"]),
            tiff: mime_types(&["image/webp", "image/avif"]),
            webp: mime_types(&["image/jpeg", "image/avif"]),
        }
    );
    assert_eq!(
        setting.modified_on.map(|t| t.to_rfc3339()).as_deref(),
        Some("2014-01-01T05:20:00.123450+00:00")
    );
}

#[tokio::test]
async fn update_variants_patches_only_the_extensions_given() {
    let api = Api::answering_with_spec_example("PATCH", VARIANTS).await;
    let update = VariantsUpdate {
        value: VariantsValue {
            jpeg: mime_types(&["image/webp", "image/avif"]),
            png: mime_types(&["image/webp"]),
            ..VariantsValue::default()
        },
    };

    let setting = api
        .client
        .update_variants(ZONE, &update)
        .await
        .expect("the setting is updated");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("PATCH /zones/{ZONE}/cache/variants")
    );
    assert_eq!(
        json_body(&request),
        json!({"value": {"jpeg": ["image/webp", "image/avif"], "png": ["image/webp"]}})
    );
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(setting.id, VariantsSettingId::Variants);
    assert!(setting.editable);
    assert_eq!(setting.value, update.value);
    assert_eq!(
        setting.modified_on.map(|t| t.to_rfc3339()).as_deref(),
        Some("2014-01-01T05:20:00.123450+00:00")
    );
}

#[tokio::test]
async fn delete_variants_sends_a_bodiless_delete_and_returns_the_removed_setting() {
    let api = Api::answering_with_spec_example("DELETE", VARIANTS).await;

    let deleted = api
        .client
        .delete_variants(ZONE)
        .await
        .expect("the setting is removed");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("DELETE /zones/{ZONE}/cache/variants")
    );
    assert_no_body(&request);
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(deleted.id, VariantsDeletedId::Variants);
    assert!(deleted.editable);
    assert_eq!(
        deleted.modified_on.map(|t| t.to_rfc3339()).as_deref(),
        Some("2014-01-01T05:20:00.123450+00:00")
    );
}

// ---------------------------------------------------------------------------------------------
// Origin cloud regions: /zones/{zone_id}/origin/cloud_regions[...]
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn list_origin_cloud_regions_sends_page_and_per_page_as_query_parameters() {
    let api = Api::answering_with_spec_example("GET", CLOUD_REGIONS).await;

    api.client
        .list_origin_cloud_regions(ZONE, Some(2), Some(50))
        .await
        .expect("the page is returned");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("GET /zones/{ZONE}/origin/cloud_regions?page=2&per_page=50")
    );
    assert_no_body(&request);
    assert_token_auth_and_no_api_version(&request);
}

#[tokio::test]
async fn list_origin_cloud_regions_without_paging_sends_no_query_string() {
    let api = Api::answering_with_spec_example("GET", CLOUD_REGIONS).await;

    api.client
        .list_origin_cloud_regions(ZONE, None, None)
        .await
        .expect("the page is returned");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("GET /zones/{ZONE}/origin/cloud_regions")
    );
    assert_token_auth_and_no_api_version(&request);
}

#[tokio::test]
async fn list_origin_cloud_regions_returns_the_mappings_and_result_info() {
    let api = Api::answering_with_spec_example("GET", CLOUD_REGIONS).await;

    let page = api
        .client
        .list_origin_cloud_regions(ZONE, Some(1), Some(20))
        .await
        .expect("the page is returned");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("GET /zones/{ZONE}/origin/cloud_regions?page=1&per_page=20")
    );
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].origin_ip, "192.0.2.1");
    assert_eq!(page.items[0].region, "us-east-1");
    assert_eq!(page.items[0].vendor, CloudVendor::Aws);
    assert_eq!(
        page.items[0].modified_on.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-03-01T12:00:00+00:00")
    );
    assert_eq!(page.items[1].origin_ip, "2001:db8::1");
    assert_eq!(page.items[1].region, "us-central1");
    assert_eq!(page.items[1].vendor, CloudVendor::Gcp);
    assert_eq!(
        page.items[1].modified_on.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-03-01T12:30:00+00:00")
    );
    assert_eq!(
        page.result_info,
        Some(ResultInfo {
            page: Some(1),
            per_page: Some(20),
            count: Some(2),
            total_count: Some(2),
            total_pages: Some(1)
        })
    );
}

#[tokio::test]
async fn get_origin_cloud_region_puts_the_ip_in_the_path() {
    let api = Api::answering_with_spec_example("GET", CLOUD_REGION).await;

    let mapping = api
        .client
        .get_origin_cloud_region(ZONE, &ip("192.0.2.1"))
        .await
        .expect("the mapping is returned");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("GET /zones/{ZONE}/origin/cloud_regions/192.0.2.1")
    );
    assert_no_body(&request);
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(mapping.origin_ip, "192.0.2.1");
    assert_eq!(mapping.region, "us-east-1");
    assert_eq!(mapping.vendor, CloudVendor::Aws);
    assert_eq!(
        mapping.modified_on.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-03-01T12:00:00+00:00")
    );
}

#[tokio::test]
async fn an_ipv6_origin_ip_keeps_its_colons_in_the_path() {
    let api = Api::answering(
        200,
        json!({
            "success": true, "errors": [], "messages": [],
            "result": {"origin_ip": "2001:db8::1", "region": "us-central1", "vendor": "gcp"}
        }),
    )
    .await;

    let mapping = api
        .client
        .get_origin_cloud_region(ZONE, &ip("2001:db8::1"))
        .await
        .expect("the mapping is returned");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("GET /zones/{ZONE}/origin/cloud_regions/2001:db8::1")
    );
    assert_eq!(mapping.origin_ip, "2001:db8::1");
    assert_eq!(mapping.vendor, CloudVendor::Gcp);
    assert_eq!(mapping.modified_on, None, "modified_on is optional");
}

#[tokio::test]
async fn an_ipv6_origin_ip_is_sent_in_canonical_rfc_5952_form() {
    let api = Api::answering_with_spec_example("GET", CLOUD_REGION).await;

    api.client
        .get_origin_cloud_region(ZONE, &ip("2001:0DB8:0000:0000:0000:0000:0000:0001"))
        .await
        .expect("the mapping is returned");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("GET /zones/{ZONE}/origin/cloud_regions/2001:db8::1")
    );
}

#[tokio::test]
async fn upsert_origin_cloud_region_puts_the_mapping_to_the_ip_path() {
    let api = Api::answering_with_spec_example("PUT", CLOUD_REGION).await;
    let mapping = OriginCloudRegionRequest {
        origin_ip: ip("192.0.2.1"),
        region: "us-east-1".to_string(),
        vendor: CloudVendor::Aws,
    };

    let stored = api
        .client
        .upsert_origin_cloud_region(ZONE, &ip("192.0.2.1"), &mapping)
        .await
        .expect("the mapping is stored");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("PUT /zones/{ZONE}/origin/cloud_regions/192.0.2.1")
    );
    assert_eq!(
        json_body(&request),
        json!({"origin_ip": "192.0.2.1", "region": "us-east-1", "vendor": "aws"})
    );
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(stored.origin_ip, "192.0.2.1");
    assert_eq!(stored.region, "us-east-1");
    assert_eq!(stored.vendor, CloudVendor::Aws);
    assert_eq!(
        stored.modified_on.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-03-01T12:00:00+00:00")
    );
}

#[tokio::test]
async fn delete_origin_cloud_region_sends_a_bodiless_delete_and_echoes_the_ip() {
    let api = Api::answering_with_spec_example("DELETE", CLOUD_REGION).await;

    let deleted = api
        .client
        .delete_origin_cloud_region(ZONE, &ip("192.0.2.1"))
        .await
        .expect("the mapping is deleted");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("DELETE /zones/{ZONE}/origin/cloud_regions/192.0.2.1")
    );
    assert_no_body(&request);
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(deleted.origin_ip, "192.0.2.1");
}

#[tokio::test]
async fn batch_upsert_puts_an_array_of_mappings_and_reports_each_outcome() {
    let api = Api::answering_with_spec_example("PUT", CLOUD_REGIONS_BATCH).await;
    let batch = OriginCloudRegionBatchUpsertRequest(vec![
        OriginCloudRegionRequest {
            origin_ip: ip("192.0.2.1"),
            region: "us-east-1".to_string(),
            vendor: CloudVendor::Aws,
        },
        OriginCloudRegionRequest {
            origin_ip: ip("2001:db8::1"),
            region: "us-central1".to_string(),
            vendor: CloudVendor::Gcp,
        },
    ]);

    let outcome = api
        .client
        .batch_upsert_origin_cloud_regions(ZONE, &batch)
        .await
        .expect("the batch is processed");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("PUT /zones/{ZONE}/origin/cloud_regions/batch")
    );
    assert_eq!(
        json_body(&request),
        json!([
            {"origin_ip": "192.0.2.1", "region": "us-east-1", "vendor": "aws"},
            {"origin_ip": "2001:db8::1", "region": "us-central1", "vendor": "gcp"}
        ])
    );
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(
        outcome.succeeded,
        vec![OriginCloudRegionBatchSuccess {
            origin_ip: "192.0.2.1".to_string(),
            region: Some("us-east-1".to_string()),
            vendor: Some(CloudVendor::Aws),
        }]
    );
    assert_eq!(
        outcome.failed,
        vec![OriginCloudRegionBatchFailure {
            origin_ip: "2001:db8::1".to_string(),
            error: Some(
                "The vendor provided doesn't exist or the region provided does not exist for the specified cloud vendor"
                    .to_string()
            ),
        }]
    );
}

#[tokio::test]
async fn batch_delete_sends_a_delete_whose_body_is_an_array_of_ip_strings() {
    let api = Api::answering_with_spec_example("DELETE", CLOUD_REGIONS_BATCH).await;
    let ips = OriginCloudRegionBatchDeleteRequest(vec![ip("192.0.2.1"), ip("2001:db8::1")]);

    let outcome = api
        .client
        .batch_delete_origin_cloud_regions(ZONE, &ips)
        .await
        .expect("the batch is processed");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("DELETE /zones/{ZONE}/origin/cloud_regions/batch")
    );
    assert_eq!(json_body(&request), json!(["192.0.2.1", "2001:db8::1"]));
    assert_token_auth_and_no_api_version(&request);
    assert_eq!(
        outcome.succeeded,
        vec![
            OriginCloudRegionBatchSuccess {
                origin_ip: "192.0.2.1".to_string(),
                region: Some("us-east-1".to_string()),
                vendor: Some(CloudVendor::Aws),
            },
            OriginCloudRegionBatchSuccess {
                origin_ip: "2001:db8::1".to_string(),
                region: Some("us-central1".to_string()),
                vendor: Some(CloudVendor::Gcp),
            },
        ]
    );
    assert_eq!(outcome.failed, vec![]);
}

#[tokio::test]
async fn list_supported_origin_cloud_regions_returns_regions_and_upper_tiers_per_vendor() {
    let api = Api::answering_with_spec_example("GET", SUPPORTED_REGIONS).await;

    let supported = api
        .client
        .list_supported_origin_cloud_regions(ZONE)
        .await
        .expect("the regions are returned");

    let request = api.only_request().await;
    assert_eq!(
        request_line(&request),
        format!("GET /zones/{ZONE}/origin/cloud_regions/supported_regions")
    );
    assert_no_body(&request);
    assert_token_auth_and_no_api_version(&request);
    assert!(supported.obtained_codes);
    let region = |name: &str, colos: &[&str]| SupportedCloudRegion {
        name: name.to_string(),
        upper_tier_colos: strings(colos),
    };
    assert_eq!(
        supported.vendors,
        HashMap::from([
            (
                "aws".to_string(),
                vec![
                    region("us-east-1", &["IAD", "EWR"]),
                    region("us-west-2", &["SEA"])
                ]
            ),
            ("gcp".to_string(), vec![region("us-central1", &["ORD"])]),
        ])
    );
}

// ---------------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn global_api_key_auth_sends_x_auth_email_and_x_auth_key_and_no_authorization() {
    let api = Api::answering_with_spec_example("GET", CACHE_RESERVE).await;
    let key_client = Client::builder()
        .api_key(
            "user@example.com",
            "c2547eb745079dac9320b638f5e225cf483cc5cfdda41",
        )
        .base_url(api.server.uri())
        .build()
        .expect("an email + key client builds");

    key_client
        .get_cache_reserve(ZONE)
        .await
        .expect("the setting is returned");

    let request = api.only_request().await;
    assert_eq!(header(&request, "x-auth-email"), Some("user@example.com"));
    assert_eq!(
        header(&request, "x-auth-key"),
        Some("c2547eb745079dac9320b638f5e225cf483cc5cfdda41")
    );
    assert_eq!(
        header(&request, "authorization"),
        None,
        "no bearer token with key auth"
    );
    assert_eq!(header(&request, "api-version"), None);
}

#[tokio::test]
async fn every_request_asks_for_json_and_names_the_sdk_in_the_user_agent() {
    let api = Api::answering_with_spec_example("GET", CACHE_RESERVE).await;

    api.client
        .get_cache_reserve(ZONE)
        .await
        .expect("the setting is returned");

    let request = api.only_request().await;
    assert_eq!(header(&request, "accept"), Some("application/json"));
    let user_agent = header(&request, "user-agent").expect("a user agent is sent");
    assert!(
        user_agent.starts_with("cf-cache-rust/"),
        "user agent: {user_agent}"
    );
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_zone_that_never_ran_a_clear_gets_api_error_1142_from_get_cache_reserve_clear() {
    let api = Api::answering(400, spec_failure_example("GET", RESERVE_CLEAR, "never_cleared")).await;

    let error = api_error(api.client.get_cache_reserve_clear(ZONE).await);

    assert_eq!(error.status, 400);
    assert_eq!(error.codes(), vec![1142]);
    assert_eq!(
        error.errors[0].message,
        "Unable to retrieve cache_reserve_clear setting value. The zone setting does not exist because you never \
         performed a Cache Reserve Clear operation."
    );
    assert!(error.messages.is_empty());
    assert_eq!(
        error.body_snippet, None,
        "a JSON failure envelope is not a snippet"
    );
}

#[tokio::test]
async fn starting_a_clear_while_cache_reserve_is_on_gets_api_error_1152() {
    let api = Api::answering(
        400,
        spec_failure_example("POST", RESERVE_CLEAR, "cache_reserve_enabled"),
    )
    .await;

    let error = api_error(
        api.client
            .start_cache_reserve_clear(ZONE, &empty_clear_request())
            .await,
    );

    assert_eq!(error.status, 400);
    assert_eq!(error.codes(), vec![1152]);
    assert_eq!(
        error.errors[0].message,
        "Turn off Cache Reserve sync to proceed with deletion."
    );
}

#[tokio::test]
async fn upserting_past_the_mapping_limit_gets_api_error_1164_with_http_403() {
    let api = Api::answering(
        403,
        spec_failure_example("PUT", CLOUD_REGION, "too_many_mappings"),
    )
    .await;
    let mapping = OriginCloudRegionRequest {
        origin_ip: ip("192.0.2.1"),
        region: "us-east-1".to_string(),
        vendor: CloudVendor::Aws,
    };

    let error = api_error(
        api.client
            .upsert_origin_cloud_region(ZONE, &ip("192.0.2.1"), &mapping)
            .await,
    );

    assert_eq!(error.status, 403);
    assert_eq!(error.codes(), vec![1164]);
    assert_eq!(
        error.errors[0].message,
        "Maximum number of IP mappings configured for zone."
    );
}

#[tokio::test]
async fn a_200_whose_envelope_says_success_false_is_an_api_error() {
    let api = Api::answering(
        200,
        spec_failure_example("PATCH", CACHE_RESERVE, "clear_in_progress"),
    )
    .await;

    let error = api_error(
        api.client
            .update_cache_reserve(
                ZONE,
                &CacheReserveUpdate {
                    value: ToggleValue::On,
                },
            )
            .await,
    );

    assert_eq!(error.status, 200);
    assert_eq!(error.codes(), vec![1153]);
    assert_eq!(
        error.errors[0].message,
        "Cache Reserve cannot be enabled because a deletion is already in progress."
    );
}

#[tokio::test]
async fn api_errors_keep_the_cf_ray_id_of_the_response() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("cf-ray", "8c2f1a3b4d5e6f70-AMS")
                .set_body_json(spec_failure_example("GET", CLOUD_REGION, "not_found")),
        )
        .mount(&server)
        .await;

    let error = api_error(
        client(&server)
            .get_origin_cloud_region(ZONE, &ip("192.0.2.1"))
            .await,
    );

    assert_eq!(error.status, 404);
    assert_eq!(error.codes(), vec![1142]);
    assert_eq!(error.ray_id.as_deref(), Some("8c2f1a3b4d5e6f70-AMS"));
}

#[tokio::test]
async fn a_non_json_error_page_is_an_api_error_with_the_start_of_the_body() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(502).set_body_raw("<html><body>Bad gateway</body></html>", "text/html"),
        )
        .mount(&server)
        .await;

    let error = api_error(client(&server).get_cache_reserve(ZONE).await);

    assert_eq!(error.status, 502);
    assert!(error.errors.is_empty());
    assert_eq!(
        error.body_snippet.as_deref(),
        Some("<html><body>Bad gateway</body></html>")
    );
}

#[tokio::test]
async fn a_429_with_code_1134_is_rate_limited() {
    let api = Api::answering(429, spec_failure_example("POST", PURGE, "purge_rate_limited")).await;

    let result = api.client.purge_cache(ZONE, &tags()).await;

    match result {
        Err(Error::RateLimited(limited)) => {
            assert_eq!(limited.status, 429);
            assert_eq!(
                limited.errors.iter().map(|m| m.code).collect::<Vec<_>>(),
                vec![1134]
            );
            assert_eq!(
                limited.errors[0].message,
                "Purge request rate limit reached. Please retry later."
            );
        }
        other => panic!("expected Error::RateLimited, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Forward compatibility of responses
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_unknown_clear_state_parses_as_unknown_with_its_text() {
    let mut body = spec_example("GET", RESERVE_CLEAR);
    body["result"]["state"] = json!("Failed");
    let api = Api::answering(200, body).await;

    let status = api
        .client
        .get_cache_reserve_clear(ZONE)
        .await
        .expect("an unknown state still decodes");

    assert_eq!(status.state, ReserveClearState::Unknown("Failed".to_string()));
}

#[tokio::test]
async fn unknown_fields_in_the_result_are_ignored() {
    let mut body = spec_example("GET", SMART_TIERED);
    body["result"]["introduced_later"] = json!({"nested": [1, 2, 3]});
    body["result"]["another_flag"] = json!(true);
    let api = Api::answering(200, body).await;

    let setting = api
        .client
        .get_smart_tiered_cache(ZONE)
        .await
        .expect("extra result fields are tolerated");

    assert_eq!(
        setting.id,
        SmartTieredCacheSettingId::TieredCacheSmartTopologyEnable
    );
    assert_eq!(setting.value, ToggleValue::On);
}

#[tokio::test]
async fn unknown_fields_in_the_envelope_are_ignored() {
    let mut body = spec_example("POST", PURGE);
    body["ratelimit_hint"] = json!({"remaining": 24});
    let api = Api::answering(200, body).await;

    let accepted = api
        .client
        .purge_cache(ZONE, &everything())
        .await
        .expect("extra envelope fields are tolerated");

    assert_eq!(accepted.id, PURGE_ID);
}

#[tokio::test]
async fn a_null_modified_on_parses_as_none() {
    let mut body = spec_example("GET", CACHE_RESERVE);
    body["result"]["modified_on"] = Value::Null;
    let api = Api::answering(200, body).await;

    let setting = api
        .client
        .get_cache_reserve(ZONE)
        .await
        .expect("a null modified_on decodes");

    assert_eq!(setting.modified_on, None);
    assert_eq!(setting.value, ToggleValue::Off);
}
