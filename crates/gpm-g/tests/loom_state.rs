//! loom models of the park/ready protocol of `gpm_g::state`.
//!
//! The scheduler side of `park` and a waker race on one G's state word. Every model checks
//! the protocol's promise: a ready is never lost (the G ends up enqueued, or its park returns
//! without switching) and never doubled (it is enqueued at most once).
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p gpm-g --test loom_state --release`
#![cfg(loom)]

use gpm_g::state::{Commit, GState, NOTIFIED, RUNNABLE, RUNNING};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

fn model(f: impl Fn() + Sync + Send + 'static) {
    gpm_g::loom_model::check(3, f);
}

/// What the G + its M do: look for a token on the G's stack, switch out (nothing to model),
/// run the hook (which publishes the G) on the scheduler side, commit. Returns how many
/// times the scheduler enqueued it, and whether park returned without switching.
fn park_side(st: &GState, publish: &AtomicBool) -> (usize, bool) {
    if st.take_token() {
        // A ready got here first: park returns at once (the hook still runs).
        publish.store(true, Ordering::Release);
        return (0, true);
    }
    publish.store(true, Ordering::Release);
    match st.commit_park() {
        Commit::Parked => (0, false),
        Commit::Requeue => (1, false),
    }
}

/// The state of a G that a waker enqueued (`by_sched == 0`) or its M requeued: a requeue
/// keeps the bit for `start`, which fences on it (rule 4 of `gpm_g::state`).
fn runnable_after(by_sched: usize) -> u8 {
    if by_sched == 1 {
        RUNNABLE | NOTIFIED
    } else {
        RUNNABLE
    }
}

/// A running G's state, its "published" flag and an enqueue counter, shared with wakers.
struct Race {
    st: Arc<GState>,
    published: Arc<AtomicBool>,
    enq: Arc<AtomicUsize>,
}

impl Race {
    fn new() -> Race {
        let st = Arc::new(GState::new());
        st.start();
        Race {
            st,
            published: Arc::new(AtomicBool::new(false)),
            enq: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A waker thread. With `after_publish` it finds the G only through what the park hook
    /// published; without, its ready may land at any point of the park.
    fn waker(&self, after_publish: bool) -> thread::JoinHandle<()> {
        let (st, published, enq) = (self.st.clone(), self.published.clone(), self.enq.clone());
        thread::spawn(move || {
            while after_publish && !published.load(Ordering::Acquire) {
                thread::yield_now();
            }
            if st.ready() {
                enq.fetch_add(1, Ordering::Relaxed);
            }
        })
    }

    fn enqueued(&self) -> usize {
        self.enq.load(Ordering::Relaxed)
    }
}

#[test]
fn ready_after_publish_is_never_lost_or_doubled() {
    model(|| {
        let r = Race::new();
        let waker = r.waker(true);
        let (by_sched, returned_early) = park_side(&r.st, &r.published);
        waker.join().unwrap();
        assert!(!returned_early, "no ready can precede the publish");
        assert_eq!(r.enqueued() + by_sched, 1, "enqueued exactly once");
        assert_eq!(r.st.load(), runnable_after(by_sched));
    });
}

#[test]
fn ready_racing_the_whole_park_is_never_lost_or_doubled() {
    // A waker that does not wait for the publish: its ready may land while the G is still
    // RUNNING before the token check (consumed there), between the check and the commit
    // (the M requeues the G), or after the park (PARKED).
    model(|| {
        let r = Race::new();
        let waker = r.waker(false);
        let (by_sched, returned_early) = park_side(&r.st, &r.published);
        waker.join().unwrap();
        let total = r.enqueued() + by_sched + usize::from(returned_early);
        assert_eq!(total, 1, "the one ready took effect exactly once");
        let s = r.st.load();
        if returned_early {
            assert_eq!(s, RUNNING, "token consumed, G still running");
        } else {
            assert_eq!(s, runnable_after(by_sched));
        }
    });
}

#[test]
fn two_racing_wakers_take_effect_once() {
    model(|| {
        let r = Race::new();
        let wakers = [r.waker(false), r.waker(false)];
        let (by_sched, returned_early) = park_side(&r.st, &r.published);
        for w in wakers {
            w.join().unwrap();
        }
        let total = r.enqueued() + by_sched + usize::from(returned_early);
        assert_eq!(
            total, 1,
            "two readies for one park take effect exactly once"
        );
    });
}

#[test]
fn a_parked_gs_reference_is_taken_once_by_a_ready_or_by_shutdown() {
    // Rule 5: a parked G's state holds the reference its M ran it by. A ready from a thread
    // outside the runtime races shutdown's `kill`; exactly one of them leaves `PARKED` and
    // takes that reference (to a run queue, or to drop it), and the G ends dead.
    use gpm_g::state::DEAD;
    model(|| {
        let r = Race::new();
        assert_eq!(park_side(&r.st, &r.published), (0, false), "parked");
        let waker = r.waker(false);
        let killed = r.st.kill();
        waker.join().unwrap();
        assert_eq!(
            r.enqueued() + usize::from(killed),
            1,
            "the parked reference is taken exactly once"
        );
        assert_eq!(r.st.load(), DEAD);
        assert!(!r.st.kill(), "a second kill takes nothing");
    });
}

#[test]
fn cancelled_park_satisfies_a_concurrent_ready() {
    // The hook refuses the park (`after` returned false) while a ready races it.
    model(|| {
        let r = Race::new();
        let waker = r.waker(false);
        if !r.st.take_token() {
            r.st.cancel_park();
        }
        waker.join().unwrap();
        // The G runs again either way; the ready never enqueues a second copy.
        assert_eq!(r.enqueued(), 0);
    });
}

/// One G's wait as every park user writes it: check the condition, park (the token check,
/// then the hook's re-check on the scheduler side, then the commit), and around again
/// after an early return or a requeue. Returns true if it ended parked.
fn wait_for(st: &GState, done: &AtomicBool) -> bool {
    loop {
        if done.load(Ordering::Acquire) {
            return false;
        }
        if st.take_token() {
            continue;
        }
        if done.load(Ordering::Acquire) {
            st.cancel_park();
            st.start();
            continue;
        }
        match st.commit_park() {
            Commit::Parked => return true,
            Commit::Requeue => st.start(),
        }
    }
}

/// A G waiting for a condition, with the wakers of that wait: each publishes the condition
/// (unless it is a late ready of an earlier wait) and readies the G.
struct Wait {
    st: Arc<GState>,
    done: Arc<AtomicBool>,
    enq: Arc<AtomicUsize>,
}

impl Wait {
    /// The G as its M leaves it: running, or back in a run queue after a yield.
    fn new(yielded: bool) -> Wait {
        let st = Arc::new(GState::new());
        st.start();
        if yielded {
            st.yielded();
        }
        Wait {
            st,
            done: Arc::new(AtomicBool::new(false)),
            enq: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn waker(&self, publish: bool) -> thread::JoinHandle<()> {
        let (st, done, enq) = (self.st.clone(), self.done.clone(), self.enq.clone());
        thread::spawn(move || {
            if publish {
                done.store(true, Ordering::Release);
            }
            if st.ready() {
                enq.fetch_add(1, Ordering::Relaxed);
            }
        })
    }

    /// Runs the G's wait while `wakers` run, then checks that a G that ended up parked was
    /// enqueued by one of them.
    fn check(&self, wakers: Vec<thread::JoinHandle<()>>) {
        let parked = wait_for(&self.st, &self.done);
        for w in wakers {
            w.join().unwrap();
        }
        if parked {
            assert_eq!(
                self.enq.load(Ordering::Relaxed),
                1,
                "parked with its condition met and nobody to enqueue it"
            );
        }
    }
}

#[test]
fn a_stale_token_never_hides_the_ready_it_stands_for() {
    // A ready left over from an earlier wait (it landed after that wait had seen its
    // condition, so it only set the token) is pending when the G begins its next wait. The
    // waker of that wait publishes its condition, then finds the token already set and does
    // nothing: the G, which consumes the token and re-checks, must see the condition (found
    // by the MPMC benchmark: a producer parked for good with its wake-up spent on the token).
    model(|| {
        let w = Wait::new(false);
        assert!(!w.st.ready(), "a running G is only notified");
        w.check(vec![w.waker(true)]);
    });
}

#[test]
fn a_ready_while_runnable_is_seen_by_the_next_run() {
    // The G is back in a run queue (it yielded with its wait still open, as a `select!` can
    // while it registers) when its waker publishes the condition and finds it RUNNABLE: the
    // run that follows must see the condition.
    model(|| {
        let w = Wait::new(true);
        let waker = w.waker(true);
        w.st.start();
        w.check(vec![waker]);
    });
}

#[test]
fn a_late_ready_racing_the_real_one_never_hides_it() {
    // The late ready of an earlier wait lands anywhere in this wait (before the token check,
    // during the hook, so that the commit fails and the M requeues the G) while this wait's
    // own waker publishes the condition and readies the G.
    model(|| {
        let w = Wait::new(false);
        w.check(vec![w.waker(false), w.waker(true)]);
    });
}
