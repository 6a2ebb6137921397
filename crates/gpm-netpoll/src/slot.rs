//! The wait slot: one per fd and direction (read, write), where readiness from the poller
//! meets a goroutine about to park. Go's `pollDesc.rg`/`wg`, extended to several waiters.
//!
//! Two words hold the state. `word` says who waits:
//!
//! | `word`    | meaning                                                                 |
//! |-----------|-------------------------------------------------------------------------|
//! | `EMPTY`   | nobody waits                                                            |
//! | a waiter  | exactly one waiter is parked (the word is its token, a `GRef` pointer) |
//! | `LIST`    | several waiters are parked; they are in the mutex-guarded list           |
//!
//! and `seq` counts readiness events. Go's fourth state, `pdReady` ("readiness arrived and
//! nobody consumed it"), is here "`seq` moved since the waiter's snapshot": each waiter
//! reads `seq` *before* its I/O attempt, so readiness that arrived after the attempt
//! started is seen by that waiter and no other. A single `READY` state cannot say that: if
//! two goroutines read one socket (or accept on one listener), the first one woken would
//! consume it, and the second, whose attempt came before the event, would park although
//! the event was also news to it. With edge-triggered events nothing would ever wake it.
//! (Go avoids the case by letting only one reader wait per fd, behind a lock; tokio uses
//! the same snapshot idea, with a tick in its readiness word.) Go's `pdWait` is not needed
//! either: the waiter's token is published from inside `gpm_g::park`'s hook, after the
//! goroutine has switched out, so the publication *is* the commit.
//!
//! The protocol:
//!
//! - **Waiter**: `s = seq()`; tries its I/O; on `WouldBlock` parks, and in the park hook
//!   [`Slot::arm`]s: publishes itself (`EMPTY → itself`; or, if another waiter holds the
//!   word, moves that one and itself into the list, `→ LIST`, under the lock; or joins the
//!   list), then re-reads `seq`. If it moved, readiness came after the snapshot: `arm` takes
//!   the waiter out again and the park is cancelled, to retry the I/O.
//! - **Notifier** (the poller saw the fd become ready, or the fd is closing): increments
//!   `seq`, then swaps `EMPTY` in and wakes what it swapped out: one waiter, or after
//!   taking the lock, the whole list.
//! - **Leaving** (awake again, about to retry): [`Slot::leave`] takes the waiter's token
//!   back out if it is still registered (it was woken by a timer, by shutdown, or
//!   spuriously), so no token outlives its wait.
//!
//! Both sides are SeqCst: the notifier's increment precedes its swap, the waiter's
//! publication precedes its re-read, so either the waiter sees the new `seq` or the
//! notifier's swap finds the waiter. The list only becomes `LIST` under the lock, and the
//! notifier takes the lock after swapping `LIST` out, so a waiter that joins the list is
//! either drained by that notifier or sees its increment. `tests/loom_slot.rs` checks these
//! races.

use std::marker::PhantomData;

use crate::sync::{AtomicBool, AtomicUsize, Mutex, Ordering};

const EMPTY: usize = 0;
const LIST: usize = 1;

/// What a slot stores for a parked waiter: an owned handle that converts to and from a
/// pointer-sized word. Inside the runtime it is a goroutine (`GRef`).
pub trait Token: Sized {
    /// Gives up ownership as a word, which must be aligned to at least 2 (so it never
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
        gpm_g::GRef::into_raw(self) as usize
    }
    unsafe fn from_raw(raw: usize) -> Self {
        // SAFETY: the caller passes a word from `into_raw` once.
        unsafe { gpm_g::GRef::from_raw(raw as *const gpm_g::G) }
    }
    fn addr(&self) -> usize {
        gpm_g::GRef::as_ptr(self) as usize
    }
}

/// One direction's wait slot.
pub struct Slot<T: Token> {
    word: AtomicUsize,
    seq: AtomicUsize,
    /// `s + 1` if a stream read (or write) that started at `seq == s` came back short: the
    /// kernel buffer was drained (or filled), so until `seq` moves another attempt is sure
    /// to say `WouldBlock`. 0: no such knowledge.
    drained: AtomicUsize,
    /// Sticky: the poller saw a hang-up or error (`EPOLLRDHUP`, `EPOLLHUP`, `EPOLLERR`).
    /// A drained socket whose peer has shut down still has an end-of-file (or an error) to
    /// report, and no new event will announce it, so `drained` no longer counts.
    hup: AtomicBool,
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
            seq: AtomicUsize::new(0),
            drained: AtomicUsize::new(0),
            hup: AtomicBool::new(false),
            list: Mutex::new(Vec::new()),
            _tokens: PhantomData,
        }
    }

    /// The readiness count, read before each I/O attempt and passed to [`Slot::arm`].
    pub fn seq(&self) -> usize {
        // Acquire: the I/O attempt after this sees what the notifier saw.
        self.seq.load(Ordering::Acquire)
    }

    /// Records that an attempt begun at `seen` drained the kernel buffer (a short stream
    /// read) or filled it (a short stream write), as tokio clears readiness after a short
    /// read: with edge-triggered events, later data produces a new event, which moves `seq`
    /// and voids this.
    pub fn mark_drained(&self, seen: usize) {
        self.drained.store(seen.wrapping_add(1), Ordering::Relaxed);
    }

    /// True if [`Slot::mark_drained`] was recorded at `seen`, `seen` is still current and no
    /// hang-up was seen: an attempt now could only say `WouldBlock`, so the caller may wait
    /// at once.
    pub fn is_drained(&self, seen: usize) -> bool {
        self.drained.load(Ordering::Relaxed) == seen.wrapping_add(1)
            && !self.hup.load(Ordering::Acquire)
    }

    /// The poller saw a hang-up or error on the fd (before it calls [`Slot::notify`]).
    pub fn hang_up(&self) {
        self.hup.store(true, Ordering::Release);
    }

    /// Registers `w` to be woken by the next readiness, unless readiness arrived since
    /// `seen` (the [`Slot::seq`] before the caller's I/O attempt): then `Err(w)`, and the
    /// caller retries its I/O instead of parking.
    pub fn arm(&self, w: T, seen: usize) -> Result<(), T> {
        let addr = w.addr();
        self.publish(w);
        if self.seq.load(Ordering::SeqCst) == seen {
            return Ok(());
        }
        match self.leave(addr) {
            Some(w) => Err(w),
            // A notifier already took us out and is waking us: let that wake-up end the
            // park instead (the caller parks and returns at once).
            None => Ok(()),
        }
    }

    fn publish(&self, w: T) {
        let raw = w.into_raw();
        if self
            .word
            .compare_exchange(EMPTY, raw, Ordering::SeqCst, Ordering::Relaxed)
            .is_ok()
        {
            return;
        }
        let mut list = self.list.lock();
        loop {
            match self.word.load(Ordering::SeqCst) {
                EMPTY => {
                    if self
                        .word
                        .compare_exchange(EMPTY, raw, Ordering::SeqCst, Ordering::Relaxed)
                        .is_ok()
                    {
                        return;
                    }
                }
                LIST => {
                    // SAFETY: `raw` came from `into_raw` above and was never published.
                    list.push(unsafe { T::from_raw(raw) });
                    return;
                }
                other => {
                    // One other waiter holds the word: move it and us into the list.
                    if self
                        .word
                        .compare_exchange(other, LIST, Ordering::SeqCst, Ordering::Relaxed)
                        .is_ok()
                    {
                        // SAFETY: our compare-exchange took `other` out of the word, so we
                        // own that token; `raw` is ours as above.
                        unsafe {
                            list.push(T::from_raw(other));
                            list.push(T::from_raw(raw));
                        }
                        return;
                    }
                }
            }
        }
    }

    /// Readiness arrived (or the fd is closing): counts it, then calls `wake` with every
    /// waiter that was registered.
    pub fn notify(&self, mut wake: impl FnMut(T)) {
        self.seq.fetch_add(1, Ordering::SeqCst);
        self.drain(&mut wake);
    }

    /// The waiter whose token is at `addr` is awake and about to retry its I/O. If it is
    /// still registered (woken by a timer, by shutdown, by a stale ready), takes its token
    /// back out and returns it; `None` means a notifier took it.
    pub fn leave(&self, addr: usize) -> Option<T> {
        debug_assert!(addr > LIST, "gpm: not a waiter token");
        match self
            .word
            .compare_exchange(addr, EMPTY, Ordering::SeqCst, Ordering::Relaxed)
        {
            // SAFETY: our compare-exchange took the token out of the word.
            Ok(_) => return Some(unsafe { T::from_raw(addr) }),
            Err(LIST) => {}
            Err(_) => return None,
        }
        let mut list = self.list.lock();
        let i = list.iter().position(|w| w.addr() == addr)?;
        let w = list.swap_remove(i);
        if list.is_empty() {
            // Back to a plain word; fails harmlessly if a notifier swapped the list out.
            let _ = self
                .word
                .compare_exchange(LIST, EMPTY, Ordering::SeqCst, Ordering::Relaxed);
        }
        Some(w)
    }

    /// Takes every registered waiter out and passes it to `wake`.
    pub fn drain(&self, mut wake: impl FnMut(T)) {
        match self.word.swap(EMPTY, Ordering::SeqCst) {
            EMPTY => {}
            LIST => std::mem::take(&mut *self.list.lock())
                .into_iter()
                .for_each(&mut wake),
            // SAFETY: the swap took this token out of the word: it is ours alone.
            raw => wake(unsafe { T::from_raw(raw) }),
        }
    }
}

impl<T: Token> Drop for Slot<T> {
    fn drop(&mut self) {
        self.drain(drop);
    }
}
