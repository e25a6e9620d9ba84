//! Turns a stream of items into a stream of work for the engine: each item is checked, the
//! invalid ones pass straight through to be reported, the rest are gathered into chunks.

use std::sync::atomic::{AtomicUsize, Ordering};

use std::task::{Poll, ready};

use futures::{Stream, stream};

use super::engine::{Chunk, Work};

/// Gathers checked items into chunks.
pub(crate) trait Cutter {
    type Item;
    type Chunk: Chunk<Item = Self::Item>;
    /// Checks `item` and adds it to its chunk; returns work when there is some to hand on.
    fn push(&mut self, item: Self::Item) -> Option<Work<Self::Chunk>>;
    /// The partly filled chunks left when the input ends.
    fn finish(&mut self) -> Vec<Self::Chunk>;
}

/// The work for `items`, cut by `cutter`, produced as the items arrive.
pub(crate) fn work<S, C>(items: S, mut cutter: C) -> impl Stream<Item = Work<C::Chunk>>
where
    S: Stream<Item = C::Item>,
    C: Cutter,
{
    let mut items = Box::pin(items);
    // The partly filled chunks, once the input has ended.
    let mut rest: Option<std::vec::IntoIter<C::Chunk>> = None;
    // Items are pulled until one completes a chunk or is refused, so a poll reads at most a
    // chunk's worth of input.
    stream::poll_fn(move |cx| {
        loop {
            if let Some(rest) = &mut rest {
                return Poll::Ready(rest.next().map(Work::Chunk));
            }
            match ready!(items.as_mut().poll_next(cx)) {
                Some(item) => {
                    if let Some(work) = cutter.push(item) {
                        return Poll::Ready(Some(work));
                    }
                }
                None => rest = Some(cutter.finish().into_iter()),
            }
        }
    })
}

/// Items of one kind waiting to fill a chunk.
#[derive(Debug)]
pub(crate) struct Lane<T>(Vec<T>);

// Derived `Default` would demand `T: Default`.
impl<T> Default for Lane<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> Lane<T> {
    /// Adds `item`; returns the lane's items once there are `limit` of them.
    #[inline]
    pub(crate) fn fill(&mut self, item: T, limit: &Limit) -> Option<Vec<T>> {
        let limit = limit.get();
        if self.0.capacity() == 0 {
            // Sized for a whole chunk at once rather than grown four or five times.
            self.0.reserve_exact(limit);
        }
        self.0.push(item);
        (self.0.len() >= limit).then(|| std::mem::take(&mut self.0))
    }

    /// Whatever the lane holds, if anything.
    pub(crate) fn drain(&mut self) -> Option<Vec<T>> {
        (!self.0.is_empty()).then(|| std::mem::take(&mut self.0))
    }
}

/// The smallest of `limits` (several forms of one request list may each state a cap: a
/// chunk must fit all of them). `usize::MAX` for none.
pub(crate) const fn smallest(limits: &[usize]) -> usize {
    let mut out = usize::MAX;
    let mut i = 0;
    while i < limits.len() {
        if limits[i] < out {
            out = limits[i];
        }
        i += 1;
    }
    out
}

/// Splits `items` in two, the first half never the smaller.
pub(crate) fn halve<T>(mut items: Vec<T>) -> (Vec<T>, Vec<T>) {
    let back = items.split_off(items.len().div_ceil(2));
    (items, back)
}

/// A per-request item limit that the run can lower when the API refuses a chunk as too large,
/// shared by the cutter (which cuts new chunks at it) and the engine (which lowers it).
#[derive(Debug)]
pub(crate) struct Limit(AtomicUsize);

impl Limit {
    pub(crate) fn new(items: usize) -> Self {
        Self(AtomicUsize::new(items))
    }

    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed).max(1)
    }

    pub(crate) fn lower_to(&self, items: usize) {
        self.0.fetch_min(items.max(1), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cf_cache_client::InvalidRequest;
    use futures::StreamExt;

    /// Numbers in chunks; odd numbers are "invalid".
    struct Evens {
        lane: Lane<u32>,
        limit: Limit,
    }

    impl Chunk for Vec<u32> {
        type Item = u32;
        fn len(&self) -> usize {
            Vec::len(self)
        }
        fn split(self) -> (Self, Self) {
            halve(self)
        }
        fn into_items(self) -> Vec<u32> {
            self
        }
    }

    impl Cutter for Evens {
        type Item = u32;
        type Chunk = Vec<u32>;
        fn push(&mut self, item: u32) -> Option<Work<Vec<u32>>> {
            if item % 2 == 1 {
                let reason = InvalidRequest {
                    field: "n".into(),
                    reason: "odd".into(),
                };
                return Some(Work::Invalid(item, reason));
            }
            self.lane.fill(item, &self.limit).map(Work::Chunk)
        }
        fn finish(&mut self) -> Vec<Vec<u32>> {
            self.lane.drain().into_iter().collect()
        }
    }

    fn describe(work: Work<Vec<u32>>) -> String {
        match work {
            Work::Invalid(n, _) => format!("invalid {n}"),
            Work::Chunk(chunk) => format!("{chunk:?}"),
        }
    }

    #[test]
    fn chunks_fill_to_the_limit_and_the_rest_is_flushed_at_the_end() {
        let cutter = Evens {
            lane: Lane::default(),
            limit: Limit::new(3),
        };
        let out: Vec<String> = futures::executor::block_on(
            work(stream::iter([2, 4, 5, 6, 8, 10, 12, 14]), cutter)
                .map(describe)
                .collect(),
        );
        assert_eq!(out, ["invalid 5", "[2, 4, 6]", "[8, 10, 12]", "[14]"]);
    }

    #[test]
    fn no_input_means_no_work() {
        let cutter = Evens {
            lane: Lane::default(),
            limit: Limit::new(3),
        };
        let out: Vec<String> =
            futures::executor::block_on(work(stream::iter([]), cutter).map(describe).collect());
        assert!(out.is_empty());
    }

    #[test]
    fn a_lowered_limit_applies_to_the_next_chunk_and_never_reaches_zero() {
        let limit = Limit::new(100);
        limit.lower_to(30);
        limit.lower_to(50);
        assert_eq!(limit.get(), 30);
        limit.lower_to(0);
        assert_eq!(limit.get(), 1);
    }
}
