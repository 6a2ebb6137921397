//! `cargo bench -p gpm-bench --bench sysmon [-- FILTER]`: what sysmon's P handoff
//! (`gpm::syscall`, issue 5) buys and costs, against gpm with the handoff off
//! (`RuntimeBuilder::handoff(false)`), tokio and may.
//!
//! Workloads:
//! - `mixed`: a pipeline of [`STAGES`] channel workers carries [`MESSAGES`] messages while
//!   [`READERS`] reader tasks make blocking calls (a 4 KiB `std::fs::read`, or a 200 µs
//!   `std::thread::sleep` standing in for a slow disk) and send each result to a
//!   collector task. Total wall time, the pipeline's time and throughput, the readers'.
//! - `call`: ns per `gpm::syscall(|| black_box(i))` vs the plain call vs tokio's
//!   `block_in_place`, on 1 and `GPM_BENCH_PROCS` Ps.
//! - `block`: ns per `syscall(|| thread::sleep(100 µs))` with goroutines queued behind it
//!   (so sysmon hands the P off on every call), vs the sleep on a plain thread: the cost
//!   of the handoff path, and how much the queued goroutines got to run meanwhile.
//!
//! Every cell builds its runtime once and reuses it for the warm-up and the measured runs,
//! as the other benches do; the `gpm-fresh` rows build a new gpm runtime for every run
//! (not timed), because sysmon's behaviour differs between a runtime's first `block_on`
//! and later ones (see the notes printed under the tables).
//!
//! Each cell runs in a fresh child process (see `gpm_bench::child`), named like
//! `mixed:sleep:gpm-nohandoff`, `call:tokio:1:200000` or `block:gpm:2:2000`; FILTER is a
//! substring of those names. Every run checks its result (the pipeline's and the
//! collector's sums, the calls' sum or count) before its figures are printed.
//! Environment knobs (`GPM_BENCH_QUICK`, `_RUNS`, `_PROCS`, `_TIMEOUT`): see
//! `gpm_bench::config`. This file holds the sizes and the child side; `sysmon/tables.rs`
//! the orchestrator side; `sysmon/work.rs` the blocking call; `sysmon/<peer>.rs` one peer
//! each.

#[path = "sysmon/gpm_peer.rs"]
mod gpm_peer;
#[path = "chan/may_bounded.rs"]
mod may_bounded;
#[path = "sysmon/may_peer.rs"]
mod may_peer;
#[path = "sysmon/tables.rs"]
mod tables;
#[path = "sysmon/tokio_peer.rs"]
mod tokio_peer;
#[path = "sysmon/work.rs"]
mod work;

use std::sync::Arc;
use std::time::{Duration, Instant};

use gpm_bench::child;
use gpm_bench::config::Config;
use gpm_bench::stats::{self, ns};

use work::{Mixed, Work};

/// Reader tasks in the mixed workload.
const READERS: usize = 8;
/// Blocking calls per reader when the call is a file read.
const FILE_READS: usize = 5_000;
/// Blocking calls per reader when the call is a sleep.
const SLEEP_READS: usize = 500;
/// Size of the file the readers read.
const FILE_LEN: usize = 4096;
/// The sleep standing in for a slow disk read.
const READ_SLEEP: Duration = Duration::from_micros(200);
/// Channel workers in the mixed workload's pipeline.
const STAGES: usize = 100;
/// Messages through the pipeline.
const MESSAGES: usize = 20_000;
/// Capacity of every channel in the mixed workload.
const CAP: usize = 16;
/// Plain `black_box` calls per run.
const CALLS_PLAIN: usize = 100_000_000;
/// `gpm::syscall` calls per run.
const CALLS_SYSCALL: usize = 10_000_000;
/// `block_in_place` calls per run.
const CALLS_TOKIO: usize = 10_000_000;
/// Blocking calls per run in the `block` workload.
const BLOCK_CALLS: usize = 2_000;
/// How long each of them sleeps.
const BLOCK_SLEEP: Duration = Duration::from_micros(100);

/// The mixed workload's sizes for a variant (`file` or `sleep`); `readers: 0` for the
/// pipeline-alone row.
pub fn mixed_sizes(cfg: &Config, variant: &str, readers: usize) -> Mixed {
    let reads = match variant {
        "file" => FILE_READS,
        "sleep" => SLEEP_READS,
        other => panic!("unknown mixed variant {other:?}"),
    };
    Mixed {
        readers,
        reads: cfg.scale(reads),
        stages: STAGES,
        messages: cfg.scale(MESSAGES),
        cap: CAP,
    }
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

/// Child side: runs one cell, checks every run and prints its figures.
fn run_cell(cell: &str, cfg: &Config) {
    let parts: Vec<&str> = cell.split(':').collect();
    match parts[..] {
        ["mixed", variant, peer] => mixed_cell(cell, cfg, variant, peer),
        ["call", peer, procs, n] => call_cell(cell, cfg, peer, parse(procs), parse(n)),
        ["block", peer, procs, n] => block_cell(cell, cfg, peer, parse(procs), parse(n)),
        _ => panic!("bad cell name {cell:?}"),
    }
}

fn parse(s: &str) -> usize {
    s.parse().unwrap_or_else(|_| panic!("bad number {s:?}"))
}

/// Figures: total, pipeline and readers time, ns.
fn mixed_cell(cell: &str, cfg: &Config, variant: &str, peer: &str) {
    let readers = if peer == "gpm-alone" { 0 } else { READERS };
    let m = mixed_sizes(cfg, variant, readers);
    let work = Arc::new(match variant {
        "file" => Work::file(FILE_LEN),
        _ => Work::Sleep(READ_SLEEP),
    });
    let want_reads = (m.readers * m.reads) as u64 * work.expected(FILE_LEN);
    let run: Box<dyn Fn() -> work::MixedRun> = match peer {
        "gpm" | "gpm-alone" | "gpm-nohandoff" => {
            let g = gpm_peer::Gpm::new(cfg.procs, peer != "gpm-nohandoff");
            let work = work.clone();
            Box::new(move || g.mixed(m, work.clone()))
        }
        "gpm-fresh" => {
            let (work, procs) = (work.clone(), cfg.procs);
            Box::new(move || gpm_peer::Gpm::new(procs, true).mixed(m, work.clone()))
        }
        "tokio-bip" | "tokio-spawn" => {
            let t = tokio_peer::Tokio::new(cfg.procs);
            let how = if peer == "tokio-bip" {
                tokio_peer::Blocking::InPlace
            } else {
                tokio_peer::Blocking::Spawn
            };
            let work = work.clone();
            Box::new(move || t.mixed(m, work.clone(), how))
        }
        "may" => {
            let may = may_peer::May::new(cfg.procs);
            let work = work.clone();
            Box::new(move || may.mixed(m, work.clone()))
        }
        other => panic!("unknown peer {other:?}"),
    };
    for r in stats::measure(cfg.runs, run) {
        assert_eq!(r.pipe_sum, m.pipeline_sum(), "{cell}: wrong pipeline sum");
        assert_eq!(r.read_sum, want_reads, "{cell}: wrong readers' sum");
        child::report_run(&[ns(r.total), ns(r.pipeline), ns(r.readers)]);
    }
}

/// Figure: ns per call.
fn call_cell(cell: &str, cfg: &Config, peer: &str, procs: usize, n: usize) {
    let run: Box<dyn Fn() -> (Duration, u64)> = match peer {
        "plain" | "gpm" => {
            let g = gpm_peer::Gpm::new(procs, true);
            let syscall = peer == "gpm";
            Box::new(move || g.calls(n, syscall))
        }
        "tokio" => {
            let t = tokio_peer::Tokio::new(procs);
            Box::new(move || t.calls(n))
        }
        other => panic!("unknown peer {other:?}"),
    };
    let want = (n as u64) * (n as u64).saturating_sub(1) / 2;
    for (d, sum) in stats::measure(cfg.runs, run) {
        assert_eq!(sum, want, "{cell}: wrong sum");
        child::report_run(&[ns(d) / n as f64]);
    }
}

/// Figures: ns per blocking call, and the yields per ms the queued tasks made meanwhile
/// (NaN where there are none).
fn block_cell(cell: &str, cfg: &Config, peer: &str, procs: usize, n: usize) {
    let yielders = procs;
    let run: Box<dyn Fn() -> (Duration, u64, u64)> = match peer {
        "thread" => Box::new(move || {
            let start = Instant::now();
            let mut calls = 0u64;
            for _ in 0..n {
                std::thread::sleep(BLOCK_SLEEP);
                calls += 1;
            }
            (start.elapsed(), calls, 0)
        }),
        "gpm-solo" => {
            let g = gpm_peer::Gpm::new(procs, true);
            Box::new(move || g.blocking(n, BLOCK_SLEEP, 0))
        }
        "gpm" | "gpm-nohandoff" => {
            let g = gpm_peer::Gpm::new(procs, peer == "gpm");
            Box::new(move || g.blocking(n, BLOCK_SLEEP, yielders))
        }
        "gpm-fresh" => {
            Box::new(move || gpm_peer::Gpm::new(procs, true).blocking(n, BLOCK_SLEEP, yielders))
        }
        "tokio" => {
            let t = tokio_peer::Tokio::new(procs);
            Box::new(move || t.blocking(n, BLOCK_SLEEP, yielders))
        }
        other => panic!("unknown peer {other:?}"),
    };
    let has_yielders = !matches!(peer, "thread" | "gpm-solo");
    for (d, calls, yields) in stats::measure(cfg.runs, run) {
        assert_eq!(calls, n as u64, "{cell}: wrong call count");
        let per_ms = if has_yielders {
            yields as f64 / (d.as_secs_f64() * 1e3)
        } else {
            f64::NAN
        };
        child::report_run(&[ns(d) / n as f64, per_ms]);
    }
}
