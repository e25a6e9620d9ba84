//! The API token and the Global API Key never leak: not through `Debug` of the builder or the
//! client, not through any error's message, `Debug` or source chain, and not through anything
//! logged at TRACE level (our spans and events, and reqwest's and hyper's own logging, which
//! is captured too) while calls succeed, retry and fail.
//!
//! Each check is paired with proof that it could fail: the server is shown to receive the
//! credential, and the captured log is shown to hold what it should (operation, path
//! template, attempt, status, `cf-ray`, `ratelimit`, the retry event).
//!
//! The account email counts as a secret too: nothing needs to print it, so nothing does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cf_cache_client::types::PurgeRequest;
use cf_cache_client::{Client, ClientBuilder, ConfigError, Error, RetryPolicy};
use cf_cache_tests::{TestClock, ZONE};
use serde_json::json;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::util::SubscriberInitExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "tok-SECRET-7f3a9c";
const EMAIL: &str = "ops@example.com";
const KEY: &str = "key-SECRET-b41e";

/// Panics if `text` (described by `what`) holds a credential, or the marker every test secret
/// shares (which catches a partial echo).
fn assert_no_secret(what: &str, text: &str) {
    for needle in [TOKEN, KEY, EMAIL, "SECRET"] {
        assert!(!text.contains(needle), "{what} leaks {needle:?}:\n{text}");
    }
}

/// Display, `Debug`, pretty `Debug` and every `source()` of `error`, all checked.
fn assert_error_has_no_secret(what: &str, error: &(dyn std::error::Error + 'static)) {
    assert_no_secret(&format!("{what} (Display)"), &error.to_string());
    assert_no_secret(&format!("{what} (Debug)"), &format!("{error:?}"));
    assert_no_secret(&format!("{what} (Debug, pretty)"), &format!("{error:#?}"));
    let mut source = error.source();
    let mut depth = 0;
    while let Some(cause) = source {
        depth += 1;
        assert_no_secret(&format!("{what} (source {depth})"), &cause.to_string());
        assert_no_secret(&format!("{what} (source {depth}, Debug)"), &format!("{cause:?}"));
        source = cause.source();
    }
}

fn token_builder(base_url: &str) -> ClientBuilder {
    Client::builder()
        .api_token(TOKEN)
        .base_url(base_url)
        .clock(TestClock::new())
}

fn key_builder(base_url: &str) -> ClientBuilder {
    Client::builder()
        .api_key(EMAIL, KEY)
        .base_url(base_url)
        .clock(TestClock::new())
}

fn built(builder: ClientBuilder) -> Client {
    install_global_subscriber();
    match builder.build() {
        Ok(client) => client,
        Err(e) => panic!("test client must build: {e}"),
    }
}

fn purge_body() -> PurgeRequest {
    PurgeRequest::Tags(vec!["release-2026-11".into()])
}

fn failure(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "success": false,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": null
    }))
}

fn purge_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": {"id": "7b2f0d14c3a94e1f8a6d5c4b3a291807"}
    }))
}

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Every request `server` received, after checking each carried the API token.
async fn requests_with_token(server: &MockServer) -> Vec<Request> {
    let requests = server
        .received_requests()
        .await
        .expect("the mock server records requests");
    assert!(!requests.is_empty(), "the server received no request");
    let bearer = format!("Bearer {TOKEN}");
    for request in &requests {
        assert_eq!(
            header(request, "authorization"),
            Some(bearer.as_str()),
            "{} {} must carry the token",
            request.method,
            request.url.path()
        );
    }
    requests
}

/// Every request `server` received, after checking each carried the email and key.
async fn requests_with_key(server: &MockServer) -> Vec<Request> {
    let requests = server
        .received_requests()
        .await
        .expect("the mock server records requests");
    assert!(!requests.is_empty(), "the server received no request");
    for request in &requests {
        assert_eq!(header(request, "x-auth-email"), Some(EMAIL));
        assert_eq!(header(request, "x-auth-key"), Some(KEY));
        assert_eq!(header(request, "authorization"), None);
    }
    requests
}

/// A loopback base URL nothing listens on: a port bound and released again.
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("bound address");
    drop(listener);
    format!("http://{addr}")
}

// ---------------------------------------------------------------------------------------------
// Debug of the builder and the client
// ---------------------------------------------------------------------------------------------

#[test]
fn builder_and_client_debug_hide_the_token() {
    let builder = token_builder("http://127.0.0.1:9");
    let shown = format!("{builder:?}");
    assert_no_secret("Debug of a token builder", &shown);
    assert!(shown.contains("api token (redacted)"), "{shown}");
    assert_no_secret("pretty Debug of a token builder", &format!("{builder:#?}"));

    let client = built(builder);
    let shown = format!("{client:?}");
    assert_no_secret("Debug of a token client", &shown);
    assert!(
        shown.contains("authorization"),
        "the auth header is named, not shown: {shown}"
    );
    assert_no_secret("pretty Debug of a token client", &format!("{client:#?}"));
    let per_call = client.with_retry_policy(RetryPolicy::none());
    assert_no_secret("Debug of a per-call client", &format!("{per_call:?}"));
}

#[test]
fn builder_and_client_debug_hide_the_key_and_email() {
    let builder = key_builder("http://127.0.0.1:9");
    let shown = format!("{builder:?}");
    assert_no_secret("Debug of a key builder", &shown);
    assert!(shown.contains("global API key (redacted)"), "{shown}");

    let client = built(builder);
    let shown = format!("{client:#?}");
    assert_no_secret("Debug of a key client", &shown);
    assert!(shown.contains("x-auth-key"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// Configuration errors
// ---------------------------------------------------------------------------------------------

fn config_error(builder: ClientBuilder) -> ConfigError {
    match builder.build() {
        Ok(client) => panic!("expected a ConfigError, built {client:?}"),
        Err(e) => e,
    }
}

#[test]
fn invalid_credential_errors_name_the_credential_but_not_its_value() {
    let cases = [
        (
            Client::builder().api_token(format!("{TOKEN}\nX-Injected: 1")),
            "API token",
        ),
        (Client::builder().api_key(EMAIL, format!("{KEY}\r\n")), "API key"),
        (Client::builder().api_key(format!("{EMAIL}\n"), KEY), "API email"),
    ];
    for (builder, what) in cases {
        assert_no_secret(
            "Debug of a builder with a bad credential",
            &format!("{builder:?}"),
        );
        let error = config_error(builder);
        match &error {
            ConfigError::InvalidCredential { what: named, .. } => assert_eq!(*named, what),
            other => panic!("expected InvalidCredential for the {what}, got {other:?}"),
        }
        assert!(error.to_string().contains(what), "{error}");
        assert_error_has_no_secret(&format!("InvalidCredential ({what})"), &error);
    }
}

#[test]
fn base_url_errors_do_not_echo_the_credentials() {
    let insecure = config_error(
        Client::builder()
            .api_token(TOKEN)
            .base_url("http://api.example.com"),
    );
    assert!(
        matches!(insecure, ConfigError::InsecureBaseUrl(_)),
        "{insecure:?}"
    );
    assert_error_has_no_secret("InsecureBaseUrl", &insecure);

    let invalid = config_error(Client::builder().api_key(EMAIL, KEY).base_url("not a url"));
    assert!(matches!(invalid, ConfigError::InvalidBaseUrl(_)), "{invalid:?}");
    assert_error_has_no_secret("InvalidBaseUrl", &invalid);
}

// ---------------------------------------------------------------------------------------------
// Operation errors, one per variant
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn api_error_for_a_rejected_token_does_not_contain_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(failure(401, 10000, "Authentication error").insert_header("cf-ray", "8f1e-LHR"))
        .mount(&server)
        .await;
    let client = built(token_builder(&server.uri()));

    let result = client.purge_cache(ZONE, &purge_body()).await;

    let error = result.expect_err("a 401 is an error");
    assert!(
        matches!(&error, Error::Api(e) if e.status == 401 && e.has_code(10000)),
        "{error:?}"
    );
    assert_error_has_no_secret("Error::Api (401)", &error);
    assert_eq!(requests_with_token(&server).await.len(), 1);
}

#[tokio::test]
async fn api_error_for_a_rejected_key_does_not_contain_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(failure(403, 9103, "Unknown X-Auth-Key or X-Auth-Email"))
        .mount(&server)
        .await;
    let client = built(key_builder(&server.uri()));

    let error = client
        .purge_cache(ZONE, &purge_body())
        .await
        .expect_err("a 403 is an error");

    assert!(matches!(&error, Error::Api(e) if e.status == 403), "{error:?}");
    assert_error_has_no_secret("Error::Api (403)", &error);
    assert_eq!(requests_with_key(&server).await.len(), 1);
}

#[tokio::test]
async fn rate_limited_error_does_not_contain_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(failure(429, 1134, "purge rate limit exceeded").insert_header("retry-after", "120"))
        .mount(&server)
        .await;
    let client = built(token_builder(&server.uri()));

    let error = client
        .purge_cache(ZONE, &purge_body())
        .await
        .expect_err("a 429 is an error");

    assert!(
        matches!(&error, Error::RateLimited(l) if l.retry_after == Some(Duration::from_secs(120))),
        "{error:?}"
    );
    assert_error_has_no_secret("Error::RateLimited", &error);
    assert_eq!(requests_with_token(&server).await.len(), 1);
}

#[tokio::test]
async fn transport_error_for_a_refused_connection_does_not_contain_the_token() {
    let client = built(token_builder(&closed_port_url().await).retry_policy(RetryPolicy::none()));

    let error = client
        .purge_cache(ZONE, &purge_body())
        .await
        .expect_err("nothing listens on the port");

    assert!(
        matches!(&error, Error::Transport(t) if t.is_connect()),
        "{error:?}"
    );
    assert_error_has_no_secret("Error::Transport", &error);
}

#[tokio::test]
async fn decode_error_does_not_contain_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"success":true,"result":{"id":"#, "application/json"),
        )
        .mount(&server)
        .await;
    let client = built(token_builder(&server.uri()));

    let error = client
        .purge_cache(ZONE, &purge_body())
        .await
        .expect_err("a cut-off body does not decode");

    assert!(matches!(&error, Error::Decode(_)), "{error:?}");
    assert_error_has_no_secret("Error::Decode", &error);
    assert_eq!(requests_with_token(&server).await.len(), 1);
}

#[tokio::test]
async fn invalid_request_error_does_not_contain_the_token() {
    let server = MockServer::start().await;
    let client = built(token_builder(&server.uri()));

    let error = client
        .purge_cache("../accounts", &purge_body())
        .await
        .expect_err("a zone id with a slash is refused");

    assert!(
        matches!(&error, Error::InvalidRequest(e) if e.field == "zone_id"),
        "{error:?}"
    );
    assert_error_has_no_secret("Error::InvalidRequest", &error);
    let sent = server
        .received_requests()
        .await
        .expect("the mock server records requests");
    assert!(sent.is_empty(), "nothing may be sent: {sent:?}");
}

// ---------------------------------------------------------------------------------------------
// Tracing output
// ---------------------------------------------------------------------------------------------

/// Everything logged on this thread at TRACE level while it lives: our spans (opened and
/// closed, with the fields recorded during the attempt) and events, hyper's events, and the
/// `log` records of reqwest, bridged into tracing. `#[tokio::test]` runs on one thread, so the
/// connection tasks reqwest spawns log here too; the mock servers run on threads of their own,
/// so what they log is not captured.
///
/// One global subscriber routes each line to the capture of the thread that wrote it. A
/// scoped subscriber per test (`set_default`) would be simpler but is flaky here: while at
/// most one dispatcher is registered, tracing-core computes a callsite's cached interest from
/// whichever thread hits it first, so a test without a capture can switch `cf_cache.request`
/// off for the test that has one.
struct Capture {
    buffer: Arc<Mutex<Vec<u8>>>,
}

thread_local! {
    static CAPTURING: std::cell::RefCell<Option<Arc<Mutex<Vec<u8>>>>> =
        const { std::cell::RefCell::new(None) };
}

impl Capture {
    fn start() -> Self {
        install_global_subscriber();
        let buffer = Arc::new(Mutex::new(Vec::new()));
        CAPTURING.with(|current| *current.borrow_mut() = Some(Arc::clone(&buffer)));
        Self { buffer }
    }

    fn text(&self) -> String {
        let bytes = self
            .buffer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURING.with(|current| *current.borrow_mut() = None);
    }
}

/// Installs the subscriber behind every [`Capture`], once. Every client in this file is built
/// after this ran (see [`built`]), so no callsite is first hit while there is no subscriber.
fn install_global_subscriber() {
    static GLOBAL: std::sync::Once = std::sync::Once::new();
    GLOBAL.call_once(|| {
        tracing_subscriber::fmt()
            .with_max_level(LevelFilter::TRACE)
            .with_ansi(false)
            .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
            .with_writer(|| ThreadSink)
            .finish()
            // Also installs the `log` bridge (reqwest logs through `log`).
            .try_init()
            .expect("nothing else installs a global subscriber in this test binary");
    });
}

/// Writes a log line into the capture of the current thread, or nowhere when there is none.
struct ThreadSink;

impl std::io::Write for ThreadSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURING.with(|current| {
            if let Some(buffer) = &*current.borrow() {
                buffer
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_logged(log: &str, wanted: &str) {
    assert!(log.contains(wanted), "the log must contain {wanted:?}:\n{log}");
}

/// A server on which a purge fails once with 503 then succeeds, and every other request is
/// refused with 401.
async fn flaky_then_refusing_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/zones/{ZONE}/purge_cache")))
        .respond_with(
            failure(503, 10000, "service unavailable")
                .insert_header("cf-ray", "8f1e2d3c4b5a6978-LHR")
                .insert_header("ratelimit", "\"default\";r=0;t=30"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/zones/{ZONE}/purge_cache")))
        .respond_with(purge_ok().insert_header("cf-ray", "8f1e2d3c4b5a6979-AMS"))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(failure(401, 10000, "Authentication error"))
        .with_priority(3)
        .mount(&server)
        .await;
    server
}

/// Makes calls that retry then succeed, fail with an API error and fail in transport (with
/// retries) through clients built by `make`, and returns what was logged.
async fn log_of_calls(server: &MockServer, make: impl Fn(&str) -> ClientBuilder) -> String {
    let capture = Capture::start();
    let client = built(make(&server.uri()));

    let accepted = client.purge_cache(ZONE, &purge_body()).await;
    assert!(accepted.is_ok(), "the purge succeeds on its retry: {accepted:?}");

    let refused = client.get_cache_reserve(ZONE).await;
    assert!(
        matches!(&refused, Err(Error::Api(e)) if e.status == 401),
        "{refused:?}"
    );

    let unreachable = built(make(&closed_port_url().await));
    let lost = unreachable.purge_cache(ZONE, &purge_body()).await;
    assert!(matches!(&lost, Err(Error::Transport(_))), "{lost:?}");

    let log = capture.text();
    drop(capture);

    // The capture works: it holds what the client is meant to log.
    assert_logged(&log, "cf_cache.request");
    assert_logged(&log, "operation=\"purge_cache\"");
    assert_logged(&log, "operation=\"get_cache_reserve\"");
    assert_logged(&log, "path=\"/zones/{zone_id}/purge_cache\"");
    assert_logged(&log, "method=\"POST\"");
    assert_logged(&log, "attempt=1");
    assert_logged(&log, "attempt=2");
    assert_logged(&log, "attempt=3");
    assert_logged(&log, "status=503");
    assert_logged(&log, "status=200");
    assert_logged(&log, "status=401");
    assert_logged(&log, "cf_ray=\"8f1e2d3c4b5a6978-LHR\"");
    assert_logged(&log, "cf_ray=\"8f1e2d3c4b5a6979-AMS\"");
    assert_logged(&log, r#"ratelimit="\"default\";r=0;t=30""#);
    assert_logged(&log, "retrying Cloudflare API request");
    assert_logged(&log, "reason=\"server error\"");
    assert_logged(&log, "reason=\"connect error\"");
    log
}

#[tokio::test]
async fn trace_output_shows_the_calls_but_never_the_token() {
    let server = flaky_then_refusing_server().await;

    let log = log_of_calls(&server, token_builder).await;

    assert_no_secret("TRACE output of a token client", &log);
    // 2 purge attempts and 1 refused GET, every one with the token.
    assert_eq!(requests_with_token(&server).await.len(), 3);
}

#[tokio::test]
async fn trace_output_shows_the_calls_but_never_the_key_or_email() {
    let server = flaky_then_refusing_server().await;

    let log = log_of_calls(&server, key_builder).await;

    assert_no_secret("TRACE output of a key client", &log);
    assert_eq!(requests_with_key(&server).await.len(), 3);
}
