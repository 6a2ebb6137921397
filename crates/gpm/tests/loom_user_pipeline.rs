//! A user program under loom: a rendezvous pipeline of goroutines (producer → doubling stage
//! → main over unbuffered channels), verified for every interleaving within the preemption
//! bound; and its classic bug, a stage that stops when the producer closes a side channel
//! early and so drops the last message, which loom must find.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p gpm
//! --test loom_user_pipeline`.
#![cfg(loom)]

use gpm::chan::TryRecvError;

/// producer → stage → main, each hop a rendezvous (`bounded(0)`); closing propagates by
/// dropping the senders, and every stage drains its input before it stops.
#[test]
fn rendezvous_pipeline_delivers_everything_in_order() {
    gpm::loom::check(3, || {
        let (tx, rx) = gpm::bounded::<u32>(0);
        let (out_tx, out_rx) = gpm::bounded::<u32>(0);
        let producer = gpm::go!(move || {
            for v in 1..=2 {
                tx.send(v).unwrap();
            }
        });
        let stage = gpm::go!(move || {
            for v in rx.iter() {
                out_tx.send(v * 10).unwrap();
            }
        });
        let got: Vec<u32> = out_rx.iter().collect();
        assert_eq!(got, [10, 20]);
        producer.join().unwrap();
        stage.join().unwrap();
    });
}

/// The bug: the producer signals "done" by dropping a second sender (Go's `close(done)`),
/// and the stage checks that signal before each receive, so when the producer finishes
/// while the last message is still buffered the stage quits without forwarding it.
fn pipeline_with_early_done() {
    let (data_tx, data_rx) = gpm::bounded::<u32>(1);
    let (done_tx, done_rx) = gpm::bounded::<()>(0);
    let (out_tx, out_rx) = gpm::bounded::<u32>(0);
    let producer = gpm::go!(move || {
        for v in 1..=2 {
            data_tx.send(v).unwrap();
        }
        drop(done_tx); // "I'm done" — while message 2 may still sit in the buffer
    });
    let stage = gpm::go!(move || loop {
        if done_rx.try_recv() == Err(TryRecvError::Disconnected) {
            break; // BUG: the producer is gone, but data_rx may not be empty
        }
        match data_rx.recv() {
            Ok(v) => out_tx.send(v).unwrap(),
            Err(_) => break,
        }
    });
    let got: Vec<u32> = out_rx.iter().collect();
    assert_eq!(got, [1, 2], "pipeline lost a message");
    producer.join().unwrap();
    stage.join().unwrap();
}

#[test]
#[should_panic(expected = "pipeline lost a message")]
fn loom_finds_the_message_dropped_after_an_early_done() {
    gpm::loom::check(3, pipeline_with_early_done);
}
