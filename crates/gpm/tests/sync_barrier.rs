//! `gpm::sync::Barrier`: exactly one leader per round, over many rounds, with goroutines
//! and threads as parties; nobody leaves a round before everybody arrived.

mod sync_common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use gpm_sync::Barrier;
use sync_common::on_runtime;

#[test]
fn one_leader_per_round() {
    const PARTIES: usize = 12;
    const ROUNDS: usize = 200;
    for procs in [1, 2] {
        on_runtime(procs, "barrier rounds", || {
            let barrier = Arc::new(Barrier::new(PARTIES));
            let arrived = Arc::new(AtomicUsize::new(0));
            let leaders = Arc::new(AtomicUsize::new(0));
            let mut gs = Vec::new();
            let mut ts = Vec::new();
            for i in 0..PARTIES {
                let (barrier, arrived, leaders) =
                    (barrier.clone(), arrived.clone(), leaders.clone());
                let party = move || {
                    for round in 0..ROUNDS {
                        arrived.fetch_add(1, SeqCst);
                        let r = barrier.wait();
                        // Nobody gets past the barrier before all arrived for this round.
                        assert!(arrived.load(SeqCst) >= (round + 1) * PARTIES);
                        if r.is_leader() {
                            leaders.fetch_add(1, SeqCst);
                        }
                        // A second barrier so that no party races into the next round's
                        // count before the check above ran everywhere.
                        barrier.wait();
                    }
                };
                if i % 4 == 0 {
                    ts.push(std::thread::spawn(party));
                } else {
                    gs.push(gpm::spawn(party));
                }
            }
            gs.into_iter().for_each(|h| h.join().unwrap());
            ts.into_iter().for_each(|h| h.join().unwrap());
            assert_eq!(leaders.load(SeqCst), ROUNDS, "one leader per round");
        });
    }
}

#[test]
fn zero_or_one_party_never_waits() {
    assert!(Barrier::new(0).wait().is_leader());
    let b = Barrier::new(1);
    assert!(b.wait().is_leader());
    assert!(b.wait().is_leader());
}
