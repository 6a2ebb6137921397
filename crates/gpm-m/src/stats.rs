//! `Stats`: a snapshot of one runtime's scheduler, cheap enough to take at any time.
//!
//! Every counter behind it is written where the event happens without a shared
//! read-modify-write: per-P counters are plain relaxed stores by the P's owner, and only
//! events away from any P (a ready from a plain thread, a goroutine that parked on an M
//! whose P sysmon took) touch a shared atomic. Taking a snapshot sums them with relaxed
//! loads, so the figures are a racy view, consistent only when the runtime is quiet.

use std::fmt;
use std::sync::atomic::Ordering;

use gpm_p::queue::GlobalQueue;
pub use gpm_p::PCounters;

use crate::sched::Scheduler;

/// A snapshot of one runtime's scheduler (see [`Scheduler::stats`]).
///
/// ```
/// use gpm_m::{PCounters, Stats};
///
/// // Users get one from `gpm::stats()` or `Runtime::stats`; here a hand-made one.
/// let s = Stats {
///     live: 3,
///     runnable: 2,
///     ps: vec![PCounters { id: 0, queued: 2, ..PCounters::default() }],
///     ..Stats::default()
/// };
/// let line = s.to_string(); // one schedtrace-style line
/// assert!(line.contains("goroutines=3 runnable=2"));
/// assert!(line.ends_with("[2]")); // the per-P run queue lengths
/// assert_eq!(s.ps.iter().map(|p| p.queued).sum::<usize>(), s.runnable);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Goroutines spawned and not yet finished.
    pub live: usize,
    /// Goroutines queued to run (global queue, local queues, `runnext`s).
    pub runnable: usize,
    /// Goroutines parked (waiting on a channel, timer, socket, lock or join).
    pub parked: usize,
    /// Goroutines inside `gpm::syscall`.
    pub in_syscall: usize,
    /// Goroutines in the global queue.
    pub global_queue: usize,
    /// M threads started.
    pub ms: usize,
    /// Ms parked on the idle list.
    pub ms_idle: usize,
    /// Ms spinning (holding a P, looking for work).
    pub ms_spinning: usize,
    /// Ms asleep while the goroutine pinned to them waits (`lock_os_thread`).
    pub ms_pinned: usize,
    /// Ps not held by any M.
    pub ps_idle: usize,
    /// Timers pending.
    pub timers: usize,
    /// Per-P counters, by P index.
    pub ps: Vec<PCounters>,
}

impl Scheduler {
    /// A snapshot of this scheduler's counters.
    pub fn stats(&self) -> Stats {
        let ps: Vec<PCounters> = self.allp.iter().map(|p| p.counters()).collect();
        let sum = |f: fn(&PCounters) -> u64| ps.iter().map(f).sum::<u64>();
        let parks = sum(|c| c.parks) + self.parks_outside.load(Ordering::Relaxed);
        let unparks = sum(|c| c.unparks) + self.unparks_outside.load(Ordering::Relaxed);
        let global_queue = self.global.len();
        let runnable = global_queue + ps.iter().map(|c| c.queued).sum::<usize>();
        Stats {
            live: self.live(),
            runnable,
            parked: parks.saturating_sub(unparks) as usize,
            in_syscall: self.nsyscall.load(Ordering::Relaxed),
            global_queue,
            ms: self.threads(),
            ms_idle: self.idle.nmidle(),
            ms_spinning: self.idle.nmspinning(),
            ms_pinned: self.pinned_ms.lock().len(),
            ps_idle: self.idle.npidle(),
            timers: self.timers.len(),
            ps,
        }
    }
}

impl fmt::Display for Stats {
    /// One line in the manner of Go's `schedtrace`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "procs={} goroutines={} runnable={} parked={} syscall={} timers={} \
             threads={} idlethreads={} spinningthreads={} pinnedthreads={} idleprocs={} \
             runqueue={} [",
            self.ps.len(),
            self.live,
            self.runnable,
            self.parked,
            self.in_syscall,
            self.timers,
            self.ms,
            self.ms_idle,
            self.ms_spinning,
            self.ms_pinned,
            self.ps_idle,
            self.global_queue,
        )?;
        for (i, p) in self.ps.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{}", p.queued)?;
        }
        f.write_str("]")
    }
}
