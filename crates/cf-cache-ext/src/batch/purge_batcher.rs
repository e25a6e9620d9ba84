//! [`PurgeBatcher`]: any number of purge items through one of the purge operations, chunked,
//! paced and accounted for.

use cf_cache_client::{Client, ConfigError, limits};
use futures::{Stream, stream};

use super::chunker;
use super::config::{Common, common_setters, in_range, observed_by};
use super::engine::{self, Settings};
use super::pacing::Pacer;
use super::plan::{Plan, PlanLimits};
use super::purge::{PurgeCutter, PurgeItem, PurgeLimits, PurgeOp, PurgeTarget};
use super::report::{BatchReport, BatchStats, Outcome};

/// The largest `files` array the API's schema accepts (Enterprise's cap), in either form.
const SCHEMA_MAX_URLS: usize = chunker::smallest(&[
    limits::PURGE_FILES_MAX_ITEMS,
    limits::PURGE_FILES_WITH_HEADERS_FILES_MAX_ITEMS,
]);
/// The largest `tags`/`hosts`/`prefixes` array the API's schema accepts.
const SCHEMA_MAX_ITEMS: usize = chunker::smallest(&[
    limits::PURGE_TAGS_MAX_ITEMS,
    limits::PURGE_HOSTS_MAX_ITEMS,
    limits::PURGE_PREFIXES_MAX_ITEMS,
]);

/// Purges (or invalidates) any number of URLs, tags, hosts or prefixes.
///
/// Items are read as they are needed, checked one by one (invalid ones are reported, never
/// sent), gathered into per-kind chunks of the plan's per-request maximum, and sent with
/// bounded concurrency, paced on client-side token buckets that match the plan's limits. A
/// chunk the API rate-limits anyway is resent after the wait it asks for; one it refuses as
/// too large is halved. Every item comes back exactly once, as succeeded or failed with a
/// typed reason.
///
/// ```no_run
/// # async fn run(client: cf_cache_client::Client) {
/// use cf_cache_ext::batch::{Plan, PurgeBatcher, PurgeItem, PurgeTarget};
///
/// let target = PurgeTarget::PurgeZone { zone_id: "023e105f4ecef8ad9ca31a8372d0c353".into() };
/// let batcher = match PurgeBatcher::builder(client, target).plan(Plan::Pro).build() {
///     Ok(batcher) => batcher,
///     Err(e) => return eprintln!("bad settings: {e}"),
/// };
/// let urls = (0..10_000).map(|i| PurgeItem::Url(format!("https://www.example.com/p/{i}")));
/// let report = batcher.run(urls).await;
/// for failed in &report.failed {
///     eprintln!("{:?}: {}", failed.item, failed.reason);
/// }
/// // Later: batcher.run(report.into_failed_items()).await
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PurgeBatcher {
    client: Client,
    target: PurgeTarget,
    plan: PlanLimits,
    urls_per_request: usize,
    settings: Settings,
}

/// Configures a [`PurgeBatcher`]; see [`PurgeBatcher::builder`].
#[derive(Debug, Clone)]
pub struct PurgeBatcherBuilder {
    client: Client,
    target: PurgeTarget,
    plan: Plan,
    urls_per_request: Option<usize>,
    common: Common,
}

impl PurgeBatcher {
    /// Starts configuring a batcher that sends to `target` through `client`. Defaults: the
    /// Free plan's limits, 4 requests in flight, pacing on.
    pub fn builder(client: Client, target: PurgeTarget) -> PurgeBatcherBuilder {
        PurgeBatcherBuilder {
            client,
            target,
            plan: Plan::Free,
            urls_per_request: None,
            common: Common::default(),
        }
    }

    /// Runs every item of `items`; returns a report holding each of them.
    pub async fn run<I>(&self, items: I) -> BatchReport<PurgeItem>
    where
        I: IntoIterator<Item = PurgeItem>,
    {
        self.run_stream(stream::iter(items)).await
    }

    /// [`run`](Self::run) for items that arrive asynchronously.
    pub async fn run_stream<S>(&self, items: S) -> BatchReport<PurgeItem>
    where
        S: Stream<Item = PurgeItem>,
    {
        let mut report = BatchReport::default();
        report.stats = self.run_with(items, |outcome| report.record(outcome)).await;
        report
    }

    /// Runs every item of `items`, handing each outcome to `on_outcome` as soon as it is
    /// known instead of keeping it: memory stays bounded by the concurrency and the chunk
    /// size however many items there are. Outcomes arrive in completion order.
    pub async fn run_with<S, F>(&self, items: S, on_outcome: F) -> BatchStats
    where
        S: Stream<Item = PurgeItem>,
        F: FnMut(Outcome<PurgeItem>),
    {
        let limits = PurgeLimits::new(self.urls_per_request, self.plan.items_per_request);
        let op = PurgeOp {
            client: &self.client,
            target: &self.target,
            plan: &self.plan,
            limits: &limits,
        };
        let work = chunker::work(items, PurgeCutter::new(&limits));
        engine::run(&op, &self.settings, work, on_outcome).await
    }

    /// The limits the batcher works to.
    pub fn plan_limits(&self) -> &PlanLimits {
        &self.plan
    }

    /// URLs per request.
    pub fn urls_per_request(&self) -> usize {
        self.urls_per_request
    }
}

impl PurgeBatcherBuilder {
    /// The plan whose limits apply (default [`Plan::Free`]).
    pub fn plan(mut self, plan: Plan) -> Self {
        self.plan = plan;
        self
    }

    /// URLs per request. The default is the plan's (30 below Enterprise, 500 on it); up to
    /// the plan's documented maximum (100 below Enterprise) may be set.
    pub fn urls_per_request(mut self, urls: usize) -> Self {
        self.urls_per_request = Some(urls);
        self
    }

    common_setters!();

    /// Checks the settings and builds the batcher.
    pub fn build(self) -> Result<PurgeBatcher, ConfigError> {
        let plan = self.plan.limits();
        let max_urls = in_range("max_urls_per_request", plan.max_urls_per_request, SCHEMA_MAX_URLS)?;
        in_range("items_per_request", plan.items_per_request, SCHEMA_MAX_ITEMS)?;
        let urls_per_request = in_range(
            "urls_per_request",
            self.urls_per_request.unwrap_or(plan.urls_per_request),
            max_urls,
        )?;
        let settings = self.common.settings(&self.client, |budget| {
            Pacer::new(self.client.clock())
                .with_plan(&plan)
                .with_request_limit(budget)
        })?;
        Ok(PurgeBatcher {
            // Every item is checked on its way into a chunk (so an invalid one is reported
            // alone); the client checks each chunk again before sending it, which costs a
            // few comparisons per item with the generated checks.
            client: observed_by(self.client.clone(), settings.pacer.as_ref()),
            target: self.target,
            plan,
            urls_per_request,
            settings,
        })
    }
}
