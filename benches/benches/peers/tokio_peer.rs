//! The tokio side of the peers benchmark: a multi-thread runtime with `procs` workers;
//! work is spawned with `tokio::spawn` from inside `block_on`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gpm_bench::rss::{self, Blocked, BlockedRss};
use tokio::runtime::Runtime;

use crate::{Peer, SleepRun};

/// A tokio multi-thread runtime.
pub struct Tokio {
    rt: Runtime,
}

impl Tokio {
    /// Builds the runtime.
    pub fn new(procs: usize) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(procs)
            .enable_time()
            .build()
            .expect("build tokio runtime");
        Tokio { rt }
    }
}

impl Peer for Tokio {
    fn spawn_join(&self, n: usize) -> Duration {
        self.rt.block_on(async move {
            let start = Instant::now();
            let handles: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
            let mut sum = 0usize;
            for h in handles {
                sum = sum.wrapping_add(h.await.expect("task panicked"));
            }
            std::hint::black_box(sum);
            start.elapsed()
        })
    }

    fn yields(&self, tasks: usize, per_task: usize) -> Duration {
        self.rt.block_on(async move {
            let start = Instant::now();
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    tokio::spawn(async move {
                        for _ in 0..per_task {
                            tokio::task::yield_now().await;
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.expect("task panicked");
            }
            start.elapsed()
        })
    }

    fn sleep(&self, n: usize, d: Duration) -> SleepRun {
        self.rt.block_on(async move {
            let start = Instant::now();
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    tokio::spawn(async move {
                        let t = Instant::now();
                        tokio::time::sleep(d).await;
                        t.elapsed()
                    })
                })
                .collect();
            let mut slept = Duration::ZERO;
            for h in handles {
                slept += h.await.expect("task panicked");
            }
            SleepRun {
                wall: start.elapsed(),
                slept,
            }
        })
    }
}

/// Memory workload: `n` tasks asleep at once (see [`rss::measure_blocked`]).
pub fn blocked(procs: usize, n: usize, block_for: Duration) -> BlockedRss {
    rss::measure_blocked(n, move |b: Arc<Blocked>| {
        let peer = Tokio::new(procs);
        peer.sleep(100, Duration::from_millis(1)); // warm-up: workers, timer wheel
        b.runtime_ready();
        peer.rt.block_on(block_all(b, n, block_for));
    })
}

async fn block_all(b: Arc<Blocked>, n: usize, block_for: Duration) {
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let b = Arc::clone(&b);
            tokio::spawn(async move {
                b.arrive();
                loop {
                    tokio::time::sleep(block_for).await;
                    if b.released() {
                        break;
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.await.expect("task panicked");
    }
}
