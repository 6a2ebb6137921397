//! loom models of the sync protocols, through the public API on plain (loom) threads.
//!
//! Inside the runtime a waiter parks its goroutine instead of its thread, but it waits on
//! the same node with the same state word, and the goroutine side of a park is the
//! park/ready protocol modelled in `gpm-g/tests/loom_state.rs`. Here loom explores the
//! primitives' side: the mutex's state word against its wait list (barging wakeups and
//! starvation handoffs), counters reaching zero against waiters listing themselves,
//! notifications against waits. Under `cfg(loom)` the wait-list locks, thread parking and
//! the data cells are loom's, a contended lock does not spin, and a mutex either starves
//! at once or never (`Mutex::with_starvation`), since loom has no clock. Data races on the
//! protected data are caught by loom's cells: each model reads or writes data through a
//! guard, or checks that what a waker wrote before waking is visible to the woken.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p gpm-sync --test loom_sync --release`
#![cfg(loom)]

use gpm_sync::{Condvar, Mutex, Once, RwLock, Semaphore, WaitGroup};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

/// Every model explores all interleavings with up to this many preemptions (the whole
/// file takes a few seconds in release).
const PREEMPTIONS: usize = 3;

fn model(f: impl Fn() + Sync + Send + 'static) {
    gpm_g::loom_model::check(PREEMPTIONS, f);
}

/// Two threads increment through the mutex; the counter is a plain value behind the lock,
/// so a second holder at the same time is a data race loom reports.
fn two_incrementers(starve: bool, rounds: usize) {
    let m = Arc::new(Mutex::with_starvation(0usize, starve));
    let m2 = m.clone();
    let t = thread::spawn(move || {
        for _ in 0..rounds {
            *m2.lock() += 1;
        }
    });
    for _ in 0..rounds {
        *m.lock() += 1;
    }
    t.join().unwrap();
    assert_eq!(*m.lock(), 2 * rounds);
    assert!(!m.is_locked());
}

#[test]
fn mutex_barging_handoff() {
    // Unlock wakes the parked waiter to retry (WOKEN), the holder may re-lock first, and
    // the waiter re-queues: nobody is left asleep next to a free lock.
    model(|| two_incrementers(false, 1));
}

#[test]
fn mutex_barging_relock() {
    // Two rounds each: a woken waiter can lose to the re-locking holder and re-queue at
    // the front with the WOKEN duty handed back.
    model(|| two_incrementers(false, 2));
}

#[test]
fn mutex_starvation_handoff() {
    // Every contended unlock hands the lock over (LOCKED stays set, the node is GRANTED).
    model(|| two_incrementers(true, 1));
}

#[test]
fn mutex_starvation_relock() {
    model(|| two_incrementers(true, 2));
}

#[test]
fn mutex_three_threads() {
    // Two waiters queued at once behind one holder, in both modes.
    for starve in [false, true] {
        model(move || {
            let m = Arc::new(Mutex::with_starvation(0usize, starve));
            let ts: Vec<_> = (0..2)
                .map(|_| {
                    let m = m.clone();
                    thread::spawn(move || *m.lock() += 1)
                })
                .collect();
            *m.lock() += 1;
            ts.into_iter().for_each(|t| t.join().unwrap());
            assert_eq!(*m.lock(), 3);
        });
    }
}

/// A value written by one thread before it signals and read by another after it waited:
/// loom reports a race if the signal does not order the two.
struct Slot(UnsafeCell<usize>);

// SAFETY: the models access the cell only in ways the primitive under test orders (and
// loom checks exactly that).
unsafe impl Sync for Slot {}

impl Slot {
    fn new() -> Slot {
        Slot(UnsafeCell::new(0))
    }
    fn write(&self, v: usize) {
        // SAFETY: ordered by the primitive under test; loom checks it.
        self.0.with_mut(|p| unsafe { *p = v });
    }
    fn read(&self) -> usize {
        // SAFETY: as for `write`.
        self.0.with(|p| unsafe { *p })
    }
}

#[test]
fn waitgroup_wait_done_race() {
    // Two workers finish while the waiter may be listing itself: wait returns only after
    // both done() calls, and sees what they wrote before them.
    model(|| {
        let wg = WaitGroup::new();
        wg.add(2);
        let slots = Arc::new([Slot::new(), Slot::new()]);
        let ts: Vec<_> = (0..2)
            .map(|i| {
                let (wg, slots) = (wg.clone(), slots.clone());
                thread::spawn(move || {
                    slots[i].write(i + 1);
                    wg.done();
                })
            })
            .collect();
        wg.wait();
        assert_eq!(slots[0].read() + slots[1].read(), 3);
        ts.into_iter().for_each(|t| t.join().unwrap());
    });
}

#[test]
fn condvar_notify_no_lost_wakeup() {
    // The notifier sets the flag under the mutex and notifies, before, during or after the
    // waiter lists itself and releases the mutex: the waiter always wakes (a lost wakeup
    // is a deadlock loom reports).
    model(|| {
        let state = Arc::new((Mutex::new(false), Condvar::new()));
        let s2 = state.clone();
        let t = thread::spawn(move || {
            let (m, cv) = &*s2;
            *m.lock() = true;
            cv.notify_one();
        });
        let (m, cv) = &*state;
        let g = cv.wait_while(m.lock(), |ready| !*ready);
        assert!(*g);
        drop(g);
        t.join().unwrap();
    });
}

#[test]
fn condvar_notify_all_two_waiters() {
    model(|| {
        let state = Arc::new((Mutex::new(false), Condvar::new()));
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let s = state.clone();
                thread::spawn(move || {
                    let (m, cv) = &*s;
                    drop(cv.wait_while(m.lock(), |ready| !*ready));
                })
            })
            .collect();
        let (m, cv) = &*state;
        *m.lock() = true;
        cv.notify_all();
        ts.into_iter().for_each(|t| t.join().unwrap());
    });
}

#[test]
fn semaphore_permit_handoff() {
    // One permit, two takers: a released permit goes to the parked one; never two
    // holders (the slot is written by each holder alone).
    model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let slot = Arc::new(Slot::new());
        let (s2, slot2) = (sem.clone(), slot.clone());
        let t = thread::spawn(move || {
            let _p = s2.acquire();
            slot2.write(slot2.read() + 1);
        });
        {
            let _p = sem.acquire();
            slot.write(slot.read() + 1);
        }
        t.join().unwrap();
        assert_eq!(slot.read(), 2);
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn rwlock_writer_and_reader() {
    model(|| {
        let lock = Arc::new(RwLock::new(0usize));
        let l2 = lock.clone();
        let t = thread::spawn(move || *l2.write() += 1);
        let seen = *lock.read();
        assert!(seen <= 1);
        t.join().unwrap();
        assert_eq!(*lock.read(), 1);
    });
}

#[test]
fn once_racers() {
    // Two callers race; one closure runs, and both return after it has finished.
    model(|| {
        let once = Arc::new(Once::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(Slot::new());
        let (o2, r2, s2) = (once.clone(), runs.clone(), slot.clone());
        let t = thread::spawn(move || {
            o2.call_once(|| {
                r2.fetch_add(1, Ordering::Relaxed);
                s2.write(7);
            });
            assert_eq!(s2.read(), 7);
        });
        once.call_once(|| {
            runs.fetch_add(1, Ordering::Relaxed);
            slot.write(7);
        });
        assert_eq!(slot.read(), 7);
        t.join().unwrap();
        assert_eq!(runs.load(Ordering::Relaxed), 1);
    });
}
