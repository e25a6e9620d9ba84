//! One wait, from the first status read to the completed clear (or the error ending it).

use std::sync::Arc;
use std::time::{Duration, Instant};

use cf_cache_client::types::{CacheReserveUpdate, ReserveClearState, ReserveClearStatus, ToggleValue};
use cf_cache_client::{Backoff, Client, Clock, Error};

use super::error::ReserveClearError;
use super::progress::{Progress, ProgressEvent};
use super::{ClearEndpoint, ProgressCallback};

/// Cloudflare's code for "this setting does not exist": on the clear status, no clear ever ran.
const NEVER_CLEARED: i64 = 1142;
/// Cloudflare's code for "turn off Cache Reserve before clearing".
const CACHE_RESERVE_ON: i64 = 1152;

type Outcome = Result<ReserveClearStatus, ReserveClearError>;

/// Everything a run needs, checked by the builder.
pub(super) struct Settings {
    pub client: Client,
    pub zone_id: String,
    pub endpoint: ClearEndpoint,
    pub turn_off_cache_reserve: bool,
    pub schedule: Backoff,
    pub deadline: Duration,
    pub max_poll_errors: u32,
    pub clock: Arc<dyn Clock>,
    pub on_progress: Option<ProgressCallback>,
}

pub(super) struct Run {
    settings: Settings,
    /// On the clock's monotonic time: a wall clock stepped back cannot stretch the deadline,
    /// nor one stepped forward cut it short.
    began: Instant,
    polls: u32,
}

impl Run {
    pub(super) fn new(settings: Settings) -> Self {
        let began = settings.clock.monotonic();
        Self {
            settings,
            began,
            polls: 0,
        }
    }

    pub(super) async fn start_and_wait(mut self) -> Outcome {
        match self.status().await {
            Ok(status) => {
                self.emit(ProgressEvent::Observed {
                    poll: 0,
                    status: &status,
                });
                if status.state != ReserveClearState::Completed {
                    self.emit(ProgressEvent::Resumed);
                    return self.follow(status).await;
                }
            }
            // Never cleared: nothing to wait for, go ahead and start.
            Err(e) if e.has_code(NEVER_CLEARED) => {}
            Err(e) => return Err(ReserveClearError::from_call(e, status_failure(None, 0))),
        }
        if self.settings.turn_off_cache_reserve {
            self.turn_off_cache_reserve().await?;
        }
        let started = self
            .settings
            .endpoint
            .start(&self.settings.client, &self.settings.zone_id)
            .await;
        match started {
            Ok(status) => {
                self.emit(ProgressEvent::Started { status: &status });
                if status.state == ReserveClearState::Completed {
                    return Ok(status);
                }
                self.follow(status).await
            }
            Err(e) if e.has_code(CACHE_RESERVE_ON) => Err(ReserveClearError::CacheReserveOn {
                turned_off_first: self.settings.turn_off_cache_reserve,
                source: e,
            }),
            Err(e) => self.resume_after_failed_start(e).await,
        }
    }

    pub(super) async fn wait(mut self) -> Outcome {
        match self.status().await {
            Ok(status) => {
                self.emit(ProgressEvent::Observed {
                    poll: 0,
                    status: &status,
                });
                if status.state == ReserveClearState::Completed {
                    return Ok(status);
                }
                self.follow(status).await
            }
            Err(e) if e.has_code(NEVER_CLEARED) => Err(ReserveClearError::NeverCleared { source: e }),
            Err(e) => Err(ReserveClearError::from_call(e, status_failure(None, 0))),
        }
    }

    /// A start can fail because a clear is already running (the API does not document how it
    /// says so), or its response can be lost after the clear began: either way the status
    /// tells, and a running clear is what the caller wants.
    async fn resume_after_failed_start(mut self, start_error: Error) -> Outcome {
        if let Ok(status) = self.status().await {
            self.emit(ProgressEvent::Observed {
                poll: 0,
                status: &status,
            });
            if status.state != ReserveClearState::Completed {
                self.emit(ProgressEvent::Resumed);
                return self.follow(status).await;
            }
        }
        Err(ReserveClearError::from_call(start_error, |source| {
            ReserveClearError::Start { source }
        }))
    }

    async fn turn_off_cache_reserve(&mut self) -> Result<(), ReserveClearError> {
        let turn_off_failure =
            |e| ReserveClearError::from_call(e, |source| ReserveClearError::TurnOff { source });
        let Settings { client, zone_id, .. } = &self.settings;
        let setting = client
            .get_cache_reserve(zone_id)
            .await
            .map_err(turn_off_failure)?;
        // Anything but a definite `off` (including a value this SDK does not know) is turned off.
        if setting.value == ToggleValue::Off {
            return Ok(());
        }
        let off = CacheReserveUpdate {
            value: ToggleValue::Off,
        };
        client
            .update_cache_reserve(zone_id, &off)
            .await
            .map_err(turn_off_failure)?;
        self.emit(ProgressEvent::CacheReserveTurnedOff {
            previous: &setting.value,
        });
        Ok(())
    }

    /// Polls until `last` completes, the deadline passes or polling fails for good.
    async fn follow(mut self, mut last: ReserveClearStatus) -> Outcome {
        let mut failures_in_a_row = 0;
        loop {
            let remaining = self.settings.deadline.saturating_sub(self.elapsed());
            if remaining.is_zero() {
                return Err(ReserveClearError::DeadlineExceeded {
                    deadline: self.settings.deadline,
                    polls: self.polls,
                    last_status: Box::new(last),
                });
            }
            // The last wait is cut short so that the final poll falls on the deadline.
            let delay = self.settings.schedule.sample(self.polls).min(remaining);
            self.settings.clock.sleep(delay).await;
            self.polls += 1;
            let poll = self.polls;
            match self.status().await {
                Ok(status) => {
                    failures_in_a_row = 0;
                    self.emit(ProgressEvent::Observed {
                        poll,
                        status: &status,
                    });
                    if status.state == ReserveClearState::Completed {
                        return Ok(status);
                    }
                    last = status;
                }
                Err(e) if e.has_code(NEVER_CLEARED) => {
                    return Err(ReserveClearError::NeverCleared { source: e });
                }
                Err(e) if may_pass(&e) && failures_in_a_row < self.settings.max_poll_errors => {
                    failures_in_a_row += 1;
                    self.emit(ProgressEvent::PollFailed {
                        poll,
                        consecutive_failures: failures_in_a_row,
                        error: &e,
                    });
                }
                Err(e) => {
                    return Err(ReserveClearError::from_call(e, status_failure(Some(last), poll)));
                }
            }
        }
    }

    async fn status(&self) -> cf_cache_client::Result<ReserveClearStatus> {
        let Settings {
            client,
            zone_id,
            endpoint,
            ..
        } = &self.settings;
        endpoint.status(client, zone_id).await
    }

    fn elapsed(&self) -> Duration {
        self.settings
            .clock
            .monotonic()
            .saturating_duration_since(self.began)
    }

    fn emit(&mut self, event: ProgressEvent<'_>) {
        let at = self.settings.clock.now();
        let elapsed = self.elapsed();
        if let Some(callback) = &mut self.settings.on_progress {
            callback(&Progress { at, elapsed, event });
        }
    }
}

fn status_failure(
    last_status: Option<ReserveClearStatus>,
    polls: u32,
) -> impl FnOnce(Error) -> ReserveClearError {
    move |source| ReserveClearError::Status {
        source,
        last_status: last_status.map(Box::new),
        polls,
    }
}

/// Whether a failed poll may succeed if simply tried again later.
fn may_pass(error: &Error) -> bool {
    match error {
        Error::RateLimited(_) | Error::Transport(_) => true,
        Error::Api(e) => e.status >= 500 || matches!(e.status, 408 | 409),
        _ => false,
    }
}
