//! `syscall`: run a blocking call on the goroutine's M without holding up its P (Go's
//! `entersyscall` / `exitsyscall`).
//!
//! Entering marks the P's lease as "in a syscall" and counts the goroutine; that is all,
//! so a call that returns quickly costs a few stores. While the call blocks, sysmon sees the
//! mark and, after [`crate::sysmon::SYSCALL_RETAKE`], hands the P to another M if there is
//! work for it. On the way out the goroutine checks its lease: if the P is still its own it
//! just goes on; if not it takes an idle P (its old one if that is free), and failing that
//! it yields, which queues it globally and parks its M until a P is free.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::mctx;
use crate::sched::Scheduler;

/// Runs `f`, a call that may block its thread (file I/O, a blocking library call, a
/// `std::thread::sleep`), so that the other goroutines of this M's P keep running: the
/// goroutine keeps its thread for the call, and its P is handed to another thread if the
/// call takes long while work is waiting. Outside a goroutine it just calls `f`.
///
/// A panic in `f` propagates after the goroutine has rejoined the scheduler.
pub fn syscall<R>(f: impl FnOnce() -> R) -> R {
    let Some((sched, old)) = enter() else {
        return f();
    };
    struct Exit(Arc<Scheduler>, Option<usize>);
    impl Drop for Exit {
        fn drop(&mut self) {
            exit(&self.0, self.1);
        }
    }
    let _exit = Exit(sched, old);
    f()
}

/// Marks the calling goroutine as in a syscall; `None` outside a goroutine. Returns the
/// scheduler and the index of the P held, if any.
fn enter() -> Option<(Arc<Scheduler>, Option<usize>)> {
    if !gpm_g::in_goroutine() {
        return None;
    }
    let sched = mctx::current_sched()?;
    sched.nsyscall.fetch_add(1, Ordering::SeqCst);
    let old = mctx::ctx_of(&sched).and_then(|c| {
        c.with_p(|p| {
            p.shared().lease().set_syscall(true);
            p.id()
        })
    });
    // sysmon may be asleep with every P idle (this goroutine has none): it must watch us.
    sched.sysmon.kick();
    Some((sched, old))
}

/// The way back: keep the P, or find one, or queue up and let the M park.
fn exit(sched: &Scheduler, old: Option<usize>) {
    sched.nsyscall.fetch_sub(1, Ordering::SeqCst);
    // The context is read afresh: `f` may itself have parked (a channel operation inside
    // the call) and resumed on another M.
    let Some(c) = mctx::ctx_of(sched) else {
        return;
    };
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
