//! loom models of the channel protocols, through the public API on plain (loom) threads.
//!
//! Inside the runtime a waiter parks its goroutine instead of its thread, but it waits on
//! the same context with the same state word, and the goroutine side of a park is the
//! park/ready protocol already modelled in `gpm-g/tests/loom_state.rs`. Here loom explores
//! the channel side: claims, handovers, registration against re-checks, disconnection.
//! Under `cfg(loom)` the buffers, wait-queue locks and thread parking are loom's, and the
//! select order is fixed.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p gpm-chan --test loom_chan --release`
#![cfg(loom)]

use gpm_chan::{bounded, select, unbounded, Receiver, RecvError, Sender, TrySendError};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

const PREEMPTIONS: usize = 3;

fn model(f: impl Fn() + Sync + Send + 'static) {
    gpm_g::loom_model::check(PREEMPTIONS, f);
}

/// A message that counts how often it is dropped.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn rendezvous_handoff() {
    // A parked receiver is handed the message directly, or a parked sender's message is
    // taken: either way exactly once, and both sides return.
    model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let t = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(rx.recv(), Ok(7));
        t.join().unwrap();
    });
}

#[test]
fn bounded_handoff_keeps_fifo() {
    // One sender, one receiver, capacity 1: the receiver may be parked (direct handover) or
    // find the buffer full; the messages still arrive in order.
    model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let t = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
        t.join().unwrap();
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

#[test]
fn parked_senders_of_a_full_buffer_each_deliver_once() {
    // Capacity 1 and two senders: whoever finds the buffer full parks with its message,
    // and a receive puts that message in the slot it freed, so the sender has nothing left
    // to do. Every message arrives exactly once, none is forgotten next to a free slot.
    // Three threads: two preemptions keep the model in seconds (three took minutes). A
    // receive whose freed slot another sender takes first wakes the parked one to try
    // again instead; a model with that third party is too large for loom here, and
    // `gpm/tests/chan_regressions.rs` stresses it on the runtime.
    gpm_g::loom_model::check(2, || {
        let (tx, rx) = bounded::<u32>(1);
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.send(1).unwrap());
        let b = thread::spawn(move || tx2.send(2).unwrap());
        let mut got = [rx.recv().unwrap(), rx.recv().unwrap()];
        a.join().unwrap();
        b.join().unwrap();
        got.sort_unstable();
        assert_eq!(got, [1, 2], "each message once");
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

fn send_vs_receiver_drop(make: fn() -> (Sender<Counted>, Receiver<Counted>)) {
    model(move || {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = make();
        let d = drops.clone();
        let t = thread::spawn(move || {
            // Ok: the channel took it (and drops it when the receiver goes);
            // Err: it comes back and is dropped here.
            let _ = tx.send(Counted(d));
        });
        drop(rx);
        t.join().unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 1, "dropped exactly once");
    });
}

#[test]
fn send_vs_disconnect_rendezvous() {
    send_vs_receiver_drop(|| bounded(0));
}

#[test]
fn send_vs_disconnect_bounded() {
    send_vs_receiver_drop(|| bounded(1));
}

#[test]
fn send_vs_disconnect_unbounded() {
    send_vs_receiver_drop(unbounded);
}

fn recv_vs_sender_drop(make: fn() -> (Sender<u32>, Receiver<u32>)) {
    // The last sender sends and leaves while the receiver may be parked: the message is
    // received, then the disconnect.
    model(move || {
        let (tx, rx) = make();
        let t = thread::spawn(move || {
            tx.send(5).unwrap();
        });
        assert_eq!(rx.recv(), Ok(5));
        assert_eq!(rx.recv(), Err(RecvError));
        t.join().unwrap();
    });
}

#[test]
fn recv_vs_disconnect_rendezvous() {
    recv_vs_sender_drop(|| bounded(0));
}

#[test]
fn recv_vs_disconnect_bounded() {
    recv_vs_sender_drop(|| bounded(1));
}

#[test]
fn recv_vs_disconnect_unbounded() {
    recv_vs_sender_drop(unbounded);
}

#[test]
fn select_racing_two_senders() {
    // Two parked or arriving senders on two rendezvous channels: the select completes
    // exactly one of them; the other is received afterwards.
    model(|| {
        let (tx1, rx1) = bounded::<u32>(0);
        let (tx2, rx2) = bounded::<u32>(0);
        let a = thread::spawn(move || tx1.send(1).unwrap());
        let b = thread::spawn(move || tx2.send(2).unwrap());
        let first = select! {
            recv(rx1) -> m => m.unwrap(),
            recv(rx2) -> m => m.unwrap(),
        };
        let second = if first == 1 { rx2.recv() } else { rx1.recv() };
        assert_eq!(first + second.unwrap(), 3);
        a.join().unwrap();
        b.join().unwrap();
    });
}

#[test]
fn waiter_woken_exactly_once() {
    // A select parked on two channels is selected by a send on one and a disconnect of the
    // other at the same time: exactly one wins (a second claim would trip the context's
    // CLAIMED assertion), and the send is not lost either way.
    model(|| {
        let (tx1, rx1) = bounded::<u32>(0);
        let (tx2, rx2) = bounded::<u32>(0);
        let a = thread::spawn(move || tx1.send(9).unwrap());
        let b = thread::spawn(move || drop(tx2));
        let got = select! {
            recv(rx1) -> m => m,
            recv(rx2) -> m => {
                assert_eq!(m, Err(RecvError));
                rx1.recv()
            }
        };
        assert_eq!(got, Ok(9));
        a.join().unwrap();
        b.join().unwrap();
    });
}

#[test]
fn select_send_arm_meets_parked_receiver() {
    // A select's send arm claims a receiver before its message exists; the receiver waits
    // for the message, and a full bounded arm is never chosen.
    model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let (full_tx, _full_rx) = bounded::<u32>(1);
        full_tx.try_send(0).unwrap();
        let t = thread::spawn(move || rx.recv());
        select! {
            send(tx, 3) -> r => r.unwrap(),
            send(full_tx, 4) -> _ => panic!("a full channel's arm was chosen"),
        }
        assert_eq!(t.join().unwrap(), Ok(3));
        assert!(matches!(full_tx.try_send(5), Err(TrySendError::Full(5))));
    });
}
