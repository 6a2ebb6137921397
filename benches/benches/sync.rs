//! `cargo bench -p gpm-bench --bench sync [-- FILTER]`: mutexes compared across gpm
//! (goroutines), std::sync and parking_lot (OS threads), tokio (tasks) and may
//! (coroutines), every peer side by side in one run.
//!
//! Workloads: `counter` (1,000 tasks each incrementing one shared counter behind the
//! peer's mutex, all released at once by a start gate; ns per increment) and
//! `uncontended` (one task locking and unlocking its own mutex; ns per lock+unlock). Each
//! (workload, peer, size) cell runs in a fresh child process (see `gpm_bench::child`),
//! named like `counter:gpm:1000` or `uncontended:tokio:10000000`; FILTER is a substring of
//! those names. Environment knobs (`GPM_BENCH_QUICK`, `_RUNS`, `_PROCS`, `_TIMEOUT`): see
//! `gpm_bench::config`. This file holds the sizes, the peer trait and the child side;
//! `sync/tables.rs` the orchestrator side; `sync/<peer>.rs` one peer each.

#[path = "sync/gpm_peer.rs"]
mod gpm_peer;
#[path = "sync/may_peer.rs"]
mod may_peer;
#[path = "sync/tables.rs"]
mod tables;
#[path = "sync/thread_peers.rs"]
mod thread_peers;
#[path = "sync/tokio_peer.rs"]
mod tokio_peer;

use std::time::Duration;

use gpm_bench::child;
use gpm_bench::config::Config;
use gpm_bench::stats::{self, ns};

/// Tasks contending for the counter.
const COUNTER_TASKS: usize = 1_000;
/// Increments per task in the counter workload.
const INCREMENTS_PER_TASK: usize = 2_000;
/// Lock+unlock pairs in the uncontended workload.
const UNCONTENDED_LOCKS: usize = 10_000_000;

/// A mutex implementation with its kind of task.
pub trait Peer {
    /// `tasks` tasks wait at a start gate, then each increments one shared `u64` behind the
    /// mutex `per_task` times. Returns the time from opening the gate to the last join, and
    /// the final count (checked by the child).
    fn counter(&self, tasks: usize, per_task: usize) -> (Duration, u64);
    /// One task locks and unlocks a mutex nobody else touches `n` times, incrementing the
    /// value each time; returns the time and the final value.
    fn uncontended(&self, n: usize) -> (Duration, u64);
}

fn main() {
    let cfg = Config::from_env();
    if let Ok(cell) = std::env::var(child::CELL_ENV) {
        child::exit_on_panic();
        run_cell(&cell, &cfg);
        return;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    tables::print_all(&cfg, &filter);
}

/// Child side: runs one cell (`workload:peer:size`), checks every run's count and prints
/// its time per operation in ns.
fn run_cell(cell: &str, cfg: &Config) {
    let parts: Vec<&str> = cell.split(':').collect();
    let [workload, peer, size] = parts[..] else {
        panic!("bad cell name {cell:?}");
    };
    let n: usize = size.parse().expect("cell size");
    let peer = make_peer(peer, cfg.procs);
    let per_task = cfg.scale(INCREMENTS_PER_TASK);
    let (run, ops): (Box<dyn Fn() -> (Duration, u64)>, usize) = match workload {
        "counter" => (Box::new(|| peer.counter(n, per_task)), n * per_task),
        "uncontended" => (Box::new(|| peer.uncontended(n)), n),
        other => panic!("unknown workload {other:?}"),
    };
    for (d, count) in stats::measure(cfg.runs, run) {
        assert_eq!(count, ops as u64, "{cell}: wrong count");
        child::report_run(&[ns(d) / ops as f64]);
    }
}

fn make_peer(name: &str, procs: usize) -> Box<dyn Peer> {
    match name {
        "gpm" => Box::new(gpm_peer::Gpm::new(procs)),
        "std" => Box::new(thread_peers::Std),
        "parking_lot" => Box::new(thread_peers::ParkingLot),
        "tokio" => Box::new(tokio_peer::Tokio::new(procs)),
        "may" => Box::new(may_peer::May::new(procs)),
        other => panic!("unknown peer {other:?}"),
    }
}
