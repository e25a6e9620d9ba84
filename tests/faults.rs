//! The fault matrix: how the client behaves when the network or the API misbehaves, over real
//! loopback HTTP. Every test checks three things: how many attempts reached the server, exactly
//! what the call returned, and every sleep the retry loop asked the [`TestClock`] for (so no
//! test really waits for a backoff).
//!
//! The default policy allows 2 retries (3 attempts). A backoff is 0.5 s doubling per retry,
//! jittered into [0.75x, 1x]; a wait the server asks for is slept exactly, unless it exceeds
//! `max_wait` (60 s), which ends the call at once with `RateLimited`, whatever the status.
//!
//! | # | scenario                                                   | attempts | result                                   | sleeps                 |
//! |---|------------------------------------------------------------|----------|------------------------------------------|------------------------|
//! | 1 | 429 `retry-after: 3`, then 200                             | 2        | `Ok`                                     | 3 s                    |
//! | 2 | 429 `retry-after: <HTTP date now+30 s>`, then 200          | 2        | `Ok`                                     | 30 s                   |
//! | 3 | 429 `retry-after-ms: 250`, then 200                        | 2        | `Ok`                                     | 250 ms                 |
//! | 4 | 429 `retry-after: 1`, always                               | 3        | `RateLimited` 429, retry_after 1 s       | 1 s, 1 s               |
//! | 5 | 429 `retry-after: 120` (over max_wait 60 s)                | 1        | `RateLimited` 429, retry_after 120 s     | none                   |
//! | 6 | 503, then 200                                              | 2        | `Ok`                                     | 0.5 s (jitter off)     |
//! | 6b| 503, then 200, default jitter                              | 2        | `Ok`                                     | [375, 500] ms          |
//! | 7 | 500 `x-should-retry: false`                                | 1        | `Api` 500, codes [10000]                 | none                   |
//! | 7b| 400 `x-should-retry: true`, then 200                       | 2        | `Ok`                                     | [375, 500] ms          |
//! | 8 | 502 HTML page, always                                      | 3        | `Api` 502, body_snippet, cf-ray          | ~0.5 s, ~1 s           |
//! | 9 | 200 `success: false`                                       | 1        | `Api` 200, codes [1001]                  | none                   |
//! |10 | 200, body cut mid-JSON (complete HTTP response)            | 1        | `Decode` 200, snippet = body             | none                   |
//! |11 | body cut short of Content-Length then FIN, then 200        | 2        | `Ok`                                     | ~0.5 s                 |
//! |11b| body cut short of Content-Length then RST, always          | 3        | `Transport`                              | ~0.5 s, ~1 s           |
//! |12 | response 2 s late, client timeout 200 ms                   | 3        | `Transport`, `is_timeout()`              | ~0.5 s, ~1 s           |
//! |12b| same, `RetryPolicy::none()`                                | 1        | `Transport`, `is_timeout()`              | none                   |
//! |13 | unknown fields and unknown enum values in `result`         | 1        | `Ok`, values kept as `Unknown(..)`       | none                   |
//! |14 | 408, then 200                                              | 2        | `Ok`                                     | ~0.5 s                 |
//! |14b| 409, then 200                                              | 2        | `Ok`                                     | ~0.5 s                 |
//! |14c| 404                                                        | 1        | `Api` 404, codes [1003]                  | none                   |
//! |15 | 503 via `with_retry_policy(none())`; original client       | 1; 3     | `Api` 503 both                           | none; ~0.5 s, ~1 s     |
//! |16 | 429 with code 1134 and `retry-after: 2`, always            | 3        | `RateLimited` 429, codes [1134], 2 s     | 2 s, 2 s               |
//! |16b| 429 with code 971, `RetryPolicy::none()`                   | 1        | `RateLimited` 429, codes [971]           | none                   |
//! |16c| 200 `success: false` with code 971                         | 1        | `RateLimited` 200, codes [971]           | none                   |
//! |17 | 200 with `x-should-retry: true`                            | 1        | `Ok`                                     | none                   |
//! |18 | 429 `retry-after: 1e30` / 2^64 / `retry-after-ms: 1e300`   | 1        | `RateLimited`, retry_after Duration::MAX | none                   |
//! |19 | 200 `success: false`, 971, HTTP-date `retry-after` +30 s   | 1        | `RateLimited` 200, retry_after 30 s      | none                   |
//! |20 | 503 `retry-after: 120` (over max_wait 60 s)                | 1        | `RateLimited` 503, retry_after 120 s     | none                   |
//! |20b| 503 `retry-after: 5`, always                               | 3        | `Api` 503, codes [10000]                 | 5 s, 5 s               |
//!
//! "~x" means a jittered backoff, checked to lie in [0.75x, x].

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cf_cache_client::types::{CacheReserveSetting, CacheReserveSettingId, PurgeRequest, ToggleValue};
use cf_cache_client::{ApiError, Client, Error, RateLimited, RetryPolicy};
use cf_cache_tests::{TOKEN, TestClock, ZONE, client_with_clock};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The `id` the purge fixtures answer with.
const PURGE_ID: &str = "7b2f0d14c3a94e1f8a6d5c4b3a291807";

/// A loopback API, a client for it that sleeps on a [`TestClock`], and that clock.
struct Api {
    server: MockServer,
    clock: Arc<TestClock>,
    client: Client,
}

impl Api {
    async fn start() -> Self {
        let server = MockServer::start().await;
        let clock = TestClock::new();
        let client = client_with_clock(&server, Arc::clone(&clock));
        Self {
            server,
            clock,
            client,
        }
    }

    /// Answers the first `times` requests with `response`; it takes precedence over
    /// [`Api::then`], so a sequence reads "first this, then that".
    async fn first(&self, times: u64, response: ResponseTemplate) {
        Mock::given(any())
            .respond_with(response)
            .up_to_n_times(times)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// Answers every request not taken by [`Api::first`] with `response`.
    async fn then(&self, response: ResponseTemplate) {
        Mock::given(any())
            .respond_with(response)
            .with_priority(2)
            .mount(&self.server)
            .await;
    }

    /// Answers every request with `response`.
    async fn always(&self, response: ResponseTemplate) {
        self.then(response).await;
    }

    /// How many requests reached the server.
    async fn attempts(&self) -> usize {
        self.server
            .received_requests()
            .await
            .expect("the mock server records requests")
            .len()
    }

    async fn purge(&self) -> Result<cf_cache_client::types::PurgeResult, Error> {
        self.client.purge_cache(ZONE, &purge_body()).await
    }
}

fn purge_body() -> PurgeRequest {
    PurgeRequest::Tags(vec!["release-2026-11".into()])
}

fn purge_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": {"id": PURGE_ID}
    }))
}

fn reserve_json() -> Value {
    json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": {
            "editable": true,
            "id": "cache_reserve",
            "value": "on",
            "modified_on": "2026-11-01T12:00:00Z"
        }
    })
}

/// A failure envelope with one `{code, message}`.
fn failure(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "success": false,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": null
    }))
}

/// A 429 with the given header and an envelope without error codes.
fn too_many(header: &str, value: &str) -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header(header, value)
        .set_body_json(json!({"success": false, "errors": [], "messages": [], "result": null}))
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn ms(m: u64) -> Duration {
    Duration::from_millis(m)
}

/// Checks that `sleeps` are exactly `count` default backoffs: retry `n` waits 0.5 s·2^n less
/// up to 25 % jitter.
fn assert_jittered_backoffs(sleeps: &[Duration], count: usize) {
    assert_eq!(
        sleeps.len(),
        count,
        "expected {count} backoff sleeps, got {sleeps:?}"
    );
    for (n, sleep) in sleeps.iter().enumerate() {
        let full = ms(500) * 2u32.pow(n as u32);
        let shortest = full.mul_f64(0.75);
        assert!(
            *sleep <= full && *sleep >= shortest,
            "backoff {n} must lie in [{shortest:?}, {full:?}], was {sleep:?} (all: {sleeps:?})"
        );
    }
}

fn ok<T: std::fmt::Debug>(result: Result<T, Error>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("expected Ok, got {e:?}"),
    }
}

fn api_error<T: std::fmt::Debug>(result: Result<T, Error>) -> ApiError {
    match result {
        Err(Error::Api(e)) => e,
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

fn rate_limited<T: std::fmt::Debug>(result: Result<T, Error>) -> RateLimited {
    match result {
        Err(Error::RateLimited(e)) => e,
        other => panic!("expected Error::RateLimited, got {other:?}"),
    }
}

fn transport_error<T: std::fmt::Debug>(result: Result<T, Error>) -> cf_cache_client::TransportError {
    match result {
        Err(Error::Transport(e)) => e,
        other => panic!("expected Error::Transport, got {other:?}"),
    }
}

fn codes(errors: &[cf_cache_client::ApiMessage]) -> Vec<i64> {
    errors.iter().map(|m| m.code).collect()
}

// ---------------------------------------------------------------------------------------------
// 1-5: rate limiting and server-requested waits
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn s01_429_with_retry_after_seconds_waits_exactly_that_long_then_succeeds() {
    let api = Api::start().await;
    api.first(1, too_many("retry-after", "3")).await;
    api.then(purge_ok()).await;

    let accepted = ok(api.purge().await);

    assert_eq!(accepted.id, PURGE_ID);
    assert_eq!(api.attempts().await, 2);
    assert_eq!(api.clock.sleeps(), [secs(3)]);
}

#[tokio::test]
async fn s02_429_with_retry_after_http_date_waits_until_that_date_on_the_injected_clock() {
    let api = Api::start().await;
    // 30 s after the TestClock's now (fixed at 2026-11-23T00:00Z): a client measuring the
    // date against the system clock would compute another wait (zero once that date is past).
    let at = httpdate::fmt_http_date(cf_cache_client::Clock::now(&*api.clock) + secs(30));
    api.first(1, too_many("retry-after", &at)).await;
    api.then(purge_ok()).await;

    let accepted = ok(api.purge().await);

    assert_eq!(accepted.id, PURGE_ID);
    assert_eq!(api.attempts().await, 2);
    assert_eq!(api.clock.sleeps(), [secs(30)]);
}

#[tokio::test]
async fn s03_429_with_retry_after_ms_waits_those_milliseconds_then_succeeds() {
    let api = Api::start().await;
    api.first(1, too_many("retry-after-ms", "250")).await;
    api.then(purge_ok()).await;

    let accepted = ok(api.purge().await);

    assert_eq!(accepted.id, PURGE_ID);
    assert_eq!(api.attempts().await, 2);
    assert_eq!(api.clock.sleeps(), [ms(250)]);
}

#[tokio::test]
async fn s04_429_forever_ends_rate_limited_after_three_attempts_with_the_wait() {
    let api = Api::start().await;
    api.always(too_many("retry-after", "1").insert_header("cf-ray", "8f1e2d3c4b5a6978-LHR"))
        .await;

    let limit = rate_limited(api.purge().await);

    assert_eq!(
        limit,
        RateLimited {
            status: 429,
            retry_after: Some(secs(1)),
            errors: Vec::new(),
            ray_id: Some("8f1e2d3c4b5a6978-LHR".into()),
            rate_limit: Box::default(),
        }
    );
    assert_eq!(api.attempts().await, 3);
    assert_eq!(api.clock.sleeps(), [secs(1), secs(1)]);
}

#[tokio::test]
async fn s05_429_asking_longer_than_max_wait_ends_at_once_without_sleeping() {
    let api = Api::start().await;
    api.always(too_many("retry-after", "120")).await;

    let limit = rate_limited(api.purge().await);

    assert_eq!(limit.status, 429);
    assert_eq!(limit.retry_after, Some(secs(120)));
    assert_eq!(api.attempts().await, 1);
    assert_eq!(api.clock.sleeps(), []);
}

// ---------------------------------------------------------------------------------------------
// 6-8: server errors and x-should-retry
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn s06_503_then_200_succeeds_after_one_exact_backoff_without_jitter() {
    let server = MockServer::start().await;
    let clock = TestClock::new();
    let client = client_with_clock(&server, Arc::clone(&clock))
        .with_retry_policy(RetryPolicy::default().with_jitter(false));
    let api = Api {
        server,
        clock,
        client,
    };
    api.first(1, failure(503, 10000, "service unavailable")).await;
    api.then(purge_ok()).await;

    let accepted = ok(api.purge().await);

    assert_eq!(accepted.id, PURGE_ID);
    assert_eq!(api.attempts().await, 2);
    assert_eq!(api.clock.sleeps(), [ms(500)]);
}

#[tokio::test]
async fn s06b_503_then_200_succeeds_after_one_jittered_backoff() {
    let api = Api::start().await;
    api.first(1, ResponseTemplate::new(503)).await;
    api.then(purge_ok()).await;

    let accepted = ok(api.purge().await);

    assert_eq!(accepted.id, PURGE_ID);
    assert_eq!(api.attempts().await, 2);
    assert_jittered_backoffs(&api.clock.sleeps(), 1);
}

#[tokio::test]
async fn s07_500_with_x_should_retry_false_is_not_retried() {
    let api = Api::start().await;
    api.always(failure(500, 10000, "internal error").insert_header("x-should-retry", "false"))
        .await;

    let error = api_error(api.purge().await);

    assert_eq!(error.status, 500);
    assert_eq!(error.codes(), [10000]);
    assert_eq!(error.errors[0].message, "internal error");
    assert_eq!(api.attempts().await, 1);
    assert_eq!(api.clock.sleeps(), []);
}

#[tokio::test]
async fn s07b_400_with_x_should_retry_true_is_retried_and_succeeds() {
    let api = Api::start().await;
    api.first(
        1,
        failure(
            400,
            1012,
            "request must contain one of files, tags, hosts, prefixes",
        )
        .insert_header("x-should-retry", "true"),
    )
    .await;
    api.then(purge_ok()).await;

    let accepted = ok(api.purge().await);

    assert_eq!(accepted.id, PURGE_ID);
    assert_eq!(api.attempts().await, 2);
    assert_jittered_backoffs(&api.clock.sleeps(), 1);
}

#[tokio::test]
async fn s08_502_html_page_every_time_ends_as_api_error_with_the_page_start() {
    const PAGE: &str = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\
                        <body><h1>502 Bad Gateway</h1><hr>cloudflare</body></html>\n";
    let api = Api::start().await;
    api.always(
        ResponseTemplate::new(502)
            .insert_header("cf-ray", "8f1e2d3c4b5a6979-AMS")
            .set_body_raw(PAGE, "text/html"),
    )
    .await;

    let error = api_error(api.purge().await);

    assert_eq!(
        error,
        ApiError {
            status: 502,
            errors: Vec::new(),
            messages: Vec::new(),
            ray_id: Some("8f1e2d3c4b5a6979-AMS".into()),
            body_snippet: Some(PAGE.into()),
            rate_limit: Box::default(),
        }
    );
    assert_eq!(api.attempts().await, 3);
    assert_jittered_backoffs(&api.clock.sleeps(), 2);
}

// ---------------------------------------------------------------------------------------------
// 9-10: a 200 that is not a success
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn s09_200_with_success_false_is_an_api_error_and_not_retried() {
    let api = Api::start().await;
    api.always(failure(200, 1001, "invalid zone identifier")).await;

    let error = api_error(api.purge().await);

    assert_eq!(error.status, 200);
    assert_eq!(error.codes(), [1001]);
    assert_eq!(error.errors[0].message, "invalid zone identifier");
    assert_eq!(error.body_snippet, None);
    assert_eq!(api.attempts().await, 1);
    assert_eq!(api.clock.sleeps(), []);
}

#[tokio::test]
async fn s10_200_with_json_cut_off_mid_body_is_a_decode_error_and_not_retried() {
    const CUT: &str = r#"{"success":true,"errors":[],"messages":[],"result":{"id":"7b2f0d14"#;
    let api = Api::start().await;
    api.always(ResponseTemplate::new(200).set_body_raw(CUT, "application/json"))
        .await;

    let result = api.purge().await;

    let Err(Error::Decode(error)) = result else {
        panic!("expected Error::Decode, got {result:?}");
    };
    assert_eq!(error.status, 200);
    assert_eq!(error.snippet, CUT);
    assert!(error.reason.contains("EOF"), "reason: {}", error.reason);
    assert_eq!(api.attempts().await, 1);
    assert_eq!(api.clock.sleeps(), []);
}

// ---------------------------------------------------------------------------------------------
// 11: connections that drop mid-response (raw TCP: wiremock always sends whole responses)
// ---------------------------------------------------------------------------------------------

/// What the raw server does with one request.
#[derive(Clone, Copy, Debug)]
enum Reply {
    /// Headers promising more body than is sent, part of the body, then a clean close (FIN).
    TruncateThenClose,
    /// Headers promising more body than is sent, part of the body, then a reset (RST).
    TruncateThenReset,
    /// A complete 200 with the Cache Reserve fixture.
    Good,
}

/// A loopback HTTP/1.1 server that answers request `n` (counting across connections) with
/// `script[n]`, repeating the last entry, and counts the requests it read.
struct RawServer {
    base_url: String,
    requests: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
}

impl RawServer {
    async fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("bound address");
        let requests = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(script);
        let counter = Arc::clone(&requests);
        let connections = Arc::new(AtomicUsize::new(0));
        let accepted = Arc::clone(&connections);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, Arc::clone(&script), Arc::clone(&counter)));
            }
        });
        Self {
            base_url: format!("http://{addr}"),
            requests,
            connections,
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn attempts(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn client(&self, clock: Arc<TestClock>) -> Client {
        Client::builder()
            .api_token(TOKEN)
            .base_url(&self.base_url)
            .clock(clock)
            .build()
            .expect("test client must build")
    }
}

async fn serve(mut stream: TcpStream, script: Arc<Vec<Reply>>, requests: Arc<AtomicUsize>) {
    let body = reserve_json().to_string();
    loop {
        // The client under test only sends bodiless GETs here: a request ends at its blank line.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte).await {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
        }
        let n = requests.fetch_add(1, Ordering::SeqCst);
        let reply = script[n.min(script.len() - 1)];
        match reply {
            Reply::Good => {
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                if stream.write_all(response.as_bytes()).await.is_err() {
                    return;
                }
            }
            Reply::TruncateThenClose | Reply::TruncateThenReset => {
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
                    body.len() + 100,
                    &body[..body.len() / 2]
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.flush().await;
                if matches!(reply, Reply::TruncateThenReset) {
                    // SO_LINGER 0: dropping the socket sends RST instead of FIN.
                    let _ = stream.set_zero_linger();
                } else {
                    let _ = stream.shutdown().await;
                }
                return;
            }
        }
    }
}

#[tokio::test]
async fn s11_body_cut_short_of_its_content_length_is_retried_on_a_new_connection() {
    let server = RawServer::start(vec![Reply::TruncateThenClose, Reply::Good]).await;
    let clock = TestClock::new();
    let client = server.client(Arc::clone(&clock));

    let setting: CacheReserveSetting = ok(client.get_cache_reserve(ZONE).await);

    assert_eq!(setting.value, ToggleValue::On);
    assert_eq!(setting.id, CacheReserveSettingId::CacheReserve);
    assert_eq!(server.attempts(), 2);
    assert_jittered_backoffs(&clock.sleeps(), 1);
}

#[tokio::test]
async fn calls_reuse_one_connection_including_through_a_per_call_policy_clone() {
    let server = RawServer::start(vec![Reply::Good]).await;
    let client = server.client(TestClock::new());

    for _ in 0..5 {
        ok(client.get_cache_reserve(ZONE).await);
    }
    ok(client
        .with_retry_policy(RetryPolicy::none())
        .get_cache_reserve(ZONE)
        .await);

    assert_eq!(server.attempts(), 6);
    assert_eq!(
        server.connections(),
        1,
        "keep-alive: one connection for six sequential calls"
    );
}

#[tokio::test]
async fn s11b_connection_reset_mid_body_every_time_ends_as_transport_error() {
    let server = RawServer::start(vec![Reply::TruncateThenReset]).await;
    let clock = TestClock::new();
    let client = server.client(Arc::clone(&clock));

    let error = transport_error(client.get_cache_reserve(ZONE).await);

    assert!(!error.is_timeout(), "a reset is not a timeout: {error:?}");
    assert_eq!(server.attempts(), 3);
    assert_jittered_backoffs(&clock.sleeps(), 2);
}

// ---------------------------------------------------------------------------------------------
// 12: responses slower than the client's timeout
// ---------------------------------------------------------------------------------------------

/// A client with a 200 ms timeout against a server that answers after 2 s.
async fn slow_api() -> Api {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(purge_ok().set_delay(secs(2)))
        .mount(&server)
        .await;
    let clock = TestClock::new();
    let client = Client::builder()
        .api_token(TOKEN)
        .base_url(server.uri())
        .clock(Arc::clone(&clock) as Arc<dyn cf_cache_client::Clock>)
        .timeout(ms(200))
        .build()
        .expect("test client must build");
    Api {
        server,
        clock,
        client,
    }
}

#[tokio::test]
async fn s12_response_slower_than_the_timeout_is_retried_then_a_timeout_error() {
    let api = slow_api().await;

    let error = transport_error(api.purge().await);

    assert!(error.is_timeout(), "expected a timeout, got {error:?}");
    assert_eq!(api.attempts().await, 3);
    assert_jittered_backoffs(&api.clock.sleeps(), 2);
}

#[tokio::test]
async fn s12b_response_slower_than_the_timeout_without_retries_fails_after_one_attempt() {
    let api = slow_api().await;

    let error = transport_error(
        api.client
            .with_retry_policy(RetryPolicy::none())
            .purge_cache(ZONE, &purge_body())
            .await,
    );

    assert!(error.is_timeout(), "expected a timeout, got {error:?}");
    assert_eq!(api.attempts().await, 1);
    assert_eq!(api.clock.sleeps(), []);
}

// ---------------------------------------------------------------------------------------------
// 13: a newer API than the SDK
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn s13_unknown_fields_are_ignored_and_unknown_enum_values_kept() {
    let api = Api::start().await;
    api.always(ResponseTemplate::new(200).set_body_json(json!({
        "success": true,
        "errors": [],
        "messages": [{"code": 20001, "message": "a notice from a newer API"}],
        "result": {
            "editable": false,
            "id": "cache_reserve_v2",
            "value": "adaptive",
            "modified_on": "2026-11-01T12:00:00Z",
            "tier": {"name": "enterprise", "limits": [1, 2, 3]},
            "billing_mode": "per_request"
        },
        "meta": {"trace": "abc"}
    })))
    .await;

    let setting = ok(api.client.get_cache_reserve(ZONE).await);

    assert_eq!(
        setting.id,
        CacheReserveSettingId::Unknown("cache_reserve_v2".into())
    );
    assert_eq!(setting.value, ToggleValue::Unknown("adaptive".into()));
    assert!(!setting.editable);
    assert_eq!(
        setting.modified_on.map(|t| t.to_rfc3339()),
        Some("2026-11-01T12:00:00+00:00".into())
    );
    assert_eq!(api.attempts().await, 1);
    assert_eq!(api.clock.sleeps(), []);
}

// ---------------------------------------------------------------------------------------------
// 14: which 4xx are retried
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn s14_408_request_timeout_is_retried_and_succeeds() {
    let api = Api::start().await;
    api.first(1, ResponseTemplate::new(408)).await;
    api.then(purge_ok()).await;

    let accepted = ok(api.purge().await);

    assert_eq!(accepted.id, PURGE_ID);
    assert_eq!(api.attempts().await, 2);
    assert_jittered_backoffs(&api.clock.sleeps(), 1);
}

#[tokio::test]
async fn s14b_409_conflict_is_retried_and_succeeds() {
    let api = Api::start().await;
    api.first(1, failure(409, 1009, "operation in progress")).await;
    api.then(purge_ok()).await;

    let accepted = ok(api.purge().await);

    assert_eq!(accepted.id, PURGE_ID);
    assert_eq!(api.attempts().await, 2);
    assert_jittered_backoffs(&api.clock.sleeps(), 1);
}

#[tokio::test]
async fn s14c_404_is_not_retried() {
    let api = Api::start().await;
    api.always(failure(404, 1003, "zone not found")).await;

    let error = api_error(api.purge().await);

    assert_eq!(error.status, 404);
    assert_eq!(error.codes(), [1003]);
    assert_eq!(api.attempts().await, 1);
    assert_eq!(api.clock.sleeps(), []);
}

// ---------------------------------------------------------------------------------------------
// 15: per-call retry policy
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn s15_per_call_policy_none_makes_one_attempt_and_leaves_the_client_retrying() {
    let api = Api::start().await;
    api.always(failure(503, 10000, "service unavailable")).await;

    let once = api_error(
        api.client
            .with_retry_policy(RetryPolicy::none())
            .purge_cache(ZONE, &purge_body())
            .await,
    );
    assert_eq!(once.status, 503);
    assert_eq!(api.attempts().await, 1);
    assert_eq!(api.clock.sleeps(), []);

    // The original client was not changed by the per-call override.
    assert_eq!(api.client.retry_policy(), RetryPolicy::default());
    let retried = api_error(api.purge().await);
    assert_eq!(retried.status, 503);
    assert_eq!(api.attempts().await, 1 + 3);
    assert_jittered_backoffs(&api.clock.sleeps(), 2);
}

// ---------------------------------------------------------------------------------------------
// 16: rate limiting reported through error codes
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn s16_purge_rate_limit_code_1134_in_a_429_is_rate_limited_with_the_code() {
    let api = Api::start().await;
    api.always(failure(429, 1134, "purge rate limit exceeded").insert_header("retry-after", "2"))
        .await;

    let limit = rate_limited(api.purge().await);

    assert_eq!(limit.status, 429);
    assert_eq!(limit.retry_after, Some(secs(2)));
    assert_eq!(codes(&limit.errors), [1134]);
    assert_eq!(limit.errors[0].message, "purge rate limit exceeded");
    assert_eq!(api.attempts().await, 3);
    assert_eq!(api.clock.sleeps(), [secs(2), secs(2)]);
}

#[tokio::test]
async fn s16b_global_rate_limit_code_971_in_a_429_is_rate_limited_with_the_code() {
    let api = Api::start().await;
    api.always(failure(
        429,
        971,
        "please wait and consider throttling your request speed",
    ))
    .await;

    let result = api
        .client
        .with_retry_policy(RetryPolicy::none())
        .purge_cache(ZONE, &purge_body())
        .await;
    let limit = rate_limited(result);

    assert_eq!(limit.status, 429);
    assert_eq!(limit.retry_after, None);
    assert_eq!(codes(&limit.errors), [971]);
    assert_eq!(api.attempts().await, 1);
    assert_eq!(api.clock.sleeps(), []);
}

#[tokio::test]
async fn s16c_code_971_in_a_200_failure_envelope_is_still_rate_limited() {
    let api = Api::start().await;
    api.always(failure(
        200,
        971,
        "please wait and consider throttling your request speed",
    ))
    .await;

    let result = api.purge().await;
    assert!(result.as_ref().is_err_and(|e| e.has_code(971)), "{result:?}");
    let limit = rate_limited(result);

    assert_eq!(limit.status, 200);
    assert_eq!(codes(&limit.errors), [971]);
    assert_eq!(api.attempts().await, 1);
    assert_eq!(api.clock.sleeps(), []);
}

// ---------------------------------------------------------------------------------------------
// 17-20: edges found while writing the matrix
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn s17_a_success_with_x_should_retry_true_is_not_sent_again() {
    let api = Api::start().await;
    api.always(purge_ok().insert_header("x-should-retry", "true"))
        .await;

    let accepted = ok(api.purge().await);

    assert_eq!(accepted.id, PURGE_ID);
    assert_eq!(
        api.attempts().await,
        1,
        "a purge that succeeded must not be repeated"
    );
    assert_eq!(api.clock.sleeps(), []);
}

#[tokio::test]
async fn s18_an_absurd_retry_after_ends_rate_limited_instead_of_panicking() {
    for (header, value) in [
        ("retry-after", "1e30"),
        ("retry-after", "18446744073709551616"),
        ("retry-after-ms", "1e300"),
    ] {
        let api = Api::start().await;
        api.always(too_many(header, value)).await;

        let limit = rate_limited(api.purge().await);

        assert_eq!(limit.status, 429, "{header}: {value}");
        assert_eq!(limit.retry_after, Some(Duration::MAX), "{header}: {value}");
        assert_eq!(api.attempts().await, 1, "{header}: {value}");
        assert_eq!(api.clock.sleeps(), [], "{header}: {value}");
    }
}

#[tokio::test]
async fn s19_a_200_rate_limit_envelope_measures_an_http_date_on_the_injected_clock() {
    let api = Api::start().await;
    let at = httpdate::fmt_http_date(cf_cache_client::Clock::now(&*api.clock) + secs(30));
    api.always(
        failure(200, 971, "please wait and consider throttling your request speed")
            .insert_header("retry-after", &at),
    )
    .await;

    let limit = rate_limited(api.purge().await);

    assert_eq!(limit.status, 200);
    assert_eq!(limit.retry_after, Some(secs(30)));
    assert_eq!(api.attempts().await, 1);
}

#[tokio::test]
async fn s20_a_503_asking_longer_than_max_wait_ends_rate_limited_with_the_wait() {
    let api = Api::start().await;
    api.always(failure(503, 10000, "service unavailable").insert_header("retry-after", "120"))
        .await;

    let limit = rate_limited(api.purge().await);

    assert_eq!(limit.status, 503);
    assert_eq!(limit.retry_after, Some(secs(120)));
    assert_eq!(codes(&limit.errors), [10000]);
    assert_eq!(api.attempts().await, 1);
    assert_eq!(api.clock.sleeps(), []);
}

#[tokio::test]
async fn s20b_a_503_whose_wait_was_honoured_but_never_got_through_stays_an_api_error() {
    let api = Api::start().await;
    api.always(failure(503, 10000, "service unavailable").insert_header("retry-after", "5"))
        .await;

    let error = api_error(api.purge().await);

    assert_eq!(error.status, 503);
    assert_eq!(error.codes(), [10000]);
    assert_eq!(api.attempts().await, 3);
    assert_eq!(api.clock.sleeps(), [secs(5), secs(5)]);
}
