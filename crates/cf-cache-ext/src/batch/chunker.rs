//! Turns a stream of items into a stream of work for the engine: each item is checked, the
//! invalid ones pass straight through to be reported, the rest are gathered into chunks.

use std::sync::atomic::{AtomicUsize, Ordering};

use futures::{Stream, StreamExt, stream};

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
    // `None` marks the end of the input, where the partly filled chunks are flushed.
    items.map(Some).chain(stream::iter([None])).flat_map(move |item| {
        let out: Vec<Work<C::Chunk>> = match item {
            Some(item) => cutter.push(item).into_iter().collect(),
            None => cutter.finish().into_iter().map(Work::Chunk).collect(),
        };
        stream::iter(out)
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
    pub(crate) fn fill(&mut self, item: T, limit: &Limit) -> Option<Vec<T>> {
        self.0.push(item);
        (self.0.len() >= limit.get()).then(|| std::mem::take(&mut self.0))
    }

    /// Whatever the lane holds, if anything.
    pub(crate) fn drain(&mut self) -> Option<Vec<T>> {
        (!self.0.is_empty()).then(|| std::mem::take(&mut self.0))
    }
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
