//! loom model of the spin lock that guards a channel's state outside loom (`sync.rs`).
//!
//! The channels themselves run on loom's mutex under `cfg(loom)`, so `loom_chan.rs` checks
//! their protocols and not this lock; here the lock is checked on its own. Its flag is a
//! loom atomic and the value it guards a loom cell, so a lock that let two holders in, or
//! an unlock that did not publish the holder's writes to the next one, is a reported race
//! (a Relaxed compare-exchange in `lock` and a Relaxed store in the unlock, both tried as
//! mutations, are caught).
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p gpm-chan --test loom_spin --release`
#![cfg(loom)]

use gpm_chan::loom_spin::Mutex;
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

const PREEMPTIONS: usize = 3;

/// A counter whose every access loom checks against the lock's happens-before edges.
struct Counter(UnsafeCell<u32>);

impl Counter {
    fn bump(&self) {
        // SAFETY: only called with the spin lock held (the test's whole point is that
        // loom proves that exclusion).
        self.0.with_mut(|p| unsafe { *p += 1 });
    }
    fn get(&self) -> u32 {
        // SAFETY: as in `bump`.
        self.0.with(|p| unsafe { *p })
    }
}

#[test]
fn two_holders_never_overlap() {
    gpm_g::loom_model::check(PREEMPTIONS, || {
        let lock = Arc::new(Mutex::new(Counter(UnsafeCell::new(0))));
        let other = {
            let lock = lock.clone();
            thread::spawn(move || lock.lock().bump())
        };
        lock.lock().bump();
        other.join().unwrap();
        assert_eq!(lock.lock().get(), 2);
    });
}

#[test]
fn three_holders_see_each_others_writes() {
    // Each holder reads what the previous one wrote and adds one: a lost update would
    // leave the total short, a missing acquire/release edge is a reported race.
    gpm_g::loom_model::check(1, || {
        let lock = Arc::new(Mutex::new(Counter(UnsafeCell::new(0))));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let lock = lock.clone();
                thread::spawn(move || {
                    let guard = lock.lock();
                    let seen = guard.get();
                    guard.bump();
                    assert_eq!(guard.get(), seen + 1);
                })
            })
            .collect();
        lock.lock().bump();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(lock.lock().get(), 3);
    });
}
