//! A generate → filter → fan-out → fan-in pipeline, after Go's "Pipelines and
//! cancellation" (<https://go.dev/blog/pipelines>), on gpm goroutines:
//!
//! ```text
//! cargo run --release -p gpm --example pipeline [N] [WORKERS]
//! ```
//!
//! `gen` sends 1..=N, `filter` keeps the odd numbers, `WORKERS` goroutines (default 4)
//! square what they receive from it (fan-out: they all receive from one channel, so each
//! value goes to whichever worker is free), `merge` forwards all their outputs onto one
//! channel (fan-in), and the caller sums them. The sum of the odd squares up to N is
//! `m (2m - 1) (2m + 1) / 3` with `m = ⌈N/2⌉` (default N = 1,000,000), and the example
//! checks it. Every channel is a rendezvous channel (`bounded(0)`, Go's `make(chan T)`):
//! each hand-over is a meeting, and whichever stage comes first parks until the other does.
//!
//! Every stage also selects on a `done` channel that nobody sends on: closing it (dropping
//! its only sender) is the quit signal, so a consumer that stops early makes every stage
//! return instead of leaving goroutines blocked for ever. The example shows that too.

use std::time::Instant;

use gpm::chan::{bounded, Receiver};
use gpm::{select, JoinHandle};

/// The goroutines of a pipeline, to be joined once it is done.
pub type Group = Vec<JoinHandle<()>>;

/// Stage 1: sends `1..=n` on the returned channel, which closes after `n`, or at once if
/// `done` closes.
pub fn gen(g: &mut Group, done: &Receiver<()>, n: u64) -> Receiver<u64> {
    let (out, rx) = bounded(0);
    let done = done.clone();
    g.push(gpm::go!(move || {
        for i in 1..=n {
            // Parks until the next stage takes `i` or `done` closes, whichever comes first.
            select! {
                send(out, i) -> r => if r.is_err() { return },
                recv(done) -> _ => return,
            }
        }
    }));
    rx
}

/// Stage 2: forwards the values from `input` for which `keep` is true, until `input` or
/// `done` closes.
pub fn filter(
    g: &mut Group,
    done: &Receiver<()>,
    input: Receiver<u64>,
    keep: impl Fn(u64) -> bool + Send + 'static,
) -> Receiver<u64> {
    let (out, rx) = bounded(0);
    let done = done.clone();
    g.push(gpm::go!(move || {
        for v in input.iter().filter(|&v| keep(v)) {
            select! {
                send(out, v) -> r => if r.is_err() { return },
                recv(done) -> _ => return,
            }
        }
    }));
    rx
}

/// Stage 3: squares what comes from `input` until it closes, or until `done` closes.
pub fn sq(g: &mut Group, done: &Receiver<()>, input: Receiver<u64>) -> Receiver<u64> {
    let (out, rx) = bounded(0);
    let done = done.clone();
    g.push(gpm::go!(move || {
        for v in &input {
            select! {
                send(out, v * v) -> r => if r.is_err() { return },
                recv(done) -> _ => return,
            }
        }
    }));
    rx
}

/// Stage 4: forwards everything from `inputs` onto one channel, which closes when all of
/// them have (each forwarder holds a sender; Go counts them with a WaitGroup), or when
/// `done` closes.
pub fn merge(g: &mut Group, done: &Receiver<()>, inputs: Vec<Receiver<u64>>) -> Receiver<u64> {
    let (out, rx) = bounded(0);
    for input in inputs {
        let (out, done) = (out.clone(), done.clone());
        g.push(gpm::go!(move || {
            for v in &input {
                select! {
                    send(out, v) -> r => if r.is_err() { return },
                    recv(done) -> _ => return,
                }
            }
        }));
    }
    rx
}

/// Builds gen → filter(odd) → sq × `workers` → merge and returns the merged output.
pub fn pipeline(g: &mut Group, done: &Receiver<()>, n: u64, workers: usize) -> Receiver<u64> {
    let numbers = gen(g, done, n);
    let odd = filter(g, done, numbers, |v| v % 2 == 1);
    // Fan-out: every worker receives from a clone of the same channel.
    let squares = (0..workers).map(|_| sq(g, done, odd.clone())).collect();
    drop(odd);
    merge(g, done, squares)
}

/// `1² + 3² + 5² + …` up to `n`, by the closed formula.
pub fn odd_squares_formula(n: u64) -> u64 {
    let m = n.div_ceil(2) as u128;
    ((4 * m * m * m - m) / 3) as u64 // m (2m - 1) (2m + 1) / 3
}

/// `1² + 3² + 5² + …` up to `n` through the pipeline, once every stage's goroutine has
/// ended.
pub fn sum_of_odd_squares(n: u64, workers: usize) -> u64 {
    let (quit, done) = bounded::<()>(0);
    let mut g = Group::new();
    let sum = pipeline(&mut g, &done, n, workers).iter().sum();
    drop(quit);
    for h in g {
        h.join().expect("a pipeline goroutine panicked");
    }
    sum
}

/// Takes only the first `k` results (in whatever order the workers deliver them), then
/// closes `done` and waits until every stage's goroutine has returned. Also returns how
/// many goroutines the pipeline had.
pub fn first_squares(n: u64, workers: usize, k: usize) -> (Vec<u64>, usize) {
    let (quit, done) = bounded::<()>(0);
    let mut g = Group::new();
    let out = pipeline(&mut g, &done, n, workers);
    let first: Vec<u64> = out.iter().take(k).collect();
    drop(quit); // close(done): every stage's select now takes its `done` case
    let goroutines = g.len();
    for h in g {
        h.join().expect("a pipeline goroutine panicked");
    }
    (first, goroutines)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: pipeline [N] [WORKERS]";
    let n: u64 = args.next().map_or(1_000_000, |a| a.parse().expect(usage));
    let workers: usize = args.next().map_or(4, |a| a.parse().expect(usage));
    assert!(workers > 0, "{usage}: WORKERS must be at least 1");
    let rt = gpm::Runtime::new().expect("runtime");

    let t = Instant::now();
    let sum = rt.block_on(move || sum_of_odd_squares(n, workers));
    let took = t.elapsed();
    let want = odd_squares_formula(n);
    println!(
        "sum of odd squares up to {n} through gen -> filter(odd) -> sq x{workers} -> merge: \
         {sum} ({}) in {:.1} ms, {} Ps",
        if sum == want { "correct" } else { "WRONG" },
        took.as_secs_f64() * 1e3,
        rt.procs()
    );

    let (first, goroutines) = rt.block_on(move || first_squares(n, workers, 10));
    println!(
        "the first {} squares out: {first:?}; then done was closed and all {goroutines} \
         goroutines returned",
        first.len()
    );
    if sum != want {
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula() {
        let by_hand = |n: u64| (1..=n).filter(|v| v % 2 == 1).map(|v| v * v).sum::<u64>();
        for n in 0..50 {
            assert_eq!(odd_squares_formula(n), by_hand(n), "n = {n}");
        }
    }

    #[test]
    fn sums() {
        let rt = gpm::Runtime::builder().procs(2).build().unwrap();
        for (n, workers) in [(0, 1), (1, 1), (10_000, 1), (10_000, 4)] {
            let sum = rt.block_on(move || sum_of_odd_squares(n, workers));
            assert_eq!(sum, odd_squares_formula(n), "n = {n}, workers = {workers}");
        }
    }

    #[test]
    fn stops_early() {
        let rt = gpm::Runtime::builder().procs(2).build().unwrap();
        let (first, goroutines) = rt.block_on(|| first_squares(1_000_000, 4, 10));
        assert_eq!(goroutines, 1 + 1 + 4 + 4);
        assert_eq!(first.len(), 10);
        // Whatever order they came in, they are squares of odd numbers.
        for s in first {
            let r = (s as f64).sqrt() as u64;
            assert!(r * r == s && r % 2 == 1, "{s}");
        }
    }
}
