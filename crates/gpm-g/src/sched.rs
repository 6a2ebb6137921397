//! The interface through which a G reaches the scheduler that runs it.
//!
//! `gpm-g` sits below the run queues and the worker threads, so it cannot name them. Each G
//! carries an `Arc<dyn Sched>` instead; `gpm-m` implements it. Channels and the netpoller use
//! only [`crate::ready`] and [`crate::park`], which go through this trait.

use std::any::Any;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;
use std::time::Instant;

use crate::GRef;

/// What a timer does when it fires.
pub enum TimerAction {
    /// Make this G runnable (`gpm::time::sleep`).
    Ready(GRef),
    /// Run a callback on the scheduler side. It must not block.
    Call(Box<dyn FnOnce() + Send>),
}

/// A scheduler as seen from a G.
///
/// # Safety
/// `enqueue` must stay sound when `g` holds the last reference to `self` (through the G's
/// own `Arc<dyn Sched>`): once `g` is in a queue that another thread may run, drop and free,
/// `self` must be kept alive by something else for as long as `enqueue` still uses it:
/// [`crate::Woken::enqueue`] calls it with the only reference its caller may hold moved in.
pub unsafe trait Sched: Send + Sync + 'static {
    /// Put a G that has just become runnable on a run queue. Called exactly once per
    /// `PARKED → RUNNABLE` transition, by whoever won it.
    /// With `next`, the G runs next on the current P (`runnext`, Go's `goready`); without,
    /// it joins the back of the queue (timers use this so that goroutines woken together
    /// run in deadline order).
    fn enqueue(&self, g: GRef, next: bool);

    /// Run `action` at (or soon after) `when`.
    fn add_timer(&self, when: Instant, action: TimerAction);

    /// The network poller the schedule loop polls, if the runtime has one.
    fn poller(&self) -> Option<&Arc<dyn Poll>> {
        None
    }
}

/// A network poller as the schedule loop sees it (Go's `netpoll` hooks). `gpm-netpoll`
/// implements it; the runtime's Ms call it from their schedule loop, so the poller needs no
/// knowledge of Ps or Ms: it hands back the goroutines whose fds became ready, and the M
/// readies them (with [`crate::ready_fifo`]) once it holds a P, as Go's `findRunnable` does
/// with the list `netpoll` returns.
pub trait Poll: Debug + Send + Sync + 'static {
    /// True while some goroutine waits on an fd, so that polling may find something.
    fn has_waiters(&self) -> bool;

    /// Collects readiness and pushes the goroutines it wakes onto `out` (their waits are
    /// over; readying them is the caller's job). Waits up to `timeout` for the first event:
    /// `Some(ZERO)` does not block, `None` waits until an event or [`Poll::wake`]. One
    /// thread polls at a time: a non-blocking call that finds another one under way returns
    /// at once with nothing, a blocking one waits for it to finish (the runtime has only
    /// one blocking caller, its sleeper M, and the others never block in here).
    fn poll(&self, timeout: Option<Duration>, out: &mut Vec<GRef>);

    /// Makes the current or next blocking [`Poll::poll`] return early (Go's `netpollBreak`).
    fn wake(&self);

    /// The poller as `Any`, so the layer that created it can get its own type back.
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

/// The poller of the runtime running the calling goroutine, if it has one.
pub fn current_poller() -> Option<Arc<dyn Poll>> {
    let g = crate::park::current_ptr();
    if g.is_null() {
        return None;
    }
    // SAFETY: `exec::run` keeps the running G alive while CURRENT points at it.
    unsafe { (*g).sched.poller().cloned() }
}
