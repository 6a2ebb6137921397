//! Model-checking gpm programs with [loom] (only under `--cfg loom`; see `docs/loom.md`).
//!
//! Compiled with `RUSTFLAGS="--cfg loom"`, gpm's public API runs on loom instead of the
//! G·P·M runtime, so that loom can explore every interleaving of a program's goroutines:
//!
//! - [`crate::go!`], [`crate::spawn`], [`crate::Builder::spawn`] and [`crate::Runtime::spawn`]
//!   start a loom thread; [`crate::JoinHandle::join`] joins it and returns its result.
//! - Channels, `select!` and [`crate::sync`] take the code paths they take on plain OS
//!   threads (the ones that park the thread), which under loom are written against loom's
//!   atomics, mutexes and condition variables; [`crate::yield_now`] is loom's yield.
//! - Time is virtual: [`crate::time::sleep`], the `*_timeout`/`*_deadline` operations,
//!   `select!`'s `default(timeout)` and the time channels (`after`, `at`, `tick`) wait on
//!   timers that a clock thread fires in deadline order, at points loom chooses, so a
//!   timeout is explored both firing and not firing. [`crate::time::now`] reads the clock.
//! - [`crate::Runtime::block_on`] runs its closure on the calling thread; there are no Ps,
//!   no Ms and no netpoller, and `gpm::net` does not exist under loom.
//!
//! Two differences from the runtime, both deliberate:
//!
//! - A panic in a goroutine is not caught: it fails the model, with loom's trace, as an
//!   uncaught panic ends a Go program. (A detached goroutine's failed assertion must not
//!   pass silently.) `join` therefore always returns `Ok`.
//! - Every goroutine must finish: one still blocked when everything else has ended is
//!   reported by loom as a deadlock (a leaked goroutine).
//!
//! ```ignore
//! #[test]
//! fn rendezvous() {
//!     gpm::loom::model(|| {
//!         let (tx, rx) = gpm::bounded(0);
//!         let h = gpm::go!(move || tx.send(1).unwrap());
//!         assert_eq!(rx.recv(), Ok(1));
//!         h.join().unwrap();
//!     });
//! }
//! ```
//!
//! loom allows [`MAX_GOROUTINES`] goroutines besides the model's main thread per execution,
//! fewer when a wait with a timeout runs (its clock thread takes one of the slots).
//!
//! [loom]: https://docs.rs/loom/0.7

use std::cell::Cell;
use std::sync::atomic::AtomicUsize as StdAtomicUsize;
use std::sync::Arc;
use std::thread::Result as ThreadResult;

use ::loom::sync::atomic::{AtomicBool, Ordering};
use gpm_g::GId;

pub use ::loom::model;
pub use ::loom::model::Builder;

/// The most goroutines a model can start in one execution: loom's thread limit (5)
/// minus the model's own thread.
pub const MAX_GOROUTINES: usize = 4;

/// Runs `f` under loom with at most `preemptions` preemptions per execution, exploring
/// every interleaving within that bound; panics (with loom's trace) on a failed assertion, a
/// deadlock or a data race. Returns how many executions were explored and prints the count.
pub fn check(preemptions: usize, f: impl Fn() + Sync + Send + 'static) -> usize {
    let runs = Arc::new(StdAtomicUsize::new(0));
    let counter = runs.clone();
    let mut b = Builder::new();
    b.preemption_bound = Some(preemptions);
    b.check(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f()
    });
    let n = runs.load(std::sync::atomic::Ordering::Relaxed);
    let name = std::thread::current().name().unwrap_or("?").to_string();
    eprintln!("loom: {name}: {n} executions (preemption bound {preemptions})");
    n
}

::loom::lazy_static! {
    /// Goroutines started in the current execution.
    static ref STARTED: StdAtomicUsize = StdAtomicUsize::new(0);
    /// Goroutines of the current execution still running. Each goroutine holds a clone:
    /// loom drops its statics as soon as the model's closure returns, while goroutines may
    /// still be finishing.
    static ref LIVE: Arc<StdAtomicUsize> = Arc::new(StdAtomicUsize::new(0));
}

::loom::thread_local! {
    static CURRENT: Cell<Option<GId>> = Cell::new(None);
}

/// A goroutine as a loom thread.
pub(crate) struct Thread<T> {
    handle: ::loom::thread::JoinHandle<T>,
    finished: Arc<AtomicBool>,
}

impl<T> Thread<T> {
    pub(crate) fn join(self) -> ThreadResult<T> {
        self.handle.join()
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }
}

/// Starts goroutine `f` as a loom thread.
pub(crate) fn spawn<F, T>(name: Option<String>, f: F) -> crate::JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let started = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    assert!(
        started < MAX_GOROUTINES,
        "gpm under loom: a model can start at most {MAX_GOROUTINES} goroutines per execution \
         (loom runs at most 5 threads, the model's own included); keep the model smaller"
    );
    let live = LIVE.clone();
    live.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let id = GId::next();
    let finished = Arc::new(AtomicBool::new(false));
    let done = finished.clone();
    let body = move || {
        CURRENT.with(|c| c.set(Some(id)));
        let r = f();
        live.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        done.store(true, Ordering::Release);
        r
    };
    let mut b = ::loom::thread::Builder::new();
    if let Some(name) = name {
        b = b.name(name);
    }
    let handle = b.spawn(body).expect("loom spawns never fail");
    crate::JoinHandle {
        thread: Thread { handle, finished },
        id,
    }
}

/// The calling goroutine's id, `None` on the model's main thread.
pub(crate) fn current_id() -> Option<GId> {
    CURRENT.with(|c| c.get())
}

/// Goroutines running in the current execution.
pub(crate) fn live() -> usize {
    LIVE.load(std::sync::atomic::Ordering::Relaxed)
}
