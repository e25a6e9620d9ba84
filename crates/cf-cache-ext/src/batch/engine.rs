//! The loop shared by every batcher: send chunks with bounded concurrency, pace them, wait and
//! resend on rate limits, halve oversize chunks, stop on failures every request would share,
//! and turn each item into exactly one [`Outcome`].

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use cf_cache_client::{Backoff, Clock, Error, InvalidRequest};
use futures::{Stream, StreamExt};

use super::classify::{OversizeRule, Verdict, classify};
use super::pacing::{Cost, Pacer};
use super::report::{BatchStats, FailedItem, ItemFailure, Outcome};

/// A request body holding several items, which can be split and taken apart again.
pub(crate) trait Chunk: Sized + Send {
    /// The items, in the form the caller gave them.
    type Item: Send;
    fn len(&self) -> usize;
    /// Two non-empty halves, the first never the smaller. Only called when `len() > 1`.
    fn split(self) -> (Self, Self);
    fn into_items(self) -> Vec<Self::Item>;
    /// Hands each item to `f`, in order. Chunks whose items must be converted override it to
    /// skip the intermediate list.
    fn for_each_item(self, f: impl FnMut(Self::Item)) {
        self.into_items().into_iter().for_each(f);
    }
}

/// One endpoint a batcher drives.
pub(crate) trait Operation: Sync {
    type Chunk: Chunk;
    /// The decoded success response.
    type Answer: Send;

    fn send(&self, chunk: &Self::Chunk) -> impl Future<Output = Result<Self::Answer, Error>> + Send;
    /// Turns a successful answer into one outcome per item of the chunk.
    fn settle(&self, chunk: Self::Chunk, answer: Self::Answer, out: &mut impl FnMut(Outcome<ItemOf<Self>>));
    /// What the chunk draws from the token buckets.
    fn cost(&self, chunk: &Self::Chunk) -> Cost;
    /// How long to wait after a rate-limit answer that did not say; the first step of
    /// [`resend_backoff`].
    fn fallback_wait(&self, chunk: &Self::Chunk) -> Duration;
    /// Records that the API refused a chunk like this one as too large, so chunks cut from
    /// now on hold at most `items`; returns the body key the limit applies to.
    fn lower_limit(&self, chunk: &Self::Chunk, items: usize) -> &'static str;
}

pub(crate) type ItemOf<O> = <<O as Operation>::Chunk as Chunk>::Item;

/// What the chunker hands the engine.
pub(crate) enum Work<C: Chunk> {
    /// An item refused by validation: reported, never sent.
    Invalid(C::Item, InvalidRequest),
    Chunk(C),
}

/// The knobs of a run.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub concurrency: usize,
    pub max_resends: u32,
    pub max_rate_limit_wait: Duration,
    pub oversize: OversizeRule,
    pub pacer: Option<Pacer>,
    pub clock: Arc<dyn Clock>,
}

/// Runs `work` to completion, handing every item's outcome to `sink` as it is known.
pub(crate) async fn run<O, S, F>(op: &O, settings: &Settings, work: S, sink: F) -> BatchStats
where
    O: Operation,
    S: Stream<Item = Work<O::Chunk>>,
    F: FnMut(Outcome<ItemOf<O>>),
{
    let stop = Stop::default();
    let outlet = Mutex::new(Outlet {
        sink,
        stats: BatchStats::default(),
    });
    // `buffer_unordered` pulls the next piece of work only when a slot is free, so input is
    // read no faster than chunks are sent: memory stays at about concurrency x chunk size.
    let done = work
        .map(|work| process(op, settings, &stop, &outlet, work))
        .buffer_unordered(settings.concurrency.max(1));
    let mut requests = BatchStats::default();
    {
        let mut done = std::pin::pin!(done);
        while let Some(counts) = done.next().await {
            requests.absorb(&counts);
        }
    }
    let mut stats = outlet.into_inner().unwrap_or_else(PoisonError::into_inner).stats;
    stats.absorb(&requests);
    stats
}

/// Where outcomes go as soon as a chunk settles: the caller's sink, and the item counts.
/// Shared by the chunks in flight, which are all polled by the one task running the batch,
/// so the lock is never contended; it is taken once per chunk and never held across an
/// `.await`.
struct Outlet<F> {
    sink: F,
    stats: BatchStats,
}

impl<F> Outlet<F> {
    fn deliver<I>(&mut self, outcome: Outcome<I>)
    where
        F: FnMut(Outcome<I>),
    {
        self.stats.count(&outcome);
        (self.sink)(outcome);
    }
}

fn lock<F>(outlet: &Mutex<Outlet<F>>) -> MutexGuard<'_, Outlet<F>> {
    // A sink that panicked has already unwound through the run; the counts stay usable.
    outlet.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Set once a failure shows that every later request would fail too.
#[derive(Default)]
struct Stop(OnceLock<Arc<Error>>);

impl Stop {
    fn cause(&self) -> Option<Arc<Error>> {
        self.0.get().cloned()
    }

    fn set(&self, cause: &Arc<Error>) {
        // The first cause is the one reported; later ones are its consequences.
        let _ = self.0.set(Arc::clone(cause));
    }
}

/// Reports every item of `chunk` as failed for `reason`.
fn fail_all<C: Chunk, F: FnMut(Outcome<C::Item>)>(outlet: &Mutex<Outlet<F>>, chunk: C, reason: &ItemFailure) {
    let mut out = lock(outlet);
    chunk.for_each_item(|item| {
        out.deliver(Outcome::Failed(FailedItem {
            item,
            reason: reason.clone(),
        }));
    });
}

/// A chunk still to send, with the number of rate-limit answers it has had.
struct Pending<C> {
    chunk: C,
    rate_limited: u32,
}

/// The waits before resending a chunk the API rate-limited without saying for how long: from
/// the time the plan takes to refill what the chunk costs, doubling each time the same chunk
/// is refused again. Uncapped and unjittered: [`Settings::max_rate_limit_wait`] ends the run
/// once a wait grows past it, and the pacer already spreads the chunks out.
fn resend_backoff(first: Duration) -> Backoff {
    Backoff::new(first, Duration::MAX)
}

/// Sends one piece of work, resending and splitting as needed; outcomes go to `outlet` as
/// they are known, and the request-side counts are returned.
async fn process<O: Operation, F: FnMut(Outcome<ItemOf<O>>)>(
    op: &O,
    settings: &Settings,
    stop: &Stop,
    outlet: &Mutex<Outlet<F>>,
    work: Work<O::Chunk>,
) -> BatchStats {
    let mut counts = BatchStats::default();
    let chunk = match work {
        Work::Invalid(item, reason) => {
            lock(outlet).deliver(Outcome::Failed(FailedItem {
                item,
                reason: ItemFailure::Invalid(reason),
            }));
            return counts;
        }
        Work::Chunk(chunk) => chunk,
    };
    // Halves are handled here, one after the other, so a split never exceeds the concurrency.
    // The first chunk waits outside the list, which then stays unallocated unless a chunk is
    // resent or split.
    let mut first = Some(Pending {
        chunk,
        rate_limited: 0,
    });
    let mut pending = Vec::new();
    while let Some(Pending { chunk, rate_limited }) = first.take().or_else(|| pending.pop()) {
        if let Some(cause) = stop.cause() {
            fail_all(outlet, chunk, &ItemFailure::NotSent(cause));
            continue;
        }
        let mut admission = None;
        if let Some(pacer) = &settings.pacer {
            let admitted = match pacer.acquire(op.cost(&chunk)).await {
                Ok(admitted) => admitted,
                Err(unavailable) => {
                    fail_all(outlet, chunk, &ItemFailure::Unpaced(Arc::new(unavailable)));
                    continue;
                }
            };
            if !admitted.waited.is_zero() {
                counts.pacing_waits += 1;
                counts.pacing_wait += admitted.waited;
            }
            // The run may have been stopped while this chunk waited for its turn.
            if let Some(cause) = stop.cause() {
                admitted.answered().await;
                fail_all(outlet, chunk, &ItemFailure::NotSent(cause));
                continue;
            }
            admission = Some(admitted);
        }
        counts.requests += 1;
        let sent = op.send(&chunk).await;
        // The answer is in: the request's slot in the budget is dated from now.
        if let Some(admitted) = admission {
            admitted.answered().await;
        }
        let error = match sent {
            Ok(answer) => {
                let mut out = lock(outlet);
                op.settle(chunk, answer, &mut |outcome| out.deliver(outcome));
                continue;
            }
            Err(error) => error,
        };
        match classify(&error, &settings.oversize) {
            Verdict::RateLimited(asked) => {
                counts.rate_limited += 1;
                let wait =
                    asked.unwrap_or_else(|| resend_backoff(op.fallback_wait(&chunk)).delay(rate_limited));
                if rate_limited >= settings.max_resends || wait > settings.max_rate_limit_wait {
                    // The account's bucket is shared by every request of the run: if this
                    // one cannot get through, the others cannot either.
                    let cause = Arc::new(error);
                    stop.set(&cause);
                    fail_all(outlet, chunk, &ItemFailure::Request(cause));
                    continue;
                }
                if let Some(pacer) = &settings.pacer {
                    pacer.hold_off(op.cost(&chunk), wait).await;
                }
                settings.clock.sleep(wait).await;
                counts.rate_limit_wait += wait;
                counts.resends += 1;
                pending.push(Pending {
                    chunk,
                    rate_limited: rate_limited + 1,
                });
            }
            Verdict::TooManyItems if chunk.len() > 1 => {
                let (first, second) = chunk.split();
                let key = op.lower_limit(&first, first.len());
                counts.lower_limit(key, first.len());
                counts.chunks_halved += 1;
                // Popped in reverse: the first half goes first.
                pending.push(Pending {
                    chunk: second,
                    rate_limited: 0,
                });
                pending.push(Pending {
                    chunk: first,
                    rate_limited: 0,
                });
            }
            Verdict::Fatal => {
                let cause = Arc::new(error);
                stop.set(&cause);
                fail_all(outlet, chunk, &ItemFailure::Request(cause));
            }
            Verdict::TooManyItems | Verdict::Failed => {
                fail_all(outlet, chunk, &ItemFailure::Request(Arc::new(error)));
            }
        }
    }
    counts
}
