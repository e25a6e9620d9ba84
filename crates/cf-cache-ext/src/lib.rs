//! Helpers over [`cf_cache_client`] for the long and the large.
//!
//! Planned here (tracked as its own issue): page streams for list operations, a waiter that
//! follows a Cache Reserve Clear to completion, and batchers that split any number of purge
//! items or origin-region mappings into per-request chunks and account for every item.
//! The crate exists now so the workspace layout is final; it exports nothing yet.

pub use cf_cache_client;

pub mod batch;
