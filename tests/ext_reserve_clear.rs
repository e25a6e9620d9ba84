//! The Cache Reserve Clear waiter from `cf-cache-ext` over real HTTP on loopback, on a
//! `TestClock`: hours of polling run in milliseconds and every wait is recorded.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cf_cache_client::types::{ReserveClearState, ReserveClearStatus};
use cf_cache_client::{ConfigError, Error, RetryPolicy};
use cf_cache_ext::reserve_clear::{
    ClearEndpoint, Progress, ProgressEvent, ReserveClearError, ReserveClearWaiter, ReserveClearWaiterBuilder,
};
use cf_cache_tests::{TestClock, ZONE, client_with_clock};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const MINUTE: Duration = Duration::from_secs(60);
const STARTED: &str = "2026-11-23T00:00:01Z";
const ENDED: &str = "2026-11-23T03:05:00Z";

// ---------------------------------------------------------------------------------------------
// A scripted Cloudflare
// ---------------------------------------------------------------------------------------------

/// Answers with the given responses in turn, then repeats the last one.
struct Script(Mutex<VecDeque<ResponseTemplate>>);

impl Script {
    fn new(responses: impl IntoIterator<Item = ResponseTemplate>) -> Self {
        Self(Mutex::new(responses.into_iter().collect()))
    }
}

impl Respond for Script {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut queue = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match queue.len() {
            0 => ResponseTemplate::new(500).set_body_string("the test script is empty"),
            1 => queue[0].clone(),
            _ => queue.pop_front().unwrap_or_else(|| ResponseTemplate::new(500)),
        }
    }
}

fn ok(result: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "success": true, "errors": [], "messages": [], "result": result,
    }))
}

fn in_progress() -> ResponseTemplate {
    ok(json!({"id": "cache_reserve_clear", "start_ts": STARTED, "state": "In-progress"}))
}

fn completed() -> ResponseTemplate {
    ok(json!({
        "id": "cache_reserve_clear", "start_ts": STARTED, "end_ts": ENDED, "state": "Completed",
    }))
}

/// A clear that finished long ago, before the one under test.
fn completed_earlier() -> ResponseTemplate {
    ok(json!({
        "id": "cache_reserve_clear",
        "start_ts": "2026-01-01T00:00:00Z",
        "end_ts": "2026-01-01T05:00:00Z",
        "state": "Completed",
    }))
}

fn failure(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null,
    }))
}

fn never_cleared() -> ResponseTemplate {
    failure(400, 1142, "Unable to retrieve cache_reserve_clear setting value.")
}

fn unavailable() -> ResponseTemplate {
    ResponseTemplate::new(503).set_body_string("upstream unavailable")
}

fn cache_reserve(value: &str) -> ResponseTemplate {
    ok(json!({"id": "cache_reserve", "editable": true, "value": value}))
}

const CLEAR: &str = "cache/cache_reserve_clear";
const SMART_SHIELD_CLEAR: &str = "smart_shield/cache_reserve_clear";
const CACHE_RESERVE: &str = "cache/cache_reserve";

/// A loopback Cloudflare, a client for it and the clock both wait on.
struct Api {
    server: MockServer,
    clock: Arc<TestClock>,
}

impl Api {
    async fn new() -> Self {
        Self {
            server: MockServer::start().await,
            clock: TestClock::new(),
        }
    }

    /// Scripts `verb /zones/{ZONE}/{route}`.
    async fn script(
        &self,
        verb: &str,
        route: &str,
        responses: impl IntoIterator<Item = ResponseTemplate>,
    ) -> &Self {
        Mock::given(method(verb))
            .and(path(format!("/zones/{ZONE}/{route}")))
            .respond_with(Script::new(responses))
            .mount(&self.server)
            .await;
        self
    }

    /// A waiter on this server polling every 1, 2, 4, ... minutes up to 10, without jitter
    /// so the waits can be checked exactly, and recording its progress.
    fn waiter(&self) -> (ReserveClearWaiterBuilder, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let waiter = ReserveClearWaiter::builder(&client_with_clock(&self.server, self.clock.clone()), ZONE)
            .poll_delays(MINUTE, 10 * MINUTE)
            .jitter(false)
            .on_progress(move |p| {
                log.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(describe(p));
            });
        (waiter, seen)
    }

    /// `METHOD route` of every request received, in order, with the zone prefix removed.
    async fn requests(&self) -> Vec<String> {
        self.received()
            .await
            .iter()
            .map(|r| {
                let route = r
                    .url
                    .path()
                    .trim_start_matches(&format!("/zones/{ZONE}/"))
                    .to_string();
                format!("{} {route}", r.method)
            })
            .collect()
    }

    async fn received(&self) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .expect("the mock server records requests")
    }

    fn sleeps_in_minutes(&self) -> Vec<f64> {
        self.clock
            .sleeps()
            .iter()
            .map(|d| d.as_secs_f64() / 60.0)
            .collect()
    }
}

/// One progress step as `what @elapsed`, so whole sequences compare at a glance.
fn describe(progress: &Progress<'_>) -> String {
    let what = match &progress.event {
        ProgressEvent::Observed { poll, status } => format!("observed {poll} {}", status.state),
        ProgressEvent::Resumed => "resumed".into(),
        ProgressEvent::CacheReserveTurnedOff { previous } => format!("turned off (was {previous})"),
        ProgressEvent::Started { status } => format!("started {}", status.state),
        ProgressEvent::PollFailed {
            poll,
            consecutive_failures,
            error,
        } => format!(
            "poll {poll} failed ({consecutive_failures} in a row, HTTP {:?})",
            error.status()
        ),
        other => format!("{other:?}"),
    };
    format!("{what} @{}s", progress.elapsed.as_secs())
}

fn seen(log: &Mutex<Vec<String>>) -> Vec<String> {
    log.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

fn assert_completed_with_timestamps(status: &ReserveClearStatus) {
    assert_eq!(status.state, ReserveClearState::Completed);
    assert_eq!(status.start_ts.to_rfc3339(), "2026-11-23T00:00:01+00:00");
    assert_eq!(
        status.end_ts.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-11-23T03:05:00+00:00")
    );
}

// ---------------------------------------------------------------------------------------------
// Waiting
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_started_clear_is_polled_with_growing_delays_until_completed() {
    let api = Api::new().await;
    api.script(
        "GET",
        CLEAR,
        [never_cleared(), in_progress(), in_progress(), completed()],
    )
    .await
    .script("POST", CLEAR, [in_progress()])
    .await;
    let (waiter, log) = api.waiter();

    let done = waiter
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await
        .expect("the clear completes");

    assert_completed_with_timestamps(&done);
    assert_eq!(
        api.sleeps_in_minutes(),
        [1.0, 2.0, 4.0],
        "waits double from the minimum"
    );
    assert_eq!(
        seen(&log),
        [
            "started In-progress @0s",
            "observed 1 In-progress @60s",
            "observed 2 In-progress @180s",
            "observed 3 Completed @420s",
        ]
    );
    assert_eq!(
        api.requests().await,
        [
            format!("GET {CLEAR}"),
            format!("POST {CLEAR}"),
            format!("GET {CLEAR}"),
            format!("GET {CLEAR}"),
            format!("GET {CLEAR}"),
        ]
    );
    let start: Value = serde_json::from_slice(&api.received().await[1].body).expect("a JSON body");
    assert_eq!(
        start,
        json!({}),
        "the start sends the empty object the API requires"
    );
}

#[tokio::test]
async fn progress_carries_the_clock_time_of_each_observation() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [in_progress(), completed()]).await;
    let times = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&times);
    let (waiter, _) = api.waiter();
    let began = cf_cache_client::Clock::now(&*api.clock);

    waiter
        .on_progress(move |p| record.lock().expect("not poisoned").push((p.at, p.elapsed)))
        .build()
        .expect("valid settings")
        .wait()
        .await
        .expect("the clear completes");

    let times = times.lock().expect("not poisoned").clone();
    assert_eq!(
        times,
        [(began, Duration::ZERO), (began + MINUTE, MINUTE)],
        "the first read at once, the next a minute later on the waiter's clock"
    );
}

#[tokio::test]
async fn jittered_delays_stay_between_the_minimum_and_the_maximum() {
    let api = Api::new().await;
    let mut script = vec![in_progress(); 12];
    script.push(completed());
    api.script("GET", CLEAR, script).await;
    let (waiter, _) = api.waiter();

    waiter
        .jitter(true)
        .build()
        .expect("valid settings")
        .wait()
        .await
        .expect("the clear completes");

    let sleeps = api.clock.sleeps();
    assert_eq!(sleeps.len(), 12);
    assert!(
        sleeps.iter().all(|d| (MINUTE..=10 * MINUTE).contains(d)),
        "{sleeps:?}"
    );
    assert_eq!(
        sleeps[0], MINUTE,
        "the first wait is the minimum (jitter never goes below it)"
    );
    assert!(
        sleeps[6..].iter().all(|d| *d >= 10 * MINUTE * 3 / 4),
        "waits have grown to the maximum, less at most a quarter: {sleeps:?}"
    );
}

#[tokio::test]
async fn a_clear_already_running_is_followed_not_started_again() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [in_progress(), completed()])
        .await
        .script(
            "POST",
            CLEAR,
            [failure(400, 1000, "the test must not start a clear")],
        )
        .await;
    let (waiter, log) = api.waiter();

    let done = waiter
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await
        .expect("the running clear completes");

    assert_completed_with_timestamps(&done);
    assert_eq!(
        seen(&log),
        [
            "observed 0 In-progress @0s",
            "resumed @0s",
            "observed 1 Completed @60s"
        ]
    );
    assert_eq!(
        api.requests().await,
        [format!("GET {CLEAR}"), format!("GET {CLEAR}")]
    );
}

#[tokio::test]
async fn a_start_refused_because_a_clear_is_running_resumes_waiting() {
    let api = Api::new().await;
    // Between the check and the start, someone else started a clear. Cloudflare documents no
    // code for this refusal, so the waiter does not rely on one.
    api.script("GET", CLEAR, [completed_earlier(), in_progress(), completed()])
        .await
        .script(
            "POST",
            CLEAR,
            [failure(400, 1000, "A Cache Reserve Clear is already in progress")],
        )
        .await;
    let (waiter, log) = api.waiter();

    let done = waiter
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await
        .expect("the running clear completes");

    assert_completed_with_timestamps(&done);
    assert_eq!(
        seen(&log),
        [
            "observed 0 Completed @0s",
            "observed 0 In-progress @0s",
            "resumed @0s",
            "observed 1 Completed @60s",
        ]
    );
    assert_eq!(
        api.requests().await,
        [
            format!("GET {CLEAR}"),
            format!("POST {CLEAR}"),
            format!("GET {CLEAR}"),
            format!("GET {CLEAR}"),
        ]
    );
}

#[tokio::test]
async fn a_start_that_fails_with_no_clear_running_is_a_start_error() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [never_cleared()])
        .await
        .script("POST", CLEAR, [failure(403, 10000, "Authentication error")])
        .await;
    let (waiter, _) = api.waiter();

    let error = waiter
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await
        .expect_err("the start is refused");

    match &error {
        ReserveClearError::Start {
            source: Error::Api(api_error),
        } => assert_eq!(api_error.codes(), [10000]),
        other => panic!("expected a start error, got {other:?}"),
    }
    assert_eq!(
        api.requests().await,
        [
            format!("GET {CLEAR}"),
            format!("POST {CLEAR}"),
            format!("GET {CLEAR}")
        ],
        "the status is checked once more before giving up"
    );
}

#[tokio::test]
async fn the_smart_shield_endpoint_pair_is_used_throughout() {
    let api = Api::new().await;
    api.script("GET", SMART_SHIELD_CLEAR, [never_cleared(), completed()])
        .await
        .script("POST", SMART_SHIELD_CLEAR, [in_progress()])
        .await;
    let (waiter, _) = api.waiter();

    let done = waiter
        .endpoint(ClearEndpoint::SmartShield)
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await
        .expect("the clear completes");

    assert_completed_with_timestamps(&done);
    assert_eq!(
        api.requests().await,
        [
            format!("GET {SMART_SHIELD_CLEAR}"),
            format!("POST {SMART_SHIELD_CLEAR}"),
            format!("GET {SMART_SHIELD_CLEAR}"),
        ]
    );
}

#[tokio::test]
async fn waiting_without_starting_returns_at_once_when_the_last_clear_completed() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [completed()]).await;
    let (waiter, _) = api.waiter();

    let done = waiter
        .build()
        .expect("valid settings")
        .wait()
        .await
        .expect("nothing to wait for");

    assert_completed_with_timestamps(&done);
    assert!(api.clock.sleeps().is_empty());
    assert_eq!(api.requests().await, [format!("GET {CLEAR}")]);
}

// ---------------------------------------------------------------------------------------------
// Cache Reserve on (1152) and never cleared (1142)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn cache_reserve_on_without_the_opt_in_is_its_own_error_saying_what_to_do() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [never_cleared()])
        .await
        .script(
            "POST",
            CLEAR,
            [failure(
                400,
                1152,
                "Turn off Cache Reserve sync to proceed with deletion.",
            )],
        )
        .await;
    let (waiter, _) = api.waiter();

    let error = waiter
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await
        .expect_err("the start is refused");

    match &error {
        ReserveClearError::CacheReserveOn {
            turned_off_first: false,
            source,
        } => assert!(source.has_code(1152)),
        other => panic!("expected CacheReserveOn, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("update_cache_reserve") && message.contains("turn_off_cache_reserve(true)"),
        "the message says how to proceed: {message}"
    );
    assert_eq!(
        api.requests().await,
        [format!("GET {CLEAR}"), format!("POST {CLEAR}")],
        "the setting is left alone without the opt-in"
    );
}

#[tokio::test]
async fn with_the_opt_in_cache_reserve_is_turned_off_before_the_start() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [never_cleared(), completed()])
        .await
        .script("GET", CACHE_RESERVE, [cache_reserve("on")])
        .await
        .script("PATCH", CACHE_RESERVE, [cache_reserve("off")])
        .await
        .script("POST", CLEAR, [in_progress()])
        .await;
    let (waiter, log) = api.waiter();

    let done = waiter
        .turn_off_cache_reserve(true)
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await
        .expect("the clear completes");

    assert_completed_with_timestamps(&done);
    assert_eq!(
        api.requests().await,
        [
            format!("GET {CLEAR}"),
            format!("GET {CACHE_RESERVE}"),
            format!("PATCH {CACHE_RESERVE}"),
            format!("POST {CLEAR}"),
            format!("GET {CLEAR}"),
        ]
    );
    let patch: Value = serde_json::from_slice(&api.received().await[2].body).expect("a JSON body");
    assert_eq!(patch, json!({"value": "off"}));
    assert_eq!(
        seen(&log),
        [
            "turned off (was on) @0s",
            "started In-progress @0s",
            "observed 1 Completed @60s"
        ]
    );
}

#[tokio::test]
async fn with_the_opt_in_cache_reserve_already_off_is_left_alone() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [never_cleared(), completed()])
        .await
        .script("GET", CACHE_RESERVE, [cache_reserve("off")])
        .await
        .script("POST", CLEAR, [in_progress()])
        .await;
    let (waiter, _) = api.waiter();

    waiter
        .turn_off_cache_reserve(true)
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await
        .expect("the clear completes");

    assert_eq!(
        api.requests().await,
        [
            format!("GET {CLEAR}"),
            format!("GET {CACHE_RESERVE}"),
            format!("POST {CLEAR}"),
            format!("GET {CLEAR}"),
        ],
        "no PATCH when it is off already"
    );
}

#[tokio::test]
async fn a_1152_right_after_turning_cache_reserve_off_says_to_try_again() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [never_cleared()])
        .await
        .script("GET", CACHE_RESERVE, [cache_reserve("off")])
        .await
        .script(
            "POST",
            CLEAR,
            [failure(
                400,
                1152,
                "Turn off Cache Reserve sync to proceed with deletion.",
            )],
        )
        .await;
    let (waiter, _) = api.waiter();

    let error = waiter
        .turn_off_cache_reserve(true)
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await
        .expect_err("the API has not caught up");

    assert!(
        matches!(
            &error,
            ReserveClearError::CacheReserveOn {
                turned_off_first: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("try again shortly"), "{error}");
}

#[tokio::test]
async fn a_failure_to_turn_cache_reserve_off_stops_before_the_start() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [never_cleared()])
        .await
        .script("GET", CACHE_RESERVE, [cache_reserve("on")])
        .await
        .script(
            "PATCH",
            CACHE_RESERVE,
            [failure(403, 10000, "Authentication error")],
        )
        .await;
    let (waiter, _) = api.waiter();

    let error = waiter
        .turn_off_cache_reserve(true)
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await
        .expect_err("the PATCH is refused");

    assert!(
        matches!(&error, ReserveClearError::TurnOff { source } if source.has_code(10000)),
        "{error:?}"
    );
    assert!(
        !api.requests().await.contains(&format!("POST {CLEAR}")),
        "no clear is started with Cache Reserve still on"
    );
}

#[tokio::test]
async fn waiting_on_a_zone_never_cleared_is_its_own_error() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [never_cleared()]).await;
    let (waiter, _) = api.waiter();

    let error = waiter
        .build()
        .expect("valid settings")
        .wait()
        .await
        .expect_err("there is nothing to wait for");

    assert!(
        matches!(&error, ReserveClearError::NeverCleared { source } if source.has_code(1142)),
        "{error:?}"
    );
    assert_eq!(api.requests().await, [format!("GET {CLEAR}")]);
    assert!(api.clock.sleeps().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Deadline and failed polls
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_deadline_ends_the_wait_with_the_last_status_after_the_expected_polls() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [in_progress()]).await;
    let (waiter, _) = api.waiter();

    let error = waiter
        .deadline(30 * MINUTE)
        .build()
        .expect("valid settings")
        .wait()
        .await
        .expect_err("the clear never completes");

    match &error {
        ReserveClearError::DeadlineExceeded {
            deadline,
            polls,
            last_status,
        } => {
            assert_eq!(*deadline, 30 * MINUTE);
            assert_eq!(*polls, 6);
            assert_eq!(last_status.state, ReserveClearState::InProgress);
            assert_eq!(last_status.start_ts.to_rfc3339(), "2026-11-23T00:00:01+00:00");
        }
        other => panic!("expected DeadlineExceeded, got {other:?}"),
    }
    // Polls at 1, 3, 7, 15, 25 minutes, and the last one cut short to fall on the deadline.
    assert_eq!(api.sleeps_in_minutes(), [1.0, 2.0, 4.0, 8.0, 10.0, 5.0]);
    assert_eq!(api.requests().await.len(), 7, "the first read and six polls");
    assert!(error.to_string().contains("In-progress"), "{error}");
}

#[tokio::test]
async fn the_default_deadline_outlasts_a_day_of_polling() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [in_progress()]).await;
    let waiter = ReserveClearWaiter::builder(&client_with_clock(&api.server, api.clock.clone()), ZONE);

    let error = waiter
        .build()
        .expect("valid settings")
        .wait()
        .await
        .expect_err("the clear never completes");

    let total: Duration = api.clock.sleeps().iter().sum();
    assert_eq!(
        total,
        Duration::from_secs(26 * 60 * 60),
        "26 hours of simulated waiting"
    );
    assert!(
        api.clock.sleeps().iter().all(|d| *d <= 10 * MINUTE),
        "never more than 10 minutes between polls"
    );
    let ReserveClearError::DeadlineExceeded { polls, .. } = error else {
        panic!("expected DeadlineExceeded, got {error:?}");
    };
    assert!(
        (156..=220).contains(&polls),
        "about one poll every 7.5 to 10 minutes: {polls}"
    );
}

#[tokio::test]
async fn a_5xx_while_polling_is_retried_by_the_client_and_the_wait_goes_on() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [in_progress(), unavailable(), completed()])
        .await;
    let (waiter, log) = api.waiter();

    let done = waiter
        .build()
        .expect("valid settings")
        .wait()
        .await
        .expect("the clear completes");

    assert_completed_with_timestamps(&done);
    let sleeps = api.clock.sleeps();
    assert_eq!(
        sleeps.len(),
        2,
        "one poll delay and one client retry backoff: {sleeps:?}"
    );
    assert_eq!(sleeps[0], MINUTE);
    assert!(
        sleeps[1] <= Duration::from_millis(500),
        "the client's first backoff: {sleeps:?}"
    );
    assert_eq!(
        seen(&log),
        ["observed 0 In-progress @0s", "observed 1 Completed @60s"],
        "the retry happened inside the poll; the waiter saw no failure"
    );
    assert_eq!(api.requests().await.len(), 3);
}

#[tokio::test]
async fn transient_poll_failures_are_tolerated_up_to_the_limit() {
    let api = Api::new().await;
    api.script(
        "GET",
        CLEAR,
        [
            in_progress(),
            unavailable(),
            unavailable(),
            in_progress(),
            unavailable(),
            completed(),
        ],
    )
    .await;
    let (waiter, log) = api.waiter();

    let done = waiter
        .retry_policy(RetryPolicy::none())
        .max_poll_errors(2)
        .build()
        .expect("valid settings")
        .wait()
        .await
        .expect("two failures in a row are tolerated");

    assert_completed_with_timestamps(&done);
    assert_eq!(
        seen(&log),
        [
            "observed 0 In-progress @0s",
            "poll 1 failed (1 in a row, HTTP Some(503)) @60s",
            "poll 2 failed (2 in a row, HTTP Some(503)) @180s",
            "observed 3 In-progress @420s",
            "poll 4 failed (1 in a row, HTTP Some(503)) @900s",
            "observed 5 Completed @1500s",
        ],
        "a success resets the count; waits keep growing through failures"
    );
}

#[tokio::test]
async fn too_many_failed_polls_in_a_row_end_the_wait_with_the_last_status() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [in_progress(), unavailable()]).await;
    let (waiter, _) = api.waiter();

    let error = waiter
        .retry_policy(RetryPolicy::none())
        .max_poll_errors(2)
        .build()
        .expect("valid settings")
        .wait()
        .await
        .expect_err("the third failure in a row ends it");

    match &error {
        ReserveClearError::Status {
            source,
            last_status: Some(last),
            polls: 3,
        } => {
            assert_eq!(source.status(), Some(503));
            assert_eq!(last.state, ReserveClearState::InProgress);
        }
        other => panic!("expected a status error after 3 polls, got {other:?}"),
    }
    assert_eq!(api.requests().await.len(), 4);
}

#[tokio::test]
async fn a_poll_failure_that_will_not_pass_ends_the_wait_at_once() {
    let api = Api::new().await;
    api.script(
        "GET",
        CLEAR,
        [
            in_progress(),
            failure(403, 10000, "Authentication error"),
            completed(),
        ],
    )
    .await;
    let (waiter, _) = api.waiter();

    let error = waiter
        .build()
        .expect("valid settings")
        .wait()
        .await
        .expect_err("a 403 is not tolerated");

    assert!(
        matches!(&error, ReserveClearError::Status { source, polls: 1, last_status: Some(_) } if source.has_code(10000)),
        "{error:?}"
    );
    assert_eq!(api.requests().await.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn bad_settings_are_refused_by_build_naming_the_setting() {
    let api = Api::new().await;
    let client = client_with_clock(&api.server, api.clock.clone());
    let cases = [
        (
            "zero minimum delay",
            ReserveClearWaiter::builder(&client, ZONE).poll_delays(Duration::ZERO, MINUTE),
            "poll_delays",
        ),
        (
            "minimum above maximum",
            ReserveClearWaiter::builder(&client, ZONE).poll_delays(10 * MINUTE, MINUTE),
            "poll_delays",
        ),
        (
            "zero deadline",
            ReserveClearWaiter::builder(&client, ZONE).deadline(Duration::ZERO),
            "deadline",
        ),
    ];

    for (case, builder, expected) in cases {
        match builder.build() {
            Err(ConfigError::InvalidSetting { setting, .. }) => assert_eq!(setting, expected, "{case}"),
            other => panic!("{case}: expected InvalidSetting, got {other:?}"),
        }
    }
    let zero = ReserveClearWaiter::builder(&client, ZONE)
        .deadline(Duration::ZERO)
        .build()
        .expect_err("refused");
    assert_eq!(zero.to_string(), "deadline must be above zero, not 0s");
    assert!(api.requests().await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn bad_zone_ids_are_refused_before_any_request() {
    let api = Api::new().await;
    api.script("GET", CLEAR, [completed()]).await;
    let client = client_with_clock(&api.server, api.clock.clone());
    for zone in ["", "a/b"] {
        let waiter = ReserveClearWaiter::builder(&client, zone)
            .build()
            .expect("the zone id is request data, not a setting");
        match waiter.start_and_wait().await {
            Err(ReserveClearError::InvalidRequest(refused)) => {
                assert_eq!(refused.field, "zone_id", "{zone:?}")
            }
            other => panic!("{zone:?}: expected InvalidRequest, got {other:?}"),
        }
    }
    assert!(api.requests().await.is_empty(), "nothing was sent");
}
