//! `Oneshot`: the slot through which a goroutine hands its result to its join handle, with
//! one waiter, and no lock: one state word, moved by the producer (the goroutine) once and
//! by the consumer (the handle) at most twice.
//!
//! ```text
//!            register (CAS)            complete (swap)
//!   EMPTY ───────────────▶ WAITING ───────────────────▶ DONE
//!     │ complete (swap) ─────────────────────────────────▲
//!     └─ close (swap) ─▶ CLOSED      (close from WAITING or DONE too)
//! ```
//!
//! - The producer writes the value, then swaps `DONE` in. What it swapped out says what to
//!   do next: nothing (`EMPTY`), wake the waiter it now owns (`WAITING`), or drop the value
//!   itself because the consumer is gone (`CLOSED`).
//! - The consumer registers a waiter by writing it while the state is `EMPTY` and then
//!   compare-exchanging `EMPTY → WAITING`; if the value arrived meanwhile the exchange fails
//!   and it takes its waiter back. Once `WAITING`, the waiter is the producer's to take.
//! - The consumer takes the value once it sees `DONE`. Going away, it swaps `CLOSED` in and
//!   owns what the old state says is left: the value (`DONE`) or its waiter (`WAITING`).
//!
//! Every swap and exchange is `AcqRel`: each side's writes to the cells (value, waiter)
//! precede its release, and each side reads the other's cell only after acquiring the state
//! that hands it over. `tests/loom_oneshot.rs` checks the races. It replaced a mutex around a
//! state enum: a goroutine whose handle is dropped (skynet's million) paid two locks.

use crate::sync::{AtomicU8, Ordering, UnsafeCell};

const EMPTY: u8 = 0;
const WAITING: u8 = 1;
const DONE: u8 = 2;
const CLOSED: u8 = 3;

/// A one-shot slot for a value of `T`, with room for one waiter `W` (see the module docs).
///
/// Its methods are `unsafe` for one contract, which the types cannot state: there is one
/// producer, which calls [`Oneshot::complete`] once, and one consumer, which alone calls
/// the other methods, never two at once, and nothing after [`Oneshot::close`].
pub struct Oneshot<T, W> {
    state: AtomicU8,
    value: UnsafeCell<Option<T>>,
    waiter: UnsafeCell<Option<W>>,
}

// SAFETY: the cells are touched only by the side the state word makes their owner (module
// docs), and the methods that touch them are `unsafe`, their callers promising one producer
// and one consumer, so sharing the slot moves a `T` and a `W` between threads, as `Send`
// allows. (`Send` is automatic: the slot owns its contents like a pair of `Option`s.)
unsafe impl<T: Send, W: Send> Sync for Oneshot<T, W> {}

/// What the producer must do after [`Oneshot::complete`].
pub enum Completed<T, W> {
    /// Nothing: nobody waits yet, and the consumer will find the value.
    Stored,
    /// Wake this waiter, which the consumer registered.
    Wake(W),
    /// The consumer is gone: the value comes back, to be dropped by the producer.
    Unwanted(T),
}

impl<T, W> Default for Oneshot<T, W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, W> Oneshot<T, W> {
    /// An empty slot.
    pub fn new() -> Self {
        Oneshot {
            state: AtomicU8::new(EMPTY),
            value: UnsafeCell::new(None),
            waiter: UnsafeCell::new(None),
        }
    }

    /// Producer, once: stores `v` and says what is left to do.
    ///
    /// # Safety
    /// The caller is the slot's one producer and has not called this before.
    pub unsafe fn complete(&self, v: T) -> Completed<T, W> {
        // SAFETY: until the swap below publishes it, the value cell is the producer's alone
        // (the consumer reads it only after acquiring `DONE`, and our caller is the one
        // producer, completing once).
        self.value.with_mut(|p| unsafe { *p = Some(v) });
        match self.state.swap(DONE, Ordering::AcqRel) {
            EMPTY => Completed::Stored,
            // SAFETY: `WAITING` swapped out hands us the waiter the consumer wrote before
            // its release; it never touches the cell again.
            WAITING => Completed::Wake(
                self.waiter
                    .with_mut(|p| unsafe { (*p).take() })
                    .expect("gpm: a waiting oneshot without its waiter"),
            ),
            // SAFETY: the consumer is gone (it swapped `CLOSED` in before us and read
            // nothing): the value is still ours.
            CLOSED => Completed::Unwanted(
                self.value
                    .with_mut(|p| unsafe { (*p).take() })
                    .expect("gpm: the value just stored"),
            ),
            _ => unreachable!("gpm: a oneshot completed twice"),
        }
    }

    /// True once the value has arrived.
    pub fn is_done(&self) -> bool {
        self.state.load(Ordering::Acquire) == DONE
    }

    /// Consumer: the value, if it has arrived (`None` also once it has been taken).
    ///
    /// # Safety
    /// The caller is the slot's one consumer, not inside another of its calls, and has not
    /// closed it.
    pub unsafe fn try_take(&self) -> Option<T> {
        if !self.is_done() {
            return None;
        }
        // SAFETY: `DONE` acquired: the producer wrote the value and is done with the cell;
        // only the consumer (our caller, by contract) touches it now.
        self.value.with_mut(|p| unsafe { (*p).take() })
    }

    /// Consumer: registers the waiter `make` builds, unless the value has arrived (then
    /// `false`; a waiter already registered stays, and `make` is not called).
    ///
    /// # Safety
    /// As for [`Oneshot::try_take`].
    pub unsafe fn register(&self, make: impl FnOnce() -> W) -> bool {
        match self.state.load(Ordering::Acquire) {
            EMPTY => {}
            WAITING => return true,
            DONE => return false,
            _ => unreachable!("gpm: a closed oneshot waited on"),
        }
        let w = make();
        // SAFETY: while the state is `EMPTY` the waiter cell is the consumer's: the producer
        // reads it only after swapping out `WAITING`, which only the exchange below sets.
        self.waiter.with_mut(|p| unsafe { *p = Some(w) });
        match self
            .state
            .compare_exchange(EMPTY, WAITING, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(_) => {
                // `DONE` came first: the waiter was never handed over.
                // SAFETY: as above; the cell is still ours.
                drop(self.waiter.with_mut(|p| unsafe { (*p).take() }));
                false
            }
        }
    }

    /// Consumer, going away: the value if it arrived and was not taken, and the waiter if
    /// one is still registered, for the caller to drop.
    ///
    /// # Safety
    /// As for [`Oneshot::try_take`]; the consumer calls nothing after this.
    pub unsafe fn close(&self) -> (Option<T>, Option<W>) {
        match self.state.swap(CLOSED, Ordering::AcqRel) {
            // SAFETY: `DONE` acquired: the value cell is the consumer's (see `try_take`).
            DONE => (self.value.with_mut(|p| unsafe { (*p).take() }), None),
            // SAFETY: the producer has not taken the waiter (it would have swapped `DONE`
            // in) and now never will: it sees `CLOSED`.
            WAITING => (None, self.waiter.with_mut(|p| unsafe { (*p).take() })),
            _ => (None, None),
        }
    }
}
