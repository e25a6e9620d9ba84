//! A minimal HTTP/1.1 server on loopback for the benchmarks: hyper on its own thread and
//! runtime, answering every request through one handler, optionally after a fixed delay.
//! It does as little as a server can (read the body, call the handler, write the bytes), so
//! what a benchmark measures is the client.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::http::request::Parts;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// What the server answers: given the request head and its body, a status and a JSON body.
pub type Handler = Arc<dyn Fn(&Parts, &Bytes) -> (StatusCode, Bytes) + Send + Sync>;

/// A running loopback server; stops when dropped.
pub struct Server {
    url: String,
    requests: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts a server answering through `handler` at once.
    pub fn start(handler: Handler) -> Server {
        Self::start_with_delay(handler, Duration::ZERO)
    }

    /// Starts a server that waits `delay` before answering each request (simulated network
    /// and API latency; requests wait concurrently).
    pub fn start_with_delay(handler: Handler, delay: Duration) -> Server {
        let listener =
            std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind a loopback port");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("bound address");
        let requests = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = oneshot::channel();
        let counter = Arc::clone(&requests);
        let thread = std::thread::Builder::new()
            .name("bench-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("server runtime");
                runtime.block_on(serve(listener, handler, delay, counter, stopped));
            })
            .expect("spawn the server thread");
        Server {
            url: format!("http://{addr}"),
            requests,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    handler: Handler,
    delay: Duration,
    requests: Arc<AtomicU64>,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = TcpListener::from_std(listener).expect("register the listener");
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let _ = stream.set_nodelay(true);
        let handler = Arc::clone(&handler);
        let requests = Arc::clone(&requests);
        let service = service_fn(move |request: Request<Incoming>| {
            let handler = Arc::clone(&handler);
            let requests = Arc::clone(&requests);
            async move { Ok::<_, Infallible>(answer(request, &handler, delay, &requests).await) }
        });
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    request: Request<Incoming>,
    handler: &Handler,
    delay: Duration,
    requests: &AtomicU64,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (status, out) = handler(&parts, &body);
    requests.fetch_add(1, Ordering::Relaxed);
    let mut response = Response::new(Full::new(out));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A handler that answers every request with `body` and status 200.
pub fn fixed(body: &'static [u8]) -> Handler {
    let body = Bytes::from_static(body);
    Arc::new(move |_, _| (StatusCode::OK, body.clone()))
}
