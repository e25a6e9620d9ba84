//! Origin cloud region mappings in batches: items checked, cut into chunks of at most 100,
//! and each chunk's per-item answer merged back onto the items that were sent.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

use cf_cache_client::types::{
    OriginCloudRegionBatchDeleteRequest, OriginCloudRegionBatchResult, OriginCloudRegionBatchUpsertRequest,
    OriginCloudRegionRequest,
};
use cf_cache_client::validate::items;
use cf_cache_client::{Client, Error, InvalidRequest};

use super::chunker::{Cutter, Lane, Limit, halve};
use super::engine::{Chunk, Operation, Work};
use super::pacing::Cost;
use super::plan::API_REQUEST_LIMIT;
use super::report::{FailedItem, ItemFailure, Outcome};

/// The key the batch endpoints are tracked under in `BatchStats::lowered_limits`.
const KEY: &str = "origin_cloud_regions";

/// An origin IP as the API compares them: `::ffff:192.0.2.1` is `192.0.2.1`. Answers come
/// back as text in RFC 5952 form, so `2001:DB8:0::1` is matched by value, not by spelling.
fn ip_key(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// Applies the client's own checks (the spec's rules) to one mapping, as the only item of
/// an upsert body; the reported field is therefore `body[0]`.
fn check_upsert(item: &OriginCloudRegionRequest) -> Result<(), InvalidRequest> {
    items::origin_cloud_region_batch_upsert_request(item)
}

/// Applies the client's own checks to one origin IP, as the only item of a delete body; the
/// reported field is therefore `body[0]`.
fn check_delete(ip: &IpAddr) -> Result<(), InvalidRequest> {
    items::origin_cloud_region_batch_delete_request(ip)
}

/// Gathers checked items of one batch endpoint into chunks.
pub(crate) struct RegionCutter<'a, T, C> {
    lane: Lane<T>,
    limit: &'a Limit,
    check: fn(&T) -> Result<(), InvalidRequest>,
    wrap: fn(Vec<T>) -> C,
}

impl<'a> RegionCutter<'a, OriginCloudRegionRequest, OriginCloudRegionBatchUpsertRequest> {
    pub(crate) fn upserts(limit: &'a Limit) -> Self {
        Self {
            lane: Lane::default(),
            limit,
            check: check_upsert,
            wrap: OriginCloudRegionBatchUpsertRequest,
        }
    }
}

impl<'a> RegionCutter<'a, IpAddr, OriginCloudRegionBatchDeleteRequest> {
    pub(crate) fn deletes(limit: &'a Limit) -> Self {
        Self {
            lane: Lane::default(),
            limit,
            check: check_delete,
            wrap: OriginCloudRegionBatchDeleteRequest,
        }
    }
}

impl<T, C: Chunk<Item = T>> Cutter for RegionCutter<'_, T, C> {
    type Item = T;
    type Chunk = C;

    fn push(&mut self, item: T) -> Option<Work<C>> {
        if let Err(reason) = (self.check)(&item) {
            return Some(Work::Invalid(item, reason));
        }
        self.lane
            .fill(item, self.limit)
            .map(|items| Work::Chunk((self.wrap)(items)))
    }

    fn finish(&mut self) -> Vec<C> {
        self.lane.drain().map(self.wrap).into_iter().collect()
    }
}

impl Chunk for OriginCloudRegionBatchUpsertRequest {
    type Item = OriginCloudRegionRequest;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn split(self) -> (Self, Self) {
        let (a, b) = halve(self.0);
        (Self(a), Self(b))
    }

    fn into_items(self) -> Vec<OriginCloudRegionRequest> {
        self.0
    }
}

impl Chunk for OriginCloudRegionBatchDeleteRequest {
    type Item = IpAddr;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn split(self) -> (Self, Self) {
        let (a, b) = halve(self.0);
        (Self(a), Self(b))
    }

    fn into_items(self) -> Vec<IpAddr> {
        self.0
    }
}

/// Sends chunks `C` to one batch endpoint of a zone.
pub(crate) struct RegionOp<'a, C: Chunk> {
    pub client: &'a Client,
    pub zone_id: &'a str,
    pub limit: &'a Limit,
    pub send: for<'c> fn(&'c Client, &'c str, &'c C) -> SendFuture<'c>,
    pub ip_of: fn(&C::Item) -> IpAddr,
}

/// What [`RegionOp::send`] returns.
pub(crate) type SendFuture<'c> =
    Pin<Box<dyn Future<Output = Result<OriginCloudRegionBatchResult, Error>> + Send + 'c>>;

pub(crate) fn send_upserts<'c>(
    client: &'c Client,
    zone_id: &'c str,
    chunk: &'c OriginCloudRegionBatchUpsertRequest,
) -> SendFuture<'c> {
    Box::pin(client.batch_upsert_origin_cloud_regions(zone_id, chunk))
}

pub(crate) fn send_deletes<'c>(
    client: &'c Client,
    zone_id: &'c str,
    chunk: &'c OriginCloudRegionBatchDeleteRequest,
) -> SendFuture<'c> {
    Box::pin(client.batch_delete_origin_cloud_regions(zone_id, chunk))
}

pub(crate) fn mapping_ip(mapping: &OriginCloudRegionRequest) -> IpAddr {
    mapping.origin_ip
}

impl<C: Chunk + Sync> Operation for RegionOp<'_, C> {
    type Chunk = C;
    type Answer = OriginCloudRegionBatchResult;

    async fn send(&self, chunk: &C) -> Result<OriginCloudRegionBatchResult, Error> {
        (self.send)(self.client, self.zone_id, chunk).await
    }

    fn settle(&self, chunk: C, answer: OriginCloudRegionBatchResult, out: &mut impl FnMut(Outcome<C::Item>)) {
        settle_by_ip(chunk.into_items(), self.ip_of, answer, out);
    }

    fn cost(&self, _: &C) -> Cost {
        Cost::Request
    }

    fn fallback_wait(&self, _: &C) -> Duration {
        // The budget's average pace: what one request's share of the window refills in.
        API_REQUEST_LIMIT.window() / API_REQUEST_LIMIT.requests()
    }

    fn lower_limit(&self, _: &C, items: usize) -> &'static str {
        self.limit.lower_to(items);
        KEY
    }
}

/// Gives each sent item the outcome the API listed for its IP. An IP the API lists as both
/// failed and succeeded counts as failed (sending it again is harmless; dropping a failure
/// is not); an item the API does not mention fails as [`ItemFailure::NotReported`]. When the
/// same IP was sent twice, each mention settles one of them, in order. Entries naming an IP
/// that was not sent (or no IP at all) settle nothing.
fn settle_by_ip<I>(
    items: Vec<I>,
    ip_of: fn(&I) -> IpAddr,
    answer: OriginCloudRegionBatchResult,
    out: &mut impl FnMut(Outcome<I>),
) {
    let mut waiting: HashMap<IpAddr, VecDeque<usize>> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        waiting.entry(ip_key(ip_of(item))).or_default().push_back(index);
    }
    let mut slots: Vec<Option<I>> = items.into_iter().map(Some).collect();
    let mut take = |ip: &str| {
        let key = ip_key(ip.trim().parse().ok()?);
        let index = waiting.get_mut(&key)?.pop_front()?;
        slots.get_mut(index)?.take()
    };
    let mut settled = Vec::new();
    for failure in answer.failed {
        if let Some(item) = take(&failure.origin_ip) {
            settled.push(Outcome::Failed(FailedItem {
                item,
                reason: ItemFailure::Rejected {
                    message: failure.error,
                },
            }));
        }
    }
    for success in answer.succeeded {
        if let Some(item) = take(&success.origin_ip) {
            settled.push(Outcome::Succeeded(item));
        }
    }
    settled.into_iter().for_each(&mut *out);
    slots.into_iter().flatten().for_each(|item| {
        out(Outcome::Failed(FailedItem {
            item,
            reason: ItemFailure::NotReported,
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use cf_cache_client::types::{OriginCloudRegionBatchFailure, OriginCloudRegionBatchSuccess};

    fn success(ip: &str) -> OriginCloudRegionBatchSuccess {
        OriginCloudRegionBatchSuccess {
            origin_ip: ip.into(),
            region: None,
            vendor: None,
        }
    }

    fn failure(ip: &str, error: &str) -> OriginCloudRegionBatchFailure {
        OriginCloudRegionBatchFailure {
            origin_ip: ip.into(),
            error: Some(error.into()),
        }
    }

    fn ip(text: &str) -> IpAddr {
        match text.parse() {
            Ok(ip) => ip,
            Err(e) => panic!("{text:?} is a test address: {e}"),
        }
    }

    fn summary(out: &[Outcome<IpAddr>]) -> Vec<String> {
        out.iter()
            .map(|o| match o {
                Outcome::Succeeded(ip) => format!("ok {ip}"),
                Outcome::Failed(f) => format!("failed {} ({})", f.item, f.reason),
            })
            .collect()
    }

    #[test]
    fn answers_are_matched_by_address_not_by_spelling() {
        let sent = vec![ip("2001:db8::1"), ip("::ffff:192.0.2.7")];
        let answer = OriginCloudRegionBatchResult {
            succeeded: vec![success("2001:DB8:0:0::1"), success("192.0.2.7")],
            failed: Vec::new(),
        };
        let mut out = Vec::new();
        settle_by_ip(sent, |ip| *ip, answer, &mut |o| out.push(o));
        assert_eq!(summary(&out), ["ok 2001:db8::1", "ok ::ffff:192.0.2.7"]);
    }

    #[test]
    fn every_sent_item_gets_exactly_one_outcome() {
        let sent: Vec<IpAddr> = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.1", "192.0.2.4"]
            .map(ip)
            .into();
        let answer = OriginCloudRegionBatchResult {
            succeeded: vec![
                success("192.0.2.1"),
                success("192.0.2.1"),
                success("192.0.2.3"),
                success("198.51.100.9"),
                success("not an address"),
            ],
            failed: vec![
                failure("192.0.2.2", "unknown region"),
                failure("192.0.2.3", "conflict"),
            ],
        };
        let mut out = Vec::new();
        settle_by_ip(sent, |ip| *ip, answer, &mut |o| out.push(o));
        assert_eq!(
            summary(&out),
            [
                "failed 192.0.2.2 (rejected by the API: unknown region)",
                "failed 192.0.2.3 (rejected by the API: conflict)",
                "ok 192.0.2.1",
                "ok 192.0.2.1",
                "failed 192.0.2.4 (the API's answer listed it neither as succeeded nor as failed)",
            ]
        );
    }
}
