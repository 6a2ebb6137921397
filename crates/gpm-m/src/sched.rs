//! The scheduler of one runtime: its Ps, queues, idle lists, timers and live goroutines,
//! and the submit side of the protocol (spawn, ready, wakep).

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::Instant;

use gpm_g::stack::StackPool;
use gpm_g::{Entry, EntryRef, GId, GRef, Poll, Sched, TimerAction, G};
use gpm_p::queue::GlobalQueue;
use gpm_p::{AllP, Global, PRef, PShared};
use parking_lot::Mutex;

use crate::deadlock::Blocker;
use crate::idle::Idle;
use crate::mctx as worker_ctx;
use crate::mpark::MPark;
use crate::registry::Registry;
use crate::sysmon::Sysmon;
use crate::timers::{Timers, NEVER};

/// `sleeper_when` while the sleeper waits in the poller with no timer pending: any new timer
/// is earlier, so adding one wakes it to re-arm its timeout.
pub(crate) const SLEEP_NO_DEADLINE: u64 = NEVER - 1;
use crate::worker;

/// How a runtime is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Number of Ps: goroutines running in parallel. At least 1.
    pub procs: usize,
    /// Default goroutine stack size in bytes.
    pub stack_size: usize,
    /// Prefix of the worker threads' names.
    pub thread_name: String,
    /// The network poller the Ms poll, if any (`gpm` passes a `gpm-netpoll` one). With a
    /// poller the runtime's sleeper M waits in it rather than on its own parking place.
    pub poller: Option<Arc<dyn Poll>>,
    /// Most M threads the runtime starts. Ms beyond `procs` serve goroutines stuck in
    /// blocking calls or long computations; at the limit, sysmon stops handing their Ps
    /// on. At least `procs`.
    pub max_threads: usize,
    /// Whether sysmon hands on the P of an M stuck in a blocking call or a long-running
    /// goroutine (on by default; off only to measure what the handoff buys).
    pub handoff: bool,
    /// Print a one-line scheduler summary ([`crate::Stats`]) to stderr this often, from
    /// sysmon (Go's `GODEBUG=schedtrace`).
    pub schedtrace: Option<std::time::Duration>,
}

/// The default [`Config::max_threads`]: Go allows 10,000 Ms, tokio 512 blocking threads.
pub const DEFAULT_MAX_THREADS: usize = 512;

/// Free stacks a runtime keeps for reuse. Unmapping a stack takes the process's mmap lock
/// for writing and a TLB shootdown on every core; in a burst of exits (100,000 sleepers
/// waking together) that was more than half of all CPU time, with the Ms queueing on the
/// lock. So a runtime keeps up to 131,072 free stacks. An idle stack keeps only the pages its
/// last goroutine touched, one 4 KiB page for a shallow goroutine, so a pool filled by such a
/// burst holds about 4 KiB per stack until the runtime shuts down (`shutdown` frees them: a
/// join handle or a parked goroutine's waker may keep the scheduler itself alive for longer).
/// Trimming idle stacks over time belongs to sysmon (Go frees them at GC).
const IDLE_STACKS: usize = 131_072;

/// An idle M's parking place, as listed in the idle-M list.
pub(crate) type MHandle = Arc<MPark<PRef>>;

/// One runtime's scheduler.
pub struct Scheduler {
    pub(crate) config: Config,
    pub(crate) me: Weak<Scheduler>,
    /// Every P; `allp` are their shared halves, by index.
    ps: AllP,
    pub(crate) allp: Box<[Arc<PShared>]>,
    pub(crate) global: Global<GRef>,
    pub(crate) idle: Idle<PRef, MHandle>,
    pub(crate) timers: Timers,
    /// The M that sleeps until the earliest timer (in the poller, if there is one), and
    /// that deadline in ticks: [`NEVER`] when there is no sleeper, [`SLEEP_NO_DEADLINE`] when
    /// it waits in the poller with no timer pending.
    pub(crate) sleeper: Mutex<Option<MHandle>>,
    pub(crate) sleeper_when: AtomicU64,
    /// True while the sleeper is blocked in the poller (Go's `lastpoll == 0`): the other Ms
    /// then leave the poller alone.
    pub(crate) polling: AtomicBool,
    pub(crate) registry: Registry,
    /// Records of exited goroutines, for reuse; Ms keep their own in front of it.
    pub(crate) free_gs: Mutex<Vec<GRef>>,
    pub(crate) stacks: StackPool,
    pub(crate) shutdown: AtomicBool,
    /// Set once shutdown has collected every goroutine to unwind.
    pub(crate) reaped: AtomicBool,
    /// Goroutines spawned from threads that hold no P of this runtime, and goroutines that
    /// exited on an M whose P had been taken away.
    spawned_outside: AtomicU64,
    exited_outside: AtomicU64,
    /// Parks and unparks (readies of parked goroutines) counted where no P was at hand.
    pub(crate) parks_outside: AtomicU64,
    pub(crate) unparks_outside: AtomicU64,
    threads: Mutex<Vec<JoinHandle<()>>>,
    mcount: AtomicUsize,
    /// Goroutines inside `gpm::syscall`.
    pub(crate) nsyscall: AtomicUsize,
    /// Ps taken from the idle list or handed to Ms so far (the deadlock check's witness that
    /// nothing moved).
    pub(crate) m_wakes: AtomicU64,
    pub(crate) sysmon: Sysmon,
    /// Ms asleep while the goroutine pinned to them is (see `worker::stop_pinned`).
    pub(crate) pinned_ms: Mutex<Vec<MHandle>>,
    /// Threads waiting in `block_on`, for deadlock reports.
    pub(crate) blockers: Mutex<Vec<Arc<Blocker>>>,
    /// Set once the thread limit has been reported.
    limit_reported: AtomicBool,
}

impl Scheduler {
    /// A scheduler with `config.procs` idle Ps and no threads yet; Ms start on demand.
    pub fn new(config: Config) -> io::Result<Arc<Scheduler>> {
        if config.procs == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "gpm: a runtime needs at least one proc (procs must be >= 1)",
            ));
        }
        if config.max_threads < config.procs {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "gpm: max_threads ({}) must be at least procs ({})",
                    config.max_threads, config.procs
                ),
            ));
        }
        gpm_g::overflow::install();
        gpm_p::lease::barrier::init();
        let schedtrace = config.schedtrace.is_some();
        let all = AllP::new(config.procs);
        let allp = all.shared().into();
        // SAFETY: the Ps were just made; these are their first and only handles.
        let ps: Vec<PRef> = (0..config.procs)
            .map(|i| unsafe { all.handle(i) })
            .collect();
        let procs = config.procs;
        let stacks = StackPool::with_max_idle(config.stack_size, IDLE_STACKS);
        let sched = Arc::new_cyclic(|me| Scheduler {
            me: me.clone(),
            ps: all,
            allp,
            global: Global::new(),
            idle: Idle::new(procs, ps.into_iter().rev().collect()),
            timers: Timers::new(procs),
            sleeper: Mutex::new(None),
            sleeper_when: AtomicU64::new(NEVER),
            polling: AtomicBool::new(false),
            registry: Registry::new(),
            free_gs: Mutex::new(Vec::new()),
            stacks,
            shutdown: AtomicBool::new(false),
            reaped: AtomicBool::new(false),
            spawned_outside: AtomicU64::new(0),
            exited_outside: AtomicU64::new(0),
            parks_outside: AtomicU64::new(0),
            unparks_outside: AtomicU64::new(0),
            threads: Mutex::new(Vec::new()),
            mcount: AtomicUsize::new(0),
            nsyscall: AtomicUsize::new(0),
            m_wakes: AtomicU64::new(0),
            sysmon: Sysmon::default(),
            pinned_ms: Mutex::new(Vec::new()),
            blockers: Mutex::new(Vec::new()),
            limit_reported: AtomicBool::new(false),
            config,
        });
        if schedtrace {
            // The summary runs from the start, not from the first goroutine.
            Sysmon::ensure_started(&sched);
        }
        Ok(sched)
    }

    /// The configuration this scheduler runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The number of live goroutines (spawned and not yet exited; a racy snapshot).
    pub fn live(&self) -> usize {
        let spawned: u64 = self.allp.iter().map(|p| p.spawned()).sum::<u64>()
            + self.spawned_outside.load(Ordering::Relaxed);
        let exited: u64 = self.allp.iter().map(|p| p.exited()).sum::<u64>()
            + self.exited_outside.load(Ordering::Relaxed);
        spawned.saturating_sub(exited) as usize
    }

    /// The number of M threads started so far.
    pub fn threads(&self) -> usize {
        self.mcount.load(Ordering::Relaxed)
    }

    /// The scheduler whose M is the calling thread, if any.
    pub fn current() -> Option<Arc<Scheduler>> {
        worker_ctx::current_sched()
    }

    /// Calls `f` with the scheduler whose M is the calling thread, if any. Unlike
    /// [`Scheduler::current`] it takes no reference, so it is what a spawn uses.
    #[inline]
    pub fn with_current<R>(f: impl FnOnce(&Scheduler) -> R) -> Option<R> {
        worker_ctx::with_current_sched(f)
    }

    /// Creates a goroutine running `entry` and makes it runnable; returns a reference to the
    /// entry, which the G record holds (for a join handle). Inside a goroutine of this
    /// runtime the new G goes to the spawner's `runnext` (Go's `newproc`); from outside, to
    /// the global queue.
    pub fn spawn<E: Entry>(
        &self,
        id: GId,
        entry: E,
        name: Option<String>,
        stack_size: Option<usize>,
    ) -> io::Result<EntryRef<E>> {
        if self.shutdown.load(Ordering::Acquire) {
            return Err(io::Error::other("gpm: the runtime has shut down"));
        }
        let stack_size = stack_size.unwrap_or(self.config.stack_size);
        gpm_g::trace::go(id.0, name.as_deref());
        let fresh = |entry, name| {
            let me: Arc<dyn Sched> = self.me.upgrade().expect("scheduler alive");
            G::new(id, entry, name, stack_size, me)
        };
        let (g, entry) = match worker_ctx::take_free_g(self) {
            Some(mut g) => match G::recycle(&mut g, id, entry, name, stack_size) {
                Ok(entry) => (g, entry),
                Err((entry, name)) => fresh(entry, name),
            },
            None => fresh(entry, name),
        };
        if let Err(g) = worker_ctx::place_spawned(self, g) {
            self.spawned_outside.fetch_add(1, Ordering::Relaxed);
            self.global.push(g);
        }
        self.wakep();
        Ok(entry)
    }

    /// Wakes an M to spin on an idle P if the rule allows it (Go's `wakep`).
    pub(crate) fn wakep(&self) {
        if !self.idle.should_wake() || !self.idle.claim_waker() {
            return;
        }
        let Some(p) = self.idle.take_p() else {
            self.idle.unclaim_waker();
            return;
        };
        // Like every path that puts an idle P to work: sysmon may be asleep with every P
        // idle, and must watch this one (it went unwatched before, so a goroutine that
        // then blocked or ran long on it was never handed off).
        self.took_p();
        self.start_m(p, true);
    }

    /// sysmon's wake for work stuck behind a running goroutine: wakes a spinning M if the
    /// rules allow one (an idle P, nobody spinning). True if it tried.
    pub(crate) fn wake_for_stale(&self) -> bool {
        if !self.idle.should_wake() {
            return false;
        }
        self.wakep();
        true
    }

    /// Takes an idle P for an M (every path that puts a P to work comes through here, so
    /// sysmon, asleep while all Ps were idle, is woken).
    pub(crate) fn take_idle_p(&self) -> Option<PRef> {
        let p = self.idle.take_p()?;
        self.took_p();
        Some(p)
    }

    /// Like [`Scheduler::take_idle_p`], preferring P `id` (a goroutine back from a blocking
    /// call wants its old P, whose caches are warm).
    pub(crate) fn take_idle_p_preferring(&self, id: usize) -> Option<PRef> {
        let p = self.idle.take_p_preferring(|p| p.id() == id)?;
        self.took_p();
        Some(p)
    }

    fn took_p(&self) {
        self.m_wakes.fetch_add(1, Ordering::SeqCst);
        self.sysmon.kick();
    }

    /// True if every P is idle and no goroutine is in a blocking call: nothing for sysmon
    /// to watch.
    pub(crate) fn quiescent(&self) -> bool {
        self.idle.npidle() == self.allp.len() && self.nsyscall.load(Ordering::SeqCst) == 0
    }

    /// Counts a goroutine that exited on an M without a P.
    pub(crate) fn count_exit_outside(&self) {
        self.count_outside(&self.exited_outside);
    }

    /// Bumps one of the shared counters for events that happen away from any P.
    pub(crate) fn count_outside(&self, c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// True if the global queue has work that no idle P is around to run.
    pub(crate) fn global_work_unserved(&self) -> bool {
        self.idle.npidle() == 0 && !self.global.is_empty()
    }

    /// True if a taken P could go to an M: handoff is on, and an idle M is listed or
    /// another thread may be started.
    pub(crate) fn can_hand_off(&self) -> bool {
        if !self.config.handoff {
            return false;
        }
        if self.idle.nmidle() > 0 || self.mcount.load(Ordering::Relaxed) < self.config.max_threads {
            return true;
        }
        if !self.limit_reported.swap(true, Ordering::Relaxed) {
            eprintln!(
                "gpm: {} threads are running (max_threads); goroutines queued behind blocking \
                 calls wait until those return",
                self.config.max_threads
            );
        }
        false
    }

    /// sysmon owns the revoked P `i` (its holder is out): hand it to an M if there is work
    /// for it, else list it as idle.
    pub(crate) fn take_revoked(&self, i: usize) {
        let lease = self.allp[i].lease();
        lease.taken();
        // SAFETY: the revocation succeeded and its holder is out of every section, so the
        // P is ours alone; the old holder's handle is never used again (its `enter` fails).
        let p = unsafe { self.ps.handle(i) };
        if !p.is_empty() {
            self.m_wakes.fetch_add(1, Ordering::SeqCst);
            self.start_m(p, false);
            return;
        }
        // The old holder may be pushing its goroutine to the global queue right now.
        self.list_idle_p(p);
    }

    /// Lists a P nobody on this thread will use, then looks for work, as an M giving up its P
    /// does: a submitter that published work meanwhile either sees the P idle in its
    /// `wakep` or is seen here, and then an M is woken for it.
    pub(crate) fn list_idle_p(&self, p: PRef) {
        self.idle.put_p(p);
        self.idle.fence_before_recheck();
        if self.has_work_anywhere() {
            self.wakep();
        }
    }

    /// True if any queue holds a goroutine.
    pub(crate) fn has_work_anywhere(&self) -> bool {
        !self.global.is_empty() || self.allp.iter().any(|p| p.has_work())
    }

    /// Hands `p` to an idle M, or starts a new M for it.
    pub(crate) fn start_m(&self, p: PRef, spinning: bool) {
        gpm_g::trace::wake();
        if let Some(m) = self.idle.take_m() {
            m.wake(Some((p, spinning)));
            return;
        }
        let sched = self.me.upgrade().expect("scheduler alive");
        Sysmon::ensure_started(&sched);
        let park: MHandle = Arc::new(MPark::new());
        park.wake(Some((p, spinning)));
        let n = self.mcount.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}-{n}", self.config.thread_name);
        let m = park.clone();
        // Spawn under the thread-list lock, re-checking shutdown there: `shutdown` sets its
        // flag and then takes this list, so every M it does not find is never started.
        let mut threads = self.threads.lock();
        let spawned = if self.shutdown.load(Ordering::Acquire) {
            Err(io::Error::other("the runtime is shutting down"))
        } else if n >= self.config.max_threads {
            Err(io::Error::other(format!(
                "the runtime's thread limit (max_threads = {}) is reached",
                self.config.max_threads
            )))
        } else {
            std::thread::Builder::new().name(name).spawn(move || {
                gpm_g::trace::name_thread(format!("M{n}"));
                worker::run_m(sched, m)
            })
        };
        match spawned {
            Ok(h) => threads.push(h),
            Err(e) => {
                drop(threads);
                // Thread exhaustion (or shutdown): take the P back so no queued work is
                // stranded on it.
                if !self.shutdown.load(Ordering::Acquire) {
                    eprintln!("gpm: cannot start a worker thread: {e}");
                }
                self.mcount.fetch_sub(1, Ordering::Relaxed);
                if let Some((p, spinning)) = park.park(None) {
                    if spinning {
                        self.idle.unclaim_waker();
                    }
                    self.idle.put_p(p);
                }
            }
        }
    }

    /// The network poller, if this runtime has one.
    pub(crate) fn poller(&self) -> Option<&Arc<dyn Poll>> {
        self.config.poller.as_ref()
    }

    /// Wakes the timer sleeper if `when` is earlier than its deadline; with no sleeper,
    /// makes sure some M is around to become one (Go's `wakeNetPoller`).
    fn poke_sleeper(&self, when: u64) {
        let sleeping_until = self.sleeper_when.load(Ordering::SeqCst);
        if sleeping_until == NEVER {
            self.wakep();
        } else if when < sleeping_until {
            self.nudge_sleeper();
        }
    }

    /// Makes the sleeper return from its wait, in the poller or on its parking place. Sent
    /// under the sleeper lock (see `resign_sleeper`).
    fn nudge_sleeper(&self) {
        if let Some(m) = self.sleeper.lock().as_ref() {
            match self.poller() {
                Some(poller) => poller.wake(),
                None => m.wake(None),
            }
        }
    }

    /// Stops the runtime: every M exits after its current goroutine switches out, then
    /// every goroutine still alive is unwound on the calling thread, so destructors run.
    /// Returns how many goroutines were unwound.
    pub fn shutdown(&self) -> usize {
        if self.shutdown.swap(true, Ordering::AcqRel) {
            return 0;
        }
        for m in self.idle.take_all_m() {
            m.wake(None);
        }
        for m in self.pinned_ms.lock().iter() {
            m.wake(None);
        }
        self.nudge_sleeper();
        self.sysmon.stop();
        let me = std::thread::current().id();
        let threads = std::mem::take(&mut *self.threads.lock());
        for h in threads {
            if h.thread().id() != me {
                let _ = h.join();
            }
        }
        // Every M is gone (or is the caller, inside a goroutine: then nothing else runs).
        // The goroutines left are runnable ones in the queues (exiting Ms moved theirs to the
        // global queue) and parked ones in the registry; a G can be in both.
        // When the caller is a goroutine of this runtime, its own P is still held: drain it
        // too, and let its M unwind whatever is queued there later (`reaped`).
        let mut gs = self.registry.take_all();
        gs.extend(worker_ctx::drain_current_p(self));
        for p in self.idle.take_all_p() {
            gs.extend(p.drain());
        }
        while let Some(g) = self.global.pop() {
            gs.push(g);
        }
        self.reaped.store(true, Ordering::Release);
        drop(self.timers.clear());
        let me = gpm_g::current_id();
        let n = gs.len();
        for g in &gs {
            if me == Some(g.id()) {
                // That goroutine keeps running on this M until it exits or switches out;
                // in the latter case its M, which has nothing left to run, unwinds it.
                continue;
            }
            gpm_g::exec::kill(g);
        }
        // Destructors may have readied or spawned more goroutines; nothing will run them.
        while let Some(g) = self.global.pop() {
            if me != Some(g.id()) {
                gpm_g::exec::kill(&g);
            }
        }
        drop(self.timers.clear());
        // Free G records refer back to this scheduler; let both go.
        self.free_gs.lock().clear();
        // The scheduler may outlive the runtime: a join handle holds its goroutine's record,
        // and the record holds the scheduler. The idle stacks are what it holds of size.
        self.stacks.trim();
        n
    }
}

// SAFETY: `enqueue` keeps itself alive once `g` is queued (the trait's contract): on an M of
// this scheduler the M's `run_m` holds an `Arc<Scheduler>` for as long as the thread runs,
// and everywhere else `enqueue` clones `g` (and so the G's reference to us) before pushing.
unsafe impl Sched for Scheduler {
    /// Readies `g` onto the calling M's P, else the global queue, and wakes an M for it,
    /// except when `g` went into an empty `runnext` of the calling goroutine's own P
    /// (tokio's rule for its LIFO slot; Go wakes here too). That goroutine is the one this M
    /// runs next, as soon as the readier switches out, which in the common case (a channel
    /// handoff, then the readier waits for the answer) is a moment later: waking another M
    /// only sent it to spin for a steal it loses, and on two Ps that cost a futex wake per
    /// message (ping-pong 816 ns a round trip, 516 without). If the readier computes on
    /// instead, sysmon wakes an M for the waiting goroutine within a round (`retake`).
    fn enqueue(&self, g: GRef, next: bool) {
        match worker_ctx::push_local(self, g, next) {
            Ok(false) => {}
            Ok(true) => self.wakep(),
            Err(g) => {
                // Not an M of ours: `g` may be the last reference keeping us alive, and
                // once pushed another M may run it to its end (see `Sched`'s contract).
                let _alive = g.clone();
                self.count_outside(&self.unparks_outside);
                self.global.push(g);
                self.wakep();
            }
        }
    }

    fn add_timer(&self, when: Instant, action: TimerAction) {
        let shard = worker_ctx::current_p_id(self).unwrap_or(0);
        let ticks = self.timers.add(shard, when, action);
        self.poke_sleeper(ticks);
    }

    fn poller(&self) -> Option<&Arc<dyn Poll>> {
        self.config.poller.as_ref()
    }
}
