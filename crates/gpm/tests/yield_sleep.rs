//! `yield_now` fairness and `sleep` ordering.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[test]
fn a_yielding_spinner_does_not_starve_others() {
    // One P: the flag can only be set if the spinner's yields let the setter run.
    let rt = gpm::Runtime::builder().procs(1).build().unwrap();
    let spins = rt.block_on(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        let spinner = gpm::go!(move || {
            let mut spins = 0u32;
            while !f.load(Ordering::SeqCst) && spins < 1_000_000 {
                gpm::yield_now();
                spins += 1;
            }
            (f.load(Ordering::SeqCst), spins)
        });
        let setter = gpm::go!(move || flag.store(true, Ordering::SeqCst));
        setter.join().unwrap();
        spinner.join().unwrap()
    });
    assert!(spins.0, "setter never ran while the spinner yielded");
    assert!(spins.1 < 10, "setter waited {} yields", spins.1);
}

#[test]
fn yields_round_robin_on_one_p() {
    let rt = gpm::Runtime::builder().procs(1).build().unwrap();
    let log = rt.block_on(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let hs: Vec<_> = (0..3)
            .map(|i| {
                let log = log.clone();
                gpm::go!(move || {
                    for round in 0..3 {
                        log.lock().unwrap().push((round, i));
                        gpm::yield_now();
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        Arc::try_unwrap(log).unwrap().into_inner().unwrap()
    });
    let rounds: Vec<u32> = log.iter().map(|&(r, _)| r).collect();
    assert_eq!(rounds, [0, 0, 0, 1, 1, 1, 2, 2, 2], "{log:?}");
}

#[test]
fn sleepers_wake_in_deadline_order() {
    let rt = gpm::Runtime::builder().procs(1).build().unwrap();
    let order = rt.block_on(|| {
        let order = Arc::new(Mutex::new(Vec::new()));
        let start = Instant::now() + Duration::from_millis(5);
        // Spawned in scrambled order; deadlines 3 ms apart.
        let hs: Vec<_> = [4u64, 1, 3, 0, 2]
            .into_iter()
            .map(|k| {
                let order = order.clone();
                gpm::go!(move || {
                    gpm::time::sleep_until(start + Duration::from_millis(3 * k));
                    order.lock().unwrap().push(k);
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        Arc::try_unwrap(order).unwrap().into_inner().unwrap()
    });
    assert_eq!(order, [0, 1, 2, 3, 4]);
}

#[test]
fn sleep_lasts_at_least_the_duration() {
    let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    let slept = rt.block_on(|| {
        let t = Instant::now();
        gpm::time::sleep(Duration::from_millis(20));
        t.elapsed()
    });
    assert!(slept >= Duration::from_millis(20), "{slept:?}");
    // Zero returns at once; outside a goroutine sleep blocks the thread.
    rt.block_on(|| gpm::time::sleep(Duration::ZERO));
    let t = Instant::now();
    gpm::time::sleep(Duration::from_millis(2));
    assert!(t.elapsed() >= Duration::from_millis(2));
}

#[test]
fn many_sleepers_all_wake() {
    let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    let n = rt.block_on(|| {
        let hs: Vec<_> = (0..10_000u64)
            .map(|i| gpm::go!(move || gpm::time::sleep(Duration::from_micros(i % 1000))))
            .collect();
        hs.into_iter()
            .filter(|_| true)
            .map(|h| h.join().unwrap())
            .count()
    });
    assert_eq!(n, 10_000);
}
