//! A worker pool with a `WaitGroup`, after Go by Example's "Worker Pools" and "WaitGroups"
//! (<https://gobyexample.com/worker-pools>, <https://gobyexample.com/waitgroups>):
//!
//! ```text
//! cargo run --release -p gpm --example worker_pool [N] [WORKERS]
//! ```
//!
//! The job: find the number below N (default 1,000,000) with the longest Collatz chain
//! (`n → n/2` if even, `3n + 1` if odd, until 1). The range is cut into chunks of
//! [`CHUNK`] numbers; the chunks go down a bounded `jobs` channel to `WORKERS` goroutines
//! (default 8). Each worker merges what it found into one shared tally behind a
//! `gpm::sync::Mutex`, and calls `done` on a `gpm::sync::WaitGroup` when the jobs channel
//! is closed and drained; the caller waits on the group, then reads the tally. The answer
//! is checked against a plain sequential loop (for a million: 837799, 524 steps).
//!
//! The WaitGroup is what says "every worker has finished": a mutex has no such signal.
//! (Were the results sent on a channel instead, the channel would close by itself when the
//! last worker dropped its `Sender`.)

use std::cmp::{max_by_key, Reverse};
use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

use gpm::chan::bounded;
use gpm::sync::{Mutex, WaitGroup};

/// How many numbers make one job.
pub const CHUNK: u64 = 10_000;

/// The number of steps from `n` down to 1.
pub fn collatz_steps(mut n: u64) -> u32 {
    let mut steps = 0;
    while n != 1 {
        n = if n.is_multiple_of(2) {
            n / 2
        } else {
            3 * n + 1
        };
        steps += 1;
    }
    steps
}

/// The longest chain in `range` as `(steps, n)`, the smallest `n` on a tie; `(0, 0)` if
/// the range is empty.
pub fn longest(range: Range<u64>) -> (u32, u64) {
    range.fold((0, 0), |best, n| {
        let steps = collatz_steps(n);
        if steps > best.0 {
            (steps, n)
        } else {
            best
        }
    })
}

/// What the workers found together.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The longest chain so far, as `(steps, n)`.
    pub best: (u32, u64),
    /// The jobs each worker did, by worker number.
    pub jobs_done: Vec<usize>,
}

/// The longest Collatz chain of the numbers `1..n`, found by `workers` goroutines.
pub fn pool(n: u64, workers: usize) -> Tally {
    let (jobs, queue) = bounded::<Range<u64>>(2 * workers);
    let tally = Arc::new(Mutex::new(Tally {
        best: (0, 0),
        jobs_done: vec![0; workers],
    }));
    let wg = WaitGroup::new();
    for w in 0..workers {
        wg.add(1); // before the goroutine starts, so `wait` cannot miss it
        let (queue, tally, wg) = (queue.clone(), tally.clone(), wg.clone());
        gpm::go!(move || {
            // Parks while the queue is empty; ends once it is closed and drained.
            for job in &queue {
                let found = longest(job);
                let mut t = tally.lock(); // parks if another worker holds it
                t.best = max_by_key(t.best, found, |&(steps, n)| (steps, Reverse(n)));
                t.jobs_done[w] += 1;
            } // the guard is dropped before the next (possibly parking) recv
            wg.done();
        });
    }
    drop(queue);
    for start in (1..n).step_by(CHUNK as usize) {
        // Parks while the queue is full: the workers set the pace.
        jobs.send(start..(start + CHUNK).min(n))
            .expect("the workers outlive the jobs");
    }
    drop(jobs); // close(jobs): each worker's loop ends once the queue is empty
    wg.wait(); // parks until every worker has called done
    let t = tally.lock().clone();
    t
}

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: worker_pool [N] [WORKERS]";
    let n: u64 = args.next().map_or(1_000_000, |a| a.parse().expect(usage));
    let workers: usize = args.next().map_or(8, |a| a.parse().expect(usage));
    assert!(workers > 0, "{usage}: WORKERS must be at least 1");
    let rt = gpm::Runtime::new().expect("runtime");

    let t = Instant::now();
    let tally = rt.block_on(move || pool(n, workers));
    let took_pool = t.elapsed();
    let t = Instant::now();
    let want = longest(1..n);
    let took_seq = t.elapsed();

    let (steps, at) = tally.best;
    println!(
        "below {n}, {at} has the longest Collatz chain: {steps} steps ({})",
        if tally.best == want {
            "correct"
        } else {
            "WRONG"
        }
    );
    println!(
        "{workers} workers on {} Ps: {:.1} ms; one plain loop: {:.1} ms",
        rt.procs(),
        took_pool.as_secs_f64() * 1e3,
        took_seq.as_secs_f64() * 1e3
    );
    println!(
        "jobs of {CHUNK} numbers done per worker: {:?}",
        tally.jobs_done
    );
    if tally.best != want {
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_chains() {
        assert_eq!(collatz_steps(1), 0);
        assert_eq!(collatz_steps(27), 111);
        assert_eq!(longest(1..10_000), (261, 6171));
    }

    #[test]
    fn pool_matches_the_loop() {
        let rt = gpm::Runtime::builder().procs(2).build().unwrap();
        for (n, workers) in [(1, 1), (2, 3), (10_000, 1), (100_000, 8)] {
            let tally = rt.block_on(move || pool(n, workers));
            assert_eq!(tally.best, longest(1..n), "n = {n}");
            let jobs = (n.saturating_sub(1)).div_ceil(CHUNK) as usize;
            assert_eq!(tally.jobs_done.iter().sum::<usize>(), jobs, "n = {n}");
            assert_eq!(tally.jobs_done.len(), workers);
        }
    }
}
