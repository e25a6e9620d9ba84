//! The hand-written runtime behind the generated operations: the state the raw client carries
//! (credentials, retry policy, clock, limits), sending with retries (`send`), one bounded
//! exchange (`attempt`), and response decoding (`decode`).
//!
//! # The seam
//!
//! Each generated operation runs three plain steps, all typed:
//!
//! 1. **build**: its arguments are checked and progenitor's request builder (the `raw` module,
//!    cut off after `.build()`) turns them into a `reqwest::Request`; the operation adds its
//!    [`Route`] (id, method, path template) and hands both on as a [`Prepared`];
//! 2. **send** (`Client::send`): the retry loop sends it, each [`attempt`](attempt::attempt)
//!    reading the whole body under the client's timeout and size cap, and ends with an
//!    [`Answer`] (status, headers, body, attempt count, whether the server asked to wait too
//!    long) or with the [`Error`](crate::Error) that ended the call (a timeout, a transport
//!    failure, a body over the cap, a redirect);
//! 3. **decode**: `decode::value` or `decode::with_meta` turn the answer into the result (or
//!    the result with its [`ResponseMeta`](crate::ResponseMeta)), or the API's refusal.
//!
//! Progenitor's `ClientHooks::exec` is not used: it must return a `reqwest::Response` or a
//! `reqwest::Error`, which has no room for a timed-out attempt, a body already read or a
//! verdict of the retry loop, so those had to ride in response extensions, stand-in responses
//! and synthetic headers. Calling the runtime's own `send` lets each fact travel as a field.

mod answer;
mod attempt;
pub(crate) mod decode;
mod path;
mod send;

pub(crate) use answer::Answer;
pub(crate) use attempt::Limits;
pub(crate) use path::encode_path;

use std::fmt;
use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};

use crate::clock::Clock;
use crate::error::{Error, InvalidRequest, TransportError};
use crate::observe::ResponseObserver;
use crate::retry::RetryPolicy;

/// Where an operation goes, for tracing: its id, method and path template (never the URL, so
/// ids stay out of logs).
#[derive(Debug)]
pub(crate) struct Route {
    pub operation: &'static str,
    pub method: &'static str,
    pub path: &'static str,
}

/// A request ready to send: built, and named by its route.
pub(crate) struct Prepared {
    pub request: reqwest::Request,
    pub route: &'static Route,
}

/// The error for a request progenitor's builder could not build (a body that does not
/// serialise, a URL that does not parse): nothing was sent.
pub(crate) fn build_error(error: progenitor_client::Error<()>) -> Error {
    match error {
        progenitor_client::Error::CommunicationError(e) | progenitor_client::Error::ResponseBodyError(e) => {
            Error::Transport(TransportError::new(e))
        }
        other => Error::InvalidRequest(InvalidRequest {
            field: "request".into(),
            reason: other.to_string(),
        }),
    }
}

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
