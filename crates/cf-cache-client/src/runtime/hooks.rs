//! progenitor's `ClientHooks` for the raw client: the one seam through which the runtime
//! touches every request, so generated code never changes when behaviour does.

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{ACCEPT, HeaderName, HeaderValue, RETRY_AFTER, USER_AGENT};
use tracing::Instrument;

use crate::error::{ResponseTooLarge, Timeout, TimeoutKind};
use crate::generated::operations::route;
use crate::generated::raw;
use crate::observe::ObservedResponse;
use crate::retry::{Outcome, Verdict};
use crate::runtime::attempt::{Failed, attempt};
use crate::runtime::decode::{Abandoned, RETRY_AFTER_MS};
use crate::runtime::decode::{WaitTooLong, retry_after};
use crate::runtime::{Limits, Runtime};

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

    /// Sends the request, retrying as the policy says. Each attempt reads the whole body
    /// (up to the size cap), so a connection that drops mid-response is retried like one that
    /// never connected.
    ///
    /// Failures progenitor's signature has no room for (a timeout named with its limit and
    /// attempt) come back as an empty response carrying [`Abandoned`], which the decoder
    /// turns into the error; nothing else ever sees it.
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let runtime = self.inner();
        let policy = runtime.retry();
        let clock = &runtime.shared().clock;
        let limits = &runtime.shared().limits;
        let mut request = request;
        let mut retries_done = 0;
        loop {
            // Bodies here are always in memory (JSON), so a copy for the next attempt exists.
            let next = (retries_done < policy.max_retries())
                .then(|| request.try_clone())
                .flatten();
            let span = tracing::debug_span!(
                "cf_cache.request",
                operation = info.operation_id,
                method = tracing::field::Empty,
                path = tracing::field::Empty,
                attempt = retries_done + 1,
                status = tracing::field::Empty,
                cf_ray = tracing::field::Empty,
                ratelimit = tracing::field::Empty,
            );
            if !span.is_disabled() {
                // The path template, never the URL: ids stay out of logs, credentials are
                // headers. Looked up only for a span someone listens to.
                let (method, path) = route(info.operation_id).unwrap_or((request.method().as_str(), "?"));
                span.record("method", method);
                span.record("path", path);
            }
            // With no subscriber listening, entering and leaving a disabled span on every poll
            // is pure cost.
            let outcome = if span.is_disabled() {
                attempt(self.client(), request, limits).await
            } else {
                attempt(self.client(), request, limits)
                    .instrument(span.clone())
                    .await
            };
            if let Ok(response) = &outcome
                && !span.is_disabled()
            {
                record(&span, response);
            }
            if let (Ok(response), Some(observer)) = (&outcome, runtime.observer()) {
                let status = response.status().as_u16();
                observer.observe(&ObservedResponse::new(
                    status,
                    retries_done + 1,
                    response.headers(),
                ));
            }
            // The clock is read only where a wait may be computed: a success is final.
            let verdict = match &outcome {
                Ok(response) if response.status().is_success() => Verdict::Done,
                // A body over the cap will be as large next time.
                Ok(response) if response.extensions().get::<ResponseTooLarge>().is_some() => Verdict::Done,
                Ok(response) => policy.decide(
                    Outcome::Response(response.status(), response.headers()),
                    retries_done,
                    clock.now(),
                ),
                Err(Failed::Transport(e)) => policy.decide(Outcome::Transport(e), retries_done, clock.now()),
                Err(Failed::TimedOut) => policy.decide(Outcome::TimedOut, retries_done, clock.now()),
            };
            match (verdict, next) {
                (Verdict::Retry { wait, reason }, Some(copy)) => {
                    tracing::debug!(
                        parent: &span,
                        reason,
                        wait_ms = wait.as_millis() as u64,
                        "retrying Cloudflare API request"
                    );
                    clock.sleep(wait).await;
                    request = copy;
                    retries_done += 1;
                }
                (verdict, _) => {
                    let too_long = verdict == Verdict::WaitTooLong;
                    let outcome = hand_on(outcome, retries_done + 1, limits);
                    return outcome.map(|mut response| {
                        // Only `retry-after` can hold a date to read on the client's clock; a
                        // response without it (nearly every success) needs no rewriting.
                        let wait = if response.headers().contains_key(RETRY_AFTER) {
                            retry_after(response.headers(), clock.now())
                        } else {
                            None
                        };
                        if too_long {
                            tracing::debug!(
                                parent: &span,
                                wait_ms = wait.map(|w| w.as_millis() as u64),
                                "not retrying: the server asks to wait longer than max_wait"
                            );
                            response.extensions_mut().insert(WaitTooLong);
                        }
                        // The wait was measured on the client's clock; an HTTP date would be read
                        // against the system clock by the decoder, so hand it over in milliseconds.
                        if let Some(wait) = wait
                            && let Ok(ms) = HeaderValue::from_str(&wait.as_millis().to_string())
                        {
                            response.headers_mut().insert(RETRY_AFTER_MS, ms);
                        }
                        response
                    });
                }
            }
        }
    }
}

/// What `exec` returns for the attempt that ended the call: the response, or reqwest's error.
/// The client's own timeouts become stand-in responses marked with [`Abandoned`].
fn hand_on(
    outcome: Result<reqwest::Response, Failed>,
    attempt: u32,
    limits: &Limits,
) -> reqwest::Result<reqwest::Response> {
    let timeout = |kind, limit| Ok(abandoned(Timeout { kind, limit, attempt }));
    match outcome {
        Ok(response) => Ok(response),
        Err(Failed::TimedOut) => timeout(TimeoutKind::Attempt, limits.attempt_timeout),
        // The connect timeout is the only timeout the builder sets on the reqwest client; one
        // that a `reqwest::ClientBuilder` handed in adds stays reqwest's error, unnamed.
        Err(Failed::Transport(e)) if e.is_connect() && e.is_timeout() => {
            timeout(TimeoutKind::Connect, limits.connect_timeout)
        }
        Err(Failed::Transport(e)) => Err(e),
    }
}

/// The stand-in response for an attempt that timed out: empty, marked for the decoder.
fn abandoned(timeout: Timeout) -> reqwest::Response {
    let mut response = reqwest::Response::from(http::Response::new(reqwest::Body::from(bytes::Bytes::new())));
    response.extensions_mut().insert(Abandoned(timeout));
    response
}

const CF_RAY: HeaderName = HeaderName::from_static("cf-ray");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

fn record(span: &tracing::Span, response: &reqwest::Response) {
    span.record("status", response.status().as_u16());
    let header = |name: &HeaderName| response.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(ray) = header(&CF_RAY) {
        span.record("cf_ray", ray);
    }
    if let Some(limit) = header(&RATELIMIT) {
        span.record("ratelimit", limit);
    }
}
