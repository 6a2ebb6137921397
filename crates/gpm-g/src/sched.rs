//! The interface through which a G reaches the scheduler that runs it.
//!
//! `gpm-g` sits below the run queues and the worker threads, so it cannot name them. Each G
//! carries an `Arc<dyn Sched>` instead; `gpm-m` implements it. Channels and the netpoller use
//! only [`crate::ready`] and [`crate::park`], which go through this trait.

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
pub trait Sched: Send + Sync + 'static {
    /// Put a G that has just become runnable on a run queue. Called exactly once per
    /// `PARKED → RUNNABLE` transition, by whoever won it.
    /// With `next`, the G runs next on the current P (`runnext`, Go's `goready`); without,
    /// it joins the back of the queue (timers use this so that goroutines woken together
    /// run in deadline order).
    fn enqueue(&self, g: GRef, next: bool);

    /// Run `action` at (or soon after) `when`.
    fn add_timer(&self, when: Instant, action: TimerAction);
}
