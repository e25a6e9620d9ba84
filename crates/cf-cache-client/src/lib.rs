//! Typed async client for Cloudflare's cache API.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use cf_cache_client::{Client, types::PurgeRequest};
//!
//! let client = Client::builder().api_token(std::env::var("CLOUDFLARE_API_TOKEN")?).build()?;
//! let zone = "023e105f4ecef8ad9ca31a8372d0c353";
//! let purge = PurgeRequest::Files(vec!["https://www.example.com/css/styles.css".into()]);
//! let accepted = client.purge_cache(zone, &purge).await?;
//! println!("purge {} accepted", accepted.id);
//! # Ok(())
//! # }
//! ```
//!
//! Every operation returns the decoded `result` of Cloudflare's response envelope, or an
//! [`Error`] to match on: the API's own error codes, rate limiting, transport failures,
//! undecodable responses and requests refused before sending.
//!
//! Layout: `generated/` is written by `cargo xtask regen` (operations and request building);
//! everything else is the hand-written runtime those call into.
//!
//! Cargo features: `rustls` (default) for TLS through rustls, or `native-tls` for the
//! platform's TLS library; `fuzzing` exposes entry points for cf-cache's fuzz targets and is
//! not part of the API.

pub use cf_cache_types as types;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
#[path = "fuzzing.rs"]
pub mod __fuzz;
mod backoff;
mod body;
mod client;
pub mod clock;
mod envelope;
mod error;
// prettyplease owns the layout of generated code; rustfmt would fight it on every regen.
#[rustfmt::skip]
mod generated;
mod meta;
mod observe;
mod ratelimit;
mod retry;
mod runtime;
pub mod validate;

pub use backoff::Backoff;
pub use body::RawBody;
pub use client::{Client, ClientBuilder, ConfigError, DEFAULT_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES};
pub use clock::{Clock, SystemClock};
pub use envelope::{Page, ResultInfo};
pub use error::{
    ApiError, ApiMessage, ApiMessageSource, DecodeError, Error, InvalidRequest, Printable, RateLimited,
    Redirected, ResponseTooLarge, Result, Timeout, TimeoutKind, TransportError,
};
pub use generated::limits;
pub use meta::{ResponseMeta, WithMeta};
pub use observe::{ObservedResponse, ResponseObserver};
pub use ratelimit::{Quota, RateLimit, Remaining};
pub use retry::RetryPolicy;

// The README is what crates.io shows: its examples are compiled (and run) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
