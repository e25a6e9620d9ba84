//! A stateful fake of Cloudflare's cache API, to test purge pipelines and settings code
//! offline: all 26 operations of `spec/cloudflare-cache.yaml` with Cloudflare's envelopes,
//! status and error codes, state per zone, the plan's limits, authentication, and faults on
//! purpose.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use cf_cache_fake::{Config, FakeCloudflare, Plan};
//!
//! let fake = FakeCloudflare::start(Config::new().plan(Plan::Free)).await?;
//! // Point any client at `fake.base_url()` (it ends in `/client/v4`, like the real one).
//! println!("serving on {}", fake.base_url());
//! // ... run the code under test ...
//! fake.advance(Duration::from_secs(3 * 3_600)); // a Reserve Clear finishes, buckets refill
//! assert_eq!(fake.rate_limited(), 0);
//! println!("{} items purged", fake.purged().len());
//! # Ok(())
//! # }
//! ```
//!
//! What it models:
//! - settings persist per zone (Cache Reserve, Smart and Regional Tiered Cache, Variants;
//!   DELETE resets); Cache Reserve Clear on both paths with its rules (1152, 1142, 1153) and
//!   `In-progress` then `Completed` after [`Config::reserve_clear_duration`];
//! - origin cloud region mappings: canonical IPs, the supported vendor/region list (1157),
//!   path/body mismatch (1146), 3,500 per zone (403, 1164), batches item by item, paging;
//! - purge and invalidate: the six bodies, 1092, 1136, per-request caps, and every accepted
//!   item recorded ([`FakeCloudflare::purged`]);
//! - limits on the fake's [`FakeClock`]: the purge token buckets (429, 1134), the API-wide
//!   1,200 requests per 5 minutes and 200 per second per IP as exact sliding windows (429,
//!   971, then a 5-minute block), `Ratelimit` / `Ratelimit-Policy` on every answer,
//!   `Retry-After` switchable ([`RetryAfter`]);
//! - authentication: an API token or e-mail + Global API key, else 401/403; credentials
//!   are never logged or shown by `Debug`;
//! - [`Faults`]: seeded latency, 5xx, 429s, connection resets, truncated bodies, HTML pages.
//!
//! Request bodies are read as JSON and checked by hand rather than through `cf-cache-types`:
//! the fake must judge bodies the typed models cannot even express (`purge_everything` with
//! `files`, an unknown vendor), and a fake built on the client's own models would agree with
//! the client by construction.

mod clock;
mod config;
mod envelope;
mod faults;
mod limits;
mod purge;
mod record;
mod regions;
mod routes;
mod server;
mod service;
mod settings;
mod summary;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use clock::FakeClock;
pub use config::{Config, ConfigError, Faults, Plan, PlanLimits, RetryAfter, WindowLimit};
pub use envelope::codes;
pub use record::{Fault, PurgeAction, PurgedItem, PurgedKind, RequestRecord};

use service::Service;

/// Why a fake could not start.
#[derive(Debug)]
pub enum StartError {
    /// A setting the fake cannot honour.
    Config(ConfigError),
    /// The listening socket could not be opened.
    Bind(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Config(e) => e.fmt(f),
            StartError::Bind(e) => write!(f, "cannot listen: {e}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Config(e) => Some(e),
            StartError::Bind(e) => Some(e),
        }
    }
}

/// A running fake Cloudflare. It serves until dropped or [`shut down`](Self::shutdown).
#[derive(Debug)]
pub struct FakeCloudflare {
    service: Arc<Service>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl FakeCloudflare {
    /// Starts serving `config` on its listening address (by default a free loopback port).
    /// Must be called inside a tokio runtime.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        config.check().map_err(StartError::Config)?;
        let listener = TcpListener::bind(config.listen).await.map_err(StartError::Bind)?;
        let addr = listener.local_addr().map_err(StartError::Bind)?;
        let service = Arc::new(Service::new(config));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, service.clone(), stopped));
        Ok(Self {
            service,
            addr,
            stop,
            task: Some(task),
        })
    }

    /// The base URL to give a client: `http://<addr>/client/v4`.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, routes::API_PREFIX)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its clock (a clone shares the time).
    pub fn clock(&self) -> &FakeClock {
        &self.service.config.clock
    }

    /// Moves its clock forward: buckets refill, windows slide, clears complete.
    pub fn advance(&self, by: Duration) {
        self.clock().advance(by);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.service.recorder.requests_snapshot()
    }

    /// How many requests arrived.
    pub fn request_count(&self) -> usize {
        self.service.recorder.count_requests(|_| true)
    }

    /// How many requests were answered 429 (any code, injected ones included).
    pub fn rate_limited(&self) -> usize {
        self.service.recorder.count_requests(|r| r.status == 429)
    }

    /// How many requests were answered 429 with `code` (971 or 1134).
    pub fn rate_limited_with(&self, code: i64) -> usize {
        self.service
            .recorder
            .count_requests(|r| r.status == 429 && r.error_codes.contains(&code))
    }

    /// Every accepted purge or invalidate item, in the order accepted.
    pub fn purged(&self) -> Vec<PurgedItem> {
        self.service.recorder.purged_snapshot()
    }

    /// Items the fake accepted more than once (with how many times), in no set order: a
    /// pipeline that loses nothing and repeats nothing leaves this empty.
    pub fn purged_more_than_once(&self) -> Vec<(PurgedKind, usize)> {
        let mut counts = std::collections::HashMap::new();
        for purged in self.service.recorder.purged_snapshot() {
            *counts.entry(purged.item).or_insert(0usize) += 1;
        }
        counts.into_iter().filter(|(_, n)| *n > 1).collect()
    }

    /// Whole tokens left in the account's purge buckets now: (tags/hosts/prefixes/everything,
    /// single-file URLs).
    pub fn purge_tokens(&self) -> (u32, u32) {
        self.service.purge_tokens()
    }

    /// Origin cloud region mappings stored for `zone_id`.
    pub fn mapping_count(&self, zone_id: &str) -> usize {
        self.service.mapping_count(zone_id)
    }

    /// Forgets the recorded requests and purges (state and limits stay as they are).
    pub fn clear_records(&self) {
        self.service.recorder.clear();
    }

    /// Stops accepting connections and waits for the accept loop to end; connections finish
    /// the request they are serving.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeCloudflare {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
