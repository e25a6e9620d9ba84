//! The hand-written runtime behind the generated operations: the state the raw client carries
//! (credentials, policies), the hooks progenitor calls around each request, and response
//! decoding.

pub(crate) mod decode;
mod hooks;
pub(crate) mod validate;

use std::fmt;
use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};

/// What every request of one client shares. Cloning is cheap (one `Arc`).
#[derive(Clone)]
pub(crate) struct Runtime {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    /// Authentication headers, marked sensitive so `Debug` of a header map hides them.
    pub auth: Vec<(HeaderName, HeaderValue)>,
    pub user_agent: HeaderValue,
}

impl Runtime {
    pub(crate) fn new(shared: Shared) -> Self {
        Self {
            shared: Arc::new(shared),
        }
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.shared.auth.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Runtime")
            .field("auth_headers", &names)
            .finish_non_exhaustive()
    }
}
