//! Shared helpers for the end-to-end tests: a loopback mock server and a client pointed at it,
//! and (in [`prism`]) the Prism mock server the spec conformance test runs against, and (in
//! `redis`, with the `redis` feature) the Redis server of the fleet tests.

use cf_cache_client::{Client, Clock};
use wiremock::MockServer;

pub mod prism;
#[cfg(feature = "redis")]
pub mod redis;

/// The API token every test client sends.
pub const TOKEN: &str = "test-token-0123456789";
/// A zone id in Cloudflare's format (32 hex characters).
pub const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";

/// The workspace root, for reading `spec/` and the shared reference files.
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The target directory of the scratch workspaces tests build with their own `cargo` (a nested
/// `cargo` cannot use the one the test runs from, which is locked): one for all of them, so
/// the registry crates are compiled once.
pub fn scratch_target_dir() -> std::path::PathBuf {
    workspace_root().join("target/scratch-target")
}

/// A client with an API token, talking to `server`, retrying on a [`TestClock`] (so a retried
/// failure costs no real time).
pub fn client(server: &MockServer) -> Client {
    client_with_clock(server, TestClock::new())
}

/// The spec's `example` for the 200 response of `method path`, read from `spec/`.
pub fn spec_example(method: &str, path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(workspace_root().join("spec/cloudflare-cache.yaml"))
        .unwrap_or_else(|e| panic!("spec must be readable: {e}"));
    let spec: serde_json::Value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("spec must parse: {e}"));
    let media =
        &spec["paths"][path][method.to_lowercase()]["responses"]["200"]["content"]["application/json"];
    match media.get("example") {
        Some(example) => example.clone(),
        None => panic!("spec has no 200 example for {method} {path}"),
    }
}

/// The spec's named `example` of the 4XX response of `method path` (e.g. `never_cleared`),
/// following a `$ref` into `components/responses` when the operation shares one.
pub fn spec_failure_example(method: &str, path: &str, name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(workspace_root().join("spec/cloudflare-cache.yaml"))
        .unwrap_or_else(|e| panic!("spec must be readable: {e}"));
    let spec: serde_json::Value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("spec must parse: {e}"));
    let mut response = &spec["paths"][path][method.to_lowercase()]["responses"]["4XX"];
    if let Some(reference) = response.get("$ref").and_then(serde_json::Value::as_str) {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("only local $refs are supported: {reference}"));
        response = spec
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
    }
    match response["content"]["application/json"]["examples"][name].get("value") {
        Some(example) => example.clone(),
        None => panic!("spec has no 4XX example `{name}` for {method} {path}"),
    }
}

/// A [`Clock`] that never really waits: each sleep is recorded and moves its `now` forward,
/// so retry and polling logic can be tested for hours of simulated time in microseconds.
#[derive(Debug)]
pub struct TestClock {
    state: std::sync::Mutex<(std::time::SystemTime, Vec<std::time::Duration>)>,
}

impl TestClock {
    /// A clock starting at 2026-11-23T00:00:00Z.
    pub fn new() -> std::sync::Arc<Self> {
        let start = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_392_000);
        std::sync::Arc::new(Self {
            state: std::sync::Mutex::new((start, Vec::new())),
        })
    }

    /// Every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<std::time::Duration> {
        self.lock().1.clone()
    }

    /// Moves the clock forward without a sleep (time passing while work happens).
    pub fn advance(&self, by: std::time::Duration) {
        self.lock().0 += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (std::time::SystemTime, Vec<std::time::Duration>)> {
        // A panicking test thread must not hide the figures from the others.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clock for TestClock {
    fn now(&self) -> std::time::SystemTime {
        self.lock().0
    }

    fn sleep(&self, duration: std::time::Duration) -> cf_cache_client::clock::Sleep {
        let mut state = self.lock();
        state.0 += duration;
        state.1.push(duration);
        Box::pin(std::future::ready(()))
    }
}

/// A client talking to `server` whose retries sleep on `clock` instead of real time.
pub fn client_with_clock(server: &MockServer, clock: std::sync::Arc<TestClock>) -> Client {
    match Client::builder()
        .api_token(TOKEN)
        .base_url(server.uri())
        .clock(clock)
        .build()
    {
        Ok(client) => client,
        Err(e) => panic!("test client must build: {e}"),
    }
}

pub mod batch;

pub mod fake;
