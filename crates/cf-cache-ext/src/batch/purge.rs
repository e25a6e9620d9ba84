//! Purge items, the endpoint they go to, and how they become requests: checked one by one,
//! gathered into one chunk per kind, sent through the chosen operation.

use std::time::Duration;

use cf_cache_client::types::{PurgeFileWithHeaders, PurgeRequest};
use cf_cache_client::validate::items;
use cf_cache_client::{Client, Error, InvalidRequest};

use super::chunker::{Cutter, Lane, Limit, halve};
use super::engine::{Chunk, Operation, Work};
use super::pacing::Cost;
use super::plan::PlanLimits;
use super::report::Outcome;

/// One thing to purge or invalidate.
#[derive(Debug, Clone, PartialEq)]
pub enum PurgeItem {
    /// A complete URL with scheme, e.g. `https://www.example.com/app.css`.
    Url(String),
    /// A URL whose cache key includes request headers.
    UrlWithHeaders(PurgeFileWithHeaders),
    /// A `Cache-Tag` value.
    Tag(String),
    /// A hostname.
    Host(String),
    /// A host plus path prefix, without scheme, e.g. `www.example.com/assets`.
    Prefix(String),
}

/// Which of the four purge operations a batch goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurgeTarget {
    /// `purge_cache`: evict from the zone's cache.
    PurgeZone {
        /// The zone.
        zone_id: String,
    },
    /// `invalidate_cache`: mark the zone's cached copies stale (revalidated with the origin).
    InvalidateZone {
        /// The zone.
        zone_id: String,
    },
    /// `purge_environment_cache`: evict what one environment of the zone cached.
    PurgeEnvironment {
        /// The zone.
        zone_id: String,
        /// The environment within it.
        environment_id: String,
    },
    /// `invalidate_environment_cache`: mark one environment's cached copies stale.
    InvalidateEnvironment {
        /// The zone.
        zone_id: String,
        /// The environment within it.
        environment_id: String,
    },
}

/// Applies the client's own checks (the spec's rules) to one item, as the only item of its
/// list; the reported field is therefore `body.<key>[0]` whatever the item's place in the
/// input. No body is built: the generated check of one item of that list is called on it.
fn check_item(item: &PurgeItem) -> Result<(), InvalidRequest> {
    match item {
        PurgeItem::Url(url) => items::purge_request_files(url),
        PurgeItem::UrlWithHeaders(file) => items::purge_request_files_with_headers(file),
        PurgeItem::Tag(tag) => items::purge_request_tags(tag),
        PurgeItem::Host(host) => items::purge_request_hosts(host),
        PurgeItem::Prefix(prefix) => items::purge_request_prefixes(prefix),
    }
}

/// Chunk keys in bodies and in `BatchStats::lowered_limits`.
const FILES: &str = "files";
const TAGS: &str = "tags";
const HOSTS: &str = "hosts";
const PREFIXES: &str = "prefixes";

/// The per-request limit of each body key, lowered during a run if the API asks.
#[derive(Debug)]
pub(crate) struct PurgeLimits {
    files: Limit,
    tags: Limit,
    hosts: Limit,
    prefixes: Limit,
}

impl PurgeLimits {
    pub(crate) fn new(urls_per_request: usize, items_per_request: usize) -> Self {
        Self {
            files: Limit::new(urls_per_request),
            tags: Limit::new(items_per_request),
            hosts: Limit::new(items_per_request),
            prefixes: Limit::new(items_per_request),
        }
    }
}

/// Gathers items into one chunk per kind: a request carries a single kind.
pub(crate) struct PurgeCutter<'a> {
    limits: &'a PurgeLimits,
    urls: Lane<String>,
    urls_with_headers: Lane<PurgeFileWithHeaders>,
    tags: Lane<String>,
    hosts: Lane<String>,
    prefixes: Lane<String>,
}

impl<'a> PurgeCutter<'a> {
    pub(crate) fn new(limits: &'a PurgeLimits) -> Self {
        Self {
            limits,
            urls: Lane::default(),
            urls_with_headers: Lane::default(),
            tags: Lane::default(),
            hosts: Lane::default(),
            prefixes: Lane::default(),
        }
    }
}

impl Cutter for PurgeCutter<'_> {
    type Item = PurgeItem;
    type Chunk = PurgeRequest;

    fn push(&mut self, item: PurgeItem) -> Option<Work<PurgeRequest>> {
        if let Err(reason) = check_item(&item) {
            return Some(Work::Invalid(item, reason));
        }
        let l = self.limits;
        let chunk = match item {
            PurgeItem::Url(url) => self.urls.fill(url, &l.files).map(PurgeRequest::Files),
            PurgeItem::UrlWithHeaders(file) => self
                .urls_with_headers
                .fill(file, &l.files)
                .map(PurgeRequest::FilesWithHeaders),
            PurgeItem::Tag(tag) => self.tags.fill(tag, &l.tags).map(PurgeRequest::Tags),
            PurgeItem::Host(host) => self.hosts.fill(host, &l.hosts).map(PurgeRequest::Hosts),
            PurgeItem::Prefix(prefix) => self
                .prefixes
                .fill(prefix, &l.prefixes)
                .map(PurgeRequest::Prefixes),
        };
        chunk.map(Work::Chunk)
    }

    fn finish(&mut self) -> Vec<PurgeRequest> {
        [
            self.urls.drain().map(PurgeRequest::Files),
            self.urls_with_headers.drain().map(PurgeRequest::FilesWithHeaders),
            self.tags.drain().map(PurgeRequest::Tags),
            self.hosts.drain().map(PurgeRequest::Hosts),
            self.prefixes.drain().map(PurgeRequest::Prefixes),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

// `Everything` carries no items and the batcher never builds it; its arms below only make the
// matches complete.
impl Chunk for PurgeRequest {
    type Item = PurgeItem;

    fn len(&self) -> usize {
        match self {
            PurgeRequest::Everything => 0,
            PurgeRequest::Files(v)
            | PurgeRequest::Tags(v)
            | PurgeRequest::Hosts(v)
            | PurgeRequest::Prefixes(v) => v.len(),
            PurgeRequest::FilesWithHeaders(v) => v.len(),
        }
    }

    fn split(self) -> (Self, Self) {
        fn both<T>(items: Vec<T>, wrap: fn(Vec<T>) -> PurgeRequest) -> (PurgeRequest, PurgeRequest) {
            let (a, b) = halve(items);
            (wrap(a), wrap(b))
        }
        match self {
            PurgeRequest::Everything => (PurgeRequest::Everything, PurgeRequest::Everything),
            PurgeRequest::Files(v) => both(v, PurgeRequest::Files),
            PurgeRequest::FilesWithHeaders(v) => both(v, PurgeRequest::FilesWithHeaders),
            PurgeRequest::Tags(v) => both(v, PurgeRequest::Tags),
            PurgeRequest::Hosts(v) => both(v, PurgeRequest::Hosts),
            PurgeRequest::Prefixes(v) => both(v, PurgeRequest::Prefixes),
        }
    }

    fn into_items(self) -> Vec<PurgeItem> {
        let mut items = Vec::with_capacity(self.len());
        self.for_each_item(|item| items.push(item));
        items
    }

    fn for_each_item(self, f: impl FnMut(PurgeItem)) {
        match self {
            PurgeRequest::Everything => {}
            PurgeRequest::Files(v) => v.into_iter().map(PurgeItem::Url).for_each(f),
            PurgeRequest::FilesWithHeaders(v) => v.into_iter().map(PurgeItem::UrlWithHeaders).for_each(f),
            PurgeRequest::Tags(v) => v.into_iter().map(PurgeItem::Tag).for_each(f),
            PurgeRequest::Hosts(v) => v.into_iter().map(PurgeItem::Host).for_each(f),
            PurgeRequest::Prefixes(v) => v.into_iter().map(PurgeItem::Prefix).for_each(f),
        }
    }
}

/// Sends purge chunks to one of the four operations.
pub(crate) struct PurgeOp<'a> {
    pub client: &'a Client,
    pub target: &'a PurgeTarget,
    pub plan: &'a PlanLimits,
    pub limits: &'a PurgeLimits,
}

impl Operation for PurgeOp<'_> {
    type Chunk = PurgeRequest;
    type Answer = ();

    async fn send(&self, chunk: &PurgeRequest) -> Result<(), Error> {
        let client = self.client;
        let accepted = match self.target {
            PurgeTarget::PurgeZone { zone_id } => client.purge_cache(zone_id, chunk).await,
            PurgeTarget::InvalidateZone { zone_id } => client.invalidate_cache(zone_id, chunk).await,
            PurgeTarget::PurgeEnvironment {
                zone_id,
                environment_id,
            } => {
                client
                    .purge_environment_cache(zone_id, environment_id, chunk)
                    .await
            }
            PurgeTarget::InvalidateEnvironment {
                zone_id,
                environment_id,
            } => {
                client
                    .invalidate_environment_cache(zone_id, environment_id, chunk)
                    .await
            }
        };
        // The purge id only acknowledges the request; success is all that matters here.
        accepted.map(drop)
    }

    fn settle(&self, chunk: PurgeRequest, _: (), out: &mut impl FnMut(Outcome<PurgeItem>)) {
        chunk.for_each_item(|item| out(Outcome::Succeeded(item)));
    }

    fn cost(&self, chunk: &PurgeRequest) -> Cost {
        match chunk {
            PurgeRequest::Files(_) | PurgeRequest::FilesWithHeaders(_) => {
                Cost::Urls(u32::try_from(chunk.len()).unwrap_or(u32::MAX))
            }
            PurgeRequest::Everything
            | PurgeRequest::Tags(_)
            | PurgeRequest::Hosts(_)
            | PurgeRequest::Prefixes(_) => Cost::Bulk,
        }
    }

    fn fallback_wait(&self, chunk: &PurgeRequest) -> Duration {
        match self.cost(chunk) {
            Cost::Urls(n) => self.plan.urls.refill.interval().saturating_mul(n),
            Cost::Bulk | Cost::Request => self.plan.bulk.refill.interval(),
        }
    }

    fn lower_limit(&self, chunk: &PurgeRequest, items: usize) -> &'static str {
        let (limit, key) = match chunk {
            PurgeRequest::Files(_) | PurgeRequest::FilesWithHeaders(_) | PurgeRequest::Everything => {
                (&self.limits.files, FILES)
            }
            PurgeRequest::Tags(_) => (&self.limits.tags, TAGS),
            PurgeRequest::Hosts(_) => (&self.limits.hosts, HOSTS),
            PurgeRequest::Prefixes(_) => (&self.limits.prefixes, PREFIXES),
        };
        limit.lower_to(items);
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_goes_to_its_own_chunk_at_its_own_limit() {
        let limits = PurgeLimits::new(2, 3);
        let mut cutter = PurgeCutter::new(&limits);
        let items = [
            PurgeItem::Url("https://a.example/1".into()),
            PurgeItem::Tag("t1".into()),
            PurgeItem::Url("https://a.example/2".into()),
            PurgeItem::Tag("t2".into()),
            PurgeItem::Host("a.example".into()),
            PurgeItem::Tag("t3".into()),
            PurgeItem::Prefix("a.example/x".into()),
        ];
        let mut chunks = Vec::new();
        for item in items {
            if let Some(Work::Chunk(chunk)) = cutter.push(item) {
                chunks.push(chunk);
            }
        }
        chunks.extend(cutter.finish());
        assert_eq!(
            chunks,
            [
                PurgeRequest::Files(vec!["https://a.example/1".into(), "https://a.example/2".into()]),
                PurgeRequest::Tags(vec!["t1".into(), "t2".into(), "t3".into()]),
                PurgeRequest::Hosts(vec!["a.example".into()]),
                PurgeRequest::Prefixes(vec!["a.example/x".into()]),
            ]
        );
    }

    #[test]
    fn invalid_items_are_handed_on_as_such_and_never_join_a_chunk() {
        let limits = PurgeLimits::new(1, 1);
        let mut cutter = PurgeCutter::new(&limits);
        for bad in [
            PurgeItem::Url("www.example.com/no-scheme".into()),
            PurgeItem::Tag("has space".into()),
            PurgeItem::Host("https://example.com".into()),
            PurgeItem::Prefix("https://example.com/a".into()),
        ] {
            match cutter.push(bad.clone()) {
                Some(Work::Invalid(item, reason)) => {
                    assert_eq!(item, bad);
                    assert!(reason.field.starts_with("body."), "{reason:?}");
                }
                _ => panic!("{bad:?} should be refused"),
            }
        }
        assert!(cutter.finish().is_empty());
    }

    #[test]
    fn splitting_keeps_every_item_once_and_in_order() {
        let tags: Vec<String> = (0..7).map(|i| format!("t{i}")).collect();
        let (a, b) = PurgeRequest::Tags(tags.clone()).split();
        assert_eq!((a.len(), b.len()), (4, 3));
        let back: Vec<PurgeItem> = a.into_items().into_iter().chain(b.into_items()).collect();
        assert_eq!(back, tags.into_iter().map(PurgeItem::Tag).collect::<Vec<_>>());
    }
}
