//! Cloudflare's response envelope, `{success, errors, messages, result, result_info}`, which
//! wraps every result. The spec describes it per operation; it is decoded here once, for all.

use serde::Deserialize;

use crate::error::ApiMessage;

/// Paging details of a list response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct ResultInfo {
    /// The page this is (1-based).
    #[serde(default)]
    pub page: Option<i64>,
    /// Items per page requested.
    #[serde(default)]
    pub per_page: Option<i64>,
    /// Items on this page.
    #[serde(default)]
    pub count: Option<i64>,
    /// Items across all pages.
    #[serde(default)]
    pub total_count: Option<i64>,
    /// Number of pages.
    #[serde(default)]
    pub total_pages: Option<i64>,
}

/// One page of a list operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// Paging details, when the API sent them.
    pub result_info: Option<ResultInfo>,
}

impl<T> Page<T> {
    /// Whether a later page may exist: `page < total_pages` when the API says, otherwise
    /// whether this page came back full (`per_page` is the size that was asked for).
    pub fn has_more(&self, per_page: usize) -> bool {
        match self.result_info.and_then(|i| i.page.zip(i.total_pages)) {
            Some((page, total)) => page < total,
            None => !self.items.is_empty() && self.items.len() >= per_page,
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct Envelope<T> {
    #[serde(default)]
    pub success: Option<bool>,
    #[serde(default)]
    pub errors: Vec<ApiMessage>,
    #[serde(default)]
    pub messages: Vec<ApiMessage>,
    #[serde(default = "Option::default")]
    pub result: Option<T>,
    #[serde(default)]
    pub result_info: Option<ResultInfo>,
}

/// The parts of a failure envelope; every field optional so any JSON object reads.
#[derive(Deserialize, Default)]
pub(crate) struct Failure {
    #[serde(default)]
    pub errors: Vec<ApiMessage>,
    #[serde(default)]
    pub messages: Vec<ApiMessage>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(len: usize, info: Option<(i64, i64)>) -> Page<u8> {
        Page {
            items: vec![0; len],
            result_info: info.map(|(page, total_pages)| ResultInfo {
                page: Some(page),
                total_pages: Some(total_pages),
                ..ResultInfo::default()
            }),
        }
    }

    #[test]
    fn result_info_decides_when_present() {
        assert!(page(100, Some((34, 35))).has_more(100));
        assert!(
            !page(100, Some((35, 35))).has_more(100),
            "the last page stops even when full"
        );
    }

    #[test]
    fn without_result_info_a_short_or_empty_page_is_the_last() {
        assert!(page(100, None).has_more(100));
        assert!(!page(99, None).has_more(100));
        assert!(!page(0, None).has_more(100));
    }
}
