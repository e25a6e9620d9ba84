//! The public `Client` and how to build one.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{HeaderName, HeaderValue};

use crate::clock::{Clock, SystemClock};
use crate::generated::raw;
use crate::retry::RetryPolicy;
use crate::runtime::{Limits, Runtime, Shared};

/// Cloudflare's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

/// The most bytes read from one response body by default: 16 MiB. The largest answers of
/// this API (a page of 100 mappings, a purge acknowledgement) are a few tens of KiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// The default limit for one attempt, connect to last body byte.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The default limit for establishing a connection.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A client for Cloudflare's cache API. Cheap to clone; clones share connections.
///
/// One method per API operation (see the generated `operations` module); each returns the
/// decoded `result` or an [`Error`](crate::Error).
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) raw: raw::Client,
}

impl Client {
    /// Starts building a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        progenitor_client::ClientInfo::baseurl(&self.raw)
    }

    /// The retry policy this client applies to every call.
    pub fn retry_policy(&self) -> RetryPolicy {
        progenitor_client::ClientInfo::inner(&self.raw).retry()
    }

    /// A client that shares this one's connections, credentials and clock but retries as
    /// `policy` says: for one call (`client.with_retry_policy(RetryPolicy::none()).purge_cache(..)`)
    /// or for a part of a program. Cheap: nothing is copied but a few pointers.
    pub fn with_retry_policy(&self, policy: RetryPolicy) -> Client {
        use progenitor_client::ClientInfo;
        let runtime = self.raw.inner().with_retry(policy);
        Client {
            raw: raw::Client::new_with_client(self.raw.baseurl(), self.raw.client().clone(), runtime),
        }
    }

    /// A client that shares this one's connections, credentials, clock and policies, and
    /// shows every answer it gets (each attempt's status and headers) to `observer`, for
    /// following the server's rate-limit headers on successes too.
    pub fn with_response_observer(&self, observer: Arc<dyn crate::ResponseObserver>) -> Client {
        use progenitor_client::ClientInfo;
        let runtime = self.raw.inner().with_observer(observer);
        Client {
            raw: raw::Client::new_with_client(self.raw.baseurl(), self.raw.client().clone(), runtime),
        }
    }

    /// The clock the client sleeps on between retries (see [`ClientBuilder::clock`]); helpers
    /// built on the client wait on the same one.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&progenitor_client::ClientInfo::inner(&self.raw).shared().clock)
    }
}

enum Credentials {
    Token(String),
    Key { email: String, key: String },
}

/// Configures a [`Client`]. Credentials are required; everything else has a default.
#[derive(Default)]
pub struct ClientBuilder {
    credentials: Option<Credentials>,
    base_url: Option<String>,
    http: Option<reqwest::ClientBuilder>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_response_bytes: Option<usize>,
    allow_insecure_http: bool,
    retry: RetryPolicy,
    clock: Option<Arc<dyn Clock>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = match &self.credentials {
            Some(Credentials::Token(_)) => "api token (redacted)",
            Some(Credentials::Key { .. }) => "email + global API key (redacted)",
            None => "none",
        };
        f.debug_struct("ClientBuilder")
            .field("credentials", &credentials)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Authenticates with an API token (`Authorization: Bearer ...`), the preferred scheme.
    pub fn api_token(mut self, token: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::Token(token.into()));
        self
    }

    /// Authenticates with an account email and Global API Key (`X-Auth-Email`/`X-Auth-Key`).
    pub fn api_key(mut self, email: impl Into<String>, key: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::Key {
            email: email.into(),
            key: key.into(),
        });
        self
    }

    /// Sends requests somewhere other than [`DEFAULT_BASE_URL`] (a proxy, a test server).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Builds the HTTP client from your `reqwest::ClientBuilder` (proxies, TLS roots, pools,
    /// default headers) instead of a default one.
    ///
    /// A builder rather than a built client, so that what keeps the credentials safe holds
    /// here too: the client sets on it its redirect policy (none: a redirect would carry the
    /// `X-Auth-Key` to whatever host it names), turns off response decompression (the size
    /// cap then bounds what is held, not what was sent), sends a plain-`http://` base URL
    /// through no proxy, and applies its [`connect_timeout`](Self::connect_timeout). The
    /// per-attempt [`timeout`](Self::timeout) and the size cap are enforced by the client
    /// itself, whatever the builder says.
    pub fn http_client(mut self, builder: reqwest::ClientBuilder) -> Self {
        self.http = Some(builder);
        self
    }

    /// Limit for one whole attempt, connect to last body byte (default 60 s). A server that
    /// never finishes its headers, or trickles its body, is cut off here; the error names
    /// this timeout, its duration and the attempt.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Limit for establishing a connection (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The most bytes read from one response body (default [`DEFAULT_MAX_RESPONSE_BYTES`],
    /// 16 MiB). Enforced while the body streams in: a larger body, or a `Content-Length`
    /// announcing one, ends the call with [`Error::TooLarge`](crate::Error::TooLarge), having
    /// read no more than the limit and the chunk in hand. Must be above zero.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// Permits a plain `http://` base URL on a non-loopback host. Credentials then cross the
    /// network unencrypted; meant for a trusted proxy only.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// How failed attempts are retried (default: [`RetryPolicy::default`], 2 retries).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The clock used for retry waits and HTTP-date `retry-after` values (default: the system
    /// clock and tokio's timer). Tests inject one that does not really sleep.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client, ConfigError> {
        let auth = match self.credentials.ok_or(ConfigError::MissingCredentials)? {
            Credentials::Token(token) => {
                vec![(
                    reqwest::header::AUTHORIZATION,
                    secret_header("API token", &format!("Bearer {token}"))?,
                )]
            }
            Credentials::Key { email, key } => vec![
                (
                    HeaderName::from_static("x-auth-email"),
                    secret_header("API email", &email)?,
                ),
                (
                    HeaderName::from_static("x-auth-key"),
                    secret_header("API key", &key)?,
                ),
            ],
        };
        let base_url = checked_base_url(
            self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
            self.allow_insecure_http,
        )?;
        let limits = Limits {
            max_response_bytes: self.max_response_bytes.unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            attempt_timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        };
        if limits.max_response_bytes == 0 {
            return Err(ConfigError::invalid_setting(
                "max_response_bytes",
                0,
                "above zero",
            ));
        }
        for (setting, timeout) in [
            ("timeout", limits.attempt_timeout),
            ("connect_timeout", limits.connect_timeout),
        ] {
            if timeout.is_zero() {
                return Err(ConfigError::invalid_setting(setting, "0s", "above zero"));
            }
        }
        let mut http = self
            .http
            .unwrap_or_default()
            .redirect(reqwest::redirect::Policy::none())
            .no_gzip()
            .no_brotli()
            .no_deflate()
            .no_zstd()
            .connect_timeout(limits.connect_timeout);
        if base_url.starts_with("http:") {
            // A proxy from the environment (`HTTP_PROXY`) would receive the credentials in
            // the clear; plain http goes straight to the host the base URL names.
            http = http.no_proxy();
        }
        let http = http.build().map_err(|e| ConfigError::Http(e.to_string()))?;
        let user_agent = HeaderValue::from_static(concat!("cf-cache-rust/", env!("CARGO_PKG_VERSION")));
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let runtime = Runtime::new(
            Shared {
                auth,
                user_agent,
                clock,
                limits,
            },
            self.retry,
        );
        Ok(Client {
            raw: raw::Client::new_with_client(&base_url, http, runtime),
        })
    }
}

/// A header value that `Debug` output of requests and header maps will not show.
fn secret_header(what: &'static str, value: &str) -> Result<HeaderValue, ConfigError> {
    if value.trim().is_empty() {
        return Err(ConfigError::InvalidCredential {
            what,
            reason: "it is empty",
        });
    }
    let mut header = HeaderValue::from_str(value).map_err(|_| ConfigError::InvalidCredential {
        what,
        reason: "it contains CR, LF or other control characters",
    })?;
    header.set_sensitive(true);
    Ok(header)
}

fn checked_base_url(raw: &str, allow_insecure_http: bool) -> Result<String, ConfigError> {
    // Error messages quote the URL only once it is known to carry no credentials.
    let url = Url::parse(raw).map_err(|e| ConfigError::InvalidBaseUrl(format!("not a URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::InvalidBaseUrl(
            "credentials in the URL are refused; use api_token(..) or api_key(..)".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::InvalidBaseUrl(format!(
            "{raw:?} must not have a query or fragment"
        )));
    }
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if !loopback && !allow_insecure_http {
                // The origin as parsed: a value from the environment may carry anything
                // (escape sequences included) in its other parts.
                return Err(ConfigError::InsecureBaseUrl(url.origin().ascii_serialization()));
            }
        }
        other => {
            return Err(ConfigError::InvalidBaseUrl(format!(
                "scheme `{other}` is not http or https"
            )));
        }
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Why a [`ClientBuilder`] could not build a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither [`ClientBuilder::api_token`] nor [`ClientBuilder::api_key`] was called.
    #[error("no credentials: call api_token(..) or api_key(..)")]
    MissingCredentials,
    /// A credential cannot be sent as an HTTP header. The value itself is never shown.
    #[error("the {what} is unusable: {reason}")]
    InvalidCredential {
        /// Which credential.
        what: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The base URL does not parse or has parts an API base cannot have.
    #[error("invalid base URL: {0}")]
    InvalidBaseUrl(String),
    /// `http://` to a host that is not loopback, without [`ClientBuilder::allow_insecure_http`];
    /// it holds the refused origin.
    #[error(
        "refusing plain http to {0}: credentials would travel unencrypted; use https or allow_insecure_http(true)"
    )]
    InsecureBaseUrl(String),
    /// A setting outside the values that can work (a zero timeout or size cap here; a page
    /// size or poll delay in cf-cache-ext, whose builders report theirs with this too).
    #[error("{setting} must be {allowed}, not {value}")]
    InvalidSetting {
        /// The setting, named as the builder method that sets it.
        setting: &'static str,
        /// The value given.
        value: String,
        /// The values allowed, e.g. `between 1 and 100`.
        allowed: String,
    },
    /// reqwest could not build its client (TLS backend initialisation, say).
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

impl ConfigError {
    /// [`ConfigError::InvalidSetting`] for `setting`, given `value`, which must be `allowed`.
    pub fn invalid_setting(
        setting: &'static str,
        value: impl fmt::Display,
        allowed: impl Into<String>,
    ) -> Self {
        Self::InvalidSetting {
            setting,
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_setting_names_itself_and_what_is_allowed() {
        let err = ConfigError::invalid_setting("per_page", 0, "between 1 and 100");
        assert_eq!(err.to_string(), "per_page must be between 1 and 100, not 0");
    }

    #[test]
    fn credentials_in_the_base_url_are_refused_without_being_echoed() {
        let err = checked_base_url("https://user:hunter2@api.example.com/client/v4", false)
            .expect_err("userinfo is refused");
        let text = err.to_string();
        assert!(text.contains("credentials in the URL are refused"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        let unparsable = checked_base_url("https://user:hunter2@[bad", false).expect_err("does not parse");
        assert!(!unparsable.to_string().contains("hunter2"), "{unparsable}");
    }

    #[test]
    fn plain_http_is_for_loopback_unless_allowed() {
        assert!(checked_base_url("http://127.0.0.1:8080", false).is_ok());
        assert!(checked_base_url("http://localhost/x", false).is_ok());
        assert!(matches!(
            checked_base_url("http://api.example.com", false),
            Err(ConfigError::InsecureBaseUrl(_))
        ));
        assert!(checked_base_url("http://api.example.com", true).is_ok());
    }
}
