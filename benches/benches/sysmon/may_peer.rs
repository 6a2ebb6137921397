//! The may side of the sysmon benchmark's mixed workload: coroutines on `procs` may
//! workers. may has no equivalent of `gpm::syscall` or tokio's `block_in_place`: a
//! blocking call simply holds its worker thread until it returns, so the readers call it
//! directly (the same situation as gpm with the handoff off). The pipeline links are
//! `chan/may_bounded.rs` (mpsc + semaphore, the same capacity as the other peers); the
//! readers' result channel is an unbounded `may::sync::mpsc` (may_bounded is
//! single-sender).

use std::sync::Arc;
use std::time::Instant;

use gpm_bench::joined;
use may::sync::mpsc;

use crate::may_bounded::bounded;
use crate::work::{Mixed, MixedRun, Work};

/// may's scheduler is process-global; this just configures it.
pub struct May(());

impl May {
    /// Sets the worker count (must happen before may's first use in the process).
    pub fn new(procs: usize) -> Self {
        may::config().set_workers(procs);
        May(())
    }

    /// The mixed workload (see `Gpm::mixed`), the readers blocking their worker.
    pub fn mixed(&self, m: Mixed, work: Arc<Work>) -> MixedRun {
        joined(
            may::go!(move || {
                let start = Instant::now();
                let (source_tx, mut rx) = bounded::<u64>(m.cap);
                let mut stages = Vec::with_capacity(m.stages);
                for _ in 0..m.stages {
                    let (tx, next) = bounded::<u64>(m.cap);
                    let input = rx;
                    stages.push(may::go!(move || {
                        while let Some(v) = input.recv() {
                            tx.send(v + 1).expect("next stage hung up");
                        }
                    }));
                    rx = next;
                }
                let sink = may::go!(move || {
                    let mut sum = 0u64;
                    while let Some(v) = rx.recv() {
                        sum += v;
                    }
                    (sum, start.elapsed())
                });
                let source = may::go!(move || {
                    for i in 0..m.messages as u64 {
                        source_tx.send(i).expect("first stage hung up");
                    }
                });
                let (res_tx, res_rx) = mpsc::channel::<u64>();
                let readers: Vec<_> = (0..m.readers)
                    .map(|_| {
                        let (res_tx, work) = (res_tx.clone(), work.clone());
                        may::go!(move || {
                            for _ in 0..m.reads {
                                res_tx.send(work.call()).expect("collector hung up");
                            }
                        })
                    })
                    .collect();
                drop(res_tx);
                let collector = may::go!(move || {
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
            .join(),
        )
    }
}
