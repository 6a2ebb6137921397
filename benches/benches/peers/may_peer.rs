//! The may side of the peers benchmark: `procs` may workers; work is spawned with
//! `may::go!` from inside a root coroutine, which the main thread joins.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gpm_bench::rss::{self, Blocked, BlockedRss};

use crate::{Peer, SleepRun};

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
    fn spawn_join(&self, n: usize) -> Duration {
        root(move || {
            let start = Instant::now();
            let handles: Vec<_> = (0..n).map(|i| may::go!(move || i)).collect();
            let mut sum = 0usize;
            for h in handles {
                sum = sum.wrapping_add(gpm_bench::joined(h.join()));
            }
            std::hint::black_box(sum);
            start.elapsed()
        })
    }

    fn yields(&self, tasks: usize, per_task: usize) -> Duration {
        root(move || {
            let start = Instant::now();
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    may::go!(move || {
                        for _ in 0..per_task {
                            may::coroutine::yield_now();
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
        root(move || {
            let start = Instant::now();
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    may::go!(move || {
                        let t = Instant::now();
                        may::coroutine::sleep(d);
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

/// Memory workload: `n` coroutines asleep at once (see [`rss::measure_blocked`]).
pub fn blocked(procs: usize, n: usize, block_for: Duration) -> BlockedRss {
    rss::measure_blocked(n, move |b: Arc<Blocked>| {
        let peer = May::new(procs);
        peer.sleep(100, Duration::from_millis(1)); // warm-up: workers, timer thread
        b.runtime_ready();
        root(move || {
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    let b = Arc::clone(&b);
                    may::go!(move || {
                        b.arrive();
                        loop {
                            may::coroutine::sleep(block_for);
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
