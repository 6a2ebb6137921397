//! The tokio side of the sysmon benchmark: tasks on a multi-thread runtime with `procs`
//! workers. A blocking call runs in `tokio::task::block_in_place` (the worker keeps the
//! call and hands its other tasks to a fresh thread at once — the nearest equivalent of
//! `gpm::syscall`) or in `tokio::task::spawn_blocking` (the call goes to the blocking
//! pool and the task awaits it). Channels are `tokio::sync::mpsc::channel`. Every task,
//! the driver included, is `tokio::spawn`ed, so it runs on a worker.

use std::future::Future;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::sync::mpsc::channel;

use crate::work::{Mixed, MixedRun, Work};

/// How a tokio task makes its blocking call.
#[derive(Clone, Copy, Debug)]
pub enum Blocking {
    /// `tokio::task::block_in_place(f)`.
    InPlace,
    /// `tokio::task::spawn_blocking(f).await`.
    Spawn,
}

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

    /// Runs `f` as a spawned task (not on the `block_on` thread) and waits for it.
    fn task<T: Send + 'static>(&self, f: impl Future<Output = T> + Send + 'static) -> T {
        self.rt
            .block_on(async move { tokio::spawn(f).await })
            .expect("driver task panicked")
    }

    /// The mixed workload (see `Gpm::mixed`), the readers blocking as `how` says.
    pub fn mixed(&self, m: Mixed, work: Arc<Work>, how: Blocking) -> MixedRun {
        self.task(async move {
            let start = Instant::now();
            let (source_tx, mut rx) = channel::<u64>(m.cap);
            let mut stages = Vec::with_capacity(m.stages);
            for _ in 0..m.stages {
                let (tx, next) = channel::<u64>(m.cap);
                let mut input = rx;
                stages.push(tokio::spawn(async move {
                    while let Some(v) = input.recv().await {
                        tx.send(v + 1).await.expect("next stage hung up");
                    }
                }));
                rx = next;
            }
            let sink = tokio::spawn(async move {
                let mut sum = 0u64;
                while let Some(v) = rx.recv().await {
                    sum += v;
                }
                (sum, start.elapsed())
            });
            let source = tokio::spawn(async move {
                for i in 0..m.messages as u64 {
                    source_tx.send(i).await.expect("first stage hung up");
                }
            });
            let (res_tx, mut res_rx) = channel::<u64>(m.cap);
            let readers: Vec<_> = (0..m.readers)
                .map(|_| {
                    let (res_tx, work) = (res_tx.clone(), work.clone());
                    tokio::spawn(async move {
                        for _ in 0..m.reads {
                            let v = match how {
                                Blocking::InPlace => tokio::task::block_in_place(|| work.call()),
                                Blocking::Spawn => {
                                    let work = work.clone();
                                    tokio::task::spawn_blocking(move || work.call())
                                        .await
                                        .expect("blocking call panicked")
                                }
                            };
                            res_tx.send(v).await.expect("collector hung up");
                        }
                    })
                })
                .collect();
            drop(res_tx);
            let collector = tokio::spawn(async move {
                let mut sum = 0u64;
                while let Some(v) = res_rx.recv().await {
                    sum += v;
                }
                (sum, start.elapsed())
            });
            let (pipe_sum, pipeline) = sink.await.expect("sink panicked");
            let (read_sum, readers_t) = collector.await.expect("collector panicked");
            let total = start.elapsed();
            source.await.expect("source panicked");
            for h in stages.into_iter().chain(readers) {
                h.await.expect("task panicked");
            }
            MixedRun {
                total,
                pipeline,
                readers: readers_t,
                pipe_sum,
                read_sum,
            }
        })
    }

    /// `n` calls of `block_in_place(|| black_box(i))` in one task; the time and the sum.
    pub fn calls(&self, n: usize) -> (Duration, u64) {
        self.task(async move {
            let mut acc = 0u64;
            let start = Instant::now();
            for i in 0..n as u64 {
                acc = acc.wrapping_add(tokio::task::block_in_place(|| black_box(i)));
            }
            (start.elapsed(), acc)
        })
    }

    /// `n` calls of `block_in_place(|| thread::sleep(sleep))` in one task while
    /// `yielders` other tasks loop on `tokio::task::yield_now` (see `Gpm::blocking`).
    pub fn blocking(&self, n: usize, sleep: Duration, yielders: usize) -> (Duration, u64, u64) {
        self.task(async move {
            let stop = Arc::new(AtomicBool::new(false));
            let others: Vec<_> = (0..yielders)
                .map(|_| {
                    let stop = stop.clone();
                    tokio::spawn(async move {
                        let mut yields = 0u64;
                        while !stop.load(Ordering::Relaxed) {
                            tokio::task::yield_now().await;
                            yields += 1;
                        }
                        yields
                    })
                })
                .collect();
            let mut calls = 0u64;
            let start = Instant::now();
            for _ in 0..n {
                tokio::task::block_in_place(|| std::thread::sleep(sleep));
                calls += 1;
            }
            let d = start.elapsed();
            stop.store(true, Ordering::Relaxed);
            let mut yields = 0;
            for h in others {
                yields += h.await.expect("yielder panicked");
            }
            (d, calls, yields)
        })
    }
}
