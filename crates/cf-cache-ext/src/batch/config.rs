//! Settings every batcher shares, and their checks.

use std::sync::Arc;
use std::time::Duration;

use cf_cache_client::{Client, ConfigError};

use super::classify::OversizeRule;
use super::engine::Settings;
use super::pacing::Pacer;
use super::plan::{API_REQUEST_LIMIT, WindowLimit};
use crate::settings;

/// Checks that `requested` is in `1..=max`.
pub(crate) fn in_range(what: &'static str, requested: usize, max: usize) -> Result<usize, ConfigError> {
    settings::in_range(what, requested, 1, max)
}

/// How a batcher paces itself.
#[derive(Debug, Clone)]
pub(crate) enum Pacing {
    /// A pacer of its own, with the buckets that fit the batcher's endpoint.
    Default,
    Off,
    Shared(Pacer),
}

/// The settings both batchers' builders take, with their defaults.
#[derive(Debug, Clone)]
pub(crate) struct Common {
    pub concurrency: usize,
    pub max_resends: u32,
    pub max_rate_limit_wait: Duration,
    pub too_many_items_codes: Vec<i64>,
    pub pacing: Pacing,
    /// The percentage of the API-wide request budget a default pacer may use.
    pub request_budget_percent: u8,
}

impl Default for Common {
    fn default() -> Self {
        Self {
            concurrency: 4,
            max_resends: 8,
            // Cloudflare blocks for 5 minutes once the API-wide limit is exceeded; a wait of
            // up to twice that is still worth taking, a longer one is not a transient limit.
            max_rate_limit_wait: Duration::from_secs(600),
            too_many_items_codes: Vec::new(),
            pacing: Pacing::Default,
            request_budget_percent: 100,
        }
    }
}

impl Common {
    /// The run settings, with `default_pacer` used (with the request budget's share) when
    /// pacing was left at its default.
    pub(crate) fn settings(
        &self,
        client: &Client,
        default_pacer: impl FnOnce(WindowLimit) -> Pacer,
    ) -> Result<Settings, ConfigError> {
        settings::at_least("concurrency", self.concurrency, 1)?;
        // No share for 0 % or above 100 %; 1 % of 1,200 requests is still 12.
        let budget = API_REQUEST_LIMIT
            .share(self.request_budget_percent)
            .ok_or_else(|| {
                ConfigError::invalid_setting(
                    "request_budget_percent",
                    self.request_budget_percent,
                    "between 1 and 100",
                )
            })?;
        let pacer = match &self.pacing {
            Pacing::Default => Some(default_pacer(budget)),
            Pacing::Off => None,
            Pacing::Shared(pacer) => Some(pacer.clone()),
        };
        Ok(Settings {
            concurrency: self.concurrency,
            max_resends: self.max_resends,
            max_rate_limit_wait: self.max_rate_limit_wait,
            oversize: OversizeRule {
                codes: self.too_many_items_codes.clone(),
            },
            pacer,
            clock: client.clock(),
        })
    }
}

/// `client`, showing its answers to `pacer` so the server's rate-limit headers correct it.
pub(crate) fn observed_by(client: Client, pacer: Option<&Pacer>) -> Client {
    match pacer {
        Some(pacer) => client.with_response_observer(Arc::new(pacer.clone())),
        None => client,
    }
}

/// Builder methods for the settings in [`Common`], identical on both builders.
macro_rules! common_setters {
    () => {
        /// How many requests may be in flight at once (default 4). Also bounds memory: about
        /// this many chunks are held at a time.
        pub fn concurrency(mut self, requests: usize) -> Self {
            self.common.concurrency = requests;
            self
        }

        /// How many times one chunk is sent again after rate-limit answers before the run
        /// gives up on it (default 8). Giving up stops the run: the rate limit is shared by
        /// every request, so the remaining items are reported as not sent.
        pub fn max_resends(mut self, resends: u32) -> Self {
            self.common.max_resends = resends;
            self
        }

        /// The longest rate-limit wait the run will sit through (default 10 minutes); a longer
        /// one stops the run like [`max_resends`](Self::max_resends) running out.
        pub fn max_rate_limit_wait(mut self, wait: std::time::Duration) -> Self {
            self.common.max_rate_limit_wait = wait;
            self
        }

        /// Error codes that mean "too many items in this request" (the chunk is halved and
        /// the run goes on). Cloudflare does not document one, so besides these, HTTP 413 and
        /// an HTTP 400 whose message speaks of a count limit are taken to mean it.
        pub fn too_many_items_codes(mut self, codes: impl IntoIterator<Item = i64>) -> Self {
            self.common.too_many_items_codes = codes.into_iter().collect();
            self
        }

        /// Turns client-side pacing on (the default) or off. Off, requests go as fast as the
        /// concurrency allows and rate limits are met as 429s.
        pub fn pacing(mut self, on: bool) -> Self {
            self.common.pacing = if on {
                $crate::batch::config::Pacing::Default
            } else {
                $crate::batch::config::Pacing::Off
            };
            self
        }

        /// The percentage of Cloudflare's API-wide budget (1,200 requests in any 5 minutes
        /// per token) the batcher's own pacer may use (default 100), when other tools use the
        /// same token; from 1 to 100. A pacer given with [`pacer`](Self::pacer) keeps its own.
        pub fn request_budget_percent(mut self, percent: u8) -> Self {
            self.common.request_budget_percent = percent;
            self
        }

        /// Paces on `pacer` instead of a pacer of the batcher's own; share one between
        /// batchers that draw on the same account's limits.
        pub fn pacer(mut self, pacer: $crate::batch::Pacer) -> Self {
            self.common.pacing = $crate::batch::config::Pacing::Shared(pacer);
            self
        }
    };
}

pub(crate) use common_setters;
