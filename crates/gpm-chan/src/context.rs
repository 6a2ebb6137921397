//! The context of one blocked channel operation: who waits, how far the operation has got,
//! and the message handed over.
//!
//! A goroutine or thread that must wait (in `send`, `recv` or `select!`) takes a
//! [`Context`], lists it in the wait queues of the channels it waits on, and sleeps until
//! somebody *selects* it. One atomic state word decides who that is:
//!
//! ```text
//!             try_claim (a peer, the disconnecting side, a timer)
//!  WAITING ───────────────────────────────────────────────▶ CLAIMED ──finish(s)──▶ s
//!     │                                                        (payload written)    │
//!     └── abort (the owner itself: deadline passed, or a channel was ready) ─▶ ABORTED
//!                                                     s = OPERATION(i) | DISCONNECTED | ABORTED
//! ```
//!
//! - Only one party wins `WAITING → CLAIMED` (a compare-exchange), so an operation is
//!   completed at most once: a waiter registered on five channels is woken by one of them.
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
//! - A goroutine owner is named by its record's bare address, which adds no reference to
//!   the record (a waiting operation touches the record's count neither when it starts
//!   nor when it is woken). So the claimer must be done with the record before the owner
//!   can leave `wait`, exit and free it: it publishes the final state with a `READYING`
//!   bit, readies the owner, and then stores the state without the bit, its last touch.
//!   The owner does not return (nor park) while it sees the bit; that window is a ready,
//!   a few instructions unless the claimer's thread is switched out in it. The one owner
//!   that cannot wait is a goroutine unwound at shutdown, since the claimer may be a
//!   goroutine unwound after it: it leaves a counted reference in the context instead
//!   (`keep`), which goes only with the context, after the claimer's clone of it.
//!
//! Inside a goroutine the owner parks with [`gpm_g::park`]: its hook re-checks the state
//! after the goroutine has left its stack, so a `finish` racing the park is either seen by
//! the hook or readies a goroutine whose park is committed (the park/ready protocol of
//! `gpm-g`). A deadline becomes a runtime timer that claims the context as `ABORTED`.
//! Outside the runtime the owner parks its thread, with a timeout for a deadline.
//!
//! Contexts are reference counted: wait-queue entries and armed timers hold clones, so a
//! context outlives the frame of a goroutine that is unwound at shutdown while somebody
//! still finishes its operation. Unshared contexts are kept in a small per-thread pool.

use std::time::Instant;

use gpm_g::TimerAction;

use crate::owner;
use crate::payload::Payload;
use crate::sync::{Arc, AtomicUsize, Ordering, Thread, UnsafeCell};

const WAITING: usize = 0;
const CLAIMED: usize = 1;
const ABORTED: usize = 2;
const DISCONNECTED: usize = 3;
/// `OPER_BASE + i`: completed by operation `i` (the index of a select arm, 0 otherwise).
const OPER_BASE: usize = 4;
/// Set with a final state while the claimer still readies the goroutine owner (the top bit,
/// far above any select's arm count).
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
    /// The waiting goroutine is being unwound by its runtime's shutdown while a peer
    /// still finishes its claim: the owner does not wait for it.
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

/// `repr(C)`, in this order: behind the `Arc`'s two counts, everything a claimer touches to
/// hand over a word-sized message (the state, the owner it readies, the payload's drop slot
/// and first word) lies in the first 56 bytes, one cache line when the allocation starts one
/// and two otherwise, where Rust's own order spread it over 88 bytes (two or three).
#[repr(C)]
struct Inner {
    state: AtomicUsize,
    /// Who waits, set while the context serves a wait; pooled contexts hold no owner.
    /// Written only while the context is unshared (created, or taken from and returned to
    /// the pool).
    owner: std::cell::UnsafeCell<Option<Owner>>,
    payload: UnsafeCell<Payload>,
    /// A counted reference to a goroutine owner that left before its claimer finished
    /// (unwound at shutdown): it keeps the record alive for the claimer's ready. Written
    /// only by the owner, read by nobody but the context's drop and the pool, both of which
    /// see the context unshared.
    keep: std::cell::UnsafeCell<Option<owner::Counted>>,
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

    /// True if `self` and `other` are the same context.
    #[inline]
    pub(crate) fn same(&self, other: &Context) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// True while nobody has selected or aborted the operation.
    #[inline]
    pub(crate) fn is_waiting(&self) -> bool {
        self.0.state.load(Ordering::Acquire) == WAITING
    }

    /// A peer's `WAITING → CLAIMED`. The winner must call [`Context::finish`] exactly once.
    #[inline]
    pub(crate) fn try_claim(&self) -> bool {
        self.0
            .state
            .compare_exchange(WAITING, CLAIMED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The claimer's last step: publishes `state` (see [`Selected::oper`], [`DISCONNECT`])
    /// and wakes the owner.
    ///
    /// A goroutine owner sees `state` with the `READYING` bit while it is readied, and does
    /// not leave its wait before the bit is cleared: until then its record must stay alive
    /// for the ready (see the module docs).
    #[inline]
    pub(crate) fn finish(&self, state: usize) {
        debug_assert_eq!(self.0.state.load(Ordering::Relaxed), CLAIMED);
        match self.owner() {
            Some(Owner::G(g)) => {
                let g = *g;
                self.0.state.store(state | READYING, Ordering::Release);
                // SAFETY: `g` is the owner's record, from `current_raw`. The owner does not
                // leave `wait` while it sees `READYING` (and so cannot exit and free the
                // record), unless it is unwound at shutdown, when it leaves a counted
                // reference in `keep` for as long as the context lives; we hold a clone of
                // the context.
                unsafe { owner::ready(g) };
                // Release: the owner may free the record once it sees this.
                self.0.state.store(state, Ordering::Release);
            }
            Some(Owner::Thread(t)) => {
                self.0.state.store(state, Ordering::Release);
                t.unpark();
            }
            None => unreachable!("gpm: a context claimed while it serves no wait"),
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

    /// The owner's `WAITING → ABORTED`. Returns `false` if the operation was claimed.
    #[inline]
    pub(crate) fn abort(&self) -> bool {
        self.0
            .state
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
        self.0.payload.with_mut(|p| unsafe { (*p).put(msg) });
    }

    /// Takes the message handed over, if there is one.
    ///
    /// # Safety
    /// As for [`Context::put`]: the caller holds the claim, or is the owner and has seen
    /// a final state (or aborted); the message was put as a `T`.
    #[inline]
    pub(crate) unsafe fn take<T>(&self) -> Option<T> {
        // SAFETY: exclusive access, guaranteed by the caller.
        self.0.payload.with_mut(|p| unsafe { (*p).take::<T>() })
    }

    /// Who waits.
    #[inline]
    fn owner(&self) -> &Option<Owner> {
        // SAFETY: the owner is written only while the context is unshared (see `Inner`), and
        // this handle keeps it shared.
        unsafe { &*self.0.owner.get() }
    }

    /// True until the operation has a final state (with or without `READYING`).
    #[inline]
    fn unfinished(&self) -> bool {
        matches!(self.0.state.load(Ordering::Acquire), WAITING | CLAIMED)
    }

    /// How the wait ended, once the claimer is done with the owner (`READYING` is waited
    /// out: a ready in progress).
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

    /// A goroutine owner unwound at shutdown leaves its wait without waiting for a claimer
    /// that has not finished (it may be a goroutine unwound only after this one): a counted
    /// reference left in the context keeps the record alive for that claimer's ready.
    /// Returns how the wait stands (`None`: claimed, not finished).
    pub(crate) fn leave_unwound(&self) -> Option<Selected> {
        let s = self.0.state.load(Ordering::Acquire);
        if s == CLAIMED || s & READYING != 0 {
            // SAFETY: only the owner writes `keep`, and nobody reads it while the context is
            // shared (see `Inner`).
            unsafe { *self.0.keep.get() = owner::counted() };
        }
        decode(s & !READYING)
    }

    /// The owner sleeps until the operation is finished, or until `deadline`, when it
    /// aborts (unless it was claimed meanwhile: then it waits for the claimer to finish).
    ///
    /// Always inlined, with the goroutine path below it and `gpm_g::park`, so that a blocked
    /// channel operation switches out from the frame of the `send`/`recv`/`select!` that
    /// called it (see `gpm_g::park` for what a call level costs there). The thread-local
    /// pool is touched only by `acquire` and `release`, which are never inlined.
    #[inline(always)]
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> Selected {
        if let Some(Owner::G(_)) = self.owner() {
            self.wait_goroutine(deadline)
        } else {
            self.wait_thread(deadline)
        }
    }

    #[inline(always)]
    fn wait_goroutine(&self, deadline: Option<Instant>) -> Selected {
        // If the goroutine is unwound while parked here (its runtime shut down), withdraw
        // the operation, so that no peer hands a message to, or spends a wakeup on, a
        // goroutine that is gone; peers drop its entries when they pass them.
        struct Withdraw<'a>(&'a Context);
        impl Drop for Withdraw<'_> {
            fn drop(&mut self) {
                if !self.0.abort() {
                    self.0.leave_unwound();
                }
            }
        }
        let withdraw = Withdraw(self);
        let sel = self.wait_goroutine_loop(deadline);
        std::mem::forget(withdraw);
        sel
    }

    #[inline(always)]
    fn wait_goroutine_loop(&self, deadline: Option<Instant>) -> Selected {
        let mut timer_armed = false;
        loop {
            if let Some(s) = self.outcome() {
                return s;
            }
            if gpm_g::shutting_down() {
                // Unwinding at shutdown: parking returns at once, and whoever holds a claim
                // may be a goroutine that is unwound only after us. Do not wait.
                if self.abort() {
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
                    let cx = self.clone();
                    let fire = move || {
                        cx.notify(TIMED_OUT);
                    };
                    g.sched().add_timer(d, TimerAction::Call(Box::new(fire)));
                }
                // Stay parked only if nobody finished the operation meanwhile.
                self.unfinished()
            });
        }
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

/// A final state word as the owner reads it (`None` while waiting or claimed).
#[inline]
fn decode(s: usize) -> Option<Selected> {
    match s {
        WAITING | CLAIMED => None,
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
        }
    }
}

#[cfg(not(loom))]
thread_local! {
    static POOL: std::cell::RefCell<Vec<Arc<Inner>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Unshared contexts a thread keeps for reuse.
#[cfg(not(loom))]
const POOL_MAX: usize = 16;

/// A context for the calling goroutine or thread, from the pool if it has one. Not
/// inlined, and never holding the pool borrow across a park: a goroutine may resume on
/// another thread (see `gpm_g::park`).
#[inline(never)]
pub(crate) fn acquire() -> Context {
    let g = owner::current();
    let owner = if g.is_null() {
        Owner::Thread(Thread::current())
    } else {
        Owner::G(g)
    };
    #[cfg(not(loom))]
    if let Some(inner) = POOL.try_with(|p| p.borrow_mut().pop()).ok().flatten() {
        // SAFETY: a pooled context is unshared (`release` checked it) and only this thread
        // can reach it, so nothing reads `owner` while we write it.
        unsafe { *inner.owner.get() = Some(owner) };
        inner.state.store(WAITING, Ordering::Relaxed);
        return Context(inner);
    }
    Context(Arc::new(Inner::new(owner)))
}

/// Returns a context to the calling thread's pool if nobody else holds it (a claimer
/// that has not dropped its clone yet, or a timer that has not fired: then it is freed by
/// whoever lets go of it last). Under loom contexts are not pooled.
#[inline(never)]
fn release(cx: Context) {
    #[cfg(not(loom))]
    {
        let inner = cx.0;
        // No weak references are ever made, so a strong count of one means this is the
        // last handle and nobody can make another. The acquire fence pairs with the release
        // decrement of whoever dropped the one before (as in `Arc`'s own drop).
        if Arc::strong_count(&inner) != 1 || Arc::weak_count(&inner) != 0 {
            return;
        }
        std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
        // SAFETY: the only handle, checked above.
        unsafe {
            *inner.owner.get() = None;
            *inner.keep.get() = None;
        }
        // SAFETY: as above.
        inner.payload.with_mut(|p| unsafe { (*p).clear() });
        let _ = POOL.try_with(|p| {
            let mut p = p.borrow_mut();
            if p.len() < POOL_MAX {
                p.push(inner);
            }
        });
    }
    #[cfg(loom)]
    drop(cx);
}
