//! sysmon: the runtime's monitor thread. It holds no P and runs no goroutines; it watches
//! the Ps and takes one away from an M that cannot run its queue (Go's `retake`).
//!
//! Each round it looks at every held P's lease (`gpm_p::lease`):
//!
//! - a P whose goroutine is inside `gpm::syscall` and has not come back for
//!   [`SYSCALL_RETAKE`] is taken if there is work it could run (its own queue, or a
//!   global queue nobody else is free to drain), and after [`LONG_RUN`] in any case, so it
//!   is idle and ready for the next burst of work;
//! - a P whose schedule count has not moved for [`LONG_RUN`] has been running one goroutine
//!   all that time without a scheduling point; it is taken if there is work waiting for it;
//! - a P whose schedule count has not moved for [`STALE_QUEUE`] while goroutines wait in its
//!   queue gets an M woken to steal them, if a P is idle and nobody spins: a goroutine
//!   readied into an empty `runnext` wakes nobody, on the bet that its readier parks soon.
//!
//! A taken P goes to an idle (or new) M if there is work, else to the idle list. The M that
//! lost it keeps running its goroutine without a P; that goroutine's readies and spawns go
//! to the global queue, and at its next switch (or when its blocking call returns) it
//! rejoins: it takes an idle P if there is one, else it queues itself globally and its M
//! parks. This is liveness without preemption: Go would stop the long runner with a signal
//! and run the queue on the same M; gpm cannot interrupt a goroutine, so for a while the
//! runtime runs one thread more than it has Ps, and the OS shares the cores between them.
//!
//! The round's period starts at 20 µs and doubles after 50 rounds that found nothing, up
//! to 10 ms (Go's numbers). When every P is idle and nobody is in a syscall, sysmon sleeps
//! until a P is taken again (Go's `sysmonwait`), unless a `block_on` is waiting, for which
//! it also runs the deadlock check.
//!
//! Once a [`gpm_g::SCAVENGE_PERIOD`] (a second) sysmon also gives memory back: the idle
//! stacks that nothing took from the runtime's pool all period
//! ([`gpm_g::stack::StackPool::trim_unused`]), and the pages of G records that have stayed
//! free ([`gpm_g::scavenge_records`]), a bounded amount each time, so that a round is not
//! held up for long. A sysmon that would sleep until work comes sleeps a period at a time
//! instead while the pool holds stacks or freed records may hold pages, so a burst that ends
//! in silence gets its memory back too. (The record pool is the process's: while another
//! runtime, or a thread dropping finished join handles, keeps freeing records, an idle
//! runtime's sysmon goes on waking once a second.)
//!
//! With `schedtrace` set (`GPM_DEBUG=schedtrace=1000`), sysmon also prints a one-line
//! summary of the scheduler to stderr at that period, as Go's sysmon does, and never sleeps
//! past the next line.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::sched::Scheduler;

/// How long a goroutine may stay in `gpm::syscall` before its P is handed to another M
/// when there is work for it (Go retakes after one sysmon tick, at least 20 µs).
pub const SYSCALL_RETAKE: Duration = Duration::from_micros(20);
/// How long one goroutine may run without a scheduling point before its P is handed to
/// another M when there is work for it (Go's `forcePreemptNS`).
pub const LONG_RUN: Duration = Duration::from_millis(10);
/// How long work may wait in a P's queue behind a goroutine that runs on before sysmon
/// wakes an idle M to steal it (readies into `runnext` wake nobody; see `enqueue`).
pub const STALE_QUEUE: Duration = Duration::from_micros(20);

const MIN_DELAY: Duration = Duration::from_micros(20);
const MAX_DELAY: Duration = Duration::from_millis(10);
/// Quiet rounds before the period starts doubling.
const QUIET_ROUNDS: u32 = 50;
/// Idle stacks one scavenge frees at most (about 6 ms of sysmon's time here; a full pool's
/// 131,072 took 195 ms, rounds that retake would have waited for).
const STACK_TRIM: usize = 4096;

/// sysmon's shared state within a scheduler.
#[derive(Default)]
pub(crate) struct Sysmon {
    started: AtomicBool,
    /// True while sysmon sleeps without a deadline; whoever takes an idle P wakes it.
    sleeping: AtomicBool,
    /// Set at shutdown, under `lock`.
    stop: Mutex<bool>,
    cv: Condvar,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// What sysmon remembers about one P between rounds.
#[derive(Clone, Copy)]
struct Seen {
    /// The schedule count, and since when it has stayed put.
    tick: u32,
    since: Instant,
    /// The syscall count, and since when it has stayed put.
    sys_tick: u32,
    sys_since: Instant,
    /// A revocation is under way: the holder was mid-push when it was made.
    revoking: bool,
}

impl Seen {
    fn new(now: Instant) -> Seen {
        Seen {
            tick: 0,
            since: now,
            sys_tick: 0,
            sys_since: now,
            revoking: false,
        }
    }

    /// Updates the record from the lease; returns how long the schedule count and the
    /// syscall count have each stayed put.
    fn observe(&mut self, tick: u32, sys_tick: u32, now: Instant) -> (Duration, Duration) {
        if tick != self.tick {
            self.tick = tick;
            self.since = now;
        }
        if sys_tick != self.sys_tick {
            self.sys_tick = sys_tick;
            self.sys_since = now;
        }
        (now - self.since, now - self.sys_since)
    }
}

impl Sysmon {
    /// Starts the sysmon thread of `s` if it is not running yet.
    pub(crate) fn ensure_started(s: &Arc<Scheduler>) {
        let me = &s.sysmon;
        if me.started.load(Ordering::Relaxed) || me.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let sched = s.clone();
        let name = format!("{}-sysmon", s.config.thread_name);
        match std::thread::Builder::new().name(name).spawn(move || {
            gpm_g::trace::name_thread("sysmon");
            run(sched)
        }) {
            Ok(h) => *me.thread.lock() = Some(h),
            Err(e) => eprintln!(
                "gpm: cannot start the sysmon thread ({e}): blocking calls and long-running \
                 goroutines will hold their Ps"
            ),
        }
    }

    /// Wakes sysmon from a sleep without deadline, if it is in one. Called after a P was
    /// taken from the idle list (SeqCst, pairing with `deep_sleep`).
    pub(crate) fn kick(&self) {
        if self.sleeping.load(Ordering::SeqCst) {
            let _g = self.stop.lock();
            self.cv.notify_one();
        }
    }

    /// Stops the thread and waits for it (shutdown).
    pub(crate) fn stop(&self) {
        *self.stop.lock() = true;
        self.cv.notify_one();
        let h = self.thread.lock().take();
        if let Some(h) = h {
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }
}

fn run(s: Arc<Scheduler>) {
    let start = Instant::now();
    let mut seen = vec![Seen::new(start); s.allp.len()];
    let mut delay = MIN_DELAY;
    let mut quiet = 0u32;
    let mut schedtrace = s.config.schedtrace.map(|every| SchedTrace {
        every,
        next: start + every,
    });
    let mut next_scavenge = start + gpm_g::SCAVENGE_PERIOD;
    loop {
        let sleep = match &schedtrace {
            Some(t) => delay.min(t.next.saturating_duration_since(Instant::now())),
            None => delay,
        };
        if !wait(&s, sleep, schedtrace.is_none()) {
            return;
        }
        let now = Instant::now();
        if let Some(t) = &mut schedtrace {
            t.print_if_due(&s, start, now);
        }
        if now >= next_scavenge {
            next_scavenge = now + gpm_g::SCAVENGE_PERIOD;
            s.stacks.trim_unused(STACK_TRIM);
            gpm_g::scavenge_records(now);
        }
        let busy = retake(&s, &mut seen, now);
        if busy {
            delay = MIN_DELAY;
            quiet = 0;
        } else {
            quiet += 1;
            if quiet > QUIET_ROUNDS {
                delay = (delay * 2).min(MAX_DELAY);
            }
        }
        if s.deadlock_check() {
            delay = MAX_DELAY;
        }
    }
}

/// `GPM_DEBUG=schedtrace=N`: when sysmon prints the next summary line.
struct SchedTrace {
    every: Duration,
    next: Instant,
}

impl SchedTrace {
    /// Prints `SCHED <ms since start>ms: <stats>` to stderr if it is time (Go's format).
    fn print_if_due(&mut self, s: &Scheduler, start: Instant, now: Instant) {
        if now < self.next {
            return;
        }
        eprintln!("SCHED {}ms: {}", (now - start).as_millis(), s.stats());
        while self.next <= now {
            self.next += self.every;
        }
    }
}

/// Sleeps for `delay`, or (if `may_sleep_deep`) until kicked when the runtime is idle.
/// False at shutdown.
fn wait(s: &Scheduler, delay: Duration, may_sleep_deep: bool) -> bool {
    let me = &s.sysmon;
    let mut stop = me.stop.lock();
    if *stop {
        return false;
    }
    me.sleeping.store(true, Ordering::SeqCst);
    if may_sleep_deep && s.quiescent() && !s.has_blockers() {
        if s.stacks.idle() > 0 || gpm_g::records_to_scavenge() {
            // Kicks still reach us meanwhile (`sleeping` is set).
            me.cv.wait_for(&mut stop, gpm_g::SCAVENGE_PERIOD);
        } else {
            me.cv.wait(&mut stop);
        }
    } else {
        me.sleeping.store(false, Ordering::SeqCst);
        me.cv.wait_for(&mut stop, delay);
    }
    me.sleeping.store(false, Ordering::SeqCst);
    !*stop
}

/// One retake round over all Ps. True if it took a P, has one in progress, or saw one
/// that it may take soon (a goroutine in a syscall while work waits): the period then
/// stays short, so a call that blocks is noticed within a round or two.
fn retake(s: &Scheduler, seen: &mut [Seen], now: Instant) -> bool {
    let mut busy = false;
    for (i, p) in s.allp.iter().enumerate() {
        let lease = p.lease();
        let rec = &mut seen[i];
        if rec.revoking {
            busy = true;
            if lease.holder_out() {
                rec.revoking = false;
                s.take_revoked(i);
            }
            continue;
        }
        let (running, in_call) = rec.observe(lease.tick(), lease.syscall_tick(), now);
        if !lease.is_held() {
            // Idle: start the clocks afresh when it is held again.
            rec.since = now;
            rec.sys_since = now;
            continue;
        }
        let syscall = lease.in_syscall();
        let wanted = p.has_work() || s.global_work_unserved();
        busy |= syscall && wanted;
        // Go's rules: a P in one blocking call for a whole round is taken if work waits,
        // and after 10 ms in any case (so it is free for the next burst); a P whose
        // goroutine has not been switched for 10 ms is taken if work waits.
        let take = if syscall && in_call >= SYSCALL_RETAKE {
            wanted || in_call >= LONG_RUN
        } else {
            running >= LONG_RUN && wanted
        };
        // A P that is due to be taken but cannot be (handoff off, or the thread limit
        // reached) still gets the stale-queue wake: a round that first looks only after
        // `LONG_RUN` (sysmon's period backs off to 10 ms, and a loaded machine delays it
        // further) would otherwise leave the queued goroutine behind the runner for good.
        let take = take && s.can_hand_off();
        if !take && !syscall && running >= STALE_QUEUE && p.has_work() && s.wake_for_stale() {
            // A goroutine readied into `runnext` waits behind one that runs on (`enqueue`
            // woke nobody for it): a spinning M will steal it.
            busy = true;
        }
        if !take || !lease.try_revoke() {
            continue;
        }
        gpm_g::trace::handoff(
            i,
            if syscall {
                gpm_g::trace::Retake::Syscall
            } else {
                gpm_g::trace::Retake::LongRun
            },
        );
        busy = true;
        if lease.holder_out() {
            s.take_revoked(i);
        } else {
            rec.revoking = true;
        }
    }
    busy
}
