//! progenitor's `ClientHooks` for the raw client: the one seam through which the runtime
//! touches every request, so generated code never changes when behaviour does.

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{ACCEPT, HeaderValue, USER_AGENT};

use tracing::Instrument;

use crate::generated::operations::route;
use crate::generated::raw;
use crate::runtime::Runtime;

impl ClientHooks<Runtime> for raw::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let shared = self.inner().shared();
        let headers = request.headers_mut();
        for (name, value) in &shared.auth {
            headers.insert(name.clone(), value.clone());
        }
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, shared.user_agent.clone());
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        // The path template, never the URL: ids stay out of logs, credentials are headers.
        let (method, path) = route(info.operation_id).unwrap_or((request.method().as_str(), "?"));
        let span = tracing::debug_span!(
            "cf_cache.request",
            operation = info.operation_id,
            method,
            path,
            status = tracing::field::Empty,
            cf_ray = tracing::field::Empty,
        );
        let response = self.client().execute(request).instrument(span.clone()).await;
        if let Ok(response) = &response {
            span.record("status", response.status().as_u16());
            if let Some(ray) = response.headers().get("cf-ray").and_then(|v| v.to_str().ok()) {
                span.record("cf_ray", ray);
            }
        }
        response
    }
}
