//! Every page, or every item, of a list operation as a [`Stream`](futures::Stream).
//!
//! ```no_run
//! # async fn run(client: cf_cache_client::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use futures::TryStreamExt;
//! use cf_cache_ext::pagination::origin_cloud_regions;
//!
//! let zone = "023e105f4ecef8ad9ca31a8372d0c353";
//! let mut regions = origin_cloud_regions(&client, zone).read_ahead(true).build()?.items();
//! while let Some(mapping) = regions.try_next().await? {
//!     println!("{} -> {} {}", mapping.origin_ip, mapping.vendor, mapping.region);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # When the stream stops
//!
//! After page `n` when the response's `result_info.total_pages` says `n` is the last page.
//! Without `total_pages`, after the first page holding fewer items than `per_page` (an empty
//! page included). An empty page always ends the stream, whatever `total_pages` claims, so an
//! inconsistent server cannot keep it requesting forever. So 3,500 mappings at the default
//! `per_page` of 100 take exactly 35 requests; without `result_info` the same list takes 36
//! (the 36th, empty, page is the only way to learn that page 35 was the last), and 3,450
//! mappings take 35.
//!
//! # Failures
//!
//! A page that cannot be fetched ends the stream with [`PageError::Fetch`] naming the page;
//! the items of the pages before it have all been yielded, and nothing follows it.
//!
//! # A server that never says "last"
//!
//! Two guards end a listing that would otherwise run forever. A page identical, item for
//! item, to the one before it (a server that ignores `page` and sends the same full page
//! every time) ends the stream with [`PageError::Repeated`]; a list whose consecutive pages
//! legitimately hold the same items (only possible with duplicates) is not something this
//! API returns. And after [`Paginator::max_pages`] pages (10,000 by default) the stream ends
//! with [`PageError::TooManyPages`] rather than request another. Each page is
//! one call of the client, so it is retried as the client's
//! [`RetryPolicy`](cf_cache_client::RetryPolicy) says; to page with another policy, page
//! over `client.with_retry_policy(policy)`. A `per_page` outside `1..=100`, a start page
//! below 1 or a `max_pages` of 0 is refused by [`Paginator::build`] with a
//! [`ConfigError`], before any request.
//!
//! # Read-ahead
//!
//! With [`Paginator::read_ahead`], page `n + 1` is requested as soon as page `n` arrives
//! (never past a page known to be the last), so its round trip overlaps the time the caller
//! spends on page `n`. The request is sent at once; the stream finishes receiving it the next
//! time it is polled, so the overlap needs no spawned task and works with borrowed clients.
//! Items, order and request count are the same with or without it.
//!
//! # Adding a list operation
//!
//! The engine is [`paginate`] over any closure `(page, per_page) -> future of Page<T>`; every
//! generated list method has that shape once its other arguments are bound, so a new one is a
//! single line (see [`origin_cloud_regions`] for the pattern):
//!
//! ```no_run
//! # async fn run(client: cf_cache_client::Client, zone: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use cf_cache_ext::pagination::paginate;
//!
//! let pages = paginate(|page, per_page| client.list_origin_cloud_regions(zone, Some(page), Some(per_page)))
//!     .per_page(50)
//!     .build()?;
//! # Ok(())
//! # }
//! ```

mod error;
mod ops;
mod stream;

use std::future::Future;
use std::marker::PhantomData;

use cf_cache_client::{ConfigError, Page};
use serde::Serialize;

pub use error::PageError;
pub use ops::origin_cloud_regions;
pub use stream::{ItemStream, PageStream};

use crate::settings;

/// The most items Cloudflare returns per page of a list (the spec's `per_page` maximum), and
/// the default page size here (the fewer the pages, the fewer the requests against the rate
/// limit).
pub const MAX_PER_PAGE: i64 = cf_cache_client::limits::PER_PAGE_MAXIMUM;

/// The most pages one stream fetches by default: 10,000 (a million items at 100 per page,
/// far past the largest list of this API), so a server that always says "more" cannot keep a
/// listing going forever.
pub const DEFAULT_MAX_PAGES: u64 = 10_000;

/// Something that fetches one page of a list: `fetch(page, per_page)`.
///
/// Implemented for every `FnMut(i64, i64) -> impl Future<Output = cf_cache_client::Result<Page<T>>>`,
/// which is what [`paginate`] takes; the trait exists so such closures can be named in return
/// types (`Paginator<T, impl FetchPage<T>>`). Page numbers start at 1. They are `i64` because
/// the generated list methods take `Option<i64>`, so a method needs no conversion to fit.
pub trait FetchPage<T> {
    /// The future of one page.
    type Future: Future<Output = cf_cache_client::Result<Page<T>>>;

    /// Starts fetching page `page` of `per_page` items.
    fn fetch(&mut self, page: i64, per_page: i64) -> Self::Future;
}

impl<T, F, Fut> FetchPage<T> for F
where
    F: FnMut(i64, i64) -> Fut,
    Fut: Future<Output = cf_cache_client::Result<Page<T>>>,
{
    type Future = Fut;

    fn fetch(&mut self, page: i64, per_page: i64) -> Fut {
        self(page, per_page)
    }
}

/// Pages through any list call: `fetch(page, per_page)` is called once per page.
///
/// The `FnMut` bound (rather than just [`FetchPage`]) is what lets a closure's argument types
/// be inferred at the call site.
pub fn paginate<T, F, Fut>(fetch: F) -> Paginator<T, F>
where
    F: FnMut(i64, i64) -> Fut,
    Fut: Future<Output = cf_cache_client::Result<Page<T>>>,
{
    Paginator {
        fetch,
        start_page: 1,
        per_page: MAX_PER_PAGE,
        read_ahead: false,
        max_pages: DEFAULT_MAX_PAGES,
        items: PhantomData,
    }
}

/// How to page through a list: a builder whose [`build`](Self::build) checks the settings and
/// makes the stream of pages ([`PageStream::items`] turns it into a stream of items).
#[must_use = "a Paginator does nothing until turned into a stream with .build()"]
pub struct Paginator<T, F> {
    fetch: F,
    start_page: i64,
    per_page: i64,
    read_ahead: bool,
    max_pages: u64,
    items: PhantomData<fn() -> T>,
}

impl<T, F> std::fmt::Debug for Paginator<T, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paginator")
            .field("start_page", &self.start_page)
            .field("per_page", &self.per_page)
            .field("read_ahead", &self.read_ahead)
            .field("max_pages", &self.max_pages)
            .finish_non_exhaustive()
    }
}

impl<T: Serialize, F: FetchPage<T>> Paginator<T, F> {
    /// Items per request, `1..=100` (default 100). Checked by [`build`](Self::build).
    pub fn per_page(mut self, per_page: i64) -> Self {
        self.per_page = per_page;
        self
    }

    /// The first page to fetch, from 1 (the default). Checked by [`build`](Self::build).
    pub fn start_page(mut self, page: i64) -> Self {
        self.start_page = page;
        self
    }

    /// Whether to request the next page while the current one is being consumed (default
    /// off). See the [module docs](self#read-ahead).
    pub fn read_ahead(mut self, read_ahead: bool) -> Self {
        self.read_ahead = read_ahead;
        self
    }

    /// The most pages the stream fetches (default [`DEFAULT_MAX_PAGES`]; at least 1). Once
    /// that many pages have been read and the server still reports more, the stream ends with
    /// [`PageError::TooManyPages`] instead of asking for another. Checked by
    /// [`build`](Self::build).
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.max_pages = pages;
        self
    }

    /// Checks the paging settings and makes the stream of whole pages; nothing is sent until
    /// it is polled, and nothing at all when a setting is refused.
    pub fn build(self) -> Result<PageStream<T, F>, ConfigError> {
        let per_page = settings::in_range("per_page", self.per_page, 1, MAX_PER_PAGE)?;
        let start_page = settings::at_least("start_page", self.start_page, 1)?;
        let max_pages = settings::at_least("max_pages", self.max_pages, 1)?;
        Ok(PageStream::new(
            self.fetch,
            start_page,
            per_page,
            self.read_ahead,
            max_pages,
        ))
    }
}
