//! Timeouts under loom: virtual time, where a timer fires at a point loom chooses. Each
//! model records which outcomes its executions reached, and the test asserts that loom
//! explored *both* — the message winning and the timeout winning — so a program that
//! assumes a timeout never fires (or always does) is caught. Plus the determinism virtual
//! time gives: a timer never fires early, and a sleep advances the clock past it.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p gpm
//! --test loom_user_timeout`.
#![cfg(loom)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use gpm::chan::RecvTimeoutError;
use gpm::select;

/// The outcomes seen across all executions of one model (a plain std mutex: it is the
/// test's bookkeeping, outside what loom explores).
type Seen = Arc<StdMutex<BTreeSet<&'static str>>>;

#[test]
fn recv_timeout_explores_both_the_message_and_the_timeout() {
    let seen: Seen = Default::default();
    let s = seen.clone();
    gpm::loom::check(3, move || {
        let (tx, rx) = gpm::bounded::<u32>(1);
        let h = gpm::go!(move || {
            let _ = tx.send(7); // the receiver may have given up and gone
        });
        let outcome = match rx.recv_timeout(Duration::from_millis(10)) {
            Ok(7) => "message",
            Err(RecvTimeoutError::Timeout) => "timeout",
            other => panic!("unexpected {other:?}"),
        };
        s.lock().unwrap().insert(outcome);
        h.join().unwrap();
    });
    let seen = seen.lock().unwrap();
    assert_eq!(*seen, BTreeSet::from(["message", "timeout"]), "{seen:?}");
}

#[test]
fn select_with_default_timeout_explores_both_arms() {
    let seen: Seen = Default::default();
    let s = seen.clone();
    gpm::loom::check(3, move || {
        let (tx, rx) = gpm::bounded::<u32>(0);
        // The sender gives up too, and hands its sender back so that the channel stays
        // connected (a disconnected `recv` arm would be ready at once: an early version of
        // this model asserted `Ok(1)` there, and loom found the execution where it was not).
        let h = gpm::go!(move || {
            let _ = tx.send_timeout(1, Duration::from_millis(5));
            tx
        });
        let outcome = select! {
            recv(rx) -> v => { assert_eq!(v, Ok(1)); "message" },
            default(Duration::from_millis(5)) => "timeout",
        };
        s.lock().unwrap().insert(outcome);
        drop(h.join().unwrap());
    });
    let seen = seen.lock().unwrap();
    assert_eq!(*seen, BTreeSet::from(["message", "timeout"]), "{seen:?}");
}

/// Deterministic virtual time: `after(1ms)` is not ready before anything waited, and is
/// ready once a 5 ms sleep has advanced the clock past it, in every execution.
#[test]
fn virtual_time_orders_timers_by_deadline() {
    gpm::loom::check(3, || {
        let t0 = gpm::time::now();
        let after = gpm::chan::after(Duration::from_millis(1));
        assert!(after.try_recv().is_err(), "a timer fired early");
        gpm::time::sleep(Duration::from_millis(5));
        assert!(gpm::time::now() >= t0 + Duration::from_millis(5));
        assert!(
            after.try_recv().is_ok(),
            "the clock passed the deadline but after() missed it"
        );
    });
}

/// A program that assumes a 10 ms timeout never beats a goroutine that sends at once: loom
/// finds the execution where the timer fires first.
#[test]
#[should_panic(expected = "timed out")]
fn loom_finds_the_timeout_a_program_assumed_away() {
    gpm::loom::check(3, || {
        let (tx, rx) = gpm::bounded::<u32>(1);
        let h = gpm::go!(move || {
            let _ = tx.send(1);
        });
        let v = rx
            .recv_timeout(Duration::from_millis(10))
            .expect("timed out");
        assert_eq!(v, 1);
        h.join().unwrap();
    });
}
