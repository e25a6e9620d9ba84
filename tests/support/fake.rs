//! Helpers for the tests that run against `cf-cache-fake`: start one, a typed client whose
//! waits move the fake's clock, and raw HTTP calls for what the typed client would refuse.

use std::sync::Arc;

use cf_cache_client::Client;
use cf_cache_fake::{Config, FakeCloudflare};
use serde_json::Value;

use crate::TOKEN;

/// Starts a fake with `config`.
pub async fn start(config: Config) -> FakeCloudflare {
    match FakeCloudflare::start(config).await {
        Ok(fake) => fake,
        Err(e) => panic!("the fake must start: {e}"),
    }
}

/// A token client for `fake` whose clock is the fake's: every retry or pacing wait advances
/// the fake's time by as much, so buckets refill and clears finish as the client waits.
pub fn client(fake: &FakeCloudflare) -> Client {
    match Client::builder()
        .api_token(TOKEN)
        .base_url(fake.base_url())
        .clock(Arc::new(fake.clock().clone()))
        .build()
    {
        Ok(client) => client,
        Err(e) => panic!("test client must build: {e}"),
    }
}

/// One raw answer: status, headers and the body as JSON (`Null` when it is not JSON).
#[derive(Debug)]
pub struct RawAnswer {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON.
    pub body: Value,
}

impl RawAnswer {
    /// The first error code in the body.
    pub fn code(&self) -> Option<i64> {
        self.body["errors"][0]["code"].as_i64()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Raw HTTP against a fake, with the test token unless told otherwise.
#[derive(Debug, Clone)]
pub struct Raw {
    http: reqwest::Client,
    base: String,
}

impl Raw {
    /// Raw calls to `fake`.
    pub fn new(fake: &FakeCloudflare) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: fake.base_url(),
        }
    }

    /// `method base+path` with the test token and, if given, a JSON body.
    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> RawAnswer {
        let request = self.request(method, path).bearer_auth(TOKEN);
        Self::send(match body {
            Some(body) => request.json(body),
            None => request,
        })
        .await
    }

    /// A request builder for `method base+path` with no credentials.
    pub fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .unwrap_or_else(|e| panic!("bad method {method}: {e}"));
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// Sends a request built with [`Raw::request`].
    pub async fn send(request: reqwest::RequestBuilder) -> RawAnswer {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("the fake must answer: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("the body must arrive: {e}"));
        RawAnswer {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }
}
