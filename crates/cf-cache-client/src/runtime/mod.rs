//! The hand-written runtime behind the generated operations: the state the raw client carries
//! (credentials, retry policy, clock, limits), the hooks progenitor calls around each request,
//! one bounded exchange (`attempt`), and response decoding.

mod attempt;
pub(crate) mod decode;
mod hooks;
mod path;

pub(crate) use attempt::Limits;
pub(crate) use path::encode_path;

use std::fmt;
use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};

use crate::clock::Clock;
use crate::observe::ResponseObserver;
use crate::retry::RetryPolicy;

/// What every request of one client carries. Cloning is cheap (one `Arc` and a small copy).
#[derive(Clone)]
pub(crate) struct Runtime {
    shared: Arc<Shared>,
    retry: RetryPolicy,
    /// Shown every answer, when set.
    observer: Option<Arc<dyn ResponseObserver>>,
}

/// Configuration fixed when the client is built.
pub(crate) struct Shared {
    /// Authentication headers, marked sensitive so `Debug` of a header map hides them.
    pub auth: Vec<(HeaderName, HeaderValue)>,
    pub user_agent: HeaderValue,
    pub clock: Arc<dyn Clock>,
    /// Timeouts and the response size cap.
    pub limits: Limits,
}

impl Runtime {
    pub(crate) fn new(shared: Shared, retry: RetryPolicy) -> Self {
        Self {
            shared: Arc::new(shared),
            retry,
            observer: None,
        }
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// The same runtime with another retry policy.
    pub(crate) fn with_retry(&self, retry: RetryPolicy) -> Self {
        Self {
            retry,
            ..self.clone()
        }
    }

    pub(crate) fn observer(&self) -> Option<&dyn ResponseObserver> {
        self.observer.as_deref()
    }

    /// The same runtime, showing every answer to `observer`.
    pub(crate) fn with_observer(&self, observer: Arc<dyn ResponseObserver>) -> Self {
        Self {
            observer: Some(observer),
            ..self.clone()
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.shared.auth.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Runtime")
            .field("auth_headers", &names)
            .field("retry", &self.retry)
            .field("observer", &self.observer)
            .field("clock", &self.shared.clock)
            .finish_non_exhaustive()
    }
}
