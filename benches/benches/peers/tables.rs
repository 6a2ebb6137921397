//! Orchestrator side of the peers benchmark: which cells each workload's table has, how
//! a cell's runs become table cells, and the ratio-to-gpm column.

use gpm_bench::child::{self, Outcome};
use gpm_bench::config::Config;
use gpm_bench::stats::{self, fmt_kib, fmt_ns, ns};
use gpm_bench::table::{ratio, Table};

use crate::{
    BLOCK_FOR, MEMORY_TASKS, SLEEP_FOR, SLEEP_TASKS, SMALL_TASKS, SPAWN_TASKS, SPAWN_THREADS,
    YIELDS_PER_TASK, YIELD_TASKS,
};

/// A cell's runs (one `Vec` of figures per run) to the figure the ratio compares and
/// the formatted figure columns.
type Figures = fn(&[Vec<f64>]) -> (f64, Vec<String>);

/// One workload's table.
struct Spec {
    workload: &'static str,
    title: String,
    /// Headers of the figure columns (between "tasks" and the ratio column).
    header: &'static [&'static str],
    /// `(runtime, size)` per row, in display order.
    rows: Vec<(&'static str, usize)>,
    /// Whether the ratio figure is per task, so rows of other sizes may be compared with
    /// gpm's first row when gpm has no row of their size.
    per_task: bool,
    /// From a cell's runs: the figure the ratio compares, and the figure columns.
    figures: Figures,
    notes: Vec<String>,
}

/// Runs every table the filter selects and prints it.
pub fn print_all(cfg: &Config, filter: &[String]) {
    let quick = if cfg.quick {
        ", QUICK sizes (1/10)"
    } else {
        ""
    };
    println!(
        "gpm peers benchmark: procs={} runs={} (median/best of runs after 1 warm-up){quick}; \
         ratios are other/gpm at the same size, >1x means gpm is faster/smaller",
        cfg.procs, cfg.runs,
    );
    let wanted = |cell: &str| filter.is_empty() || filter.iter().any(|f| cell.contains(f.as_str()));
    for spec in specs(cfg) {
        if let Some(t) = run_spec(cfg, &wanted, spec) {
            print!("{}", t.render());
        }
    }
}

fn specs(cfg: &Config) -> Vec<Spec> {
    let s = |n| cfg.scale(n);
    let ms = SLEEP_FOR.as_millis();
    let small = s(SMALL_TASKS);
    let small_note = format!(
        "{small}-task rows: stackful runtimes can fail past ~32k live tasks (vm.max_map_count)"
    );
    let three = |n| vec![("gpm", n), ("tokio", n), ("may", n)];
    let with_small = |n| [three(n), three(small)].concat();
    vec![
        Spec {
            workload: "spawn",
            title: "spawn + join: ns per task (spawned from inside a task, then all joined)"
                .to_string(),
            header: &["median", "best"],
            rows: [with_small(s(SPAWN_TASKS)), vec![("std", s(SPAWN_THREADS))]].concat(),
            per_task: true,
            figures: |runs| {
                let per = column(runs, 0);
                let m = stats::median(&per);
                (m, vec![fmt_ns(m), fmt_ns(stats::best(&per))])
            },
            notes: vec![
                small_note.clone(),
                "std::thread: OS threads spawned from the main thread, then joined".to_string(),
            ],
        },
        Spec {
            workload: "yield",
            title: format!(
                "yield: {YIELD_TASKS} tasks x {} yields each, ns per yield",
                s(YIELDS_PER_TASK)
            ),
            header: &["median", "best", "total (median)"],
            rows: three(s(YIELDS_PER_TASK)),
            per_task: false,
            figures: |runs| {
                let per = column(runs, 0);
                let m = stats::median(&per);
                let total = fmt_ns(stats::median(&column(runs, 1)));
                (m, vec![fmt_ns(m), fmt_ns(stats::best(&per)), total])
            },
            notes: vec!["tasks column: yields per task".to_string()],
        },
        Spec {
            workload: "sleep",
            title: format!("sleep: tasks each sleeping {ms} ms, all spawned then all joined"),
            header: &[
                "wall (median)",
                "wall (best)",
                "overshoot",
                "task oversleep",
            ],
            rows: with_small(s(SLEEP_TASKS)),
            per_task: false,
            figures: |runs| {
                let wall = column(runs, 0);
                let m = stats::median(&wall);
                let over = format!("+{}", fmt_ns(m - ns(SLEEP_FOR)));
                let task = format!("+{}", fmt_ns(stats::median(&column(runs, 1))));
                (m, vec![fmt_ns(m), fmt_ns(stats::best(&wall)), over, task])
            },
            notes: vec![
                format!(
                    "overshoot = median wall - ideal {ms} ms; task oversleep = time inside \
                     the sleep call - {ms} ms (mean over tasks, median over runs)"
                ),
                small_note.clone(),
            ],
        },
        Spec {
            workload: "memory",
            title: "memory: RSS growth per blocked task (fresh process per runtime)".to_string(),
            header: &["RSS delta", "KiB/task"],
            rows: with_small(s(MEMORY_TASKS)),
            per_task: true,
            figures: |runs| {
                let per = stats::median(&column(runs, 0));
                let delta = fmt_kib(stats::median(&column(runs, 1)));
                (per, vec![delta, format!("{per:.2}")])
            },
            notes: vec![
                format!(
                    "each task bumps a counter, then sleeps {} s at a time until released; \
                     RSS (/proc/self/statm) is read once all have arrived, minus the \
                     warmed-up runtime's",
                    BLOCK_FOR.as_secs()
                ),
                small_note,
            ],
        },
    ]
}

/// Runs the wanted cells of `spec` and builds its table; `None` if none is wanted.
fn run_spec(cfg: &Config, wanted: &dyn Fn(&str) -> bool, spec: Spec) -> Option<Table> {
    let cells: Vec<(&str, usize, String)> = spec
        .rows
        .iter()
        .map(|&(rt, n)| (rt, n, format!("{}:{rt}:{n}", spec.workload)))
        .filter(|(_, _, cell)| wanted(cell))
        .collect();
    if cells.is_empty() {
        return None;
    }
    let results: Vec<(&str, usize, Outcome)> = cells
        .into_iter()
        .map(|(rt, n, cell)| {
            eprintln!("running {cell} ...");
            (rt, n, child::run(&cell, cfg.timeout))
        })
        .collect();
    let mut header = vec!["runtime", "tasks"];
    header.extend_from_slice(spec.header);
    header.push("vs gpm");
    let mut t = Table::new(spec.title, &header);
    // gpm's ratio figure per size, in row order.
    let gpm: Vec<(usize, f64)> = results
        .iter()
        .filter_map(|(rt, n, o)| match o {
            Outcome::Runs(runs) if *rt == "gpm" => Some((*n, (spec.figures)(runs).0)),
            _ => None,
        })
        .collect();
    let mut failures = Vec::new();
    for (rt, n, outcome) in &results {
        let label = if *rt == "std" { "std::thread" } else { rt };
        let mut row = vec![label.to_string(), n.to_string()];
        match outcome {
            Outcome::Runs(runs) => {
                let (figure, cells) = (spec.figures)(runs);
                let same_size = gpm.iter().find(|(gn, _)| gn == n);
                let base = same_size.or(gpm.first().filter(|_| spec.per_task));
                row.extend(cells);
                row.push(ratio(label, figure, base.map(|&(_, g)| g)));
            }
            Outcome::Failed(reason) => {
                row.push("failed".to_string());
                failures.push(format!("{label} ({n}) failed: {reason}"));
            }
        }
        t.row(row);
    }
    for note in failures.into_iter().chain(spec.notes) {
        t.note(note);
    }
    Some(t)
}

/// Column `i` of every run.
fn column(runs: &[Vec<f64>], i: usize) -> Vec<f64> {
    runs.iter()
        .map(|r| r.get(i).copied().unwrap_or(f64::NAN))
        .collect()
}
