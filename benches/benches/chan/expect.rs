//! The result every run of a workload must produce, computed without channels, so a
//! peer that loses, duplicates or reorders messages fails its cell instead of reporting
//! a time.

use crate::{SIEVE_LAST_PRIME, SIEVE_PRIMES, SKYNET_LEAVES, SKYNET_SUM};

/// `0 + 1 + ... + (n - 1)`: the sum of the messages of ping-pong, SPSC and MPMC, and the
/// root's sum in skynet (checked against [`SKYNET_SUM`] at full size).
pub fn sum_below(n: usize) -> u64 {
    let n = n as u64;
    let sum = n * n.saturating_sub(1) / 2;
    if n == SKYNET_LEAVES as u64 {
        assert_eq!(sum, SKYNET_SUM);
    }
    sum
}

/// The `n`-th prime (1-based) by trial division; checked against [`SIEVE_LAST_PRIME`]
/// at full size.
pub fn nth_prime(n: usize) -> u64 {
    let is_prime = |k: u64| {
        k >= 2
            && (2..)
                .take_while(|d| d * d <= k)
                .all(|d| !k.is_multiple_of(d))
    };
    let p = (2..)
        .filter(|&k| is_prime(k))
        .nth(n - 1)
        .expect("infinitely many primes");
    if n == SIEVE_PRIMES {
        assert_eq!(p, SIEVE_LAST_PRIME);
    }
    p
}
