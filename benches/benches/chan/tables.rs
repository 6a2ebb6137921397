//! Orchestrator side of the chan benchmark: runs the cells of each table in
//! `chan/specs.rs` in child processes, turns their runs into median/best cells and the
//! ratio-to-gpm column, and prints the tables.

use gpm_bench::child::{self, Outcome};
use gpm_bench::config::Config;
use gpm_bench::stats::{self, fmt_ns};
use gpm_bench::table::{ratio, Table};

use crate::specs::{specs, Row, Spec, Unit};
use crate::{SLOW_CELL_RUNS, SLOW_CELL_TIMEOUT_FACTOR};

/// Runs every table the filter selects and prints it.
pub fn print_all(cfg: &Config, filter: &[String]) {
    let quick = if cfg.quick {
        ", QUICK sizes (1/10)"
    } else {
        ""
    };
    println!(
        "gpm chan benchmark: procs={} runs={} (median/best of runs after 1 warm-up){quick}; \
         ratios are other/gpm of the time per operation (for Mmsg/s: gpm's rate / other's), \
         >1x means gpm is faster",
        cfg.procs, cfg.runs,
    );
    let wanted = |cell: &str| filter.is_empty() || filter.iter().any(|f| cell.contains(f.as_str()));
    for spec in specs(cfg) {
        if let Some(t) = run_spec(cfg, &wanted, spec) {
            print!("{}", t.render());
        }
    }
}

/// Runs the wanted cells of `spec` and builds its table; `None` if none is wanted.
fn run_spec(cfg: &Config, wanted: &dyn Fn(&str) -> bool, spec: Spec) -> Option<Table> {
    let rows: Vec<(Row, String)> = spec
        .rows
        .into_iter()
        .map(|r| {
            let mut cell = format!("{}:{}:{}", spec.workload, r.runtime, spec.size);
            if r.slow {
                cell.push_str(&format!(":{SLOW_CELL_RUNS}"));
            }
            (r, cell)
        })
        .filter(|(_, cell)| wanted(cell))
        .collect();
    if rows.is_empty() {
        return None;
    }
    let results: Vec<(Row, Option<Outcome>)> = rows
        .into_iter()
        .map(|(r, cell)| {
            let outcome = r.skip.is_none().then(|| {
                eprintln!("running {cell} ...");
                let factor = if r.slow { SLOW_CELL_TIMEOUT_FACTOR } else { 1 };
                child::run(&cell, cfg.timeout * factor)
            });
            (r, outcome)
        })
        .collect();
    let figures = |runs: &[Vec<f64>]| -> Vec<f64> {
        let per_op = spec.ops as f64;
        runs.iter()
            .map(|r| r.first().copied().unwrap_or(f64::NAN) / per_op)
            .collect()
    };
    let gpm = results.iter().find_map(|(r, o)| match o {
        Some(Outcome::Runs(runs)) if r.runtime == "gpm" => Some(stats::median(&figures(runs))),
        _ => None,
    });
    let mut t = Table::new(
        spec.title,
        &["runtime", "channel", "median", "best", "vs gpm"],
    );
    let mut explained = Vec::new();
    for (r, outcome) in &results {
        if r.slow {
            explained.push(format!(
                "{}: at most {SLOW_CELL_RUNS} measured runs after the warm-up and \
                 {SLOW_CELL_TIMEOUT_FACTOR}x the timeout (OS-thread handoffs make a run slow)",
                r.runtime
            ));
        }
        let mut cells = vec![r.runtime.to_string(), r.channel.clone()];
        match (outcome, &r.skip) {
            (Some(Outcome::Runs(runs)), _) => {
                let per = figures(runs);
                let m = stats::median(&per);
                cells.push(show(spec.unit, m));
                cells.push(show(spec.unit, stats::best(&per)));
                cells.push(ratio(r.runtime, m, gpm));
            }
            (Some(Outcome::Failed(reason)), _) => {
                cells.push("failed".to_string());
                explained.push(format!("{} failed: {reason}", r.runtime));
            }
            (None, Some((cell, note))) => {
                cells.push(cell.clone());
                explained.push(note.clone());
            }
            (None, None) => {}
        }
        t.row(cells);
    }
    for note in explained.into_iter().chain(spec.notes) {
        t.note(note);
    }
    Some(t)
}

/// Formats a per-operation time (`ns`) in the table's unit.
fn show(unit: Unit, ns: f64) -> String {
    match unit {
        Unit::PerOp | Unit::Total => fmt_ns(ns),
        Unit::Rate if ns.is_finite() && ns > 0.0 => format!("{:.1} Mmsg/s", 1e3 / ns),
        Unit::Rate => "-".to_string(),
    }
}
