//! `syscall`: run a blocking call on the goroutine's M without holding up its P (Go's
//! `entersyscall` / `exitsyscall`).
//!
//! Entering marks the P's lease as "in a syscall" and counts the goroutine; that is all,
//! so a call that returns quickly costs two atomic increments and a few plain stores. While the call blocks, sysmon sees the
//! mark and, after [`crate::sysmon::SYSCALL_RETAKE`], hands the P to another M if there is
//! work for it. On the way out the goroutine checks its lease: if the P is still its own it
//! just goes on; if not it takes an idle P (its old one if that is free), and failing that
//! it yields, which queues it globally and parks its M until a P is free.

use std::sync::atomic::Ordering;

use crate::mctx::{self, MCtx};
use crate::sched::Scheduler;

/// Runs `f`, a call that may block its thread (file I/O, a blocking library call, a
/// `std::thread::sleep`), so that the other goroutines of this M's P keep running: the
/// goroutine keeps its thread for the call, and its P is handed to another thread if the
/// call takes long while work is waiting. Outside a goroutine it just calls `f`.
///
/// A panic in `f` propagates after the goroutine has rejoined the scheduler.
pub fn syscall<R>(f: impl FnOnce() -> R) -> R {
    let Some(old) = enter() else {
        return f();
    };
    let g = match gpm_g::trace::on() {
        true => gpm_g::current_id().map_or(0, |g| g.0),
        false => 0,
    };
    gpm_g::trace::syscall(g, true);
    struct Exit(Option<usize>, u64);
    impl Drop for Exit {
        fn drop(&mut self) {
            gpm_g::trace::syscall(self.1, false);
            exit(self.0);
        }
    }
    let _exit = Exit(old, g);
    f()
}

/// The calling goroutine's M context and scheduler, read afresh from the thread.
fn on_m() -> Option<(&'static MCtx, &'static Scheduler)> {
    if !gpm_g::in_goroutine() {
        return None;
    }
    // SAFETY: a non-null context is the running M's, which lives on that M's stack for as
    // long as the M runs goroutines, and so outlives this call (the `'static` never leaves
    // `enter`/`exit`, which do not switch); its scheduler is kept alive by the M and by
    // the running goroutine's own reference to it.
    unsafe {
        let c = mctx::ctx().as_ref()?;
        Some((c, &*c.sched))
    }
}

/// Marks the calling goroutine as in a syscall; `None` outside a goroutine. Returns the
/// index of the P held, if any.
fn enter() -> Option<Option<usize>> {
    let (c, sched) = on_m()?;
    sched.nsyscall.fetch_add(1, Ordering::Relaxed);
    let old = c.with_p(|p| {
        p.shared().lease().set_syscall(true);
        p.id()
    });
    if old.is_none() {
        // No P: sysmon may be asleep with every P idle, and must watch us.
        sched.sysmon.kick();
    }
    Some(old)
}

/// The way back: keep the P, or find one, or queue up and let the M park.
fn exit(old: Option<usize>) {
    // The context is read afresh: `f` may itself have parked (a channel operation inside
    // the call) and resumed on another M.
    let Some((c, sched)) = on_m() else {
        return;
    };
    sched.nsyscall.fetch_sub(1, Ordering::Relaxed);
    if c.reclaim_after_syscall() {
        return;
    }
    let taken = match old {
        Some(id) => sched.take_idle_p_preferring(id),
        None => sched.take_idle_p(),
    };
    match taken {
        Some(p) => c.adopt(p),
        // No P free: the M, finding itself without one after the switch, queues this
        // goroutine globally and parks until a P is free.
        None => gpm_g::yield_now(),
    }
}
