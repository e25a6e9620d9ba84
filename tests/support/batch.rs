//! Servers for the batcher tests: a wiremock server that answers by script and records every
//! exchange, and a server that holds requests back to measure how many are in flight.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::TestClock;

/// One request the scripted server answered.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Request body as JSON (`Null` when it was not JSON).
    pub body: Value,
    /// The status the server answered with.
    pub status: u16,
}

impl Exchange {
    /// The strings of the body's array under `key` (`files`, `tags`, ...), or of the body
    /// itself when it is an array (region deletes).
    pub fn strings(&self, key: &str) -> Vec<String> {
        let array = match &self.body {
            Value::Array(items) => Some(items),
            other => other.get(key).and_then(Value::as_array),
        };
        array
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The body's array length (under `key`, or the body itself when it is an array).
    pub fn items(&self, key: &str) -> usize {
        match &self.body {
            Value::Array(items) => items.len(),
            other => other.get(key).and_then(Value::as_array).map_or(0, Vec::len),
        }
    }
}

/// An answer from the script.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    body: Value,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// HTTP `status` with a JSON `body`.
    pub fn new(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            headers: Vec::new(),
        }
    }

    /// 200 with a purge result envelope.
    pub fn purge_accepted() -> Self {
        Self::new(200, envelope(json!({ "id": "9a7806061c88ada191ed06f989cc3dac" })))
    }

    /// A failure envelope with one error.
    pub fn failure(status: u16, code: i64, message: &str) -> Self {
        Self::new(
            status,
            json!({
                "success": false,
                "errors": [{ "code": code, "message": message }],
                "messages": [],
                "result": null
            }),
        )
    }

    /// 429 with the purge rate-limit error (1134), optionally asking for a wait in seconds.
    pub fn rate_limited(retry_after_secs: Option<u64>) -> Self {
        let reply = Self::failure(429, 1134, "Purge rate limit reached");
        match retry_after_secs {
            Some(secs) => reply.header("retry-after", secs.to_string()),
            None => reply,
        }
    }

    /// Adds a response header.
    pub fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// A success envelope around `result`.
pub fn envelope(result: Value) -> Value {
    json!({ "success": true, "errors": [], "messages": [], "result": result })
}

type Script = dyn Fn(usize, &Exchange) -> Reply + Send + Sync;

/// Every exchange the scripted server has had, in arrival order.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<Exchange>>>);

impl Log {
    /// A copy of the exchanges so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Exchange>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Scripted {
    script: Box<Script>,
    log: Log,
}

impl Respond for Scripted {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut exchange = Exchange {
            method: request.method.to_string(),
            path: request.url.path().to_string(),
            body: serde_json::from_slice(&request.body).unwrap_or(Value::Null),
            status: 0,
        };
        let mut log = self.log.lock();
        let reply = (self.script)(log.len(), &exchange);
        exchange.status = reply.status;
        log.push(exchange);
        let mut template = ResponseTemplate::new(reply.status).set_body_json(reply.body);
        for (name, value) in reply.headers {
            template = template.insert_header(name, value.as_str());
        }
        template
    }
}

/// A loopback server answering every request by `script(arrival_index, exchange)`, and the
/// log of what it received and answered. wiremock's own request recording is off: the log
/// holds what the tests need, and big runs would otherwise keep every raw request.
pub async fn scripted_server(
    script: impl Fn(usize, &Exchange) -> Reply + Send + Sync + 'static,
) -> (MockServer, Log) {
    let server = MockServer::builder().disable_request_recording().start().await;
    let log = Log::default();
    Mock::given(wiremock::matchers::any())
        .respond_with(Scripted {
            script: Box::new(script),
            log: log.clone(),
        })
        .mount(&server)
        .await;
    (server, log)
}

/// A server accepting every purge, whose first answer comes `late` after its request on
/// `clock`: time passing on the wire, as when a request opens a new connection far away.
pub async fn late_first_answer(clock: &Arc<TestClock>, late: Duration) -> (MockServer, Log) {
    let on_the_wire = Arc::clone(clock);
    scripted_server(move |n, _| {
        if n == 0 {
            on_the_wire.advance(late);
        }
        Reply::purge_accepted()
    })
    .await
}

/// A loopback server that holds each request until `width` are in flight at once (or all
/// `expected` requests have arrived), then answers them all with a purge success. So a
/// batcher that keeps `width` requests in flight is seen doing so. At each arrival it also
/// records a reading of `observe` (say, how many items the batcher has pulled from its
/// input) beside the number of requests answered so far.
pub struct GateServer {
    uri: String,
    state: Arc<GateState>,
}

/// A reading taken when a request arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// What the observer returned.
    pub observed: usize,
    /// Requests answered before this one arrived.
    pub answered: usize,
}

struct GateState {
    observe: Box<dyn Fn() -> usize + Send + Sync>,
    arrivals: Mutex<Vec<Arrival>>,
    answered: AtomicUsize,
    width: usize,
    expected: usize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    arrived: Mutex<usize>,
    /// Requests with an arrival index below this may be answered.
    released: tokio::sync::watch::Sender<usize>,
}

impl GateServer {
    /// Starts the server on a loopback port.
    pub async fn start(
        width: usize,
        expected: usize,
        observe: impl Fn() -> usize + Send + Sync + 'static,
    ) -> Self {
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(e) => panic!("cannot bind a loopback port: {e}"),
        };
        let uri = match listener.local_addr() {
            Ok(addr) => format!("http://{addr}"),
            Err(e) => panic!("bound socket has no address: {e}"),
        };
        let state = Arc::new(GateState {
            observe: Box::new(observe),
            arrivals: Mutex::new(Vec::new()),
            answered: AtomicUsize::new(0),
            width,
            expected,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            arrived: Mutex::new(0),
            released: tokio::sync::watch::Sender::new(0),
        });
        let shared = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&shared);
                let service = service_fn(move |request| hold_then_answer(Arc::clone(&state), request));
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
        });
        Self { uri, state }
    }

    /// The server's base URL.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The most requests that were in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// The readings taken at each arrival, in order.
    pub fn arrivals(&self) -> Vec<Arrival> {
        self.state
            .arrivals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Requests received.
    pub fn arrived(&self) -> usize {
        *self.state.arrived.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn hold_then_answer(
    state: Arc<GateState>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    // Reading the body first makes "in flight" mean a whole request has arrived.
    let _ = http_body_util::BodyExt::collect(request.into_body()).await;
    let index = {
        let mut arrived = state.arrived.lock().unwrap_or_else(PoisonError::into_inner);
        state
            .arrivals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arrival {
                observed: (state.observe)(),
                answered: state.answered.load(Ordering::SeqCst),
            });
        let index = *arrived;
        *arrived += 1;
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if now >= state.width || *arrived >= state.expected {
            state.released.send_replace(*arrived);
        }
        index
    };
    let mut released = state.released.subscribe();
    // Only a batcher that never fills the gate waits this long; its test then fails on the
    // in-flight figure instead of hanging.
    let _ = tokio::time::timeout(Duration::from_secs(10), released.wait_for(|&upto| upto > index)).await;
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    state.answered.fetch_add(1, Ordering::SeqCst);
    let body = envelope(json!({ "id": "9a7806061c88ada191ed06f989cc3dac" })).to_string();
    let response = hyper::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)));
    match response {
        Ok(response) => Ok(response),
        Err(e) => panic!("static response must build: {e}"),
    }
}
