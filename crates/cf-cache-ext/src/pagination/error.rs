//! The error that ends a page stream.

/// A page could not be fetched. It is the last item of its stream.
#[derive(Debug, thiserror::Error)]
#[error("fetching page {page} failed: {source}")]
pub struct PageError {
    /// The page that failed (1-based); every page before it was yielded in full.
    pub page: i64,
    /// Why, after the client's retries.
    #[source]
    pub source: cf_cache_client::Error,
}
