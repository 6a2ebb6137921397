//! The tokio peer of the chan benchmark: a multi-thread runtime with `procs` workers;
//! every task, the driver of each workload included, is a `tokio::spawn`ed task.
//!
//! tokio has no rendezvous channel: ping-pong, the sieve and skynet use
//! `tokio::sync::mpsc::channel(1)`, the closest. SPSC uses `mpsc::channel(cap)`. tokio
//! has no multi-consumer channel: MPMC uses the `async-channel` crate's `bounded(cap)`.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use tokio::runtime::Runtime;
use tokio::sync::mpsc::{channel, Receiver, Sender};
use tokio::task::JoinHandle;

use crate::{share, Peer, Timed, SKYNET_FANOUT};

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
    fn task<F: Future<Output = Timed> + Send + 'static>(&self, f: F) -> Timed {
        self.rt
            .block_on(async move { tokio::spawn(f).await })
            .expect("driver task panicked")
    }
}

impl Peer for Tokio {
    fn ping_pong(&self, n: usize) -> Timed {
        self.task(async move {
            let (tx1, mut rx1) = channel::<u64>(1);
            let (tx2, mut rx2) = channel::<u64>(1);
            let start = Instant::now();
            let b = tokio::spawn(async move {
                while let Some(v) = rx1.recv().await {
                    if tx2.send(v).await.is_err() {
                        return;
                    }
                }
            });
            let a = tokio::spawn(async move {
                let mut sum = 0;
                for i in 0..n as u64 {
                    tx1.send(i).await.expect("B hung up");
                    sum += rx2.recv().await.expect("B hung up");
                }
                sum
            });
            let sum = a.await.expect("A panicked");
            b.await.expect("B panicked");
            (start.elapsed(), sum)
        })
    }

    fn spsc(&self, n: usize, cap: usize) -> Timed {
        self.task(async move {
            let (tx, mut rx) = channel::<u64>(cap);
            let start = Instant::now();
            let producer = tokio::spawn(async move {
                for i in 0..n as u64 {
                    tx.send(i).await.expect("consumer hung up");
                }
            });
            let consumer = tokio::spawn(async move {
                let mut sum = 0;
                while let Some(v) = rx.recv().await {
                    sum += v;
                }
                sum
            });
            producer.await.expect("producer panicked");
            let sum = consumer.await.expect("consumer panicked");
            (start.elapsed(), sum)
        })
    }

    fn mpmc(&self, n: usize, producers: usize, consumers: usize, cap: usize) -> Timed {
        self.task(async move {
            let (tx, rx) = async_channel::bounded::<u64>(cap);
            let start = Instant::now();
            let sending: Vec<JoinHandle<()>> = (0..producers)
                .map(|p| {
                    let tx = tx.clone();
                    let (lo, hi) = share(n, producers, p);
                    tokio::spawn(async move {
                        for i in lo..hi {
                            tx.send(i).await.expect("consumers hung up");
                        }
                    })
                })
                .collect();
            drop(tx);
            let receiving: Vec<JoinHandle<u64>> = (0..consumers)
                .map(|_| {
                    let rx = rx.clone();
                    tokio::spawn(async move {
                        let mut sum = 0;
                        while let Ok(v) = rx.recv().await {
                            sum += v;
                        }
                        sum
                    })
                })
                .collect();
            drop(rx);
            for h in sending {
                h.await.expect("producer panicked");
            }
            let mut sum = 0;
            for h in receiving {
                sum += h.await.expect("consumer panicked");
            }
            (start.elapsed(), sum)
        })
    }

    fn sieve(&self, primes: usize) -> Timed {
        self.task(async move {
            let start = Instant::now();
            let (tx, mut rx) = channel::<u64>(1);
            let mut tasks = vec![tokio::spawn(generate(tx))];
            let mut prime = 0;
            for found in 1..=primes {
                prime = rx.recv().await.expect("sieve chain broke");
                if found == primes {
                    break;
                }
                let (out, next) = channel(1);
                let input = std::mem::replace(&mut rx, next);
                tasks.push(tokio::spawn(filter(input, out, prime)));
            }
            let elapsed = start.elapsed();
            drop(rx); // the last filter's send fails, and so on up to the generator
            for t in tasks {
                t.await.expect("sieve task panicked");
            }
            (elapsed, prime)
        })
    }

    fn skynet(&self, leaves: usize) -> Timed {
        self.task(async move {
            let start = Instant::now();
            let (tx, mut rx) = channel(1);
            tokio::spawn(skynet(tx, 0, leaves as u64));
            let sum = rx.recv().await.expect("skynet root lost");
            (start.elapsed(), sum)
        })
    }
}

/// Sends 2, 3, 4, ... until the receiver hangs up.
async fn generate(tx: Sender<u64>) {
    for i in 2.. {
        if tx.send(i).await.is_err() {
            return;
        }
    }
}

/// Passes on the numbers not divisible by `prime` until either side hangs up.
async fn filter(mut input: Receiver<u64>, out: Sender<u64>, prime: u64) {
    while let Some(i) = input.recv().await {
        if !i.is_multiple_of(prime) && out.send(i).await.is_err() {
            return;
        }
    }
}

/// A skynet node numbered `num` over `size` leaves: a leaf sends `num`; an inner node
/// spawns its children, sums what they send and sends the sum up. Boxed because the
/// future spawns copies of itself.
fn skynet(up: Sender<u64>, num: u64, size: u64) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        if size == 1 {
            let _ = up.send(num).await;
            return;
        }
        let (tx, mut rx) = channel(1);
        let step = size / SKYNET_FANOUT;
        for i in 0..SKYNET_FANOUT {
            tokio::spawn(skynet(tx.clone(), num + i * step, step));
        }
        drop(tx);
        let mut sum = 0;
        for _ in 0..SKYNET_FANOUT {
            sum += rx.recv().await.expect("skynet child lost");
        }
        let _ = up.send(sum).await;
    })
}
