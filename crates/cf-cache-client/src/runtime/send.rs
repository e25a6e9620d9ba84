//! Sends a prepared request, retrying as the policy says, and ends with the answer to decode
//! or the error that ended the call.

use reqwest::header::{ACCEPT, HeaderName, HeaderValue, USER_AGENT};
use tracing::Instrument;

use crate::error::{Error, Redirected, Result, Timeout, TimeoutKind, TransportError};
use crate::observe::ObservedResponse;
use crate::retry::{Outcome, Verdict};
use crate::runtime::attempt::{Failed, Reply, attempt};
use crate::runtime::decode::retry_after;
use crate::runtime::{Answer, Limits, Prepared};

impl crate::Client {
    /// Sends `prepared` with the client's credentials. Each attempt reads the whole body (up
    /// to the size cap), so a connection that drops mid-response is retried like one that
    /// never connected.
    pub(crate) async fn send(&self, prepared: Prepared) -> Result<Answer<'_>> {
        let Prepared { mut request, route } = prepared;
        let runtime = &self.raw.inner;
        let shared = runtime.shared();
        let headers = request.headers_mut();
        for (name, value) in &shared.auth {
            headers.insert(name.clone(), value.clone());
        }
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, shared.user_agent.clone());
        let policy = runtime.retry();
        let clock = &*shared.clock;
        let limits = &shared.limits;
        let mut retries_done = 0;
        loop {
            // Bodies here are always in memory (JSON), so a copy for the next attempt exists.
            let next = (retries_done < policy.max_retries())
                .then(|| request.try_clone())
                .flatten();
            let span = tracing::debug_span!(
                "cf_cache.request",
                operation = route.operation,
                method = route.method,
                path = route.path,
                attempt = retries_done + 1,
                status = tracing::field::Empty,
                cf_ray = tracing::field::Empty,
                ratelimit = tracing::field::Empty,
            );
            // With no subscriber listening, entering and leaving a disabled span on every poll
            // is pure cost.
            let outcome = if span.is_disabled() {
                attempt(&self.raw.client, request, limits).await
            } else {
                attempt(&self.raw.client, request, limits)
                    .instrument(span.clone())
                    .await
            };
            if let Ok(reply) = &outcome
                && !span.is_disabled()
            {
                record(&span, reply);
            }
            if let (Ok(reply), Some(observer)) = (&outcome, runtime.observer()) {
                observer.observe(&ObservedResponse::new(
                    reply.status.as_u16(),
                    retries_done + 1,
                    &reply.headers,
                ));
            }
            // The clock is read only where a wait may be computed: a success is final.
            let verdict = match &outcome {
                Ok(reply) if reply.status.is_success() => Verdict::Done,
                // A body over the cap will be as large next time.
                Ok(Reply { body: Err(_), .. }) => Verdict::Done,
                Ok(reply) => policy.decide(
                    Outcome::Response(reply.status, &reply.headers),
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
                    let wait_too_long = verdict == Verdict::WaitTooLong;
                    if wait_too_long && let Ok(reply) = &outcome {
                        tracing::debug!(
                            parent: &span,
                            wait_ms = retry_after(&reply.headers, clock.now()).map(|w| w.as_millis() as u64),
                            "not retrying: the server asks to wait longer than max_wait"
                        );
                    }
                    let attempts = retries_done + 1;
                    let reply = outcome.map_err(|failed| failure(failed, attempts, limits))?;
                    let body = reply.body.map_err(Error::TooLarge)?;
                    if reply.status.is_redirection() {
                        return Err(Error::Redirected(Redirected {
                            status: reply.status.as_u16(),
                            target: reply.redirect_target,
                        }));
                    }
                    return Ok(Answer {
                        status: reply.status,
                        headers: reply.headers,
                        body,
                        attempts,
                        wait_too_long,
                        clock,
                    });
                }
            }
        }
    }
}

/// The error for the attempt that ended the call without a response. The client's own
/// timeouts are named with their limit and attempt.
fn failure(failed: Failed, attempt: u32, limits: &Limits) -> Error {
    let timeout = |kind, limit| Error::Transport(TransportError::timed_out(Timeout { kind, limit, attempt }));
    match failed {
        Failed::TimedOut => timeout(TimeoutKind::Attempt, limits.attempt_timeout),
        // The connect timeout is the only timeout the builder sets on the reqwest client; one
        // that a `reqwest::ClientBuilder` handed in adds stays reqwest's error, unnamed.
        Failed::Transport(e) if e.is_connect() && e.is_timeout() => {
            timeout(TimeoutKind::Connect, limits.connect_timeout)
        }
        Failed::Transport(e) => Error::Transport(TransportError::new(e)),
    }
}

const CF_RAY: HeaderName = HeaderName::from_static("cf-ray");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

fn record(span: &tracing::Span, reply: &Reply) {
    span.record("status", reply.status.as_u16());
    let header = |name: &HeaderName| reply.headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ray) = header(&CF_RAY) {
        span.record("cf_ray", ray);
    }
    if let Some(limit) = header(&RATELIMIT) {
        span.record("ratelimit", limit);
    }
}
