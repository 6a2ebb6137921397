//! One blocked call: who waits (a goroutine or a thread), and how its wait ended.
//!
//! Every primitive waits the same way. The caller makes a [`Node`], lists it in the
//! primitive's wait list under the primitive's internal lock, releases that lock and calls
//! [`Node::wait`]. A waker finds the node under the same lock and *finishes* it: one
//! compare-exchange takes the node's state word out of `WAITING`, then (after the lock is
//! released) [`Node::wake`] readies the goroutine or unparks the thread.
//!
//! ```text
//!            try_finish(GRANTED | RETRY): a waker, under the primitive's lock
//!  WAITING ──────────────────────────────────────────────────────────────▶ final
//!     └── abort (ABORTED): the owner at its deadline, its deadline timer, its unwind ──┘
//! ```
//!
//! - `GRANTED`: the waker handed the resource over (a lock, a permit, a notification, the
//!   end of a wait); the owner already holds it when it wakes. `RETRY`: look again (a
//!   mutex released without a handoff, a `Once` whose initialiser panicked).
//! - Only one compare-exchange leaves `WAITING`, so a handoff and a timeout cannot both
//!   happen: if the owner's abort fails, it was granted and keeps what it got. The waker's
//!   exchange is `AcqRel` and the owner reads the state with `Acquire`, so whatever the
//!   waker did before (a critical section, a counter reaching zero) is visible to the owner.
//! - A final state is never left, so a stale wake (a goroutine's park can return early,
//!   see `gpm_g::park`; a thread's park can return spuriously) only makes the owner look
//!   at the state once more. A waker holds its own reference to the node, so a wake that
//!   lands after the owner has gone is harmless.
//!
//! Inside a goroutine the owner parks with [`gpm_g::park`], whose hook re-checks the state
//! after the goroutine has left its stack: a finish racing the park is either seen by the
//! hook (which cancels the park) or readies a goroutine whose park is committed. A deadline
//! becomes a runtime timer whose callback aborts the node and readies the goroutine (and
//! does nothing if the node was finished first; timers are not cancelled). Outside the
//! runtime, and in a goroutine being unwound by its runtime's shutdown (whose parks return
//! at once), the owner parks its thread, with a timeout for a deadline.
//!
//! If the goroutine is unwound while parked (its runtime shut down), the wait's unwind hook
//! aborts the node and tells the primitive how the wait ended, so that it can withdraw the
//! node or give back what was granted to a goroutine that is gone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gpm_g::{GRef, TimerAction};

use crate::sync::{AtomicUsize, Ordering, Thread};

/// Still waiting.
pub(crate) const WAITING: usize = 0;
/// Handed what it waited for.
pub(crate) const GRANTED: usize = 1;
/// Woken to try again.
pub(crate) const RETRY: usize = 2;
/// Gave up: deadline, or unwound.
pub(crate) const ABORTED: usize = 3;

enum Owner {
    G(GRef),
    Thread(Thread),
}

/// A blocked call's record, shared by its owner, the wait list and an armed timer.
pub(crate) struct Node {
    state: AtomicUsize,
    owner: Owner,
    /// What the primitive needs to know about the waiter (a reader or a writer, say).
    tag: usize,
    /// When the owner first started waiting for this acquisition (the mutex's starvation
    /// check).
    since: Instant,
}

impl Node {
    /// A node for the calling goroutine, or thread.
    pub(crate) fn new(tag: usize) -> Arc<Node> {
        Node::waiting_since(tag, Instant::now())
    }

    /// A node whose owner has been waiting since `since`.
    pub(crate) fn waiting_since(tag: usize, since: Instant) -> Arc<Node> {
        let owner = match gpm_g::current() {
            Some(g) if !gpm_g::shutting_down() => Owner::G(g),
            _ => Owner::Thread(Thread::current()),
        };
        Arc::new(Node {
            state: AtomicUsize::new(WAITING),
            owner,
            tag,
            since,
        })
    }

    pub(crate) fn tag(&self) -> usize {
        self.tag
    }

    pub(crate) fn since(&self) -> Instant {
        self.since
    }

    /// True while nobody has finished or aborted the wait.
    pub(crate) fn is_waiting(&self) -> bool {
        self.state.load(Ordering::Acquire) == WAITING
    }

    /// A waker's `WAITING → state`; `false` if the owner aborted first. The winner calls
    /// [`Node::wake`], after releasing the primitive's lock.
    pub(crate) fn try_finish(&self, state: usize) -> bool {
        debug_assert!(state == GRANTED || state == RETRY);
        self.cas(state)
    }

    /// The owner's (or its timer's) `WAITING → ABORTED`; `false` if a waker got there first.
    pub(crate) fn abort(&self) -> bool {
        self.cas(ABORTED)
    }

    fn cas(&self, state: usize) -> bool {
        self.state
            .compare_exchange(WAITING, state, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Wakes the owner. Harmless if it is not asleep any more.
    pub(crate) fn wake(&self) {
        match &self.owner {
            Owner::G(g) => gpm_g::ready(g),
            Owner::Thread(t) => t.unpark(),
        }
    }

    fn outcome(&self) -> Option<usize> {
        match self.state.load(Ordering::Acquire) {
            WAITING => None,
            s => Some(s),
        }
    }

    /// The owner sleeps until the node is finished, or until `deadline`, when it aborts;
    /// returns the final state (`GRANTED`, `RETRY` or `ABORTED`). If the goroutine is
    /// unwound meanwhile, `unwound` runs with the final state (`ABORTED` unless a waker won
    /// the race), so the primitive can withdraw the node or give back what was granted.
    pub(crate) fn wait(
        self: &Arc<Self>,
        deadline: Option<Instant>,
        unwound: impl FnOnce(usize),
    ) -> usize {
        struct OnUnwind<'a, F: FnOnce(usize)>(&'a Node, Option<F>);
        impl<F: FnOnce(usize)> Drop for OnUnwind<'_, F> {
            fn drop(&mut self) {
                if let Some(f) = self.1.take() {
                    let s = if self.0.abort() {
                        ABORTED
                    } else {
                        self.0.outcome().unwrap_or(ABORTED)
                    };
                    f(s);
                }
            }
        }
        let mut guard = OnUnwind(self, Some(unwound));
        let s = match &self.owner {
            Owner::G(_) => self.wait_goroutine(deadline),
            Owner::Thread(t) => self.wait_thread(t, deadline),
        };
        guard.1 = None;
        s
    }

    fn wait_goroutine(self: &Arc<Self>, deadline: Option<Instant>) -> usize {
        let mut timer_armed = false;
        loop {
            if let Some(s) = self.outcome() {
                return s;
            }
            if let Some(d) = deadline {
                if !timer_armed && crate::sync::now() >= d {
                    if self.abort() {
                        return ABORTED;
                    }
                    continue; // finished meanwhile: the loop returns it
                }
            }
            let armed = &mut timer_armed;
            gpm_g::park(|g| {
                if let (Some(d), false) = (deadline, *armed) {
                    *armed = true;
                    let node = self.clone();
                    let fire = move || {
                        if node.abort() {
                            node.wake();
                        }
                    };
                    g.sched().add_timer(d, TimerAction::Call(Box::new(fire)));
                }
                // Stay parked only if nobody finished the wait meanwhile.
                self.outcome().is_none()
            });
        }
    }

    fn wait_thread(&self, me: &Thread, deadline: Option<Instant>) -> usize {
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
                        return ABORTED;
                    }
                }
                None => me.park(),
            }
        }
    }
}

/// The deadline `timeout` from now; `None` (wait for ever) if the clock cannot express it.
pub(crate) fn deadline_after(timeout: Duration) -> Option<Instant> {
    crate::sync::now().checked_add(timeout)
}

/// True once `deadline` has passed.
pub(crate) fn expired(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| crate::sync::now() >= d)
}
