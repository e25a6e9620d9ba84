//! One request through the fake: faults, authentication, the request limits, routing, the
//! operation on the zone's state, and the record of it all. Independent of the HTTP server so
//! the order of these steps reads in one place.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use crate::config::{Config, WindowLimit};
use crate::envelope::{ApiError, codes, success};
use crate::faults;
use crate::limits::{SlidingWindow, TokenBucket, WindowStatus, ceil_secs};
use crate::purge;
use crate::record::{Fault, PurgeAction, PurgedItem, Recorder, RequestRecord};
use crate::regions::{Regions, supported_regions};
use crate::routes::{API_PREFIX, Op, Routed, route};
use crate::settings::Settings;

/// What a request carries that the fake looks at. No `Debug`: it holds the credentials.
pub(crate) struct Incoming<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub bearer: Option<&'a str>,
    pub email: Option<&'a str>,
    pub key: Option<&'a str>,
    pub body: &'a [u8],
    pub peer: IpAddr,
}

/// How to answer.
#[derive(Debug)]
pub(crate) enum Answer {
    /// A JSON (or, for the HTML fault, HTML) response.
    Respond {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
        headers: Vec<(&'static str, String)>,
    },
    /// Close the connection without answering.
    Reset,
}

/// The answer and the latency to add before sending it.
#[derive(Debug)]
pub(crate) struct Handled {
    pub answer: Answer,
    pub latency: Duration,
}

#[derive(Debug, Default)]
struct Zone {
    settings: Settings,
    regions: Regions,
}

/// Everything that changes, behind one lock: one request's effect is atomic. No `Debug`:
/// the API-wide windows are keyed by credential.
struct State {
    zones: HashMap<String, Zone>,
    bulk: TokenBucket,
    urls: TokenBucket,
    /// The API-wide windows, per token or e-mail (kept in memory only, never logged).
    api: HashMap<String, SlidingWindow>,
    per_ip: HashMap<IpAddr, SlidingWindow>,
}

/// The fake's state and record, shared by every connection.
pub(crate) struct Service {
    pub config: Config,
    state: Mutex<State>,
    pub recorder: Recorder,
    seq: AtomicU64,
}

impl std::fmt::Debug for Service {
    /// The configuration (credentials redacted) and counts; never the state, whose rate-limit
    /// windows are keyed by credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("config", &self.config)
            .field("requests", &self.seq.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Where a purge goes.
struct PurgeTarget {
    zone_id: String,
    action: PurgeAction,
    environment: Option<String>,
}

/// Who is calling, by the key their limits are kept under.
struct Caller(String);

fn window(limit: WindowLimit) -> SlidingWindow {
    SlidingWindow::new(limit.quota, limit.window, limit.block)
}

impl Service {
    pub(crate) fn new(config: Config) -> Self {
        let p = config.plan;
        let state = State {
            zones: HashMap::new(),
            bulk: TokenBucket::new(p.bulk_refill.0, p.bulk_refill.1, p.bulk_capacity),
            urls: TokenBucket::new(p.urls_per_second, Duration::from_secs(1), p.url_capacity),
            api: HashMap::new(),
            per_ip: HashMap::new(),
        };
        Self {
            config,
            state: Mutex::new(state),
            recorder: Recorder::default(),
            seq: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whole tokens in the (bulk, single-file) purge buckets now.
    pub(crate) fn purge_tokens(&self) -> (u32, u32) {
        let at = self.config.clock.now();
        let state = self.lock();
        (state.bulk.available(at), state.urls.available(at))
    }

    /// Origin cloud region mappings stored for `zone_id`.
    pub(crate) fn mapping_count(&self, zone_id: &str) -> usize {
        self.lock().zones.get(zone_id).map_or(0, |z| z.regions.len())
    }

    pub(crate) fn handle(&self, request: &Incoming<'_>) -> Handled {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let at = self.config.clock.now();
        let draw = faults::draw(&self.config.faults, seq);
        let mut record = RequestRecord {
            seq,
            at,
            method: request.method.to_string(),
            path: request.path.to_string(),
            query: request.query.map(str::to_string),
            operation: request
                .path
                .strip_prefix(API_PREFIX)
                .and_then(|p| route(request.method, p).ok())
                .map(|r| r.op.operation_id()),
            status: 0,
            error_codes: Vec::new(),
            retry_after: None,
            fault: draw.fault,
            request_body: None,
            response_body: None,
        };
        if self.config.record_bodies {
            record.request_body = serde_json::from_slice(request.body).ok();
        }
        // A reset or truncation after the request was applied: the change is made, the
        // answer lost or cut on its way back.
        let lost_answer = draw
            .fault
            .filter(|f| self.config.faults.lost_after_apply && matches!(f, Fault::Reset | Fault::Truncated));
        let mut answer = match draw.fault {
            Some(fault) if lost_answer.is_none() => self.faulted(fault, seq, &mut record),
            _ => {
                let (status, body, headers) = self.answer(request, at, seq);
                record.status = status;
                record.error_codes = codes_of(&body);
                record.retry_after = headers
                    .iter()
                    .find(|(name, _)| *name == "retry-after")
                    .and_then(|(_, v)| v.parse().ok());
                let bytes = body.to_string().into_bytes();
                if self.config.record_bodies {
                    record.response_body = Some(body);
                }
                match lost_answer {
                    Some(Fault::Reset) => {
                        record.status = 0;
                        Answer::Reset
                    }
                    Some(_) => Answer::Respond {
                        status,
                        content_type: "application/json",
                        body: bytes[..bytes.len() / 2].to_vec(),
                        headers,
                    },
                    None => Answer::Respond {
                        status,
                        content_type: "application/json",
                        body: bytes,
                        headers,
                    },
                }
            }
        };
        if let Answer::Respond { headers, .. } = &mut answer {
            headers.push(("cf-ray", format!("{seq:016x}-FAKE")));
        }
        if self.config.log_requests {
            eprintln!(
                "#{} {} {} -> {} {:?}{}",
                record.seq,
                record.method,
                record.path,
                record.status,
                record.error_codes,
                record
                    .fault
                    .map(|f| format!(" (injected {f:?})"))
                    .unwrap_or_default(),
            );
        }
        self.recorder.request(record);
        Handled {
            answer,
            latency: draw.latency,
        }
    }

    fn faulted(&self, fault: Fault, seq: u64, record: &mut RequestRecord) -> Answer {
        let json_answer = |status: u16, error: ApiError, headers| Answer::Respond {
            status,
            content_type: "application/json",
            body: error.body().to_string().into_bytes(),
            headers,
        };
        let (status, answer) = match fault {
            Fault::ServerError => {
                record.error_codes = vec![codes::SERVER_ERROR];
                (
                    503,
                    json_answer(
                        503,
                        ApiError::new(
                            503,
                            codes::SERVER_ERROR,
                            "Service temporarily unavailable (injected)",
                        ),
                        vec![],
                    ),
                )
            }
            Fault::RateLimit => {
                record.error_codes = vec![codes::GLOBAL_RATE_LIMIT];
                let mut headers = vec![];
                if self.config.retry_after.global {
                    record.retry_after = Some(1);
                    headers.push(("retry-after", "1".to_string()));
                }
                (429, json_answer(429, rate_limited_971(), headers))
            }
            Fault::Reset => (0, Answer::Reset),
            Fault::Truncated => {
                let full = success(json!({"id": purge_id(seq)})).to_string();
                let cut = full.as_bytes()[..full.len() / 2].to_vec();
                (
                    200,
                    Answer::Respond {
                        status: 200,
                        content_type: "application/json",
                        body: cut,
                        headers: vec![],
                    },
                )
            }
            Fault::Html => (
                502,
                Answer::Respond {
                    status: 502,
                    content_type: "text/html; charset=UTF-8",
                    body: HTML_502.as_bytes().to_vec(),
                    headers: vec![],
                },
            ),
        };
        record.status = status;
        answer
    }

    /// The normal path: status, JSON body and extra headers.
    fn answer(
        &self,
        request: &Incoming<'_>,
        at: SystemTime,
        seq: u64,
    ) -> (u16, Value, Vec<(&'static str, String)>) {
        let Some(path) = request.path.strip_prefix(API_PREFIX) else {
            let e = ApiError::new(404, codes::NO_ROUTE, "No route for the URI");
            return (e.status, e.body(), vec![]);
        };
        let caller = match self.authenticate(request) {
            Ok(caller) => caller,
            Err(e) => return (e.status, e.body(), vec![]),
        };
        let mut state = self.lock();
        let admitted = self.admit(&mut state, &caller, request.peer, at);
        let result = admitted.and_then(|()| {
            let routed = route(request.method, path)?;
            self.check_zone(&routed)?;
            self.operate(&mut state, routed, request, at, seq)
        });
        let mut headers = Vec::new();
        if let Some(limit) = self.config.api_limit
            && let Some(w) = state.api.get_mut(&caller.0)
        {
            let WindowStatus { remaining, reset } = w.status(at);
            headers.push((
                "ratelimit",
                format!("\"default\";r={remaining};t={}", ceil_secs(reset)),
            ));
            headers.push((
                "ratelimit-policy",
                format!("\"default\";q={};w={}", limit.quota, limit.window.as_secs()),
            ));
        }
        drop(state);
        match result {
            Ok(body) => (200, body, headers),
            Err(e) => {
                if let Some(secs) = e.retry_after {
                    headers.push(("retry-after", secs.to_string()));
                }
                (e.status, e.body(), headers)
            }
        }
    }

    fn authenticate(&self, request: &Incoming<'_>) -> Result<Caller, ApiError> {
        let credentials = &self.config.credentials;
        let refused = |status| ApiError::new(status, codes::AUTHENTICATION, "Authentication error");
        if let Some(token) = request.bearer {
            if token.is_empty() {
                return Err(refused(401));
            }
            return if credentials.any_present() || credentials.tokens.contains(token) {
                Ok(Caller(format!("token:{token}")))
            } else {
                Err(refused(403))
            };
        }
        match (request.email, request.key) {
            (Some(email), Some(key)) if !email.is_empty() && !key.is_empty() => {
                let pair = (email.to_string(), key.to_string());
                if credentials.any_present() || credentials.keys.contains(&pair) {
                    Ok(Caller(format!("email:{email}")))
                } else {
                    Err(refused(403))
                }
            }
            _ => Err(refused(401)),
        }
    }

    /// The per-IP and API-wide windows.
    fn admit(
        &self,
        state: &mut State,
        caller: &Caller,
        peer: IpAddr,
        at: SystemTime,
    ) -> Result<(), ApiError> {
        let refuse = |wait: Duration| {
            let mut e = rate_limited_971();
            if self.config.retry_after.global {
                e.retry_after = Some(ceil_secs(wait));
            }
            e
        };
        if let Some(limit) = self.config.ip_limit {
            state
                .per_ip
                .entry(peer)
                .or_insert_with(|| window(limit))
                .admit(at)
                .map_err(refuse)?;
        }
        if let Some(limit) = self.config.api_limit {
            state
                .api
                .entry(caller.0.clone())
                .or_insert_with(|| window(limit))
                .admit(at)
                .map_err(refuse)?;
        }
        Ok(())
    }

    fn check_zone(&self, routed: &Routed) -> Result<(), ApiError> {
        let known = self
            .config
            .zones
            .as_ref()
            .is_none_or(|zones| zones.contains(&routed.zone_id));
        let environment_ok = match &routed.op {
            Op::Purge {
                environment: Some(env),
                ..
            } => env.len() <= 32,
            _ => true,
        };
        if routed.zone_id.len() > 32 || !known || !environment_ok {
            return Err(ApiError::bad_request(
                codes::NO_ROUTE,
                "Could not route to this zone, perhaps your object identifier is invalid?",
            ));
        }
        Ok(())
    }

    fn operate(
        &self,
        state: &mut State,
        routed: Routed,
        request: &Incoming<'_>,
        at: SystemTime,
        seq: u64,
    ) -> Result<Value, ApiError> {
        let body = if routed.op.takes_body() {
            if request.body.iter().all(u8::is_ascii_whitespace) {
                return Err(ApiError::invalid("a JSON request body is required"));
            }
            serde_json::from_slice::<Value>(request.body)
                .map_err(|_| ApiError::bad_request(codes::MALFORMED_JSON, "Malformed JSON in request body"))?
        } else {
            Value::Null
        };
        let config = &self.config;
        let State {
            zones, bulk, urls, ..
        } = state;
        let zone_id = routed.zone_id;
        let result = match routed.op {
            Op::Purge { action, environment } => {
                let target = PurgeTarget {
                    zone_id: zone_id.clone(),
                    action,
                    environment,
                };
                return self.purge(bulk, urls, target, &body, at, seq);
            }
            Op::GetToggle(which) => zone(zones, &zone_id).settings.get_toggle(which),
            Op::SetToggle(which, _) => zone(zones, &zone_id).settings.set_toggle(which, &body, at)?,
            Op::DeleteSmartTiered => zone(zones, &zone_id).settings.delete_smart_tiered(at),
            Op::GetClear(_) => zone(zones, &zone_id).settings.get_clear(at)?,
            Op::StartClear(_) => {
                zone(zones, &zone_id)
                    .settings
                    .start_clear(&body, at, config.reserve_clear_duration)?
            }
            Op::GetVariants => zone(zones, &zone_id).settings.get_variants(),
            Op::UpdateVariants => zone(zones, &zone_id).settings.update_variants(&body, at)?,
            Op::DeleteVariants => zone(zones, &zone_id).settings.delete_variants(at),
            // A list carries `result_info`: it is its own envelope.
            Op::ListRegions => return zone(zones, &zone_id).regions.list(request.query),
            Op::GetRegion(ip) => zone(zones, &zone_id).regions.get(&ip)?,
            Op::UpsertRegion(ip) => {
                zone(zones, &zone_id)
                    .regions
                    .upsert(&ip, &body, at, config.max_mappings)?
            }
            Op::DeleteRegion(ip) => zone(zones, &zone_id).regions.delete(&ip)?,
            Op::BatchUpsertRegions => {
                zone(zones, &zone_id)
                    .regions
                    .batch_upsert(&body, at, config.max_mappings)?
            }
            Op::BatchDeleteRegions => zone(zones, &zone_id).regions.batch_delete(&body)?,
            Op::SupportedRegions => supported_regions(),
        };
        Ok(success(result))
    }

    /// Checks the body, takes from the plan's bucket and records every item.
    fn purge(
        &self,
        bulk: &mut TokenBucket,
        urls: &mut TokenBucket,
        target: PurgeTarget,
        body: &Value,
        at: SystemTime,
        seq: u64,
    ) -> Result<Value, ApiError> {
        let PurgeTarget {
            zone_id,
            action,
            environment,
        } = target;
        let environment_id = environment;
        let parsed = purge::parse(body, &self.config.plan)?;
        if parsed.by_url
            && environment_id
                .as_ref()
                .is_some_and(|env| self.config.url_purge_forbidden.contains(env))
        {
            return Err(ApiError::bad_request(
                codes::URL_PURGE_NOT_ALLOWED,
                "Purge by URL is not supported for this environment.",
            ));
        }
        let taken = if parsed.by_url {
            let count = u32::try_from(parsed.items.len()).unwrap_or(u32::MAX);
            urls.take(at, count)
        } else {
            bulk.take(at, 1)
        };
        if let Err(wait) = taken {
            let mut e = ApiError::new(
                429,
                codes::PURGE_RATE_LIMIT,
                "Purge request rate limit reached. Please retry later.",
            );
            if self.config.retry_after.purge {
                e.retry_after = Some(ceil_secs(wait));
            }
            return Err(e);
        }
        self.recorder
            .purged(parsed.items.into_iter().map(|item| PurgedItem {
                zone_id: zone_id.clone(),
                environment_id: environment_id.clone(),
                action,
                item,
                at,
                request: seq,
            }));
        Ok(success(json!({"id": purge_id(seq)})))
    }
}

fn zone<'a>(zones: &'a mut HashMap<String, Zone>, id: &str) -> &'a mut Zone {
    zones.entry(id.to_string()).or_default()
}

fn rate_limited_971() -> ApiError {
    ApiError::new(
        429,
        codes::GLOBAL_RATE_LIMIT,
        "Please wait and consider throttling your request speed",
    )
}

/// A 32-hex-digit id, different for each request.
fn purge_id(seq: u64) -> String {
    format!("{:016x}{:016x}", 0xcf_cace_fa4e_u64, seq)
}

fn codes_of(body: &Value) -> Vec<i64> {
    body.get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e.get("code").and_then(Value::as_i64))
                .collect()
        })
        .unwrap_or_default()
}

/// What Cloudflare's edge sends when the origin behind the API is unreachable.
const HTML_502: &str = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center>\n<hr><center>cloudflare</center></body></html>\n";
