//! What goroutines and their wakers call: `park`, `ready`, `yield_now`, `current`.
//!
//! The running G is found through one thread-local pointer, which [`crate::exec::run`] sets
//! before switching into a G and clears after it switches back. Its two accessors
//! (`current_ptr`, `set_current`) are `#[inline(never)]`, and no function here reads it on
//! both sides of a switch: a G can resume on another OS thread, and the compiler may reuse a
//! thread-local address it computed earlier in the same function. [`park`] itself is always
//! inlined into its caller; its docs say why that is safe.

use std::cell::Cell;
use std::ptr;
use std::sync::atomic::Ordering;

use crate::exec::Switch;
use crate::g::G;
use crate::state::Readied;
use crate::{GId, GRef};

thread_local! {
    static CURRENT: Cell<*const G> = const { Cell::new(ptr::null()) };
}

#[inline(never)]
pub(crate) fn set_current(g: *const G) {
    CURRENT.with(|c| c.set(g));
}

#[inline(never)]
pub(crate) fn current_ptr() -> *const G {
    CURRENT.with(|c| c.get())
}

/// A new reference to the G that `p` points to.
///
/// # Safety
/// `p` must come from `GRef::as_ptr` of a G that is still alive.
unsafe fn clone_ref(p: *const G) -> GRef {
    // SAFETY: the caller guarantees `p` is a live record's address; we add the reference
    // that `from_raw` then takes over.
    unsafe {
        GRef::increment_strong_count(p);
        GRef::from_raw(p)
    }
}

/// The goroutine running on this thread, if any.
#[inline]
pub fn current() -> Option<GRef> {
    let p = current_ptr();
    if p.is_null() {
        None
    } else {
        // SAFETY: `exec::run` keeps a reference to the G it runs for as long as CURRENT
        // points at it.
        Some(unsafe { clone_ref(p) })
    }
}

/// The address of the goroutine running on this thread (null outside one), for a waker
/// that will call [`wake_raw`] on it: unlike [`current`] it adds no reference, so the
/// record may be freed once the goroutine exits (see `wake_raw`'s contract).
#[inline]
pub fn current_raw() -> *const G {
    current_ptr()
}

/// The id of the goroutine running on this thread, if any.
#[inline]
pub fn current_id() -> Option<GId> {
    let p = current_ptr();
    // SAFETY: as in `current`.
    (!p.is_null()).then(|| unsafe { (*p).id() })
}

/// True when called from inside a goroutine.
#[inline]
pub fn in_goroutine() -> bool {
    !current_ptr().is_null()
}

/// True when the calling goroutine is being unwound because its runtime shut down. The
/// goroutine entry uses this to let the unwind through instead of reporting a panic.
#[inline]
pub fn shutting_down() -> bool {
    let p = current_ptr();
    // SAFETY: as in `current`.
    !p.is_null() && unsafe { (*p).killed.load(Ordering::Acquire) }
}

/// Parks the calling goroutine: switches to the scheduler and, once off the goroutine's
/// stack, runs `after(g)` there (Go's `gopark` with its `unlockf`). `after` typically
/// publishes `g` where a waker will find it and releases a lock; it must not block. If it
/// returns `false` the park is cancelled and the goroutine runs again. Otherwise the
/// goroutine sleeps until somebody calls [`ready`] on it.
///
/// If a `ready` reached this goroutine before it parked, `after` still runs (on the
/// goroutine's stack) and `park` returns at once; one that lands while the goroutine is
/// switching out or `after` runs makes the scheduler run it again soon instead. Such an
/// early ready may be a stale one left over from an earlier wait (a timer that fired late,
/// say), so `park` can return without the event the caller waits for: callers re-check
/// their condition in a loop, as with `std::thread::park`.
///
/// Always inlined, so that the switch happens in the caller's own frame. Every call level
/// between a goroutine's code and its switch is one more frame whose lines the woken
/// goroutine finds cold and one more return the CPU mispredicts after the switch: measured
/// in one build, this call level alone cost ping-pong over two rendezvous channels 219
/// against 159 ns a round trip, and the prime sieve a fifth of its time. Inlining is safe
/// because `park` reads the thread-local only before the switch, through the never-inlined
/// `current_ptr`. A caller that reads a thread-local itself before and after `park` is
/// exposed to the stale-address hazard whether or not `park` is inlined (the address may be
/// reused across any call), so gpm's callers reach thread-locals only through functions of
/// their own that are never inlined.
///
/// # Panics
/// Outside a goroutine.
#[inline(always)]
pub fn park<F: FnOnce(&GRef) -> bool>(after: F) {
    let p = current_ptr();
    assert!(!p.is_null(), "gpm: park called outside a goroutine");
    // SAFETY: as in `current`; the reference is not used after the switch below except
    // through `g`, which stays valid because the G cannot finish while it is parked here.
    let g: &G = unsafe { &*p };
    if g.killed.load(Ordering::Acquire) || g.state.take_token() {
        // Shutdown unwinding, or a ready that came first: do not switch.
        // SAFETY: as in `current`.
        let r = unsafe { clone_ref(p) };
        after(&r);
        return;
    }
    let mut hook = Some(after);
    let y = g.yielder.get();
    // SAFETY: `yielder` is set when the coroutine starts and stays valid until it returns;
    // we are running on it now. `hook` lives on this stack, which stays intact while the G is
    // suspended, and the scheduler calls it exactly once before the G can be resumed.
    unsafe {
        (*y).suspend(Switch::Park {
            data: &mut hook as *mut Option<F> as *mut (),
            call: call_hook::<F>,
        });
    }
}

/// Calls and consumes the park hook stored at `data`.
///
/// # Safety
/// `data` must point to a live `Option<F>`.
unsafe fn call_hook<F: FnOnce(&GRef) -> bool>(data: *mut (), g: &GRef) -> bool {
    // SAFETY: guaranteed by the caller (`exec::run` passes what `park` stored).
    let f = unsafe { (*(data as *mut Option<F>)).take() };
    f.expect("gpm: park hook called twice")(g)
}

/// Makes a parked goroutine runnable again (Go's `goready`). Safe to call from anywhere,
/// any number of times: only the first ready after a park enqueues the G.
#[inline]
pub fn ready(g: &GRef) {
    ready_onto(g, true);
}

/// Like [`ready`], but the goroutine joins the back of the run queue instead of running
/// next, so goroutines readied in a batch (timers) run in the order they were readied.
#[inline]
pub fn ready_fifo(g: &GRef) {
    ready_onto(g, false);
}

/// [`ready`] through the record's address, in two steps, for a waker that holds no counted
/// reference: a channel's wait context keeps only [`current_raw`]'s pointer, so that a
/// blocked operation touches the record's count neither when it starts waiting nor when it
/// is woken. This takes the state step; if it wins `PARKED → RUNNABLE`, the [`Woken`] it
/// returns holds the parked G's own reference (rule 5 of [`crate::state`]) and puts it in a
/// run queue with [`Woken::enqueue`], which the waker may call after it has let the
/// goroutine go on (so that the goroutine does not wait for an enqueue, which may wake an
/// idle M with a system call).
///
/// # Safety
///
/// `g` comes from [`current_raw`], and the record stays alive until this returns: the
/// waker's protocol keeps the goroutine from exiting before then (a channel's owner waits
/// until its claimer says it is done with the record), or a counted reference held
/// elsewhere keeps the record.
#[inline]
pub unsafe fn wake_raw(g: *const G) -> Option<Woken> {
    // SAFETY: the caller keeps the record alive for the whole call; the reference is only
    // borrowed here, never dropped.
    let g = std::mem::ManuallyDrop::new(unsafe { GRef::from_raw(g) });
    // SAFETY: rule 5: the parked state's counted reference, which winning made ours.
    ready_how(&g).then(|| Woken(unsafe { GRef::from_raw(GRef::as_ptr(&g)) }))
}

/// A won wake-up of [`wake_raw`]: the goroutine is runnable, and this holds the reference
/// that goes into the run queue.
#[must_use = "a woken goroutine runs only once it is enqueued"]
pub struct Woken(GRef);

impl Woken {
    /// Puts the goroutine in its scheduler's run queue, to run next (as [`ready`] does).
    #[inline]
    pub fn enqueue(self) {
        let g = self.0;
        let sched: *const dyn crate::Sched = &*g.sched;
        // SAFETY: `g` keeps the scheduler alive up to the call, and `Sched` is an unsafe
        // trait whose `enqueue` must keep itself alive once it has queued `g`.
        unsafe { (*sched).enqueue(g, true) };
    }
}

/// Both readies: `next` puts the G in `runnext` rather than at the back of the queue. The
/// reference queued is the one the parked G's state held (rule 5 of [`crate::state`]),
/// which winning `PARKED → RUNNABLE` made ours; `g` only keeps the record and its scheduler
/// alive through the call.
#[inline]
fn ready_onto(g: &GRef, next: bool) {
    if ready_how(g) {
        // SAFETY: rule 5: the parked state's counted reference, now ours, taken back once.
        let parked = unsafe { GRef::from_raw(GRef::as_ptr(g)) };
        g.sched.enqueue(parked, next);
    }
}

/// The state side of a ready, traced: true if the caller won `PARKED → RUNNABLE` and must
/// enqueue the G.
#[inline]
fn ready_how(g: &GRef) -> bool {
    match g.state.ready_how() {
        Readied::Enqueue => {
            // Guarded here so that the id, off the record's hot lines, is read only when
            // tracing.
            if crate::trace::on() {
                crate::trace::ready(g.id().0);
            }
            true
        }
        // Its M requeues it (and traces the ready), or its next park returns at once.
        Readied::Early | Readied::Nothing => false,
    }
}

/// Lets other goroutines run; the caller goes to the back of its P's run queue. Outside a
/// goroutine it yields the OS thread.
#[inline(never)]
pub fn yield_now() {
    let p = current_ptr();
    if p.is_null() {
        std::thread::yield_now();
        return;
    }
    // SAFETY: as in `current`.
    let g: &G = unsafe { &*p };
    if g.killed.load(Ordering::Acquire) {
        return;
    }
    let y = g.yielder.get();
    // SAFETY: as in `park`.
    unsafe {
        (*y).suspend(Switch::Yield);
    }
}
