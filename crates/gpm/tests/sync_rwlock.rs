//! `gpm::sync::RwLock`: readers hold it together, a writer alone, a waiting writer holds up
//! later readers (no writer starvation), the try and timeout paths, goroutines and threads
//! on one lock.

mod sync_common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use gpm_sync::{Barrier, RwLock};
use sync_common::{on_runtime, within};

#[test]
fn readers_hold_the_lock_together() {
    // Every reader waits at a barrier while holding its read lock: that completes only if
    // all of them hold it at once. Half goroutines, half threads.
    const READERS: usize = 8;
    on_runtime(2, "concurrent readers", || {
        let lock = Arc::new(RwLock::new(7));
        let barrier = Arc::new(Barrier::new(READERS));
        let mut gs = Vec::new();
        let mut ts = Vec::new();
        for i in 0..READERS {
            let (lock, barrier) = (lock.clone(), barrier.clone());
            let read = move || {
                let g = lock.read();
                barrier.wait();
                *g
            };
            if i % 2 == 0 {
                gs.push(gpm::spawn(read));
            } else {
                ts.push(std::thread::spawn(read));
            }
        }
        let sum: i32 = gs.into_iter().map(|h| h.join().unwrap()).sum::<i32>()
            + ts.into_iter().map(|h| h.join().unwrap()).sum::<i32>();
        assert_eq!(sum, 7 * READERS as i32);
    });
}

#[test]
fn writers_exclude_everybody() {
    // Writers do a non-atomic read-switch-write and keep an "inside" count; readers check
    // that no writer is inside while they read.
    let (value, writes) = on_runtime(2, "writer exclusion", || {
        let lock = Arc::new(RwLock::new(0u64));
        let inside = Arc::new(AtomicUsize::new(0));
        let mut hs = Vec::new();
        for w in 0..100 {
            let (lock, inside) = (lock.clone(), inside.clone());
            hs.push(gpm::go!(move || {
                for i in 0..100 {
                    if (w + i) % 3 == 0 {
                        let g = lock.read();
                        assert_eq!(inside.load(SeqCst), 0, "a reader saw a writer inside");
                        gpm::yield_now();
                        assert_eq!(inside.load(SeqCst), 0, "a reader saw a writer inside");
                        drop(g);
                    } else {
                        let mut g = lock.write();
                        assert_eq!(inside.fetch_add(1, SeqCst), 0, "two writers inside");
                        let v = *g;
                        if i % 5 == 0 {
                            gpm::yield_now();
                        }
                        *g = v + 1;
                        inside.fetch_sub(1, SeqCst);
                    }
                }
            }));
        }
        hs.into_iter().for_each(|h| h.join().unwrap());
        let writes = (0..100)
            .flat_map(|w| (0..100).map(move |i| (w + i) % 3 != 0))
            .filter(|&x| x)
            .count() as u64;
        let v = *lock.read();
        (v, writes)
    });
    assert_eq!(value, writes);
}

#[test]
fn a_waiting_writer_holds_up_later_readers() {
    on_runtime(1, "writer preference", || {
        let lock = Arc::new(RwLock::new(0));
        let r1 = lock.read();
        let w = {
            let lock = lock.clone();
            gpm::go!(move || *lock.write() = 1)
        };
        gpm::yield_now(); // the writer queues behind r1
        assert!(
            lock.try_read().is_none(),
            "a reader overtook a waiting writer"
        );
        let late = {
            let lock = lock.clone();
            gpm::go!(move || *lock.read())
        };
        gpm::yield_now(); // the late reader queues behind the writer
        drop(r1);
        w.join().unwrap();
        assert_eq!(
            late.join().unwrap(),
            1,
            "the late reader read before the writer wrote"
        );
    });
}

fn try_and_timeout() {
    let lock = RwLock::new(1);
    let r = lock.read();
    assert!(lock.try_read().is_some());
    assert!(lock.try_write().is_none());
    assert!(lock.write_timeout(Duration::from_millis(20)).is_none());
    drop(r);
    let w = lock.try_write().expect("free");
    assert!(lock.try_read().is_none());
    assert!(lock.read_timeout(Duration::from_millis(20)).is_none());
    assert!(lock.write_timeout(Duration::from_millis(20)).is_none());
    drop(w);
    assert!(lock.read_timeout(Duration::from_secs(3600)).is_some());
    assert!(lock.write_timeout(Duration::from_secs(3600)).is_some());
}

#[test]
fn try_and_timeout_paths() {
    within("try/timeout on a thread", try_and_timeout);
    on_runtime(2, "try/timeout in a goroutine", try_and_timeout);
}

#[test]
fn a_timed_out_writer_lets_the_readers_behind_it_in() {
    on_runtime(1, "timed-out writer", || {
        let lock = Arc::new(RwLock::new(0));
        let r = lock.read();
        let (queued_tx, queued_rx) = gpm::bounded::<()>(1);
        let w = {
            let lock = lock.clone();
            gpm::go!(move || {
                queued_tx.send(()).unwrap();
                lock.write_timeout(Duration::from_millis(30)).is_some()
            })
        };
        // One P: the writer runs until it parks in write_timeout, then we resume.
        queued_rx.recv().unwrap();
        // A reader queued behind the writer gets in once the writer gives up.
        let late = {
            let lock = lock.clone();
            gpm::go!(move || *lock.read())
        };
        assert!(
            !w.join().unwrap(),
            "the writer got the lock while a reader held it"
        );
        assert_eq!(late.join().unwrap(), 0);
        drop(r);
        assert!(lock.try_write().is_some());
    });
}
