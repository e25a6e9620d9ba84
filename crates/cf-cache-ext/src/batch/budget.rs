//! The API-wide request budget as the pacer uses it: one [`SlidingWindow`] behind a lock, on
//! the pacer's clock, with the waiting and the server's word added.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use cf_cache_client::Clock;
use futures::channel::oneshot;

use super::plan::WindowLimit;
use super::server_view::ServerView;
use super::window::{Blocked, SlidingWindow};

/// The budget of one pacer (and of its clones).
#[derive(Debug)]
pub(crate) struct LocalBudget {
    /// Offsets handed to the window are measured from here, on the clock's monotonic time.
    origin: Instant,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    window: SlidingWindow,
    /// Requests waiting for an answer to free a slot (see [`Blocked::OnAnswer`]).
    on_answer: Vec<oneshot::Sender<()>>,
}

impl LocalBudget {
    pub(crate) fn new(limit: WindowLimit, clock: &dyn Clock) -> Self {
        Self {
            origin: clock.monotonic(),
            state: Mutex::new(State {
                window: SlidingWindow::new(limit),
                on_answer: Vec::new(),
            }),
        }
    }

    pub(crate) fn limit(&self) -> WindowLimit {
        self.lock().window.limit()
    }

    /// Waits until one more request fits the window and takes its slot; returns the slot and
    /// how long it waited.
    pub(crate) async fn admit(self: &Arc<Self>, clock: &Arc<dyn Clock>) -> (Slot, Duration) {
        let mut waited = Duration::ZERO;
        loop {
            let now = self.at(&**clock);
            let blocked = {
                let mut state = self.lock();
                match state.window.try_admit(now) {
                    Ok(()) => None,
                    Err(Blocked::Until(at)) => Some(Err(at.saturating_sub(now))),
                    Err(Blocked::OnAnswer) => {
                        let (tx, rx) = oneshot::channel();
                        state.on_answer.push(tx);
                        Some(Ok(rx))
                    }
                }
            };
            match blocked {
                None => {
                    let slot = Slot {
                        budget: Arc::clone(self),
                        clock: Arc::clone(clock),
                    };
                    return (slot, waited);
                }
                Some(Err(wait)) => {
                    clock.sleep(wait).await;
                    waited += wait;
                }
                Some(Ok(answer)) => {
                    let before = self.at(&**clock);
                    // A dropped sender means the budget was dropped: nothing left to wait on.
                    let _ = answer.await;
                    waited += self.at(&**clock).saturating_sub(before);
                }
            }
        }
    }

    /// No request goes before `wait` from now.
    pub(crate) fn hold_off(&self, clock: &dyn Clock, wait: Duration) {
        let now = self.at(clock);
        self.lock().window.hold_until(now.saturating_add(wait));
    }

    /// Takes in what an answer seen now said: a retry the window never admitted, the
    /// server's remaining count and quota, a hold-off.
    pub(crate) fn note(&self, clock: &dyn Clock, view: &ServerView, unadmitted: bool) {
        let now = self.at(clock);
        let mut state = self.lock();
        let window = &mut state.window;
        let length = window.limit().window();
        if unadmitted {
            window.unadmitted(now);
        }
        // Without a reset time, the count is taken to last a whole window: the cautious
        // reading, refreshed by the next answer anyway.
        if let Some((remaining, reset)) = view.remaining {
            window.server_remaining(now, remaining, reset.unwrap_or(length));
        }
        for &(quota, per) in &view.quotas {
            window.server_quota(quota, per.unwrap_or(length));
        }
        if let Some(hold) = view.hold {
            window.hold_until(now.saturating_add(hold));
        }
    }

    fn at(&self, clock: &dyn Clock) -> Duration {
        clock.monotonic().saturating_duration_since(self.origin)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is updated in single steps; a panic elsewhere leaves it consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One admitted request's slot; dated when the request's answer is in (when the slot is
/// dropped, so a request that was cancelled or panicked still counts).
#[derive(Debug)]
pub(crate) struct Slot {
    budget: Arc<LocalBudget>,
    clock: Arc<dyn Clock>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let now = self.budget.at(&*self.clock);
        let waiting = {
            let mut state = self.budget.lock();
            state.window.answered(now);
            std::mem::take(&mut state.on_answer)
        };
        for waiter in waiting {
            let _ = waiter.send(());
        }
    }
}
