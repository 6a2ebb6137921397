//! Virtual time under loom (compiled only under `cfg(loom)`): the clock that deadlines,
//! timeouts, `after`/`at`/`tick` and `gpm::time::sleep` read and wait on when a model runs,
//! so that a model is deterministic (loom replays every execution from the start and must
//! see the same choices) and a timeout is explored both ways.
//!
//! - The clock reads `BASE + now`: `BASE` is a real `Instant` taken once per process, `now`
//!   a count of virtual nanoseconds that starts at zero in every execution. Virtual time
//!   stands still until a timer fires: nothing else advances it.
//! - A wait with a deadline arms a timer (`arm`): a callback due at an instant. Timers are
//!   fired by a *clock thread*, a loom thread that fires the pending timers one at a time
//!   in deadline order, advancing `now` to each one's due time first. Because it is an
//!   ordinary loom thread, loom schedules each firing wherever it likes among the other
//!   threads' steps: a timeout may fire before the message arrives or after, and both
//!   outcomes are explored (within the preemption bound). Timers never fire early, and of
//!   two pending timers the earlier deadline fires first.
//! - The clock thread is started by the first `arm` of a burst and exits once it finds
//!   no timer pending twice in a row (it yields in between, so that a thread about to arm
//!   the next timer can do so first; loom runs a yielded thread when nothing else can run).
//!   A model must let it finish like any other thread, and it counts against loom's limit
//!   of threads per execution.
//! - The clock lives in a loom `lazy_static`, which loom drops when the model's closure
//!   returns: a thread still running after that point cannot start a timed wait.
//! - A waiter that is woken before its timer fires cancels it (`cancel`); a timer that
//!   fires after its waiter stopped waiting is harmless (the wait protocols tolerate stale
//!   wakeups).
//!
//! One window is approximated: a timer armed while the clock thread has just found nothing
//! to do and is about to yield is fired only when every other thread is blocked, so a few
//! "timeout before the peer's next step" interleavings are not explored in that case.
//!
//! This file is the single source of the mechanism; `gpm-sync` includes it too (each crate
//! then has its own clock: its timers are not ordered against the other crate's).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use loom::sync::{Condvar, Mutex};

/// What a timer does when it fires.
type Fire = Box<dyn FnOnce() + Send>;

struct Timer {
    /// Due time, in virtual nanoseconds.
    at: u64,
    id: u64,
    fire: Fire,
}

#[derive(Default)]
struct State {
    /// Virtual nanoseconds since `BASE`.
    now: u64,
    next_id: u64,
    timers: Vec<Timer>,
    /// The clock thread, while one runs.
    clock: Option<loom::thread::Thread>,
    /// The clock thread found nothing to fire on its last look.
    idle: bool,
}

loom::lazy_static! {
    /// The clock of the current execution (loom resets it for every execution). Shared
    /// with the clock thread through an `Arc`, because loom drops its statics as soon as
    /// the model's closure returns, while other threads may still run.
    static ref CLOCK: Arc<Mutex<State>> = Arc::new(Mutex::new(State::default()));
}

/// The real instant that virtual time zero stands for.
fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

fn to_virtual(at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(base()).as_nanos()).unwrap_or(u64::MAX)
}

/// The current virtual instant.
pub fn now() -> Instant {
    base() + Duration::from_nanos(CLOCK.lock().unwrap().now)
}

/// Arms a timer that runs `fire` on the clock thread at virtual instant `at` (at once, in
/// loom's choice of order, if `at` has passed). Returns its id for [`cancel`].
pub(crate) fn arm(at: Instant, fire: impl FnOnce() + Send + 'static) -> u64 {
    let mut s = CLOCK.lock().unwrap();
    let id = s.next_id;
    s.next_id += 1;
    s.timers.push(Timer {
        at: to_virtual(at),
        id,
        fire: Box::new(fire),
    });
    s.idle = false;
    match &s.clock {
        // Makes a clock thread that yielded fully schedulable again.
        Some(t) => t.unpark(),
        None => {
            let clock = CLOCK.clone();
            s.clock = Some(
                loom::thread::spawn(move || run_clock(&clock))
                    .thread()
                    .clone(),
            );
        }
    }
    id
}

/// Withdraws timer `id` if it has not fired yet.
pub(crate) fn cancel(id: u64) {
    CLOCK.lock().unwrap().timers.retain(|t| t.id != id);
}

/// The clock thread: fires the earliest pending timer, one per step.
fn run_clock(clock: &Mutex<State>) {
    loop {
        let mut s = clock.lock().unwrap();
        let earliest = (0..s.timers.len()).min_by_key(|&i| (s.timers[i].at, s.timers[i].id));
        match earliest {
            Some(i) => {
                let t = s.timers.swap_remove(i);
                s.now = s.now.max(t.at);
                s.idle = false;
                drop(s);
                (t.fire)();
            }
            None if s.idle => {
                s.clock = None;
                return;
            }
            None => {
                s.idle = true;
                drop(s);
                loom::thread::yield_now();
            }
        }
    }
}

/// Blocks the calling loom thread until virtual instant `at` (returns at once if it has
/// passed).
pub fn sleep_until(at: Instant) {
    if now() >= at {
        return;
    }
    let done = Arc::new((Mutex::new(false), Condvar::new()));
    let ring = done.clone();
    arm(at, move || {
        *ring.0.lock().unwrap() = true;
        ring.1.notify_one();
    });
    let mut fired = done.0.lock().unwrap();
    while !*fired {
        fired = done.1.wait(fired).unwrap();
    }
}
