//! Deadlock detection: Go's `all goroutines are asleep - deadlock!` for `block_on`.
//!
//! A thread blocked in `block_on` registers as a [`Blocker`]. On each round sysmon asks
//! whether anything could still wake the goroutine it waits for:
//!
//! 1. every M is parked on the idle list: no goroutine runs, none is in a blocking call, no
//!    M is polling, running timers or on its way to park;
//! 2. no goroutine is runnable (global queue, every P's queue and `runnext`), no timer is
//!    pending, no goroutine waits on an fd;
//! 3. (1) still holds and no M was woken or took a P since it was first checked, so the
//!    reads of (2) saw one unchanging state: with every M parked only a waker from outside
//!    could change it;
//! 4. the process has no thread besides this runtime's Ms, its sysmon and the registered
//!    blockers, so there *is* nobody outside who could wake a goroutine.
//!
//! Then the runtime is stuck for good. Every blocker gets the verdict, naming the parked
//! goroutines, and `block_on` panics with it; the goroutines stay parked until the runtime
//! is dropped.
//!
//! The rule for outside threads (4) is deliberately blunt. A plain thread may hold a
//! `Sender` (or a lock, or a `JoinHandle`) and use it an hour from now, and the runtime
//! cannot see which objects a thread holds, so while any other thread is alive it never
//! reports: no false positive, at the price of silence in processes with helper threads
//! (a logger, another runtime, the test harness). The thread count comes from
//! `/proc/self/task`; where that does not exist (not Linux) detection is off.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::Thread;

use parking_lot::Mutex;

use crate::sched::Scheduler;

/// A thread waiting in `block_on`, and the verdict sysmon may hand it.
#[derive(Debug)]
pub struct Blocker {
    thread: Thread,
    verdict: Mutex<Option<String>>,
}

impl Blocker {
    /// The deadlock report, once sysmon has made one.
    pub fn verdict(&self) -> Option<String> {
        self.verdict.lock().clone()
    }
}

/// Deregisters the blocker when `block_on` stops waiting.
pub struct BlockerGuard {
    sched: Arc<Scheduler>,
    blocker: Arc<Blocker>,
}

impl BlockerGuard {
    /// The deadlock report, once sysmon has made one.
    pub fn verdict(&self) -> Option<String> {
        self.blocker.verdict()
    }
}

impl Drop for BlockerGuard {
    fn drop(&mut self) {
        let mut list = self.sched.blockers.lock();
        list.retain(|b| !Arc::ptr_eq(b, &self.blocker));
    }
}

/// Most goroutines a report names.
const NAMED: usize = 20;

impl Scheduler {
    /// Registers the calling thread, which is about to wait in `block_on` outside any
    /// goroutine, for deadlock reports.
    pub fn register_blocker(self: &Arc<Self>) -> BlockerGuard {
        let blocker = Arc::new(Blocker {
            thread: std::thread::current(),
            verdict: Mutex::new(None),
        });
        self.blockers.lock().push(blocker.clone());
        crate::sysmon::Sysmon::ensure_started(self);
        self.sysmon.kick();
        BlockerGuard {
            sched: self.clone(),
            blocker,
        }
    }

    pub(crate) fn has_blockers(&self) -> bool {
        !self.blockers.lock().is_empty()
    }

    /// True if every M is parked: idle-listed, or pinned and not yet handed its goroutine
    /// (a pinned M that has been handed it holds that goroutine, runnable, in its slot).
    fn all_ms_idle(&self) -> bool {
        let pinned = self.pinned_ms.lock();
        if pinned.iter().any(|m| m.pending()) {
            return false;
        }
        self.idle.nmidle() + pinned.len() == self.threads()
    }

    fn nothing_pending(&self) -> bool {
        self.nsyscall.load(Ordering::SeqCst) == 0
            && !self.timers.any_pending()
            && !self.poller().is_some_and(|p| p.has_waiters())
            && !self.has_work_anywhere()
    }

    /// sysmon's round: reports a deadlock to every blocker if the runtime is stuck for good
    /// (see the module docs). True if it reported one.
    pub(crate) fn deadlock_check(&self) -> bool {
        // Cheapest first: this runs every sysmon round while a `block_on` waits.
        let wakes = self.m_wakes.load(Ordering::SeqCst);
        if !self.all_ms_idle() || !self.nothing_pending() {
            return false;
        }
        if !self.all_ms_idle() || self.m_wakes.load(Ordering::SeqCst) != wakes {
            return false;
        }
        let blockers = self.blockers.lock().clone();
        if blockers.is_empty() || blockers.iter().any(|b| b.verdict().is_some()) {
            return false;
        }
        if !only_threads(self.threads() + 1 + blockers.len()) {
            return false;
        }
        let msg = self.deadlock_message();
        for b in &blockers {
            *b.verdict.lock() = Some(msg.clone());
            b.thread.unpark();
        }
        true
    }

    fn deadlock_message(&self) -> String {
        let mut parked = self.registry.snapshot();
        parked.sort_by_key(|(id, _)| *id);
        let mut msg = String::from("all goroutines are asleep - deadlock!\n");
        for (id, name) in parked.iter().take(NAMED) {
            match name {
                Some(n) => writeln!(msg, "\ngoroutine {id} ({n}) [parked]"),
                None => writeln!(msg, "\ngoroutine {id} [parked]"),
            }
            .expect("writing to a String");
        }
        if parked.len() > NAMED {
            writeln!(
                msg,
                "\n... and {} more parked goroutines",
                parked.len() - NAMED
            )
            .expect("writing to a String");
        }
        msg
    }
}

/// True if the process has exactly `n` threads.
fn only_threads(n: usize) -> bool {
    match std::fs::read_dir("/proc/self/task") {
        Ok(d) => d.count() == n,
        Err(_) => false,
    }
}
