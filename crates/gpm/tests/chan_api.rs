//! The `gpm::chan` API, method by method, on every flavor: `bounded(0)` (rendezvous),
//! `bounded(1)`, `bounded(n)`, `unbounded()` and the time channels `after`/`at`/`tick`/
//! `never`, held to crossbeam-channel 0.5's contract with Go's semantics.
//!
//! Covered here: every `Sender`/`Receiver` method (`try_send`, `send`, `send_timeout`,
//! `send_deadline`, `try_recv`, `recv`, `recv_timeout`, `recv_deadline`, `len`, `capacity`,
//! `is_empty`, `is_full`, `same_channel`, `iter`, `try_iter`, `IntoIterator` for `Receiver`
//! and `&Receiver`, `Clone`, `Debug`); every error type with its `Display`, `Debug`,
//! `std::error::Error`, `into_inner` and `is_*` helpers; disconnection in each order, also
//! while the other side is parked in a goroutine or on a thread, with exact message totals;
//! zero-sized, large, over-aligned and `Drop`-counting messages (none leaked, none dropped
//! twice, also when a runtime is dropped under goroutines parked in `send`/`recv`);
//! goroutines and OS threads mixed on one channel with one and two Ps; and the capacity
//! overflow panic. `select!` and `Select` are tested in `chan_select.rs`.
//!
//! Nothing here sleeps to wait for another party: a test that needs a peer to be parked
//! polls its state (a goroutine's G state, a thread's `/proc` state) until it is. Timeouts
//! appear only where the timeout itself is tested, and only lower bounds are asserted.
//!
//! The helpers this file shares with `chan_select.rs` (runtimes, polling, waiters,
//! `Drop`-counted messages, the channel flavors) are in `common/mod.rs`.

use std::collections::HashSet;
use std::panic;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gpm::chan::{
    after, at, bounded, never, tick, unbounded, Receiver, RecvError, RecvTimeoutError,
    SelectTimeoutError, SendError, SendTimeoutError, Sender, TryRecvError, TrySelectError,
    TrySendError,
};

mod common;

use common::*;

// ---------------------------------------------------------------------------------------
// Helpers (the shared ones are in common/mod.rs)
// ---------------------------------------------------------------------------------------

/// Generates one test per flavor: `name::zero`, `name::one`, `name::many`, `name::unbounded`.
macro_rules! per_flavor {
    ($($name:ident),* $(,)?) => {
        per_flavors!([zero Zero, one One, many Many, unbounded Unbounded] $($name),*);
    };
}

/// Like `per_flavor!`, for the flavors whose sends can wait (not `unbounded`).
macro_rules! per_bounded_flavor {
    ($($name:ident),* $(,)?) => {
        per_flavors!([zero Zero, one One, many Many] $($name),*);
    };
}

/// `mod name { #[test] fn flavor() { super::name(Flavor::Flavor) } ... }` for each name.
macro_rules! per_flavors {
    ([$($flavors:tt)*] $name:ident $(, $rest:ident)*) => {
        mod $name {
            use super::Flavor;
            per_flavors!(@tests $name [$($flavors)*]);
        }
        per_flavors!([$($flavors)*] $($rest),*);
    };
    ([$($flavors:tt)*]) => {};
    (@tests $name:ident [$($test:ident $flavor:ident),*]) => {$(
        #[test]
        fn $test() {
            super::$name(Flavor::$flavor)
        }
    )*};
}

// ---------------------------------------------------------------------------------------
// State queries: len, capacity, is_empty, is_full, try_send, try_recv
// ---------------------------------------------------------------------------------------

per_flavor!(state_queries, ring_wraps_around);

fn state_queries(f: Flavor) {
    let (tx, rx) = f.make::<usize>();
    assert_eq!(tx.capacity(), f.capacity(), "{f:?}: Sender::capacity");
    assert_eq!(rx.capacity(), f.capacity(), "{f:?}: Receiver::capacity");
    let check = |n: usize| {
        assert_eq!(tx.len(), n, "{f:?}: Sender::len");
        assert_eq!(rx.len(), n, "{f:?}: Receiver::len");
        assert_eq!(tx.is_empty(), n == 0, "{f:?}: Sender::is_empty at {n}");
        assert_eq!(rx.is_empty(), n == 0, "{f:?}: Receiver::is_empty at {n}");
        let full = match f {
            Flavor::Zero => true,
            Flavor::Unbounded => false,
            _ => n == f.room(),
        };
        assert_eq!(tx.is_full(), full, "{f:?}: Sender::is_full at {n}");
        assert_eq!(rx.is_full(), full, "{f:?}: Receiver::is_full at {n}");
    };
    check(0);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    for i in 0..f.room() {
        assert_eq!(tx.try_send(i), Ok(()));
        check(i + 1);
    }
    if f.is_bounded() {
        assert_eq!(tx.try_send(999), Err(TrySendError::Full(999)));
        check(f.room());
    }
    for i in 0..f.room() {
        assert_eq!(rx.try_recv(), Ok(i), "{f:?}: FIFO order");
        check(f.room() - i - 1);
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    check(0);
    // The capacity stays what it was.
    assert_eq!(tx.capacity(), f.capacity());
}

fn ring_wraps_around(f: Flavor) {
    let (tx, rx) = f.make::<usize>();
    if f == Flavor::Zero {
        // Nothing is buffered, ever: every message needs a receiver.
        for i in 0..50 {
            assert_eq!(roundtrip(&tx, &rx, i), i);
            assert_eq!((tx.len(), rx.len()), (0, 0));
        }
        return;
    }
    let mut next_in = 0;
    let mut next_out = 0;
    // Keep between 1 and room messages in flight for several laps of the ring.
    for round in 0..(7 * f.room() + 3) {
        let fill = 1 + round % f.room();
        while next_in - next_out < fill {
            assert_eq!(tx.try_send(next_in), Ok(()));
            next_in += 1;
        }
        assert_eq!(rx.len(), next_in - next_out);
        assert_eq!(rx.try_recv(), Ok(next_out));
        next_out += 1;
    }
    while next_out < next_in {
        assert_eq!(rx.try_recv(), Ok(next_out));
        next_out += 1;
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert!(rx.is_empty());
}

// ---------------------------------------------------------------------------------------
// Disconnection, no one parked
// ---------------------------------------------------------------------------------------

per_flavor!(
    disconnected_errors,
    senders_dropped_receivers_drain,
    receivers_dropped_drops_buffered,
    clones_and_same_channel,
);

fn disconnected_errors(f: Flavor) {
    // Every receiver gone: each kind of send fails at once and gives the message back.
    let (tx, rx) = f.make::<i32>();
    drop(rx);
    assert_eq!(tx.try_send(1), Err(TrySendError::Disconnected(1)));
    assert_eq!(tx.send(2), Err(SendError(2)));
    assert_eq!(
        tx.send_timeout(3, LONG),
        Err(SendTimeoutError::Disconnected(3))
    );
    assert_eq!(
        tx.send_deadline(4, Instant::now() + LONG),
        Err(SendTimeoutError::Disconnected(4))
    );
    // A passed deadline does not hide the disconnection.
    assert_eq!(
        tx.send_deadline(5, Instant::now()),
        Err(SendTimeoutError::Disconnected(5))
    );
    assert_eq!(
        tx.send_timeout(6, Duration::ZERO),
        Err(SendTimeoutError::Disconnected(6))
    );
    assert!(tx.is_empty());
    assert_eq!(tx.len(), 0);

    // Every sender gone: each kind of receive fails at once.
    let (tx, rx) = f.make::<i32>();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(rx.recv(), Err(RecvError));
    assert_eq!(rx.recv_timeout(LONG), Err(RecvTimeoutError::Disconnected));
    assert_eq!(
        rx.recv_deadline(Instant::now() + LONG),
        Err(RecvTimeoutError::Disconnected)
    );
    assert_eq!(
        rx.recv_deadline(Instant::now()),
        Err(RecvTimeoutError::Disconnected)
    );
    assert_eq!(rx.iter().next(), None);
    assert_eq!(rx.try_iter().next(), None);
    assert!(rx.is_empty());
}

fn senders_dropped_receivers_drain(f: Flavor) {
    let (tx, rx) = f.make::<usize>();
    let tx2 = tx.clone();
    if f == Flavor::Zero {
        // A sender parked with its message: dropping another sender clone must not
        // disturb it, and the message is received after the last sender is gone.
        let w = Waiter::new(How::Thread, move || tx2.send(7));
        w.wait_parked();
        drop(tx);
        assert_eq!(rx.recv(), Ok(7));
        assert_eq!(w.join(), Ok(()));
    } else {
        for i in 0..f.room() {
            tx.send(i).unwrap();
        }
        drop(tx);
        // One sender is left: still connected.
        assert_eq!(rx.try_recv(), Ok(0));
        drop(tx2);
        // All gone: what is buffered is received first, in order.
        for i in 1..f.room() {
            assert_eq!(
                rx.try_recv(),
                Ok(i),
                "{f:?}: buffered message {i} after the disconnect"
            );
        }
    }
    assert_eq!(rx.recv(), Err(RecvError));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(rx.recv_timeout(LONG), Err(RecvTimeoutError::Disconnected));
    assert_eq!(rx.len(), 0);

    // The same with blocking `recv` and `recv_timeout`, and a clone of the receiver.
    let (tx, rx) = f.make::<usize>();
    let rx2 = rx.clone();
    let h = thread::spawn(move || {
        for i in 0..f.room() + 5 {
            tx.send(i).unwrap();
        }
    });
    let mut got = vec![];
    for i in 0..f.room() + 5 {
        let m = if i % 2 == 0 {
            rx.recv().unwrap()
        } else {
            rx2.recv_timeout(LONG).unwrap()
        };
        got.push(m);
    }
    h.join().unwrap();
    assert_eq!(got, (0..f.room() + 5).collect::<Vec<_>>());
    assert_eq!(rx.recv(), Err(RecvError));
    assert_eq!(rx2.recv_timeout(LONG), Err(RecvTimeoutError::Disconnected));
}

fn receivers_dropped_drops_buffered(f: Flavor) {
    let room = f.room();
    let t = Tracker::new(room + 10);
    let (tx, rx) = f.make::<D>();
    let rx2 = rx.clone();
    for i in 0..room {
        assert!(tx.try_send(t.item(i)).is_ok());
    }
    drop(rx);
    assert_eq!(t.dropped(), 0, "{f:?}: a receiver clone is left");
    assert_eq!(tx.len(), room);
    drop(rx2);
    assert_eq!(
        t.dropped(),
        room,
        "{f:?}: buffered messages are dropped when the last receiver goes"
    );
    assert_eq!(tx.len(), 0);
    assert!(tx.is_empty());

    let e = tx.send(t.item(room)).unwrap_err();
    assert_eq!(e.0.id, room);
    assert_eq!(e.into_inner().id, room);
    let e = tx.try_send(t.item(room + 1)).unwrap_err();
    assert!(e.is_disconnected() && !e.is_full());
    assert_eq!(e.into_inner().id, room + 1);
    let e = tx.send_timeout(t.item(room + 2), LONG).unwrap_err();
    assert!(e.is_disconnected() && !e.is_timeout());
    assert_eq!(e.into_inner().id, room + 2);
    drop(tx);
    t.check();
    assert_eq!(t.made(), room + 3);
}

fn clones_and_same_channel(f: Flavor) {
    let (tx, rx) = f.make::<i32>();
    let (tx_other, rx_other) = f.make::<i32>();
    let tx2 = tx.clone();
    let rx2 = rx.clone();
    assert!(tx.same_channel(&tx));
    assert!(tx.same_channel(&tx2) && tx2.same_channel(&tx));
    assert!(rx.same_channel(&rx2) && rx2.same_channel(&rx));
    assert!(!tx.same_channel(&tx_other));
    assert!(!rx.same_channel(&rx_other));
    for g in FLAVORS {
        let (a, b) = g.make::<i32>();
        assert!(!tx.same_channel(&a), "{f:?} vs {g:?}");
        assert!(!rx.same_channel(&b), "{f:?} vs {g:?}");
    }
    assert!(!rx.same_channel(&never()));
    // Clones of one side are one channel: what goes in through one clone comes out of
    // any receiver clone.
    assert_eq!(roundtrip(&tx2, &rx, 1), 1);
    assert_eq!(roundtrip(&tx, &rx2, 2), 2);
    // The channel stays connected while a clone of each side lives.
    drop(tx);
    assert_eq!(roundtrip(&tx2, &rx2, 3), 3);
    drop(rx);
    assert_eq!(roundtrip(&tx2, &rx2, 4), 4);
    let tx3 = tx2.clone();
    drop(tx2);
    assert_eq!(rx2.try_recv(), Err(TryRecvError::Empty));
    drop(tx3);
    assert_eq!(rx2.try_recv(), Err(TryRecvError::Disconnected));

    let (tx, rx) = f.make::<i32>();
    let rx2 = rx.clone();
    drop(rx);
    assert_eq!(roundtrip(&tx, &rx2, 5), 5);
    drop(rx2);
    assert_eq!(tx.send(6), Err(SendError(6)));
    // Dropping the other channels' handles left these alone.
    drop((tx_other, rx_other));
}

// ---------------------------------------------------------------------------------------
// Timeouts and deadlines
// ---------------------------------------------------------------------------------------

per_flavor!(timeouts_on_thread, timeouts_in_goroutines);

fn timeouts_on_thread(f: Flavor) {
    timeouts(f);
}

fn timeouts_in_goroutines(f: Flavor) {
    for procs in [1, 2] {
        runtime(procs).block_on(move || timeouts(f));
    }
}

/// Timeouts and deadlines of one flavor, in the calling context.
fn timeouts(f: Flavor) {
    let (tx, rx) = f.make::<u32>();

    // Nothing there: every timed receive waits out its time.
    let t0 = Instant::now();
    assert_eq!(rx.recv_timeout(T50), Err(RecvTimeoutError::Timeout));
    assert_at_least(t0, T50, "recv_timeout");
    let d = Instant::now() + T50;
    assert_eq!(rx.recv_deadline(d), Err(RecvTimeoutError::Timeout));
    assert!(
        Instant::now() >= d,
        "recv_deadline returned before its deadline"
    );
    assert_eq!(
        rx.recv_timeout(Duration::ZERO),
        Err(RecvTimeoutError::Timeout)
    );
    assert_eq!(
        rx.recv_deadline(Instant::now()),
        Err(RecvTimeoutError::Timeout)
    );

    // No room: every timed send waits out its time and gives the message back.
    for i in 0..f.room() {
        tx.send(i as u32).unwrap();
    }
    if f.is_bounded() {
        let t0 = Instant::now();
        assert_eq!(tx.send_timeout(70, T50), Err(SendTimeoutError::Timeout(70)));
        assert_at_least(t0, T50, "send_timeout");
        let d = Instant::now() + T50;
        assert_eq!(tx.send_deadline(71, d), Err(SendTimeoutError::Timeout(71)));
        assert!(
            Instant::now() >= d,
            "send_deadline returned before its deadline"
        );
        assert_eq!(
            tx.send_timeout(72, Duration::ZERO),
            Err(SendTimeoutError::Timeout(72))
        );
        assert_eq!(
            tx.send_deadline(73, Instant::now()),
            Err(SendTimeoutError::Timeout(73))
        );
    } else {
        // Sends on an unbounded channel never wait, so no deadline can pass.
        assert_eq!(tx.send_timeout(70, Duration::ZERO), Ok(()));
        assert_eq!(tx.send_deadline(71, Instant::now()), Ok(()));
        assert_eq!(rx.len(), f.room() + 2);
    }

    // Something there: a timed receive takes it even with no time left.
    if f != Flavor::Zero {
        assert_eq!(rx.recv_timeout(Duration::ZERO), Ok(0));
        if f.room() > 1 {
            assert_eq!(rx.recv_deadline(Instant::now()), Ok(1));
        }
        // ... and a timed send finds the room just made.
        if f.is_bounded() {
            assert_eq!(tx.send_timeout(80, Duration::ZERO), Ok(()));
        }
        while rx.try_recv().is_ok() {}
    } else {
        // A rendezvous needs a parked peer: then no time is needed either.
        let r = rx.clone();
        let w = Waiter::new(How::Peer, move || r.recv());
        w.wait_parked();
        assert_eq!(tx.send_timeout(81, Duration::ZERO), Ok(()));
        assert_eq!(w.join(), Ok(81));

        let r = rx.clone();
        let w = Waiter::new(How::Peer, move || r.recv_timeout(LONG));
        w.wait_parked();
        assert_eq!(tx.send_deadline(82, Instant::now()), Ok(()));
        assert_eq!(w.join(), Ok(82));

        let s = tx.clone();
        let w = Waiter::new(How::Peer, move || s.send(83));
        w.wait_parked();
        assert_eq!(rx.recv_timeout(Duration::ZERO), Ok(83));
        assert_eq!(w.join(), Ok(()));

        let s = tx.clone();
        let w = Waiter::new(How::Peer, move || s.send_timeout(84, LONG));
        w.wait_parked();
        assert_eq!(rx.recv_deadline(Instant::now()), Ok(84));
        assert_eq!(w.join(), Ok(()));
    }

    // A timed receive that is woken by a message before its (huge) timeout, and a
    // timeout too large for the clock, which means "wait for ever".
    for timeout in [LONG, Duration::MAX] {
        let r = rx.clone();
        let w = Waiter::new(How::Peer, move || r.recv_timeout(timeout));
        w.wait_parked();
        tx.send(90).unwrap();
        assert_eq!(w.join(), Ok(90), "{f:?}: recv_timeout({timeout:?})");
    }
    if f.is_bounded() {
        for timeout in [LONG, Duration::MAX] {
            for i in 0..f.room() {
                tx.send(i as u32).unwrap();
            }
            let s = tx.clone();
            let w = Waiter::new(How::Peer, move || s.send_timeout(91, timeout));
            w.wait_parked();
            let mut got = vec![];
            while got.last() != Some(&91) {
                got.push(rx.recv().unwrap());
            }
            assert_eq!(w.join(), Ok(()), "{f:?}: send_timeout({timeout:?})");
            let expect: Vec<u32> = (0..f.room() as u32).chain([91]).collect();
            assert_eq!(got, expect);
        }
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

// ---------------------------------------------------------------------------------------
// Iterators
// ---------------------------------------------------------------------------------------

per_flavor!(iterators);

fn iterators(f: Flavor) {
    // iter(): blocks for each message, ends at the disconnect, and stays ended.
    let (tx, rx) = f.make::<u32>();
    let h = thread::spawn(move || {
        for i in 0..100 {
            tx.send(i).unwrap();
        }
    });
    let got: Vec<u32> = rx.iter().collect();
    h.join().unwrap();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
    let mut it = rx.iter();
    assert_eq!(it.next(), None);
    assert_eq!(it.next(), None);

    // for over &Receiver.
    let (tx, rx) = f.make::<u32>();
    let h = thread::spawn(move || {
        for i in 0..50 {
            tx.send(i * 3).unwrap();
        }
    });
    let mut got = vec![];
    for m in &rx {
        got.push(m);
    }
    h.join().unwrap();
    assert_eq!(got, (0..50).map(|i| i * 3).collect::<Vec<_>>());

    // into_iter(): owns the receiver; dropping it disconnects the channel.
    let (tx, rx) = f.make::<u32>();
    let h = thread::spawn(move || {
        for i in 0..20 {
            tx.send(i).unwrap();
        }
        tx
    });
    let mut it = rx.into_iter();
    let got: Vec<u32> = it.by_ref().take(20).collect();
    assert_eq!(got, (0..20).collect::<Vec<_>>());
    let tx = h.join().unwrap();
    drop(it);
    assert_eq!(tx.send(1), Err(SendError(1)));

    // take(k) consumes exactly k messages.
    let (tx, rx) = f.make::<u32>();
    if f != Flavor::Zero {
        for i in 0..f.room() as u32 {
            tx.send(i).unwrap();
        }
        let k = f.room().min(2);
        let got: Vec<u32> = rx.iter().take(k).collect();
        assert_eq!(got, (0..k as u32).collect::<Vec<_>>());
        assert_eq!(rx.len(), f.room() - k);
        // try_iter(): exactly what is there now, without waiting, while connected.
        let got: Vec<u32> = rx.try_iter().collect();
        assert_eq!(got, (k as u32..f.room() as u32).collect::<Vec<_>>());
        assert_eq!(rx.try_iter().next(), None);
        assert_eq!(rx.try_iter().count(), 0);
    } else {
        // try_iter() on a rendezvous channel: only a parked sender offers a message.
        assert_eq!(rx.try_iter().next(), None);
        let s = tx.clone();
        let w = Waiter::new(How::Thread, move || s.send(5));
        w.wait_parked();
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![5]);
        assert_eq!(w.join(), Ok(()));
        assert_eq!(rx.try_iter().next(), None);
    }
    drop(tx);
    assert_eq!(rx.try_iter().next(), None);
    assert_eq!(rx.iter().next(), None);
}

// ---------------------------------------------------------------------------------------
// Disconnection while the other side is parked
// ---------------------------------------------------------------------------------------

per_flavor!(parked_receivers_senders_dropped);
per_bounded_flavor!(parked_senders_receivers_dropped);

fn parked_receivers_senders_dropped(f: Flavor) {
    in_every_context(move || {
        let (tx, rx) = f.make::<u32>();
        let tx2 = tx.clone();
        // Dropping a sender clone does not wake a parked receiver; a message does.
        let r = rx.clone();
        let w1 = Waiter::new(How::Peer, move || r.recv());
        w1.wait_parked();
        drop(tx);
        tx2.send(1).unwrap();
        assert_eq!(w1.join(), Ok(1));
        // The last sender's drop wakes every parked receiver with the error.
        let r = rx.clone();
        let w2 = Waiter::new(How::Peer, move || r.recv());
        let r = rx.clone();
        let w3 = Waiter::new(How::Peer, move || r.recv_timeout(LONG));
        let r = rx.clone();
        let w4 = Waiter::new(How::Peer, move || r.iter().count());
        w2.wait_parked();
        w3.wait_parked();
        w4.wait_parked();
        drop(tx2);
        assert_eq!(w2.join(), Err(RecvError), "{f:?}: recv");
        assert_eq!(w3.join(), Err(RecvTimeoutError::Disconnected), "{f:?}");
        assert_eq!(w4.join(), 0);
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

fn parked_senders_receivers_dropped(f: Flavor) {
    in_every_context(move || {
        let room = f.room();
        let t = Tracker::new(room + 3);
        let (tx, rx) = f.make::<D>();
        for i in 0..room {
            tx.send(t.item(i)).unwrap();
        }
        let rx2 = rx.clone();
        let s = tx.clone();
        let d = t.item(room);
        let w1 = Waiter::new(How::Peer, move || s.send(d));
        let s = tx.clone();
        let d = t.item(room + 1);
        let w2 = Waiter::new(How::Peer, move || s.send_timeout(d, LONG));
        w1.wait_parked();
        w2.wait_parked();
        // A receiver clone is left: nothing happens.
        drop(rx);
        assert_eq!(t.dropped(), 0);
        // The last one: every parked sender gets its own message back, and what was
        // buffered is dropped.
        drop(rx2);
        let e1 = w1.join().unwrap_err();
        assert_eq!(e1.0.id, room, "{f:?}: send gives its own message back");
        match w2.join() {
            Err(SendTimeoutError::Disconnected(d)) => assert_eq!(d.id, room + 1),
            other => panic!("{f:?}: send_timeout returned {other:?}"),
        }
        assert_eq!(t.dropped(), room + 1);
        assert_eq!(
            tx.try_send(t.item(room + 2)).unwrap_err().into_inner().id,
            room + 2
        );
        drop(e1);
        drop(tx);
        t.check();
    });
}

// ---------------------------------------------------------------------------------------
// Nothing lost: many producers and consumers, exact totals
// ---------------------------------------------------------------------------------------

per_flavor!(mpmc_senders_dropped_first, mpmc_receivers_dropped_first);

/// Producers and consumers, half goroutines and half threads.
fn mpmc_senders_dropped_first(f: Flavor) {
    for procs in [1, 2] {
        const P: usize = 4;
        const K: usize = 1500;
        let rt = runtime(procs);
        let t = Tracker::new(P * K);
        let (tx, rx) = f.make::<D>();
        let mut producers = vec![];
        for p in 0..P {
            let tx = tx.clone();
            let t = t.clone();
            let body = move || {
                for i in 0..K {
                    send_or_stall(&tx, t.item(p * K + i), "producer").unwrap();
                }
            };
            producers.push(if p % 2 == 0 {
                Handle::G(rt.spawn(body))
            } else {
                Handle::T(thread::spawn(body))
            });
        }
        drop(tx);
        let mut consumers = vec![];
        for c in 0..4 {
            let rx = rx.clone();
            let body = move || {
                let mut ids = vec![];
                let mut last = [None::<usize>; P];
                while let Ok(d) = recv_or_stall(&rx, "consumer") {
                    let p = d.id / K;
                    assert!(
                        last[p].is_none_or(|l| l < d.id),
                        "per-producer order broken"
                    );
                    last[p] = Some(d.id);
                    ids.push(d.id);
                }
                assert_eq!(rx.recv(), Err(RecvError));
                ids
            };
            consumers.push(if c % 2 == 0 {
                Handle::G(rt.spawn(body))
            } else {
                Handle::T(thread::spawn(body))
            });
        }
        drop(rx);
        for p in producers {
            p.join();
        }
        let mut all: Vec<usize> = consumers.into_iter().flat_map(|c| c.join()).collect();
        all.sort_unstable();
        assert_eq!(all.len(), P * K, "{f:?}/procs {procs}: messages received");
        assert!(
            all.iter().enumerate().all(|(i, &id)| i == id),
            "{f:?}: every message exactly once"
        );
        t.check();
    }
}

fn mpmc_receivers_dropped_first(f: Flavor) {
    for procs in [1, 2] {
        const P: usize = 4;
        const C: usize = 4;
        const M: usize = 500;
        const MAX: usize = 1 << 16;
        let rt = runtime(procs);
        let t = Tracker::new(P * MAX);
        let (tx, rx) = f.make::<D>();
        let mut producers = vec![];
        for p in 0..P {
            let tx = tx.clone();
            let t = t.clone();
            let body = move || {
                let mut ok = vec![];
                for i in 0..MAX {
                    match send_or_stall(&tx, t.item(p * MAX + i), "producer") {
                        Ok(()) => ok.push(p * MAX + i),
                        Err(SendError(d)) => return (ok, d.id),
                    }
                    // Unbounded sends never park: let one-P consumers run, and keep the
                    // queue short (it empties when the receivers go).
                    while tx.len() > 256 {
                        gpm::yield_now();
                    }
                }
                panic!("producer {p} never saw the disconnect");
            };
            producers.push(if p % 2 == 0 {
                Handle::G(rt.spawn(body))
            } else {
                Handle::T(thread::spawn(body))
            });
        }
        drop(tx);
        let mut consumers = vec![];
        for c in 0..C {
            let rx = rx.clone();
            let body = move || {
                (0..M)
                    .map(|_| recv_or_stall(&rx, "consumer").unwrap().id)
                    .collect::<Vec<_>>()
            };
            consumers.push(if c % 2 == 1 {
                Handle::G(rt.spawn(body))
            } else {
                Handle::T(thread::spawn(body))
            });
        }
        drop(rx);
        let received: Vec<usize> = consumers.into_iter().flat_map(|c| c.join()).collect();
        assert_eq!(received.len(), C * M);
        let mut sent_ok = HashSet::new();
        for p in producers {
            let (ok, failed) = p.join();
            assert!(!ok.contains(&failed));
            // The failed message was given back and dropped by the producer, once.
            assert_eq!(t.dropped_id(failed), 1);
            sent_ok.extend(ok);
        }
        let mut r = received.clone();
        r.sort_unstable();
        r.dedup();
        assert_eq!(r.len(), C * M, "{f:?}: a message was received twice");
        assert!(
            received.iter().all(|id| sent_ok.contains(id)),
            "{f:?}: received a message whose send failed"
        );
        // Everything sent and not received was dropped with the channel; nothing twice.
        t.check();
        assert_eq!(t.dropped(), t.made());
    }
}

// ---------------------------------------------------------------------------------------
// Zero-sized, large, over-aligned and Drop-counting messages
// ---------------------------------------------------------------------------------------

per_flavor!(
    zero_sized_messages,
    large_and_aligned_messages,
    dropped_while_full
);

static ZST_DROPS: [AtomicUsize; 4] = [const { AtomicUsize::new(0) }; 4];

/// A zero-sized message with a destructor; `K` picks its counter.
struct Z<const K: usize>;

impl<const K: usize> Drop for Z<K> {
    fn drop(&mut self) {
        ZST_DROPS[K].fetch_add(1, SeqCst);
    }
}

fn zero_sized_messages(f: Flavor) {
    match f {
        Flavor::Zero => zst::<0>(f),
        Flavor::One => zst::<1>(f),
        Flavor::Many => zst::<2>(f),
        Flavor::Unbounded => zst::<3>(f),
    }
}

fn zst<const K: usize>(f: Flavor) {
    assert_eq!(std::mem::size_of::<Z<K>>(), 0);
    // Plain `()`: counts and capacity are exact.
    let (tx, rx) = f.make::<()>();
    for _ in 0..f.room() {
        tx.try_send(()).unwrap();
    }
    assert_eq!(rx.len(), f.room());
    if f.is_bounded() {
        assert_eq!(tx.try_send(()), Err(TrySendError::Full(())));
        assert!(tx.is_full());
    }
    assert_eq!(rx.try_iter().count(), f.room());
    let h = thread::spawn(move || {
        for _ in 0..10_000 {
            tx.send(()).unwrap();
        }
    });
    assert_eq!(rx.iter().count(), 10_000);
    h.join().unwrap();

    // With a destructor: every one dropped exactly once, wherever it ends up.
    let base = ZST_DROPS[K].load(SeqCst);
    let (tx, rx) = f.make::<Z<K>>();
    let h = thread::spawn(move || {
        for _ in 0..1000 {
            tx.send(Z::<K>).unwrap();
        }
        // Leave some buffered (for a rendezvous channel, one offered by a parked send).
        for _ in 0..f.room().max(1) {
            if f == Flavor::Zero {
                let _ = tx.send(Z::<K>);
            } else {
                tx.send(Z::<K>).unwrap();
            }
        }
    });
    for _ in 0..1000 {
        drop(rx.recv().unwrap());
    }
    if f == Flavor::Zero {
        // The producer may be parked offering its last message; let it have it back.
        drop(rx);
        h.join().unwrap();
    } else {
        h.join().unwrap();
        assert_eq!(rx.len(), f.room());
        drop(rx);
    }
    assert_eq!(
        ZST_DROPS[K].load(SeqCst) - base,
        1000 + f.room().max(1),
        "{f:?}: zero-sized messages dropped"
    );
}

#[repr(align(128))]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Aligned {
    bytes: [u8; 200],
}

fn large_and_aligned_messages(f: Flavor) {
    // Larger than the inline payload of a waiting operation, over-aligned, and on the heap.
    let (tx, rx) = f.make::<[u64; 32]>();
    let h = thread::spawn(move || {
        for i in 0..300u64 {
            tx.send([i; 32]).unwrap();
        }
    });
    for i in 0..300u64 {
        assert_eq!(rx.recv(), Ok([i; 32]));
    }
    h.join().unwrap();

    let (tx, rx) = f.make::<Aligned>();
    let h = thread::spawn(move || {
        for i in 0..300u32 {
            tx.send(Aligned {
                bytes: [(i % 251) as u8; 200],
            })
            .unwrap();
        }
    });
    for i in 0..300u32 {
        let a = rx.recv().unwrap();
        assert_eq!(a.bytes, [(i % 251) as u8; 200]);
        assert_eq!(&a as *const Aligned as usize % 128, 0);
    }
    h.join().unwrap();

    let (tx, rx) = f.make::<(String, Vec<u32>)>();
    let h = thread::spawn(move || {
        for i in 0..300u32 {
            tx.send((format!("message {i}"), (0..i % 17).collect()))
                .unwrap();
        }
    });
    for i in 0..300u32 {
        let (s, v) = rx.recv().unwrap();
        assert_eq!(s, format!("message {i}"));
        assert_eq!(v, (0..i % 17).collect::<Vec<_>>());
    }
    h.join().unwrap();
}

fn dropped_while_full(f: Flavor) {
    let room = f.room();
    let t = Tracker::new(room + 1);
    {
        let (tx, rx) = f.make::<D>();
        for i in 0..room {
            tx.try_send(t.item(i)).unwrap();
        }
        // Both sides dropped, sender first, with everything still buffered.
        drop(tx);
        assert_eq!(t.dropped(), 0);
        drop(rx);
        assert_eq!(t.dropped(), room);
    }
    t.check();
    // A rendezvous sender parked with its message when the channel goes away gets it back.
    if f == Flavor::Zero {
        let (tx, rx) = f.make::<D>();
        let d = t.item(room);
        let w = Waiter::new(How::Thread, move || tx.send(d));
        w.wait_parked();
        drop(rx);
        let e = w.join().unwrap_err();
        assert_eq!(t.dropped_id(room), 0);
        assert_eq!(e.into_inner().id, room);
    }
    t.check();
}

// ---------------------------------------------------------------------------------------
// Goroutines and threads on one channel
// ---------------------------------------------------------------------------------------

per_flavor!(
    mixed_goroutines_threads_one_p,
    mixed_goroutines_threads_two_p
);

fn mixed_goroutines_threads_one_p(f: Flavor) {
    mixed(f, 1);
}

fn mixed_goroutines_threads_two_p(f: Flavor) {
    mixed(f, 2);
}

/// Producers in goroutines and consumers on threads, the other way round, and both
/// mixed; exact per-producer sequences.
fn mixed(f: Flavor, procs: usize) {
    const K: u64 = 3000;
    let rt = runtime(procs);
    // (goroutine producers, thread producers, goroutine consumers, thread consumers)
    for (gp, tp, gc, tc) in [(3, 0, 0, 2), (0, 3, 2, 0), (2, 2, 2, 2)] {
        let (tx, rx) = f.make::<(usize, u64)>();
        let mut producers = vec![];
        for p in 0..gp + tp {
            let tx = tx.clone();
            let body = move || {
                for i in 0..K {
                    send_or_stall(&tx, (p, i), "producer").unwrap();
                }
            };
            producers.push(if p < gp {
                Handle::G(rt.spawn(body))
            } else {
                Handle::T(thread::spawn(body))
            });
        }
        drop(tx);
        let mut consumers = vec![];
        for c in 0..gc + tc {
            let rx = rx.clone();
            let body = move || {
                let mut seen = vec![vec![]; 4];
                while let Ok((p, i)) = recv_or_stall(&rx, "consumer") {
                    seen[p].push(i);
                }
                seen
            };
            consumers.push(if c < gc {
                Handle::G(rt.spawn(body))
            } else {
                Handle::T(thread::spawn(body))
            });
        }
        drop(rx);
        for p in producers {
            p.join();
        }
        let mut per_producer: Vec<Vec<u64>> = vec![vec![]; 4];
        for c in consumers {
            for (p, seq) in c.join().into_iter().enumerate() {
                assert!(
                    seq.windows(2).all(|w| w[0] < w[1]),
                    "{f:?}: producer {p}'s messages out of order at one consumer"
                );
                per_producer[p].extend(seq);
            }
        }
        for (p, mut seq) in per_producer.into_iter().enumerate() {
            seq.sort_unstable();
            let expect: Vec<u64> = if p < gp + tp {
                (0..K).collect()
            } else {
                vec![]
            };
            assert_eq!(seq, expect, "{f:?}/procs {procs}: producer {p}'s messages");
        }
    }
}

#[test]
fn global_runtime_go_and_threads() {
    // `go!` outside any runtime uses the global one (GPM_PROCS Ps if set).
    let (tx, rx) = bounded::<u64>(0);
    let (back_tx, back_rx) = unbounded::<u64>();
    let g = gpm::go!(move || {
        let mut n = 0;
        for v in &rx {
            back_tx.send(v * 2).unwrap();
            n += 1;
        }
        n
    });
    let mut sum = 0;
    for i in 0..2000 {
        tx.send(i).unwrap();
        sum += back_rx.recv().unwrap();
    }
    drop(tx);
    assert_eq!(g.join().unwrap(), 2000);
    assert_eq!(sum, 2 * (1999 * 2000 / 2));
    assert_eq!(back_rx.recv(), Err(RecvError));
}

#[test]
fn many_goroutines_parked_on_one_channel() {
    // 2,000 goroutines parked in recv on one rendezvous channel, fed by a thread.
    let rt = runtime(2);
    let (tx, rx) = bounded::<u64>(0);
    let hs: Vec<_> = (0..2000)
        .map(|_| {
            let rx = rx.clone();
            rt.spawn(move || rx.recv().unwrap())
        })
        .collect();
    drop(rx);
    for i in 0..2000 {
        tx.send(i).unwrap();
    }
    let mut got: Vec<u64> = hs.into_iter().map(|h| h.join().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, (0..2000).collect::<Vec<_>>());
    assert_eq!(tx.try_send(0), Err(TrySendError::Disconnected(0)));
}

// ---------------------------------------------------------------------------------------
// A runtime dropped under goroutines parked in channel operations
// ---------------------------------------------------------------------------------------

#[test]
fn runtime_dropped_under_parked_send_recv_one_p() {
    runtime_dropped_under_parked(1);
}

#[test]
fn runtime_dropped_under_parked_send_recv_two_p() {
    runtime_dropped_under_parked(2);
}

fn runtime_dropped_under_parked(procs: usize) {
    let t = Tracker::new(16);
    let rt = runtime(procs);
    let (tz, rz) = bounded::<D>(0);
    let (tb, rb) = bounded::<D>(1);
    tb.send(t.item(0)).unwrap();
    let (tu, ru) = unbounded::<D>();
    let (tm, rm) = bounded::<D>(4);
    let (tz2, rz2) = bounded::<D>(0);
    let mut ws: Vec<Waiter<()>> = vec![];
    let on = How::On(&rt);
    {
        let (s, d) = (tz.clone(), t.item(1));
        ws.push(Waiter::new(on, move || drop(s.send(d))));
    }
    {
        let (s, d) = (tb.clone(), t.item(2));
        ws.push(Waiter::new(on, move || drop(s.send(d))));
    }
    {
        let (s, d) = (tb.clone(), t.item(3));
        ws.push(Waiter::new(on, move || drop(s.send_timeout(d, LONG))));
    }
    {
        // A message held on the goroutine's stack across the park.
        let (r, d) = (ru.clone(), t.item(4));
        ws.push(Waiter::new(on, move || {
            let got = r.recv();
            drop((d, got));
        }));
    }
    {
        let r = rm.clone();
        ws.push(Waiter::new(on, move || drop(r.recv_timeout(LONG))));
    }
    {
        let r = rz2.clone();
        ws.push(Waiter::new(on, move || drop(r.recv())));
    }
    for w in &ws {
        w.wait_parked();
    }
    drop(rt);
    for w in ws {
        assert!(
            w.join_result().is_err(),
            "a goroutine parked at shutdown ends unfinished"
        );
    }
    // Only the held message was dropped by the unwinding, and the buffered one is intact.
    assert_eq!(t.dropped_id(4), 1);
    assert_eq!(t.dropped_id(0), 0);
    assert_eq!(rb.try_recv().map(|d| d.id), Ok(0));
    drop((tz, rz, tb, rb, tu, ru, tm, rm, tz2, rz2));
    t.check();
    assert_eq!(t.made(), 5);
}

per_flavor!(unwound_receiver_does_not_take_messages);
per_bounded_flavor!(unwound_sender_does_not_take_wakeups);

/// A goroutine parked in `recv` is unwound when its runtime is dropped. A message sent
/// afterwards must reach a live receiver, not the dead goroutine.
fn unwound_receiver_does_not_take_messages(f: Flavor) {
    let rt = runtime(1);
    let (tx, rx) = f.make::<u32>();
    let r = rx.clone();
    let w = Waiter::new(How::On(&rt), move || {
        let _ = r.recv();
    });
    w.wait_parked();
    drop(rt);
    assert!(w.join_result().is_err());
    if f == Flavor::Zero {
        // No live receiver waits, so a rendezvous try_send cannot complete.
        assert_eq!(
            tx.try_send(7),
            Err(TrySendError::Full(7)),
            "a rendezvous try_send completed with a goroutine unwound at shutdown"
        );
        let r = rx.clone();
        let w = Waiter::new(How::Thread, move || r.recv_timeout(Duration::from_secs(10)));
        w.wait_parked();
        tx.send(8).unwrap();
        assert_eq!(w.join(), Ok(8), "the live receiver must get the message");
    } else {
        tx.send(7).unwrap();
        assert_eq!(
            rx.try_recv(),
            Ok(7),
            "a message sent after the receiver's runtime was dropped vanished"
        );
        let r = rx.clone();
        let w = Waiter::new(How::Thread, move || r.recv_timeout(Duration::from_secs(10)));
        w.wait_parked();
        tx.send(8).unwrap();
        assert_eq!(w.join(), Ok(8), "the live receiver must get the message");
    }
}

/// A goroutine parked in `send` on a full channel is unwound when its runtime is dropped.
/// Room made afterwards must wake a live parked sender, not the dead goroutine.
fn unwound_sender_does_not_take_wakeups(f: Flavor) {
    let rt = runtime(1);
    let (tx, rx) = f.make::<u32>();
    for i in 0..f.room() {
        tx.send(i as u32).unwrap();
    }
    let s = tx.clone();
    let w = Waiter::new(How::On(&rt), move || {
        let _ = s.send(100);
    });
    w.wait_parked();
    drop(rt);
    assert!(w.join_result().is_err());
    let done = Arc::new(AtomicBool::new(false));
    let (s, d) = (tx.clone(), done.clone());
    let live = Waiter::new(How::Thread, move || {
        let r = s.send(200);
        d.store(true, SeqCst);
        r
    });
    live.wait_parked();
    if f == Flavor::Zero {
        // The dead goroutine's offered message may or may not still be delivered; the
        // live sender's must be.
        let mut got = vec![];
        while got.last() != Some(&200) {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(m) => got.push(m),
                Err(e) => panic!("the live sender's message never came: {e:?}, got {got:?}"),
            }
        }
        assert!(got == [200] || got == [100, 200], "{got:?}");
    } else {
        // One receive makes room for exactly one message: the live sender's.
        assert_eq!(rx.recv(), Ok(0));
        assert!(
            eventually(Duration::from_secs(10), || done.load(SeqCst)),
            "{f:?}: room was made but the live parked sender was never woken"
        );
        let mut rest: Vec<u32> = rx.try_iter().collect();
        assert_eq!(rest.pop(), Some(200));
        assert_eq!(rest, (1..f.room() as u32).collect::<Vec<_>>());
    }
    assert_eq!(live.join(), Ok(()));
}

/// bounded(1), one P, so the order is deterministic: two senders parked on the full
/// channel; a receiver takes the message (waking the first sender to fill the slot) and
/// parks for the next one before that sender runs. The woken sender gives its message
/// straight to the parked receiver instead of filling the slot. The slot is still free,
/// so the second parked sender must be able to send too.
#[test]
fn woken_sender_that_hands_over_leaves_no_sender_stranded() {
    let rt = runtime(1);
    let (tx, rx) = bounded::<u32>(1);
    tx.send(0).unwrap();
    let s = tx.clone();
    let p1 = Waiter::new(How::On(&rt), move || s.send(1));
    p1.wait_parked();
    let s = tx.clone();
    let p2 = Waiter::new(How::On(&rt), move || s.send(2));
    p2.wait_parked();
    let r = rx.clone();
    let c = rt.spawn(move || {
        let a = r.recv().unwrap();
        let b = r.recv().unwrap();
        (a, b)
    });
    assert_eq!(c.join().unwrap(), (0, 1));
    assert_eq!(p1.join(), Ok(()));
    // The channel is empty, so the second sender's message must arrive.
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)),
        Ok(2),
        "a sender stays parked on a channel with room (len {}, is_full {})",
        rx.len(),
        rx.is_full()
    );
    assert_eq!(p2.join(), Ok(()));
}

// ---------------------------------------------------------------------------------------
// Capacity overflow
// ---------------------------------------------------------------------------------------

#[test]
#[should_panic(expected = "capacity too large")]
fn bounded_usize_max_panics() {
    let _ = bounded::<u64>(usize::MAX);
}

#[test]
#[should_panic(expected = "capacity too large")]
fn bounded_usize_max_of_zero_sized_panics() {
    let _ = bounded::<()>(usize::MAX);
}

#[test]
#[should_panic(expected = "capacity too large")]
fn bounded_isize_max_panics() {
    let _ = bounded::<u8>(isize::MAX as usize);
}

#[test]
fn bounded_unallocatable_panics_with_the_capacity() {
    // Passes the arithmetic check but no allocator can give a petabyte.
    let r = panic::catch_unwind(|| drop(bounded::<[u8; 1024]>(1 << 40)));
    let msg = panic_message(r.unwrap_err());
    assert!(
        msg.contains("capacity too large") && msg.contains(&(1u64 << 40).to_string()),
        "unexpected panic message: {msg:?}"
    );
    let r = panic::catch_unwind(|| drop(bounded::<u32>(usize::MAX)));
    let msg = panic_message(r.unwrap_err());
    assert!(
        msg.contains(&format!("bounded({})", usize::MAX)),
        "the message names the capacity: {msg:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Time channels: after, at, tick, never
// ---------------------------------------------------------------------------------------

#[test]
fn after_channel() {
    in_every_context(|| {
        let start = Instant::now();
        let r = after(T50);
        assert_eq!(r.capacity(), Some(1));
        assert_eq!(r.len(), 0);
        assert!(r.is_empty());
        assert!(!r.is_full());
        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
        let t = r.recv().unwrap();
        let now = Instant::now();
        assert!(t >= start + T50, "after delivered early");
        assert!(now >= t, "received before the due instant");
        assert_at_least(start, T50, "after(50ms).recv");
        // One message only, and never disconnected.
        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
        assert_eq!(r.len(), 0);
        let t0 = Instant::now();
        assert_eq!(r.recv_timeout(T50), Err(RecvTimeoutError::Timeout));
        assert_at_least(t0, T50, "recv_timeout on a spent after channel");

        // recv_timeout/recv_deadline on a pending one.
        let r = after(LONG);
        let t0 = Instant::now();
        assert_eq!(r.recv_timeout(T50), Err(RecvTimeoutError::Timeout));
        assert_at_least(t0, T50, "recv_timeout on after(1h)");
        let d = Instant::now() + T50;
        assert_eq!(r.recv_deadline(d), Err(RecvTimeoutError::Timeout));
        assert!(Instant::now() >= d);
        let r = after(T50);
        let t = r.recv_timeout(LONG).unwrap();
        assert!(Instant::now() >= t);

        // after(0) is due at once.
        let r = after(Duration::ZERO);
        let t = r.try_recv().unwrap();
        assert!(t <= Instant::now());
        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));

        // A duration the clock cannot express: never delivers.
        let r = after(Duration::MAX);
        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
        let t0 = Instant::now();
        assert_eq!(r.recv_timeout(T50), Err(RecvTimeoutError::Timeout));
        assert_at_least(t0, T50, "after(MAX).recv_timeout");
    });
}

#[test]
fn at_channel() {
    in_every_context(|| {
        // Due in the past: full at once; delivers exactly its instant, once.
        let when = Instant::now();
        let r = at(when);
        assert_eq!(r.capacity(), Some(1));
        assert_eq!(r.len(), 1);
        assert!(!r.is_empty());
        assert!(r.is_full());
        assert_eq!(r.try_recv(), Ok(when));
        assert_eq!(r.len(), 0);
        assert!(!r.is_full());
        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));

        // Due in the future.
        let when = Instant::now() + T50;
        let r = at(when);
        assert_eq!(r.recv(), Ok(when));
        assert!(Instant::now() >= when);

        // try_iter and iter.
        let when = Instant::now();
        let r = at(when);
        assert_eq!(r.try_iter().collect::<Vec<_>>(), vec![when]);
        let r = at(when);
        assert_eq!(r.iter().next(), Some(when));

        // Clones share the one message; distinct channels are not the same.
        let r = at(when);
        let r2 = r.clone();
        assert!(r.same_channel(&r2));
        assert!(!r.same_channel(&at(when)));
        assert!(!r.same_channel(&after(Duration::ZERO)));
        assert!(!r.same_channel(&tick(LONG)));
        assert!(!r.same_channel(&never()));
        let got = [r.try_recv(), r2.try_recv()];
        assert_eq!(got.iter().filter(|g| g.is_ok()).count(), 1, "{got:?}");
        assert_eq!(format!("{r:?}"), "Receiver { .. }");
    });
}

#[test]
fn tick_channel() {
    in_every_context(|| {
        const P: Duration = Duration::from_millis(20);
        let start = Instant::now();
        let r = tick(P);
        assert_eq!(r.capacity(), Some(1));
        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
        let ticks: Vec<Instant> = r.iter().take(4).collect();
        assert!(ticks[0] >= start + P, "first tick early");
        for w in ticks.windows(2) {
            assert!(w[1] > w[0]);
            // Ticks lie on the period's grid.
            assert_eq!((w[1] - w[0]).as_nanos() % P.as_nanos(), 0, "{ticks:?}");
        }
        assert!(Instant::now() >= ticks[3]);

        // A slow receiver: the oldest missed tick, then the next on the grid; the ones
        // in between are dropped. Waiting for the clock is what is tested here.
        let r = tick(P);
        let made = Instant::now();
        let late = made + 5 * P;
        while Instant::now() < late {
            assert_eq!(
                never::<()>().recv_deadline(late),
                Err(RecvTimeoutError::Timeout)
            );
        }
        assert_eq!(r.len(), 1);
        assert!(r.is_full());
        assert!(!r.is_empty());
        let before = Instant::now();
        let t1 = r.try_recv().unwrap();
        assert!(t1 <= made + P, "the oldest missed tick comes first");
        let t2 = r.recv().unwrap();
        assert!(t2 > before, "missed ticks must be dropped, not queued");
        assert_eq!((t2 - t1).as_nanos() % P.as_nanos(), 0);

        // recv_timeout shorter than the period.
        let r = tick(LONG);
        let t0 = Instant::now();
        assert_eq!(r.recv_timeout(T50), Err(RecvTimeoutError::Timeout));
        assert_at_least(t0, T50, "tick(1h).recv_timeout");
        let r2 = r.clone();
        assert!(r.same_channel(&r2));
        assert!(!r.same_channel(&tick(LONG)));

        // A zero period: due at once, every time.
        let r = tick(Duration::ZERO);
        for _ in 0..3 {
            assert!(r.recv_timeout(LONG).is_ok());
        }
    });
}

#[test]
fn tick_period_beyond_the_clock_never_ticks() {
    // As in crossbeam: a period the clock cannot express gives a `never()` channel.
    let r = tick(Duration::MAX);
    assert!(r.same_channel(&never()));
    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
    let t0 = Instant::now();
    assert_eq!(
        r.recv_timeout(Duration::from_millis(20)),
        Err(RecvTimeoutError::Timeout)
    );
    assert!(t0.elapsed() >= Duration::from_millis(20));
}

#[test]
fn never_channel() {
    in_every_context(|| {
        let r = never::<String>();
        assert_eq!(r.capacity(), Some(0));
        assert_eq!(r.len(), 0);
        assert!(r.is_empty());
        assert!(r.is_full());
        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
        assert_eq!(r.try_iter().count(), 0);
        let t0 = Instant::now();
        assert_eq!(r.recv_timeout(T50), Err(RecvTimeoutError::Timeout));
        assert_at_least(t0, T50, "never().recv_timeout");
        let d = Instant::now() + T50;
        assert_eq!(r.recv_deadline(d), Err(RecvTimeoutError::Timeout));
        assert!(Instant::now() >= d);
        assert_eq!(
            r.recv_timeout(Duration::ZERO),
            Err(RecvTimeoutError::Timeout)
        );
        let r2 = r.clone();
        assert!(r.same_channel(&r2));
        assert!(r.same_channel(&never()));
        let (_tx, rx) = unbounded::<String>();
        assert!(!r.same_channel(&rx));
    });
}

// ---------------------------------------------------------------------------------------
// Errors, Debug, auto traits
// ---------------------------------------------------------------------------------------

#[test]
fn error_display_debug_and_error_trait() {
    fn check<E: std::error::Error + Send + Sync + 'static>(e: E, display: &str, debug: &str) {
        assert_eq!(e.to_string(), display);
        assert_eq!(format!("{e:?}"), debug);
        assert!(e.source().is_none());
        let b: Box<dyn std::error::Error + Send + Sync> = Box::new(e);
        assert_eq!(b.to_string(), display);
    }
    check(
        SendError(1),
        "sending on a disconnected channel",
        "SendError(..)",
    );
    check(
        TrySendError::Full(1),
        "sending on a full channel",
        "Full(..)",
    );
    check(
        TrySendError::Disconnected(1),
        "sending on a disconnected channel",
        "Disconnected(..)",
    );
    check(
        SendTimeoutError::Timeout(1),
        "timed out waiting on send operation",
        "SendTimeoutError(..)",
    );
    check(
        SendTimeoutError::Disconnected(1),
        "sending on a disconnected channel",
        "SendTimeoutError(..)",
    );
    check(
        RecvError,
        "receiving on an empty and disconnected channel",
        "RecvError",
    );
    check(
        TryRecvError::Empty,
        "receiving on an empty channel",
        "Empty",
    );
    check(
        TryRecvError::Disconnected,
        "receiving on an empty and disconnected channel",
        "Disconnected",
    );
    check(
        RecvTimeoutError::Timeout,
        "timed out waiting on receive operation",
        "Timeout",
    );
    check(
        RecvTimeoutError::Disconnected,
        "channel is empty and disconnected",
        "Disconnected",
    );
    check(
        TrySelectError,
        "all operations in select would block",
        "TrySelectError",
    );
    check(
        SelectTimeoutError,
        "timed out waiting on select",
        "SelectTimeoutError",
    );
    // The message's own Debug is never required or shown.
    struct Opaque;
    assert_eq!(format!("{:?}", SendError(Opaque)), "SendError(..)");
}

#[test]
fn error_helpers_and_conversions() {
    assert_eq!(SendError("a").into_inner(), "a");
    assert_eq!(SendError("a").0, "a");

    let full = TrySendError::Full(1);
    let disc = TrySendError::Disconnected(2);
    assert!(full.is_full() && !full.is_disconnected());
    assert!(disc.is_disconnected() && !disc.is_full());
    assert_eq!((full.into_inner(), disc.into_inner()), (1, 2));

    let to = SendTimeoutError::Timeout(3);
    let disc = SendTimeoutError::Disconnected(4);
    assert!(to.is_timeout() && !to.is_disconnected());
    assert!(disc.is_disconnected() && !disc.is_timeout());
    assert_eq!((to.into_inner(), disc.into_inner()), (3, 4));

    assert!(TryRecvError::Empty.is_empty() && !TryRecvError::Empty.is_disconnected());
    assert!(TryRecvError::Disconnected.is_disconnected() && !TryRecvError::Disconnected.is_empty());
    assert!(RecvTimeoutError::Timeout.is_timeout() && !RecvTimeoutError::Timeout.is_disconnected());
    assert!(
        RecvTimeoutError::Disconnected.is_disconnected()
            && !RecvTimeoutError::Disconnected.is_timeout()
    );

    // From conversions, as in crossbeam.
    assert_eq!(
        TrySendError::from(SendError(5)),
        TrySendError::Disconnected(5)
    );
    assert_eq!(
        SendTimeoutError::from(SendError(6)),
        SendTimeoutError::Disconnected(6)
    );
    assert_eq!(TryRecvError::from(RecvError), TryRecvError::Disconnected);
    assert_eq!(
        RecvTimeoutError::from(RecvError),
        RecvTimeoutError::Disconnected
    );

    // Clone, Copy, Eq.
    let e = SendError(7);
    let c = e;
    assert_eq!(e, c);
    assert_ne!(TrySendError::Full(1), TrySendError::Disconnected(1));
    assert_ne!(TrySendError::Full(1), TrySendError::Full(2));
    assert_ne!(TryRecvError::Empty, TryRecvError::Disconnected);

    // `?` into Box<dyn Error>.
    fn send_all(tx: &Sender<u8>) -> Result<(), Box<dyn std::error::Error>> {
        tx.send(1)?;
        Ok(())
    }
    let (tx, rx) = unbounded::<u8>();
    assert!(send_all(&tx).is_ok());
    drop(rx);
    assert_eq!(
        send_all(&tx).unwrap_err().to_string(),
        "sending on a disconnected channel"
    );
}

#[test]
fn handles_debug_and_auto_traits() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Sender<String>>();
    send_sync::<Receiver<String>>();
    send_sync::<gpm::chan::Iter<'static, String>>();
    send_sync::<gpm::chan::TryIter<'static, String>>();
    send_sync::<gpm::chan::IntoIter<String>>();
    send_sync::<SendError<String>>();
    for f in FLAVORS {
        let (tx, rx) = f.make::<i32>();
        assert_eq!(format!("{tx:?}"), "Sender { .. }");
        assert_eq!(format!("{rx:?}"), "Receiver { .. }");
    }
    assert_eq!(format!("{:?}", after(LONG)), "Receiver { .. }");
    assert_eq!(format!("{:?}", never::<u8>()), "Receiver { .. }");
    // Not Debug-bounded: a message type without Debug works.
    struct NoDebug;
    let (tx, rx) = bounded::<NoDebug>(1);
    assert_eq!(format!("{tx:?} {rx:?}"), "Sender { .. } Receiver { .. }");
}

#[test]
fn facade_reexports_are_the_same_items() {
    // gpm::{bounded, unbounded, Sender, Receiver} are gpm::chan's.
    let (tx, rx): (gpm::Sender<u8>, gpm::Receiver<u8>) = gpm::bounded(2);
    let (tx2, rx2): (Sender<u8>, Receiver<u8>) = (tx.clone(), rx.clone());
    assert!(tx.same_channel(&tx2) && rx.same_channel(&rx2));
    let (utx, urx) = gpm::unbounded::<u8>();
    assert_eq!(utx.capacity(), None);
    utx.send(1).unwrap();
    assert_eq!(urx.recv(), Ok(1));
    tx.send(2).unwrap();
    assert_eq!(rx2.recv(), Ok(2));
}
