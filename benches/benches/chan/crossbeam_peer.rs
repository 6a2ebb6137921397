//! The crossbeam-channel peer of the chan benchmark: one OS thread (`std::thread`) per
//! task, talking over `crossbeam_channel::bounded` channels (`bounded(0)` is a
//! rendezvous). Skynet is not run: it would need 1.1M OS threads.

use std::thread::{self, JoinHandle};
use std::time::Instant;

use crossbeam_channel::{bounded, Receiver, Sender};
use gpm_bench::joined;

use crate::{share, Peer, Timed, SIEVE_THREAD_STACK};

/// OS threads and crossbeam channels; there is no runtime to configure.
pub struct Crossbeam;

impl Peer for Crossbeam {
    fn ping_pong(&self, n: usize) -> Timed {
        let (tx1, rx1) = bounded::<u64>(0);
        let (tx2, rx2) = bounded::<u64>(0);
        let start = Instant::now();
        let b = thread::spawn(move || {
            for v in rx1 {
                if tx2.send(v).is_err() {
                    return;
                }
            }
        });
        let a = thread::spawn(move || {
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
    }

    fn spsc(&self, n: usize, cap: usize) -> Timed {
        let (tx, rx) = bounded::<u64>(cap);
        let start = Instant::now();
        let producer = thread::spawn(move || {
            for i in 0..n as u64 {
                tx.send(i).expect("consumer hung up");
            }
        });
        let consumer = thread::spawn(move || rx.iter().sum::<u64>());
        joined(producer.join());
        let sum = joined(consumer.join());
        (start.elapsed(), sum)
    }

    fn mpmc(&self, n: usize, producers: usize, consumers: usize, cap: usize) -> Timed {
        let (tx, rx) = bounded::<u64>(cap);
        let start = Instant::now();
        let sending: Vec<JoinHandle<()>> = (0..producers)
            .map(|p| {
                let tx = tx.clone();
                let (lo, hi) = share(n, producers, p);
                thread::spawn(move || {
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
                thread::spawn(move || rx.iter().sum::<u64>())
            })
            .collect();
        drop(rx);
        sending.into_iter().for_each(|h| joined(h.join()));
        let sum = receiving.into_iter().map(|h| joined(h.join())).sum();
        (start.elapsed(), sum)
    }

    fn sieve(&self, primes: usize) -> Timed {
        let start = Instant::now();
        let (tx, mut rx) = bounded::<u64>(0);
        let mut threads = vec![small_thread(move || generate(tx))];
        let mut prime = 0;
        for found in 1..=primes {
            prime = rx.recv().expect("sieve chain broke");
            if found == primes {
                break;
            }
            let (out, next) = bounded(0);
            let input = std::mem::replace(&mut rx, next);
            threads.push(small_thread(move || filter(input, out, prime)));
        }
        let elapsed = start.elapsed();
        drop(rx); // the last filter's send fails, and so on up to the generator
        threads.into_iter().for_each(|h| joined(h.join()));
        (elapsed, prime)
    }

    fn skynet(&self, _leaves: usize) -> Timed {
        panic!("skynet is not run with OS threads (1.1M threads)");
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
    for i in input {
        if !i.is_multiple_of(prime) && out.send(i).is_err() {
            return;
        }
    }
}

fn small_thread(f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    thread::Builder::new()
        .stack_size(SIEVE_THREAD_STACK)
        .spawn(f)
        .expect("spawn sieve thread")
}
