//! Orchestrator side of the sync benchmark: one table per workload, one row per peer
//! (each a fresh child process), ns per operation and the ratio to gpm.

use gpm_bench::child::{self, Outcome};
use gpm_bench::config::Config;
use gpm_bench::stats::{self, fmt_ns};
use gpm_bench::table::{ratio, Table};

use crate::{COUNTER_TASKS, INCREMENTS_PER_TASK, UNCONTENDED_LOCKS};

/// Every peer, gpm first (the ratio baseline), with what it runs on.
const PEERS: &[(&str, &str)] = &[
    ("gpm", "goroutines, gpm::sync::Mutex"),
    ("std", "OS threads, std::sync::Mutex"),
    ("parking_lot", "OS threads, parking_lot::Mutex"),
    ("tokio", "tasks, tokio::sync::Mutex"),
    ("may", "coroutines, may::sync::Mutex"),
];

/// Runs every table the filter selects and prints it.
pub fn print_all(cfg: &Config, filter: &[String]) {
    let quick = if cfg.quick {
        ", QUICK sizes (1/10)"
    } else {
        ""
    };
    println!(
        "gpm sync benchmark: procs={} runs={} (median/best of runs after 1 warm-up){quick}; \
         ratios are other/gpm, >1x means gpm is faster",
        cfg.procs, cfg.runs,
    );
    let wanted = |cell: &str| filter.is_empty() || filter.iter().any(|f| cell.contains(f.as_str()));
    let per_task = cfg.scale(INCREMENTS_PER_TASK);
    let tables = [
        (
            "counter",
            COUNTER_TASKS,
            format!(
                "contended counter: {COUNTER_TASKS} tasks x {per_task} increments of one \
                 mutex-protected u64, ns per increment"
            ),
        ),
        (
            "uncontended",
            cfg.scale(UNCONTENDED_LOCKS),
            "uncontended: one task, lock + increment + unlock of its own mutex, ns per pair"
                .to_string(),
        ),
    ];
    for (workload, size, title) in tables {
        let mut t = Table::new(title, &["peer", "runs on", "median", "best", "ratio"]);
        let mut gpm = None;
        let mut any = false;
        for &(peer, what) in PEERS {
            let cell = format!("{workload}:{peer}:{size}");
            if !wanted(&cell) {
                continue;
            }
            any = true;
            eprintln!("running {cell} ...");
            match child::run(&cell, cfg.timeout) {
                Outcome::Runs(runs) => {
                    let per: Vec<f64> = runs.iter().filter_map(|r| r.first().copied()).collect();
                    let m = stats::median(&per);
                    if peer == "gpm" {
                        gpm = Some(m);
                    }
                    t.row(vec![
                        peer.to_string(),
                        what.to_string(),
                        fmt_ns(m),
                        fmt_ns(stats::best(&per)),
                        ratio(peer, m, gpm),
                    ]);
                }
                Outcome::Failed(why) => t.row(vec![
                    peer.to_string(),
                    what.to_string(),
                    format!("FAILED: {why}"),
                ]),
            }
        }
        if any {
            if workload == "counter" {
                t.note(format!(
                    "{} workers/Ps for gpm, tokio and may; one OS thread per task for std and \
                     parking_lot; the time runs from opening the start gate to the last join",
                    cfg.procs
                ));
            }
            print!("{}", t.render());
        }
    }
}
