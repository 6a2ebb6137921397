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
//! 4. A waker that finds nothing to do (the bit already set, or the G runnable) relies on the
//!    G seeing the condition the waker published just before (a channel operation's
//!    outcome, say) when it next looks. That is a store-buffering pair: the waker writes the
//!    condition and reads the state; the G writes the state (consuming the bit, or starting
//!    to run) and reads the condition. Acquire and release let both reads miss, and then the
//!    G parks again with its wake-up spent: a producer of the MPMC benchmark stayed parked
//!    for good this way, next to a consumer waiting for it, once `park` was inlined into the
//!    channels. So both sides fence (`SeqCst`) on those paths only: the waker before it
//!    re-reads a state that needs nothing, the G after it consumes the bit (in `take_token`,
//!    or in `start` when the bit came with it from a requeue or a yield). The G never runs
//!    again without passing such a fence after a waker could have passed it over: a
//!    requeued park keeps the bit until `start`, and a yield sets it (a ready may have found
//!    the G runnable and left it alone while it still had a wait open, as a `select!` does
//!    while it registers on its channels). The common paths (`PARKED → RUNNABLE`,
//!    `RUNNING → RUNNING | NOTIFIED`, a start without the bit) stay fence-free.
//!
//! 5. A parked G holds one counted reference to its own record: the one its M ran it by,
//!    which the M gives up at the commit without dropping it (see [`crate::exec::run`]).
//!    Whoever leaves `PARKED` takes it over: the ready that wins `PARKED → RUNNABLE` puts it
//!    in a run queue, and shutdown's [`GState::kill`] drops it. So a park and its ready
//!    never touch the record's count (they cost two locked read-modify-writes on the
//!    record's first line before: a clone for the queue, and the M's drop at the commit).
//!
//! Rejected for rule 4: making every state write of the G a read-modify-write (Go's
//! `casgstatus`), so that a waker's write always synchronizes with the G's next one. That
//! puts a locked instruction on every switch into a G (`start`), where the fences above
//! cost only on the rare paths.
//!
//! Rejected: an intermediate `PARKING` state, set with a CAS on the G's stack before the
//! switch (this crate's first design). It told a ready during the hook from one before the
//! park, which nothing needs, for one more read-modify-write on every park.
//!
//! Orderings: every transition a waker takes part in is `AcqRel`, so what the G wrote
//! before parking (and what `after` published) happens-before whatever runs it next.

use crate::sync::{fence, AtomicU8, Ordering};

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

    /// Scheduler: a runnable G was taken from a queue and is about to run. A plain load
    /// and store: no waker writes the state of a `RUNNABLE` G (`ready` leaves it alone), so
    /// nothing can change it in between. A `NOTIFIED` bit (from a requeued park, or a
    /// yield) is consumed here, with rule 4's fence: the G re-checks whatever it waits for
    /// once it runs, and sees what a waker that passed it over had published.
    #[inline]
    pub fn start(&self) {
        let cur = self.0.load(Ordering::Acquire);
        debug_assert_eq!(cur & BASE, RUNNABLE, "start on a G that is not runnable");
        self.0.store(RUNNING, Ordering::Release);
        if cur & NOTIFIED != 0 {
            fence(Ordering::SeqCst);
        }
    }

    /// Scheduler: the G yielded and goes back to a run queue. It may still have a wait
    /// open (a `select!` yields while it registers), and a ready that finds it runnable does
    /// nothing: the bit makes its next `start` fence (rule 4).
    #[inline]
    pub fn yielded(&self) {
        self.set_base(RUNNABLE | NOTIFIED);
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
        // Rule 4: the caller re-checks its condition next; a waker that found the bit set
        // and did nothing published that condition before its own fence.
        fence(Ordering::SeqCst);
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
            // The bit stays until `start`, for rule 4: that waker's may have been a late one
            // from an earlier wait, and the real one can find the G runnable meanwhile.
            debug_assert_eq!(self.load(), RUNNING | NOTIFIED);
            self.0.store(RUNNABLE | NOTIFIED, Ordering::Release);
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
        let mut fenced = false;
        loop {
            let cur = self.0.load(Ordering::Acquire);
            let (next, how) = match cur {
                PARKED => (RUNNABLE, Readied::Enqueue),
                RUNNING => (cur | NOTIFIED, Readied::Early),
                // Runnable, dead, or already notified: nothing to do, if that still holds
                // after rule 4's fence (which orders what our caller published before it).
                _ if !fenced => {
                    fence(Ordering::SeqCst);
                    fenced = true;
                    continue;
                }
                _ => return Readied::Nothing,
            };
            if self.cas(cur, next) {
                return how;
            }
        }
    }

    /// The G finished; readies are ignored from now on.
    #[inline]
    pub fn finish(&self) {
        self.0.store(DEAD, Ordering::Release);
    }

    /// Shutdown: the G will be unwound and never run again; readies are ignored from now on.
    /// Returns `true` if the G was parked: then no ready can win `PARKED → RUNNABLE` any
    /// more, and the reference that a parked G's state holds (see [`crate::exec::run`])
    /// passes to the caller. A ready racing this (from a thread outside the runtime) either
    /// won that transition first, and took the reference to a run queue, or finds `DEAD`.
    #[inline]
    pub fn kill(&self) -> bool {
        self.0.swap(DEAD, Ordering::AcqRel) & BASE == PARKED
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
