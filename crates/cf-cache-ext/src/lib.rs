//! Helpers over [`cf_cache_client`] for the long and the large.
//!
//! - [`pagination`]: every page or every item of a list operation as a `Stream`, with the
//!   fewest requests the API allows and optional read-ahead
//!   ([`pagination::origin_cloud_regions`], or [`pagination::paginate`] for any list call).
//! - [`reserve_clear`]: start a Cache Reserve Clear (or follow a running one) and wait, for
//!   hours if need be, until it completes ([`reserve_clear::ReserveClearWaiter`]).
//! - [`batch`]: purge any number of URLs, tags, hosts or prefixes, or upsert and delete any
//!   number of origin region mappings, in paced chunks with every item accounted for
//!   ([`batch::PurgeBatcher`], [`batch::RegionBatcher`]).
//!
//! All wait and retry on the client's injectable [`Clock`](cf_cache_client::Clock), so tests
//! can simulate a day of polling without sleeping, and all back off on one schedule type,
//! [`Backoff`](cf_cache_client::Backoff), each with its own numbers.
//!
//! Every setting goes through a builder whose `build()` checks it: one that cannot work is a
//! [`ConfigError::InvalidSetting`] naming the setting and the values allowed, and no request
//! is sent. [`InvalidRequest`](cf_cache_client::InvalidRequest) is kept for request data (a
//! bad URL in a purge list, a bad zone id).

pub use cf_cache_client;
/// The error of every `build()` here, shared with [`cf_cache_client::ClientBuilder`].
pub use cf_cache_client::ConfigError;

pub mod batch;
pub mod pagination;
pub mod reserve_clear;
mod settings;

// The README is what crates.io shows: its examples are compiled (and run) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
