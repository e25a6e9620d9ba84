//! [`RegionBatcher`]: any number of origin cloud region mappings upserted or deleted through
//! the batch endpoints, with every item's outcome merged into one report.

use std::net::IpAddr;

use cf_cache_client::types::{
    OriginCloudRegionBatchDeleteRequest, OriginCloudRegionBatchUpsertRequest, OriginCloudRegionRequest,
};
use cf_cache_client::{Client, ConfigError, limits};
use futures::stream;

use super::chunker::{self, Limit};
use super::config::{Common, common_setters, in_range, observed_by};
use super::engine::{self, Settings};
use super::pacing::Pacer;
use super::regions::{RegionCutter, RegionOp, mapping_ip, send_deletes, send_upserts};
use super::report::BatchReport;

/// The most items the batch endpoints accept per request (upserts and deletes alike).
const MAX_CHUNK: usize = chunker::smallest(&[
    limits::ORIGIN_CLOUD_REGION_BATCH_UPSERT_REQUEST_MAX_ITEMS,
    limits::ORIGIN_CLOUD_REGION_BATCH_DELETE_REQUEST_MAX_ITEMS,
]);

/// Upserts or deletes any number of origin cloud region mappings of one zone.
///
/// Items are checked with the client's own rules, cut into chunks of up to 100 and sent
/// with bounded concurrency, paced under the API-wide request limit. The API answers each
/// chunk item by item; the report merges those answers: each input item appears exactly once,
/// as succeeded or as failed with a reason (the API's, or "not mentioned", or the error of a
/// request that failed as a whole). Rate limits and oversize refusals are handled as in
/// [`PurgeBatcher`](super::PurgeBatcher).
///
/// ```no_run
/// # async fn run(client: cf_cache_client::Client) {
/// use cf_cache_client::types::{CloudVendor, OriginCloudRegionRequest};
/// use cf_cache_ext::batch::RegionBatcher;
///
/// let batcher = match RegionBatcher::builder(client, "023e105f4ecef8ad9ca31a8372d0c353").build() {
///     Ok(batcher) => batcher,
///     Err(e) => return eprintln!("bad settings: {e}"),
/// };
/// let mappings = (0..250u32).map(|i| OriginCloudRegionRequest {
///     origin_ip: std::net::Ipv4Addr::from(0xC000_0200 + i).into(),
///     region: "us-east-1".into(),
///     vendor: CloudVendor::Aws,
/// });
/// let report = batcher.upsert(mappings).await;
/// println!("{} applied, {} failed", report.succeeded.len(), report.failed.len());
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RegionBatcher {
    client: Client,
    zone_id: String,
    chunk_size: usize,
    settings: Settings,
}

/// Configures a [`RegionBatcher`]; see [`RegionBatcher::builder`].
#[derive(Debug, Clone)]
pub struct RegionBatcherBuilder {
    client: Client,
    zone_id: String,
    chunk_size: usize,
    common: Common,
}

impl RegionBatcher {
    /// Starts configuring a batcher for the mappings of `zone_id`. Defaults: chunks of 100,
    /// 4 requests in flight, pacing on.
    pub fn builder(client: Client, zone_id: impl Into<String>) -> RegionBatcherBuilder {
        RegionBatcherBuilder {
            client,
            zone_id: zone_id.into(),
            chunk_size: MAX_CHUNK,
            common: Common::default(),
        }
    }

    /// Creates or replaces every mapping of `mappings`.
    pub async fn upsert<I>(&self, mappings: I) -> BatchReport<OriginCloudRegionRequest>
    where
        I: IntoIterator<Item = OriginCloudRegionRequest>,
    {
        let limit = Limit::new(self.chunk_size);
        let op = RegionOp::<OriginCloudRegionBatchUpsertRequest> {
            client: &self.client,
            zone_id: &self.zone_id,
            limit: &limit,
            send: send_upserts,
            ip_of: mapping_ip,
        };
        let work = chunker::work(stream::iter(mappings), RegionCutter::upserts(&limit));
        let mut report = BatchReport::default();
        report.stats = engine::run(&op, &self.settings, work, |o| report.record(o)).await;
        report
    }

    /// Deletes the mappings of every origin IP of `origin_ips`.
    pub async fn delete<I>(&self, origin_ips: I) -> BatchReport<IpAddr>
    where
        I: IntoIterator<Item = IpAddr>,
    {
        let limit = Limit::new(self.chunk_size);
        let op = RegionOp::<OriginCloudRegionBatchDeleteRequest> {
            client: &self.client,
            zone_id: &self.zone_id,
            limit: &limit,
            send: send_deletes,
            ip_of: |ip| *ip,
        };
        let work = chunker::work(stream::iter(origin_ips), RegionCutter::deletes(&limit));
        let mut report = BatchReport::default();
        report.stats = engine::run(&op, &self.settings, work, |o| report.record(o)).await;
        report
    }
}

impl RegionBatcherBuilder {
    /// Items per request, 1 to 100 (default 100, the API's maximum).
    pub fn chunk_size(mut self, items: usize) -> Self {
        self.chunk_size = items;
        self
    }

    common_setters!();

    /// Checks the settings and builds the batcher.
    pub fn build(self) -> Result<RegionBatcher, ConfigError> {
        let chunk_size = in_range("chunk_size", self.chunk_size, MAX_CHUNK)?;
        let settings = self.common.settings(&self.client, |budget| {
            Pacer::new(self.client.clock()).with_request_limit(budget)
        })?;
        Ok(RegionBatcher {
            // Every item is checked on its way into a chunk (so an invalid one is reported
            // alone); the client checks each chunk again before sending it, which costs a
            // few comparisons per item with the generated checks.
            client: observed_by(self.client.clone(), settings.pacer.as_ref()),
            zone_id: self.zone_id,
            chunk_size,
            settings,
        })
    }
}
