//! The gpm side of the sync benchmark: goroutines on a `gpm::Runtime` with `procs` Ps,
//! contending for a `gpm::sync::Mutex` (the `gpm_sync` crate it re-exports; a waiter
//! parks and its M runs other goroutines).

use std::sync::Arc;
use std::time::{Duration, Instant};

use gpm_sync::{Barrier, Mutex};

use crate::Peer;

/// A gpm runtime.
pub struct Gpm {
    rt: gpm::Runtime,
}

impl Gpm {
    /// Builds the runtime.
    pub fn new(procs: usize) -> Self {
        let rt = gpm::Runtime::builder()
            .procs(procs)
            .build()
            .expect("build gpm runtime");
        Gpm { rt }
    }
}

impl Peer for Gpm {
    fn counter(&self, tasks: usize, per_task: usize) -> (Duration, u64) {
        self.rt.block_on(move || {
            let m = Arc::new(Mutex::new(0u64));
            let gate = Arc::new(Barrier::new(tasks + 1));
            let hs: Vec<_> = (0..tasks)
                .map(|_| {
                    let (m, gate) = (m.clone(), gate.clone());
                    gpm::go!(move || {
                        gate.wait();
                        for _ in 0..per_task {
                            *m.lock() += 1;
                        }
                    })
                })
                .collect();
            let start = Instant::now();
            gate.wait();
            hs.into_iter().for_each(|h| gpm_bench::joined(h.join()));
            let d = start.elapsed();
            let n = *m.lock();
            (d, n)
        })
    }

    fn uncontended(&self, n: usize) -> (Duration, u64) {
        self.rt.block_on(move || {
            let m = Mutex::new(0u64);
            let start = Instant::now();
            for _ in 0..n {
                *std::hint::black_box(&m).lock() += 1;
            }
            (start.elapsed(), m.into_inner())
        })
    }
}
