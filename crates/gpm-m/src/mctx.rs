//! The M's thread-local context: which runtime the thread serves, the P it holds, and the
//! accessors through which code running on the M (a goroutine, a park hook) reaches that P.
//!
//! The P is held under its lease (`gpm_p::lease`). The M's own schedule code is one long
//! section of the lease; while a goroutine runs the M is outside it, and each push the
//! goroutine makes onto the P (a `ready`, a `spawn`) is a short section of its own. Any
//! `enter` can find that sysmon took the P meanwhile: the context then forgets the P, and
//! the caller goes to the global queue instead. Everything here is touched only by the
//! thread that owns the context, never across a switch.

use std::cell::{Cell, UnsafeCell};
use std::ptr;
use std::sync::Arc;

use gpm_g::GRef;
use gpm_p::lease::{Holder, Tenure};
use gpm_p::{PRef, P};

use crate::sched::{MHandle, Scheduler};

/// What the thread-local M context tells code running on an M.
pub(crate) struct MCtx {
    pub(crate) sched: *const Scheduler,
    /// The held P's address (null without one), and the handle behind it.
    p: Cell<*const P>,
    held: UnsafeCell<Option<PRef>>,
    tenure: Cell<Tenure>,
    /// This M's side of the lease of whichever P it holds.
    holder: Holder,
    /// True while a goroutine runs on this M (the M is outside its lease section).
    in_g: Cell<bool>,
    /// This M's parking place, which also names it to a goroutine pinned to it.
    pub(crate) park: MHandle,
    /// True while a goroutine is pinned to this M (`lock_os_thread`): the M runs nothing
    /// else, and sleeps while that goroutine does.
    pub(crate) pinned: Cell<bool>,
    /// Records of goroutines that exited on this M, for the next spawn here. Touched only by
    /// this thread, never across a switch (spawn pops, the schedule loop pushes).
    pub(crate) free_gs: UnsafeCell<Vec<GRef>>,
}

thread_local! {
    static M_CTX: Cell<*const MCtx> = const { Cell::new(ptr::null()) };
}

/// Exited G records an M keeps; it moves [`G_BATCH`] at a time to and from the runtime's
/// list, so a spawner on one M reuses records that exited on another.
pub(crate) const FREE_GS: usize = 64;
pub(crate) const G_BATCH: usize = 32;

impl MCtx {
    pub(crate) fn new(sched: &Arc<Scheduler>, park: MHandle) -> MCtx {
        MCtx {
            sched: Arc::as_ptr(sched),
            p: Cell::new(ptr::null()),
            held: UnsafeCell::new(None),
            tenure: Cell::new(Tenure::default()),
            holder: Holder::new(),
            in_g: Cell::new(false),
            park,
            pinned: Cell::new(false),
            free_gs: UnsafeCell::new(Vec::new()),
        }
    }

    /// Makes this the calling thread's context (null: none).
    pub(crate) fn install(c: *const MCtx) {
        M_CTX.with(|m| m.set(c));
    }

    /// The held P, while the M is inside its section (its schedule code).
    pub(crate) fn p(&self) -> Option<&P> {
        // SAFETY: non-null only while `held` holds the handle, which the lease makes this
        // thread's to use; the Ps outlive every M.
        unsafe { self.p.get().as_ref() }
    }

    /// Takes `p` (from the idle list or a handoff); the M is inside its section.
    pub(crate) fn acquire(&self, p: PRef) {
        self.tenure.set(p.shared().lease().hold(&self.holder));
        self.p.set(p.as_ptr());
        // SAFETY: only this thread touches `held`, and not re-entrantly.
        unsafe { *self.held.get() = Some(p) };
    }

    /// Forgets the P: sysmon took it, or it was handed on.
    fn forget(&self) -> Option<PRef> {
        self.p.set(ptr::null());
        // SAFETY: as in `acquire`.
        unsafe { (*self.held.get()).take() }
    }

    /// Gives the P up (it must be held, inside the section): the handle, if the lease let go
    /// of it (the caller lists it as idle), or `None` if sysmon took it first.
    pub(crate) fn release(&self) -> Option<PRef> {
        let p = self.forget()?;
        p.shared()
            .lease()
            .release(&self.holder, self.tenure.get())
            .then_some(p)
    }

    /// Drops the P at exit without giving it to anybody (shutdown).
    pub(crate) fn abandon(&self) -> Option<PRef> {
        self.forget()
    }

    /// The M is about to switch into a goroutine: it leaves its section.
    #[inline]
    pub(crate) fn switching_in(&self) {
        if let Some(p) = self.p() {
            p.shared().lease().leave(&self.holder);
        }
        self.in_g.set(true);
    }

    /// The goroutine switched back: the M re-enters its section, or finds the P gone.
    #[inline]
    pub(crate) fn switched_out(&self) {
        self.in_g.set(false);
        if let Some(p) = self.p() {
            if !p.shared().lease().enter(&self.holder, self.tenure.get()) {
                self.forget();
            }
        }
    }

    /// Runs `f` on the held P from wherever on this thread we are: directly in the M's
    /// section, or in a short section of its own from a goroutine. `None` without a P.
    pub(crate) fn with_p<R>(&self, f: impl FnOnce(&P) -> R) -> Option<R> {
        let p = self.enter_p()?;
        let r = f(p);
        self.leave_p(p);
        Some(r)
    }

    /// The first half of [`MCtx::with_p`]: the held P, inside a section (entered here if a
    /// goroutine is running). The caller must call [`MCtx::leave_p`] when done with it.
    #[inline]
    fn enter_p(&self) -> Option<&P> {
        let p = self.p()?;
        if self.in_g.get() && !p.shared().lease().enter(&self.holder, self.tenure.get()) {
            self.forget();
            return None;
        }
        Some(p)
    }

    /// The second half of [`MCtx::with_p`].
    #[inline]
    fn leave_p(&self, p: &P) {
        if self.in_g.get() {
            p.shared().lease().leave(&self.holder);
        }
    }

    /// From a goroutine: after a blocking call, checks that the P is still ours, clearing
    /// its syscall mark. False (and the P forgotten) if sysmon took it.
    pub(crate) fn reclaim_after_syscall(&self) -> bool {
        self.with_p(|p| p.shared().lease().set_syscall(false))
            .is_some()
    }

    /// From a goroutine that has no P: runs on with `p` (outside the section).
    pub(crate) fn adopt(&self, p: PRef) {
        self.acquire(p);
        if let Some(p) = self.p() {
            p.shared().lease().leave(&self.holder);
        }
    }
}

#[inline(never)]
pub(crate) fn ctx() -> *const MCtx {
    M_CTX.with(|c| c.get())
}

/// The calling thread's M context, if it is an M of `s`.
pub(crate) fn ctx_of(s: &Scheduler) -> Option<&MCtx> {
    let c = ctx();
    // SAFETY: M_CTX points at the `MCtx` on the running M's stack frame in `run_m`, which
    // outlives everything the M runs.
    let c = unsafe { c.as_ref()? };
    ptr::eq(c.sched, s).then_some(c)
}

/// Calls `f` with the scheduler whose M is the calling thread, if any, without taking a
/// reference: every M's spawns would fight over the cache line of one count.
#[inline]
pub(crate) fn with_current_sched<R>(f: impl FnOnce(&Scheduler) -> R) -> Option<R> {
    let c = ctx();
    // SAFETY: as in `ctx_of`. The scheduler outlives the call: the M's frame in `run_m`
    // holds an `Arc<Scheduler>`, and so does the record of the goroutine that calls (if the
    // call parks and resumes on another M, that second reference still holds).
    let s = unsafe { c.as_ref()?.sched.as_ref()? };
    Some(f(s))
}

/// The scheduler whose M is the calling thread.
pub(crate) fn current_sched() -> Option<Arc<Scheduler>> {
    let c = ctx();
    // SAFETY: as in `ctx_of`; the M holds an `Arc<Scheduler>` for as long as it runs.
    (!c.is_null())
        .then(|| unsafe { (*(*c).sched).me.upgrade() })
        .flatten()
}

/// Puts a G that has just been readied on the current P (in `runnext` with `next`, else at
/// the back of the local queue), if this thread is an M of `s` with a P.
/// Returns whether the push queued something behind another goroutine (so that an idle M
/// may be worth waking): always at the back, and in `runnext` when it displaced another.
#[inline]
pub(crate) fn push_local(s: &Scheduler, g: GRef, next: bool) -> Result<bool, GRef> {
    let Some(c) = ctx_of(s) else {
        return Err(g);
    };
    let Some(p) = c.enter_p() else {
        return Err(g);
    };
    p.shared().count_unpark();
    let queued = if next {
        p.push_next(g)
    } else {
        p.push_back(g);
        true
    };
    c.leave_p(p);
    Ok(queued)
}

/// Counts a new G on the current P and puts it in `runnext` (Go's `newproc`), if this thread
/// is an M of `s` with a P.
pub(crate) fn place_spawned(s: &Scheduler, g: GRef) -> Result<(), GRef> {
    let Some(c) = ctx_of(s) else {
        return Err(g);
    };
    let mut g = Some(g);
    let placed = c.with_p(|p| {
        p.shared().count_spawn();
        let _ = p.push_next(g.take().expect("placed once"));
    });
    match placed {
        Some(()) => Ok(()),
        None => Err(g.take().expect("not placed")),
    }
}

/// A recyclable G record for a spawn on this M, if this thread is an M of `s`.
pub(crate) fn take_free_g(s: &Scheduler) -> Option<GRef> {
    let c = ctx_of(s)?;
    // SAFETY: `free_gs` is only touched by this thread, and not by the schedule loop while
    // a goroutine (our caller) runs.
    let free = unsafe { &mut *c.free_gs.get() };
    if free.is_empty() {
        let mut shared = s.free_gs.lock();
        let n = shared.len().min(G_BATCH);
        let from = shared.len() - n;
        free.extend(shared.drain(from..));
    }
    free.pop()
}

/// Takes every G queued on the current P, if this thread is an M of `s` with a P.
pub(crate) fn drain_current_p(s: &Scheduler) -> Vec<GRef> {
    ctx_of(s)
        .and_then(|c| c.with_p(P::drain))
        .unwrap_or_default()
}

/// The index of the current P, if this thread is an M of `s` with a P.
pub(crate) fn current_p_id(s: &Scheduler) -> Option<usize> {
    ctx_of(s).and_then(|c| c.with_p(P::id))
}
