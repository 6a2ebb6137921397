//! The time channels: `after`/`at` (one message at a deadline), `tick` (a message every
//! period) and `never` (nothing, ever). Their messages are the `Instant`s at which they
//! were due.
//!
//! They hold no timer of their own. A receive that must wait sleeps until the due time
//! through a [`Context`] with a deadline, which inside a goroutine is a timer on its
//! runtime's timer heaps (the goroutine parks, its M runs others) and outside one a timed
//! thread park. In a `select!` their due time becomes the select's deadline, so a select
//! on a channel and `after(d)` parks once, on both.
//!
//! Like Go's `time.Ticker` (and unlike a queue), a tick channel holds at most one due
//! tick: a slow receiver gets the oldest one it missed and then the next on the period's
//! grid; the ticks in between are dropped.

use std::time::{Duration, Instant};

use crate::context::Context;
use crate::err::{RecvTimeoutError, TryRecvError};
use crate::sync::{AtomicBool, Mutex, Ordering};

/// Sleeps until `deadline` (forever with `None`). Returns at once, without sleeping, when a
/// goroutine is being unwound by its runtime's shutdown.
pub(crate) fn sleep_until(deadline: Option<Instant>) {
    loop {
        Context::with(|cx| cx.wait(deadline));
        if deadline.is_some_and(|d| crate::sync::now() >= d) || gpm_g::shutting_down() {
            return;
        }
    }
}

/// Shared waiting logic: `poll` until it yields, sleeping until `due()` in between, but not
/// past `deadline`.
fn recv_with(
    deadline: Option<Instant>,
    mut poll: impl FnMut() -> Result<Instant, TryRecvError>,
    due: impl Fn() -> Option<Instant>,
) -> Result<Instant, RecvTimeoutError> {
    loop {
        if let Ok(t) = poll() {
            return Ok(t);
        }
        let wake = match (due(), deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if deadline.is_some_and(|d| crate::sync::now() >= d) {
            return Err(RecvTimeoutError::Timeout);
        }
        if gpm_g::shutting_down() {
            return Err(RecvTimeoutError::Disconnected);
        }
        sleep_until(wake);
    }
}

/// `after(d)` / `at(t)`: delivers `when` once.
pub(crate) struct At {
    when: Instant,
    delivered: AtomicBool,
}

impl At {
    pub(crate) fn new(when: Instant) -> At {
        At {
            when,
            delivered: AtomicBool::new(false),
        }
    }

    pub(crate) fn try_recv(&self) -> Result<Instant, TryRecvError> {
        if self.is_ready() && !self.delivered.swap(true, Ordering::AcqRel) {
            Ok(self.when)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<Instant, RecvTimeoutError> {
        recv_with(deadline, || self.try_recv(), || self.due())
    }

    /// When a waiting select should look again.
    pub(crate) fn due(&self) -> Option<Instant> {
        (!self.delivered.load(Ordering::Acquire)).then_some(self.when)
    }

    fn is_ready(&self) -> bool {
        !self.delivered.load(Ordering::Acquire) && crate::sync::now() >= self.when
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.is_ready())
    }
}

/// `tick(d)`: delivers the due tick, then the next one a period later on the grid.
pub(crate) struct Tick {
    next: Mutex<Instant>,
    period: Duration,
}

impl Tick {
    /// Ticks every `period`, the first at `first`.
    pub(crate) fn new(first: Instant, period: Duration) -> Tick {
        Tick {
            next: Mutex::new(first),
            period,
        }
    }

    pub(crate) fn try_recv(&self) -> Result<Instant, TryRecvError> {
        let mut next = self.next.lock();
        let now = crate::sync::now();
        if now < *next {
            return Err(TryRecvError::Empty);
        }
        let due = *next;
        *next = self.after(due, now);
        Ok(due)
    }

    /// The first tick of the grid `due + k·period` that lies after `now`.
    fn after(&self, due: Instant, now: Instant) -> Instant {
        let p = self.period.as_nanos().max(1);
        let late = now.duration_since(due).as_nanos();
        let steps = late / p + 1;
        let step = |k: u128| Duration::from_nanos(u64::try_from(k * p).unwrap_or(u64::MAX));
        due.checked_add(step(steps)).unwrap_or(now + self.period)
    }

    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<Instant, RecvTimeoutError> {
        recv_with(deadline, || self.try_recv(), || self.due())
    }

    pub(crate) fn due(&self) -> Option<Instant> {
        Some(*self.next.lock())
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(crate::sync::now() >= *self.next.lock())
    }
}

/// `never()`: a receive that waits until its deadline, or forever.
pub(crate) fn never_recv(deadline: Option<Instant>) -> RecvTimeoutError {
    match recv_with(deadline, || Err(TryRecvError::Empty), || None) {
        Err(e) => e,
        Ok(_) => unreachable!("gpm: a never channel delivered"),
    }
}
