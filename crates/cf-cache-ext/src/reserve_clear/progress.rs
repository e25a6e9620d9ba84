//! What the waiter reports while it works.

use std::time::{Duration, SystemTime};

use cf_cache_client::Error;
use cf_cache_client::types::{ReserveClearStatus, ToggleValue};

/// One step of a wait, passed to the callback set with
/// [`ReserveClearWaiterBuilder::on_progress`](super::ReserveClearWaiterBuilder::on_progress).
#[derive(Debug)]
pub struct Progress<'a> {
    /// When it happened, on the waiter's clock.
    pub at: SystemTime,
    /// Time since the waiter began (the deadline counts from the same instant).
    pub elapsed: Duration,
    /// What happened.
    pub event: ProgressEvent<'a>,
}

/// What happened at one step of a wait.
#[derive(Debug)]
#[non_exhaustive]
pub enum ProgressEvent<'a> {
    /// The status was read. `poll` 0 is a read before the waiting starts (the check for a clear
    /// already running); polls while waiting count from 1.
    Observed {
        /// Which read this is.
        poll: u32,
        /// The status as reported, with `start_ts` and, once done, `end_ts`.
        status: &'a ReserveClearStatus,
    },
    /// A clear was already running, so the waiter follows it instead of starting another.
    Resumed,
    /// Cache Reserve was not off and the waiter turned it off (only with
    /// [`turn_off_cache_reserve`](super::ReserveClearWaiterBuilder::turn_off_cache_reserve)).
    CacheReserveTurnedOff {
        /// The value it had.
        previous: &'a ToggleValue,
    },
    /// The waiter started the clear.
    Started {
        /// The status the start returned.
        status: &'a ReserveClearStatus,
    },
    /// A poll failed (after the client's own retries) in a way that may pass; the waiter keeps
    /// polling until [`max_poll_errors`](super::ReserveClearWaiterBuilder::max_poll_errors) such
    /// failures in a row.
    PollFailed {
        /// Which poll failed.
        poll: u32,
        /// Failed polls in a row, this one included.
        consecutive_failures: u32,
        /// The failure.
        error: &'a Error,
    },
}
