//! A user program under loom: `select!` over two producers, verified for every
//! interleaving within the preemption bound; and a select that assumes its arms are chosen in
//! the order they are written, which loom must refute.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p gpm
//! --test loom_user_select`.
#![cfg(loom)]

use gpm::select;

/// A producer that hands its sender back when joined.
type Producer = gpm::JoinHandle<gpm::Sender<u32>>;

/// Each producer sends one message and hands its sender back through its join handle, so
/// the channels stay open (no disconnected arm is ever ready) until the consumer is done.
fn two_producers() -> (gpm::Receiver<u32>, gpm::Receiver<u32>, Producer, Producer) {
    let (tx1, rx1) = gpm::bounded::<u32>(0);
    let (tx2, rx2) = gpm::bounded::<u32>(0);
    let p1 = gpm::go!(move || {
        tx1.send(1).unwrap();
        tx1
    });
    let p2 = gpm::go!(move || {
        tx2.send(2).unwrap();
        tx2
    });
    (rx1, rx2, p1, p2)
}

#[test]
fn select_over_two_producers_gets_both_messages() {
    gpm::loom::check(3, || {
        let (rx1, rx2, p1, p2) = two_producers();
        let mut got = Vec::new();
        for _ in 0..2 {
            select! {
                recv(rx1) -> v => got.push(v.unwrap()),
                recv(rx2) -> v => got.push(v.unwrap()),
            }
        }
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
        drop((p1.join().unwrap(), p2.join().unwrap()));
    });
}

/// The bug: taking the first arm's message first, as if `select!` tried its arms in order
/// (Go's select picks among ready arms at random, and here the second producer may simply
/// be the first to send).
#[test]
#[should_panic(expected = "select took the second arm first")]
fn loom_refutes_a_select_that_assumes_arm_order() {
    gpm::loom::check(3, || {
        let (rx1, rx2, p1, p2) = two_producers();
        let first = select! {
            recv(rx1) -> v => v.unwrap(),
            recv(rx2) -> v => v.unwrap(),
        };
        assert_eq!(first, 1, "select took the second arm first");
        let second = rx2.recv().unwrap();
        assert_eq!(second, 2);
        drop((p1.join().unwrap(), p2.join().unwrap()));
    });
}
