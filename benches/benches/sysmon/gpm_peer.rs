//! The gpm side of the sysmon benchmark: goroutines on a `gpm::Runtime` with `procs` Ps,
//! with sysmon's P handoff on (the default) or off (`RuntimeBuilder::handoff(false)`).
//! Every blocking call is wrapped in `gpm::syscall`; channels are `gpm::chan::bounded`.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gpm::chan::bounded;
use gpm_bench::joined;

use crate::work::{Mixed, MixedRun, Work};

/// A gpm runtime.
pub struct Gpm {
    rt: gpm::Runtime,
}

impl Gpm {
    /// Builds the runtime, with or without sysmon's handoff.
    pub fn new(procs: usize, handoff: bool) -> Self {
        let rt = gpm::Runtime::builder()
            .procs(procs)
            .handoff(handoff)
            .build()
            .expect("build gpm runtime");
        Gpm { rt }
    }

    /// The mixed workload: a pipeline of `m.stages` channel workers carrying
    /// `m.messages` messages, while `m.readers` goroutines each make `m.reads` blocking
    /// calls inside `gpm::syscall` and send every result to a collector goroutine.
    pub fn mixed(&self, m: Mixed, work: Arc<Work>) -> MixedRun {
        self.rt.block_on(move || {
            let start = Instant::now();
            let (source_tx, mut rx) = bounded::<u64>(m.cap);
            let mut stages = Vec::with_capacity(m.stages);
            for _ in 0..m.stages {
                let (tx, next) = bounded::<u64>(m.cap);
                let input = rx;
                stages.push(gpm::go!(move || {
                    for v in input.iter() {
                        tx.send(v + 1).expect("next stage hung up");
                    }
                }));
                rx = next;
            }
            let sink = gpm::go!(move || {
                let sum: u64 = rx.iter().sum();
                (sum, start.elapsed())
            });
            let source = gpm::go!(move || {
                for i in 0..m.messages as u64 {
                    source_tx.send(i).expect("first stage hung up");
                }
            });
            let (res_tx, res_rx) = bounded::<u64>(m.cap);
            let readers: Vec<_> = (0..m.readers)
                .map(|_| {
                    let (res_tx, work) = (res_tx.clone(), work.clone());
                    gpm::go!(move || {
                        for _ in 0..m.reads {
                            let v = gpm::syscall(|| work.call());
                            res_tx.send(v).expect("collector hung up");
                        }
                    })
                })
                .collect();
            drop(res_tx);
            let collector = gpm::go!(move || {
                let sum: u64 = res_rx.iter().sum();
                (sum, start.elapsed())
            });
            let (pipe_sum, pipeline) = joined(sink.join());
            let (read_sum, readers_t) = joined(collector.join());
            let total = start.elapsed();
            joined(source.join());
            stages.into_iter().for_each(|h| joined(h.join()));
            readers.into_iter().for_each(|h| joined(h.join()));
            MixedRun {
                total,
                pipeline,
                readers: readers_t,
                pipe_sum,
                read_sum,
            }
        })
    }

    /// `n` calls of `black_box(i)` in one goroutine, each wrapped in `gpm::syscall` or
    /// not; returns the time and the sum of the results.
    pub fn calls(&self, n: usize, syscall: bool) -> (Duration, u64) {
        self.rt.block_on(move || {
            let mut acc = 0u64;
            let start = Instant::now();
            if syscall {
                for i in 0..n as u64 {
                    acc = acc.wrapping_add(gpm::syscall(|| black_box(i)));
                }
            } else {
                for i in 0..n as u64 {
                    acc = acc.wrapping_add(black_box(i));
                }
            }
            (start.elapsed(), acc)
        })
    }

    /// `n` calls of `gpm::syscall(|| thread::sleep(sleep))` in one goroutine while
    /// `yielders` other goroutines loop on `gpm::yield_now` (always runnable, so one is
    /// queued behind the sleeper on its P). Returns the time of the `n` calls, the calls
    /// made, and the yields the others managed meanwhile.
    pub fn blocking(&self, n: usize, sleep: Duration, yielders: usize) -> (Duration, u64, u64) {
        self.rt.block_on(move || {
            let stop = Arc::new(AtomicBool::new(false));
            let others: Vec<_> = (0..yielders)
                .map(|_| {
                    let stop = stop.clone();
                    gpm::go!(move || {
                        let mut yields = 0u64;
                        while !stop.load(Ordering::Relaxed) {
                            gpm::yield_now();
                            yields += 1;
                        }
                        yields
                    })
                })
                .collect();
            let mut calls = 0u64;
            let start = Instant::now();
            for _ in 0..n {
                gpm::syscall(|| std::thread::sleep(sleep));
                calls += 1;
            }
            let d = start.elapsed();
            stop.store(true, Ordering::Relaxed);
            let yields = others.into_iter().map(|h| joined(h.join())).sum();
            (d, calls, yields)
        })
    }
}
