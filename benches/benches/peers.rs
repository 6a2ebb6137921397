//! `cargo bench -p gpm-bench --bench peers [-- FILTER]`: gpm vs tokio vs may vs
//! `std::thread`, one table per workload, every runtime side by side in one run.
//!
//! Workloads: `spawn` (spawn+join), `yield`, `sleep`, `memory` (RSS per blocked task).
//! Each (workload, runtime, size) cell runs in a fresh child process (see
//! `gpm_bench::child`), named like `spawn:gpm:1000000` or `memory:may:30000`. FILTER is a
//! substring of those names: `-- spawn` runs one workload, `-- tokio` one runtime.
//! Environment knobs: see `gpm_bench::config`. This file holds the workload sizes and
//! the child side; `peers/tables.rs` the orchestrator side.

#[path = "peers/gpm_peer.rs"]
mod gpm_peer;
#[path = "peers/may_peer.rs"]
mod may_peer;
#[path = "peers/std_peer.rs"]
mod std_peer;
#[path = "peers/tables.rs"]
mod tables;
#[path = "peers/tokio_peer.rs"]
mod tokio_peer;

use std::time::Duration;

use gpm_bench::child;
use gpm_bench::config::Config;
use gpm_bench::stats::{self, ns};

/// Tasks spawned and joined by the spawn workload.
const SPAWN_TASKS: usize = 1_000_000;
/// OS threads spawned and joined by the std::thread row of the spawn workload.
const SPAWN_THREADS: usize = 10_000;
/// Tasks in the yield workload.
const YIELD_TASKS: usize = 1_000;
/// Yields per task in the yield workload.
const YIELDS_PER_TASK: usize = 10_000;
/// Tasks in the sleep workload.
const SLEEP_TASKS: usize = 100_000;
/// How long each task sleeps in the sleep workload.
const SLEEP_FOR: Duration = Duration::from_millis(10);
/// Tasks blocked at once in the memory workload.
const MEMORY_TASKS: usize = 100_000;
/// The second, smaller size of the spawn, sleep and memory workloads. A stackful
/// runtime with one mmapped, guard-paged stack per live task (two mappings each) can
/// fail past ~32k live tasks under the default `vm.max_map_count` of 65530.
const SMALL_TASKS: usize = 30_000;
/// How long a blocked task (memory workload) sleeps before checking for release.
const BLOCK_FOR: Duration = Duration::from_secs(1);

/// One sleep-workload run.
pub struct SleepRun {
    /// Spawn-all-then-join-all wall time.
    pub wall: Duration,
    /// Sum over tasks of the time each actually spent in its sleep call.
    pub slept: Duration,
}

/// A runtime under test (std::thread only takes part in the spawn workload).
pub trait Peer {
    /// Spawns `n` tasks returning a small value from inside a task, then joins them all;
    /// returns the time from the first spawn to the last join.
    fn spawn_join(&self, n: usize) -> Duration;
    /// `tasks` tasks each yielding `per_task` times; spawn-to-last-join time.
    fn yields(&self, tasks: usize, per_task: usize) -> Duration;
    /// `n` tasks each sleeping `d`, all spawned then all joined.
    fn sleep(&self, n: usize, d: Duration) -> SleepRun;
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

/// Child side: runs one cell (`workload:runtime:size`) and prints its runs.
fn run_cell(cell: &str, cfg: &Config) {
    let parts: Vec<&str> = cell.split(':').collect();
    let [workload, runtime, size] = parts[..] else {
        panic!("bad cell name {cell:?}");
    };
    let n: usize = size.parse().expect("cell size");
    if workload == "memory" {
        let r = match runtime {
            "gpm" => gpm_peer::blocked(cfg.procs, n, BLOCK_FOR),
            "tokio" => tokio_peer::blocked(cfg.procs, n, BLOCK_FOR),
            "may" => may_peer::blocked(cfg.procs, n, BLOCK_FOR),
            other => panic!("unknown runtime {other:?}"),
        };
        child::report_run(&[r.per_task_kib, r.delta_kib]);
        return;
    }
    if runtime == "std" {
        for d in stats::measure(cfg.runs, || std_peer::spawn_join(n)) {
            child::report_run(&[ns(d) / n as f64]);
        }
        return;
    }
    let peer: Box<dyn Peer> = match runtime {
        "gpm" => Box::new(gpm_peer::Gpm::new(cfg.procs)),
        "tokio" => Box::new(tokio_peer::Tokio::new(cfg.procs)),
        "may" => Box::new(may_peer::May::new(cfg.procs)),
        other => panic!("unknown runtime {other:?}"),
    };
    match workload {
        "spawn" => {
            for d in stats::measure(cfg.runs, || peer.spawn_join(n)) {
                child::report_run(&[ns(d) / n as f64]);
            }
        }
        "yield" => {
            // `n` is the number of yields per task.
            for d in stats::measure(cfg.runs, || peer.yields(YIELD_TASKS, n)) {
                child::report_run(&[ns(d) / (YIELD_TASKS * n) as f64, ns(d)]);
            }
        }
        "sleep" => {
            for r in stats::measure(cfg.runs, || peer.sleep(n, SLEEP_FOR)) {
                let oversleep = ns(r.slept) / n as f64 - ns(SLEEP_FOR);
                child::report_run(&[ns(r.wall), oversleep]);
            }
        }
        other => panic!("unknown workload {other:?}"),
    }
}
