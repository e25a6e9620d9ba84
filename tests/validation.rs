//! Requests the spec forbids are refused before anything is sent: each case asserts the
//! field and reason of the `InvalidRequest` and that the loopback server saw nothing; the
//! matching valid request goes through, so the refusals are not a blanket "no".

use cf_cache_client::types::{
    OriginCloudRegionBatchDeleteRequest, OriginCloudRegionBatchUpsertRequest, OriginCloudRegionRequest,
    PurgeFileWithHeaders, PurgeRequest,
};
use cf_cache_client::{Client, Error, InvalidRequest, validate};
use cf_cache_tests::{ZONE, client};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const ENVIRONMENT: &str = "production";

/// A server that accepts every purge, and a client for it.
async fn server() -> (MockServer, Client) {
    answering(json!({"id": "accepted"})).await
}

/// A server answering every request with a success envelope around `result`.
async fn answering(result: serde_json::Value) -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "errors": [], "messages": [], "result": result,
            "result_info": {"page": 1, "per_page": 20, "count": 0, "total_count": 0, "total_pages": 1}
        })))
        .mount(&server)
        .await;
    let client = client(&server);
    (server, client)
}

async fn requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .expect("the mock server records requests")
        .len()
}

fn refused<T: std::fmt::Debug>(result: Result<T, Error>) -> InvalidRequest {
    match result {
        Err(Error::InvalidRequest(refusal)) => refusal,
        other => panic!("expected Error::InvalidRequest, got {other:?}"),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

/// Purges `body` on all four purge/invalidate endpoints; every one must refuse it with
/// `field` and a reason containing `reason`, sending nothing.
async fn refused_everywhere(body: PurgeRequest, field: &str, reason: &str) {
    let (server, client) = server().await;
    let results = [
        client.purge_cache(ZONE, &body).await,
        client.invalidate_cache(ZONE, &body).await,
        client.purge_environment_cache(ZONE, ENVIRONMENT, &body).await,
        client
            .invalidate_environment_cache(ZONE, ENVIRONMENT, &body)
            .await,
    ];
    for result in results {
        let refusal = refused(result);
        assert_eq!(refusal.field, field, "{refusal}");
        assert!(
            refusal.reason.contains(reason),
            "{:?} lacks {reason:?}",
            refusal.reason
        );
    }
    assert_eq!(requests(&server).await, 0, "nothing may be sent");
}

async fn accepted(body: PurgeRequest) {
    let (server, client) = server().await;
    client
        .purge_cache(ZONE, &body)
        .await
        .unwrap_or_else(|e| panic!("{body:?} must be accepted: {e}"));
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn urls_must_be_absolute_http_or_https() {
    refused_everywhere(
        PurgeRequest::Files(strings(&["https://www.example.com/a", "www.example.com/b"])),
        "body.files[1]",
        "must be an absolute URL starting with http:// or https://",
    )
    .await;
    refused_everywhere(
        PurgeRequest::Files(strings(&["ftp://www.example.com/a"])),
        "body.files[0]",
        "http:// or https://",
    )
    .await;
    refused_everywhere(
        PurgeRequest::FilesWithHeaders(vec![PurgeFileWithHeaders {
            url: "/relative".into(),
            headers: Default::default(),
        }]),
        "body.files[0].url",
        "http:// or https://",
    )
    .await;
    accepted(PurgeRequest::Files(strings(&[
        "https://www.example.com/a",
        "http://example.com:8080/b?c=d",
    ])))
    .await;
}

#[tokio::test]
async fn tags_must_be_printable_ascii_without_spaces_and_at_most_1024_characters() {
    refused_everywhere(
        PurgeRequest::Tags(strings(&["ok", "has space"])),
        "body.tags[1]",
        "printable ASCII without spaces",
    )
    .await;
    refused_everywhere(
        PurgeRequest::Tags(vec!["t".repeat(1025)]),
        "body.tags[0]",
        "is 1025 characters long; at most 1024 allowed",
    )
    .await;
    refused_everywhere(
        PurgeRequest::Tags(strings(&[""])),
        "body.tags[0]",
        "shorter than 1",
    )
    .await;
    accepted(PurgeRequest::Tags(vec![
        "t".repeat(1024),
        "release:2026/11".into(),
    ]))
    .await;
}

#[tokio::test]
async fn hosts_must_be_bare_host_names() {
    refused_everywhere(
        PurgeRequest::Hosts(strings(&["https://www.example.com"])),
        "body.hosts[0]",
        "bare host name",
    )
    .await;
    refused_everywhere(
        PurgeRequest::Hosts(strings(&["www.example.com/path"])),
        "body.hosts[0]",
        "bare host name",
    )
    .await;
    accepted(PurgeRequest::Hosts(strings(&[
        "www.example.com",
        "images.example.com",
    ])))
    .await;
}

#[tokio::test]
async fn prefixes_have_no_scheme_query_or_fragment_and_at_most_31_separators() {
    refused_everywhere(
        PurgeRequest::Prefixes(strings(&["https://www.example.com/foo"])),
        "body.prefixes[0]",
        "must not include a scheme",
    )
    .await;
    refused_everywhere(
        PurgeRequest::Prefixes(strings(&["www.example.com/foo?x=1"])),
        "body.prefixes[0]",
        "query or fragment",
    )
    .await;
    let deep = format!("www.example.com{}", "/a".repeat(32));
    refused_everywhere(
        PurgeRequest::Prefixes(vec![deep]),
        "body.prefixes[0]",
        "does not match the pattern",
    )
    .await;
    accepted(PurgeRequest::Prefixes(vec![format!(
        "www.example.com{}",
        "/a".repeat(31)
    )]))
    .await;
}

#[tokio::test]
async fn item_counts_are_capped_at_the_documented_per_request_maximums() {
    let urls: Vec<String> = (0..501).map(|i| format!("https://www.example.com/{i}")).collect();
    refused_everywhere(
        PurgeRequest::Files(urls.clone()),
        "body.files",
        "has 501 items; at most 500 per request",
    )
    .await;
    let tags: Vec<String> = (0..101).map(|i| format!("tag-{i}")).collect();
    refused_everywhere(
        PurgeRequest::Tags(tags.clone()),
        "body.tags",
        "has 101 items; at most 100",
    )
    .await;
    refused_everywhere(
        PurgeRequest::Hosts(Vec::new()),
        "body.hosts",
        "at least 1 required",
    )
    .await;
    accepted(PurgeRequest::Files(urls[..500].to_vec())).await;
    accepted(PurgeRequest::Tags(tags[..100].to_vec())).await;
}

#[tokio::test]
async fn per_page_must_be_between_1_and_100_and_page_at_least_1() {
    let (server, client) = answering(json!([])).await;
    for (page, per_page, field, reason) in [
        (None, Some(0), "per_page", "is 0; must be at least 1"),
        (None, Some(101), "per_page", "is 101; must be at most 100"),
        (Some(0), None, "page", "is 0; must be at least 1"),
    ] {
        let refusal = refused(client.list_origin_cloud_regions(ZONE, page, per_page).await);
        assert_eq!((refusal.field.as_str(), refusal.reason.as_str()), (field, reason));
    }
    assert_eq!(requests(&server).await, 0, "nothing may be sent");
    client
        .list_origin_cloud_regions(ZONE, Some(1), Some(100))
        .await
        .expect("in range");
    client
        .list_origin_cloud_regions(ZONE, None, None)
        .await
        .expect("omitted parameters are not checked");
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn zone_ids_longer_than_the_spec_allows_are_refused() {
    let (server, client) = server().await;
    let long = "a".repeat(33);
    let refusal = refused(client.get_cache_reserve(&long).await);
    assert_eq!(refusal.field, "zone_id");
    assert!(
        refusal
            .reason
            .contains("is 33 characters long; at most 32 allowed"),
        "{refusal}"
    );
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn region_batches_are_capped_at_100_items() {
    let (server, client) = server().await;
    let ips: Vec<std::net::IpAddr> = (0..101u32)
        .map(|i| std::net::IpAddr::V4(std::net::Ipv4Addr::from(0xC000_0200 + i)))
        .collect();
    let refusal = refused(
        client
            .batch_delete_origin_cloud_regions(ZONE, &OriginCloudRegionBatchDeleteRequest(ips.clone()))
            .await,
    );
    assert_eq!(refusal.field, "body");
    assert!(refusal.reason.contains("has 101 items; at most 100"), "{refusal}");
    let upserts: Vec<OriginCloudRegionRequest> = ips
        .iter()
        .map(|ip| OriginCloudRegionRequest {
            origin_ip: *ip,
            region: "us-east-1".into(),
            vendor: cf_cache_client::types::CloudVendor::Aws,
        })
        .collect();
    let refusal = refused(
        client
            .batch_upsert_origin_cloud_regions(ZONE, &OriginCloudRegionBatchUpsertRequest(upserts))
            .await,
    );
    assert_eq!(refusal.field, "body");
    assert_eq!(requests(&server).await, 0);
}

#[test]
fn the_public_check_applies_the_same_rules_to_single_items() {
    assert_eq!(
        validate::check(&PurgeRequest::Hosts(strings(&["www.example.com"]))),
        Ok(())
    );
    let refusal = validate::check(&PurgeRequest::Files(strings(&["example.com/x"])))
        .expect_err("a URL without scheme is refused");
    assert_eq!(refusal.field, "body.files[0]");
    assert_eq!(
        refusal.reason,
        "\"example.com/x\" must be an absolute URL starting with http:// or https://"
    );
    assert_eq!(validate::check(&PurgeRequest::Everything), Ok(()));
}

#[test]
fn long_values_are_quoted_only_in_part() {
    let refusal = validate::check(&PurgeRequest::Tags(vec!["x".repeat(5000)])).expect_err("too long");
    assert!(refusal.reason.len() < 200, "{}", refusal.reason);
}
