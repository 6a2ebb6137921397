//! `cargo bench -p gpm-bench --bench switch`: what one context switch costs, single-threaded.
//!
//! Two rows, each the best and the median of [`RUNS`] runs (after one discarded warm-up):
//!
//! - **corosensei round trip**: `resume` into a coroutine on a `gpm_g::stack::Stack` and
//!   `suspend` straight back, [`SWITCHES`] times. This is the floor: two stack switches and
//!   nothing else.
//! - **gpm `yield_now`**: a runtime with one P runs two goroutines that call
//!   `gpm::yield_now` in turn, [`SWITCHES`] yields in all. One yield switches the yielding
//!   goroutine out to its M's schedule loop, puts it at the back of the local queue, picks
//!   the other goroutine and switches into it: the same two stack switches plus one trip
//!   through the scheduler.
//!
//! Both are reported per operation (one round trip, one yield) and per stack switch (half
//! of that). The machine is shared and noisy, so read the best column for the cost and the
//! median for how steady it was.

use std::time::{Duration, Instant};

use corosensei::{Coroutine, CoroutineResult};
use gpm_bench::stats::{best, median, ns};
use gpm_g::stack::Stack;

/// Round trips (row 1) or yields (row 2) per run.
const SWITCHES: u64 = 10_000_000;
/// Measured runs per row.
const RUNS: usize = 5;
/// Stack size for the raw coroutine: gpm's default.
const STACK_SIZE: usize = gpm::DEFAULT_STACK_SIZE;

fn main() {
    let mut stack = Some(Stack::new(STACK_SIZE).expect("allocate a goroutine stack"));
    let raw = runs(|| {
        let (d, s) = corosensei_round_trips(stack.take().expect("stack"), SWITCHES);
        stack = Some(s);
        d
    });

    let rt = gpm::Runtime::builder()
        .procs(1)
        .build()
        .expect("build a 1-proc runtime");
    let yields = runs(|| rt.block_on(|| gpm_yields(SWITCHES)));

    println!("context switch, single-threaded: best and median of {RUNS} runs of {SWITCHES} ops");
    println!();
    println!(
        "| {:<40} | {:>10} | {:>12} | {:>14} | {:>16} |",
        "op", "ns/op best", "ns/op median", "ns/switch best", "ns/switch median"
    );
    println!(
        "|{:-<42}|{:->11}:|{:->13}:|{:->15}:|{:->17}:|",
        "", "", "", "", ""
    );
    row("corosensei resume+suspend round trip", &raw);
    row("gpm yield_now, 1 proc, 2 goroutines", &yields);
}

/// Runs `f` once to warm up, then [`RUNS`] times; each result is ns per operation.
fn runs(mut f: impl FnMut() -> Duration) -> Vec<f64> {
    let _warm_up = f();
    (0..RUNS).map(|_| ns(f()) / SWITCHES as f64).collect()
}

/// Prints one table row: per operation, and per stack switch (two per operation).
fn row(name: &str, per_op: &[f64]) {
    let (b, m) = (best(per_op), median(per_op));
    println!(
        "| {name:<40} | {b:>10.1} | {m:>12.1} | {:>14.1} | {:>16.1} |",
        b / 2.0,
        m / 2.0
    );
}

/// `n` resume+suspend round trips into a coroutine on `stack`; returns the time taken and
/// the stack, which the finished coroutine gives back for the next run.
fn corosensei_round_trips(stack: Stack, n: u64) -> (Duration, Stack) {
    let mut co: Coroutine<(), (), (), Stack> = Coroutine::with_stack(stack, move |y, ()| {
        for _ in 0..n {
            y.suspend(());
        }
    });
    let start = Instant::now();
    let mut trips = 0u64;
    while let CoroutineResult::Yield(()) = co.resume(()) {
        trips += 1;
    }
    let elapsed = start.elapsed();
    assert_eq!(trips, n);
    (elapsed, co.into_stack())
}

/// Runs inside a goroutine of a 1-proc runtime: two goroutines yield `n / 2` times each,
/// taking turns. Returns the time from the first spawn to the second join.
fn gpm_yields(n: u64) -> Duration {
    let per_g = n / 2;
    let start = Instant::now();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            gpm::spawn(move || {
                for _ in 0..per_g {
                    gpm::yield_now();
                }
            })
        })
        .collect();
    for h in handles {
        gpm_bench::joined(h.join());
    }
    start.elapsed()
}
