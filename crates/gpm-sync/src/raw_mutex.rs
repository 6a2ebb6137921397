//! The mutex protocol without the data: one state word, a short spin, a FIFO wait list,
//! and Go's starvation mode (`sync/mutex.go`).
//!
//! ```text
//! state word:  LOCKED (held) | PARKED (the wait list may be non-empty) | WOKEN (a waiter
//!              was woken to retry and has not looked yet)
//! ```
//!
//! **Normal mode.** `lock` is one compare-exchange `0 → LOCKED`. A contended `lock` spins a
//! few rounds while nobody is queued, then takes the wait-list lock, sets `PARKED` with a
//! compare-exchange that only succeeds while `LOCKED` is still set (so the holder's unlock
//! must come to the wait list, which it cannot enter before the node is listed) and parks.
//! `unlock` is one compare-exchange `LOCKED → 0`; with `PARKED` set it wakes the first
//! waiter with `RETRY` and releases the lock. The woken waiter competes with newcomers
//! (barging: a running goroutine gets the lock without a context switch, which is what makes
//! a mutex fast); if it loses it re-queues *at the front*. While a woken waiter is on its
//! way (`WOKEN`), unlocks wake nobody else, so a holder that re-locks in a loop does not
//! wake the whole queue one by one.
//!
//! **Starvation mode.** If the first waiter has been waiting for longer than
//! [`STARVATION`] (1 ms, Go's `starvationThresholdNs`) since it first queued, `unlock` hands
//! the lock to it directly: `LOCKED` stays set, the node is finished with `GRANTED`, and
//! the waiter returns owning the lock; newcomers find it locked and queue behind. So a
//! waiter is overtaken by newcomers for at most about a millisecond, then served in FIFO
//! order. The mode ends by itself once the first waiter has not waited that long.
//!
//! A waiter that gives up (a deadline, its goroutine unwound) while holding the `WOKEN`
//! duty clears it and, if the lock is free, passes the wake on, so nobody is left asleep
//! next to a free lock.

#[cfg(not(loom))]
use std::time::Duration;
use std::time::Instant;

use crate::sync::{spin, AtomicUsize, Lock, Ordering};
use crate::waiter::{Node, ABORTED, GRANTED, RETRY};
use crate::waitlist::WaitList;

const LOCKED: usize = 1;
const PARKED: usize = 2;
const WOKEN: usize = 4;

/// How long the first waiter may be overtaken before the lock is handed to it.
#[cfg(not(loom))]
pub(crate) const STARVATION: Duration = Duration::from_millis(1);

pub(crate) struct RawMutex {
    state: AtomicUsize,
    queue: Lock<WaitList>,
    /// Under loom (no clock, and models must be deterministic) a mutex either starves
    /// every waiter at once or never.
    #[cfg(loom)]
    starve_at_once: bool,
}

impl RawMutex {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> RawMutex {
        RawMutex {
            state: AtomicUsize::new(0),
            queue: Lock::new(WaitList::new()),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new() -> RawMutex {
        RawMutex::with_starvation(false)
    }

    /// A mutex whose unlock hands over to any waiter at once (`true`) or never (`false`).
    #[cfg(loom)]
    pub(crate) fn with_starvation(starve_at_once: bool) -> RawMutex {
        RawMutex {
            state: AtomicUsize::new(0),
            queue: Lock::new(WaitList::new()),
            starve_at_once,
        }
    }

    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        let mut s = self.state.load(Ordering::Relaxed);
        while s & LOCKED == 0 {
            match self.state.compare_exchange_weak(
                s,
                s | LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
        false
    }

    #[inline]
    pub(crate) fn lock(&self) {
        if self
            .state
            .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            let locked = self.lock_slow(None);
            debug_assert!(locked);
        }
    }

    /// Locks, or gives up at `deadline`; returns whether it locked.
    pub(crate) fn lock_until(&self, deadline: Option<Instant>) -> bool {
        self.try_lock() || self.lock_slow(deadline)
    }

    pub(crate) fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) & LOCKED != 0
    }

    #[inline]
    pub(crate) fn unlock(&self) {
        if self
            .state
            .compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            self.unlock_slow();
        }
    }

    #[cold]
    fn lock_slow(&self, deadline: Option<Instant>) -> bool {
        let mut spins = 0;
        // Set while this waiter holds the WOKEN duty (it was woken with RETRY).
        let mut woken = false;
        let mut since: Option<Instant> = None;
        loop {
            let s = self.state.load(Ordering::Relaxed);
            if s & LOCKED == 0 {
                let new = (s | LOCKED) & if woken { !WOKEN } else { !0 };
                if self
                    .state
                    .compare_exchange_weak(s, new, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return true;
                }
                continue;
            }
            if s & PARKED == 0 && spin(spins) {
                spins += 1;
                continue;
            }
            if crate::waiter::expired(deadline) {
                if woken {
                    self.give_up_woken();
                }
                return false;
            }
            let requeue = since.is_some();
            let node = Node::waiting_since(0, *since.get_or_insert_with(Instant::now));
            {
                let mut q = self.queue.lock();
                if !self.publish_parked(woken) {
                    continue; // unlocked meanwhile: try again
                }
                // The WOKEN duty, if we had it, went back with PARKED; a RETRY below hands
                // it to us again.
                if requeue {
                    q.push_front(&node);
                } else {
                    q.push_back(&node);
                }
            }
            match node.wait(deadline, |s| self.unwound(&node, s)) {
                GRANTED => return true,
                RETRY => {
                    woken = true;
                    spins = 0;
                }
                s => {
                    debug_assert_eq!(s, ABORTED);
                    self.withdraw(&node);
                    return false;
                }
            }
        }
    }

    /// Sets `PARKED` (and hands back the `WOKEN` duty) if the mutex is still locked; with
    /// the wait-list lock held. Returns `false` if it was unlocked meanwhile.
    fn publish_parked(&self, woken: bool) -> bool {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s & LOCKED == 0 {
                return false;
            }
            let new = (s | PARKED) & if woken { !WOKEN } else { !0 };
            match self
                .state
                .compare_exchange_weak(s, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
    }

    #[cold]
    fn unlock_slow(&self) {
        let mut s = self.state.load(Ordering::Relaxed);
        while s & PARKED == 0 || s & WOKEN != 0 {
            // Nobody queued, or a woken waiter is on its way: just release.
            debug_assert!(s & LOCKED != 0, "gpm::sync: unlock of an unlocked mutex");
            match self.state.compare_exchange_weak(
                s,
                s & !LOCKED,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => s = now,
            }
        }
        let woke = {
            let mut q = self.queue.lock();
            if let Some(n) = q.finish_front(GRANTED, |n| self.starving(n)) {
                // Starvation mode: hand the lock over; LOCKED stays set.
                if q.is_empty() {
                    self.state.fetch_and(!PARKED, Ordering::Relaxed);
                }
                Some(n)
            } else if let Some(n) = q.finish_front(RETRY, |_| true) {
                let clear = LOCKED | if q.is_empty() { PARKED } else { 0 };
                self.release(clear, WOKEN);
                Some(n)
            } else {
                // Everybody listed gave up.
                self.release(LOCKED | PARKED, 0);
                None
            }
        };
        if let Some(n) = woke {
            n.wake();
        }
    }

    /// Clears `clear` and sets `set` in one release.
    fn release(&self, clear: usize, set: usize) {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            let new = (s & !clear) | set;
            match self
                .state
                .compare_exchange_weak(s, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(now) => s = now,
            }
        }
    }

    /// True if `n` has waited long enough to be handed the lock.
    fn starving(&self, n: &Node) -> bool {
        #[cfg(loom)]
        {
            let _ = n;
            self.starve_at_once
        }
        #[cfg(not(loom))]
        {
            n.since().elapsed() >= STARVATION
        }
    }

    /// A woken waiter leaves without taking the lock: give the WOKEN duty back and, if the
    /// lock is free, pass the wake on through a lock and unlock of our own. (If it is held,
    /// its holder's unlock sees WOKEN clear and wakes the next waiter.)
    fn give_up_woken(&self) {
        self.state.fetch_and(!WOKEN, Ordering::Relaxed);
        if self.try_lock() {
            self.unlock();
        }
    }

    /// Takes an aborted node out of the wait list.
    fn withdraw(&self, node: &std::sync::Arc<Node>) {
        let mut q = self.queue.lock();
        q.remove(node);
        if q.is_empty() {
            self.state.fetch_and(!PARKED, Ordering::Relaxed);
        }
    }

    /// The waiting goroutine is being unwound (runtime shutdown) and its wait ended with
    /// `s`: give back whatever it was given.
    fn unwound(&self, node: &std::sync::Arc<Node>, s: usize) {
        match s {
            GRANTED => self.unlock(),
            RETRY => self.give_up_woken(),
            _ => self.withdraw(node),
        }
    }
}
