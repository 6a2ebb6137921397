//! Shared helpers for the `peers` benchmark, which compares gpm with tokio, may and
//! `std::thread` on the same machine in one run.
//!
//! The bench binary is both an orchestrator and a worker: the orchestrator re-executes
//! itself once per (workload, runtime) cell ([`child`]), so every runtime gets a fresh
//! process (clean RSS, process-global runtime configuration, and a crash in one peer
//! only fails its own cell). Results are printed as tables ([`table`]) with a ratio
//! column relative to gpm, because absolute times on a shared 2-core machine are noise.

pub mod child;
pub mod config;
pub mod rss;
pub mod stats;
pub mod table;

/// Unwraps a `join` result, re-panicking with the task's own panic message (a plain
/// `expect` would only show `Any { .. }`).
pub fn joined<T>(r: std::thread::Result<T>) -> T {
    r.unwrap_or_else(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_string());
        panic!("task panicked: {msg}")
    })
}
