//! Page streams from `cf-cache-ext` over real HTTP on loopback: how many requests a listing
//! costs, which `page`/`per_page` the server saw, how failures end the stream, and that
//! read-ahead changes the timing only.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cf_cache_client::types::OriginCloudRegion;
use cf_cache_client::{Client, ConfigError, Error, RetryPolicy};
use cf_cache_ext::pagination::{PageError, origin_cloud_regions, paginate};
use cf_cache_tests::{TestClock, ZONE, client, client_with_clock};
use futures::channel::mpsc;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A zone's mapping list as the API serves it: `total` mappings, numbered, paged by the
/// request's `page` and `per_page`, with or without `result_info`.
struct Mappings {
    total: usize,
    result_info: bool,
    /// Answer requests for this page with this response, the first `times` of them.
    failure: Option<Failure>,
    /// Told the page number of each request as it arrives.
    arrivals: Option<Mutex<mpsc::UnboundedSender<usize>>>,
}

struct Failure {
    page: usize,
    times: usize,
    served: AtomicUsize,
    response: ResponseTemplate,
}

impl Mappings {
    fn new(total: usize, result_info: bool) -> Self {
        Self {
            total,
            result_info,
            failure: None,
            arrivals: None,
        }
    }

    fn failing(mut self, page: usize, times: usize, response: ResponseTemplate) -> Self {
        self.failure = Some(Failure {
            page,
            times,
            served: AtomicUsize::new(0),
            response,
        });
        self
    }
}

impl Respond for Mappings {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        let number = |name: &str| query.get(name).and_then(|v| v.parse::<usize>().ok());
        let (Some(page), Some(per_page)) = (number("page"), number("per_page")) else {
            return ResponseTemplate::new(400).set_body_string("page and per_page are required");
        };
        if let Some(arrivals) = &self.arrivals {
            let _ = arrivals.lock().map(|tx| tx.unbounded_send(page));
        }
        if let Some(failure) = &self.failure
            && failure.page == page
            && failure.served.fetch_add(1, Ordering::SeqCst) < failure.times
        {
            return failure.response.clone();
        }
        let first = (page - 1) * per_page;
        let items: Vec<Value> = (first..(first + per_page).min(self.total)).map(mapping).collect();
        let mut body = json!({"success": true, "errors": [], "messages": [], "result": items});
        if self.result_info {
            body["result_info"] = json!({
                "page": page,
                "per_page": per_page,
                "count": items.len(),
                "total_count": self.total,
                "total_pages": self.total.div_ceil(per_page),
            });
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}

/// Mapping number `i`: a distinct origin IP per mapping, so order and duplicates show.
fn mapping(i: usize) -> Value {
    json!({
        "origin_ip": ip(i),
        "region": "us-east-1",
        "vendor": "aws",
        "modified_on": "2026-11-23T00:00:00Z",
    })
}

fn ip(i: usize) -> String {
    format!("10.{}.{}.{}", i >> 16, (i >> 8) & 0xff, i & 0xff)
}

async fn serve(mappings: Mappings) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/zones/{ZONE}/origin/cloud_regions")))
        .respond_with(mappings)
        .mount(&server)
        .await;
    server
}

/// `page=..&per_page=..` of every request the server received, in order.
async fn queries(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .expect("the mock server records requests")
        .iter()
        .map(|r| r.url.query().unwrap_or_default().to_string())
        .collect()
}

fn expected_queries(pages: usize, per_page: usize) -> Vec<String> {
    (1..=pages)
        .map(|p| format!("page={p}&per_page={per_page}"))
        .collect()
}

async fn list_all(client: &Client, read_ahead: bool) -> Vec<OriginCloudRegion> {
    origin_cloud_regions(client, ZONE)
        .read_ahead(read_ahead)
        .build()
        .expect("the default paging is valid")
        .items()
        .try_collect()
        .await
        .expect("every page succeeds")
}

fn ips(mappings: &[OriginCloudRegion]) -> Vec<String> {
    mappings.iter().map(|m| m.origin_ip.clone()).collect()
}

fn numbered(count: usize) -> Vec<String> {
    (0..count).map(ip).collect()
}

#[tokio::test]
async fn listing_3500_mappings_with_result_info_takes_exactly_35_requests() {
    let server = serve(Mappings::new(3_500, true)).await;

    let mappings = list_all(&client(&server), false).await;

    assert_eq!(ips(&mappings), numbered(3_500), "every mapping once, in order");
    assert_eq!(
        queries(&server).await,
        expected_queries(35, 100),
        "total_pages ends the listing at page 35 with no extra request"
    );
}

#[tokio::test]
async fn without_result_info_a_short_last_page_ends_the_listing() {
    let server = serve(Mappings::new(3_450, false)).await;

    let mappings = list_all(&client(&server), false).await;

    assert_eq!(ips(&mappings), numbered(3_450));
    assert_eq!(queries(&server).await, expected_queries(35, 100));
}

#[tokio::test]
async fn without_result_info_an_exact_multiple_costs_one_empty_page() {
    let server = serve(Mappings::new(3_500, false)).await;

    let mappings = list_all(&client(&server), false).await;

    assert_eq!(ips(&mappings), numbered(3_500));
    // Page 35 is full, and nothing else says it is the last: only an empty page 36 can.
    assert_eq!(queries(&server).await, expected_queries(36, 100));
}

#[tokio::test]
async fn an_empty_list_takes_one_request_with_or_without_result_info() {
    for result_info in [true, false] {
        let server = serve(Mappings::new(0, result_info)).await;

        let mappings = list_all(&client(&server), false).await;

        assert!(mappings.is_empty());
        assert_eq!(
            queries(&server).await,
            expected_queries(1, 100),
            "result_info: {result_info}"
        );
    }
}

#[tokio::test]
async fn a_chosen_per_page_is_sent_and_paged_by() {
    let server = serve(Mappings::new(120, true)).await;
    let client = client(&server);

    let pages: Vec<usize> = origin_cloud_regions(&client, ZONE)
        .per_page(50)
        .build()
        .expect("50 is a valid page size")
        .map_ok(|page| page.items.len())
        .try_collect()
        .await
        .expect("every page succeeds");

    assert_eq!(pages, [50, 50, 20]);
    assert_eq!(queries(&server).await, expected_queries(3, 50));
}

#[tokio::test]
async fn a_failure_on_page_3_names_page_3_and_nothing_follows() {
    let refused = ResponseTemplate::new(403).set_body_json(json!({
        "success": false,
        "errors": [{"code": 10000, "message": "Authentication error"}],
        "messages": [],
        "result": null,
    }));
    let server = serve(Mappings::new(3_500, true).failing(3, usize::MAX, refused)).await;
    let client = client(&server);

    let seen: Vec<Result<OriginCloudRegion, PageError>> = origin_cloud_regions(&client, ZONE)
        .build()
        .expect("the default paging is valid")
        .items()
        .collect()
        .await;

    assert_eq!(
        seen.len(),
        201,
        "the 200 mappings of pages 1 and 2, then the error, then the end"
    );
    let before: Vec<String> = seen[..200]
        .iter()
        .map(|r| {
            r.as_ref()
                .map(|m| m.origin_ip.clone())
                .expect("pages 1 and 2 succeed")
        })
        .collect();
    assert_eq!(before, numbered(200));
    match &seen[200] {
        Err(PageError::Fetch {
            page: 3,
            source: Error::Api(api),
        }) => assert_eq!(api.codes(), [10000]),
        other => panic!("expected the API error of page 3, got {other:?}"),
    }
    assert_eq!(
        queries(&server).await,
        expected_queries(3, 100),
        "nothing is requested after it"
    );
}

#[tokio::test]
async fn a_page_is_retried_as_the_client_policy_says() {
    let unavailable = || ResponseTemplate::new(503).set_body_string("upstream unavailable");

    // The default policy (2 retries) gets page 3 through a failure that lasts two attempts.
    let clock = TestClock::new();
    let server = serve(Mappings::new(500, true).failing(3, 2, unavailable())).await;
    let mappings = list_all(&client_with_clock(&server, clock.clone()), false).await;
    assert_eq!(ips(&mappings), numbered(500));
    let mut expected = expected_queries(5, 100);
    expected.splice(2..2, [expected[2].clone(), expected[2].clone()]);
    assert_eq!(
        queries(&server).await,
        expected,
        "page 3 three times, then pages 4 and 5"
    );
    assert_eq!(clock.sleeps().len(), 2, "two backoffs, on the test clock");

    // A policy passed for the stream applies to every page: with none, page 3's first
    // failure ends the listing.
    let server = serve(Mappings::new(500, true).failing(3, 2, unavailable())).await;
    let no_retries = client(&server).with_retry_policy(RetryPolicy::none());
    let error = origin_cloud_regions(&no_retries, ZONE)
        .build()
        .expect("the default paging is valid")
        .items()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("page 3 fails");
    match error {
        PageError::Fetch { page: 3, source } => assert_eq!(source.status(), Some(503)),
        other => panic!("expected page 3 to fail with the 503, got {other:?}"),
    }
    assert_eq!(queries(&server).await, expected_queries(3, 100));
}

#[tokio::test]
async fn out_of_range_paging_is_refused_before_any_request() {
    let server = serve(Mappings::new(10, true)).await;
    let client = client(&server);

    for (start_page, per_page, expected, message) in [
        (1, 0, "per_page", "per_page must be between 1 and 100, not 0"),
        (1, 101, "per_page", "per_page must be between 1 and 100, not 101"),
        (0, 100, "start_page", "start_page must be at least 1, not 0"),
    ] {
        let refused = origin_cloud_regions(&client, ZONE)
            .start_page(start_page)
            .per_page(per_page)
            .build()
            .err()
            .unwrap_or_else(|| panic!("page {start_page} with per_page {per_page} must be refused"));
        assert!(
            matches!(&refused, ConfigError::InvalidSetting { setting, .. } if *setting == expected),
            "{refused:?}"
        );
        assert_eq!(
            refused.to_string(),
            message,
            "the setting, the range and the bad value"
        );
    }
    assert!(queries(&server).await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn read_ahead_yields_the_same_items_in_the_same_order_for_the_same_requests() {
    for (total, result_info) in [(3_500, true), (3_450, false), (3_500, false), (0, true)] {
        let plain = serve(Mappings::new(total, result_info)).await;
        let ahead = serve(Mappings::new(total, result_info)).await;

        let without = list_all(&client(&plain), false).await;
        let with = list_all(&client(&ahead), true).await;

        assert_eq!(
            ips(&with),
            ips(&without),
            "{total} mappings, result_info {result_info}"
        );
        assert_eq!(ips(&with), numbered(total));
        assert_eq!(
            queries(&ahead).await,
            queries(&plain).await,
            "{total} mappings, result_info {result_info}: same requests, same order"
        );
    }
}

#[tokio::test]
async fn read_ahead_requests_the_next_page_while_the_caller_still_holds_the_current_one() {
    let (tx, mut arrivals) = mpsc::unbounded();
    let mut mappings = Mappings::new(250, true);
    mappings.arrivals = Some(Mutex::new(tx));
    let server = serve(mappings).await;
    let client = client(&server);
    let mut pages = origin_cloud_regions(&client, ZONE)
        .read_ahead(true)
        .build()
        .expect("the default paging is valid");

    let first = pages.next().await.expect("a first page").expect("it succeeds");
    assert_eq!(first.items.len(), 100);
    assert_eq!(arrivals.next().await, Some(1));
    // The stream is not polled again here: page 2 reaches the server on its own. The timeout
    // only turns a regression into a failure instead of a hang.
    let second = tokio::time::timeout(Duration::from_secs(10), arrivals.next()).await;
    assert_eq!(
        second,
        Ok(Some(2)),
        "page 2 was requested while page 1 was being consumed"
    );

    let rest: Vec<usize> = pages
        .map_ok(|page| page.items.len())
        .try_collect()
        .await
        .expect("the remaining pages succeed");
    assert_eq!(rest, [100, 50]);
    assert_eq!(
        queries(&server).await,
        expected_queries(3, 100),
        "nothing past the last page"
    );
}

#[tokio::test]
async fn any_list_call_pages_through_the_generic_engine_in_one_line() {
    let server = serve(Mappings::new(230, false)).await;
    let client = client(&server);

    let mappings: Vec<OriginCloudRegion> =
        paginate(|page, per_page| client.list_origin_cloud_regions(ZONE, Some(page), Some(per_page)))
            .per_page(100)
            .build()
            .expect("valid paging")
            .items()
            .try_collect()
            .await
            .expect("every page succeeds");

    assert_eq!(ips(&mappings), numbered(230));
    assert_eq!(queries(&server).await, expected_queries(3, 100));
}
