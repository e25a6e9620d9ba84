//! The error that ends a page stream.

/// Why a page stream ended before the end of the list. It is the last item of its stream;
/// every page before [`page`](Self::page) was yielded in full.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PageError {
    /// A page could not be fetched.
    #[error("fetching page {page} failed: {source}")]
    Fetch {
        /// The page that failed (1-based).
        page: i64,
        /// Why, after the client's retries.
        #[source]
        source: cf_cache_client::Error,
    },
    /// The page came back identical, item for item, to the one before it: the server ignores
    /// the page number, and following it would never end.
    #[error(
        "page {page} is identical to the page before it: the server ignores the page number, \
         so the listing would never end"
    )]
    Repeated {
        /// The page that repeated the previous one (its items were not yielded).
        page: i64,
    },
    /// The stream read [`max_pages`](super::Paginator::max_pages) pages and the server still
    /// reported more.
    #[error("stopped before page {page}: {max_pages} pages were read and the server still reports more")]
    TooManyPages {
        /// The page that would have been requested next.
        page: i64,
        /// The limit that was reached.
        max_pages: u64,
    },
}

impl PageError {
    /// The page the stream stopped at.
    pub fn page(&self) -> i64 {
        match self {
            PageError::Fetch { page, .. }
            | PageError::Repeated { page }
            | PageError::TooManyPages { page, .. } => *page,
        }
    }
}
