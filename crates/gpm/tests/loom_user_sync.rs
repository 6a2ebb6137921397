//! User programs on `gpm::sync` under loom: a `WaitGroup` fan-out and a `Mutex`-protected
//! counter, verified for every interleaving within the preemption bound; and a lock-order
//! deadlock between two goroutines, which loom must report.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p gpm
//! --test loom_user_sync`.
#![cfg(loom)]

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use gpm::sync::{Mutex, WaitGroup};

/// Fan-out: three workers each add their part to a shared total and call `done`; after
/// `wait` the main thread must see every part (the WaitGroup orders the workers' writes
/// before the wait's return). The parts go through a `gpm::sync::Mutex` so that a lost
/// update would be loom's to find too.
#[test]
fn waitgroup_fan_out_sees_every_worker() {
    gpm::loom::check(3, || {
        let wg = WaitGroup::new();
        let total = Arc::new(Mutex::new(0u32));
        for part in [1, 10, 100] {
            wg.add(1);
            let (wg, total) = (wg.clone(), total.clone());
            gpm::go!(move || {
                *total.lock() += part;
                wg.done();
            });
        }
        wg.wait();
        assert_eq!(*total.lock(), 111);
    });
}

/// Two goroutines increment a counter behind a `gpm::sync::Mutex`, each twice; no
/// increment is lost.
#[test]
fn mutex_counter_loses_no_increment() {
    gpm::loom::check(3, || {
        let n = Arc::new(Mutex::new(0u32));
        let hs: Vec<_> = (0..2)
            .map(|_| {
                let n = n.clone();
                gpm::go!(move || {
                    for _ in 0..2 {
                        let mut g = n.lock();
                        *g += 1;
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(*n.lock(), 4);
    });
}

fn lock_order_deadlock() {
    let a = Arc::new(Mutex::new(()));
    let b = Arc::new(Mutex::new(()));
    let (a2, b2) = (a.clone(), b.clone());
    let h1 = gpm::go!(move || {
        let _a = a.lock();
        let _b = b.lock();
    });
    let h2 = gpm::go!(move || {
        let _b = b2.lock();
        let _a = a2.lock();
    });
    h1.join().unwrap();
    h2.join().unwrap();
}

/// The bug: one goroutine takes `a` then `b`, the other `b` then `a`. In the interleaving
/// where each holds its first lock, both wait for ever, and loom reports the deadlock.
///
/// Checked in a child process: loom's deadlock panic unwinds the last goroutine to block
/// while loom has no active thread, and the gpm objects it drops on the way (its mutex
/// guard, its wait node) touch loom atomics, which panics again and aborts the process
/// ("panic in a destructor during cleanup"), so `#[should_panic]` cannot catch it. The
/// child prints loom's report first; the parent asserts on it.
#[test]
fn loom_reports_a_lock_order_deadlock() {
    if std::env::var("GPM_LOOM_CHILD").as_deref() == Ok("deadlock") {
        gpm::loom::check(3, lock_order_deadlock);
        unreachable!("loom explored every interleaving without finding the deadlock");
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "loom_reports_a_lock_order_deadlock",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("GPM_LOOM_CHILD", "deadlock")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the model passed: {stderr}");
    assert!(stderr.contains("deadlock; threads = "), "stderr: {stderr}");
    assert!(!stderr.contains("unreachable"), "stderr: {stderr}");
}

/// `gpm::sync` timeouts run on virtual time too: a `lock_timeout` against a goroutine that
/// holds the lock briefly both gets the lock and times out, in different executions.
#[test]
fn mutex_lock_timeout_explores_both_outcomes() {
    let seen: Arc<std::sync::Mutex<BTreeSet<&'static str>>> = Default::default();
    let s = seen.clone();
    // Bound 3: the timeout needs the goroutine preempted inside its critical section and
    // again before its unlock reaches the waiter; with 2 loom only sees "locked".
    gpm::loom::check(3, move || {
        let m = Arc::new(Mutex::new(0u32));
        let m2 = m.clone();
        let h = gpm::go!(move || *m2.lock() += 1);
        let outcome = match m.lock_timeout(Duration::from_millis(1)) {
            Some(mut g) => {
                *g += 1;
                "locked"
            }
            None => "timeout",
        };
        s.lock().unwrap().insert(outcome);
        h.join().unwrap();
    });
    let seen = seen.lock().unwrap();
    assert_eq!(*seen, BTreeSet::from(["locked", "timeout"]), "{seen:?}");
}
