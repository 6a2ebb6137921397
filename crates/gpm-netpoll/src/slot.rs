//! The wait slot: one per fd and direction (read, write), where readiness from the poller
//! meets a goroutine about to park. Go's `pollDesc.rg`/`wg`, extended to several waiters.
//!
//! One word holds the whole state:
//!
//! | word      | meaning                                                             |
//! |-----------|---------------------------------------------------------------------|
//! | `EMPTY`   | nobody waits, no readiness pending                                   |
//! | `READY`   | readiness arrived and nobody has consumed it yet                     |
//! | a waiter  | exactly one waiter is parked (the word is its token, an `Arc<G>` pointer) |
//! | `LIST`    | several waiters are parked; they are in the mutex-guarded list       |
//!
//! Go has a fourth state, `pdWait`, for the window between deciding to park and being
//! parked. Here the waiter's token is published from inside `gpm_g::park`'s hook, which runs
//! after the goroutine has switched out, so that window does not exist: the compare-exchange
//! `EMPTY → waiter` *is* the commit, and it fails if readiness got there first.
//!
//! The protocol (every transition is one atomic step, or made under the list lock):
//!
//! - **Notifier** (the poller saw the fd become ready, or the fd is being closed): swaps in
//!   `READY` and wakes whatever it swapped out: one waiter, or after taking the lock, the
//!   whole list. Readiness is never lost: it is either consumed by a waiter that then
//!   retries its I/O, or left as `READY` for the next one.
//! - **Waiter** (its I/O said `WouldBlock`): first consumes a pending `READY`
//!   ([`Slot::take_ready`]) and, if there was one, retries the I/O. Otherwise it parks,
//!   and in the park hook [`Slot::arm`]s: `EMPTY → itself`; or, if another waiter holds the
//!   word, moves that one and itself into the list (`→ LIST`, under the lock); or joins the
//!   list. If `READY` arrived meanwhile, `arm` consumes it and the park is cancelled.
//! - **Leaving** (awake again, about to retry the I/O): [`Slot::leave`] takes the waiter's
//!   token back out if it is still registered (it was woken by a timer, by shutdown, or
//!   spuriously), so no token outlives its wait; otherwise it consumes the `READY` its
//!   notifier left, since the retry covers it.
//!
//! A word is `LIST` only while the lock is or was held by whoever set it, and the notifier
//! takes the lock after swapping `LIST` out, so a waiter that joins the list under the lock
//! is either seen by that notifier or sees `READY` itself. `tests/loom_slot.rs` checks these
//! races.

use std::marker::PhantomData;

use crate::sync::{AtomicUsize, Mutex, Ordering};

const EMPTY: usize = 0;
const READY: usize = 1;
const LIST: usize = 2;

/// What a slot stores for a parked waiter: an owned handle that converts to and from a
/// pointer-sized word. Inside the runtime it is a goroutine (`Arc<G>`).
pub trait Token: Sized {
    /// Gives up ownership as a word, which must be aligned to at least 4 (so it never
    /// equals one of the slot's own states).
    fn into_raw(self) -> usize;
    /// Takes ownership back.
    ///
    /// # Safety
    /// `raw` must come from `into_raw` and be taken back only once.
    unsafe fn from_raw(raw: usize) -> Self;
    /// The word this token converts to, without giving it up.
    fn addr(&self) -> usize;
}

impl Token for gpm_g::GRef {
    fn into_raw(self) -> usize {
        std::sync::Arc::into_raw(self) as usize
    }
    unsafe fn from_raw(raw: usize) -> Self {
        // SAFETY: the caller passes a word from `into_raw` once.
        unsafe { std::sync::Arc::from_raw(raw as *const gpm_g::G) }
    }
    fn addr(&self) -> usize {
        std::sync::Arc::as_ptr(self) as usize
    }
}

/// One direction's wait slot.
pub struct Slot<T: Token> {
    word: AtomicUsize,
    list: Mutex<Vec<T>>,
    _tokens: PhantomData<T>,
}

// SAFETY: the slot owns the tokens it holds and hands each to exactly one thread (the one
// whose swap or compare-exchange took it out of the word, or that took it from the list
// under the lock), so sharing the slot moves tokens between threads, as `Send` allows.
unsafe impl<T: Token + Send> Sync for Slot<T> {}
// SAFETY: as above; a slot owns its tokens like a `Vec<T>` does.
unsafe impl<T: Token + Send> Send for Slot<T> {}

impl<T: Token> Default for Slot<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Token> Slot<T> {
    /// An empty slot.
    pub fn new() -> Self {
        Slot {
            word: AtomicUsize::new(EMPTY),
            list: Mutex::new(Vec::new()),
            _tokens: PhantomData,
        }
    }

    /// Consumes pending readiness, if any; the caller then retries its I/O.
    pub fn take_ready(&self) -> bool {
        // Acquire: the I/O retried after this sees what the notifier saw.
        self.word
            .compare_exchange(READY, EMPTY, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Registers `w` to be woken by the next readiness. `Err(w)` if readiness arrived first:
    /// it has been consumed and the caller retries its I/O instead of parking.
    pub fn arm(&self, w: T) -> Result<(), T> {
        let raw = w.into_raw();
        let mut cur = self.word.load(Ordering::Acquire);
        loop {
            match cur {
                EMPTY => match self.word.compare_exchange(
                    EMPTY,
                    raw,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return Ok(()),
                    Err(now) => cur = now,
                },
                READY => match self.word.compare_exchange(
                    READY,
                    EMPTY,
                    Ordering::Acquire,
                    Ordering::Acquire,
                ) {
                    // SAFETY: `raw` came from `into_raw` above and was never published.
                    Ok(_) => return Err(unsafe { T::from_raw(raw) }),
                    Err(now) => cur = now,
                },
                _ => {
                    let mut list = self.list.lock();
                    let now = self.word.load(Ordering::Acquire);
                    if now == LIST {
                        // SAFETY: as above.
                        list.push(unsafe { T::from_raw(raw) });
                        return Ok(());
                    }
                    if now == EMPTY || now == READY {
                        cur = now;
                        continue;
                    }
                    // One other waiter holds the word: move it and us into the list.
                    if self
                        .word
                        .compare_exchange(now, LIST, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        // SAFETY: our compare-exchange took `now` out of the word, so we
                        // own that token; `raw` is ours as above.
                        unsafe {
                            list.push(T::from_raw(now));
                            list.push(T::from_raw(raw));
                        }
                        return Ok(());
                    }
                    cur = self.word.load(Ordering::Acquire);
                }
            }
        }
    }

    /// Readiness arrived (or the fd is closing): leaves `READY` and calls `wake` with every
    /// waiter that was registered.
    pub fn notify(&self, mut wake: impl FnMut(T)) {
        // AcqRel: waiters woken here see the readiness; the token we take was published
        // with a release by its `arm`.
        match self.word.swap(READY, Ordering::AcqRel) {
            EMPTY | READY => {}
            LIST => {
                let waiters = std::mem::take(&mut *self.list.lock());
                waiters.into_iter().for_each(&mut wake);
            }
            // SAFETY: the swap took this token out of the word: it is ours alone.
            raw => wake(unsafe { T::from_raw(raw) }),
        }
    }

    /// The waiter whose token is at `addr` is awake and about to retry its I/O. If it is
    /// still registered (woken by a timer, by shutdown, by a stale ready), takes its token
    /// back out and returns it; otherwise a notifier took it, and the readiness that notifier
    /// left is consumed here (Go's `netpollblock` swapping the word back to nil), since the
    /// retry covers it.
    pub fn leave(&self, addr: usize) -> Option<T> {
        debug_assert!(addr > LIST, "gpm: not a waiter token");
        match self
            .word
            .compare_exchange(addr, EMPTY, Ordering::AcqRel, Ordering::Acquire)
        {
            // SAFETY: our compare-exchange took the token out of the word.
            Ok(_) => return Some(unsafe { T::from_raw(addr) }),
            Err(READY) => {
                let _ = self.take_ready();
                return None;
            }
            Err(LIST) => {}
            Err(_) => return None,
        }
        let mut list = self.list.lock();
        let i = list.iter().position(|w| w.addr() == addr)?;
        let w = list.swap_remove(i);
        if list.is_empty() {
            // Back to a plain word; fails harmlessly if a notifier swapped in READY.
            let _ = self
                .word
                .compare_exchange(LIST, EMPTY, Ordering::AcqRel, Ordering::Relaxed);
        }
        Some(w)
    }

    /// Takes every registered waiter out (the fd's registration is going away).
    pub fn drain(&self, mut wake: impl FnMut(T)) {
        match self.word.swap(EMPTY, Ordering::AcqRel) {
            EMPTY | READY => {}
            LIST => std::mem::take(&mut *self.list.lock())
                .into_iter()
                .for_each(&mut wake),
            // SAFETY: the swap took this token out of the word.
            raw => wake(unsafe { T::from_raw(raw) }),
        }
    }
}

impl<T: Token> Drop for Slot<T> {
    fn drop(&mut self) {
        self.drain(drop);
    }
}
