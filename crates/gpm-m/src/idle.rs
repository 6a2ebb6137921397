//! Idle Ps, idle Ms and spinning Ms: the accounting that keeps readied work from being left
//! unseen without waking a thread for every ready.
//!
//! The rule (Go's, from the top of `runtime/proc.go`): **wake an M only if there is an idle
//! P and no M is spinning.** A spinning M is one that holds a P, has found its own queue
//! empty and is looking for work elsewhere. At most half of the busy Ps may have one
//! (`2 * nmspinning < procs - npidle`), so a burst of readies costs at most a few wakeups.
//!
//! The two sides and their fences:
//!
//! - A **submitter** (spawn, ready, a timer firing) publishes the G on a queue, then issues
//!   a SeqCst fence, then reads `npidle` and `nmspinning` ([`Idle::should_wake`]). If it
//!   sees an idle P and no spinner it claims the one spinner slot with a CAS `0 → 1`
//!   ([`Idle::claim_waker`]) and hands an idle P to an idle M, which starts out spinning.
//! - An M that **gives up** releases its P first (`npidle += 1`), then leaves the spinning
//!   count, then issues a SeqCst fence, then re-checks every queue. If it finds work it
//!   takes a P back and starts over; otherwise it parks.
//!
//! Either the submitter's read sees the idle P (and wakes somebody), or the giving-up M's
//! re-check sees the G: a G cannot be published and missed by both. When a spinning M does
//! find work it leaves the spinning count and, if it was the last spinner, wakes another
//! M, so threads ramp up one at a time as long as there is work ([`Idle::stop_spinning`]).
//! `tests/loom_idle.rs` checks this protocol with two Ms and two Ps.

use crate::sync::{fence, AtomicUsize, Mutex, Ordering};

/// Idle Ps, idle Ms and the spinning count of one runtime.
pub struct Idle<P, M> {
    procs: usize,
    npidle: AtomicUsize,
    nmspinning: AtomicUsize,
    pidle: Mutex<Vec<P>>,
    midle: Mutex<Vec<M>>,
}

impl<P, M> Idle<P, M> {
    /// Accounting for `procs` Ps, all initially idle and listed in `ps`.
    pub fn new(procs: usize, ps: Vec<P>) -> Self {
        Idle {
            procs,
            npidle: AtomicUsize::new(ps.len()),
            nmspinning: AtomicUsize::new(0),
            pidle: Mutex::new(ps),
            midle: Mutex::new(Vec::new()),
        }
    }

    /// The number of Ps.
    pub fn procs(&self) -> usize {
        self.procs
    }

    /// The number of idle Ps.
    pub fn npidle(&self) -> usize {
        self.npidle.load(Ordering::SeqCst)
    }

    /// The number of spinning Ms.
    pub fn nmspinning(&self) -> usize {
        self.nmspinning.load(Ordering::SeqCst)
    }

    /// Submitter side, after publishing work: true if an M should be woken.
    pub fn should_wake(&self) -> bool {
        fence(Ordering::SeqCst);
        self.nmspinning.load(Ordering::SeqCst) == 0 && self.npidle.load(Ordering::SeqCst) > 0
    }

    /// Claims the right to wake one M that will start spinning. On success the caller must
    /// follow up with [`Idle::take_p`] and hand the P to an M, or call
    /// [`Idle::unclaim_waker`] if there is none.
    pub fn claim_waker(&self) -> bool {
        self.nmspinning
            .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// Gives back a spinner slot claimed by [`Idle::claim_waker`] that found no idle P.
    pub fn unclaim_waker(&self) {
        self.nmspinning.fetch_sub(1, Ordering::SeqCst);
    }

    /// An M with a P and an empty queue asks to spin. True if it may (it is then counted).
    pub fn try_spin(&self) -> bool {
        let spinning = self.nmspinning.load(Ordering::SeqCst);
        let busy = self.procs - self.npidle.load(Ordering::SeqCst);
        if 2 * spinning >= busy {
            return false;
        }
        self.nmspinning.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// A spinning M stops spinning. Returns true if it was the last spinner, in which case an
    /// M that found work should wake another (if [`Idle::should_wake`]).
    pub fn stop_spinning(&self) -> bool {
        let prev = self.nmspinning.fetch_sub(1, Ordering::SeqCst);
        debug_assert!(prev > 0, "gpm: spinning count underflow");
        prev == 1
    }

    /// Releases a P to the idle list.
    pub fn put_p(&self, p: P) {
        let mut l = self.pidle.lock();
        l.push(p);
        self.npidle.fetch_add(1, Ordering::SeqCst);
    }

    /// Takes an idle P, if any.
    pub fn take_p(&self) -> Option<P> {
        let mut l = self.pidle.lock();
        let p = l.pop()?;
        self.npidle.fetch_sub(1, Ordering::SeqCst);
        Some(p)
    }

    /// Giving-up side: the fence between leaving the spinning count (or releasing the P) and
    /// re-checking the queues.
    pub fn fence_before_recheck(&self) {
        fence(Ordering::SeqCst);
    }

    /// Lists an M as idle (about to park).
    pub fn put_m(&self, m: M) {
        self.midle.lock().push(m);
    }

    /// The number of idle-listed Ms.
    pub fn nmidle(&self) -> usize {
        self.midle.lock().len()
    }

    /// Takes the idle P that `pick` prefers (else any), if there is one.
    pub fn take_p_preferring(&self, pick: impl Fn(&P) -> bool) -> Option<P> {
        let mut l = self.pidle.lock();
        let i = l.iter().position(pick).or(l.len().checked_sub(1))?;
        let p = l.swap_remove(i);
        self.npidle.fetch_sub(1, Ordering::SeqCst);
        Some(p)
    }

    /// Takes an idle M, if any.
    pub fn take_m(&self) -> Option<M> {
        self.midle.lock().pop()
    }

    /// Takes every idle M (shutdown).
    pub fn take_all_m(&self) -> Vec<M> {
        std::mem::take(&mut *self.midle.lock())
    }

    /// Takes every idle P (shutdown).
    pub fn take_all_p(&self) -> Vec<P> {
        let ps = std::mem::take(&mut *self.pidle.lock());
        self.npidle.fetch_sub(ps.len(), Ordering::SeqCst);
        ps
    }
}
