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
//! can simulate a day of polling without sleeping.

pub use cf_cache_client;

pub mod batch;
pub mod pagination;
pub mod reserve_clear;

// The README is what crates.io shows: its examples are compiled (and run) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
