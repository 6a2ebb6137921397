//! loom models of the park/ready protocol of `gpm_g::state`.
//!
//! The scheduler side of `park` and a waker race on one G's state word. Every model checks
//! the protocol's promise: a ready is never lost (the G ends up enqueued, or its park returns
//! without switching) and never doubled (it is enqueued at most once).
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p gpm-g --test loom_state --release`
#![cfg(loom)]

use gpm_g::state::{Commit, GState, RUNNABLE, RUNNING};
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
        assert_eq!(r.st.load(), RUNNABLE);
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
            assert_eq!(s, RUNNABLE);
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
