//! `cargo bench -p gpm-bench --bench trace`: what scheduler tracing costs, off and on.
//!
//! Three scheduler-bound workloads, each timed inside `block_on` (so building the runtime
//! and writing the file are not counted), [`RUNS`] runs per mode after a warm-up, modes
//! interleaved run by run so that a noisy neighbour hits both alike:
//!
//! - **yield**: 1 P, two goroutines calling `yield_now` in turn ([`YIELDS`] in all);
//!   every yield is a `stop` and a `run` event;
//! - **ping-pong**: 2 Ps, two goroutines bouncing a value over two rendezvous channels
//!   ([`ROUND_TRIPS`] round trips); two parks, two readies and two runs per trip;
//! - **spawn+join**: 2 Ps, [`SPAWNS`] goroutines spawned and joined in batches of 1,000.
//!
//! "off" is a runtime without a trace, so each event site costs its one relaxed load;
//! "on" records into memory (`RuntimeBuilder::trace`), and the table also gives the time
//! the drop took to write the file, and its size. What "off" costs against a build with
//! no event sites at all is measured by running this bench's "off" rows at the commit
//! before tracing landed (see `docs/design.md` §15).

use std::time::{Duration, Instant};

use gpm_bench::stats::{fmt_ns, median, ns};

const RUNS: usize = 5;
const YIELDS: u64 = 2_000_000;
const ROUND_TRIPS: u64 = 200_000;
const SPAWNS: u64 = 100_000;

type Workload = fn() -> u64;

fn yields() -> u64 {
    let other = gpm::go!(|| (0..YIELDS / 2).for_each(|_| gpm::yield_now()));
    (0..YIELDS / 2).for_each(|_| gpm::yield_now());
    other.join().unwrap();
    YIELDS
}

fn ping_pong() -> u64 {
    let (ping_tx, ping_rx) = gpm::bounded::<u64>(0);
    let (pong_tx, pong_rx) = gpm::bounded::<u64>(0);
    let echo = gpm::go!(move || {
        for v in ping_rx {
            pong_tx.send(v + 1).unwrap();
        }
    });
    for i in 0..ROUND_TRIPS {
        ping_tx.send(i).unwrap();
        assert_eq!(pong_rx.recv().unwrap(), i + 1);
    }
    drop(ping_tx);
    echo.join().unwrap();
    ROUND_TRIPS
}

fn spawn_join() -> u64 {
    for batch in 0..SPAWNS / 1000 {
        let hs: Vec<_> = (0..1000u64).map(|i| gpm::go!(move || i + batch)).collect();
        let sum: u64 = hs.into_iter().map(|h| h.join().unwrap()).sum();
        std::hint::black_box(sum);
    }
    SPAWNS
}

/// One timed run of `w` on a fresh runtime; with `trace`, also the time the drop took to
/// write the file and the file's size.
fn run(w: Workload, procs: usize, trace: bool) -> (f64, Option<(Duration, u64)>) {
    let path = std::env::temp_dir().join(format!("gpm-trace-bench-{}.json", std::process::id()));
    let mut b = gpm::Runtime::builder().procs(procs);
    if trace {
        b = b.trace(&path);
    }
    let rt = b.build().expect("build the runtime");
    let (elapsed, ops) = rt.block_on(move || {
        let t = Instant::now();
        let ops = w();
        (t.elapsed(), ops)
    });
    let t = Instant::now();
    drop(rt);
    let wrote = trace.then(|| {
        let d = t.elapsed();
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        let _ = std::fs::remove_file(&path);
        (d, size)
    });
    (ns(elapsed) / ops as f64, wrote)
}

fn main() {
    let workloads: [(&str, Workload, usize); 3] = [
        ("yield (1 P)", yields, 1),
        ("ping-pong round trip (2 Ps)", ping_pong, 2),
        ("spawn+join (2 Ps)", spawn_join, 2),
    ];
    println!("scheduler tracing: median of {RUNS} runs per mode, per operation");
    println!();
    println!(
        "| {:<28} | {:>10} | {:>10} | {:>7} | {:>12} | {:>10} |",
        "workload", "off", "on", "on/off", "write (drop)", "file"
    );
    println!(
        "|{:-<30}|{:->11}:|{:->11}:|{:->8}:|{:->13}:|{:->11}:|",
        "", "", "", "", "", ""
    );
    for (name, w, procs) in workloads {
        let _ = run(w, procs, false);
        let _ = run(w, procs, true);
        let (mut off, mut on, mut writes) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..RUNS {
            off.push(run(w, procs, false).0);
            let (t, wrote) = run(w, procs, true);
            on.push(t);
            writes.extend(wrote);
        }
        let (off, on) = (median(&off), median(&on));
        let write = median(&writes.iter().map(|w| ns(w.0)).collect::<Vec<_>>());
        let size = writes.iter().map(|w| w.1).max().unwrap_or(0);
        println!(
            "| {name:<28} | {:>10} | {:>10} | {:>6.2}x | {:>12} | {:>7.1} MB |",
            fmt_ns(off),
            fmt_ns(on),
            on / off,
            fmt_ns(write),
            size as f64 / 1e6
        );
    }
}
