//! The tokio side of the sync benchmark: tasks on a multi-thread runtime with `procs`
//! workers, contending for a `tokio::sync::Mutex` (a waiter is a queued future).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::sync::{Barrier, Mutex};

use crate::Peer;

/// A tokio multi-thread runtime.
pub struct Tokio {
    rt: Runtime,
}

impl Tokio {
    /// Builds the runtime.
    pub fn new(procs: usize) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(procs)
            .build()
            .expect("build tokio runtime");
        Tokio { rt }
    }
}

impl Peer for Tokio {
    fn counter(&self, tasks: usize, per_task: usize) -> (Duration, u64) {
        self.rt.block_on(async move {
            let m = Arc::new(Mutex::new(0u64));
            let gate = Arc::new(Barrier::new(tasks + 1));
            let hs: Vec<_> = (0..tasks)
                .map(|_| {
                    let (m, gate) = (m.clone(), gate.clone());
                    tokio::spawn(async move {
                        gate.wait().await;
                        for _ in 0..per_task {
                            *m.lock().await += 1;
                        }
                    })
                })
                .collect();
            let start = Instant::now();
            gate.wait().await;
            for h in hs {
                h.await.expect("task");
            }
            let d = start.elapsed();
            let n = *m.lock().await;
            (d, n)
        })
    }

    fn uncontended(&self, n: usize) -> (Duration, u64) {
        self.rt.block_on(async move {
            let m = Mutex::new(0u64);
            let start = Instant::now();
            for _ in 0..n {
                *std::hint::black_box(&m).lock().await += 1;
            }
            (start.elapsed(), m.into_inner())
        })
    }
}
