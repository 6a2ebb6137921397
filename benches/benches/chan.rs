//! `cargo bench -p gpm-bench --bench chan [-- FILTER]`: channels compared across gpm,
//! crossbeam-channel on OS threads, tokio and may, one table per workload, every peer
//! side by side in one run.
//!
//! Workloads: `pingpong` (rendezvous round trips), `spsc` and `mpmc` (bounded(1024)
//! throughput), `sieve` (Go's concurrent prime sieve), `skynet` (1M-leaf task tree).
//! Each (workload, peer, size) cell runs in a fresh child process (see
//! `gpm_bench::child`), named like `pingpong:gpm:1000000` or `skynet:tokio:1000000`;
//! FILTER is a substring of those names (`-- sieve`, `-- may`). Environment knobs
//! (`GPM_BENCH_QUICK`, `_RUNS`, `_PROCS`, `_TIMEOUT`): see `gpm_bench::config`. This file
//! holds the workload sizes, the peer trait and the child side; `chan/specs.rs` what each
//! table holds; `chan/tables.rs` the orchestrator side; `chan/expect.rs` the results
//! every run must produce; `chan/<peer>_peer.rs` one peer each.

#[path = "chan/crossbeam_peer.rs"]
mod crossbeam_peer;
#[path = "chan/expect.rs"]
mod expect;
#[path = "chan/gpm_peer.rs"]
mod gpm_peer;
#[path = "chan/may_bounded.rs"]
mod may_bounded;
#[path = "chan/may_peer.rs"]
mod may_peer;
#[path = "chan/specs.rs"]
mod specs;
#[path = "chan/tables.rs"]
mod tables;
#[path = "chan/tokio_peer.rs"]
mod tokio_peer;

use std::time::Duration;

use gpm_bench::child;
use gpm_bench::config::Config;
use gpm_bench::stats::{self, ns};

/// Round trips in the ping-pong workload.
const PING_PONG_ROUND_TRIPS: usize = 1_000_000;
/// Messages (`u64`) sent from one producer to one consumer in the SPSC workload.
const SPSC_MESSAGES: usize = 10_000_000;
/// Messages (`u64`) in total, over all producers, in the MPMC workload.
const MPMC_MESSAGES: usize = 10_000_000;
/// Producer tasks in the MPMC workload.
const MPMC_PRODUCERS: usize = 4;
/// Consumer tasks in the MPMC workload.
const MPMC_CONSUMERS: usize = 4;
/// Capacity of the bounded channel in the SPSC and MPMC workloads.
const QUEUE_CAPACITY: usize = 1024;
/// The prime sieve runs until it has found this many primes.
const SIEVE_PRIMES: usize = 3000;
/// The 3000th prime, which the full-size sieve must find.
const SIEVE_LAST_PRIME: u64 = 27_449;
/// Leaves of the skynet tree (a power of [`SKYNET_FANOUT`]).
const SKYNET_LEAVES: usize = 1_000_000;
/// Children per inner node of the skynet tree.
const SKYNET_FANOUT: u64 = 10;
/// The root's sum in the full-size skynet (0 + 1 + ... + 999,999).
const SKYNET_SUM: u64 = 499_999_500_000;
/// Stack size of each OS thread in the crossbeam peer's sieve (3000 filter threads).
const SIEVE_THREAD_STACK: usize = 64 * 1024;
/// Measured runs (after the warm-up), at most, of the slow cells: crossbeam's ping-pong
/// and sieve, where every message is an OS-thread handoff (on the 2-core dev VM a
/// full-size sieve run of 3000 threads took 40-65 s, a ping-pong run 15-30 s).
const SLOW_CELL_RUNS: usize = 2;
/// The slow cells get this many times the configured timeout.
const SLOW_CELL_TIMEOUT_FACTOR: u32 = 3;

/// One measured run: the wall time, and a value the child checks against
/// [`expect`] (a sum of the messages received, the last prime, the root's sum).
pub type Timed = (Duration, u64);

/// A channel implementation under test, with its tasks. Every method builds its channels
/// and tasks afresh, times from the first spawn to the result, and returns the result so
/// the child can check it.
pub trait Peer {
    /// Two tasks, two rendezvous channels: A sends `i` on ch1, B echoes it back on ch2,
    /// `n` times. Returns the sum of the echoed values.
    fn ping_pong(&self, n: usize) -> Timed;
    /// One producer sends `0..n` through a channel of capacity `cap` to one consumer.
    /// Returns the consumer's sum.
    fn spsc(&self, n: usize, cap: usize) -> Timed;
    /// `producers` producers send `0..n` in total (a contiguous share each) through one
    /// channel of capacity `cap` to `consumers` consumers. Returns the consumers' sum.
    fn mpmc(&self, n: usize, producers: usize, consumers: usize, cap: usize) -> Timed;
    /// Go's concurrent prime sieve until the `primes`-th prime, which it returns. The time
    /// stops when that prime arrives; tearing the filter chain down is not timed.
    fn sieve(&self, primes: usize) -> Timed;
    /// Skynet with `leaves` leaves and fan-out [`SKYNET_FANOUT`]; returns the root's sum.
    fn skynet(&self, leaves: usize) -> Timed;
}

/// Producer `p`'s contiguous share of `0..n` when `producers` split it.
pub fn share(n: usize, producers: usize, p: usize) -> (u64, u64) {
    let at = |k: usize| (n * k / producers) as u64;
    (at(p), at(p + 1))
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

/// Child side: runs one cell (`workload:peer:size`, or `workload:peer:size:runs` to cap
/// the measured runs), checks every run's result and prints its wall time in ns.
fn run_cell(cell: &str, cfg: &Config) {
    let parts: Vec<&str> = cell.split(':').collect();
    let (workload, runtime, size, runs) = match parts[..] {
        [w, r, s] => (w, r, s, cfg.runs),
        [w, r, s, cap] => (w, r, s, cfg.runs.min(cap.parse().expect("cell runs"))),
        _ => panic!("bad cell name {cell:?}"),
    };
    let n: usize = size.parse().expect("cell size");
    let peer = make_peer(runtime, cfg.procs);
    let (run, want): (Box<dyn Fn() -> Timed>, u64) = match workload {
        "pingpong" => (Box::new(|| peer.ping_pong(n)), expect::sum_below(n)),
        "spsc" => (
            Box::new(|| peer.spsc(n, QUEUE_CAPACITY)),
            expect::sum_below(n),
        ),
        "mpmc" => (
            Box::new(|| peer.mpmc(n, MPMC_PRODUCERS, MPMC_CONSUMERS, QUEUE_CAPACITY)),
            expect::sum_below(n),
        ),
        "sieve" => (Box::new(|| peer.sieve(n)), expect::nth_prime(n)),
        "skynet" => (Box::new(|| peer.skynet(n)), expect::sum_below(n)),
        other => panic!("unknown workload {other:?}"),
    };
    for (d, got) in stats::measure(runs, run) {
        assert_eq!(got, want, "{cell}: wrong result");
        child::report_run(&[ns(d)]);
    }
}

fn make_peer(runtime: &str, procs: usize) -> Box<dyn Peer> {
    match runtime {
        "gpm" => Box::new(gpm_peer::Gpm::new(procs)),
        "crossbeam" => Box::new(crossbeam_peer::Crossbeam),
        "tokio" => Box::new(tokio_peer::Tokio::new(procs)),
        "may" => Box::new(may_peer::May::new(procs)),
        other => panic!("unknown runtime {other:?}"),
    }
}
