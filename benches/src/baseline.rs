//! The baseline: what a careful hand-written `reqwest` + `serde_json` call looks like. It
//! sends the same request as the SDK (same headers, same JSON, same reqwest configuration),
//! checks the status and the envelope's `success`, and decodes `result` into a hand-written
//! struct. No validation, no retries, no tracing: the price of those is what is measured.

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue, USER_AGENT};
use serde::{Deserialize, Serialize};

/// The `User-Agent` the SDK sends (its crate version), so the bytes on the wire match.
pub const SDK_USER_AGENT: &str = concat!("cf-cache-rust/", env!("CARGO_PKG_VERSION"));

/// A hand-rolled API client.
#[derive(Clone)]
pub struct Baseline {
    http: reqwest::Client,
    base: String,
    auth: HeaderValue,
}

/// Why a baseline call failed (benchmarks only ever expect success).
#[derive(Debug)]
pub enum BaselineError {
    /// reqwest failed.
    Http(reqwest::Error),
    /// A non-2xx status.
    Status(u16),
    /// The body is not the expected JSON.
    Json(serde_json::Error),
    /// `success: false` or no `result`.
    Refused,
}

impl From<reqwest::Error> for BaselineError {
    fn from(e: reqwest::Error) -> Self {
        Self::Http(e)
    }
}

impl From<serde_json::Error> for BaselineError {
    fn from(e: serde_json::Error) -> Self {
        Self::Json(e)
    }
}

#[derive(Deserialize)]
struct Envelope<T> {
    success: bool,
    result: Option<T>,
    #[serde(default)]
    result_info: Option<PageInfo>,
}

/// `result_info` of a list response.
#[derive(Deserialize, Clone, Copy, Debug, Default)]
pub struct PageInfo {
    /// This page (1-based).
    pub page: Option<i64>,
    /// Number of pages.
    pub total_pages: Option<i64>,
}

#[derive(Serialize)]
struct PurgeFiles<'a> {
    files: &'a [String],
}

/// The purge acknowledgement.
#[derive(Deserialize, Debug)]
pub struct Purged {
    /// Identifier of the accepted purge.
    pub id: String,
}

/// The Cache Reserve setting.
#[derive(Deserialize, Debug)]
pub struct CacheReserve {
    /// Always `cache_reserve`.
    pub id: String,
    /// `on` or `off`.
    pub value: String,
    /// Whether the caller may change it.
    pub editable: bool,
    /// When it last changed.
    pub modified_on: Option<String>,
}

/// One origin IP to cloud region mapping.
#[derive(Deserialize, Debug)]
pub struct Mapping {
    /// The origin's IP address.
    pub origin_ip: String,
    /// The cloud region.
    pub region: String,
    /// The cloud vendor.
    pub vendor: String,
}

impl Baseline {
    /// A client for `base` with the SDK's reqwest settings (60 s timeout, 5 s connect).
    pub fn new(base: &str, token: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("reqwest client");
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).expect("token header");
        auth.set_sensitive(true);
        Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            auth,
        }
    }

    fn with_headers(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        builder
            .header(AUTHORIZATION, self.auth.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, HeaderValue::from_static(SDK_USER_AGENT))
    }

    async fn send<T: for<'de> Deserialize<'de>>(
        &self,
        builder: reqwest::RequestBuilder,
    ) -> Result<(T, Option<PageInfo>), BaselineError> {
        let response = self.with_headers(builder).send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if !status.is_success() {
            return Err(BaselineError::Status(status.as_u16()));
        }
        let envelope: Envelope<T> = serde_json::from_slice(&bytes)?;
        match (envelope.success, envelope.result) {
            (true, Some(result)) => Ok((result, envelope.result_info)),
            _ => Err(BaselineError::Refused),
        }
    }

    /// `POST /zones/{zone}/purge_cache` with `{"files": [...]}`.
    pub async fn purge_files(&self, zone: &str, files: &[String]) -> Result<Purged, BaselineError> {
        let url = format!("{}/zones/{zone}/purge_cache", self.base);
        let builder = self.http.post(url).json(&PurgeFiles { files });
        Ok(self.send(builder).await?.0)
    }

    /// `GET /zones/{zone}/cache/cache_reserve`.
    pub async fn get_cache_reserve(&self, zone: &str) -> Result<CacheReserve, BaselineError> {
        let url = format!("{}/zones/{zone}/cache/cache_reserve", self.base);
        Ok(self.send(self.http.get(url)).await?.0)
    }

    /// `GET /zones/{zone}/origin/cloud_regions?page=..&per_page=..`.
    pub async fn list_mappings(
        &self,
        zone: &str,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<Mapping>, Option<PageInfo>), BaselineError> {
        let url = format!("{}/zones/{zone}/origin/cloud_regions", self.base);
        let builder = self
            .http
            .get(url)
            .query(&[("page", page), ("per_page", per_page)]);
        self.send(builder).await
    }
}
