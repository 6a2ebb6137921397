//! `gpm::sync::Once` and `OnceLock`: one initialiser runs however many goroutines and
//! threads race (the losers wait for it, parked or blocked), a panicking initialiser lets
//! the next caller run its own (no poisoning), `set`/`get`.

mod sync_common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use gpm_sync::{Barrier, Once, OnceLock};
use sync_common::on_runtime;

#[test]
fn once_runs_once_under_racing_goroutines_and_threads() {
    for procs in [1, 2] {
        on_runtime(procs, "racing call_once", || {
            const RACERS: usize = 64;
            let once = Arc::new(Once::new());
            let runs = Arc::new(AtomicUsize::new(0));
            let value = Arc::new(AtomicUsize::new(0));
            // All racers start together; the initialiser switches away, so the others
            // arrive while it runs and must wait.
            let start = Arc::new(Barrier::new(RACERS));
            let mut gs = Vec::new();
            let mut ts = Vec::new();
            for i in 0..RACERS {
                let (once, runs, value, start) =
                    (once.clone(), runs.clone(), value.clone(), start.clone());
                let race = move || {
                    start.wait();
                    once.call_once(|| {
                        runs.fetch_add(1, SeqCst);
                        gpm::yield_now();
                        value.store(42, SeqCst);
                    });
                    value.load(SeqCst)
                };
                if i % 8 == 0 {
                    ts.push(std::thread::spawn(race));
                } else {
                    gs.push(gpm::spawn(race));
                }
            }
            for v in gs.into_iter().map(|h| h.join().unwrap()) {
                assert_eq!(v, 42, "call_once returned before the initialiser finished");
            }
            for v in ts.into_iter().map(|h| h.join().unwrap()) {
                assert_eq!(v, 42, "call_once returned before the initialiser finished");
            }
            assert_eq!(runs.load(SeqCst), 1);
            assert!(once.is_completed());
        });
    }
}

#[test]
fn a_panicking_initialiser_does_not_poison() {
    on_runtime(2, "panicking initialiser", || {
        let once = Arc::new(Once::new());
        let o = once.clone();
        let r = gpm::go!(move || o.call_once(|| panic!("init failed"))).join();
        assert!(r.is_err());
        assert!(!once.is_completed());
        let mut ran = false;
        once.call_once(|| ran = true);
        assert!(ran && once.is_completed());
    });
}

#[test]
fn once_lock_get_or_init_races() {
    on_runtime(2, "OnceLock race", || {
        let cell = Arc::new(OnceLock::new());
        let inits = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..50)
            .map(|i| {
                let (cell, inits) = (cell.clone(), inits.clone());
                gpm::go!(move || {
                    *cell.get_or_init(|| {
                        inits.fetch_add(1, SeqCst);
                        gpm::yield_now();
                        format!("winner {i}")
                    }) == *cell.get().unwrap()
                })
            })
            .collect();
        assert!(hs.into_iter().all(|h| h.join().unwrap()));
        assert_eq!(inits.load(SeqCst), 1);
        assert!(cell.get().unwrap().starts_with("winner"));
    });
}

#[test]
fn once_lock_set_get_take() {
    let mut cell = OnceLock::new();
    assert_eq!(cell.get(), None);
    assert_eq!(cell.set(1), Ok(()));
    assert_eq!(cell.set(2), Err(2));
    assert_eq!(cell.get(), Some(&1));
    assert_eq!(cell.take(), Some(1));
    assert_eq!(cell.get(), None);
    let r = catch_unwind(AssertUnwindSafe(|| cell.get_or_init(|| panic!("no"))));
    assert!(r.is_err());
    assert_eq!(
        *cell.get_or_init(|| 3),
        3,
        "a panicked init leaves the cell empty"
    );
    assert_eq!(cell.into_inner(), Some(3));
    // Values are dropped with the cell.
    let counted = Arc::new(());
    drop(OnceLock::from(counted.clone()));
    assert_eq!(Arc::strong_count(&counted), 1);
}
