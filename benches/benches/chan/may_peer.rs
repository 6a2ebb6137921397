//! The may peer of the chan benchmark: `procs` may workers; every task, the driver of
//! each workload included, is a coroutine spawned with `may::go!`, joined from the
//! calling thread.
//!
//! may's channels are unbounded: ping-pong and skynet use `may::sync::mpsc` (each
//! channel holds at most one value at a time there anyway), SPSC `may::sync::spsc`, MPMC
//! `may::sync::mpmc`, with no backpressure (producers may run ahead of consumers). The
//! sieve needs backpressure and uses [`crate::may_bounded`] (mpsc + semaphore, capacity 1).

use std::time::Instant;

use gpm_bench::joined;
use may::sync::{mpmc, mpsc, spsc};

use crate::may_bounded;
use crate::{share, Peer, Timed, SKYNET_FANOUT};

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
    joined(may::go!(f).join())
}

impl Peer for May {
    fn ping_pong(&self, n: usize) -> Timed {
        root(move || {
            let (tx1, rx1) = mpsc::channel::<u64>();
            let (tx2, rx2) = mpsc::channel::<u64>();
            let start = Instant::now();
            let b = may::go!(move || {
                for v in rx1.iter() {
                    if tx2.send(v).is_err() {
                        return;
                    }
                }
            });
            let a = may::go!(move || {
                let mut sum = 0;
                for i in 0..n as u64 {
                    tx1.send(i).expect("B hung up");
                    sum += rx2.recv().expect("B hung up");
                }
                sum
            });
            let sum = joined(a.join());
            joined(b.join());
            (start.elapsed(), sum)
        })
    }

    fn spsc(&self, n: usize, _cap: usize) -> Timed {
        root(move || {
            let (tx, rx) = spsc::channel::<u64>();
            let start = Instant::now();
            let producer = may::go!(move || {
                for i in 0..n as u64 {
                    tx.send(i).expect("consumer hung up");
                }
            });
            let consumer = may::go!(move || rx.iter().sum::<u64>());
            joined(producer.join());
            let sum = joined(consumer.join());
            (start.elapsed(), sum)
        })
    }

    fn mpmc(&self, n: usize, producers: usize, consumers: usize, _cap: usize) -> Timed {
        root(move || {
            let (tx, rx) = mpmc::channel::<u64>();
            let start = Instant::now();
            let sending: Vec<_> = (0..producers)
                .map(|p| {
                    let tx = tx.clone();
                    let (lo, hi) = share(n, producers, p);
                    may::go!(move || {
                        for i in lo..hi {
                            tx.send(i).expect("consumers hung up");
                        }
                    })
                })
                .collect();
            drop(tx);
            let receiving: Vec<_> = (0..consumers)
                .map(|_| {
                    let rx = rx.clone();
                    may::go!(move || rx.iter().sum::<u64>())
                })
                .collect();
            drop(rx);
            sending.into_iter().for_each(|h| joined(h.join()));
            let sum = receiving.into_iter().map(|h| joined(h.join())).sum();
            (start.elapsed(), sum)
        })
    }

    fn sieve(&self, primes: usize) -> Timed {
        root(move || {
            let start = Instant::now();
            let (tx, mut rx) = may_bounded::bounded::<u64>(1);
            let mut tasks = vec![may::go!(move || generate(tx))];
            let mut prime = 0;
            for found in 1..=primes {
                prime = rx.recv().expect("sieve chain broke");
                if found == primes {
                    break;
                }
                let (out, next) = may_bounded::bounded(1);
                let input = std::mem::replace(&mut rx, next);
                tasks.push(may::go!(move || filter(input, out, prime)));
            }
            let elapsed = start.elapsed();
            drop(rx); // the last filter's send fails, and so on up to the generator
            tasks.into_iter().for_each(|h| joined(h.join()));
            (elapsed, prime)
        })
    }

    fn skynet(&self, leaves: usize) -> Timed {
        root(move || {
            let start = Instant::now();
            let (tx, rx) = mpsc::channel();
            may::go!(move || skynet(tx, 0, leaves as u64));
            let sum = rx.recv().expect("skynet root lost");
            (start.elapsed(), sum)
        })
    }
}

/// Sends 2, 3, 4, ... until the receiver hangs up.
fn generate(tx: may_bounded::Sender<u64>) {
    for i in 2.. {
        if tx.send(i).is_err() {
            return;
        }
    }
}

/// Passes on the numbers not divisible by `prime` until either side hangs up.
fn filter(input: may_bounded::Receiver<u64>, out: may_bounded::Sender<u64>, prime: u64) {
    while let Some(i) = input.recv() {
        if !i.is_multiple_of(prime) && out.send(i).is_err() {
            return;
        }
    }
}

/// A skynet node numbered `num` over `size` leaves: a leaf sends `num`; an inner node
/// spawns its children, sums what they send and sends the sum up.
fn skynet(up: mpsc::Sender<u64>, num: u64, size: u64) {
    if size == 1 {
        let _ = up.send(num);
        return;
    }
    let (tx, rx) = mpsc::channel();
    let step = size / SKYNET_FANOUT;
    for i in 0..SKYNET_FANOUT {
        let tx = tx.clone();
        may::go!(move || skynet(tx, num + i * step, step));
    }
    drop(tx);
    let sum: u64 = (0..SKYNET_FANOUT)
        .map(|_| rx.recv().expect("skynet child lost"))
        .sum();
    let _ = up.send(sum);
}
