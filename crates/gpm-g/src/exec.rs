//! How an M runs a G: switch in, and learn on the way back why the G switched out.
//!
//! The scheduler loop runs on the M's own (thread) stack. [`run`] resumes the G's coroutine;
//! the G comes back by yielding, by parking, or by returning. Parking is where the
//! park/ready protocol of [`crate::state`] meets the context switch: the G has already left
//! its stack when its park hook runs here, so a waker that the hook lets in can only find a
//! G that is safe to resume somewhere else.

use std::mem;
use std::sync::atomic::Ordering;

use corosensei::CoroutineResult;

use crate::g::{Body, Co};
use crate::park::set_current;
use crate::state::Commit;
use crate::{overflow, stack, trace, GRef};

/// What a G hands the scheduler when it switches out.
pub enum Switch {
    /// `yield_now`: put me at the back of the run queue.
    Yield,
    /// `park(after)`: `call(data, g)` runs the hook that lives on the G's stack.
    Park {
        /// The hook, type-erased.
        data: *mut (),
        /// Calls and consumes the hook.
        call: unsafe fn(*mut (), &GRef) -> bool,
    },
}

/// Why [`run`] returned, with the caller's reference to the G unless the G parked.
#[derive(Debug)]
pub enum Ran {
    /// The G yielded; put it at the back of a run queue.
    Yielded(GRef),
    /// The G is parked, and its state holds the reference it was run by: whoever readies
    /// it takes that reference to a run queue (rule 5 of [`crate::state`]).
    Parked,
    /// The G's park was cancelled or already satisfied; run it again soon (runnext).
    Requeue(GRef),
    /// The G finished (or never could start); drop the scheduler's references to it.
    Exited(GRef),
}

/// How one run of a G ended (what [`Ran`] says, before the reference is placed).
enum End {
    Yielded,
    Parked,
    Requeue,
    Exited,
}

/// What `run` needs from the M that calls it.
pub trait Host {
    /// A stack with at least `size` usable bytes, for a G's first run.
    fn get_stack(&mut self, size: usize) -> std::io::Result<stack::Stack>;
    /// A stack that is free again after a G's last run.
    fn put_stack(&mut self, stack: stack::Stack);
    /// Called when `g` switches out to park, before its park hook runs and so before any
    /// waker can see it: the scheduler records parked goroutines here, so that shutdown can
    /// find them (a runnable G is always in a run queue, where shutdown finds it anyway).
    fn parking(&mut self, g: &GRef);
    /// Called just before the M switches into a G.
    fn switching_in(&mut self) {}
    /// Called just after the G switched back to the M, before anything else (a park
    /// hook included) runs on the M's side.
    fn switched_out(&mut self) {}
    /// The index of the P this M holds, for the trace.
    fn p_id(&self) -> Option<usize> {
        None
    }
}

/// Runs `g` on the calling thread until it yields, parks or finishes. The caller must have
/// taken `g` from a run queue (so it is `RUNNABLE` and nobody else runs it). If the G parks,
/// `g` is not dropped but left to the parked state (see [`Ran::Parked`]); once the park is
/// committed a waker may already run the G elsewhere, so nothing here touches it after that.
///
/// Generic over the host so that its hooks, called on every switch, inline into the
/// scheduler's copy of this function.
#[inline]
pub fn run<H: Host + ?Sized>(g: GRef, host: &mut H) -> Ran {
    match switch_in(&g, host) {
        End::Yielded => Ran::Yielded(g),
        End::Parked => {
            // Rule 5 of `state`: the parked G's state now holds this reference.
            let _ = GRef::into_raw(g);
            Ran::Parked
        }
        End::Requeue => Ran::Requeue(g),
        End::Exited => Ran::Exited(g),
    }
}

/// [`run`] up to where the G's reference is placed.
#[inline(always)]
fn switch_in<H: Host + ?Sized>(g: &GRef, host: &mut H) -> End {
    g.state.start();
    // SAFETY: a RUNNABLE G taken from a run queue is owned by the one M that took it; only
    // that M touches `body` until the G is enqueued again.
    let body = unsafe { &mut *g.body.get() };
    if let Body::Unstarted = body {
        match host.get_stack(g.stack_size()) {
            Ok(stack) => start(g, body, stack),
            Err(e) => {
                eprintln!(
                    "gpm: cannot allocate a {} byte stack for goroutine {}: {e}",
                    g.stack_size(),
                    g.id()
                );
                if let Body::Unstarted = mem::replace(body, Body::Done) {
                    cancel(g);
                }
                g.state.finish();
                return End::Exited;
            }
        }
    }
    let Body::Running(co) = body else {
        unreachable!("gpm: goroutine {} run after it finished", g.id());
    };
    set_current(GRef::as_ptr(g));
    overflow::set_running(&g.running);
    // The entry catches every panic of the goroutine; one that still escapes the coroutine
    // would unwind the M with its P and queues half-updated.
    let abort = AbortOnUnwind("gpm: a panic escaped a goroutine's root; aborting");
    host.switching_in();
    if trace::on() {
        trace::run(g.id().0, host.p_id());
    }
    let result = co.resume(());
    host.switched_out();
    if trace::on() {
        // Recorded before the park hook can let a waker in (see `trace`).
        let end = match &result {
            CoroutineResult::Yield(Switch::Yield) => trace::End::Yield,
            CoroutineResult::Yield(Switch::Park { .. }) => trace::End::Park,
            CoroutineResult::Return(()) => trace::End::Exit,
        };
        trace::stop(g.id().0, end);
    }
    mem::forget(abort);
    overflow::set_running(std::ptr::null());
    set_current(std::ptr::null());
    check_canary(g);
    match result {
        CoroutineResult::Yield(Switch::Yield) => {
            g.state.yielded();
            End::Yielded
        }
        CoroutineResult::Yield(Switch::Park { data, call }) => {
            host.parking(g);
            let abort = AbortOnUnwind("gpm: a park hook panicked");
            // SAFETY: `data` and `call` come from `park`, whose hook stays alive on the
            // suspended G's stack until the G is resumed, which cannot happen before
            // `commit_park` below.
            let keep_parked = unsafe { call(data, g) };
            mem::forget(abort);
            if !keep_parked {
                g.state.cancel_park();
                End::Requeue
            } else {
                match g.state.commit_park() {
                    Commit::Parked => End::Parked,
                    Commit::Requeue => {
                        // A ready came before the commit. Its waker could not tell this
                        // from one before the park and left it untraced; the M records it.
                        crate::trace::ready(g.id().0);
                        End::Requeue
                    }
                }
            }
        }
        CoroutineResult::Return(()) => {
            g.state.finish();
            g.yielder.set(std::ptr::null());
            if let Body::Running(co) = mem::replace(body, Body::Done) {
                host.put_stack(co.into_stack().into_inner());
            }
            End::Exited
        }
    }
}

/// The entry of a G that this thread runs (or kills). A shared look: the G's join handle
/// may read the entry at the same time, and nobody changes the slot of a shared record
/// (only `G::retire` and `G::recycle` do, through the one `GRef`).
fn entry_of(g: &GRef) -> &dyn crate::Entry {
    // SAFETY: as above; every G is made with an entry, and keeps it until it is retired,
    // which an exited G only is.
    unsafe {
        (*g.task.get())
            .get()
            .expect("every G has an entry")
            .as_ref()
    }
}

/// Tells the entry of a G that will never run. Its closure's destructors run here, on the
/// M's stack: a panic among them is reported and contained, not let loose in the scheduler.
fn cancel(g: &GRef) {
    let entry = entry_of(g);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || entry.cancel()));
    if r.is_err() {
        eprintln!(
            "gpm: a destructor panicked while unstarted goroutine {} was dropped",
            g.id()
        );
    }
}

/// First run: build the coroutine on `stack` around the G's entry closure.
fn start(g: &GRef, body: &mut Body, stack: stack::Stack) {
    debug_assert!(matches!(body, Body::Unstarted));
    let entry: *const dyn crate::Entry = entry_of(g);
    g.running.set_stack(&stack);
    let gp = GRef::as_ptr(g);
    let co = Co::with_stack(stack::Skewed::new(stack), move |yielder, ()| {
        // SAFETY: the coroutine lives inside the G, so the G outlives it.
        unsafe { (*gp).yielder.set(yielder as *const _) };
        // SAFETY: the entry lives in the G's task slot, which stays as it is while the G's
        // coroutine exists: the record is reused only once its body is `Done`, and dropped
        // only after its body (see `G::task`).
        unsafe { (*entry).run() };
    });
    *body = Body::Running(co);
}

/// Stacks without a guard page carry a canary word at their lowest address; a G that ran
/// past it has overflowed. Checked at every switch out.
fn check_canary(g: &GRef) {
    let Some(addr) = g.running.canary() else {
        return;
    };
    // SAFETY: `addr` came from `canary_addr()` of the stack that the G's coroutine owns,
    // which is alive, and this thread has just switched the G out.
    if !unsafe { stack::canary_ok(addr) } {
        overflow::report_overflow(g.id().0, g.name());
    }
}

/// Unwinds a G that will never run again because its runtime is shutting down: a started G
/// is force-unwound on the calling thread so its destructors run; a G that never ran just
/// drops its closure. The caller must own `g` exclusively (all Ms have stopped), and `g`
/// must not be the goroutine the caller runs on.
pub fn kill(g: &GRef) {
    g.killed.store(true, Ordering::Release);
    if g.state.kill() {
        // SAFETY: rule 5 of `state`: the parked G's own reference, which `kill` made ours
        // (no ready can take it any more); `g` keeps the record alive past this drop.
        drop(unsafe { GRef::from_raw(GRef::as_ptr(g)) });
    }
    // SAFETY: the caller owns the G exclusively.
    let body = mem::replace(unsafe { &mut *g.body.get() }, Body::Done);
    match body {
        Body::Running(co) => {
            // The caller may itself be a goroutine (a runtime dropped from inside one of its
            // own goroutines): restore its records afterwards instead of clearing them.
            let prev = crate::park::current_ptr();
            let prev_running = overflow::running();
            set_current(GRef::as_ptr(g));
            overflow::set_running(&g.running);
            // Dropping a suspended corosensei coroutine unwinds its stack.
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(co)));
            overflow::set_running(prev_running);
            set_current(prev);
            if r.is_err() {
                eprintln!(
                    "gpm: a destructor panicked while goroutine {} was unwound at shutdown",
                    g.id()
                );
            }
        }
        Body::Unstarted => cancel(g),
        Body::Done => {}
    }
}

struct AbortOnUnwind(&'static str);

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        eprintln!("{}", self.0);
        std::process::abort();
    }
}
