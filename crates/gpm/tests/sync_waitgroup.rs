//! `gpm::sync::WaitGroup`: waits for goroutines and threads, many waiters, reuse, the
//! negative-counter panic (Go's message) through `catch_unwind` and through `join`.

mod sync_common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use gpm_sync::WaitGroup;
use sync_common::{message, on_runtime};

#[test]
fn waits_for_goroutines_and_threads() {
    for procs in [1, 2] {
        on_runtime(procs, "wait group", || {
            let wg = WaitGroup::new();
            let done = Arc::new(AtomicUsize::new(0));
            let mut threads = Vec::new();
            for i in 0..200 {
                wg.add(1);
                let (wg, done) = (wg.clone(), done.clone());
                let work = move || {
                    gpm::yield_now();
                    done.fetch_add(1, SeqCst);
                    wg.done();
                };
                if i % 20 == 0 {
                    threads.push(std::thread::spawn(work));
                } else {
                    gpm::spawn(work);
                }
            }
            // Several waiters, goroutines and a thread, all released by the last done.
            let ws: Vec<_> = (0..5)
                .map(|_| {
                    let (wg, done) = (wg.clone(), done.clone());
                    gpm::go!(move || {
                        wg.wait();
                        done.load(SeqCst)
                    })
                })
                .collect();
            let tw = {
                let (wg, done) = (wg.clone(), done.clone());
                std::thread::spawn(move || {
                    wg.wait();
                    done.load(SeqCst)
                })
            };
            wg.wait();
            assert_eq!(done.load(SeqCst), 200);
            for w in ws {
                assert_eq!(w.join().unwrap(), 200);
            }
            assert_eq!(tw.join().unwrap(), 200);
            threads.into_iter().for_each(|t| t.join().unwrap());
            assert_eq!(wg.count(), 0);
        });
    }
}

#[test]
fn reuse_and_timeout() {
    on_runtime(2, "reuse", || {
        let wg = WaitGroup::new();
        wg.wait(); // zero: returns at once
        for round in 0..3 {
            wg.add(2);
            assert!(!wg.wait_timeout(Duration::from_millis(10)), "round {round}");
            let a = wg.clone();
            gpm::go!(move || a.done());
            let b = wg.clone();
            std::thread::spawn(move || b.done());
            assert!(wg.wait_timeout(Duration::from_secs(3600)));
        }
    });
}

#[test]
fn negative_counter_panics_with_gos_message() {
    let wg = WaitGroup::new();
    let err = catch_unwind(AssertUnwindSafe(|| wg.done())).unwrap_err();
    let msg = message(&*err);
    assert!(msg.contains("sync: negative WaitGroup counter"), "{msg}");
    assert_eq!(wg.count(), 0, "the bad done left the counter alone");
    // And in a goroutine, through join's Err payload.
    let msg = on_runtime(2, "negative counter in a goroutine", || {
        let wg = WaitGroup::new();
        wg.add(1);
        let w = wg.clone();
        let err = gpm::go!(move || w.add(-2)).join().unwrap_err();
        wg.done(); // the group still works
        wg.wait();
        message(&*err)
    });
    assert!(msg.contains("sync: negative WaitGroup counter"), "{msg}");
}
