//! The context of one blocked channel operation: who waits, how far the operation has got,
//! and the message handed over.
//!
//! A goroutine or thread that must wait (in `send`, `recv` or `select!`) takes a
//! [`Context`], lists it in the wait queues of the channels it waits on, and sleeps until
//! somebody *selects* it. One atomic state word decides who that is:
//!
//! ```text
//!            try_claim (a peer, the disconnecting side, a timer)
//!  WAITING ─────────────────────────────────────▶ CLAIMED ──finish(s)──▶ s|READYING ──▶ s
//!     │                               (payload written) │ hold            (waking)
//!     │                                                 ▼
//!     │                                      HELD (a select! send arm) ──finish(s)──▶ …
//!     └── abort (the owner: deadline passed, or a channel was ready) ──▶ ABORTED
//!                                          s = OPERATION(i) | DISCONNECTED | ABORTED
//!
//!  WAITING_LOCKED ──try_claim, under the queue's lock──▶ CLAIMED …   (aborted only unlisted)
//! ```
//!
//! - Only one party wins `WAITING → CLAIMED` (a compare-exchange), so an operation is
//!   completed at most once: a waiter registered on five channels is woken by one of them.
//! - **Claims under a lock.** A plain `send` or `recv` without a deadline lists its context
//!   in one wait queue, and every claim of it takes that queue's lock (a peer, a `select!`
//!   send arm, the disconnecting side; no timer). Such a context waits in `WAITING_LOCKED`
//!   ([`Context::claim_under_lock`]), and its claim is a plain load and store under the
//!   lock. Its owner aborts it only after taking its entry out under the same lock
//!   ([`Context::abort_listed`]: a registration that finds the channel ready after all, an
//!   unwind at shutdown), when nobody can claim it any more. That is one locked instruction
//!   fewer in every handoff to a plain waiter.
//! - The winner may then touch the context's [`Payload`]: put the message it hands over (a
//!   sender completing a parked receiver) or take the one left there (a receiver
//!   completing a parked rendezvous sender). Then it stores the final state with `Release`
//!   and wakes the owner. The owner reads the payload only after loading a final state
//!   with `Acquire`, so the handover is complete and visible when it looks.
//! - The owner may abort only from `WAITING`. If the abort fails, somebody has claimed the
//!   operation and the owner keeps waiting until it is finished; that is never long,
//!   because a claim is finished right away, or, for a `select!` send arm, as soon as the
//!   arm's message expression has been evaluated.
//! - A final state is never left again, so a stale wake (a goroutine's park can return
//!   early, see `gpm_g::park`) only makes the owner look at the state once more.
//!
//! **Lifetimes without counts.** Neither a wait-queue entry nor a claimer counts the context
//! ([`Listed`]), and the context names a goroutine owner by its record's bare address, which
//! counts nothing either: so listing an operation, claiming it and waking its goroutine touch
//! no reference count (each one was a locked read-modify-write a hop). Instead the owner keeps
//! its context, and its own record, until nothing else can touch them:
//!
//! - The claimer publishes the final state with a `READYING` bit, takes the state step of
//!   the owner's wake-up (`gpm_g::wake_raw`, one compare-exchange on the record), and then
//!   stores the state without the bit, its last touch of the context and of the record; the
//!   enqueue (or a thread's unpark) comes after, with handles of its own. The owner neither
//!   returns nor parks while it sees the bit; that window is a few instructions unless the
//!   claimer's thread is switched out in it.
//! - The owner takes every entry of its own out of the queues before it lets the context
//!   go: a claimer takes the entry it claims, a disconnect takes them all, and the owner
//!   unregisters the rest (after an abort, and from every other arm of a `select!`), also
//!   when its goroutine is unwound at shutdown ([`Context::wait_listed`]). Entries are
//!   looked at only under their queue's lock, so a peer that passes one has let go of it
//!   before the owner can unregister it.
//! - An owner unwound at shutdown cannot wait for every claim: a `select!` send arm holds
//!   its claim while the arm's message is evaluated, and the arm's goroutine may be unwound
//!   only after the owner. Such a claim is marked `HELD`, and its claimer holds a counted
//!   handle on the context meanwhile ([`Listed::hold`]). The unwound owner waits out any
//!   other claim, and leaves a held one with a counted reference to its record in the
//!   context (`keep`), which goes only with the context, after the claimer's handle.
//!
//! The loom models are `tests/loom_context.rs` (a goroutine owner with a model record whose
//! end loom checks against every wake-up) and `tests/loom_chan.rs` (the channels on loom
//! threads, where [`Listed`] checks every use of an entry against the owner's release).
//!
//! Inside a goroutine the owner parks with [`gpm_g::park`]: its hook re-checks the state
//! after the goroutine has left its stack, so a `finish` racing the park is either seen by
//! the hook or readies a goroutine whose park is committed (the park/ready protocol of
//! `gpm-g`). A deadline becomes a runtime timer that claims the context as `ABORTED`; the
//! timer holds a counted handle until it fires. Outside the runtime the owner parks its
//! thread, with a timeout for a deadline. Unshared contexts are kept in a small per-thread
//! pool.

use std::time::Instant;

use gpm_g::TimerAction;

use crate::owner;
use crate::payload::Payload;
use crate::sync::{Arc, AtomicUsize, Ordering, Thread, UnsafeCell};

mod listed;
mod pool;

pub(crate) use listed::Listed;
pub(crate) use pool::{acquire, release};

const WAITING: usize = 0;
/// Waiting, claimed only under the lock of the one queue that lists it (see
/// [`Context::claim_under_lock`]).
const WAITING_LOCKED: usize = 1;
const CLAIMED: usize = 2;
/// Claimed by a `select!` send arm, whose claim stays open while the arm's message is
/// evaluated: it holds a counted handle on the context for that time (see [`Listed::hold`]).
const HELD: usize = 3;
const ABORTED: usize = 4;
/// The first final state: the ones below are not (one comparison tells them apart).
const FINAL: usize = ABORTED;
const DISCONNECTED: usize = 5;
/// `OPER_BASE + i`: completed by operation `i` (the index of a select arm, 0 otherwise).
const OPER_BASE: usize = 6;
/// Set with a final state while the claimer still wakes the owner (the top bit, far above
/// any select's arm count).
const READYING: usize = 1 << (usize::BITS - 1);

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Selected {
    /// The owner aborted (its deadline passed, or a channel was already ready), or a
    /// timer did.
    Aborted,
    /// A channel the owner waited on was disconnected.
    Disconnected,
    /// Operation `i` (a select arm's index) completed or must be retried.
    Operation(usize),
    /// The waiting goroutine is being unwound by its runtime's shutdown while a `select!`
    /// send arm holds a claim on it (`HELD`): the owner does not wait for it.
    Interrupted,
}

impl Selected {
    /// The state word that means "operation `i` selected".
    #[inline]
    pub(crate) fn oper(i: usize) -> usize {
        OPER_BASE + i
    }
}

/// A final state that a claimer stores.
pub(crate) const DISCONNECT: usize = DISCONNECTED;
/// The final state a timer stores.
const TIMED_OUT: usize = ABORTED;

enum Owner {
    /// A goroutine's record, uncounted (see the module docs).
    G(owner::Ptr),
    Thread(Thread),
}

/// What a claimer still has to do once it has let the owner go: enqueue a goroutine whose
/// wake-up it won, or unpark a thread.
enum Wakeup {
    G(Option<owner::Woken>),
    Thread(Thread),
}

/// `repr(C)`, in this order: behind the `Arc`'s two counts, everything a claimer touches to
/// hand over a word-sized message (the state, the owner it readies, the payload's drop slot
/// and first word) lies in the first 56 bytes, one cache line when the allocation starts one
/// and two otherwise, where Rust's own order spread it over 88 bytes (two or three).
#[repr(C)]
pub struct Inner {
    state: AtomicUsize,
    /// Who waits, set while the context serves a wait; pooled contexts hold no owner.
    /// Written only while the context is unshared (created, or taken from and returned to
    /// the pool).
    owner: std::cell::UnsafeCell<Option<Owner>>,
    payload: UnsafeCell<Payload>,
    /// A counted reference to a goroutine owner that left a held claim (unwound at
    /// shutdown): it keeps the record alive for the claimer's wake-up. Written only by the
    /// owner, read by nobody but the context's drop and the pool, both of which see the
    /// context unshared.
    keep: std::cell::UnsafeCell<Option<owner::Counted>>,
    /// Under loom: cleared when the owner lets the context go (see [`Listed`]), unless it
    /// left a held claim, whose claimer counts the context (`left_held`, the owner's own).
    #[cfg(loom)]
    live: loom::cell::UnsafeCell<bool>,
    #[cfg(loom)]
    left_held: loom::cell::UnsafeCell<bool>,
}

// SAFETY: the payload is touched only by whoever the state word makes its exclusive user
// (the module docs give the protocol); `owner` is written only while the context is
// unshared, `keep` only by the owner; the owner is a goroutine record, which the protocol
// keeps alive for as long as a claimer may ready it, or a thread handle. Messages in the
// payload belong to channels of `T: Send`.
unsafe impl Send for Inner {}
// SAFETY: as above.
unsafe impl Sync for Inner {}

/// A blocked operation's context (see the module docs). Cloning shares it.
#[derive(Clone)]
pub struct Context(Arc<Inner>);

impl std::ops::Deref for Context {
    type Target = Inner;
    #[inline]
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("state", &self.0.state.load(Ordering::Relaxed))
            .finish()
    }
}

impl Context {
    /// Runs `f` with a fresh context owned by the calling goroutine (or thread).
    pub(crate) fn with<R>(f: impl FnOnce(&Context) -> R) -> R {
        let cx = acquire();
        let r = f(&cx);
        release(cx);
        r
    }

    /// True until the operation has a final state (with or without `READYING`).
    #[inline]
    fn unfinished(&self) -> bool {
        self.0.state.load(Ordering::Acquire) < FINAL
    }

    /// How the wait ended, once the claimer is done with the owner (`READYING` is waited
    /// out: a wake-up in progress).
    #[inline]
    pub(crate) fn outcome(&self) -> Option<Selected> {
        let mut s = self.0.state.load(Ordering::Acquire);
        if s & READYING != 0 {
            let mut backoff = crate::sync::Backoff::new();
            while s & READYING != 0 {
                backoff.snooze();
                s = self.0.state.load(Ordering::Acquire);
            }
        }
        decode(s)
    }

    /// A goroutine owner unwound at shutdown, whose abort failed, leaves its wait: it waits
    /// out a claim that finishes in a moment, but not a held one (its claimer may be a
    /// goroutine that is unwound only after this one), whose claimer keeps the context
    /// alive; a counted reference left in the context then keeps the record alive for that
    /// claimer's ready. Returns how the wait ended (`None`: claimed, not finished).
    pub(crate) fn leave_unwound(&self) -> Option<Selected> {
        let mut backoff = crate::sync::Backoff::new();
        loop {
            let s = self.0.state.load(Ordering::Acquire);
            if s == HELD {
                // SAFETY: only the owner writes `keep`, and nobody reads it while the context
                // is shared (see `Inner`).
                unsafe { *self.0.keep.get() = owner::counted() };
                // SAFETY: the owner's own flag, read only by it (in `release`).
                #[cfg(loom)]
                self.0.left_held.with_mut(|h| unsafe { *h = true });
                return None;
            }
            if s != CLAIMED && s & READYING == 0 {
                return decode(s);
            }
            backoff.snooze();
        }
    }

    /// [`Context::with`] for a plain `send` or `recv`, which lists its context in one wait
    /// queue only: without a deadline every claim of it takes that queue's lock, so it is
    /// marked [`Context::claim_under_lock`]. `f` must abort it only with
    /// [`Context::abort_listed`] and wait with [`Context::wait_listed`], whose `unlist`
    /// takes that lock.
    #[inline(always)]
    pub(crate) fn with_plain<R>(deadline: Option<Instant>, f: impl FnOnce(&Context) -> R) -> R {
        Context::with(|cx| {
            if deadline.is_none() {
                cx.claim_under_lock();
            }
            f(cx)
        })
    }

    /// Marks a fresh context, before it is listed, as one whose every claim takes the lock
    /// of the one wait queue it is listed in (see the module docs and
    /// [`Context::with_plain`]).
    #[inline]
    pub(crate) fn claim_under_lock(&self) {
        debug_assert_eq!(self.0.state.load(Ordering::Relaxed), WAITING);
        // Unlisted, so nobody else reads the state yet; the queue's lock publishes it.
        self.0.state.store(WAITING_LOCKED, Ordering::Relaxed);
    }

    /// The owner sleeps until the operation is finished, or until `deadline`, when it
    /// aborts (unless it was claimed meanwhile: then it waits for the claimer to finish).
    #[inline(always)]
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> Selected {
        self.wait_listed(deadline, |_| {})
    }

    /// [`Context::wait`] for an owner listed in wait queues, whose entries `unlist` takes
    /// out. If the wait unwinds (its goroutine unwound at shutdown), the owner withdraws the
    /// operation, so that no peer hands a message to, or spends a wakeup on, a goroutine that
    /// is gone, and takes its entries out, since the context may go with the unwind and no
    /// entry may outlive it.
    ///
    /// Always inlined, with the goroutine path below it and `gpm_g::park`, so that a blocked
    /// channel operation switches out from the frame of the `send`/`recv`/`select!` that
    /// called it (see `gpm_g::park` for what a call level costs there). The thread-local
    /// pool is touched only by `acquire` and `release`, which are never inlined.
    #[inline(always)]
    pub(crate) fn wait_listed(
        &self,
        deadline: Option<Instant>,
        unlist: impl FnMut(&Context),
    ) -> Selected {
        struct Unwound<'a, F: FnMut(&Context)>(&'a Context, F);
        impl<F: FnMut(&Context)> Drop for Unwound<'_, F> {
            fn drop(&mut self) {
                if !self.0.abort_listed(&mut self.1) {
                    self.0.leave_unwound();
                }
                (self.1)(self.0);
            }
        }
        let mut guard = Unwound(self, unlist);
        let sel = if let Some(Owner::G(_)) = self.owner() {
            self.wait_goroutine(deadline, &mut guard.1)
        } else {
            self.wait_thread(deadline)
        };
        std::mem::forget(guard);
        sel
    }

    /// The owner's abort of a listed wait, which may be claimed under a lock: such a context
    /// is first taken out of its queue (`unlist`, under that lock), after which nobody can
    /// claim it; any other is aborted with [`Inner::abort`]. True (and `ABORTED`) if nobody
    /// claimed the operation.
    pub(crate) fn abort_listed(&self, unlist: &mut impl FnMut(&Context)) -> bool {
        if self.0.state.load(Ordering::Relaxed) != WAITING_LOCKED {
            return self.abort();
        }
        // Only a claim changes this state, and only under the lock `unlist` takes.
        unlist(self);
        if self.0.state.load(Ordering::Acquire) != WAITING_LOCKED {
            return false;
        }
        // Unlisted and unclaimed: nobody else touches the state any more.
        self.0.state.store(ABORTED, Ordering::Relaxed);
        true
    }

    #[inline(always)]
    fn wait_goroutine(
        &self,
        deadline: Option<Instant>,
        unlist: &mut impl FnMut(&Context),
    ) -> Selected {
        let mut timer_armed = false;
        loop {
            if let Some(s) = self.outcome() {
                return s;
            }
            if gpm_g::shutting_down() {
                // Unwinding at shutdown: parking returns at once, and a held claim may
                // belong to a goroutine that is unwound only after us. Do not wait for the
                // operation, only for a claim that finishes in a moment.
                if self.abort_listed(unlist) {
                    return Selected::Aborted;
                }
                return self.leave_unwound().unwrap_or(Selected::Interrupted);
            }
            if let Some(d) = deadline {
                if !timer_armed && crate::sync::now() >= d {
                    if self.abort() {
                        return Selected::Aborted;
                    }
                    // Claimed: the claimer finishes and readies us.
                    timer_armed = true;
                    continue;
                }
            }
            let timer = &mut timer_armed;
            gpm_g::park(|g| {
                if let (Some(d), false) = (deadline, *timer) {
                    *timer = true;
                    self.arm_timer(g, d);
                }
                // Stay parked only if nobody finished the operation meanwhile.
                self.unfinished()
            });
        }
    }

    /// A runtime timer that aborts the wait at `deadline`. Out of line, so that the park
    /// hook that calls it stays small enough to be inlined where the scheduler runs it.
    #[cold]
    #[inline(never)]
    fn arm_timer(&self, g: &gpm_g::GRef, deadline: Instant) {
        let cx = self.clone();
        let fire = move || {
            cx.notify(TIMED_OUT);
        };
        g.sched()
            .add_timer(deadline, TimerAction::Call(Box::new(fire)));
    }

    fn wait_thread(&self, deadline: Option<Instant>) -> Selected {
        let Some(Owner::Thread(me)) = self.owner() else {
            unreachable!("gpm: a thread waits on a context it does not own");
        };
        loop {
            if let Some(s) = self.outcome() {
                return s;
            }
            match deadline {
                Some(d) => {
                    let now = crate::sync::now();
                    if now < d {
                        me.park_timeout(d - now);
                    } else if self.abort() {
                        return Selected::Aborted;
                    } else {
                        // Claimed: the claimer finishes and unparks us.
                        me.park();
                    }
                }
                None => me.park(),
            }
        }
    }
}

/// What claimers (and the owner) do through any handle: a wait-queue entry's [`Listed`], or
/// the owner's [`Context`].
impl Inner {
    /// True if `self` and `other` are the same context.
    #[inline]
    pub(crate) fn same(&self, other: &Inner) -> bool {
        std::ptr::eq(self, other)
    }

    /// True while nobody has selected or aborted the operation.
    #[inline]
    pub(crate) fn is_waiting(&self) -> bool {
        self.state.load(Ordering::Acquire) <= WAITING_LOCKED
    }

    /// A peer's `WAITING → CLAIMED`. The winner must call [`Inner::finish`] exactly once.
    #[inline]
    pub(crate) fn try_claim(&self) -> bool {
        if self.state.load(Ordering::Relaxed) == WAITING_LOCKED {
            // The caller holds the lock of the one queue that lists us, which every other
            // claim takes too, and the owner changes this state neither while it is listed
            // nor without that lock (see the module docs). The lock also orders the owner's
            // writes (a message it offers) before ours.
            self.state.store(CLAIMED, Ordering::Relaxed);
            return true;
        }
        self.state
            .compare_exchange(WAITING, CLAIMED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The claimer's last step: publishes `state` (see [`Selected::oper`], [`DISCONNECT`])
    /// and wakes the owner.
    ///
    /// The owner sees `state` with the `READYING` bit while it is woken, and does not leave
    /// its wait before the bit is cleared: until then the context, and a goroutine owner's
    /// record, must stay alive for the wake-up (see the module docs). The store that clears
    /// the bit is the claimer's last touch of either.
    #[inline]
    pub(crate) fn finish(&self, state: usize) {
        debug_assert!(matches!(self.state.load(Ordering::Relaxed), CLAIMED | HELD));
        self.state.store(state | READYING, Ordering::Release);
        let woken = match self.owner() {
            // SAFETY: `g` is the owner's record, from `current_raw`. The owner does not
            // leave `wait` while it sees `READYING` (and so cannot exit and free the record),
            // unless it is unwound at shutdown after a held claim, when it leaves a counted
            // reference in `keep`, which lives as long as the context.
            Some(Owner::G(g)) => Wakeup::G(unsafe { owner::wake(*g) }),
            // A handle of our own: the owner's goes with the context.
            Some(Owner::Thread(t)) => Wakeup::Thread(t.clone()),
            None => unreachable!("gpm: a context claimed while it serves no wait"),
        };
        #[cfg(loom)]
        self.check_live();
        // Release: the owner may free the context and its record once it sees this. The
        // enqueue (or unpark) comes after, so that a woken owner never waits for it: it may
        // wake an idle M, a system call.
        self.state.store(state, Ordering::Release);
        match woken {
            Wakeup::G(Some(g)) => g.enqueue(),
            Wakeup::G(None) => {}
            Wakeup::Thread(t) => t.unpark(),
        }
    }

    /// Claims and finishes at once, when there is nothing to hand over. Returns `false` if
    /// somebody else got there first.
    #[inline]
    pub(crate) fn notify(&self, state: usize) -> bool {
        let won = self.try_claim();
        if won {
            self.finish(state);
        }
        won
    }

    /// The owner's `WAITING → ABORTED`. Returns `false` if the operation was claimed. Not
    /// for a context claimed under a lock, whose claims are no compare-exchange.
    #[inline]
    pub(crate) fn abort(&self) -> bool {
        debug_assert_ne!(
            self.state.load(Ordering::Relaxed),
            WAITING_LOCKED,
            "gpm: a wait claimed under a lock aborted"
        );
        self.state
            .compare_exchange(WAITING, ABORTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Stores the message handed over.
    ///
    /// # Safety
    /// The caller holds the claim (or is the owner and the context is not listed in any
    /// wait queue), and the owner will take it with the same `T`.
    #[inline]
    pub(crate) unsafe fn put<T>(&self, msg: T) {
        // SAFETY: exclusive access, guaranteed by the caller.
        self.payload.with_mut(|p| unsafe { (*p).put(msg) });
    }

    /// Takes the message handed over, if there is one.
    ///
    /// # Safety
    /// As for [`Inner::put`]: the caller holds the claim, or is the owner and has seen
    /// a final state (or aborted); the message was put as a `T`.
    #[inline]
    pub(crate) unsafe fn take<T>(&self) -> Option<T> {
        // SAFETY: exclusive access, guaranteed by the caller.
        self.payload.with_mut(|p| unsafe { (*p).take::<T>() })
    }

    /// Under loom: asserts that the owner has not let the context go, with a read that loom
    /// checks against the owner's write (see [`Listed`]).
    #[cfg(loom)]
    fn check_live(&self) {
        // SAFETY: a read of the owner's flag, which loom checks against its write.
        let live = self.live.with(|l| unsafe { *l });
        assert!(live, "gpm: a context used after its owner let it go");
    }

    /// Who waits.
    #[inline]
    fn owner(&self) -> &Option<Owner> {
        // SAFETY: the owner is written only while the context is unshared (see `Inner`), and
        // this handle keeps it shared.
        unsafe { &*self.owner.get() }
    }
}

/// A final state word as the owner reads it (`None` while waiting or claimed).
#[inline]
fn decode(s: usize) -> Option<Selected> {
    match s {
        s if s < FINAL => None,
        ABORTED => Some(Selected::Aborted),
        DISCONNECTED => Some(Selected::Disconnected),
        s => Some(Selected::Operation(s - OPER_BASE)),
    }
}

impl Inner {
    fn new(owner: Owner) -> Inner {
        Inner {
            state: AtomicUsize::new(WAITING),
            owner: std::cell::UnsafeCell::new(Some(owner)),
            payload: UnsafeCell::new(Payload::new()),
            keep: std::cell::UnsafeCell::new(None),
            #[cfg(loom)]
            live: loom::cell::UnsafeCell::new(true),
            #[cfg(loom)]
            left_held: loom::cell::UnsafeCell::new(false),
        }
    }
}
