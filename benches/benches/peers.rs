//! `cargo bench -p gpm-bench --bench peers [-- FILTER]`: gpm vs tokio vs may vs
//! `std::thread`, one table per workload, every runtime side by side in one run.
//!
//! Workloads: `spawn` (spawn+join), `yield`, `sleep`, `memory` (RSS per blocked task).
//! FILTER is a substring matched against the cell names (`spawn:gpm`, `memory:may:30000`,
//! ...), so `-- spawn` runs one workload and `-- tokio` one runtime. Each cell runs in a
//! fresh child process (see `gpm_bench::child`). Environment: see `gpm_bench::config`.

#[path = "peers/gpm_peer.rs"]
mod gpm_peer;
#[path = "peers/may_peer.rs"]
mod may_peer;
#[path = "peers/std_peer.rs"]
mod std_peer;
#[path = "peers/tokio_peer.rs"]
mod tokio_peer;

use std::time::Duration;

use gpm_bench::child::{self, Outcome};
use gpm_bench::config::Config;
use gpm_bench::stats::{self, fmt_kib, fmt_ns, ns};
use gpm_bench::table::{ratio, Table};

/// Tasks spawned and joined by the spawn workload (std::thread uses [`SPAWN_THREADS`]).
const SPAWN_TASKS: usize = 1_000_000;
/// The smaller spawn run for may, whose not-yet-run coroutines each hold an mmapped
/// stack, so spawning far more than ~32k before joining can exhaust `vm.max_map_count`.
const SPAWN_TASKS_MAY: usize = 30_000;
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
/// The smaller memory (and sleep) run for may, which can fail past ~32k coroutines
/// (two mappings per stack against `vm.max_map_count`).
const MEMORY_TASKS_MAY: usize = 30_000;
/// How long a blocked task sleeps before checking whether it is released.
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
    let wanted = |cell: &str| filter.is_empty() || filter.iter().any(|f| cell.contains(f.as_str()));
    println!(
        "gpm peers benchmark: procs={} runs={} (after 1 warm-up){}; ratios are other/gpm, \
         >1x means gpm is faster/smaller",
        cfg.procs,
        cfg.runs,
        if cfg.quick {
            ", QUICK sizes (1/10)"
        } else {
            ""
        },
    );
    let tables: [TableFn; 4] = [spawn_table, yield_table, sleep_table, memory_table];
    for table in tables {
        if let Some(t) = table(&cfg, &wanted) {
            print!("{}", t.render());
        }
    }
}

/// The cell-name filter given on the command line.
type Filter<'a> = &'a dyn Fn(&str) -> bool;

/// Runs one workload's cells and builds its table (`None` if the filter skips them all).
type TableFn = fn(&Config, Filter<'_>) -> Option<Table>;

/// Child side: runs one cell and prints its runs.
fn run_cell(cell: &str, cfg: &Config) {
    let parts: Vec<&str> = cell.split(':').collect();
    let (workload, runtime) = (parts[0], parts.get(1).copied().unwrap_or(""));
    let arg = parts.get(2).and_then(|a| a.parse::<usize>().ok());
    if workload == "memory" {
        let n = arg.unwrap_or(MEMORY_TASKS);
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
        let n = cfg.scale(SPAWN_THREADS);
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
            let n = arg.unwrap_or(cfg.scale(SPAWN_TASKS));
            for d in stats::measure(cfg.runs, || peer.spawn_join(n)) {
                child::report_run(&[ns(d) / n as f64]);
            }
        }
        "yield" => {
            let per = cfg.scale(YIELDS_PER_TASK);
            for d in stats::measure(cfg.runs, || peer.yields(YIELD_TASKS, per)) {
                child::report_run(&[ns(d) / (YIELD_TASKS * per) as f64, ns(d)]);
            }
        }
        "sleep" => {
            let n = arg.unwrap_or(cfg.scale(SLEEP_TASKS));
            for r in stats::measure(cfg.runs, || peer.sleep(n, SLEEP_FOR)) {
                let oversleep = ns(r.slept) / n as f64 - ns(SLEEP_FOR);
                child::report_run(&[ns(r.wall), oversleep]);
            }
        }
        other => panic!("unknown workload {other:?}"),
    }
}

/// One cell's result as seen by the orchestrator.
struct CellResult {
    /// Row label (`gpm`, `tokio`, ...).
    label: String,
    /// Workload size for this row (tasks or threads).
    size: usize,
    outcome: Outcome,
}

/// Runs every wanted cell `workload:<suffix>` of `rows` (`(label, suffix, size)`), in
/// order; `None` if the filter leaves none.
fn collect(
    cfg: &Config,
    wanted: Filter<'_>,
    workload: &str,
    rows: &[(&str, String, usize)],
) -> Option<Vec<CellResult>> {
    let cells: Vec<_> = rows
        .iter()
        .map(|(label, suffix, size)| (*label, format!("{workload}:{suffix}"), *size))
        .filter(|(_, cell, _)| wanted(cell))
        .collect();
    if cells.is_empty() {
        return None;
    }
    let results = cells
        .into_iter()
        .map(|(label, cell, size)| {
            eprintln!("running {cell} ...");
            let outcome = child::run(&cell, cfg.timeout);
            CellResult {
                label: label.to_string(),
                size,
                outcome,
            }
        })
        .collect();
    Some(results)
}

/// Column `i` of every run.
fn column(runs: &[Vec<f64>], i: usize) -> Vec<f64> {
    runs.iter()
        .map(|r| r.get(i).copied().unwrap_or(f64::NAN))
        .collect()
}

/// The gpm row's median of column `i`, if gpm ran and succeeded.
fn gpm_median(results: &[CellResult], i: usize) -> Option<f64> {
    results.iter().find_map(|r| match &r.outcome {
        Outcome::Runs(runs) if r.label == "gpm" => Some(stats::median(&column(runs, i))),
        _ => None,
    })
}

/// Adds a row of `lead` cells followed by "failed", plus a note with the reason.
fn failed_row(t: &mut Table, lead: Vec<String>, label: &str, reason: &str) {
    let mut row = lead;
    row.push("failed".to_string());
    t.row(row);
    t.note(format!("{label} failed: {reason}"));
}

fn spawn_table(cfg: &Config, wanted: Filter<'_>) -> Option<Table> {
    let (tasks, threads) = (cfg.scale(SPAWN_TASKS), cfg.scale(SPAWN_THREADS));
    let may_small = cfg.scale(SPAWN_TASKS_MAY);
    let rows = [
        ("gpm", "gpm".to_string(), tasks),
        ("tokio", "tokio".to_string(), tasks),
        ("may", "may".to_string(), tasks),
        ("may", format!("may:{may_small}"), may_small),
        ("std::thread", "std".to_string(), threads),
    ];
    let results = collect(cfg, wanted, "spawn", &rows)?;
    let mut t = Table::new(
        "spawn + join: ns per task (spawned from inside a task, then all joined)",
        &["runtime", "tasks", "median", "best", "vs gpm (median)"],
    );
    let gpm = gpm_median(&results, 0);
    for r in &results {
        let lead = vec![r.label.clone(), r.size.to_string()];
        match &r.outcome {
            Outcome::Runs(runs) => {
                let per = column(runs, 0);
                let m = stats::median(&per);
                let rest = [
                    fmt_ns(m),
                    fmt_ns(stats::best(&per)),
                    ratio(&r.label, m, gpm),
                ];
                t.row(lead.into_iter().chain(rest).collect());
            }
            Outcome::Failed(reason) => failed_row(&mut t, lead, &r.label, reason),
        }
    }
    t.note("std::thread: OS threads spawned from the main thread, then joined (per-spawn figure)");
    t.note(format!(
        "may is also run with {may_small} tasks: it can fail past ~32k live coroutines"
    ));
    Some(t)
}

fn yield_table(cfg: &Config, wanted: Filter<'_>) -> Option<Table> {
    let rows = [
        ("gpm", "gpm".to_string(), YIELD_TASKS),
        ("tokio", "tokio".to_string(), YIELD_TASKS),
        ("may", "may".to_string(), YIELD_TASKS),
    ];
    let results = collect(cfg, wanted, "yield", &rows)?;
    let per = cfg.scale(YIELDS_PER_TASK);
    let mut t = Table::new(
        format!("yield: {YIELD_TASKS} tasks x {per} yields each, ns per yield"),
        &[
            "runtime",
            "median",
            "best",
            "total (median)",
            "vs gpm (median)",
        ],
    );
    let gpm = gpm_median(&results, 0);
    for r in &results {
        let lead = vec![r.label.clone()];
        match &r.outcome {
            Outcome::Runs(runs) => {
                let per_yield = column(runs, 0);
                let m = stats::median(&per_yield);
                let rest = [
                    fmt_ns(m),
                    fmt_ns(stats::best(&per_yield)),
                    fmt_ns(stats::median(&column(runs, 1))),
                    ratio(&r.label, m, gpm),
                ];
                t.row(lead.into_iter().chain(rest).collect());
            }
            Outcome::Failed(reason) => failed_row(&mut t, lead, &r.label, reason),
        }
    }
    Some(t)
}

fn sleep_table(cfg: &Config, wanted: Filter<'_>) -> Option<Table> {
    let (n, n_may) = (cfg.scale(SLEEP_TASKS), cfg.scale(MEMORY_TASKS_MAY));
    let rows = [
        ("gpm", "gpm".to_string(), n),
        ("tokio", "tokio".to_string(), n),
        ("may", "may".to_string(), n),
        ("may", format!("may:{n_may}"), n_may),
    ];
    let results = collect(cfg, wanted, "sleep", &rows)?;
    let ideal = ns(SLEEP_FOR);
    let ms = SLEEP_FOR.as_millis();
    let mut t = Table::new(
        format!("sleep: tasks each sleeping {ms} ms, all spawned then all joined"),
        &[
            "runtime",
            "tasks",
            "wall (median)",
            "wall (best)",
            "overshoot",
            "task oversleep",
            "vs gpm (wall)",
        ],
    );
    let gpm = gpm_median(&results, 0);
    for r in &results {
        let lead = vec![r.label.clone(), r.size.to_string()];
        match &r.outcome {
            Outcome::Runs(runs) => {
                let wall = column(runs, 0);
                let m = stats::median(&wall);
                // Wall time is not per task: only compare rows of gpm's size.
                let vs = if r.size == n {
                    ratio(&r.label, m, gpm)
                } else {
                    "-".to_string()
                };
                let rest = [
                    fmt_ns(m),
                    fmt_ns(stats::best(&wall)),
                    format!("+{}", fmt_ns(m - ideal)),
                    format!("+{}", fmt_ns(stats::median(&column(runs, 1)))),
                    vs,
                ];
                t.row(lead.into_iter().chain(rest).collect());
            }
            Outcome::Failed(reason) => failed_row(&mut t, lead, &r.label, reason),
        }
    }
    t.note(format!(
        "overshoot = median wall - ideal {ms} ms; task oversleep = time inside the sleep call \
         - {ms} ms (mean over tasks, median over runs)"
    ));
    t.note(format!(
        "may is also run with {n_may} tasks: it can fail past ~32k live coroutines"
    ));
    Some(t)
}

fn memory_table(cfg: &Config, wanted: Filter<'_>) -> Option<Table> {
    let (n, n_may) = (cfg.scale(MEMORY_TASKS), cfg.scale(MEMORY_TASKS_MAY));
    let rows = [
        ("gpm", format!("gpm:{n}"), n),
        ("tokio", format!("tokio:{n}"), n),
        ("may", format!("may:{n}"), n),
        ("may", format!("may:{n_may}"), n_may),
    ];
    let results = collect(cfg, wanted, "memory", &rows)?;
    let mut t = Table::new(
        "memory: RSS growth per blocked task (fresh process per runtime, all tasks asleep)",
        &[
            "runtime",
            "tasks",
            "RSS delta",
            "KiB/task",
            "vs gpm (KiB/task)",
        ],
    );
    let gpm = gpm_median(&results, 0);
    for r in &results {
        let lead = vec![r.label.clone(), r.size.to_string()];
        match &r.outcome {
            Outcome::Runs(runs) => {
                let per = stats::median(&column(runs, 0));
                let delta = fmt_kib(stats::median(&column(runs, 1)));
                let rest = [delta, format!("{per:.2}"), ratio(&r.label, per, gpm)];
                t.row(lead.into_iter().chain(rest).collect());
            }
            Outcome::Failed(reason) => failed_row(&mut t, lead, &r.label, reason),
        }
    }
    t.note(format!(
        "each task bumps a counter, then sleeps {} s at a time until released; RSS \
         (/proc/self/statm) is read once all have arrived, minus the warmed-up runtime's",
        BLOCK_FOR.as_secs()
    ));
    Some(t)
}
