//! The may side of the sync benchmark: coroutines on `procs` may workers, contending for a
//! `may::sync::Mutex` (a waiter parks its coroutine).

use std::sync::Arc;
use std::time::{Duration, Instant};

use may::sync::{Barrier, Mutex};

use crate::Peer;

/// may's scheduler is process-global; this just configures it.
pub struct May(());

impl May {
    /// Sets the worker count (must happen before may's first use in the process).
    pub fn new(procs: usize) -> Self {
        may::config().set_workers(procs);
        May(())
    }
}

/// Runs `f` as a root coroutine and waits for it from the calling thread.
fn root<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    gpm_bench::joined(may::go!(f).join())
}

impl Peer for May {
    fn counter(&self, tasks: usize, per_task: usize) -> (Duration, u64) {
        root(move || {
            let m = Arc::new(Mutex::new(0u64));
            let gate = Arc::new(Barrier::new(tasks + 1));
            let hs: Vec<_> = (0..tasks)
                .map(|_| {
                    let (m, gate) = (m.clone(), gate.clone());
                    may::go!(move || {
                        gate.wait();
                        for _ in 0..per_task {
                            *m.lock().unwrap() += 1;
                        }
                    })
                })
                .collect();
            let start = Instant::now();
            gate.wait();
            hs.into_iter().for_each(|h| gpm_bench::joined(h.join()));
            let d = start.elapsed();
            let n = *m.lock().unwrap();
            (d, n)
        })
    }

    fn uncontended(&self, n: usize) -> (Duration, u64) {
        root(move || {
            let m = Mutex::new(0u64);
            let start = Instant::now();
            for _ in 0..n {
                *std::hint::black_box(&m).lock().unwrap() += 1;
            }
            (start.elapsed(), m.into_inner().unwrap())
        })
    }
}
