//! `gpm::sync::Semaphore`: bounds concurrency (never more holders than permits, and all
//! permits can be held at once), FIFO hand-over, try/timeout, `add_permits`, `forget`.

mod sync_common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use gpm_sync::{Barrier, Semaphore};
use sync_common::on_runtime;

#[test]
fn bounds_concurrency() {
    const PERMITS: usize = 3;
    for procs in [1, 2] {
        let max = on_runtime(procs, "semaphore bound", || {
            let sem = Arc::new(Semaphore::new(PERMITS));
            let inside = Arc::new(AtomicUsize::new(0));
            let max = Arc::new(AtomicUsize::new(0));
            let mut gs = Vec::new();
            let mut ts = Vec::new();
            for i in 0..60 {
                let (sem, inside, max) = (sem.clone(), inside.clone(), max.clone());
                let work = move || {
                    for _ in 0..50 {
                        let p = sem.acquire();
                        let now = inside.fetch_add(1, SeqCst) + 1;
                        max.fetch_max(now, SeqCst);
                        gpm::yield_now();
                        inside.fetch_sub(1, SeqCst);
                        drop(p);
                    }
                };
                if i % 10 == 0 {
                    ts.push(std::thread::spawn(work));
                } else {
                    gs.push(gpm::spawn(work));
                }
            }
            gs.into_iter().for_each(|h| h.join().unwrap());
            ts.into_iter().for_each(|h| h.join().unwrap());
            assert_eq!(sem.available_permits(), PERMITS);
            max.load(SeqCst)
        });
        assert!(max <= PERMITS, "{max} holders of {PERMITS} permits");
    }
}

#[test]
fn all_permits_can_be_held_at_once() {
    // Each holder waits at a barrier of PERMITS while holding its permit.
    const PERMITS: usize = 4;
    on_runtime(2, "all permits held", || {
        let sem = Arc::new(Semaphore::new(PERMITS));
        let barrier = Arc::new(Barrier::new(PERMITS));
        let hs: Vec<_> = (0..PERMITS * 3)
            .map(|_| {
                let (sem, barrier) = (sem.clone(), barrier.clone());
                gpm::go!(move || {
                    let _p = sem.acquire();
                    barrier.wait();
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
}

#[test]
fn fifo_try_timeout_add_and_forget() {
    on_runtime(1, "semaphore paths", || {
        let sem = Arc::new(Semaphore::new(1));
        let p = sem.try_acquire().expect("one permit");
        assert!(sem.try_acquire().is_none());
        assert!(sem.acquire_timeout(Duration::from_millis(20)).is_none());
        // Waiters queue in order; a released permit goes to the first.
        let order = Arc::new(gpm_sync::Mutex::new(Vec::new()));
        let hs: Vec<_> = (0..5)
            .map(|i| {
                let (sem, order) = (sem.clone(), order.clone());
                let h = gpm::go!(move || {
                    let _p = sem.acquire();
                    order.lock().push(i);
                });
                gpm::yield_now(); // one P: waiter i runs and queues before i + 1 exists
                h
            })
            .collect();
        drop(p);
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(*order.lock(), [0, 1, 2, 3, 4]);
        assert_eq!(sem.available_permits(), 1);
        sem.acquire().forget();
        assert_eq!(sem.available_permits(), 0);
        sem.add_permits(2);
        assert_eq!(sem.available_permits(), 2);
        assert!(sem.acquire_timeout(Duration::from_secs(3600)).is_some());
    });
}
