//! An M: one worker thread and its schedule loop.
//!
//! ```text
//! loop {
//!     g = find_runnable()        // may give up the P and park the thread
//!     run g until it yields, parks or exits
//! }
//! ```
//!
//! `find_runnable` looks, in order: the network (without blocking) and the global queue on
//! every 61st fresh schedule; due timers; `runnext` (at most 3 in a row) and the local
//! queue; the global queue; the other Ps, stealing half of a victim's queue in random
//! order, as a spinning M; and finally gives up (see [`crate::idle`] for the fence between
//! giving up and re-checking). A given up M parks: either as the runtime's one sleeper
//! (in the network poller, if the runtime has one), until the earliest timer, or on the
//! idle-M list until somebody hands it a P.

use std::cell::{Cell, UnsafeCell};
use std::ptr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gpm_g::exec::{self, Host, Ran};
use gpm_g::stack::Stack;
use gpm_g::GRef;
use gpm_p::queue::GlobalQueue;
use gpm_p::steal::steal_work;
use gpm_p::{Next, GLOBAL_TICK, P};

use crate::sched::SLEEP_NO_DEADLINE;
use crate::sched::{MHandle, Scheduler};
use crate::timers::NEVER;

/// What the thread-local M context tells code running on an M.
struct MCtx {
    sched: *const Scheduler,
    p: Cell<*const P>,
    /// Records of goroutines that exited on this M, for the next spawn here. Touched only by
    /// this thread, never across a switch (spawn pops, the schedule loop pushes).
    free_gs: UnsafeCell<Vec<GRef>>,
}

/// Exited G records an M keeps; it moves [`G_BATCH`] at a time to and from the runtime's
/// list, so a spawner on one M reuses records that exited on another.
const FREE_GS: usize = 64;
const G_BATCH: usize = 32;
/// Most exited G records a runtime keeps in all.
const FREE_GS_SHARED: usize = 4096;

thread_local! {
    static M_CTX: Cell<*const MCtx> = const { Cell::new(ptr::null()) };
}

#[inline(never)]
fn ctx() -> *const MCtx {
    M_CTX.with(|c| c.get())
}

/// The P this thread's M holds, if this thread is an M of `s` holding one.
#[inline]
fn current_p(s: &Scheduler) -> Option<&P> {
    let c = ctx();
    if c.is_null() {
        return None;
    }
    // SAFETY: M_CTX points at the `MCtx` on the running M's stack frame in `run_m`, which
    // outlives everything the M runs; `p` is non-null only while the M owns that P.
    unsafe {
        if !ptr::eq((*c).sched, s) {
            return None;
        }
        (*c).p.get().as_ref()
    }
}

/// The scheduler whose M is the calling thread.
pub(crate) fn current_sched() -> Option<Arc<Scheduler>> {
    let c = ctx();
    // SAFETY: as in `current_p`; the M holds an `Arc<Scheduler>` for as long as it runs.
    (!c.is_null())
        .then(|| unsafe { (*(*c).sched).me.upgrade() })
        .flatten()
}

/// Puts a runnable G on the current P (in `runnext` with `next`, else at the back of the
/// local queue), if this thread is an M of `s` with a P.
pub(crate) fn push_local(s: &Scheduler, g: GRef, next: bool) -> Result<(), GRef> {
    match current_p(s) {
        Some(p) if next => {
            p.push_next(g);
            Ok(())
        }
        Some(p) => {
            p.push_back(g);
            Ok(())
        }
        None => Err(g),
    }
}

/// Counts a new G on the current P and puts it in `runnext` (Go's `newproc`), if this thread
/// is an M of `s` with a P.
pub(crate) fn place_spawned(s: &Scheduler, g: GRef) -> Result<(), GRef> {
    match current_p(s) {
        Some(p) => {
            p.shared().count_spawn();
            p.push_next(g);
            Ok(())
        }
        None => Err(g),
    }
}

/// A recyclable G record for a spawn on this M, if this thread is an M of `s`.
pub(crate) fn take_free_g(s: &Scheduler) -> Option<GRef> {
    let c = ctx();
    // SAFETY: as in `current_p`; `free_gs` is only touched by this thread, and not by the
    // schedule loop while a goroutine (our caller) runs.
    unsafe {
        if c.is_null() || !ptr::eq((*c).sched, s) {
            return None;
        }
        let free = &mut *(*c).free_gs.get();
        if free.is_empty() {
            let mut shared = s.free_gs.lock();
            let n = shared.len().min(G_BATCH);
            let from = shared.len() - n;
            free.extend(shared.drain(from..));
        }
        free.pop()
    }
}

/// Takes every G queued on the current P, if this thread is an M of `s` with a P.
pub(crate) fn drain_current_p(s: &Scheduler) -> Vec<GRef> {
    current_p(s).map(P::drain).unwrap_or_default()
}

/// The index of the current P, if this thread is an M of `s` with a P.
pub(crate) fn current_p_id(s: &Scheduler) -> Option<usize> {
    current_p(s).map(P::id)
}

/// An M's cache of free stacks of the runtime's default size, in front of the shared pool.
struct LocalStacks<'a> {
    sched: &'a Scheduler,
    cache: Vec<Stack>,
}

/// Stacks an M keeps for itself; it moves [`STACK_BATCH`] at a time to and from the
/// runtime's pool, so most stack traffic takes no lock.
const STACK_CACHE: usize = 64;
const STACK_BATCH: usize = 32;

impl Host for LocalStacks<'_> {
    fn get_stack(&mut self, size: usize) -> std::io::Result<Stack> {
        if size != self.sched.stacks.size() {
            return Stack::new(size);
        }
        if self.cache.is_empty() {
            self.sched.stacks.get_batch(STACK_BATCH, &mut self.cache);
        }
        match self.cache.pop() {
            Some(s) => Ok(s),
            None => self.sched.stacks.get(),
        }
    }

    fn put_stack(&mut self, stack: Stack) {
        if stack.usable_size() != self.sched.stacks.size() {
            return;
        }
        self.cache.push(stack);
        if self.cache.len() > STACK_CACHE {
            let mut spill = self.cache.split_off(self.cache.len() - STACK_BATCH);
            self.sched.stacks.put_batch(&mut spill);
        }
    }

    fn parking(&mut self, g: &GRef) {
        if !self.sched.registry.contains(g) {
            self.sched.registry.insert(g);
        }
    }
}

impl Drop for LocalStacks<'_> {
    fn drop(&mut self) {
        self.sched.stacks.put_batch(&mut self.cache);
    }
}

struct M<'a> {
    sched: &'a Scheduler,
    ctx: &'a MCtx,
    park: MHandle,
    p: Option<Box<P>>,
    spinning: bool,
    rng: fastrand::Rng,
    stacks: LocalStacks<'a>,
    /// Reused buffer for the goroutines a netpoll returns.
    polled: Cell<Vec<GRef>>,
}

/// The body of an M thread. `park` already holds the P (and spinning flag) it starts with.
pub(crate) fn run_m(sched: Arc<Scheduler>, park: MHandle) {
    gpm_g::overflow::ensure_altstack();
    let ctx = MCtx {
        sched: Arc::as_ptr(&sched),
        p: Cell::new(ptr::null()),
        free_gs: UnsafeCell::new(Vec::new()),
    };
    M_CTX.with(|c| c.set(&ctx));
    let mut m = M {
        sched: &sched,
        ctx: &ctx,
        park,
        p: None,
        spinning: false,
        rng: fastrand::Rng::new(),
        stacks: LocalStacks {
            sched: &sched,
            cache: Vec::new(),
        },
        polled: Cell::new(Vec::new()),
    };
    if let Some((p, spinning)) = m.park.park(None) {
        m.acquire(p, spinning);
        m.schedule();
    }
    m.release();
    drop(m);
    M_CTX.with(|c| c.set(ptr::null()));
}

impl M<'_> {
    fn schedule(&mut self) {
        while let Some(g) = self.find_runnable() {
            if self.spinning {
                self.spinning = false;
                if self.sched.idle.stop_spinning() {
                    self.sched.wakep();
                }
            }
            self.execute(g);
        }
    }

    fn execute(&mut self, g: GRef) {
        let ran = exec::run(&g, &mut self.stacks);
        let p = self.p.as_deref().expect("M holds a P while running a G");
        match ran {
            Ran::Yielded => p.push_back(g),
            Ran::Parked => {}
            Ran::Requeue => p.push_next(g),
            Ran::Exited => {
                p.shared().count_exit();
                self.sched.registry.remove(&g);
                self.free_g(g);
            }
        }
    }

    /// Keeps an exited G's record for reuse if nothing else refers to it.
    fn free_g(&mut self, mut g: GRef) {
        if Arc::get_mut(&mut g).is_none() {
            return;
        }
        // SAFETY: only this thread touches `free_gs`, and no goroutine runs right now.
        let free = unsafe { &mut *self.ctx.free_gs.get() };
        free.push(g);
        if free.len() > FREE_GS {
            let spill = free.split_off(free.len() - G_BATCH);
            let mut shared = self.sched.free_gs.lock();
            if shared.len() < FREE_GS_SHARED {
                shared.extend(spill);
            }
        }
    }

    fn acquire(&mut self, p: Box<P>, spinning: bool) {
        self.ctx.p.set(&*p);
        self.p = Some(p);
        self.spinning = spinning;
    }

    /// Gives up the P at exit (shutdown): its queued Gs go to the global queue, where
    /// `Scheduler::shutdown` finds and unwinds them.
    fn release(&mut self) {
        self.ctx.p.set(ptr::null());
        if self.spinning {
            self.spinning = false;
            self.sched.idle.stop_spinning();
        }
        if let Some(p) = self.p.take() {
            for g in p.drain() {
                if self.sched.reaped.load(Ordering::Acquire) {
                    // Shutdown already collected every goroutine (it ran on this M, inside
                    // a goroutine): nobody else will unwind these.
                    exec::kill(&g);
                } else {
                    self.sched.global.push(g);
                }
            }
        }
    }

    fn find_runnable(&mut self) -> Option<GRef> {
        let s = self.sched;
        loop {
            if s.shutdown.load(Ordering::Acquire) {
                return None;
            }
            let p = self.p.as_deref().expect("M holds a P");
            if p.schedtick().is_multiple_of(GLOBAL_TICK) {
                // Fairness for the netpoller too: goroutines whose sockets became ready are
                // not kept waiting behind a P whose queue never runs dry.
                self.netpoll_now();
                if let Some(g) = s.global.pop() {
                    p.tick();
                    return Some(g);
                }
            }
            if s.timers.any_pending() {
                let now = s.timers.now();
                if s.timers.earliest() <= now {
                    s.timers.run_due(now);
                }
            }
            if let Some((g, next)) = p.next() {
                if next == Next::Fresh {
                    p.tick();
                }
                return Some(g);
            }
            if let Some(g) = s.global.pop_batch_into(p.local()) {
                p.tick();
                return Some(g);
            }
            if self.spinning || s.idle.try_spin() {
                self.spinning = true;
                let rng = &mut self.rng;
                if let Some(g) = steal_work(p, &s.allp, |n| rng.usize(..n)) {
                    p.tick();
                    return Some(g);
                }
            }
            if !self.give_up() {
                return None;
            }
        }
    }

    /// Polls the network without blocking, unless the sleeper is already blocked in the
    /// poller (it gets the events first) or nobody waits on an fd, and readies what it finds
    /// onto our P. Only on the 61st tick: Go also polls before stealing, but here that cost
    /// a system call each time an M ran dry, mostly for nothing, since an M that finds no
    /// work becomes the sleeper and its blocking poll returns at once if events are
    /// pending (the echo benchmark served 8% more without it).
    fn netpoll_now(&self) {
        let s = self.sched;
        let Some(poller) = s.poller() else {
            return;
        };
        if !poller.has_waiters() || s.polling.load(Ordering::Relaxed) {
            return;
        }
        let ready = self.netpoll(&**poller, Some(Duration::ZERO));
        self.ready_polled(ready);
    }

    /// One poll, into the M's reused buffer.
    fn netpoll(&self, poller: &dyn gpm_g::Poll, timeout: Option<Duration>) -> Vec<GRef> {
        let mut ready = self.polled.take();
        poller.poll(timeout, &mut ready);
        ready
    }

    /// Readies what a poll returned (onto our P, or the global queue without one) and
    /// keeps the buffer.
    fn ready_polled(&self, mut ready: Vec<GRef>) {
        for g in ready.drain(..) {
            gpm_g::ready_fifo(&g);
        }
        self.polled.set(ready);
    }

    /// The sleeper's wait when the runtime has a poller: blocks in it until `until` (a
    /// timer), an fd event or a nudge. Goroutines it wakes run here if a P is free, else
    /// they go to the global queue for the Ms that `ready` wakes. True if we took a P.
    fn netpoll_sleep(&mut self, poller: &dyn gpm_g::Poll, until: Option<Instant>) -> bool {
        let s = self.sched;
        let timeout = until.map(|t| t.saturating_duration_since(Instant::now()));
        s.polling.store(true, Ordering::SeqCst);
        let ready = self.netpoll(poller, timeout);
        s.polling.store(false, Ordering::SeqCst);
        let mut took_p = false;
        if !ready.is_empty() {
            if let Some(p) = s.idle.take_p() {
                self.acquire(p, false);
                took_p = true;
            }
        }
        self.ready_polled(ready);
        took_p
    }

    fn has_work_anywhere(&self) -> bool {
        let s = self.sched;
        !s.global.is_empty() || s.allp.iter().any(|p| p.has_work())
    }

    /// Releases the P, re-checks every queue, and parks until handed a P again. Returns
    /// false at shutdown.
    fn give_up(&mut self) -> bool {
        let s = self.sched;
        let p = self.p.take().expect("M holds a P");
        self.ctx.p.set(ptr::null());
        s.idle.put_p(p);
        if self.spinning {
            self.spinning = false;
            s.idle.stop_spinning();
        }
        s.idle.fence_before_recheck();
        loop {
            if self.has_work_anywhere() {
                if let Some(p) = s.idle.take_p() {
                    self.acquire(p, false);
                    return true;
                }
            }
            if s.shutdown.load(Ordering::Acquire) {
                return false;
            }
            let sleep = self.become_sleeper();
            if sleep.is_none() {
                s.idle.put_m(self.park.clone());
            }
            // Re-check after listing ourselves: `shutdown` sets its flag before it wakes the
            // idle list and the sleeper, so either it finds us there or we see the flag.
            if s.shutdown.load(Ordering::Acquire) {
                if sleep.is_some() {
                    self.resign_sleeper();
                }
                return false;
            }
            let handoff = match (sleep, s.poller()) {
                (Some(until), Some(poller)) => {
                    let took_p = self.netpoll_sleep(&**poller, until);
                    self.resign_sleeper();
                    if took_p {
                        return true;
                    }
                    None
                }
                (Some(until), None) => {
                    let handoff = self.park.park(until);
                    self.resign_sleeper();
                    handoff
                }
                (None, _) => self.park.park(None),
            };
            if let Some((p, spinning)) = handoff {
                self.acquire(p, spinning);
                return true;
            }
            if s.shutdown.load(Ordering::Acquire) {
                return false;
            }
            // Woken without a P: a timer is due, or the deadline moved.
            let now = s.timers.now();
            if s.timers.earliest() <= now {
                if let Some(p) = s.idle.take_p() {
                    self.acquire(p, false);
                    return true;
                }
                s.timers.run_due(now);
            }
        }
    }

    /// Becomes the runtime's sleeper if there are timers, or goroutines waiting on fds, and
    /// no sleeper yet. Returns `None` if not, else the instant to wake at (`Some(None)`: only
    /// an fd event or a nudge ends the wait, which is then in the poller).
    fn become_sleeper(&self) -> Option<Option<Instant>> {
        let s = self.sched;
        let fds = s.poller().is_some_and(|p| p.has_waiters());
        if !fds && !s.timers.any_pending() {
            return None;
        }
        let mut slot = s.sleeper.lock();
        if slot.is_some() {
            return None;
        }
        // Publish the deadline, then re-read the heaps: a timer added concurrently is either
        // seen here or its adder sees our deadline and wakes us (SeqCst on both sides).
        let published = |when: u64| {
            if fds && when == NEVER {
                SLEEP_NO_DEADLINE
            } else {
                when
            }
        };
        let mut when = s.timers.earliest();
        loop {
            s.sleeper_when.store(published(when), Ordering::SeqCst);
            let again = s.timers.earliest();
            if again == when {
                break;
            }
            when = again;
        }
        if when == NEVER && !fds {
            s.sleeper_when.store(NEVER, Ordering::SeqCst);
            return None;
        }
        *slot = Some(self.park.clone());
        Some((when != NEVER).then(|| s.timers.instant(when)))
    }

    fn resign_sleeper(&self) {
        let s = self.sched;
        let mut slot = s.sleeper.lock();
        if slot.as_ref().is_some_and(|m| Arc::ptr_eq(m, &self.park)) {
            *slot = None;
            s.sleeper_when.store(NEVER, Ordering::SeqCst);
            // Every nudge to the sleeper is sent under this lock: one that landed after our
            // deadline woke us would otherwise end our next park early, while we are listed
            // as idle, and we would end up listed twice.
            self.park.clear_nudge();
        }
    }
}
