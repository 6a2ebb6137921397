//! What the chan benchmark's tables hold: per workload, its size, unit, rows (peer and
//! channel used, and rows not run or run fewer times), and its notes, including the
//! reference figures and targets quoted by the project issue.

use gpm_bench::config::Config;

use crate::{
    MPMC_CONSUMERS, MPMC_MESSAGES, MPMC_PRODUCERS, PING_PONG_ROUND_TRIPS, QUEUE_CAPACITY,
    SIEVE_LAST_PRIME, SIEVE_PRIMES, SIEVE_THREAD_STACK, SKYNET_LEAVES, SKYNET_SUM, SPSC_MESSAGES,
};

/// How a table shows the wall time of a run.
#[derive(Clone, Copy)]
pub enum Unit {
    /// Nanoseconds per operation (wall / `ops`).
    PerOp,
    /// Millions of messages per second (`ops` / wall).
    Rate,
    /// The whole run's wall time.
    Total,
}

/// One row: a peer, the channel it uses, why it is not run (if it is not), and whether
/// it is the slow cell whose runs are capped.
pub struct Row {
    /// The peer, as named in cell names and the first column.
    pub runtime: &'static str,
    /// The channel (and tasks) it uses, for the second column.
    pub channel: String,
    /// The text of the cell, and the note explaining it.
    pub skip: Option<(String, String)>,
    /// At most `SLOW_CELL_RUNS` measured runs and `SLOW_CELL_TIMEOUT_FACTOR` times the
    /// timeout.
    pub slow: bool,
}

/// One workload's table.
pub struct Spec {
    /// The workload, as named in cell names.
    pub workload: &'static str,
    /// The table's title.
    pub title: String,
    /// The size in the cell name (messages, round trips, primes or leaves).
    pub size: usize,
    /// Operations per run, for [`Unit::PerOp`] and [`Unit::Rate`].
    pub ops: usize,
    /// How the figures are shown.
    pub unit: Unit,
    /// The rows, in display order.
    pub rows: Vec<Row>,
    /// Lines printed under the table (after any failure notes).
    pub notes: Vec<String>,
}

/// A row that is run.
fn row(runtime: &'static str, channel: impl Into<String>) -> Row {
    Row {
        runtime,
        channel: channel.into(),
        skip: None,
        slow: false,
    }
}

fn reference(figures: &str, target: &str) -> String {
    format!("reference (issue, measured elsewhere, not this run): {figures}; target: {target}")
}

pub fn specs(cfg: &Config) -> Vec<Spec> {
    let s = |n| cfg.scale(n);
    let cap = QUEUE_CAPACITY;
    let tokio_rendezvous =
        "tokio has no rendezvous channel: mpsc::channel(1), the closest, stands in for it";
    let may_unbounded =
        "may's channels are all unbounded: no backpressure, producers may run ahead";
    let (pp, spsc, mpmc, primes, leaves) = (
        s(PING_PONG_ROUND_TRIPS),
        s(SPSC_MESSAGES),
        s(MPMC_MESSAGES),
        s(SIEVE_PRIMES),
        s(SKYNET_LEAVES),
    );
    let (p, c) = (MPMC_PRODUCERS, MPMC_CONSUMERS);
    vec![
        Spec {
            workload: "pingpong",
            title: format!(
                "ping-pong: {pp} round trips over two rendezvous channels, per round trip"
            ),
            size: pp,
            ops: pp,
            unit: Unit::PerOp,
            rows: vec![
                row("gpm", "gpm::chan::bounded(0)"),
                Row {
                    slow: true,
                    ..row("crossbeam", "crossbeam bounded(0), 2 OS threads")
                },
                row("tokio", "tokio mpsc::channel(1)"),
                row("may", "may mpsc (unbounded)"),
            ],
            notes: vec![
                tokio_rendezvous.to_string(),
                "may: a lock-step exchange never holds more than one value per channel".to_string(),
                reference("tokio 407 ns, Go 622 ns", "gpm < 200 ns"),
            ],
        },
        Spec {
            workload: "spsc",
            title: format!("SPSC: 1 producer -> 1 consumer, {spsc} u64, throughput"),
            size: spsc,
            ops: spsc,
            unit: Unit::Rate,
            rows: vec![
                row("gpm", format!("gpm::chan::bounded({cap})")),
                row("crossbeam", format!("crossbeam bounded({cap}), OS threads")),
                row("tokio", format!("tokio mpsc::channel({cap})")),
                row("may", "may spsc (unbounded)"),
            ],
            notes: vec![
                may_unbounded.to_string(),
                reference(
                    "crossbeam+threads 21 Mmsg/s, Go 12.8 Mmsg/s",
                    "gpm at least crossbeam's",
                ),
            ],
        },
        Spec {
            workload: "mpmc",
            title: format!(
                "MPMC {p}x{c}: {p} producers -> one channel -> {c} consumers, {mpmc} u64 in total, \
                 throughput"
            ),
            size: mpmc,
            ops: mpmc,
            unit: Unit::Rate,
            rows: vec![
                row("gpm", format!("gpm::chan::bounded({cap})")),
                row("crossbeam", format!("crossbeam bounded({cap}), OS threads")),
                row("tokio", format!("async-channel bounded({cap})")),
                row("may", "may mpmc (unbounded)"),
            ],
            notes: vec![
                "tokio has no multi-consumer channel: its row uses the async-channel crate \
                 on tokio tasks"
                    .to_string(),
                may_unbounded.to_string(),
                "every run checks the consumers' sum against 0 + 1 + ... + (n - 1)".to_string(),
                reference(
                    "crossbeam+threads 25 Mmsg/s, Go 10.3 Mmsg/s",
                    "gpm at least crossbeam's",
                ),
            ],
        },
        Spec {
            workload: "sieve",
            title: format!(
                "prime sieve: generator + one filter task per prime, until prime #{primes}, \
                 wall time"
            ),
            size: primes,
            ops: 1,
            unit: Unit::Total,
            rows: vec![
                row("gpm", "gpm::chan::bounded(0)"),
                Row {
                    slow: true,
                    ..row(
                        "crossbeam",
                        format!(
                            "crossbeam bounded(0), OS threads ({} KiB stacks)",
                            SIEVE_THREAD_STACK / 1024
                        ),
                    )
                },
                row("tokio", "tokio mpsc::channel(1)"),
                row("may", "may mpsc + semaphore, capacity 1"),
            ],
            notes: vec![
                format!(
                    "every run checks the last prime (#{SIEVE_PRIMES} = {SIEVE_LAST_PRIME} at \
                     full size); tearing the chain down afterwards is not timed"
                ),
                tokio_rendezvous.to_string(),
                "may: its unbounded channels would let the (never preempted) generator queue \
                 numbers without limit, so a semaphore bounds them (see chan/may_bounded.rs)"
                    .to_string(),
                reference("tokio 665 ms, Go 1,156 ms", "gpm < 350 ms"),
            ],
        },
        Spec {
            workload: "skynet",
            title: format!(
                "skynet: a tree of tasks with {leaves} leaves, fan-out 10, sums sent up by \
                 channel, wall time"
            ),
            size: leaves,
            ops: 1,
            unit: Unit::Total,
            rows: vec![
                row("gpm", "gpm::chan::bounded(0) per parent"),
                Row {
                    skip: Some((
                        format!(
                            "n/a ({:.1}M OS threads)",
                            tasks_in_tree(leaves) as f64 / 1e6
                        ),
                        "crossbeam: not run, it would need one OS thread per task".to_string(),
                    )),
                    ..row("crossbeam", "crossbeam, one OS thread per task")
                },
                row("tokio", "tokio mpsc::channel(1) per parent"),
                row("may", "may mpsc (unbounded) per parent"),
            ],
            notes: vec![
                format!(
                    "{} tasks in all; every run checks the root's sum ({SKYNET_SUM} at full size)",
                    tasks_in_tree(leaves)
                ),
                tokio_rendezvous.to_string(),
                "skynet: https://github.com/atemerev/skynet".to_string(),
                reference("Go 1,056 ms, tokio 1,088 ms", "gpm < 500 ms"),
            ],
        },
    ]
}

/// Nodes in a fan-out-10 tree with `leaves` leaves.
fn tasks_in_tree(leaves: usize) -> usize {
    std::iter::successors(Some(leaves), |&n| (n > 1).then_some(n / 10)).sum()
}
