//! The gpm peer of the chan benchmark: a `gpm::Runtime` with `procs` Ps and gpm's own
//! channels (`gpm::chan`, crossbeam-channel's API; `bounded(0)` is a rendezvous). The
//! driver of each workload is the goroutine `Runtime::block_on` runs; every task is a
//! goroutine spawned with `gpm::go!`, and a blocked channel operation parks it.

use std::time::Instant;

use gpm::chan::{bounded, Receiver, Sender};
use gpm::JoinHandle;
use gpm_bench::joined;

use crate::{share, Peer, Timed, SKYNET_FANOUT};

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
    fn ping_pong(&self, n: usize) -> Timed {
        self.rt.block_on(move || {
            let (tx1, rx1) = bounded::<u64>(0);
            let (tx2, rx2) = bounded::<u64>(0);
            let start = Instant::now();
            let b = gpm::go!(move || {
                for v in rx1.iter() {
                    if tx2.send(v).is_err() {
                        return;
                    }
                }
            });
            let a = gpm::go!(move || {
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

    fn spsc(&self, n: usize, cap: usize) -> Timed {
        self.rt.block_on(move || {
            let (tx, rx) = bounded::<u64>(cap);
            let start = Instant::now();
            let producer = gpm::go!(move || {
                for i in 0..n as u64 {
                    tx.send(i).expect("consumer hung up");
                }
            });
            let consumer = gpm::go!(move || rx.iter().sum::<u64>());
            joined(producer.join());
            let sum = joined(consumer.join());
            (start.elapsed(), sum)
        })
    }

    fn mpmc(&self, n: usize, producers: usize, consumers: usize, cap: usize) -> Timed {
        self.rt.block_on(move || {
            let (tx, rx) = bounded::<u64>(cap);
            let start = Instant::now();
            let sending: Vec<JoinHandle<()>> = (0..producers)
                .map(|p| {
                    let tx = tx.clone();
                    let (lo, hi) = share(n, producers, p);
                    gpm::go!(move || {
                        for i in lo..hi {
                            tx.send(i).expect("consumers hung up");
                        }
                    })
                })
                .collect();
            drop(tx);
            let receiving: Vec<JoinHandle<u64>> = (0..consumers)
                .map(|_| {
                    let rx = rx.clone();
                    gpm::go!(move || rx.iter().sum::<u64>())
                })
                .collect();
            drop(rx);
            sending.into_iter().for_each(|h| joined(h.join()));
            let sum = receiving.into_iter().map(|h| joined(h.join())).sum();
            (start.elapsed(), sum)
        })
    }

    fn sieve(&self, primes: usize) -> Timed {
        self.rt.block_on(move || {
            let start = Instant::now();
            let (tx, mut rx) = bounded::<u64>(0);
            let mut tasks = vec![gpm::go!(move || generate(tx))];
            let mut prime = 0;
            for found in 1..=primes {
                prime = rx.recv().expect("sieve chain broke");
                if found == primes {
                    break;
                }
                let (out, next) = bounded(0);
                let input = std::mem::replace(&mut rx, next);
                tasks.push(gpm::go!(move || filter(input, out, prime)));
            }
            let elapsed = start.elapsed();
            drop(rx); // the last filter's send fails, and so on up to the generator
            tasks.into_iter().for_each(|h| joined(h.join()));
            (elapsed, prime)
        })
    }

    fn skynet(&self, leaves: usize) -> Timed {
        self.rt.block_on(move || {
            let start = Instant::now();
            let (tx, rx) = bounded(0);
            gpm::go!(move || skynet(tx, 0, leaves as u64));
            let sum = rx.recv().expect("skynet root lost");
            (start.elapsed(), sum)
        })
    }
}

/// Sends 2, 3, 4, ... until the receiver hangs up.
fn generate(tx: Sender<u64>) {
    for i in 2.. {
        if tx.send(i).is_err() {
            return;
        }
    }
}

/// Passes on the numbers not divisible by `prime` until either side hangs up.
fn filter(input: Receiver<u64>, out: Sender<u64>, prime: u64) {
    for i in input.iter() {
        if !i.is_multiple_of(prime) && out.send(i).is_err() {
            return;
        }
    }
}

/// A skynet node numbered `num` over `size` leaves: a leaf sends `num`; an inner node
/// spawns its children, sums what they send on its rendezvous channel and sends the sum
/// up.
fn skynet(up: Sender<u64>, num: u64, size: u64) {
    if size == 1 {
        let _ = up.send(num);
        return;
    }
    let (tx, rx) = bounded(0);
    let step = size / SKYNET_FANOUT;
    for i in 0..SKYNET_FANOUT {
        let tx = tx.clone();
        gpm::go!(move || skynet(tx, num + i * step, step));
    }
    drop(tx);
    let sum: u64 = (0..SKYNET_FANOUT)
        .map(|_| rx.recv().expect("skynet child lost"))
        .sum();
    let _ = up.send(sum);
}
