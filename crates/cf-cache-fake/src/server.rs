//! The HTTP/1.1 server (hyper) in front of [`Service`]: reads each request whole, hands it to
//! the service, writes the answer (or drops the connection), stops on request.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming as Body;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::envelope::{ApiError, codes};
use crate::service::{Answer, Incoming, Service};

/// Request bodies above this are refused (413) unread.
const MAX_BODY: usize = 8 << 20;

/// Why a connection is dropped instead of answered (an injected reset).
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by the fake (injected fault)")
    }
}

impl std::error::Error for Dropped {}

async fn respond(
    service: Arc<Service>,
    peer: SocketAddr,
    request: Request<Body>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, ());
    let bytes = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let refusal = ApiError::new(413, codes::INVALID_BODY, "request body too large or unreadable");
            let mut response = Response::new(Full::new(Bytes::from(refusal.body().to_string())));
            *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("application/json"),
            );
            return Ok(response);
        }
    };
    let header = |name| {
        request
            .headers()
            .get(name)
            .and_then(|v: &hyper::header::HeaderValue| v.to_str().ok())
    };
    let authorization = header("authorization");
    let incoming = Incoming {
        method: request.method().as_str(),
        path: request.uri().path(),
        query: request.uri().query(),
        bearer: authorization.and_then(|a| a.strip_prefix("Bearer ")),
        email: header("x-auth-email"),
        key: header("x-auth-key"),
        body: &bytes,
        peer: peer.ip(),
    };
    let handled = service.handle(&incoming);
    if !handled.latency.is_zero() {
        tokio::time::sleep(handled.latency).await;
    }
    let Answer::Respond {
        status,
        content_type,
        body,
        headers,
    } = handled.answer
    else {
        return Err(Dropped);
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let map = response.headers_mut();
    map.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    for (name, value) in headers {
        if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
            map.insert(name, value);
        }
    }
    Ok(response)
}

/// Accepts connections on `listener` until `stop` turns true; each connection finishes the
/// request it is serving, then closes.
pub(crate) async fn serve(listener: TcpListener, service: Arc<Service>, mut stop: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => return,
        };
        let Ok((stream, peer)) = accepted else {
            continue;
        };
        let service = service.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let handler = service_fn(move |request| respond(service.clone(), peer, request));
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), handler);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
}
