//! Regression tests for channel bugs found by the larger suites, each reduced to a
//! deterministic reproduction on a one-P runtime.

use std::time::Duration;

use gpm::chan::bounded;

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
