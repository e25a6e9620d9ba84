//! The Cache Reserve Clear waiter against the fake's real state machine rather than a script:
//! Cache Reserve must be off (1152), a clear runs for its configured duration and then reports
//! `Completed` with its `end_ts`, and Cache Reserve cannot come back on meanwhile (1153). The
//! client's clock is the fake's, so every poll wait moves the clear towards completion.

use std::time::Duration;

use cf_cache_client::types::{CacheReserveUpdate, ReserveClearRequest, ReserveClearState, ToggleValue};
use cf_cache_ext::reserve_clear::{ClearEndpoint, ReserveClearError, ReserveClearWaiter};
use cf_cache_fake::{Config, FakeCloudflare, Faults};
use cf_cache_tests::ZONE;
use cf_cache_tests::fake::{client, start};

const HOUR: Duration = Duration::from_secs(3_600);

async fn fake_with_clear_of(duration: Duration) -> FakeCloudflare {
    start(Config::new().reserve_clear_duration(duration)).await
}

async fn turn_cache_reserve(fake: &FakeCloudflare, value: ToggleValue) {
    let update = CacheReserveUpdate { value };
    if let Err(e) = client(fake).update_cache_reserve(ZONE, &update).await {
        panic!("Cache Reserve must change: {e}");
    }
}

/// Operation ids of the requests the fake saw, in order.
fn operations(fake: &FakeCloudflare) -> Vec<&'static str> {
    fake.requests().iter().filter_map(|r| r.operation).collect()
}

#[tokio::test]
async fn start_and_wait_turns_cache_reserve_off_and_returns_once_the_clear_completes() {
    let fake = fake_with_clear_of(5 * HOUR).await;
    turn_cache_reserve(&fake, ToggleValue::On).await;
    let started_at = fake.clock().now();
    let waited = ReserveClearWaiter::builder(&client(&fake), ZONE)
        .turn_off_cache_reserve(true)
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await;
    let done = waited.unwrap_or_else(|e| panic!("the clear must complete: {e}"));
    assert_eq!(done.state, ReserveClearState::Completed);
    let end = done
        .end_ts
        .unwrap_or_else(|| panic!("a completed clear has an end_ts"));
    assert_eq!(end - done.start_ts, chrono::Duration::hours(5));
    // It saw the completion at the first poll after it, within one maximum poll interval.
    let waited_for = fake.clock().now().duration_since(started_at).unwrap_or_default();
    assert!(
        waited_for >= 5 * HOUR && waited_for <= 5 * HOUR + Duration::from_secs(11 * 60),
        "{waited_for:?}"
    );
    let ops = operations(&fake);
    // Our own PATCH turned it on; the waiter's PATCH turned it off before the start.
    let started = ops.iter().position(|op| *op == "start_cache_reserve_clear");
    let started = started.unwrap_or_else(|| panic!("a clear must be started: {ops:?}"));
    assert!(ops[1..started].contains(&"update_cache_reserve"), "{ops:?}");
    assert_eq!(
        ops.iter()
            .filter(|op| **op == "start_cache_reserve_clear")
            .count(),
        1,
        "{ops:?}"
    );
    assert_eq!(
        client(&fake).get_cache_reserve(ZONE).await.ok().map(|s| s.value),
        Some(ToggleValue::Off)
    );
}

#[tokio::test]
async fn without_turning_it_off_cache_reserve_on_is_refused_and_nothing_starts() {
    let fake = fake_with_clear_of(HOUR).await;
    turn_cache_reserve(&fake, ToggleValue::On).await;
    let waited = ReserveClearWaiter::builder(&client(&fake), ZONE)
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await;
    assert!(
        matches!(waited, Err(ReserveClearError::CacheReserveOn { .. })),
        "{waited:?}"
    );
    let status = client(&fake).get_cache_reserve_clear(ZONE).await;
    assert!(status.is_err_and(|e| e.has_code(1142)));
}

#[tokio::test]
async fn waiting_on_a_zone_that_never_cleared_is_never_cleared() {
    let fake = fake_with_clear_of(HOUR).await;
    let waited = ReserveClearWaiter::builder(&client(&fake), ZONE)
        .build()
        .expect("valid settings")
        .wait()
        .await;
    assert!(
        matches!(waited, Err(ReserveClearError::NeverCleared { .. })),
        "{waited:?}"
    );
}

#[tokio::test]
async fn a_running_clear_is_followed_not_restarted_on_the_smart_shield_path() {
    let fake = fake_with_clear_of(4 * HOUR).await;
    let client = client(&fake);
    let first = client
        .start_smart_shield_cache_reserve_clear(ZONE, &ReserveClearRequest(Default::default()))
        .await;
    let first = first.unwrap_or_else(|e| panic!("the clear must start: {e}"));
    fake.advance(3 * HOUR);
    let done = ReserveClearWaiter::builder(&client, ZONE)
        .endpoint(ClearEndpoint::SmartShield)
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await
        .unwrap_or_else(|e| panic!("the running clear must be followed to completion: {e}"));
    assert_eq!(done.start_ts, first.start_ts);
    assert_eq!(
        done.end_ts.map(|end| end - first.start_ts),
        Some(chrono::Duration::hours(4))
    );
    // Cache Reserve could not come back on while it ran, and can now.
    turn_cache_reserve(&fake, ToggleValue::On).await;
}

#[tokio::test]
async fn cache_reserve_cannot_be_turned_on_while_the_clear_runs() {
    let fake = fake_with_clear_of(HOUR).await;
    let client = client(&fake);
    assert!(
        client
            .start_cache_reserve_clear(ZONE, &ReserveClearRequest(Default::default()))
            .await
            .is_ok()
    );
    let on = CacheReserveUpdate {
        value: ToggleValue::On,
    };
    assert!(
        client
            .update_cache_reserve(ZONE, &on)
            .await
            .is_err_and(|e| e.has_code(1153))
    );
    fake.advance(HOUR);
    assert!(client.update_cache_reserve(ZONE, &on).await.is_ok());
}

#[tokio::test]
async fn a_clear_longer_than_the_deadline_ends_the_wait_with_the_last_status() {
    let fake = fake_with_clear_of(30 * HOUR).await;
    let waited = ReserveClearWaiter::builder(&client(&fake), ZONE)
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await;
    let Err(ReserveClearError::DeadlineExceeded { last_status, .. }) = waited else {
        panic!("a 30-hour clear must outlast the 26-hour deadline: {waited:?}");
    };
    assert_eq!(last_status.state, ReserveClearState::InProgress);
}

#[tokio::test]
async fn the_waiter_rides_out_seeded_server_errors_while_polling() {
    let faults = Faults {
        seed: 12,
        server_error_rate: 0.25,
        ..Faults::default()
    };
    let fake = start(Config::new().reserve_clear_duration(2 * HOUR).faults(faults)).await;
    let waited = ReserveClearWaiter::builder(&client(&fake), ZONE)
        .build()
        .expect("valid settings")
        .start_and_wait()
        .await;
    let done = waited.unwrap_or_else(|e| panic!("transient 503s must not end the wait: {e}"));
    assert_eq!(done.state, ReserveClearState::Completed);
    assert!(
        fake.requests().iter().any(|r| r.status == 503),
        "the seed must inject some 503s"
    );
}
