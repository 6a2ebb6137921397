//! Orchestrator side of the sysmon benchmark: runs each table's cells in child
//! processes, turns their runs into medians (and best where useful) with ratio columns,
//! and prints the tables.

use gpm_bench::child::{self, Outcome};
use gpm_bench::config::Config;
use gpm_bench::stats::{self, fmt_ns};
use gpm_bench::table::{ratio, Table};

use crate::{
    mixed_sizes, BLOCK_CALLS, BLOCK_SLEEP, CALLS_PLAIN, CALLS_SYSCALL, CALLS_TOKIO, FILE_LEN,
    READERS, READ_SLEEP,
};

/// The mixed workload's rows: peer (as in cell names; "gpm" is the ratio baseline) and
/// how its readers block.
const MIXED_PEERS: &[(&str, &str)] = &[
    ("gpm", "gpm::syscall, handoff on"),
    ("gpm-fresh", "gpm::syscall, handoff on, new runtime per run"),
    ("gpm-nohandoff", "gpm::syscall, handoff(false)"),
    ("gpm-alone", "(no readers: the pipeline alone)"),
    ("tokio-bip", "task::block_in_place"),
    ("tokio-spawn", "task::spawn_blocking(..).await"),
    ("may", "plain call (may has no equivalent)"),
];

/// Runs every table the filter selects and prints it.
pub fn print_all(cfg: &Config, filter: &[String]) {
    let quick = if cfg.quick {
        ", QUICK sizes (1/10)"
    } else {
        ""
    };
    println!(
        "gpm sysmon benchmark: procs={} runs={} (median of runs after 1 warm-up){quick}; \
         ratios are other/gpm of the time (the 'gpm' row is gpm with the handoff on), \
         >1x means gpm is faster",
        cfg.procs, cfg.runs,
    );
    let wanted = |cell: &str| filter.is_empty() || filter.iter().any(|f| cell.contains(f.as_str()));
    for variant in ["file", "sleep"] {
        if let Some(t) = mixed_table(cfg, &wanted, variant) {
            print!("{}", t.render());
        }
    }
    let mut procs = vec![1, cfg.procs];
    procs.dedup();
    if let Some(t) = call_table(cfg, &wanted, &procs) {
        print!("{}", t.render());
    }
    if let Some(t) = block_table(cfg, &wanted, &procs) {
        print!("{}", t.render());
    }
}

/// Runs `cell` if wanted; `None` if not.
fn run(cfg: &Config, wanted: &dyn Fn(&str) -> bool, cell: &str) -> Option<Outcome> {
    if !wanted(cell) {
        return None;
    }
    eprintln!("running {cell} ...");
    Some(child::run(cell, cfg.timeout))
}

/// Median of figure `i` over the runs.
fn med(runs: &[Vec<f64>], i: usize) -> f64 {
    let xs: Vec<f64> = runs
        .iter()
        .map(|r| r.get(i).copied().unwrap_or(f64::NAN))
        .collect();
    stats::median(&xs)
}

/// Best (smallest) of figure `i` over the runs.
fn best(runs: &[Vec<f64>], i: usize) -> f64 {
    let xs: Vec<f64> = runs
        .iter()
        .map(|r| r.get(i).copied().unwrap_or(f64::NAN))
        .collect();
    stats::best(&xs)
}

fn mixed_table(cfg: &Config, wanted: &dyn Fn(&str) -> bool, variant: &str) -> Option<Table> {
    let m = mixed_sizes(cfg, variant, READERS);
    let call = match variant {
        "file" => format!("std::fs::read of a {FILE_LEN}-byte file"),
        _ => format!("thread::sleep({} µs)", READ_SLEEP.as_micros()),
    };
    let mut t = Table::new(
        format!(
            "mixed ({variant}): {} readers x {} blocking calls ({call}), among a pipeline of {} \
             channel workers carrying {} messages",
            m.readers, m.reads, m.stages, m.messages
        ),
        &[
            "peer",
            "readers block via",
            "total",
            "pipeline",
            "pipeline Mhop/s",
            "readers",
            "total ratio",
            "pipeline ratio",
        ],
    );
    let hops = (m.stages * m.messages) as f64;
    let mut gpm: Option<(f64, f64)> = None;
    let mut any = false;
    let mut notes = Vec::new();
    for &(peer, how) in MIXED_PEERS {
        let cell = format!("mixed:{variant}:{peer}");
        let Some(outcome) = run(cfg, wanted, &cell) else {
            continue;
        };
        any = true;
        match outcome {
            Outcome::Runs(runs) => {
                let (total, pipe, readers) = (med(&runs, 0), med(&runs, 1), med(&runs, 2));
                if peer == "gpm" {
                    gpm = Some((total, pipe));
                }
                let alone = peer == "gpm-alone";
                t.row(vec![
                    peer.to_string(),
                    how.to_string(),
                    fmt_ns(total),
                    fmt_ns(pipe),
                    format!("{:.1}", hops / pipe * 1e3),
                    if alone { "-".into() } else { fmt_ns(readers) },
                    ratio(peer, total, gpm.map(|g| g.0)),
                    ratio(peer, pipe, gpm.map(|g| g.1)),
                ]);
            }
            Outcome::Failed(why) => {
                t.row(vec![peer.to_string(), how.to_string(), "failed".into()]);
                notes.push(format!("{peer} failed: {why}"));
            }
        }
    }
    if !any {
        return None;
    }
    for n in notes {
        t.note(n);
    }
    t.note(format!(
        "{} Ps / workers; channels of capacity {}: gpm::chan::bounded, tokio mpsc::channel, \
         may mpsc + semaphore (chan/may_bounded.rs; the readers' result channel is an \
         unbounded may mpsc)",
        cfg.procs, m.cap
    ));
    t.note(
        "each reader sends every result to one collector task; 'readers' is when the collector \
         has the last one, 'pipeline' when the sink has the last message, 'total' both; \
         Mhop/s = messages x stages / pipeline time",
    );
    t.note(
        "may has no block_in_place/spawn_blocking: its readers block their worker thread, \
         like gpm with handoff(false)",
    );
    Some(t)
}

fn call_table(cfg: &Config, wanted: &dyn Fn(&str) -> bool, procs: &[usize]) -> Option<Table> {
    let rows: [(&str, &str, usize); 3] = [
        ("gpm", "gpm::syscall(|| black_box(i))", CALLS_SYSCALL),
        ("plain", "black_box(i) in a goroutine", CALLS_PLAIN),
        ("tokio", "block_in_place(|| black_box(i))", CALLS_TOKIO),
    ];
    let mut t = Table::new(
        "syscall round trip: one task makes n quick calls, ns per call",
        &[
            "peer",
            "call",
            "procs",
            "n",
            "median",
            "best",
            "minus plain",
            "ratio",
        ],
    );
    let mut any = false;
    let mut notes = Vec::new();
    for &p in procs {
        let (mut gpm, mut plain) = (None, None);
        for &(peer, what, n) in &rows {
            let n = cfg.scale(n);
            let cell = format!("call:{peer}:{p}:{n}");
            let Some(outcome) = run(cfg, wanted, &cell) else {
                continue;
            };
            any = true;
            match outcome {
                Outcome::Runs(runs) => {
                    let m = med(&runs, 0);
                    match peer {
                        "gpm" => gpm = Some(m),
                        "plain" => plain = Some(m),
                        _ => {}
                    }
                    let over = match (peer, plain) {
                        ("plain", _) => "-".to_string(),
                        (_, Some(pl)) => fmt_ns(m - pl),
                        _ => "-".to_string(),
                    };
                    t.row(vec![
                        peer.to_string(),
                        what.to_string(),
                        p.to_string(),
                        n.to_string(),
                        fmt_ns(m),
                        fmt_ns(best(&runs, 0)),
                        over,
                        ratio(peer, m, gpm),
                    ]);
                }
                Outcome::Failed(why) => {
                    t.row(vec![
                        peer.into(),
                        what.into(),
                        p.to_string(),
                        n.to_string(),
                        "failed".into(),
                    ]);
                    notes.push(format!("{peer} on {p} procs failed: {why}"));
                }
            }
        }
    }
    if !any {
        return None;
    }
    for n in notes {
        t.note(n);
    }
    t.note(
        "tokio: multi-thread runtime with procs workers, the calling task spawned on it; \
         the first block_in_place hands the worker's core to another thread, and until its \
         next .await the task runs on without a core, so every later call finds none to hand \
         off and costs only the context checks (tokio 1.x worker.rs, maybe_move_runtime)",
    );
    Some(t)
}

fn block_table(cfg: &Config, wanted: &dyn Fn(&str) -> bool, procs: &[usize]) -> Option<Table> {
    let us = BLOCK_SLEEP.as_micros();
    let rows: [(&str, String); 6] = [
        (
            "gpm",
            format!("syscall(sleep {us} µs), procs yielders queued, handoff on"),
        ),
        ("gpm-fresh", "the same, new runtime per run".to_string()),
        (
            "thread",
            format!("thread::sleep({us} µs) on a plain thread"),
        ),
        (
            "gpm-solo",
            format!("syscall(sleep {us} µs), nothing queued"),
        ),
        (
            "gpm-nohandoff",
            format!("syscall(sleep {us} µs), procs yielders queued, handoff(false)"),
        ),
        (
            "tokio",
            format!("block_in_place(sleep {us} µs), procs yielder tasks"),
        ),
    ];
    let n = cfg.scale(BLOCK_CALLS);
    let mut t = Table::new(
        format!("blocking call with work queued: {n} calls in one task, per call"),
        &[
            "peer",
            "call",
            "procs",
            "median",
            "best",
            "minus sleep",
            "yields/ms",
            "ratio",
        ],
    );
    let mut any = false;
    let mut notes = Vec::new();
    for &p in procs {
        let (mut gpm, mut sleep) = (None, None);
        // The thread baseline first, so every row can show its overhead over it.
        let order = [2usize, 0, 1, 3, 4, 5];
        let mut cells: Vec<Option<(Vec<String>, f64)>> = vec![None; rows.len()];
        for i in order {
            let (peer, what) = (&rows[i].0, &rows[i].1);
            let cell = format!("block:{peer}:{p}:{n}");
            let Some(outcome) = run(cfg, wanted, &cell) else {
                continue;
            };
            any = true;
            cells[i] = Some(match outcome {
                Outcome::Runs(runs) => {
                    let m = med(&runs, 0);
                    match *peer {
                        "gpm" => gpm = Some(m),
                        "thread" => sleep = Some(m),
                        _ => {}
                    }
                    let over = match (*peer, sleep) {
                        ("thread", _) | (_, None) => "-".to_string(),
                        (_, Some(s)) => fmt_ns(m - s),
                    };
                    let ypm = med(&runs, 1);
                    let row = vec![
                        peer.to_string(),
                        what.clone(),
                        p.to_string(),
                        fmt_ns(m),
                        fmt_ns(best(&runs, 0)),
                        over,
                        if ypm.is_nan() {
                            "-".into()
                        } else {
                            format!("{ypm:.0}")
                        },
                    ];
                    (row, m)
                }
                Outcome::Failed(why) => {
                    notes.push(format!("{peer} on {p} procs failed: {why}"));
                    let row = vec![
                        peer.to_string(),
                        what.clone(),
                        p.to_string(),
                        "failed".into(),
                    ];
                    (row, f64::NAN)
                }
            });
        }
        for (i, c) in cells.into_iter().enumerate() {
            if let Some((mut row, m)) = c {
                if !m.is_nan() {
                    row.push(ratio(rows[i].0, m, gpm));
                }
                t.row(row);
            }
        }
    }
    if !any {
        return None;
    }
    for n in notes {
        t.note(n);
    }
    t.note(
        "yielders: procs other tasks looping on yield_now, so one is always queued behind the \
         sleeper; yields/ms is their combined progress while the calls run (0 = starved)",
    );
    t.note(
        "minus sleep: the per-call median minus the plain thread's (the handoff path's overhead)",
    );
    t.note(
        "gpm, gpm-nohandoff: one runtime for the warm-up and the runs; gpm-fresh: a new runtime \
         (and so a fresh sysmon) for every run",
    );
    Some(t)
}
