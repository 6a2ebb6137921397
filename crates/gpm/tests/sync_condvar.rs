//! `gpm::sync::Condvar`: no lost wakeup (goroutine-thread and goroutine-goroutine ping-pong
//! through one condition variable, many rounds, each round a fresh wait), `notify_all`,
//! timeouts that consume no notification, and parking rather than blocking the M.

mod sync_common;

use std::sync::Arc;
use std::time::Duration;

use gpm_sync::{Condvar, Mutex};
use sync_common::on_runtime;

const ROUNDS: usize = 20_000;

/// Two parties take turns through a `Mutex<usize>` (whose turn) and one `Condvar`. Every
/// hand-over is a notify that the other side must not miss; a lost one hangs the test,
/// which the watchdog turns into a failure.
fn ping_pong(procs: usize, other_is_thread: bool) {
    on_runtime(procs, "condvar ping-pong", move || {
        let state = Arc::new((Mutex::new(0usize), Condvar::new()));
        let side = |me: usize, state: Arc<(Mutex<usize>, Condvar)>| {
            move || {
                let (m, cv) = &*state;
                for _ in 0..ROUNDS {
                    let mut turn = cv.wait_while(m.lock(), |t| *t % 2 != me);
                    *turn += 1;
                    drop(turn);
                    cv.notify_one();
                }
            }
        };
        let other: Box<dyn FnOnce() + Send> = if other_is_thread {
            let t = std::thread::spawn(side(1, state.clone()));
            Box::new(move || t.join().unwrap())
        } else {
            let g = gpm::spawn(side(1, state.clone()));
            Box::new(move || g.join().unwrap())
        };
        side(0, state.clone())();
        other();
        assert_eq!(*state.0.lock(), 2 * ROUNDS);
    });
}

#[test]
fn no_lost_wakeup_goroutine_and_goroutine_one_p() {
    ping_pong(1, false);
}

#[test]
fn no_lost_wakeup_goroutine_and_goroutine_two_ps() {
    ping_pong(2, false);
}

#[test]
fn no_lost_wakeup_goroutine_and_thread() {
    ping_pong(2, true);
    ping_pong(1, true);
}

#[test]
fn notify_all_wakes_every_waiter() {
    on_runtime(2, "notify_all", || {
        const WAITERS: usize = 50;
        let state = Arc::new((Mutex::new((false, 0usize)), Condvar::new()));
        let hs: Vec<_> = (0..WAITERS)
            .map(|_| {
                let state = state.clone();
                gpm::go!(move || {
                    let (m, cv) = &*state;
                    let mut g = m.lock();
                    g.1 += 1; // registered
                    let g = cv.wait_while(g, |s| !s.0);
                    assert!(g.0);
                })
            })
            .collect();
        let (m, cv) = &*state;
        // Wait (without sleeping) until all are waiting: each counted itself under the lock
        // and its wait released it.
        loop {
            let g = m.lock();
            if g.1 == WAITERS {
                break;
            }
            drop(g);
            gpm::yield_now();
        }
        m.lock().0 = true;
        assert_eq!(cv.notify_all(), WAITERS);
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert!(!cv.notify_one(), "nobody is left waiting");
    });
}

#[test]
fn wait_timeout_times_out_and_consumes_no_notification() {
    on_runtime(2, "wait_timeout", || {
        let m = Mutex::new(());
        let cv = Condvar::new();
        let (g, r) = cv.wait_timeout(m.lock(), Duration::from_millis(20));
        assert!(r.timed_out());
        drop(g);
        assert!(!cv.notify_one(), "the timed-out waiter left the list");
        let (g, r) = cv.wait_timeout_while(m.lock(), Duration::from_millis(20), |_| true);
        assert!(r.timed_out());
        drop(g);
    });
}

#[test]
fn a_notification_reaches_a_timed_waiter() {
    on_runtime(2, "notify a timed waiter", || {
        let state = Arc::new((Mutex::new(false), Condvar::new()));
        let h = {
            let state = state.clone();
            gpm::go!(move || {
                let (m, cv) = &*state;
                let (g, r) = cv.wait_timeout_while(m.lock(), Duration::from_secs(3600), |f| !*f);
                assert!(*g && !r.timed_out());
            })
        };
        let (m, cv) = &*state;
        *m.lock() = true;
        cv.notify_one();
        h.join().unwrap();
    });
}
