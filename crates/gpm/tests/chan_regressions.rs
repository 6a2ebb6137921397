//! Regression tests for channel bugs found by the larger suites and the benchmarks, each
//! reduced to a deterministic reproduction on a one-P runtime where the bug allows one, and
//! otherwise to the smallest race that still loses in most runs.

use std::time::Duration;

use gpm::chan::{bounded, Receiver, Sender};

/// Go's TestChan (carried over in `chan_golang.rs`) hung: on a full `bounded(1)` with two
/// parked senders, a receive woke one sender, which then completed by handing its message
/// to a receiver that had parked meanwhile, so the freed slot's wakeup was lost and the
/// other sender waited for ever next to an empty buffer.
#[test]
fn a_sender_woken_for_room_that_hands_over_passes_the_wakeup_on() {
    let rt = gpm::Runtime::builder().procs(1).build().unwrap();
    let (first, second) = rt.block_on(|| {
        let (tx, rx) = bounded::<i32>(1);
        tx.send(0).unwrap(); // full
        let (ta, tb) = (tx.clone(), tx.clone());
        let a = gpm::go!(move || ta.send(1).unwrap());
        let b = gpm::go!(move || tb.send(2).unwrap());
        gpm::yield_now(); // both senders park
        assert_eq!(rx.recv(), Ok(0)); // frees the slot, wakes one sender
        let r2 = rx.clone();
        let r = gpm::go!(move || r2.recv().unwrap());
        gpm::yield_now(); // r parks; the woken sender hands its message to r
        let first = r.join().unwrap();
        let second = rx.recv_timeout(Duration::from_secs(30));
        if second.is_ok() {
            // Otherwise a sender is stuck; dropping the runtime unwinds it.
            a.join().unwrap();
            b.join().unwrap();
        }
        (first, second)
    });
    assert_eq!(
        first + second.expect("the second sender was never woken"),
        3
    );
}

/// The MPMC benchmark deadlocked: with four producers and one consumer on a `bounded(1024)`
/// over two Ps, a producer stayed parked for good next to a consumer waiting on an empty
/// buffer. Its waker had found the G's `NOTIFIED` bit set by a late ready of an earlier wait
/// and left the wake-up to it, and the G, consuming the bit, did not see the outcome (a
/// store-buffering race; see rule 4 in `gpm_g::state`, whose loom models are the proof). A
/// race, so not deterministic: before the fix this test failed 4 of 6 runs (5 or 10 rounds a
/// consumer count, test profile); a lost goroutine shows as a round that times out.
#[test]
fn producers_on_a_full_buffer_are_never_left_parked() {
    const PRODUCERS: u64 = 4;
    const PER_PRODUCER: u64 = 250_000;
    let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    for consumers in [1usize, 4] {
        for round in 0..10 {
            let (done, finished) = std::sync::mpsc::channel();
            drop(rt.spawn(move || {
                let (tx, rx) = bounded::<u64>(1024);
                spawn_producers(tx, PRODUCERS, PER_PRODUCER);
                let sum: u64 = consume(&rx, consumers, |rx| rx.iter().sum::<u64>())
                    .into_iter()
                    .sum();
                done.send(sum).unwrap();
            }));
            let n = PRODUCERS * PER_PRODUCER;
            match finished.recv_timeout(Duration::from_secs(60)) {
                Ok(sum) => assert_eq!(sum, n * (n - 1) / 2),
                Err(_) => {
                    panic!("{consumers} consumer(s), round {round}: a goroutine was never woken")
                }
            }
        }
    }
}

/// A plain send parked on a full buffer leaves its message in its context, and the receive
/// that frees a slot puts it in the ring on the sender's behalf; when another sender's fast
/// path takes that slot first, the parked one must be woken to try again instead. With one
/// slot and four producers both happen all the time. Every message arrives exactly once,
/// and with one consumer each producer's messages arrive in the order it sent them; a
/// sender left parked shows as a round that times out.
#[test]
fn senders_parked_on_a_one_slot_buffer_each_deliver_once_in_order() {
    const PRODUCERS: u64 = 4;
    const PER_PRODUCER: u64 = 50_000;
    let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    for consumers in [1usize, 2] {
        let (done, finished) = std::sync::mpsc::channel();
        drop(rt.spawn(move || {
            let (tx, rx) = bounded::<u64>(1);
            spawn_producers(tx, PRODUCERS, PER_PRODUCER);
            let got = consume(&rx, consumers, |rx| rx.iter().collect::<Vec<u64>>());
            done.send(got).unwrap();
        }));
        let got = finished
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{consumers} consumer(s): a sender was never woken"));
        if consumers == 1 {
            let mut last = [None; PRODUCERS as usize];
            for &v in &got[0] {
                let p = (v / PER_PRODUCER) as usize;
                assert!(last[p] < Some(v), "producer {p}: {v} after {:?}", last[p]);
                last[p] = Some(v);
            }
        }
        let mut all: Vec<u64> = got.into_iter().flatten().collect();
        all.sort_unstable();
        assert!(
            all.iter().copied().eq(0..PRODUCERS * PER_PRODUCER),
            "{consumers} consumer(s): each message exactly once"
        );
    }
}

/// Spawns `producers` goroutines, producer `p` sending `p * per_producer` and on, up to the
/// next producer's first value, in order; the caller's sender goes with the call.
fn spawn_producers(tx: Sender<u64>, producers: u64, per_producer: u64) {
    for p in 0..producers {
        let tx = tx.clone();
        gpm::go!(move || {
            for i in p * per_producer..(p + 1) * per_producer {
                tx.send(i).unwrap();
            }
        });
    }
}

/// Runs `f` on the channel in each of `consumers` goroutines and returns what each gave.
fn consume<R: Send + 'static>(
    rx: &Receiver<u64>,
    consumers: usize,
    f: fn(&Receiver<u64>) -> R,
) -> Vec<R> {
    let all: Vec<_> = (0..consumers)
        .map(|_| {
            let rx = rx.clone();
            gpm::go!(move || f(&rx))
        })
        .collect();
    all.into_iter().map(|h| h.join().unwrap()).collect()
}
