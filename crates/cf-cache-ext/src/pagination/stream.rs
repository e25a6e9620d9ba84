//! The streams a [`Paginator`](super::Paginator) turns into: the paging state machine.

use std::hash::{DefaultHasher, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use cf_cache_client::Page;
use futures::Stream;
use serde::Serialize;

use super::{FetchPage, PageError};

/// The pages of a list, in order, ending after the last page or at the first [`PageError`].
#[must_use = "streams do nothing unless polled"]
pub struct PageStream<T, F: FetchPage<T>> {
    fetch: F,
    per_page: i64,
    read_ahead: bool,
    /// The page to request next when nothing is in flight; `None` once the end is known.
    next: Option<i64>,
    /// At most one request is outstanding; with read-ahead it is the page after the one the
    /// caller holds.
    in_flight: Option<(i64, Pin<Box<F::Future>>)>,
    /// A read-ahead page that arrived before the caller asked for it.
    arrived: Option<(i64, cf_cache_client::Result<Page<T>>)>,
    /// Pages fetched so far, and the most allowed.
    fetched: u64,
    max_pages: u64,
    /// A fingerprint of the last page's items, to notice a server that ignores `page`.
    previous: Option<u64>,
    /// The guard that stopped the stream, handed out once the pages before it are.
    halted: Option<PageError>,
}

// No field is ever pinned in place (the in-flight future is boxed), so moving the stream is
// always fine whatever `F` and `T` are.
impl<T, F: FetchPage<T>> Unpin for PageStream<T, F> {}

impl<T, F: FetchPage<T>> std::fmt::Debug for PageStream<T, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageStream")
            .field("per_page", &self.per_page)
            .field("read_ahead", &self.read_ahead)
            .field("next", &self.next)
            .field("in_flight", &self.in_flight.as_ref().map(|(page, _)| page))
            .field("arrived", &self.arrived.as_ref().map(|(page, _)| page))
            .field("fetched", &self.fetched)
            .field("max_pages", &self.max_pages)
            .finish_non_exhaustive()
    }
}

impl<T: Serialize, F: FetchPage<T>> PageStream<T, F> {
    pub(super) fn new(fetch: F, start_page: i64, per_page: i64, read_ahead: bool, max_pages: u64) -> Self {
        Self {
            fetch,
            per_page,
            read_ahead,
            next: Some(start_page),
            in_flight: None,
            arrived: None,
            fetched: 0,
            max_pages,
            previous: None,
            halted: None,
        }
    }

    /// The items of every page instead, in order.
    pub fn items(self) -> ItemStream<T, F> {
        ItemStream::new(self)
    }

    fn request(&mut self, page: i64) {
        self.in_flight = Some((page, Box::pin(self.fetch.fetch(page, self.per_page))));
    }

    /// Drives the outstanding request, if any, parking its result in `arrived`.
    fn poll_in_flight(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some((page, future)) = &mut self.in_flight {
            let result = ready!(future.as_mut().poll(cx));
            self.arrived = Some((*page, result));
            self.in_flight = None;
        }
        Poll::Ready(())
    }

    fn poll_page(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Page<T>, PageError>>> {
        loop {
            if let Some((page, result)) = self.arrived.take() {
                return Poll::Ready(Some(self.deliver(page, result, cx)));
            }
            if self.in_flight.is_some() {
                ready!(self.poll_in_flight(cx));
                continue;
            }
            match self.next.take() {
                Some(page) => self.request(page),
                None => return Poll::Ready(self.halted.take().map(Err)),
            }
        }
    }

    /// Hands `page` over, deciding first whether another follows (and, with read-ahead,
    /// requesting it before the caller starts on this one).
    fn deliver(
        &mut self,
        page: i64,
        result: cf_cache_client::Result<Page<T>>,
        cx: &mut Context<'_>,
    ) -> Result<Page<T>, PageError> {
        match result {
            Err(source) => {
                self.next = None;
                Err(PageError::Fetch { page, source })
            }
            Ok(body) => {
                self.fetched += 1;
                let print = fingerprint(&body.items);
                if self.previous.replace(print) == Some(print) && !body.items.is_empty() {
                    self.next = None;
                    return Err(PageError::Repeated { page });
                }
                self.next = if is_last(page, self.per_page, &body) {
                    None
                } else {
                    page.checked_add(1)
                };
                if let Some(next) = self.next
                    && self.fetched >= self.max_pages
                {
                    self.next = None;
                    self.halted = Some(PageError::TooManyPages {
                        page: next,
                        max_pages: self.max_pages,
                    });
                }
                if self.read_ahead
                    && let Some(next) = self.next.take()
                {
                    self.request(next);
                    // Polling once sends the request now; a Pending result just means the
                    // response is still on its way and will be picked up by a later poll.
                    let _ = self.poll_in_flight(cx);
                }
                Ok(body)
            }
        }
    }
}

/// A 64-bit hash of `items` as they serialise: equal pages hash equal, and two different
/// pages colliding is a 1 in 2^64 chance. Hashing what serde writes keeps the bound on `T` to
/// what every model of the API already has; nothing is allocated.
fn fingerprint<T: Serialize>(items: &[T]) -> u64 {
    struct Sink(DefaultHasher);
    impl std::io::Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.write(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut sink = Sink(DefaultHasher::new());
    sink.0.write_usize(items.len());
    for item in items {
        // An item that cannot serialise adds nothing; the count still tells pages apart.
        let _ = serde_json::to_writer(&mut sink, item);
        sink.0.write_u8(0);
    }
    sink.0.finish()
}

/// Whether `body`, fetched as page `page`, is the last page of the list.
fn is_last<T>(page: i64, per_page: i64, body: &Page<T>) -> bool {
    if body.items.is_empty() {
        return true;
    }
    match body.result_info.and_then(|info| info.total_pages) {
        Some(total_pages) => page >= total_pages,
        None => i64::try_from(body.items.len()).is_ok_and(|len| len < per_page),
    }
}

impl<T: Serialize, F: FetchPage<T>> Stream for PageStream<T, F> {
    type Item = Result<Page<T>, PageError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_page(cx)
    }
}

/// The items of every page of a list, in order, ending after the last item or at the first
/// [`PageError`] (which follows every item of the pages before it).
#[must_use = "streams do nothing unless polled"]
pub struct ItemStream<T, F: FetchPage<T>> {
    pages: PageStream<T, F>,
    current: std::vec::IntoIter<T>,
}

// As for `PageStream`: nothing here is pinned in place.
impl<T, F: FetchPage<T>> Unpin for ItemStream<T, F> {}

impl<T, F: FetchPage<T>> std::fmt::Debug for ItemStream<T, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemStream")
            .field("pages", &self.pages)
            .field("buffered", &self.current.len())
            .finish()
    }
}

impl<T: Serialize, F: FetchPage<T>> ItemStream<T, F> {
    fn new(pages: PageStream<T, F>) -> Self {
        Self {
            pages,
            current: Vec::new().into_iter(),
        }
    }
}

impl<T: Serialize, F: FetchPage<T>> Stream for ItemStream<T, F> {
    type Item = Result<T, PageError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            // Each item handed out is also a chance to move the read-ahead request along.
            let _ = this.pages.poll_in_flight(cx);
            if let Some(item) = this.current.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match ready!(this.pages.poll_page(cx)) {
                Some(Ok(page)) => this.current = page.items.into_iter(),
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => return Poll::Ready(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::future::{Ready, ready};

    use cf_cache_client::{ConfigError, Error, InvalidRequest, ResultInfo};
    use futures::executor::block_on;
    use futures::{StreamExt, TryStreamExt};

    use super::super::paginate;
    use super::*;

    /// Serves `total` numbered items in pages, optionally with `total_pages`, recording every
    /// `(page, per_page)` requested.
    fn list(
        total: usize,
        with_info: bool,
        calls: &RefCell<Vec<(i64, i64)>>,
    ) -> impl FnMut(i64, i64) -> Ready<cf_cache_client::Result<Page<usize>>> + '_ {
        move |page, per_page| {
            calls.borrow_mut().push((page, per_page));
            let (p, n) = (page as usize, per_page as usize);
            let items: Vec<usize> = ((p - 1) * n..(p * n).min(total)).collect();
            let result_info = with_info.then(|| ResultInfo {
                page: Some(page),
                per_page: Some(per_page),
                total_pages: Some(total.div_ceil(n) as i64),
                ..ResultInfo::default()
            });
            ready(Ok(Page { items, result_info }))
        }
    }

    #[test]
    fn total_pages_stops_at_the_last_page_without_an_extra_request() {
        let calls = RefCell::new(Vec::new());
        let items: Vec<usize> = block_on(
            paginate(list(3_500, true, &calls))
                .build()
                .expect("default paging is valid")
                .items()
                .try_collect(),
        )
        .expect("no page fails");
        assert_eq!(items, (0..3_500).collect::<Vec<_>>());
        assert_eq!(calls.borrow().len(), 35);
    }

    #[test]
    fn without_total_pages_an_exact_multiple_needs_one_empty_page() {
        let calls = RefCell::new(Vec::new());
        let items: Vec<usize> = block_on(
            paginate(list(300, false, &calls))
                .build()
                .expect("valid")
                .items()
                .try_collect(),
        )
        .expect("no page fails");
        assert_eq!(items.len(), 300);
        assert_eq!(*calls.borrow(), [(1, 100), (2, 100), (3, 100), (4, 100)]);
    }

    #[test]
    fn an_empty_page_ends_the_stream_even_if_total_pages_says_more() {
        let calls = RefCell::new(0);
        let stream = paginate(|_page, _per_page| {
            *calls.borrow_mut() += 1;
            ready(Ok(Page::<u8> {
                items: Vec::new(),
                result_info: Some(ResultInfo {
                    total_pages: Some(9),
                    ..ResultInfo::default()
                }),
            }))
        })
        .build()
        .expect("valid");
        let pages: Vec<_> = block_on(stream.collect());
        assert_eq!(pages.len(), 1);
        assert_eq!(*calls.borrow(), 1);
    }

    #[test]
    fn read_ahead_requests_the_next_page_before_the_caller_asks_but_not_past_the_last() {
        let calls = RefCell::new(Vec::new());
        let mut stream = paginate(list(250, true, &calls))
            .read_ahead(true)
            .build()
            .expect("valid");
        let first = block_on(stream.next())
            .expect("a first page")
            .expect("it succeeds");
        assert_eq!(first.items.len(), 100);
        assert_eq!(
            *calls.borrow(),
            [(1, 100), (2, 100)],
            "page 2 is requested when page 1 is handed over"
        );
        let _ = block_on(stream.next());
        let last = block_on(stream.next())
            .expect("a third page")
            .expect("it succeeds");
        assert_eq!(last.items.len(), 50);
        assert_eq!(calls.borrow().len(), 3, "nothing is read ahead past total_pages");
        assert!(block_on(stream.next()).is_none());
    }

    #[test]
    fn an_error_names_its_page_and_ends_the_stream() {
        let calls = RefCell::new(Vec::new());
        let stream = paginate(|page, _per_page| {
            calls.borrow_mut().push(page);
            ready(if page == 2 {
                Err(Error::InvalidRequest(InvalidRequest {
                    field: "zone_id".into(),
                    reason: "stand-in failure".into(),
                }))
            } else {
                Ok(Page {
                    items: vec![page; 10],
                    result_info: None,
                })
            })
        })
        .per_page(10)
        .read_ahead(true)
        .build()
        .expect("valid")
        .items();
        let seen: Vec<Result<i64, PageError>> = block_on(stream.collect());
        assert_eq!(seen.len(), 11, "ten items of page 1, then the error");
        assert!(seen[..10].iter().all(|r| matches!(r, Ok(1))));
        assert!(matches!(&seen[10], Err(PageError::Fetch { page: 2, .. })));
        assert_eq!(*calls.borrow(), [1, 2]);
    }

    #[test]
    fn a_list_that_never_ends_stops_at_the_default_max_pages() {
        let calls = RefCell::new(0);
        let stream = paginate(|page, _per_page| {
            *calls.borrow_mut() += 1;
            ready(Ok(Page {
                items: vec![page],
                result_info: None,
            }))
        })
        .per_page(1)
        .build()
        .expect("valid");
        let pages: Vec<_> = block_on(stream.collect());
        assert_eq!(pages.len(), 10_001, "10,000 pages, then the error");
        assert!(matches!(
            pages[10_000],
            Err(PageError::TooManyPages {
                page: 10_001,
                max_pages: 10_000
            })
        ));
        assert_eq!(*calls.borrow(), 10_000);
    }

    #[test]
    fn read_ahead_never_requests_a_page_past_max_pages() {
        let calls = RefCell::new(Vec::new());
        let stream = paginate(list(1_000, true, &calls))
            .max_pages(3)
            .read_ahead(true)
            .build()
            .expect("valid")
            .items();
        let seen: Vec<_> = block_on(stream.collect());
        assert_eq!(seen.len(), 301);
        assert!(matches!(seen[300], Err(PageError::TooManyPages { page: 4, .. })));
        assert_eq!(calls.borrow().len(), 3);
    }

    #[test]
    fn a_page_equal_to_the_previous_one_ends_the_stream() {
        let calls = RefCell::new(0);
        let stream = paginate(|_page, per_page| {
            *calls.borrow_mut() += 1;
            ready(Ok(Page {
                items: vec![7u8; per_page as usize],
                result_info: None,
            }))
        })
        .build()
        .expect("valid")
        .items();
        let seen: Vec<_> = block_on(stream.collect());
        assert_eq!(seen.len(), 101);
        assert!(matches!(seen[100], Err(PageError::Repeated { page: 2 })));
        assert_eq!(*calls.borrow(), 2);
    }

    #[test]
    fn bad_paging_parameters_are_refused_before_any_fetch() {
        let calls = RefCell::new(Vec::new());
        for (start, per_page, setting) in [(1, 0, "per_page"), (1, 101, "per_page"), (0, 100, "start_page")] {
            let refused = paginate(list(10, true, &calls))
                .start_page(start)
                .per_page(per_page)
                .build()
                .err()
                .unwrap_or_else(|| panic!("start {start}, per_page {per_page} must be refused"));
            assert!(
                matches!(refused, ConfigError::InvalidSetting { setting: s, .. } if s == setting),
                "{refused:?}"
            );
        }
        let refused = paginate(list(10, true, &calls)).max_pages(0).build().err();
        assert!(
            matches!(
                refused,
                Some(ConfigError::InvalidSetting {
                    setting: "max_pages",
                    ..
                })
            ),
            "{refused:?}"
        );
        assert!(calls.borrow().is_empty());
    }
}
