//! What a fake is started with: the plan's limits, credentials, timings and faults.
//!
//! The plan table is the fake's own copy of Cloudflare's documented figures, deliberately not
//! shared with `cf-cache-ext`'s pacer: the fake is the counterpart the pacer is tested against,
//! so a wrong figure in one shows up as a failing test instead of agreeing with itself.

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::clock::FakeClock;

/// A Cloudflare plan: it sets the purge buckets and per-request caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Plan {
    /// Free plan.
    #[default]
    Free,
    /// Pro plan.
    Pro,
    /// Business plan.
    Business,
    /// Enterprise plan.
    Enterprise,
}

impl Plan {
    /// The documented limits of this plan.
    pub fn limits(self) -> PlanLimits {
        let (bulk_count, bulk_per, bulk_capacity, urls_per_second) = match self {
            Plan::Free => (5, Duration::from_secs(60), 25, 800),
            Plan::Pro => (5, Duration::from_secs(1), 25, 1_500),
            Plan::Business => (10, Duration::from_secs(1), 50, 1_500),
            Plan::Enterprise => (50, Duration::from_secs(1), 500, 3_000),
        };
        PlanLimits {
            bulk_refill: (bulk_count, bulk_per),
            bulk_capacity,
            urls_per_second,
            url_capacity: urls_per_second,
            // Below Enterprise, 100 is documented but 30 is what reports show enforced.
            urls_per_request: if self == Plan::Enterprise { 500 } else { 30 },
            items_per_request: 100,
        }
    }
}

impl std::str::FromStr for Plan {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "free" => Ok(Plan::Free),
            "pro" => Ok(Plan::Pro),
            "business" => Ok(Plan::Business),
            "enterprise" => Ok(Plan::Enterprise),
            other => Err(format!(
                "unknown plan `{other}` (free, pro, business or enterprise)"
            )),
        }
    }
}

/// The purge limits of one plan, per account (purge and invalidate share them, all zones too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// Refill of the tags/hosts/prefixes/everything bucket: `count` tokens per duration.
    pub bulk_refill: (u32, Duration),
    /// Size of that bucket; each such request takes one token.
    pub bulk_capacity: u32,
    /// Refill of the single-file bucket, in URLs per second; each URL takes one token.
    pub urls_per_second: u32,
    /// Size of the single-file bucket (Cloudflare publishes none; one second of refill here).
    pub url_capacity: u32,
    /// URLs per purge request.
    pub urls_per_request: usize,
    /// Tags, hosts or prefixes per purge request.
    pub items_per_request: usize,
}

/// A limit of `quota` requests in any `window`; going over answers 429 (error 971) to every
/// request for `block`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowLimit {
    /// Requests allowed in any window.
    pub quota: u32,
    /// The window's length.
    pub window: Duration,
    /// How long every request is refused once the quota is exceeded (zero: only the requests
    /// over the quota are refused).
    pub block: Duration,
}

impl WindowLimit {
    /// Cloudflare's API-wide limit: 1,200 requests per 5 minutes per user or token, 5-minute block.
    pub const API: WindowLimit = WindowLimit {
        quota: 1_200,
        window: Duration::from_secs(300),
        block: Duration::from_secs(300),
    };
    /// Cloudflare's per-IP limit: 200 requests per second, 5-minute block.
    pub const PER_IP: WindowLimit = WindowLimit {
        quota: 200,
        window: Duration::from_secs(1),
        block: Duration::from_secs(300),
    };
}

/// Which 429s carry a `Retry-After` header. Cloudflare sends one once the API-wide limit is
/// exceeded; whether a purge-bucket 429 (1134) carries one is unconfirmed, so both are switchable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter {
    /// On 429 with error 971 (API-wide or per-IP limit).
    pub global: bool,
    /// On 429 with error 1134 (purge bucket empty).
    pub purge: bool,
}

impl Default for RetryAfter {
    fn default() -> Self {
        Self {
            global: true,
            purge: true,
        }
    }
}

/// Misbehaviour on purpose: each request draws its fate from a generator seeded with `seed`
/// and the request's sequence number, so the n-th request meets the same fault on every run.
/// A faulted request is not applied (nothing purged, no setting changed) unless
/// `lost_after_apply` says otherwise for resets and truncations. Rates are fractions in 0..=1
/// and are tried in the order listed; their sum must not exceed 1.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Faults {
    /// Seed of the fault draws.
    pub seed: u64,
    /// Extra latency before answering, drawn uniformly from this range (real time).
    pub latency: Option<(Duration, Duration)>,
    /// Share of requests answered 503 with a JSON failure envelope.
    pub server_error_rate: f64,
    /// Share answered 429 with error 971 (without touching the real limits).
    pub rate_limit_rate: f64,
    /// Share whose connection is closed without an answer.
    pub reset_rate: f64,
    /// Share answered 200 with a JSON body cut in half.
    pub truncate_rate: f64,
    /// Share answered 502 with an HTML error page, as Cloudflare's edge does.
    pub html_rate: f64,
    /// Resets and truncated bodies come after the request was applied: the purge is made or
    /// the setting changed, and the answer is lost or cut on its way back, so a client that
    /// resends repeats the change. Off by default (every fault leaves the state untouched).
    pub lost_after_apply: bool,
}

/// Who may call the fake: exactly these API tokens and (e-mail, Global API key) pairs, or,
/// when both sets are empty (the default), any non-empty token or any e-mail with any key.
#[derive(Clone, PartialEq, Eq, Default)]
pub(crate) struct Credentials {
    /// Accepted `Authorization: Bearer` tokens.
    pub tokens: BTreeSet<String>,
    /// Accepted `X-Auth-Email` / `X-Auth-Key` pairs.
    pub keys: BTreeSet<(String, String)>,
}

impl Credentials {
    /// Whether any credentials at all are accepted.
    pub(crate) fn any_present(&self) -> bool {
        self.tokens.is_empty() && self.keys.is_empty()
    }
}

impl fmt::Debug for Credentials {
    /// Counts only: credentials never appear in logs or `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("tokens", &format_args!("{} redacted", self.tokens.len()))
            .field("keys", &format_args!("{} redacted", self.keys.len()))
            .finish()
    }
}

/// Everything a [`FakeCloudflare`](crate::FakeCloudflare) is started with. Build it with the
/// methods below; the defaults are the Free plan's documented limits, any credentials, a
/// Reserve Clear taking 2 hours, a manual clock and no faults.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) listen: SocketAddr,
    pub(crate) plan: PlanLimits,
    pub(crate) api_limit: Option<WindowLimit>,
    pub(crate) ip_limit: Option<WindowLimit>,
    pub(crate) retry_after: RetryAfter,
    pub(crate) credentials: Credentials,
    pub(crate) reserve_clear_duration: Duration,
    pub(crate) max_mappings: usize,
    pub(crate) url_purge_forbidden: BTreeSet<String>,
    pub(crate) zones: Option<BTreeSet<String>>,
    pub(crate) faults: Faults,
    pub(crate) clock: FakeClock,
    pub(crate) record_bodies: bool,
    pub(crate) log_requests: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            plan: Plan::Free.limits(),
            api_limit: Some(WindowLimit::API),
            ip_limit: Some(WindowLimit::PER_IP),
            retry_after: RetryAfter::default(),
            credentials: Credentials::default(),
            reserve_clear_duration: Duration::from_secs(2 * 3_600),
            max_mappings: 3_500,
            url_purge_forbidden: BTreeSet::new(),
            zones: None,
            faults: Faults::default(),
            clock: FakeClock::default(),
            record_bodies: false,
            log_requests: false,
        }
    }
}

/// A setting [`Config::check`] refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid fake configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// The defaults (see [`Config`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Where to listen (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// The plan whose documented limits apply (replaces any limits set before).
    pub fn plan(mut self, plan: Plan) -> Self {
        self.plan = plan.limits();
        self
    }

    /// Limits of your own (a contract, or figures to test against).
    pub fn plan_limits(mut self, limits: PlanLimits) -> Self {
        self.plan = limits;
        self
    }

    /// URLs per purge request (30 below Enterprise by default; 100 is what Cloudflare documents).
    pub fn urls_per_request(mut self, urls: usize) -> Self {
        self.plan.urls_per_request = urls;
        self
    }

    /// The API-wide limit per token or user (`None`: unlimited).
    pub fn api_limit(mut self, limit: Option<WindowLimit>) -> Self {
        self.api_limit = limit;
        self
    }

    /// The per-client-IP limit (`None`: unlimited).
    pub fn ip_limit(mut self, limit: Option<WindowLimit>) -> Self {
        self.ip_limit = limit;
        self
    }

    /// Which 429s carry `Retry-After`.
    pub fn retry_after(mut self, retry_after: RetryAfter) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// Accept only this API token (may be called again, and mixed with [`Config::api_key`]).
    pub fn api_token(mut self, token: impl Into<String>) -> Self {
        self.credentials.tokens.insert(token.into());
        self
    }

    /// Accept only this e-mail + Global API key pair (may be called again).
    pub fn api_key(mut self, email: impl Into<String>, key: impl Into<String>) -> Self {
        self.credentials.keys.insert((email.into(), key.into()));
        self
    }

    /// How long a Cache Reserve Clear stays `In-progress` (default 2 hours).
    pub fn reserve_clear_duration(mut self, duration: Duration) -> Self {
        self.reserve_clear_duration = duration;
        self
    }

    /// Origin cloud region mappings per zone (default 3,500).
    pub fn max_mappings(mut self, max: usize) -> Self {
        self.max_mappings = max;
        self
    }

    /// An environment whose kind does not allow purging by URL (error 1136).
    pub fn forbid_url_purge_in(mut self, environment_id: impl Into<String>) -> Self {
        self.url_purge_forbidden.insert(environment_id.into());
        self
    }

    /// Serve only this zone (may be called again); others get 7003. By default every zone id
    /// of at most 32 characters exists.
    pub fn zone(mut self, zone_id: impl Into<String>) -> Self {
        self.zones
            .get_or_insert_with(BTreeSet::new)
            .insert(zone_id.into());
        self
    }

    /// Faults to inject.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// The clock (default: a manual clock at 2026-11-23T00:00:00Z).
    pub fn clock(mut self, clock: FakeClock) -> Self {
        self.clock = clock;
        self
    }

    /// Keep each request's and response's JSON body in [`crate::RequestRecord`] (off by
    /// default: a million purged URLs would be kept twice).
    pub fn record_bodies(mut self, on: bool) -> Self {
        self.record_bodies = on;
        self
    }

    /// Print one line per request on stderr: sequence number, method, path, status and error
    /// codes (never a header, so never a credential).
    pub fn log_requests(mut self, on: bool) -> Self {
        self.log_requests = on;
        self
    }

    /// Refuses settings the fake cannot honour.
    pub fn check(&self) -> Result<(), ConfigError> {
        let p = &self.plan;
        let positive = [
            ("bulk refill", p.bulk_refill.0),
            ("bulk bucket size", p.bulk_capacity),
            ("URLs per second", p.urls_per_second),
            ("URL bucket size", p.url_capacity),
        ];
        if let Some((what, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError(format!("{what} must be at least 1")));
        }
        if p.bulk_refill.1.is_zero() {
            return Err(ConfigError("bulk refill period must be positive".into()));
        }
        if p.urls_per_request == 0 || p.items_per_request == 0 {
            return Err(ConfigError("per-request caps must be at least 1".into()));
        }
        if p.urls_per_request > p.url_capacity as usize {
            return Err(ConfigError(format!(
                "{} URLs per request can never fit a bucket of {}",
                p.urls_per_request, p.url_capacity
            )));
        }
        for limit in [self.api_limit, self.ip_limit].into_iter().flatten() {
            if limit.quota == 0 || limit.window.is_zero() {
                return Err(ConfigError("a request limit needs a quota and a window".into()));
            }
        }
        let f = &self.faults;
        let rates = [
            f.server_error_rate,
            f.rate_limit_rate,
            f.reset_rate,
            f.truncate_rate,
            f.html_rate,
        ];
        if rates.iter().any(|r| !(0.0..=1.0).contains(r)) || rates.iter().sum::<f64>() > 1.0 + 1e-9 {
            return Err(ConfigError(
                "fault rates must each be in 0..=1 and sum to at most 1".into(),
            ));
        }
        if let Some((low, high)) = f.latency
            && low > high
        {
            return Err(ConfigError("latency range is reversed".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_in_debug() {
        let config = Config::new()
            .api_token("secret-token-1")
            .api_key("a@b.c", "secret-key-2");
        let text = format!("{config:?}");
        assert!(
            !text.contains("secret-token-1") && !text.contains("secret-key-2"),
            "{text}"
        );
        assert!(text.contains("1 redacted"), "{text}");
    }

    #[test]
    fn a_url_cap_larger_than_the_bucket_is_refused() {
        let config = Config::new().urls_per_request(801);
        assert!(config.check().is_err());
        assert_eq!(Config::new().urls_per_request(100).check(), Ok(()));
    }
}
