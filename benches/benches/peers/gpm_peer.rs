//! The gpm side of the peers benchmark: a `gpm::Runtime` with `procs` Ps; work is
//! spawned with `gpm::go!` from inside the goroutine that `Runtime::block_on` runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gpm_bench::rss::{self, Blocked, BlockedRss};

use crate::{Peer, SleepRun};

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
    fn spawn_join(&self, n: usize) -> Duration {
        self.rt.block_on(move || {
            let start = Instant::now();
            let handles: Vec<gpm::JoinHandle<usize>> =
                (0..n).map(|i| gpm::go!(move || i)).collect();
            let mut sum = 0usize;
            for h in handles {
                sum = sum.wrapping_add(gpm_bench::joined(h.join()));
            }
            std::hint::black_box(sum);
            start.elapsed()
        })
    }

    fn yields(&self, tasks: usize, per_task: usize) -> Duration {
        self.rt.block_on(move || {
            let start = Instant::now();
            let handles: Vec<gpm::JoinHandle<()>> = (0..tasks)
                .map(|_| {
                    gpm::go!(move || {
                        for _ in 0..per_task {
                            gpm::yield_now();
                        }
                    })
                })
                .collect();
            for h in handles {
                gpm_bench::joined(h.join());
            }
            start.elapsed()
        })
    }

    fn sleep(&self, n: usize, d: Duration) -> SleepRun {
        self.rt.block_on(move || {
            let start = Instant::now();
            let handles: Vec<gpm::JoinHandle<Duration>> = (0..n)
                .map(|_| {
                    gpm::go!(move || {
                        let t = Instant::now();
                        gpm::time::sleep(d);
                        t.elapsed()
                    })
                })
                .collect();
            let mut slept = Duration::ZERO;
            for h in handles {
                slept += gpm_bench::joined(h.join());
            }
            SleepRun {
                wall: start.elapsed(),
                slept,
            }
        })
    }
}

/// Memory workload: `n` goroutines asleep at once (see [`rss::measure_blocked`]).
pub fn blocked(procs: usize, n: usize, block_for: Duration) -> BlockedRss {
    rss::measure_blocked(n, move |b: Arc<Blocked>| {
        let peer = Gpm::new(procs);
        peer.sleep(100, Duration::from_millis(1)); // warm-up: Ms, timers, stack cache
        b.runtime_ready();
        peer.rt.block_on(move || {
            let handles: Vec<gpm::JoinHandle<()>> = (0..n)
                .map(|_| {
                    let b = Arc::clone(&b);
                    gpm::go!(move || {
                        b.arrive();
                        loop {
                            gpm::time::sleep(block_for);
                            if b.released() {
                                break;
                            }
                        }
                    })
                })
                .collect();
            for h in handles {
                gpm_bench::joined(h.join());
            }
        });
    })
}
