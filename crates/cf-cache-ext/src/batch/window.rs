//! The API-wide request budget (1,200 requests in any 5 minutes) as an exact sliding window.
//!
//! Cloudflare counts a request when it *arrives*, which the client never sees. What it does
//! see brackets the arrival: a request is sent after it was admitted here (admission <=
//! arrival) and its answer comes back after it arrived (arrival <= answer). So each request
//! holds a *slot*: from admission until its answer it is in flight and counts as occupying
//! the window whatever the time; once answered, its slot is dated at the answer (plus
//! [`SAFETY_MARGIN`]) and counts for one window length from then. A new request is admitted
//! while in-flight plus dated slots stay under the budget.
//!
//! Why that is exact: take any window of the server's, and the request in it that was
//! admitted last, at time `s`. Every other request `j` in that window arrived at `a_j >= a -
//! length >= s - length` (where `a >= s` is the last one's arrival), and was admitted
//! earlier; at `s` it was either still in flight or answered at `c_j >= a_j >= s - length`,
//! so it was counted. Admission needed fewer than `budget` counted, so the window holds at
//! most `budget`. Nothing is spread out: after a quiet spell the whole budget may go at once,
//! and in the long run the window lets through `budget` requests per length plus latency plus
//! margin, which is what the server's count allows.
//!
//! Time is a plain [`Duration`] since an origin the caller picks (the pacer's creation), so
//! this module never reads a clock: the pacer turns its clock into these offsets.

use std::collections::VecDeque;
use std::time::Duration;

use super::plan::WindowLimit;

/// Added to each slot's date. It absorbs what the bracket above does not: the server's clock
/// running a little faster than ours over five minutes (crystal drift is parts per million:
/// well under 10 ms over 300 s), and a server that counts in whole seconds (its `t` and
/// `retry-after` are whole seconds, so it may date an arrival to the start of its second).
/// One second covers both with room to spare and costs a third of a percent of throughput
/// when the budget binds (slots last 301 s instead of 300 s).
pub(crate) const SAFETY_MARGIN: Duration = Duration::from_secs(1);

/// Why a request may not go yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blocked {
    /// Try again at this time (a slot expires, a hold-off or a server cap ends).
    Until(Duration),
    /// Every counted slot is in flight: nothing frees one until an answer comes back. Only
    /// possible when the budget is no larger than the requests in flight.
    OnAnswer,
}

/// The state of one budget.
#[derive(Debug)]
pub(crate) struct SlidingWindow {
    limit: WindowLimit,
    /// The budget in force: the configured one, or the server's quota when that is lower.
    budget: u32,
    margin: Duration,
    /// Dates of the answered slots still counted, oldest first.
    answered: VecDeque<Duration>,
    in_flight: u32,
    /// No admission before this (a `retry-after`, a 429 seen by another part of the run).
    hold_until: Duration,
    cap: Option<Cap>,
}

/// What the server last said is left: `left` more admissions, until its count grows at
/// `until`. By how much it grows the server does not say (Cloudflare's `t` may mean the time
/// until the whole window resets, or until its oldest request leaves it), so from then on one
/// request goes to ask and the others wait for its answer. Once a whole window has passed
/// since the word (`expires`), everything the server had counted has left its window.
#[derive(Debug, Clone, Copy)]
struct Cap {
    until: Duration,
    left: u32,
    expires: Duration,
    asking: bool,
}

impl SlidingWindow {
    pub(crate) fn new(limit: WindowLimit) -> Self {
        Self::with_margin(limit, SAFETY_MARGIN)
    }

    pub(crate) fn with_margin(limit: WindowLimit, margin: Duration) -> Self {
        Self {
            limit,
            budget: limit.requests(),
            margin,
            answered: VecDeque::new(),
            in_flight: 0,
            hold_until: Duration::ZERO,
            cap: None,
        }
    }

    pub(crate) fn limit(&self) -> WindowLimit {
        self.limit
    }

    /// Admits one request at `now` (it is then in flight), or says until when it must wait.
    pub(crate) fn try_admit(&mut self, now: Duration) -> Result<(), Blocked> {
        self.expire(now);
        if now < self.hold_until {
            return Err(Blocked::Until(self.hold_until));
        }
        let counted = self.counted();
        if counted >= self.budget {
            // The window frees a slot when enough answered ones expire; in-flight ones cannot.
            let must_expire = (counted - self.budget) as usize;
            return match self.answered.get(must_expire) {
                Some(&date) => Err(Blocked::Until(self.expiry(date))),
                None => Err(Blocked::OnAnswer),
            };
        }
        if self.cap.is_some_and(|cap| now >= cap.expires) {
            self.cap = None;
        }
        if let Some(cap) = &mut self.cap {
            if cap.left > 0 {
                cap.left -= 1;
            } else if now < cap.until {
                return Err(Blocked::Until(cap.until));
            } else if cap.asking {
                return Err(if self.in_flight > 0 {
                    Blocked::OnAnswer
                } else {
                    Blocked::Until(cap.expires)
                });
            } else {
                cap.asking = true;
            }
        }
        self.in_flight += 1;
        Ok(())
    }

    /// The answer to an admitted request came back at `now`: its slot is dated.
    pub(crate) fn answered(&mut self, now: Duration) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.date(now);
    }

    /// A request this window did not admit (a retry the client made on its own) was answered
    /// at `now`: it still counts against the budget.
    pub(crate) fn unadmitted(&mut self, now: Duration) {
        self.date(now);
    }

    /// No admission before `until`.
    pub(crate) fn hold_until(&mut self, until: Duration) {
        self.hold_until = self.hold_until.max(until);
    }

    /// The server said, in the answer to one of the requests in flight, seen at `now`, that
    /// `remaining` requests are left until `reset` from now. The latest word replaces the
    /// previous one. The other requests in flight may have arrived after that one, so they
    /// are taken off what is left.
    pub(crate) fn server_remaining(&mut self, now: Duration, remaining: u32, reset: Duration) {
        let others = self.in_flight.saturating_sub(1);
        self.cap = Some(Cap {
            until: now.saturating_add(reset),
            left: remaining.saturating_sub(others),
            expires: now.saturating_add(self.limit.window()),
            asking: false,
        });
    }

    /// The server's quota for a window of `window`: below the configured budget, it is the
    /// budget (the configured one comes back if the server raises it again).
    pub(crate) fn server_quota(&mut self, quota: u32, window: Duration) {
        if window == self.limit.window() {
            self.budget = self.limit.requests().min(quota);
        }
    }

    /// Slots counted now: in flight and answered within the window.
    fn counted(&self) -> u32 {
        self.in_flight
            .saturating_add(u32::try_from(self.answered.len()).unwrap_or(u32::MAX))
    }

    fn date(&mut self, now: Duration) {
        let date = now.saturating_add(self.margin);
        // Answers are dated on a clock that should only move forward; should it not, the
        // list is kept in order anyway.
        let at = self.answered.partition_point(|&d| d <= date);
        self.answered.insert(at, date);
    }

    /// The first time `date` no longer counts: windows are closed at both ends, so a slot
    /// still counts exactly one length after its date.
    fn expiry(&self, date: Duration) -> Duration {
        date.saturating_add(self.limit.window())
            .saturating_add(Duration::from_nanos(1))
    }

    fn expire(&mut self, now: Duration) {
        while let Some(&date) = self.answered.front() {
            if self.expiry(date) > now {
                break;
            }
            self.answered.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MIN: Duration = Duration::from_secs(60);

    fn limit(requests: u32, window: Duration) -> WindowLimit {
        WindowLimit::new(requests, window).unwrap_or_else(|| panic!("non-zero"))
    }

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn a_quiet_window_lets_the_whole_budget_through_at_once() {
        let mut w = SlidingWindow::new(limit(1_200, 5 * MIN));
        for _ in 0..1_200 {
            assert_eq!(w.try_admit(s(10)), Ok(()));
        }
        assert_eq!(w.try_admit(s(10)), Err(Blocked::OnAnswer));
    }

    #[test]
    fn an_answered_slot_counts_one_window_from_its_answer_plus_the_margin() {
        let mut w = SlidingWindow::new(limit(2, 5 * MIN));
        w.try_admit(s(0)).unwrap_or_else(|b| panic!("{b:?}"));
        w.try_admit(s(0)).unwrap_or_else(|b| panic!("{b:?}"));
        w.answered(s(2));
        w.answered(s(3));
        let first_free = s(2) + SAFETY_MARGIN + 5 * MIN + Duration::from_nanos(1);
        assert_eq!(w.try_admit(s(100)), Err(Blocked::Until(first_free)));
        assert_eq!(
            w.try_admit(first_free - Duration::from_nanos(1)),
            Err(Blocked::Until(first_free))
        );
        assert_eq!(w.try_admit(first_free), Ok(()));
        let second_free = s(3) + SAFETY_MARGIN + 5 * MIN + Duration::from_nanos(1);
        assert_eq!(w.try_admit(first_free), Err(Blocked::Until(second_free)));
    }

    #[test]
    fn a_hold_off_stops_admissions_until_it_ends() {
        let mut w = SlidingWindow::new(limit(10, 5 * MIN));
        w.hold_until(s(300));
        assert_eq!(w.try_admit(s(1)), Err(Blocked::Until(s(300))));
        assert_eq!(w.try_admit(s(300)), Ok(()));
    }

    #[test]
    fn what_the_server_says_is_left_caps_admissions_until_its_reset() {
        let mut w = SlidingWindow::new(limit(1_200, 5 * MIN));
        w.try_admit(s(0)).unwrap_or_else(|b| panic!("{b:?}"));
        w.try_admit(s(0)).unwrap_or_else(|b| panic!("{b:?}"));
        // Other clients of the token used most of it: the answer to one of ours says 4 are
        // left, and our other request in flight may not have been counted yet.
        w.server_remaining(s(1), 4, s(30));
        w.answered(s(1));
        for _ in 0..3 {
            assert_eq!(w.try_admit(s(1)), Ok(()));
        }
        assert_eq!(w.try_admit(s(1)), Err(Blocked::Until(s(31))));
        // At the reset one request goes to ask; the others wait for its answer.
        assert_eq!(w.try_admit(s(31)), Ok(()));
        assert_eq!(w.try_admit(s(31)), Err(Blocked::OnAnswer));
        w.server_remaining(s(32), 100, s(30));
        assert_eq!(w.try_admit(s(32)), Ok(()));
    }

    #[test]
    fn a_server_that_stops_telling_is_believed_for_one_window_after_its_last_word() {
        let mut w = SlidingWindow::new(limit(1_200, 5 * MIN));
        w.try_admit(s(0)).unwrap_or_else(|b| panic!("{b:?}"));
        w.server_remaining(s(1), 0, s(10));
        w.answered(s(1));
        assert_eq!(w.try_admit(s(1)), Err(Blocked::Until(s(11))));
        assert_eq!(w.try_admit(s(11)), Ok(()));
        w.answered(s(12));
        // The asking request's answer said nothing: wait until the word is a window old.
        assert_eq!(w.try_admit(s(12)), Err(Blocked::Until(s(301))));
        assert_eq!(w.try_admit(s(301)), Ok(()));
        assert_eq!(w.try_admit(s(301)), Ok(()));
    }

    #[test]
    fn a_lower_quota_from_the_server_lowers_the_budget_and_a_higher_one_does_not_raise_it() {
        let mut w = SlidingWindow::new(limit(5, 5 * MIN));
        w.server_quota(2, 5 * MIN);
        w.try_admit(s(0)).unwrap_or_else(|b| panic!("{b:?}"));
        w.try_admit(s(0)).unwrap_or_else(|b| panic!("{b:?}"));
        assert_eq!(w.try_admit(s(0)), Err(Blocked::OnAnswer));
        w.server_quota(100, 5 * MIN);
        for _ in 0..3 {
            assert_eq!(w.try_admit(s(0)), Ok(()));
        }
        assert_eq!(w.try_admit(s(0)), Err(Blocked::OnAnswer));
        // A quota over another window length is not this budget's.
        w.server_quota(1, MIN);
        assert_eq!(w.limit().requests(), 5);
    }

    /// One request of the simulation: when it may first be tried, how long it takes to reach
    /// the server once sent, and how long its answer then takes.
    #[derive(Debug, Clone)]
    struct Request {
        ready_after: Duration,
        to_server: Duration,
        to_client: Duration,
    }

    fn requests() -> impl Strategy<Value = Vec<Request>> {
        let ms = |max: u64| (0..=max).prop_map(Duration::from_millis);
        proptest::collection::vec(
            (ms(20_000), ms(8_000), ms(8_000)).prop_map(|(ready_after, to_server, to_client)| Request {
                ready_after,
                to_server,
                to_client,
            }),
            1..120,
        )
    }

    /// Drives `requests` through a window of `budget` per `length` with `concurrency` in
    /// flight, on a virtual clock; returns the server's arrival times.
    fn simulate(budget: u32, length: Duration, concurrency: usize, requests: &[Request]) -> Vec<Duration> {
        let mut window = SlidingWindow::new(limit(budget, length));
        let mut now = Duration::ZERO;
        let mut ready = Duration::ZERO;
        let mut next = 0;
        let mut in_flight: Vec<Duration> = Vec::new();
        let mut arrivals = Vec::new();
        let mut wake: Option<Duration> = None;
        while next < requests.len() || !in_flight.is_empty() {
            // Answers due by now come back first.
            in_flight.sort_unstable();
            while in_flight.first().is_some_and(|&t| t <= now) {
                window.answered(in_flight.remove(0));
            }
            wake = wake.filter(|&w| w > now);
            // Then everything that may go, goes.
            while next < requests.len() && in_flight.len() < concurrency && wake.is_none() {
                let request = &requests[next];
                let at = ready.max(now);
                if at > now {
                    wake = Some(at);
                    break;
                }
                match window.try_admit(now) {
                    Ok(()) => {
                        arrivals.push(now + request.to_server);
                        in_flight.push(now + request.to_server + request.to_client);
                        next += 1;
                        ready = now + requests.get(next).map_or(Duration::ZERO, |r| r.ready_after);
                    }
                    Err(Blocked::Until(t)) => {
                        assert!(t > now, "a wait into the past at {now:?}: {t:?}");
                        wake = Some(t);
                    }
                    Err(Blocked::OnAnswer) => {
                        assert!(!in_flight.is_empty(), "waiting for an answer with none in flight");
                        break;
                    }
                }
            }
            let answer = in_flight.iter().min().copied();
            now = match (answer, wake) {
                (Some(a), Some(w)) => a.min(w),
                (Some(t), None) | (None, Some(t)) => t,
                (None, None) => break,
            };
        }
        assert_eq!(arrivals.len(), requests.len(), "every request went");
        arrivals
    }

    /// The most arrivals any closed window of `length` holds.
    fn busiest(mut arrivals: Vec<Duration>, length: Duration) -> usize {
        arrivals.sort_unstable();
        (0..arrivals.len())
            .map(|i| arrivals[i..].partition_point(|&a| a <= arrivals[i] + length))
            .max()
            .unwrap_or(0)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn no_window_of_the_server_ever_holds_more_than_the_budget(
            budget in 1u32..12,
            concurrency in 1usize..10,
            length_secs in 1u64..60,
            requests in requests(),
        ) {
            let length = s(length_secs);
            let arrivals = simulate(budget, length, concurrency, &requests);
            let busiest = busiest(arrivals, length);
            prop_assert!(busiest <= budget as usize, "{busiest} arrivals in one window of {length:?}");
        }
    }

    #[test]
    fn with_no_latency_a_burst_of_the_budget_goes_and_then_one_per_expiry() {
        let instant = Request {
            ready_after: Duration::ZERO,
            to_server: Duration::ZERO,
            to_client: Duration::ZERO,
        };
        let arrivals = simulate(3, s(10), 8, &vec![instant; 7]);
        let step = s(10) + SAFETY_MARGIN + Duration::from_nanos(1);
        assert_eq!(
            arrivals,
            [
                Duration::ZERO,
                Duration::ZERO,
                Duration::ZERO,
                step,
                step,
                step,
                step * 2
            ]
        );
    }
}
