//! `gpm::sync::Mutex`: mutual exclusion under 1,000 goroutines on one and two Ps, Go's
//! starvation mode (a waiter is served within a bounded number of the holder's re-locks),
//! goroutines and threads contending for one mutex, `try_lock` and `lock_timeout`, no
//! poisoning, and parking (not blocking) the M.

mod sync_common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use gpm_sync::Mutex;
use sync_common::{on_runtime, within};

/// Read, maybe switch away, write: a critical section that loses updates unless the mutex
/// excludes (with `yield_now` inside, other goroutines run while it is held, even on one P).
fn bump(m: &Mutex<u64>, i: usize) {
    let mut g = m.lock();
    let v = *g;
    if i.is_multiple_of(7) {
        gpm::yield_now();
    }
    *g = std::hint::black_box(v) + 1;
}

fn exclusion(procs: usize) {
    const GOROUTINES: usize = 1_000;
    const INCREMENTS: usize = 1_000;
    let total = on_runtime(procs, "1,000 goroutines x 1,000 increments", || {
        let m = Arc::new(Mutex::new(0u64));
        let hs: Vec<_> = (0..GOROUTINES)
            .map(|_| {
                let m = m.clone();
                gpm::go!(move || (0..INCREMENTS).for_each(|i| bump(&m, i)))
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        let n = *m.lock();
        n
    });
    assert_eq!(total, (GOROUTINES * INCREMENTS) as u64);
}

#[test]
fn exclusion_1000_goroutines_one_p() {
    exclusion(1);
}

#[test]
fn exclusion_1000_goroutines_two_ps() {
    exclusion(2);
}

#[test]
fn goroutines_and_threads_contend_for_one_mutex() {
    const THREADS: usize = 4;
    const GOROUTINES: usize = 200;
    const INCREMENTS: usize = 2_000;
    let m = Arc::new(Mutex::new(0u64));
    let m2 = m.clone();
    let total = on_runtime(2, "mixed contention", move || {
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let m = m2.clone();
                std::thread::spawn(move || (0..INCREMENTS).for_each(|i| bump(&m, i)))
            })
            .collect();
        let gs: Vec<_> = (0..GOROUTINES)
            .map(|_| {
                let m = m2.clone();
                gpm::go!(move || (0..INCREMENTS).for_each(|i| bump(&m, i)))
            })
            .collect();
        gs.into_iter().for_each(|h| h.join().unwrap());
        threads.into_iter().for_each(|h| h.join().unwrap());
        let n = *m2.lock();
        n
    });
    assert_eq!(total, ((THREADS + GOROUTINES) * INCREMENTS) as u64);
    assert_eq!(*m.lock(), total);
}

/// The holder's re-locks we allow before calling the waiter starved. Without starvation
/// mode the holder (which re-locks at once after every unlock, and switches away while
/// holding so the waiter gets to run) wins every time and this is reached; with it, the
/// waiter is handed the lock once it has waited 1 ms, a few hundred re-locks at most
/// (each iteration is at least two goroutine switches).
const STARVATION_LIMIT: usize = 1_000_000;

/// A goroutine re-locks in a tight loop while a goroutine (or thread) waits; the waiter
/// must get the lock within [`STARVATION_LIMIT`] of the holder's iterations. Returns how
/// many re-locks it took.
fn starvation(procs: usize, thread_waiter: bool) -> usize {
    let relocks = on_runtime(procs, "starvation", move || {
        let m = Arc::new(Mutex::new(()));
        let got = Arc::new(AtomicBool::new(false));
        let waiting = Arc::new(AtomicBool::new(false));
        let (started_tx, started_rx) = gpm::bounded::<()>(1);
        let holder = {
            let (m, got, waiting) = (m.clone(), got.clone(), waiting.clone());
            gpm::go!(move || {
                let mut contended = 0usize;
                while !got.load(SeqCst) {
                    let g = m.lock();
                    let _ = started_tx.try_send(());
                    gpm::yield_now(); // let the waiter run while we hold the lock
                    drop(g);
                    if waiting.load(SeqCst) {
                        contended += 1;
                        assert!(
                            contended < STARVATION_LIMIT,
                            "the waiter was starved for {contended} re-locks"
                        );
                    }
                }
                contended
            })
        };
        started_rx.recv().unwrap(); // the holder is looping
        let (done_tx, done_rx) = gpm::bounded::<()>(1);
        let wait = {
            let (m, got, waiting) = (m.clone(), got.clone(), waiting.clone());
            move || {
                waiting.store(true, SeqCst);
                let g = m.lock();
                got.store(true, SeqCst);
                drop(g);
                done_tx.send(()).unwrap();
            }
        };
        if thread_waiter {
            std::thread::spawn(wait);
        } else {
            gpm::spawn(wait);
        }
        done_rx.recv().unwrap();
        holder
            .join()
            .unwrap_or_else(|p| panic!("holder: {}", sync_common::message(&*p)))
    });
    eprintln!("starvation (procs {procs}, thread waiter {thread_waiter}): {relocks} re-locks");
    relocks
}

#[test]
fn starving_goroutine_waiter_gets_the_lock_one_p() {
    // On one P the waiter only runs while the holder holds the lock (the holder switches
    // away only there), so it cannot barge in between: it must be handed the lock.
    assert!(starvation(1, false) > 0, "the waiter never had to wait");
}

#[test]
fn starving_goroutine_waiter_gets_the_lock_two_ps() {
    starvation(2, false);
}

#[test]
fn starving_thread_waiter_gets_the_lock() {
    starvation(1, true);
    starvation(2, true);
}

#[test]
fn a_contended_lock_parks_the_goroutine_not_the_m() {
    // One P: if B's lock blocked the M, A could never run again to unlock.
    on_runtime(1, "park not block", || {
        let m = Arc::new(Mutex::new(0));
        let g = m.lock();
        let b = {
            let m = m.clone();
            gpm::go!(move || *m.lock() += 1)
        };
        gpm::yield_now(); // B runs and parks in lock()
        drop(g);
        b.join().unwrap();
        assert_eq!(*m.lock(), 1);
    });
}

fn try_and_timeout(in_goroutine: bool) {
    let m = Arc::new(Mutex::new(5));
    let (locked_tx, locked_rx) = gpm::bounded::<()>(0);
    let (release_tx, release_rx) = gpm::bounded::<()>(0);
    let holder = {
        let m = m.clone();
        std::thread::spawn(move || {
            let g = m.lock();
            locked_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            drop(g);
        })
    };
    let check = move || {
        locked_rx.recv().unwrap();
        assert!(m.is_locked());
        assert!(m.try_lock().is_none(), "try_lock of a held mutex");
        assert!(
            m.lock_timeout(Duration::from_millis(30)).is_none(),
            "lock_timeout of a mutex held throughout"
        );
        release_tx.send(()).unwrap();
        // Released now or soon: a long timeout succeeds.
        let g = m
            .lock_timeout(Duration::from_secs(3600))
            .expect("lock_timeout");
        assert_eq!(*g, 5);
        drop(g);
        assert!(m.try_lock().is_some());
        assert!(m.lock_timeout(Duration::ZERO).is_some());
    };
    if in_goroutine {
        on_runtime(2, "try/timeout in a goroutine", check);
    } else {
        within("try/timeout on a thread", check);
    }
    holder.join().unwrap();
}

#[test]
fn try_lock_and_lock_timeout_in_a_goroutine() {
    try_and_timeout(true);
}

#[test]
fn try_lock_and_lock_timeout_on_a_thread() {
    try_and_timeout(false);
}

#[test]
fn timed_out_waiters_do_not_disturb_the_others() {
    // Waiters that time out leave the queue; the patient ones still all get the lock, and
    // an unlock never hands it to a waiter that has given up.
    let out = on_runtime(2, "timeouts among waiters", || {
        let m = Arc::new(Mutex::new(0usize));
        let timed_out = Arc::new(AtomicUsize::new(0));
        let g = m.lock();
        let (ready_tx, ready_rx) = gpm::unbounded::<()>();
        let hs: Vec<_> = (0..40)
            .map(|i| {
                let (m, timed_out, ready_tx) = (m.clone(), timed_out.clone(), ready_tx.clone());
                gpm::go!(move || {
                    ready_tx.send(()).unwrap();
                    if i % 2 == 0 {
                        match m.lock_timeout(Duration::from_millis(20)) {
                            Some(mut g) => *g += 1,
                            None => {
                                timed_out.fetch_add(1, SeqCst);
                            }
                        }
                    } else {
                        *m.lock() += 1;
                    }
                })
            })
            .collect();
        for _ in 0..40 {
            ready_rx.recv().unwrap();
        }
        // Hold the lock until every timed waiter has given up.
        while timed_out.load(SeqCst) < 20 {
            gpm::yield_now();
        }
        drop(g);
        hs.into_iter().for_each(|h| h.join().unwrap());
        let n = *m.lock();
        (n, timed_out.load(SeqCst))
    });
    assert_eq!(out, (20, 20));
}

#[test]
fn no_poisoning_after_a_panic_in_the_critical_section() {
    on_runtime(2, "no poisoning", || {
        let m = Arc::new(Mutex::new(1));
        let r = {
            let m = m.clone();
            gpm::go!(move || {
                let mut g = m.lock();
                *g = 2;
                panic!("boom while holding the lock");
            })
            .join()
        };
        assert!(r.is_err());
        assert!(!m.is_locked());
        assert_eq!(*m.lock(), 2, "the lock works and keeps the data");
    });
}

#[test]
fn a_guard_can_be_held_across_blocking_calls_and_sent() {
    on_runtime(2, "guard across parks", || {
        static M: Mutex<Vec<u32>> = Mutex::new(Vec::new());
        let mut g = M.lock();
        let (tx, rx) = gpm::bounded::<u32>(0);
        let h = gpm::go!(move || tx.send(7).unwrap());
        g.push(rx.recv().unwrap()); // parks while holding the lock
        gpm::time::sleep(Duration::from_millis(1));
        g.push(8);
        // Unlocked on another goroutine.
        let (gtx, grx) = gpm::bounded(1);
        gtx.send(g).unwrap();
        gpm::go!(move || {
            let mut g = grx.recv().unwrap();
            g.push(9);
            drop(g);
            assert!(!M.is_locked());
        })
        .join()
        .unwrap();
        h.join().unwrap();
        assert_eq!(*M.lock(), [7, 8, 9]);
    });
}

#[test]
fn static_mutex() {
    static M: Mutex<u32> = Mutex::new(0);
    *M.lock() += 1;
    assert_eq!(*M.lock(), 1);
    assert_eq!(format!("{:?}", M), "Mutex { data: 1 }");
}

#[test]
fn a_waiter_unwound_by_shutdown_is_not_handed_the_lock() {
    within("shutdown while waiting", || {
        let m = Arc::new(Mutex::new(0));
        let g = m.lock();
        let rt = sync_common::runtime(1);
        let (tx, rx) = std::sync::mpsc::channel();
        let m2 = m.clone();
        let h = rt.spawn(move || {
            tx.send(()).unwrap();
            *m2.lock() += 1; // parks: we hold the lock
        });
        rx.recv().unwrap();
        // Keep holding past the starvation threshold, so that an unlock that did not know
        // the waiter is gone would hand the lock to it (not a wait for an event: the
        // test passes however the goroutine is scheduled meanwhile).
        let t0 = std::time::Instant::now();
        while t0.elapsed() < Duration::from_millis(5) {
            std::thread::yield_now();
        }
        drop(rt); // unwinds the parked goroutine
        assert!(h.join().is_err());
        drop(g);
        assert!(
            m.try_lock().is_some(),
            "the lock went to an unwound goroutine"
        );
        assert_eq!(*m.lock(), 0);
    });
}
