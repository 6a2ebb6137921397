//! The G state word and the park/ready protocol.
//!
//! One byte holds where a G is in its life plus a `NOTIFIED` bit:
//!
//! ```text
//!            pick from a run queue            park(after): switch out, run after() on the
//!  RUNNABLE ───────────────────────▶ RUNNING  scheduler side, then commit  RUNNING → PARKED
//!     ▲  ▲                            │   │                                    │
//!     │  └────── yield ───────────────┘   └─ NOTIFIED set (a ready came before  │
//!     │                                      the commit): requeued, or the next │
//!     │                                      park returns without switching     │
//!     │        ready(): the one waker that wins the CAS enqueues the G         │
//!     └──────────────────────────────────── PARKED ◀──────────────────────────┘
//! ```
//!
//! The rules, which the loom model in `tests/loom_state.rs` checks:
//!
//! 1. `park(after)` switches to the scheduler with the G still `RUNNING`, and only there runs
//!    `after` (Go's `gopark`/`unlockf`), then commits `RUNNING → PARKED` with one CAS. A
//!    waker can learn of the G only through what `after` publishes, and the G is `PARKED`
//!    only once it has left its stack, so no waker can resume a G that still runs on it.
//! 2. `ready` is a CAS loop. `PARKED → RUNNABLE` makes the caller responsible for enqueueing
//!    the G, exactly once. On `RUNNING` (the G has not committed its park yet, or has not
//!    even begun it) it sets `NOTIFIED` instead. The commit then fails and the scheduler
//!    enqueues the G itself; a G that sees the bit before it switches out consumes it and
//!    does not switch at all. A second `ready` finds `RUNNABLE` or the bit already set and
//!    does nothing. So a ready is never lost and never doubled.
//! 3. Only the scheduler that runs the G writes its base state; wakers only CAS
//!    `PARKED → RUNNABLE` or set `NOTIFIED`. So `RUNNING | NOTIFIED` is left only by the G's
//!    own M, which is why consuming the bit is a plain store.
//!
//! Rejected: an intermediate `PARKING` state, set with a CAS on the G's stack before the
//! switch (this crate's first design). It told a ready during the hook from one before the
//! park, which nothing needs, for one more read-modify-write on every park.
//!
//! Orderings: every transition a waker takes part in is `AcqRel`, so what the G wrote
//! before parking (and what `after` published) happens-before whatever runs it next.

use crate::sync::{AtomicU8, Ordering};

const BASE: u8 = 0x0f;
/// In a run queue (or about to be put in one) and not running.
pub const RUNNABLE: u8 = 0;
/// Running on an M.
pub const RUNNING: u8 = 1;
/// Parked: only a `ready` can make it runnable again.
pub const PARKED: u8 = 2;
/// Finished, or unwound at runtime shutdown.
pub const DEAD: u8 = 3;
/// A `ready` arrived while the G was `RUNNING` (before its park was committed).
pub const NOTIFIED: u8 = 0x10;

/// What a [`State::ready_how`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readied {
    /// The G was parked: the caller must enqueue it.
    Enqueue,
    /// The G had not committed a park: its M requeues it when the commit fails, or its
    /// next park returns at once.
    Early,
    /// The G was runnable, finished, or already notified.
    Nothing,
}

/// What the scheduler must do with a G after its park hook ran.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Commit {
    /// The G is parked; whoever readies it will enqueue it.
    Parked,
    /// A ready arrived during the hook (or the hook refused): enqueue the G now.
    Requeue,
}

/// The atomic state of one G.
#[derive(Debug)]
pub struct GState(AtomicU8);

impl Default for GState {
    fn default() -> Self {
        Self::new()
    }
}

impl GState {
    /// A new G is runnable.
    pub fn new() -> GState {
        GState(AtomicU8::new(RUNNABLE))
    }

    /// The current value (base state plus `NOTIFIED`), for assertions and debugging.
    #[inline]
    pub fn load(&self) -> u8 {
        self.0.load(Ordering::Acquire)
    }

    /// Scheduler: a runnable G was taken from a queue and is about to run. A `NOTIFIED`
    /// bit kept across a yield stays set. A plain load and store: no waker writes the state
    /// of a `RUNNABLE` G (`ready` leaves it alone), so nothing can change it in between.
    #[inline]
    pub fn start(&self) {
        let cur = self.0.load(Ordering::Acquire);
        debug_assert_eq!(cur & BASE, RUNNABLE, "start on a G that is not runnable");
        self.0.store((cur & !BASE) | RUNNING, Ordering::Release);
    }

    /// Scheduler: the G yielded and goes back to a run queue.
    #[inline]
    pub fn yielded(&self) {
        self.set_base(RUNNABLE);
    }

    /// G side, before switching out in `park`: consumes a pending `NOTIFIED` token.
    /// Returns `true` if there was one (`park` then returns at once), `false` if the G must
    /// switch out. Reads only, when there is none: a ready that lands after this load sets
    /// the bit, which [`GState::commit_park`] finds.
    #[inline]
    pub fn take_token(&self) -> bool {
        let cur = self.0.load(Ordering::Acquire);
        debug_assert_eq!(cur & BASE, RUNNING, "park on a G that is not running");
        if cur & NOTIFIED == 0 {
            return false;
        }
        // Rule 3: no waker writes `RUNNING | NOTIFIED`, so a store cannot lose anything.
        self.0.store(RUNNING, Ordering::Release);
        true
    }

    /// Scheduler: the park hook returned `true`. Commits the park unless a ready came
    /// in first.
    #[inline]
    pub fn commit_park(&self) -> Commit {
        if self.cas(RUNNING, PARKED) {
            Commit::Parked
        } else {
            // The only other value is RUNNING|NOTIFIED: the waker left the enqueue to us.
            debug_assert_eq!(self.load(), RUNNING | NOTIFIED);
            self.0.store(RUNNABLE, Ordering::Release);
            Commit::Requeue
        }
    }

    /// Scheduler: the park hook returned `false`; the G runs again. A ready that arrived
    /// meanwhile is satisfied by that.
    #[inline]
    pub fn cancel_park(&self) {
        self.0.store(RUNNABLE, Ordering::Release);
    }

    /// Any thread: make the G runnable. Returns `true` if the caller won the
    /// `PARKED → RUNNABLE` transition and must enqueue the G.
    #[inline]
    pub fn ready(&self) -> bool {
        self.ready_how() == Readied::Enqueue
    }

    /// [`State::ready`], telling the cases apart (for the trace).
    #[inline]
    pub fn ready_how(&self) -> Readied {
        loop {
            let cur = self.0.load(Ordering::Acquire);
            let (next, how) = match cur {
                PARKED => (RUNNABLE, Readied::Enqueue),
                RUNNING => (cur | NOTIFIED, Readied::Early),
                // Runnable, dead, or already notified: nothing to do.
                _ => return Readied::Nothing,
            };
            if self.cas(cur, next) {
                return how;
            }
        }
    }

    /// The G finished or was unwound; readies are ignored from now on.
    #[inline]
    pub fn finish(&self) {
        self.0.store(DEAD, Ordering::Release);
    }

    #[inline]
    fn set_base(&self, base: u8) {
        let mut cur = self.0.load(Ordering::Acquire);
        loop {
            let next = (cur & !BASE) | base;
            match self
                .0
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return,
                Err(seen) => cur = seen,
            }
        }
    }

    #[inline]
    fn cas(&self, from: u8, to: u8) -> bool {
        self.0
            .compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}
