//! What a batch run hands back: each item's outcome, and counts of what it took.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use cf_cache_client::{Error, InvalidRequest, Printable};

use super::pacing::PacerUnavailable;

/// The outcome of one input item.
#[derive(Debug, Clone)]
pub enum Outcome<I> {
    /// The API accepted the item.
    Succeeded(I),
    /// The item was not applied; the reason says why.
    Failed(FailedItem<I>),
}

/// An item that was not applied, in its input form so it can be submitted again.
#[derive(Debug, Clone)]
pub struct FailedItem<I> {
    /// The item as it was given.
    pub item: I,
    /// Why it failed.
    pub reason: ItemFailure,
}

/// Why an item was not applied.
///
/// Errors are shared (`Arc`) because one failed request fails every item it carried.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ItemFailure {
    /// The item breaks the API's rules; it was never sent.
    Invalid(InvalidRequest),
    /// The request carrying the item failed, after the client's retries and the batcher's
    /// resends. A `Decode` error here means the API answered 2xx with a body we could not
    /// read: the item may have been applied, and sending it again is harmless.
    Request(Arc<Error>),
    /// Never sent: an earlier request failed in a way every later one would too (bad
    /// credentials or zone id, URL purges refused for the environment, a rate limit that did
    /// not lift), so the run stopped sending.
    NotSent(Arc<Error>),
    /// Never sent: the pacer shares its budget through Redis, could not reach it, and is set
    /// to fail rather than pace on its own.
    Unpaced(Arc<PacerUnavailable>),
    /// The API answered the request and listed this item as failed, with its reason.
    Rejected {
        /// The API's reason, when it gave one.
        message: Option<String>,
    },
    /// The API answered the request but listed the item neither as succeeded nor as failed.
    NotReported,
}

impl fmt::Display for ItemFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemFailure::Invalid(e) => write!(f, "not sent, invalid: {e}"),
            ItemFailure::Request(e) => write!(f, "request failed: {e}"),
            ItemFailure::NotSent(e) => write!(f, "not sent after an earlier request failed: {e}"),
            ItemFailure::Unpaced(e) => write!(f, "not sent: {e}"),
            ItemFailure::Rejected { message: Some(m) } => write!(f, "rejected by the API: {}", Printable(m)),
            ItemFailure::Rejected { message: None } => f.write_str("rejected by the API (no reason given)"),
            ItemFailure::NotReported => {
                f.write_str("the API's answer listed it neither as succeeded nor as failed")
            }
        }
    }
}

impl std::error::Error for ItemFailure {}

/// Counts of what a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchStats {
    /// Input items seen; always `succeeded + failed`.
    pub items: u64,
    /// Items applied.
    pub succeeded: u64,
    /// Items not applied (including `invalid`).
    pub failed: u64,
    /// Items refused before sending.
    pub invalid: u64,
    /// Operation calls made. The client may have retried some of them on its own (5xx,
    /// timeouts, short 429 waits); those attempts are not visible here.
    pub requests: u64,
    /// Rate-limit answers that reached the batcher (after the client's own retries).
    pub rate_limited: u64,
    /// Chunks sent again after a rate-limit answer.
    pub resends: u64,
    /// Total time waited because of rate-limit answers.
    pub rate_limit_wait: Duration,
    /// Requests that waited for the client-side token buckets.
    pub pacing_waits: u64,
    /// Total time waited for the token buckets.
    pub pacing_wait: Duration,
    /// Chunks split in two because the API said they had too many items.
    pub chunks_halved: u64,
    /// Per-request limits lowered during the run, by body key (`files`, `tags`, ...): the
    /// API refused more. A guess from its error, not a documented figure.
    pub lowered_limits: BTreeMap<&'static str, usize>,
}

impl BatchStats {
    pub(crate) fn count<I>(&mut self, outcome: &Outcome<I>) {
        self.items += 1;
        match outcome {
            Outcome::Succeeded(_) => self.succeeded += 1,
            Outcome::Failed(failed) => {
                self.failed += 1;
                if matches!(failed.reason, ItemFailure::Invalid(_)) {
                    self.invalid += 1;
                }
            }
        }
    }

    /// Adds the request-side counts of part of a run (item counts come from `count`).
    pub(crate) fn absorb(&mut self, part: &BatchStats) {
        self.requests += part.requests;
        self.rate_limited += part.rate_limited;
        self.resends += part.resends;
        self.rate_limit_wait += part.rate_limit_wait;
        self.pacing_waits += part.pacing_waits;
        self.pacing_wait += part.pacing_wait;
        self.chunks_halved += part.chunks_halved;
        for (&key, &limit) in &part.lowered_limits {
            self.lower_limit(key, limit);
        }
    }

    pub(crate) fn lower_limit(&mut self, key: &'static str, limit: usize) {
        self.lowered_limits
            .entry(key)
            .and_modify(|l| *l = (*l).min(limit))
            .or_insert(limit);
    }
}

/// Every input item of a run, each exactly once: in `succeeded` or in `failed`.
#[derive(Debug, Clone)]
pub struct BatchReport<I> {
    /// Items applied, in completion order.
    pub succeeded: Vec<I>,
    /// Items not applied, with reasons, in completion order.
    pub failed: Vec<FailedItem<I>>,
    /// Counts of what the run did.
    pub stats: BatchStats,
}

impl<I> Default for BatchReport<I> {
    fn default() -> Self {
        Self {
            succeeded: Vec::new(),
            failed: Vec::new(),
            stats: BatchStats::default(),
        }
    }
}

impl<I> BatchReport<I> {
    /// Whether every item was applied.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }

    /// The failed items in input form, ready to be run again.
    pub fn into_failed_items(self) -> Vec<I> {
        self.failed.into_iter().map(|f| f.item).collect()
    }

    pub(crate) fn record(&mut self, outcome: Outcome<I>) {
        match outcome {
            Outcome::Succeeded(item) => self.succeeded.push(item),
            Outcome::Failed(failed) => self.failed.push(failed),
        }
    }
}

impl<I: Clone> BatchReport<I> {
    /// The failed items in input form, ready to be run again.
    pub fn failed_items(&self) -> Vec<I> {
        self.failed.iter().map(|f| f.item.clone()).collect()
    }
}
