//! The concurrent prime sieve, the classic Go program (from the Go tour and
//! `test/chan/sieve1.go`), on gpm goroutines:
//!
//! ```text
//! cargo run --release -p gpm --example sieve [N]
//! ```
//!
//! A generator goroutine sends 2, 3, 4, … down a daisy chain of filter goroutines joined by
//! rendezvous channels (`bounded(0)`, Go's `make(chan int)`). Each number the chain lets
//! through is the next prime; a new filter for it is added to the end of the chain. Prints
//! the first N primes (default 3000; the 3000th is 27449), how long finding them took and
//! how long taking the chain down took (`benches/`'s sieve times only the finding).
//!
//! When enough primes have come out, the chain is taken down by disconnection: dropping
//! its last receiver makes the last filter's next send fail, so it returns and drops its
//! own receiver, and so on back to the generator.

use std::time::{Duration, Instant};

use gpm::chan::{bounded, Receiver, Sender};

/// Sends 2, 3, 4, … to `ch` until nobody receives any more.
fn generate(ch: Sender<u64>) {
    for i in 2.. {
        if ch.send(i).is_err() {
            return;
        }
    }
}

/// Copies the values from `input` to `out`, removing those divisible by `prime`; returns
/// when either side is gone.
fn filter(input: Receiver<u64>, out: Sender<u64>, prime: u64) {
    for i in &input {
        if i % prime != 0 && out.send(i).is_err() {
            return;
        }
    }
}

/// The first `n` primes, from a daisy chain of `n - 1` filter goroutines. Call it from a
/// goroutine (it parks while the chain works) or from a plain thread (it blocks). Returns
/// once every goroutine of the chain has ended.
pub fn first_primes(n: usize) -> Vec<u64> {
    first_primes_timed(n).0
}

/// [`first_primes`], with how long finding the primes took and how long the chain then
/// took to come down. The teardown is about as many channel hops as the finding: each
/// filter's last receive wakes it to fail its send.
pub fn first_primes_timed(n: usize) -> (Vec<u64>, Duration, Duration) {
    let start = Instant::now();
    let (tx, mut ch) = bounded(0);
    let mut chain = vec![gpm::go!(generate(tx))];
    let mut primes = Vec::with_capacity(n);
    while primes.len() < n {
        // `ch` is the end of the chain: what comes out is not divisible by any prime so far.
        let prime = ch.recv().expect("the generator never stops by itself");
        primes.push(prime);
        if primes.len() < n {
            let (tx1, ch1) = bounded(0);
            chain.push(gpm::go!(filter(ch, tx1, prime)));
            ch = ch1;
        }
    }
    let found = start.elapsed();
    drop(ch);
    for g in chain {
        g.join().expect("a sieve goroutine panicked");
    }
    (primes, found, start.elapsed() - found)
}

fn main() {
    let n: usize = match std::env::args().nth(1) {
        Some(a) => a
            .parse()
            .expect("usage: sieve [N], N a positive count of primes"),
        None => 3000,
    };
    assert!(n > 0, "usage: sieve [N], N a positive count of primes");
    let rt = gpm::Runtime::new().expect("runtime");
    let (primes, found, teardown) = rt.block_on(move || first_primes_timed(n));

    for row in primes.chunks(14) {
        let row: Vec<String> = row.iter().map(|p| format!("{p:>6}")).collect();
        println!("{}", row.join(" "));
    }
    println!(
        "the {n}th prime is {} ({n} goroutines, {} Ps): found in {:.1} ms, chain down in {:.1} ms",
        primes[n - 1],
        rt.procs(),
        found.as_secs_f64() * 1e3,
        teardown.as_secs_f64() * 1e3
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_500_primes() {
        let rt = gpm::Runtime::builder().procs(2).build().unwrap();
        let primes = rt.block_on(|| first_primes(500));
        assert_eq!(primes.len(), 500);
        assert_eq!(primes[..10], [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]);
        assert_eq!(primes[499], 3571);
        assert_eq!(first_primes(1), [2]); // from a plain thread: blocks instead of parking
    }
}
