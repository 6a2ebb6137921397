//! Benchmark configuration read from the environment.
//!
//! * `GPM_BENCH_PROCS` — worker threads / Ps for every runtime (default 2).
//! * `GPM_BENCH_QUICK=1` — shrink every workload 10x for a smoke run.
//! * `GPM_BENCH_RUNS` — measured runs per cell after one warm-up (default 5).
//! * `GPM_BENCH_TIMEOUT` — seconds before a cell's child process is killed (default 120).

use std::time::Duration;

/// Settings shared by the orchestrator and its child processes (children inherit the
/// environment, so both sides see the same values).
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Worker threads (gpm Ps, tokio workers, may workers).
    pub procs: usize,
    /// Whether sizes are shrunk 10x.
    pub quick: bool,
    /// Measured runs per cell (a warm-up run comes first and is discarded).
    pub runs: usize,
    /// Wall-clock limit for one cell's child process.
    pub timeout: Duration,
}

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> Self {
        Config {
            procs: env_usize("GPM_BENCH_PROCS").filter(|&p| p > 0).unwrap_or(2),
            quick: std::env::var("GPM_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0"),
            runs: env_usize("GPM_BENCH_RUNS").filter(|&r| r > 0).unwrap_or(5),
            timeout: Duration::from_secs(env_usize("GPM_BENCH_TIMEOUT").unwrap_or(120) as u64),
        }
    }

    /// `n`, or `n / 10` in quick mode.
    pub fn scale(&self, n: usize) -> usize {
        if self.quick {
            (n / 10).max(1)
        } else {
            n
        }
    }
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok()?.trim().parse().ok()
}
