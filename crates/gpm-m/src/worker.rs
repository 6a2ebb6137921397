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

use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gpm_g::exec::{self, Host, Ran};
use gpm_g::stack::Stack;
use gpm_g::{trace, GRef, G};
use gpm_p::queue::{GlobalQueue, LocalQueue};
use gpm_p::steal::steal_work;
use gpm_p::{Next, PRef, GLOBAL_TICK};

use crate::mctx::{MCtx, FREE_GS, G_BATCH};
use crate::sched::SLEEP_NO_DEADLINE;
use crate::sched::{MHandle, Scheduler};
use crate::timers::NEVER;

/// Most exited G records a runtime keeps in all.
const FREE_GS_SHARED: usize = 4096;

/// An M's cache of free stacks of the runtime's default size, in front of the shared pool.
struct LocalStacks<'a> {
    sched: &'a Scheduler,
    ctx: &'a MCtx,
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

    #[inline]
    fn parking(&mut self, g: &GRef) {
        if !self.sched.registry.contains(g) {
            self.sched.registry.insert(g);
        }
    }

    #[inline]
    fn switching_in(&mut self) {
        self.ctx.switching_in();
    }

    #[inline]
    fn switched_out(&mut self) {
        self.ctx.switched_out();
    }

    fn p_id(&self) -> Option<usize> {
        self.ctx.p().map(|p| p.id())
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
    spinning: bool,
    rng: fastrand::Rng,
    stacks: LocalStacks<'a>,
    /// Reused buffer for the goroutines a netpoll returns.
    polled: Cell<Vec<GRef>>,
}

/// True if `pin` names the M whose parking place is `park`.
fn same_m(pin: &gpm_g::Pin, park: &MHandle) -> bool {
    std::ptr::eq(
        Arc::as_ptr(pin) as *const (),
        Arc::as_ptr(park) as *const (),
    )
}

/// The body of an M thread. `park` already holds the P (and spinning flag) it starts with.
pub(crate) fn run_m(sched: Arc<Scheduler>, park: MHandle) {
    gpm_g::overflow::ensure_altstack();
    let ctx = MCtx::new(&sched, park.clone());
    MCtx::install(&ctx);
    let mut m = M {
        sched: &sched,
        ctx: &ctx,
        park,
        spinning: false,
        rng: fastrand::Rng::new(),
        stacks: LocalStacks {
            sched: &sched,
            ctx: &ctx,
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
    MCtx::install(std::ptr::null());
}

impl M<'_> {
    fn schedule(&mut self) {
        loop {
            if self.ctx.pinned.get() {
                // Our pinned goroutine switched out: sleep until it is runnable again.
                match self.stop_pinned() {
                    Some(g) => {
                        self.execute(g);
                        continue;
                    }
                    None => return,
                }
            }
            // Sysmon took our P while a goroutine ran: find another, or park until given one.
            if self.ctx.p().is_none() && !self.wait_for_p() {
                return;
            }
            let Some(g) = self.find_runnable() else {
                return;
            };
            if self.spinning {
                self.spinning = false;
                if self.sched.idle.stop_spinning() {
                    self.sched.wakep();
                }
            }
            if let Some(owner) = g.pinned_to() {
                if !same_m(&owner, &self.park) {
                    self.hand_to_pinned(owner, g);
                    continue;
                }
            }
            self.execute(g);
        }
    }

    /// A goroutine pinned to this M has switched out (Go's `stoplockedm`): give the P to
    /// whoever can use it and sleep until somebody hands the goroutine back with a P.
    /// `None` at shutdown.
    fn stop_pinned(&mut self) -> Option<GRef> {
        let s = self.sched;
        if let Some(p) = self.ctx.release() {
            s.list_idle_p(p);
        }
        s.pinned_ms.lock().push(self.park.clone());
        let handed = if s.shutdown.load(Ordering::Acquire) {
            None
        } else {
            trace::idle(true);
            let handed = self.park.park_pinned();
            trace::idle(false);
            handed
        };
        s.pinned_ms.lock().retain(|m| !Arc::ptr_eq(m, &self.park));
        let (p, g) = handed?;
        self.acquire(p, false);
        Some(g)
    }

    /// We found a goroutine pinned to another M (Go's `startlockedm`): hand it our P and the
    /// goroutine, and go without a P ourselves.
    fn hand_to_pinned(&mut self, owner: gpm_g::Pin, g: GRef) {
        let s = self.sched;
        let owner: MHandle = owner
            .downcast()
            .expect("gpm: a goroutine pinned to something that is not an M");
        match self.ctx.release() {
            Some(p) => {
                // Off the list first: a pinned M that holds a runnable goroutine is not asleep.
                s.pinned_ms.lock().retain(|m| !Arc::ptr_eq(m, &owner));
                s.m_wakes.fetch_add(1, Ordering::SeqCst);
                trace::wake();
                owner.wake_pinned(p, g);
            }
            None => {
                // Sysmon is taking our P: the goroutine goes round again.
                s.global.push(g);
                s.wakep();
            }
        }
    }

    fn execute(&mut self, g: GRef) {
        let ran = exec::run(g, &mut self.stacks);
        let s = self.sched;
        match (ran, self.ctx.p()) {
            (Ran::Yielded(g), Some(p)) => p.push_back(g),
            (Ran::Requeue(g), Some(p)) => {
                let _ = p.push_next(g);
            }
            (Ran::Yielded(g) | Ran::Requeue(g), None) => {
                // The P went to another M while the goroutine ran: it rejoins through the
                // global queue (Go's exitsyscall when no P is free).
                s.global.push(g);
                s.wakep();
            }
            (Ran::Parked, Some(p)) => p.shared().count_park(),
            (Ran::Parked, None) => s.count_outside(&s.parks_outside),
            (Ran::Exited(g), p) => {
                if self.ctx.pinned.replace(false) {
                    g.unpin_all();
                }
                match p {
                    Some(p) => p.shared().count_exit(),
                    None => s.count_exit_outside(),
                }
                s.registry.remove(&g);
                self.free_g(g);
            }
        }
    }

    /// Keeps an exited G's record for reuse if nothing else refers to it.
    fn free_g(&mut self, mut g: GRef) {
        if !G::retire(&mut g) {
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

    fn acquire(&mut self, p: PRef, spinning: bool) {
        self.ctx.acquire(p);
        self.spinning = spinning;
    }

    /// Gives up the P at exit (shutdown): its queued Gs go to the global queue, where
    /// `Scheduler::shutdown` finds and unwinds them.
    fn release(&mut self) {
        if self.spinning {
            self.spinning = false;
            self.sched.idle.stop_spinning();
        }
        if let Some(p) = self.ctx.abandon() {
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
            let p = self.ctx.p().expect("M holds a P");
            if p.schedtick().is_multiple_of(GLOBAL_TICK) {
                // Fairness for the netpoller too: goroutines whose sockets became ready are
                // not kept waiting behind a P whose queue never runs dry.
                self.netpoll_now();
                if let Some(g) = s.global.pop() {
                    p.shared().count_global_take(1);
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
            let before = p.local().len();
            if let Some(g) = s.global.pop_batch_into(p.local()) {
                p.shared()
                    .count_global_take(1 + p.local().len().saturating_sub(before));
                p.tick();
                return Some(g);
            }
            if self.spinning || s.idle.try_spin() {
                self.spinning = true;
                let rng = &mut self.rng;
                let before = p.local().len();
                if let Some(g) = steal_work(p, &s.allp, |n| rng.usize(..n)) {
                    p.shared()
                        .count_steal(1 + p.local().len().saturating_sub(before));
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
        trace::netpoll(ready.len());
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
            if let Some(p) = s.take_idle_p() {
                self.acquire(p, false);
                took_p = true;
            }
        }
        self.ready_polled(ready);
        took_p
    }

    /// Releases the P, re-checks every queue, and parks until handed a P again. Returns
    /// false at shutdown.
    fn give_up(&mut self) -> bool {
        let s = self.sched;
        // If sysmon is taking the P right now, it lists or hands it on itself.
        if let Some(p) = self.ctx.release() {
            s.idle.put_p(p);
        }
        if self.spinning {
            self.spinning = false;
            s.idle.stop_spinning();
        }
        self.wait_for_p()
    }

    /// An M without a P re-checks every queue, and parks until handed a P. Returns false at
    /// shutdown.
    fn wait_for_p(&mut self) -> bool {
        let s = self.sched;
        s.idle.fence_before_recheck();
        loop {
            if s.has_work_anywhere() {
                if let Some(p) = s.take_idle_p() {
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
            trace::idle(true);
            let handoff = match (sleep, s.poller()) {
                (Some(until), Some(poller)) => {
                    let took_p = self.netpoll_sleep(&**poller, until);
                    self.resign_sleeper();
                    trace::idle(false);
                    if took_p {
                        return true;
                    }
                    None
                }
                (Some(until), None) => {
                    let handoff = self.park.park(until);
                    self.resign_sleeper();
                    trace::idle(false);
                    handoff
                }
                (None, _) => {
                    let handoff = self.park.park(None);
                    trace::idle(false);
                    handoff
                }
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
                if let Some(p) = s.take_idle_p() {
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
