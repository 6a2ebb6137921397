//! Channels at runtime shutdown: goroutines parked in channel operations are unwound when
//! their runtime is dropped, their destructors run (including destructors that use
//! channels themselves), and nothing they held is leaked.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gpm::chan::{bounded, never, unbounded, Receiver, Sender};

/// Counts its drops; on drop, tries a blocking operation that could never complete.
struct Blocker {
    drops: Arc<AtomicUsize>,
    full: Sender<u32>,
    idle: Receiver<u32>,
}

impl Drop for Blocker {
    fn drop(&mut self) {
        // During the shutdown unwind these must fail instead of parking for ever.
        assert!(
            self.full.send(1).is_err(),
            "send on a full channel during unwind"
        );
        assert!(
            self.idle.recv().is_err(),
            "recv on an idle channel during unwind"
        );
        let n = gpm::select! {
            recv(self.idle) -> m => m.unwrap_or(7),
            recv(never::<u32>()) -> _ => 8,
        };
        assert!(n == 7 || n == 8);
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn parked_channel_ops_unwind_at_shutdown_and_run_destructors() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (full_tx, full_rx) = bounded::<u32>(1);
    full_tx.send(0).unwrap();
    let (idle_tx, idle_rx) = unbounded::<u32>();
    let (zero_tx, zero_rx) = bounded::<Vec<u8>>(0);
    // Nobody sends on this one; the select arms wait on it.
    let (quiet_tx, quiet_rx) = bounded::<Vec<u8>>(0);
    let (started_tx, started_rx) = unbounded::<()>();
    let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    const EACH: usize = 20;
    for i in 0..EACH * 4 {
        let b = Blocker {
            drops: drops.clone(),
            full: full_tx.clone(),
            idle: idle_rx.clone(),
        };
        let (full_tx, idle_rx, zero_tx, quiet_rx) = (
            full_tx.clone(),
            idle_rx.clone(),
            zero_tx.clone(),
            quiet_rx.clone(),
        );
        let started = started_tx.clone();
        rt.spawn(move || {
            let _b = b;
            started.send(()).unwrap();
            match i % 4 {
                0 => drop(full_tx.send(2)),
                1 => drop(idle_rx.recv()),
                2 => drop(zero_tx.send(vec![1, 2, 3])),
                _ => {
                    gpm::select! {
                        recv(idle_rx) -> _ => {},
                        recv(quiet_rx) -> _ => {},
                        send(full_tx, 3) -> _ => {},
                        default(Duration::from_secs(3600)) => {},
                    }
                }
            }
            unreachable!("goroutine {i} was woken although nothing happened");
        });
    }
    for _ in 0..EACH * 4 {
        started_rx.recv().unwrap();
    }
    drop(rt);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        EACH * 4,
        "every destructor ran once"
    );
    // The channels still work, and hold only what was sent before.
    assert_eq!(full_rx.try_recv(), Ok(0));
    assert!(full_rx.try_recv().is_err());
    drop((idle_tx, zero_rx, quiet_tx));
}

#[test]
fn an_unwound_waiter_leaves_no_entry_behind() {
    // A goroutine unwound at shutdown while it waits in `recv` must take its entry out of
    // the channel's wait queue before its context goes: the entry does not count the
    // context. Left behind, it would name freed memory, which the next context this thread
    // allocates (shutdown unwinds the goroutines here) is likely to reuse; a sender would
    // then "hand over" to that unrelated wait.
    let (tx, rx) = bounded::<u32>(0);
    let rx_kept = rx.clone();
    let (go, done) = (
        Arc::new(std::sync::atomic::AtomicBool::new(false)),
        Arc::new(std::sync::atomic::AtomicBool::new(false)),
    );
    // Started first, so that nothing is allocated on this thread between the unwinding and
    // the wait below; it offers only once the waiters are gone.
    let sender = {
        let (go, done) = (go.clone(), done.clone());
        std::thread::spawn(move || {
            while !go.load(Ordering::Acquire) {
                std::thread::yield_now();
            }
            let mut taken = 0;
            while !done.load(Ordering::Acquire) {
                if tx.try_send(7).is_ok() {
                    taken += 1;
                }
                std::thread::yield_now();
            }
            taken
        })
    };
    let (_other_tx, other_rx) = bounded::<u32>(0);
    let rt = gpm::Runtime::builder().procs(1).build().unwrap();
    const WAITERS: usize = 8;
    for _ in 0..WAITERS {
        let rx = rx.clone();
        rt.spawn(move || {
            let _ = rx.recv();
            unreachable!("woken although nothing was sent");
        });
    }
    drop(rx);
    // A goroutine enters the registry at its first park, after it listed its entry.
    while rt.live_goroutines() < WAITERS {
        std::thread::yield_now();
    }
    drop(rt);
    go.store(true, Ordering::Release);
    // Nobody receives on the first channel any more, so every offer there must fail, and
    // nobody sends on this one.
    let got = other_rx.recv_timeout(Duration::from_millis(50));
    done.store(true, Ordering::Release);
    assert_eq!(
        sender.join().unwrap(),
        0,
        "an offer was taken by a stale entry"
    );
    assert!(got.is_err(), "a wait on another channel got {got:?}");
    drop(rx_kept);
}
