//! loom model of the idle-M wakeup protocol (`gpm_m::idle`, `gpm_m::mpark`), with two Ps.
//!
//! A submitter publishes one G on the global queue and runs the `wakep` rule while an M
//! with an empty P gives up: it releases its P, leaves the spinning count, fences,
//! re-checks and parks, in the same order as `worker.rs`. A lost wakeup would leave the G
//! unrun with every M parked, which loom reports as a deadlock; the models also assert the
//! G was run exactly once.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p gpm-m --test loom_idle --release`
#![cfg(loom)]

use gpm_m::idle::Idle;
use gpm_m::mpark::MPark;
use gpm_p::queue::GlobalQueue;
use gpm_p::Global;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;

type Park = Arc<MPark<usize>>;

struct World {
    idle: Idle<usize, Park>,
    global: Global<u32>,
    ran: AtomicUsize,
    done: AtomicBool,
    threads: Mutex<Vec<thread::JoinHandle<()>>>,
}

impl World {
    /// The G ran: end the model by waking every idle M.
    fn finish(&self) {
        self.done.store(true, Ordering::SeqCst);
        for m in self.idle.take_all_m() {
            m.wake(None);
        }
    }

    /// Go's `wakep` followed by `startm`, as in `Scheduler::wakep`.
    fn wakep(w: &Arc<World>) {
        if !w.idle.should_wake() || !w.idle.claim_waker() {
            return;
        }
        let Some(p) = w.idle.take_p() else {
            w.idle.unclaim_waker();
            return;
        };
        match w.idle.take_m() {
            Some(m) => m.wake(Some((p, true))),
            None => {
                let w2 = w.clone();
                let h = thread::spawn(move || run_m(w2, Arc::new(MPark::new()), Some((p, true))));
                w.threads.lock().unwrap().push(h);
            }
        }
    }
}

/// An M: look for work on its P, give the P up, re-check, park; until the G has run.
fn run_m(w: Arc<World>, me: Park, mut held: Option<(usize, bool)>) {
    loop {
        if let Some((p, spinning)) = held.take() {
            if w.global.pop().is_some() {
                w.ran.fetch_add(1, Ordering::SeqCst);
                if spinning && w.idle.stop_spinning() {
                    World::wakep(&w);
                }
                w.finish();
                return;
            }
            w.idle.put_p(p);
            if spinning {
                w.idle.stop_spinning();
            }
            w.idle.fence_before_recheck();
            if !w.global.is_empty() {
                if let Some(p) = w.idle.take_p() {
                    held = Some((p, false));
                    continue;
                }
            }
        }
        if w.done.load(Ordering::SeqCst) {
            return;
        }
        w.idle.put_m(me.clone());
        if w.done.load(Ordering::SeqCst) {
            return;
        }
        match me.park(None) {
            Some(h) => held = Some(h),
            None => return,
        }
    }
}

fn world() -> Arc<World> {
    // Two Ps: P0 is held by the M under test, P1 is idle.
    Arc::new(World {
        idle: Idle::new(2, vec![1]),
        global: Global::new(),
        ran: AtomicUsize::new(0),
        done: AtomicBool::new(false),
        threads: Mutex::new(Vec::new()),
    })
}

fn check(f: impl Fn() + Sync + Send + 'static) {
    gpm_g::loom_model::check(3, f);
}

fn join_all(w: &Arc<World>) {
    loop {
        let Some(h) = w.threads.lock().unwrap().pop() else {
            break;
        };
        h.join().unwrap();
    }
}

#[test]
fn submit_racing_a_giving_up_m_is_not_lost() {
    check(|| {
        let w = world();
        let m1 = {
            let w = w.clone();
            thread::spawn(move || run_m(w, Arc::new(MPark::new()), Some((0, false))))
        };
        w.global.push(7);
        World::wakep(&w);
        m1.join().unwrap();
        join_all(&w);
        assert_eq!(w.ran.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn submit_racing_a_spinning_m_is_not_lost() {
    check(|| {
        let w = world();
        let m1 = {
            let w = w.clone();
            thread::spawn(move || {
                let spinning = w.idle.try_spin();
                run_m(w, Arc::new(MPark::new()), Some((0, spinning)))
            })
        };
        w.global.push(7);
        World::wakep(&w);
        m1.join().unwrap();
        join_all(&w);
        assert_eq!(w.ran.load(Ordering::SeqCst), 1);
    });
}
