//! Why a wait for a Cache Reserve Clear ended without a completed clear.

use std::time::Duration;

use cf_cache_client::types::ReserveClearStatus;
use cf_cache_client::{Error, InvalidRequest, Printable};

/// Why [`ReserveClearWaiter`](super::ReserveClearWaiter) did not return a completed clear.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReserveClearError {
    /// The client refused to send a request (the zone id); nothing was sent. Bad settings
    /// never get this far: [`build`](super::ReserveClearWaiterBuilder::build) refuses them.
    #[error(transparent)]
    InvalidRequest(InvalidRequest),
    /// The zone has never run a Cache Reserve Clear (error 1142), so there is nothing to wait
    /// for. Start one with `start_and_wait`.
    #[error("no Cache Reserve Clear has ever run on this zone (error 1142); start one to wait for it")]
    NeverCleared {
        /// The API's answer.
        #[source]
        source: Error,
    },
    /// Starting the clear was refused because Cache Reserve is on (error 1152).
    #[error("{}", cache_reserve_on(*.turned_off_first))]
    CacheReserveOn {
        /// Whether the waiter had just found Cache Reserve off or turned it off: the API may
        /// not have caught up yet.
        turned_off_first: bool,
        /// The API's answer.
        #[source]
        source: Error,
    },
    /// Reading or turning off the Cache Reserve setting failed.
    #[error("could not turn Cache Reserve off before the clear: {source}")]
    TurnOff {
        /// Why.
        #[source]
        source: Error,
    },
    /// Starting the clear failed, and no clear turned out to be running.
    #[error("could not start the Cache Reserve Clear: {source}")]
    Start {
        /// Why.
        #[source]
        source: Error,
    },
    /// Reading the status failed for good: a failure that will not pass by itself (such as
    /// 401 or 403), or more transient failures in a row than the waiter tolerates.
    #[error("could not read the Cache Reserve Clear status (after {polls} polls): {source}")]
    Status {
        /// The last failure.
        #[source]
        source: Error,
        /// The last status read before it, if any.
        last_status: Option<Box<ReserveClearStatus>>,
        /// Polls made while waiting.
        polls: u32,
    },
    /// The clear had not completed when the deadline passed. It keeps running on Cloudflare's
    /// side; wait again (`wait`) to follow it.
    #[error(
        "the Cache Reserve Clear was still {} when the {:?} deadline passed (after {polls} polls)",
        Printable(.last_status.state.as_str()), .deadline
    )]
    DeadlineExceeded {
        /// The deadline that passed.
        deadline: Duration,
        /// Polls made while waiting.
        polls: u32,
        /// The last status read.
        last_status: Box<ReserveClearStatus>,
    },
}

fn cache_reserve_on(turned_off_first: bool) -> &'static str {
    if turned_off_first {
        "the API still reports Cache Reserve on (error 1152) although it was just turned off; \
         the change may take a moment to apply: try again shortly"
    } else {
        "Cache Reserve must be off before a clear (error 1152): turn it off with \
         `update_cache_reserve` (value `off`), or let the waiter do it with \
         `.turn_off_cache_reserve(true)`"
    }
}

impl ReserveClearError {
    /// The error for a failed call: [`ReserveClearError::InvalidRequest`] when the client
    /// refused to send it (the zone id), `otherwise(source)` for everything else.
    pub(super) fn from_call(source: Error, otherwise: impl FnOnce(Error) -> Self) -> Self {
        match source {
            Error::InvalidRequest(refused) => Self::InvalidRequest(refused),
            other => otherwise(other),
        }
    }
}
