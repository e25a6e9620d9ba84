//! Batchers for operations that take many items: purge and invalidate (any number of URLs,
//! tags, hosts or prefixes) and origin cloud region mappings (upserts and deletes).
//!
//! Both share one engine. Items are read lazily and checked one by one; invalid ones are
//! reported and never sent. Valid ones are cut into chunks of the per-request maximum and
//! sent with bounded concurrency, paced on client-side token buckets ([`Pacer`]) that run on
//! the client's injectable clock. What the client's own retries do not fix is handled here:
//! a rate-limited chunk waits and is resent (a bounded number of times), a chunk refused as
//! too large is halved, and a failure every request would share (bad credentials, a bad zone
//! id, URL purges refused for the environment, a rate limit that does not lift) stops the
//! run. Whatever happens, each input item comes back exactly once in the [`BatchReport`], as
//! succeeded or failed with an [`ItemFailure`], and failed items are in input form so they
//! can be run again.

mod budget;
mod chunker;
mod classify;
mod config;
mod engine;
#[cfg(feature = "redis")]
mod fleet;
mod pacing;
mod plan;
mod purge;
mod purge_batcher;
mod region_batcher;
mod regions;
mod report;
mod server_view;
mod window;

#[cfg(feature = "redis")]
pub use fleet::{Fleet, FleetUnavailable};
pub use pacing::{Pacer, PacerUnavailable};
pub use plan::{API_REQUEST_LIMIT, BucketLimit, Plan, PlanLimits, Rate, WindowLimit};
pub use purge::{PurgeItem, PurgeTarget};
pub use purge_batcher::{PurgeBatcher, PurgeBatcherBuilder};
pub use region_batcher::{RegionBatcher, RegionBatcherBuilder};
pub use report::{BatchReport, BatchStats, FailedItem, ItemFailure, Outcome};
