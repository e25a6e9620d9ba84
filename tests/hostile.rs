//! The client and the `cf-cache-ext` loops against a hostile server: raw loopback TCP that
//! answers exactly the bytes each test scripts (redirects to another host, bodies of hundreds
//! of megabytes made up as they are sent, responses that never finish, header floods, escape
//! sequences, lists that never end). Every test asserts the exact error, the attempts that
//! reached the server and, by returning at all, that nothing panicked or looped forever.
//!
//! A second loopback address, 127.0.0.2, plays "another host": it records every header it
//! receives, and the redirect tests assert it received no request at all (so zero credential
//! headers) in every client configuration. A control test shows it does record the key when a
//! client follows the redirect.
//!
//! No test sleeps: retries wait on a [`TestClock`], and the few servers that stall do so for a
//! client whose attempt timeout is 200 ms.
//!
//! | scenario                                                            | attempts | result                                             |
//! |---------------------------------------------------------------------|----------|----------------------------------------------------|
//! | 301/302/303/307/308 to 127.0.0.2, API token                         | 1        | `Redirected` {status, target origin}; 0 at .2      |
//! | same, email + Global API key                                        | 1        | `Redirected`; 0 requests at .2                     |
//! | same, key, `with_max_retries(5)`, `x-should-retry: true`            | 1        | `Redirected`; 0 requests at .2                     |
//! | same, token and key, `http_client(reqwest::Client::builder())`      | 1        | `Redirected`; 0 requests at .2                     |
//! | control: plain reqwest following the 302 with `X-Auth-Key`          | 1 + 1    | the key arrives at .2                              |
//! | 200, `Content-Length: 300000000`                                    | 1        | `TooLarge` {limit 16 MiB, declared 300000000}      |
//! | 200, 300 MB chunked body                                            | 1        | `TooLarge` {declared None}; < 64 MiB sent          |
//! | 503, 300 MB chunked body                                            | 1        | `TooLarge` (not retried)                           |
//! | `max_response_bytes(1024)`: 1,025-byte / 1,024-byte envelope        | 1 / 1    | `TooLarge` {limit 1024} / `Ok`                     |
//! | `Content-Length: 18446744073709551616` (past u64)                   | 3        | `Transport`, not a timeout                         |
//! | child process, one call against a 300 MB chunked body               | 1        | `TooLarge`; its VmHWM < 64 MiB                     |
//! | connection never accepted; connect timeout 200 ms                   | 3        | timeout {Connect, 200 ms, attempt 3}               |
//! | request read, never answered; attempt timeout 200 ms                | 3        | timeout {Attempt, 200 ms, attempt 3}               |
//! | status line and half the headers, then nothing (no retries)         | 1        | timeout {Attempt, 200 ms, attempt 1}               |
//! | headers and half the body, then nothing (no retries)                | 1        | timeout {Attempt, 200 ms, attempt 1}               |
//! | 429 `retry-after` IMF-fixdate / RFC 850 / asctime (+30 s), then 200 | 2        | `Ok`; one 30 s sleep on the test clock             |
//! | 10,000 response headers                                             | 3        | `Transport` (hyper refuses), not a timeout         |
//! | `102 Processing` again and again, no final response (no retries)    | 1        | timeout {Attempt, 200 ms, attempt 1}               |
//! | an unknown field of `result` nested 100,000 arrays deep             | 1        | `Ok`: skipped, no stack overflow                   |
//! | one header line that never ends                                     | 3        | `Transport` (hyper's head limit); bounded read     |
//! | `Content-Encoding: gzip` body to a reqwest builder                  | 1        | `Decode`: never decompressed, none asked for       |
//! | ANSI/OSC escapes, CR LF, bidi override in `errors[].message`        | 1        | `Api`; message kept, `Display` escaped             |
//! | 400 with a non-UTF-8 body                                           | 1        | `Api`; lossy, escaped `body_snippet`               |
//! | child process with `HTTP_PROXY` set, plain-http loopback base URL   | 1        | `Ok`; 0 requests at the proxy                      |
//! | plain-http non-loopback base URLs, however disguised                | 0        | `ConfigError::InsecureBaseUrl`, origin only        |
//! | a list ignoring `page`: the same full page every time               | 2        | 100 items, then `PageError::Repeated {page 2}`     |
//! | a list that is never short, `max_pages(50)`                         | 50       | 5,000 items, then `TooManyPages {page 51}`         |
//! | Reserve Clear "In-progress" forever                                 | 160      | `DeadlineExceeded` at 26 h, 159 polls              |
//! | same, the wall clock stepping back an hour at every wait            | 160      | the same: the deadline is monotonic                |
//! | purge batch of 90 URLs, 429 `retry-after: 0` forever                | 27       | 30 failed, 60 not sent: 9 sends x 3 attempts       |
//! | purge batch of 90 URLs (email + key), 307 to 127.0.0.2              | 1        | 30 failed `Redirected`, 60 not sent; 0 at .2       |
//! | purge batch of 30 URLs, 413 forever                                 | 59       | 30 failed: halved down to single URLs              |
//! | paced batch of 45 tag chunks, the wall clock jumping a day per wait | 45       | same pacing waits (240 s) as a steady clock        |

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use cf_cache_client::types::ReserveClearState;
use cf_cache_client::{
    Client, ClientBuilder, Clock, ConfigError, Error, Redirected, ResponseTooLarge, RetryPolicy, Timeout,
    TimeoutKind,
};
use cf_cache_ext::batch::{ItemFailure, Outcome, Plan, PurgeBatcher, PurgeItem, PurgeTarget};
use cf_cache_ext::pagination::{PageError, origin_cloud_regions};
use cf_cache_ext::reserve_clear::{ReserveClearError, ReserveClearWaiter};
use cf_cache_tests::batch::envelope;
use cf_cache_tests::{TOKEN, TestClock, ZONE};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const EMAIL: &str = "ops@example.com";
const API_KEY: &str = "c2547eb745079dac9320b638f5e225cf483cc5cfdda41";
/// A body of 300 MB, as in the incident.
const HUGE: u64 = 300_000_000;
/// The short attempt timeout of the tests whose server stalls.
const SHORT: Duration = Duration::from_millis(200);

// ---------------------------------------------------------------------------------------------
// A scripted server on raw TCP
// ---------------------------------------------------------------------------------------------

/// One request as the server read it.
#[derive(Debug, Clone)]
struct Seen {
    request_line: String,
    /// Names lowercased.
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn path(&self) -> &str {
        self.request_line.split(' ').nth(1).unwrap_or("")
    }
}

/// What the server does with one request.
enum Reply {
    /// These bytes, then close.
    Bytes(Vec<u8>),
    /// These bytes, then nothing more, ever (the connection stays open).
    ThenStall(Vec<u8>),
    /// `head` (ending in the blank line), then `len` filler bytes made up as they are sent,
    /// chunked when `chunked`; stops at the first failed write (the client gave up).
    Lazy { head: Vec<u8>, len: u64, chunked: bool },
    /// `head`, then filler bytes without end: a header line that never ends.
    Endless { head: Vec<u8> },
    /// These bytes again and again, without end.
    Repeat(Vec<u8>),
}

type Script = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

struct Server {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Body and filler bytes written by `Lazy` and `Endless` replies.
    sent: Arc<AtomicU64>,
}

impl Server {
    /// Serves `script` on `ip` (any free port): it gets each request and its 0-based index.
    async fn start(ip: &str, script: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind((ip, 0))
            .await
            .unwrap_or_else(|e| panic!("cannot listen on {ip}: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("no local address: {e}"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sent = Arc::new(AtomicU64::new(0));
        let script: Arc<Script> = Arc::new(script);
        let (seen2, sent2) = (Arc::clone(&seen), Arc::clone(&sent));
        tokio::spawn(async move {
            let count = Arc::new(AtomicUsize::new(0));
            while let Ok((stream, _)) = listener.accept().await {
                let (script, seen, sent, count) = (
                    Arc::clone(&script),
                    Arc::clone(&seen2),
                    Arc::clone(&sent2),
                    Arc::clone(&count),
                );
                tokio::spawn(serve(stream, script, seen, sent, count));
            }
        });
        Self { addr, seen, sent }
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn attempts(&self) -> usize {
        self.requests().len()
    }

    fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

async fn serve(
    mut stream: TcpStream,
    script: Arc<Script>,
    seen: Arc<Mutex<Vec<Seen>>>,
    sent: Arc<AtomicU64>,
    count: Arc<AtomicUsize>,
) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let index = count.fetch_add(1, Ordering::SeqCst);
    seen.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(request.clone());
    match script(&request, index) {
        Reply::Bytes(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::ThenStall(bytes) => {
            let _ = stream.write_all(&bytes).await;
            std::future::pending::<()>().await;
        }
        Reply::Lazy { head, len, chunked } => {
            if stream.write_all(&head).await.is_err() {
                return;
            }
            let filler = [b'a'; 64 * 1024];
            let mut left = len;
            while left > 0 {
                let n = left.min(filler.len() as u64) as usize;
                let framed = if chunked {
                    let mut frame = format!("{n:x}\r\n").into_bytes();
                    frame.extend_from_slice(&filler[..n]);
                    frame.extend_from_slice(b"\r\n");
                    frame
                } else {
                    filler[..n].to_vec()
                };
                if stream.write_all(&framed).await.is_err() {
                    return;
                }
                sent.fetch_add(n as u64, Ordering::Relaxed);
                left -= n as u64;
            }
            if chunked {
                let _ = stream.write_all(b"0\r\n\r\n").await;
            }
        }
        Reply::Repeat(bytes) => while stream.write_all(&bytes).await.is_ok() {},
        Reply::Endless { head } => {
            if stream.write_all(&head).await.is_err() {
                return;
            }
            let filler = [b'a'; 16 * 1024];
            while stream.write_all(&filler).await.is_ok() {
                sent.fetch_add(filler.len() as u64, Ordering::Relaxed);
            }
        }
    }
}

/// The request head and any body (by `Content-Length`); `None` if the client went away.
async fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut buffer = Vec::new();
    let mut byte = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut byte).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&byte[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut have = buffer.len() - (head_end + 4);
    while have < length {
        let n = stream.read(&mut byte).await.ok()?;
        if n == 0 {
            return None;
        }
        have += n;
    }
    Some(Seen {
        request_line,
        headers,
    })
}

/// A complete response with `Connection: close`.
fn response(status: u16, extra_headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} Hostile\r\nconnection: close\r\n").into_bytes();
    for (name, value) in extra_headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

fn json_response(status: u16, body: &Value) -> Vec<u8> {
    response(
        status,
        &[("content-type", "application/json")],
        body.to_string().as_bytes(),
    )
}

fn cache_reserve_on() -> Vec<u8> {
    json_response(
        200,
        &envelope(json!({"id": "cache_reserve", "editable": true, "value": "on"})),
    )
}

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------

fn builder(server: &Server, clock: &Arc<TestClock>) -> ClientBuilder {
    Client::builder()
        .api_token(TOKEN)
        .base_url(server.base_url())
        .clock(Arc::clone(clock) as Arc<dyn Clock>)
}

fn build(builder: ClientBuilder) -> Client {
    builder
        .build()
        .unwrap_or_else(|e| panic!("the client must build: {e}"))
}

/// A token client of `server` with the default policy, on a test clock.
fn client(server: &Server) -> Client {
    build(builder(server, &TestClock::new()))
}

/// The same with a 200 ms attempt timeout.
fn impatient(server: &Server, retry: RetryPolicy) -> Client {
    build(
        builder(server, &TestClock::new())
            .timeout(SHORT)
            .retry_policy(retry),
    )
}

// ---------------------------------------------------------------------------------------------
// 1. Redirects: never followed, in any configuration
// ---------------------------------------------------------------------------------------------

/// Every redirect status, pointing at the recorder on 127.0.0.2 with a path and a query that
/// must not show up in the error.
const REDIRECTS: [u16; 5] = [301, 302, 303, 307, 308];

/// An API on 127.0.0.1 redirecting every request to a recorder on 127.0.0.2 (which would
/// answer like Cloudflare), and the recorder.
async fn redirecting(status: u16, extra: &'static [(&'static str, &'static str)]) -> (Server, Server) {
    let recorder = Server::start("127.0.0.2", |_, _| Reply::Bytes(cache_reserve_on())).await;
    let target = format!("{}/steal?token=leaked", recorder.origin());
    let api = Server::start("127.0.0.1", move |_, _| {
        let mut headers = vec![("location", target.as_str())];
        headers.extend_from_slice(extra);
        Reply::Bytes(response(status, &headers, b"moved"))
    })
    .await;
    (api, recorder)
}

/// The redirect is refused with its status and the target's origin, one attempt reached the
/// API, and nothing reached the recorder.
async fn assert_refused(status: u16, api: &Server, recorder: &Server, client: &Client) {
    match client.get_cache_reserve(ZONE).await {
        Err(Error::Redirected(Redirected { status: s, target })) => {
            assert_eq!(s, status);
            assert_eq!(
                target,
                Some(recorder.origin()),
                "the origin only, no path or query"
            );
        }
        other => panic!("HTTP {status}: expected Redirected, got {other:?}"),
    }
    assert_eq!(api.attempts(), 1, "HTTP {status}: a redirect is not retried");
    assert_eq!(
        recorder.attempts(),
        0,
        "HTTP {status}: nothing (so no credential) reaches the other host: {:?}",
        recorder.requests()
    );
}

#[tokio::test]
async fn a_redirect_is_refused_with_a_token() {
    for status in REDIRECTS {
        let (api, recorder) = redirecting(status, &[]).await;
        let client = build(builder(&api, &TestClock::new()));
        assert_refused(status, &api, &recorder, &client).await;
    }
}

#[tokio::test]
async fn a_redirect_is_refused_with_an_email_and_global_key() {
    for status in REDIRECTS {
        let (api, recorder) = redirecting(status, &[]).await;
        let client = build(builder(&api, &TestClock::new()).api_key(EMAIL, API_KEY));
        assert_refused(status, &api, &recorder, &client).await;
    }
}

#[tokio::test]
async fn a_redirect_is_refused_with_retries_on_even_when_it_asks_for_one() {
    for status in REDIRECTS {
        let (api, recorder) = redirecting(status, &[("x-should-retry", "true")]).await;
        let client = build(
            builder(&api, &TestClock::new())
                .api_key(EMAIL, API_KEY)
                .retry_policy(RetryPolicy::default().with_max_retries(5)),
        );
        assert_refused(status, &api, &recorder, &client).await;
    }
}

#[tokio::test]
async fn a_redirect_is_refused_with_a_custom_http_client_and_a_token() {
    for status in REDIRECTS {
        let (api, recorder) = redirecting(status, &[]).await;
        // reqwest's default policy follows up to 10 redirects; the SDK replaces it.
        let client = build(builder(&api, &TestClock::new()).http_client(reqwest::Client::builder()));
        assert_refused(status, &api, &recorder, &client).await;
    }
}

#[tokio::test]
async fn a_redirect_is_refused_with_a_custom_http_client_and_a_global_key() {
    for status in REDIRECTS {
        let (api, recorder) = redirecting(status, &[]).await;
        let client = build(
            builder(&api, &TestClock::new())
                .api_key(EMAIL, API_KEY)
                .http_client(reqwest::Client::builder().user_agent("custom")),
        );
        assert_refused(status, &api, &recorder, &client).await;
    }
}

/// Without this, the tests above could pass against a recorder that records nothing.
#[tokio::test]
async fn control_a_client_that_follows_the_redirect_hands_the_key_to_the_other_host() {
    let (api, recorder) = redirecting(302, &[]).await;
    let raw = reqwest::Client::new();
    let answer = raw
        .get(format!("{}/zones/{ZONE}/cache/cache_reserve", api.base_url()))
        .header("x-auth-email", EMAIL)
        .header("x-auth-key", API_KEY)
        .send()
        .await
        .unwrap_or_else(|e| panic!("the redirect is followed: {e}"));
    assert_eq!(
        answer.status(),
        200,
        "the other host's answer comes back as the API's"
    );
    let stolen = recorder.requests();
    assert_eq!(stolen.len(), 1);
    assert_eq!(stolen[0].header("x-auth-key"), Some(API_KEY));
    assert_eq!(stolen[0].path(), "/steal?token=leaked");
}

// ---------------------------------------------------------------------------------------------
// 2. Bounded responses
// ---------------------------------------------------------------------------------------------

fn too_large(result: cf_cache_client::Result<impl std::fmt::Debug>) -> ResponseTooLarge {
    match result {
        Err(Error::TooLarge(e)) => e,
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[tokio::test]
async fn a_content_length_over_the_cap_is_refused_before_the_body_is_read() {
    let server = Server::start("127.0.0.1", |_, _| Reply::Lazy {
        head: format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {HUGE}\r\n\r\n")
            .into_bytes(),
        len: HUGE,
        chunked: false,
    })
    .await;
    let error = too_large(client(&server).get_cache_reserve(ZONE).await);
    assert_eq!(
        error,
        ResponseTooLarge {
            status: 200,
            limit: cf_cache_client::DEFAULT_MAX_RESPONSE_BYTES,
            declared: Some(HUGE),
        }
    );
    assert!(error.to_string().contains("16777216-byte limit"), "{error}");
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_streamed_body_over_the_cap_stops_being_read_at_the_cap() {
    let server = Server::start("127.0.0.1", |_, _| Reply::Lazy {
        head: b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec(),
        len: HUGE,
        chunked: true,
    })
    .await;
    let error = too_large(client(&server).get_cache_reserve(ZONE).await);
    assert_eq!(error.declared, None);
    assert_eq!(error.limit, cf_cache_client::DEFAULT_MAX_RESPONSE_BYTES);
    assert_eq!(server.attempts(), 1);
    // What the server managed to write before the client hung up: the cap plus what the
    // sockets' buffers absorbed, nowhere near 300 MB.
    assert!(server.sent() < 64 * 1024 * 1024, "{} bytes sent", server.sent());
}

#[tokio::test]
async fn an_oversized_error_body_is_refused_and_not_retried() {
    let server = Server::start("127.0.0.1", |_, _| Reply::Lazy {
        head: b"HTTP/1.1 503 Unavailable\r\ntransfer-encoding: chunked\r\n\r\n".to_vec(),
        len: HUGE,
        chunked: true,
    })
    .await;
    let error = too_large(client(&server).get_cache_reserve(ZONE).await);
    assert_eq!(error.status, 503);
    assert_eq!(server.attempts(), 1, "the body would be as large again");
}

#[tokio::test]
async fn the_cap_is_configurable_and_exact() {
    // An envelope padded to exactly `size` bytes.
    fn padded(size: usize) -> Vec<u8> {
        let base =
            envelope(json!({"id": "cache_reserve", "editable": true, "value": "on", "pad": ""})).to_string();
        let pad = "x".repeat(size - base.len());
        let body =
            envelope(json!({"id": "cache_reserve", "editable": true, "value": "on", "pad": pad})).to_string();
        assert_eq!(body.len(), size);
        response(200, &[("content-type", "application/json")], body.as_bytes())
    }
    let over = Server::start("127.0.0.1", |_, _| Reply::Bytes(padded(1025))).await;
    let limited = |s: &Server| build(builder(s, &TestClock::new()).max_response_bytes(1024));
    let error = too_large(limited(&over).get_cache_reserve(ZONE).await);
    assert_eq!((error.limit, error.declared), (1024, Some(1025)));
    let exact = Server::start("127.0.0.1", |_, _| Reply::Bytes(padded(1024))).await;
    assert!(limited(&exact).get_cache_reserve(ZONE).await.is_ok());
    assert_eq!((over.attempts(), exact.attempts()), (1, 1));
}

#[tokio::test]
async fn a_content_length_past_u64_is_a_transport_error() {
    let server = Server::start("127.0.0.1", |_, _| {
        Reply::Bytes(b"HTTP/1.1 200 OK\r\ncontent-length: 18446744073709551616\r\n\r\n{}".to_vec())
    })
    .await;
    match client(&server).get_cache_reserve(ZONE).await {
        Err(Error::Transport(e)) => assert!(!e.is_timeout(), "{e}"),
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(
        server.attempts(),
        3,
        "a malformed response is retried like a reset"
    );
}

/// The child process of [`peak_rss_of_one_call_against_a_300_mb_body_stays_under_64_mib`]:
/// one call against the server named in the environment, then its own peak RSS on stdout.
#[tokio::test]
#[ignore = "run in a child process by peak_rss_of_one_call_against_a_300_mb_body_stays_under_64_mib"]
async fn child_one_call_against_a_huge_body() {
    let Ok(base_url) = std::env::var(CHILD_BASE_URL) else {
        return;
    };
    let client = build(Client::builder().api_token(TOKEN).base_url(base_url));
    let result = client.get_cache_reserve(ZONE).await;
    assert!(matches!(result, Err(Error::TooLarge(_))), "{result:?}");
    println!("{PEAK_MARK}{}", peak_rss_kib(std::process::id()));
}

const CHILD_BASE_URL: &str = "CF_CACHE_HOSTILE_CHILD_BASE_URL";
const PEAK_MARK: &str = "peak-rss-kib=";

/// `VmHWM` (peak resident set) of process `pid`, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/status must be readable: {e}"));
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in /proc/{pid}/status"))
}

/// Runs test `name` of this binary in a child process with `env`; returns its stdout.
fn run_child(name: &str, env: &[(&str, String)]) -> String {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("no test binary path: {e}"));
    let mut command = std::process::Command::new(exe);
    command.args(["--ignored", "--exact", name, "--nocapture", "--test-threads=1"]);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("the child must start: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "child {name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peak_rss_of_one_call_against_a_300_mb_body_stays_under_64_mib() {
    let server = Server::start("127.0.0.1", |_, _| Reply::Lazy {
        head: b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec(),
        len: HUGE,
        chunked: true,
    })
    .await;
    let env = [(CHILD_BASE_URL, server.base_url())];
    let stdout = tokio::task::spawn_blocking(move || run_child("child_one_call_against_a_huge_body", &env))
        .await
        .unwrap_or_else(|e| panic!("the child runner must not panic: {e}"));
    // The harness prints `test name ... ` and the child's line on the same line.
    let peak: u64 = stdout
        .split(PEAK_MARK)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("the child reports its peak RSS:\n{stdout}"));
    eprintln!("hostile: peak RSS of one call against a 300 MB body: {peak} KiB");
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB");
    assert_eq!(server.attempts(), 1);
}

// ---------------------------------------------------------------------------------------------
// 3. Timeouts say which, how long, which attempt
// ---------------------------------------------------------------------------------------------

fn timed_out(result: cf_cache_client::Result<impl std::fmt::Debug>) -> Timeout {
    match result {
        Err(Error::Transport(e)) => {
            assert!(e.is_timeout(), "{e}");
            let timeout = e.timeout().unwrap_or_else(|| panic!("a named timeout: {e}"));
            let text = e.to_string();
            assert!(
                text.contains(&format!("attempt {}", timeout.attempt)) && text.contains("200ms"),
                "{text}"
            );
            timeout
        }
        other => panic!("expected a Transport timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn a_request_never_answered_times_out_on_every_attempt_and_says_so() {
    let server = Server::start("127.0.0.1", |_, _| Reply::ThenStall(Vec::new())).await;
    let timeout = timed_out(
        impatient(&server, RetryPolicy::default())
            .get_cache_reserve(ZONE)
            .await,
    );
    assert_eq!(
        timeout,
        Timeout {
            kind: TimeoutKind::Attempt,
            limit: SHORT,
            attempt: 3
        }
    );
    assert_eq!(server.attempts(), 3);
}

#[tokio::test]
async fn a_connection_never_accepted_hits_the_connect_timeout_and_says_so() {
    // A listener whose backlog of one is taken: the kernel drops further SYNs, so connecting
    // hangs until the client gives up.
    let socket = tokio::net::TcpSocket::new_v4().unwrap_or_else(|e| panic!("a socket: {e}"));
    socket
        .bind(
            "127.0.0.1:0"
                .parse()
                .unwrap_or_else(|e| panic!("an address: {e}")),
        )
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let listener = socket.listen(0).unwrap_or_else(|e| panic!("listen: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("no local address: {e}"));
    let _queued = std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("the first connect: {e}"));
    let clock = TestClock::new();
    let client = build(
        Client::builder()
            .api_token(TOKEN)
            .base_url(format!("http://{addr}"))
            .clock(Arc::clone(&clock) as Arc<dyn Clock>)
            .connect_timeout(SHORT),
    );
    let timeout = timed_out(client.get_cache_reserve(ZONE).await);
    assert_eq!(
        timeout,
        Timeout {
            kind: TimeoutKind::Connect,
            limit: SHORT,
            attempt: 3
        }
    );
    assert_eq!(clock.sleeps().len(), 2, "retried twice, like any connect failure");
}

#[tokio::test]
async fn headers_that_never_finish_time_out() {
    let server = Server::start("127.0.0.1", |_, _| {
        Reply::ThenStall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-half".to_vec())
    })
    .await;
    let timeout = timed_out(
        impatient(&server, RetryPolicy::none())
            .get_cache_reserve(ZONE)
            .await,
    );
    assert_eq!((timeout.kind, timeout.attempt), (TimeoutKind::Attempt, 1));
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_body_that_never_finishes_times_out() {
    let server = Server::start("127.0.0.1", |_, _| {
        Reply::ThenStall(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"success\":".to_vec())
    })
    .await;
    let timeout = timed_out(
        impatient(&server, RetryPolicy::none())
            .get_cache_reserve(ZONE)
            .await,
    );
    assert_eq!((timeout.kind, timeout.attempt), (TimeoutKind::Attempt, 1));
    assert_eq!(server.attempts(), 1);
}

// ---------------------------------------------------------------------------------------------
// 5. Retry-After in every HTTP-date form
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn retry_after_is_honoured_in_each_http_date_form() {
    // 30 s after the test clock's start, 2026-11-23T00:00:00Z.
    for date in [
        "Mon, 23 Nov 2026 00:00:30 GMT",
        "Monday, 23-Nov-26 00:00:30 GMT",
        "Mon Nov 23 00:00:30 2026",
    ] {
        let server = Server::start("127.0.0.1", move |_, index| {
            Reply::Bytes(if index == 0 {
                response(429, &[("retry-after", date)], b"")
            } else {
                cache_reserve_on()
            })
        })
        .await;
        let clock = TestClock::new();
        let result = build(builder(&server, &clock)).get_cache_reserve(ZONE).await;
        assert!(result.is_ok(), "{date}: {result:?}");
        assert_eq!(clock.sleeps(), [Duration::from_secs(30)], "{date}");
        assert_eq!(server.attempts(), 2, "{date}");
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Everything else a hostile server can send
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_header_flood_is_refused_without_a_timeout() {
    let server = Server::start("127.0.0.1", |_, _| {
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..10_000 {
            head.extend_from_slice(format!("x-flood-{i}: {i}\r\n").as_bytes());
        }
        head.extend_from_slice(b"content-length: 2\r\n\r\n{}");
        Reply::Bytes(head)
    })
    .await;
    match client(&server).get_cache_reserve(ZONE).await {
        Err(Error::Transport(e)) => assert!(!e.is_timeout(), "{e}"),
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(server.attempts(), 3);
}

#[tokio::test]
async fn endless_informational_responses_end_at_the_attempt_timeout() {
    let server = Server::start("127.0.0.1", |_, _| {
        Reply::Repeat(b"HTTP/1.1 102 Processing\r\n\r\n".to_vec())
    })
    .await;
    let timeout = timed_out(
        impatient(&server, RetryPolicy::none())
            .get_cache_reserve(ZONE)
            .await,
    );
    assert_eq!((timeout.kind, timeout.attempt), (TimeoutKind::Attempt, 1));
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn json_nested_100_000_deep_in_an_unknown_field_is_skipped_without_overflowing_the_stack() {
    let server = Server::start("127.0.0.1", |_, _| {
        let depth = 100_000;
        let body = format!(
            "{{\"success\":true,\"errors\":[],\"messages\":[],\"result\":{{\"id\":\"cache_reserve\",\
             \"editable\":true,\"value\":\"on\",\"extra\":{}{}}}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        Reply::Bytes(response(
            200,
            &[("content-type", "application/json")],
            body.as_bytes(),
        ))
    })
    .await;
    // A stack overflow would abort the whole test binary; serde_json skips what it ignores
    // without recursing.
    let setting = client(&server)
        .get_cache_reserve(ZONE)
        .await
        .unwrap_or_else(|e| panic!("the known fields decode: {e}"));
    assert_eq!(setting.value, cf_cache_client::types::ToggleValue::On);
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_header_that_never_ends_is_cut_off_by_the_head_limit() {
    let server = Server::start("127.0.0.1", |_, _| Reply::Endless {
        head: b"HTTP/1.1 200 OK\r\nx-endless: ".to_vec(),
    })
    .await;
    match client(&server).get_cache_reserve(ZONE).await {
        Err(Error::Transport(e)) => assert!(!e.is_timeout(), "{e}"),
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(server.attempts(), 3);
    assert!(server.sent() < 3 * 16 * 1024 * 1024, "{} bytes", server.sent());
}

/// `{"success":true,...,"result":{"id":"cache_reserve","value":"on"}}`, gzipped.
const GZIPPED_ENVELOPE: [u8; 91] = [
    31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 45, 200, 65, 10, 128, 48, 12, 4, 192, 191, 236, 185, 47, 232, 87, 68,
    164, 196, 69, 5, 181, 144, 52, 189, 148, 254, 221, 28, 60, 206, 12, 152, 139, 208, 12, 185, 169, 51, 129,
    170, 85, 67, 203, 154, 240, 196, 151, 131, 191, 148, 230, 119, 67, 30, 184, 118, 100, 72, 145, 147, 91,
    36, 181, 19, 9, 189, 220, 206, 248, 250, 98, 206, 15, 95, 215, 190, 249, 87, 0, 0, 0,
];

#[tokio::test]
async fn a_compressed_body_is_never_decompressed() {
    let server = Server::start("127.0.0.1", |_, _| {
        Reply::Bytes(response(
            200,
            &[("content-type", "application/json"), ("content-encoding", "gzip")],
            &GZIPPED_ENVELOPE,
        ))
    })
    .await;
    // A builder that asks for gzip shows decompression is turned off, not merely unrequested.
    let client = build(builder(&server, &TestClock::new()).http_client(reqwest::Client::builder()));
    match client.get_cache_reserve(ZONE).await {
        Err(Error::Decode(e)) => assert_eq!(e.status, 200),
        other => panic!("expected Decode, got {other:?}"),
    }
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("accept-encoding"), None);
}

#[tokio::test]
async fn escape_sequences_in_server_messages_are_escaped_when_displayed() {
    const HOSTILE: &str = "denied\u{1b}[2J\u{1b}]0;owned\u{7}\r\nINFO all good \u{202e}gpj.exe";
    let server = Server::start("127.0.0.1", |_, _| {
        Reply::Bytes(json_response(
            400,
            &json!({"success": false, "errors": [{"code": 1000, "message": HOSTILE}], "messages": []}),
        ))
    })
    .await;
    let error = client(&server)
        .get_cache_reserve(ZONE)
        .await
        .expect_err("a 400 is an error");
    let text = error.to_string();
    assert!(
        !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{text:?}"
    );
    assert!(
        text.contains(r"denied\u{1b}[2J\u{1b}]0;owned\u{7}\u{d}\u{a}INFO all good \u{202e}gpj.exe"),
        "{text}"
    );
    match error {
        Error::Api(api) => assert_eq!(api.errors[0].message, HOSTILE, "the data keeps the text"),
        other => panic!("expected Api, got {other:?}"),
    }
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_non_utf8_error_body_is_kept_lossily() {
    let server = Server::start("127.0.0.1", |_, _| {
        Reply::Bytes(response(
            400,
            &[("content-type", "text/html")],
            b"<p>\xff\xfe\x1b[31m</p>",
        ))
    })
    .await;
    match client(&server).get_cache_reserve(ZONE).await {
        Err(Error::Api(api)) => {
            assert_eq!(api.status, 400);
            assert_eq!(
                api.body_snippet.as_deref(),
                Some("<p>\u{fffd}\u{fffd}\u{1b}[31m</p>")
            );
            assert!(!api.to_string().contains('\u{1b}'), "{api}");
        }
        other => panic!("expected Api, got {other:?}"),
    }
    assert_eq!(server.attempts(), 1);
}

/// The child of [`an_http_proxy_from_the_environment_never_sees_a_plain_http_request`].
#[tokio::test]
#[ignore = "run in a child process by an_http_proxy_from_the_environment_never_sees_a_plain_http_request"]
async fn child_one_call_with_http_proxy_set() {
    let Ok(base_url) = std::env::var(CHILD_BASE_URL) else {
        return;
    };
    let client = build(Client::builder().api_token(TOKEN).base_url(base_url));
    let result = client.get_cache_reserve(ZONE).await;
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_proxy_from_the_environment_never_sees_a_plain_http_request() {
    let proxy = Server::start("127.0.0.2", |_, _| Reply::Bytes(cache_reserve_on())).await;
    let api = Server::start("127.0.0.1", |_, _| Reply::Bytes(cache_reserve_on())).await;
    let env = [
        (CHILD_BASE_URL, api.base_url()),
        ("HTTP_PROXY", proxy.base_url()),
        ("http_proxy", proxy.base_url()),
        ("ALL_PROXY", proxy.base_url()),
        ("NO_PROXY", String::new()),
    ];
    tokio::task::spawn_blocking(move || run_child("child_one_call_with_http_proxy_set", &env))
        .await
        .unwrap_or_else(|e| panic!("the child runner must not panic: {e}"));
    assert_eq!(api.attempts(), 1);
    assert_eq!(proxy.attempts(), 0, "{:?}", proxy.requests());
}

#[test]
fn plain_http_base_urls_off_loopback_are_refused_however_they_are_disguised() {
    for url in [
        "http://api.cloudflare.com/client/v4",
        "http://localhost.attacker.example",
        "http://127.0.0.1.nip.io:8080",
        "http://[::ffff:127.0.0.1]",
        "http://0.0.0.0:4010",
        "HTTP://API.EXAMPLE.COM",
    ] {
        let refused = Client::builder().api_token(TOKEN).base_url(url).build();
        assert!(
            matches!(refused, Err(ConfigError::InsecureBaseUrl(_))),
            "{url}: {refused:?}"
        );
    }
}

#[test]
fn a_refused_base_url_is_shown_by_its_origin_only() {
    let refused = Client::builder()
        .api_token(TOKEN)
        .base_url("http://api.example.com/\u{1b}[2Jclient/v4")
        .build();
    match refused {
        Err(ConfigError::InsecureBaseUrl(origin)) => assert_eq!(origin, "http://api.example.com"),
        other => panic!("expected InsecureBaseUrl, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Every loop ends
// ---------------------------------------------------------------------------------------------

fn mapping(i: usize) -> Value {
    json!({
        "origin_ip": format!("10.{}.{}.{}", i >> 16, (i >> 8) & 0xff, i & 0xff),
        "region": "us-east-1",
        "vendor": "aws",
        "modified_on": "2026-11-23T00:00:00Z",
    })
}

fn page_of(first: usize) -> Vec<u8> {
    let items: Vec<Value> = (first..first + 100).map(mapping).collect();
    json_response(200, &envelope(json!(items)))
}

/// The `page` query parameter of a request.
fn page_asked(seen: &Seen) -> usize {
    seen.path()
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("page="))
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
}

#[tokio::test]
async fn a_list_that_ignores_page_ends_with_a_repeated_page_error() {
    let server = Server::start("127.0.0.1", |_, _| Reply::Bytes(page_of(0))).await;
    let client = client(&server);
    let seen: Vec<_> = origin_cloud_regions(&client, ZONE)
        .build()
        .expect("the default paging is valid")
        .items()
        .collect()
        .await;
    assert_eq!(seen.len(), 101, "page 1, then the error");
    assert!(seen[..100].iter().all(Result::is_ok));
    assert!(
        matches!(seen[100], Err(PageError::Repeated { page: 2 })),
        "{:?}",
        seen[100]
    );
    assert_eq!(server.attempts(), 2);
}

#[tokio::test]
async fn a_list_that_never_ends_stops_at_max_pages() {
    let server = Server::start("127.0.0.1", |seen, _| {
        Reply::Bytes(page_of((page_asked(seen) - 1) * 100))
    })
    .await;
    let client = client(&server);
    let seen: Vec<_> = origin_cloud_regions(&client, ZONE)
        .max_pages(50)
        .build()
        .expect("the paging is valid")
        .items()
        .collect()
        .await;
    assert_eq!(seen.len(), 5_001);
    assert!(seen[..5_000].iter().all(Result::is_ok));
    assert!(
        matches!(
            seen[5_000],
            Err(PageError::TooManyPages {
                page: 51,
                max_pages: 50
            })
        ),
        "{:?}",
        seen[5_000]
    );
    assert_eq!(server.attempts(), 50);
}

fn in_progress() -> Vec<u8> {
    json_response(
        200,
        &envelope(
            json!({"id": "cache_reserve_clear", "start_ts": "2026-11-23T00:00:00Z", "state": "In-progress"}),
        ),
    )
}

/// Polls 1, 2, 4 and 8 minutes apart, then every 10 minutes until 26 hours: 4 + 155 polls
/// (the last wait cut short so the last poll falls on the deadline). The read before waiting
/// is one more request.
const POLLS_IN_26_HOURS: u32 = 159;

async fn wait_forever(clock: Arc<dyn Clock>) -> (Server, Result<(), ReserveClearError>) {
    let server = Server::start("127.0.0.1", |_, _| Reply::Bytes(in_progress())).await;
    let client = build(
        Client::builder()
            .api_token(TOKEN)
            .base_url(server.base_url())
            .clock(Arc::clone(&clock)),
    );
    let outcome = ReserveClearWaiter::builder(&client, ZONE)
        .jitter(false)
        .build()
        .expect("valid settings")
        .wait()
        .await
        .map(drop);
    (server, outcome)
}

fn assert_deadline_exceeded(outcome: Result<(), ReserveClearError>) {
    match outcome {
        Err(ReserveClearError::DeadlineExceeded {
            deadline,
            polls,
            last_status,
        }) => {
            assert_eq!(deadline, Duration::from_secs(26 * 3600));
            assert_eq!(polls, POLLS_IN_26_HOURS);
            assert_eq!(last_status.state, ReserveClearState::InProgress);
        }
        other => panic!("expected DeadlineExceeded, got {other:?}"),
    }
}

#[tokio::test]
async fn a_clear_that_never_completes_ends_at_the_deadline() {
    let clock = TestClock::new();
    let (server, outcome) = wait_forever(Arc::clone(&clock) as Arc<dyn Clock>).await;
    assert_deadline_exceeded(outcome);
    assert_eq!(server.attempts(), POLLS_IN_26_HOURS as usize + 1);
    let slept: Duration = clock.sleeps().iter().sum();
    assert_eq!(slept, Duration::from_secs(26 * 3600));
}

/// A clock whose monotonic time moves only by its sleeps while its wall time jumps by
/// `wall_jump` (forward or back) on every sleep, like a machine whose clock keeps being reset.
#[derive(Debug)]
struct SteppedClock {
    started: Instant,
    state: Mutex<(Duration, SystemTime)>,
    forward: bool,
    wall_jump: Duration,
}

impl SteppedClock {
    fn new(forward: bool, wall_jump: Duration) -> Arc<Self> {
        Arc::new(Self {
            started: Instant::now(),
            state: Mutex::new((
                Duration::ZERO,
                SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_392_000),
            )),
            forward,
            wall_jump,
        })
    }

    fn slept(&self) -> Duration {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
    }
}

impl Clock for SteppedClock {
    fn now(&self) -> SystemTime {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .1
    }

    fn sleep(&self, duration: Duration) -> cf_cache_client::clock::Sleep {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.0 += duration;
        state.1 = if self.forward {
            state.1 + duration + self.wall_jump
        } else {
            (state.1 + duration)
                .checked_sub(self.wall_jump)
                .unwrap_or(SystemTime::UNIX_EPOCH)
        };
        Box::pin(std::future::ready(()))
    }

    fn monotonic(&self) -> Instant {
        self.started + self.slept()
    }
}

#[tokio::test]
async fn a_wall_clock_stepping_back_neither_stretches_nor_stalls_the_wait() {
    let clock = SteppedClock::new(false, Duration::from_secs(3_600));
    let (server, outcome) = wait_forever(Arc::clone(&clock) as Arc<dyn Clock>).await;
    assert_deadline_exceeded(outcome);
    assert_eq!(server.attempts(), POLLS_IN_26_HOURS as usize + 1);
    assert_eq!(clock.slept(), Duration::from_secs(26 * 3600));
}

fn urls(n: usize) -> impl Iterator<Item = PurgeItem> {
    (0..n).map(|i| PurgeItem::Url(format!("https://www.example.com/asset/{i}.css")))
}

fn purge_zone() -> PurgeTarget {
    PurgeTarget::PurgeZone { zone_id: ZONE.into() }
}

#[tokio::test]
async fn a_rate_limit_that_never_lifts_ends_the_batch() {
    let server = Server::start("127.0.0.1", |_, _| {
        Reply::Bytes(response(
            429,
            &[("retry-after", "0"), ("content-type", "application/json")],
            br#"{"success":false,"errors":[{"code":971,"message":"slow down"}],"messages":[]}"#,
        ))
    })
    .await;
    let batcher = PurgeBatcher::builder(client(&server), purge_zone())
        .concurrency(1)
        .pacing(false)
        .build()
        .expect("valid settings");
    let report = batcher.run(urls(90)).await;
    assert_eq!((report.succeeded.len(), report.failed.len()), (0, 90));
    let sent_first = report
        .failed
        .iter()
        .filter(|f| matches!(f.reason, ItemFailure::Request(_)))
        .count();
    let not_sent = report
        .failed
        .iter()
        .filter(|f| matches!(f.reason, ItemFailure::NotSent(_)))
        .count();
    assert_eq!(
        (sent_first, not_sent),
        (30, 60),
        "chunk 1 gave up; the rest never went"
    );
    // 1 send + 8 resends of the first chunk, each tried 3 times by the client.
    assert_eq!(report.stats.requests, 9);
    assert_eq!(server.attempts(), 27);
}

#[tokio::test]
async fn a_redirecting_server_stops_the_batch_at_the_first_request() {
    let (api, recorder) = redirecting(307, &[]).await;
    let client = build(builder(&api, &TestClock::new()).api_key(EMAIL, API_KEY));
    let batcher = PurgeBatcher::builder(client, purge_zone())
        .concurrency(1)
        .pacing(false)
        .build()
        .expect("valid settings");
    let report = batcher.run(urls(90)).await;
    assert_eq!((report.succeeded.len(), report.failed.len()), (0, 90));
    let redirected = |e: &Error| matches!(e, Error::Redirected(Redirected { status: 307, .. }));
    let (sent, not_sent) = report.failed.iter().fold((0, 0), |(s, n), f| match &f.reason {
        ItemFailure::Request(e) if redirected(e) => (s + 1, n),
        ItemFailure::NotSent(e) if redirected(e) => (s, n + 1),
        other => panic!("unexpected failure {other}"),
    });
    assert_eq!(
        (sent, not_sent),
        (30, 60),
        "every later request would be redirected too"
    );
    assert_eq!((api.attempts(), recorder.attempts()), (1, 0));
}

#[tokio::test]
async fn a_server_refusing_every_size_ends_with_every_item_failed() {
    let server = Server::start("127.0.0.1", |_, _| {
        Reply::Bytes(json_response(
            413,
            &json!({"success": false, "errors": [{"code": 1, "message": "too large"}], "messages": []}),
        ))
    })
    .await;
    let batcher = PurgeBatcher::builder(client(&server), purge_zone())
        .concurrency(1)
        .pacing(false)
        .build()
        .expect("valid settings");
    let report = batcher.run(urls(30)).await;
    assert_eq!((report.succeeded.len(), report.failed.len()), (0, 30));
    assert!(
        report
            .failed
            .iter()
            .all(|f| matches!(f.reason, ItemFailure::Request(_)))
    );
    // The chunk of 30 halved down to single URLs: 2 x 30 - 1 requests, then it is over.
    assert_eq!(server.attempts(), 59);
}

/// 4,500 tags in 45 chunks on the Free plan (25 at once, then one per 12 s), on `clock`.
async fn paced_run(clock: Arc<dyn Clock>) -> (usize, Duration) {
    let server = Server::start("127.0.0.1", |_, _| {
        Reply::Bytes(json_response(
            200,
            &envelope(json!({"id": "9a7806061c88ada191ed06f989cc3dac"})),
        ))
    })
    .await;
    let client = build(
        Client::builder()
            .api_token(TOKEN)
            .base_url(server.base_url())
            .clock(clock),
    );
    let batcher = PurgeBatcher::builder(client, purge_zone())
        .plan(Plan::Free)
        .concurrency(1)
        .build()
        .expect("valid settings");
    let mut succeeded = 0;
    let stats = batcher
        .run_with(
            futures::stream::iter((0..4_500).map(|i| PurgeItem::Tag(format!("tag-{i}")))),
            |outcome| succeeded += usize::from(matches!(outcome, Outcome::Succeeded(_))),
        )
        .await;
    assert_eq!(server.attempts(), 45);
    (succeeded, stats.pacing_wait)
}

#[tokio::test]
async fn a_wall_clock_jumping_forward_does_not_release_a_burst() {
    let (steady_ok, steady_wait) = paced_run(TestClock::new()).await;
    let (jumping_ok, jumping_wait) =
        paced_run(SteppedClock::new(true, Duration::from_secs(86_400)) as Arc<dyn Clock>).await;
    assert_eq!((steady_ok, jumping_ok), (4_500, 4_500));
    // The burst of 25 less the pacer's 100 ms send margin (the 25th chunk waits 100 ms), then
    // 20 chunks 12 s apart.
    assert_eq!(steady_wait, Duration::from_millis(100 + 20 * 12_000));
    assert_eq!(jumping_wait, steady_wait);
}
