//! Classic Go channel programs, run with asserted results: the examples `sieve`, `skynet`
//! and `pipeline` (in `examples/`), included here so that the examples' own code is what
//! is tested.

#[allow(dead_code)]
#[path = "../../../examples/sieve.rs"]
mod sieve;

#[allow(dead_code)]
#[path = "../../../examples/skynet.rs"]
mod skynet;

#[allow(dead_code)]
#[path = "../../../examples/pipeline.rs"]
mod pipeline;

use std::collections::HashSet;

fn runtime(procs: usize) -> gpm::Runtime {
    gpm::Runtime::builder()
        .procs(procs)
        .build()
        .expect("build a runtime")
}

/// The first `n` primes by trial division, to check the sieve against.
fn primes_by_trial_division(n: usize) -> Vec<u64> {
    let mut primes: Vec<u64> = Vec::with_capacity(n);
    let mut k = 2;
    while primes.len() < n {
        if primes
            .iter()
            .take_while(|&&p| p * p <= k)
            .all(|&p| k % p != 0)
        {
            primes.push(k);
        }
        k += 1;
    }
    primes
}

#[test]
fn sieve_3000th_prime_is_27449() {
    let primes = runtime(2).block_on(|| sieve::first_primes(3000));
    assert_eq!(primes.len(), 3000);
    assert_eq!(primes[2999], 27449);
    assert_eq!(primes, primes_by_trial_division(3000));
}

/// The same chain on one P, and from a plain thread (the goroutines on the default
/// runtime): the caller blocks instead of parking.
#[test]
fn sieve_one_p_and_from_a_thread() {
    let want = primes_by_trial_division(500);
    assert_eq!(runtime(1).block_on(|| sieve::first_primes(500)), want);
    assert_eq!(sieve::first_primes(500), want);
    assert_eq!(sieve::first_primes(1), [2]);
}

#[test]
fn skynet_one_million_leaves() {
    let sum = runtime(2).block_on(|| skynet::skynet(1_000_000, skynet::DIV));
    assert_eq!(sum, 499_999_500_000);
}

#[test]
fn skynet_small_trees() {
    let rt = runtime(1);
    assert_eq!(rt.block_on(|| skynet::skynet(1, 10)), 0);
    assert_eq!(rt.block_on(|| skynet::skynet(1000, 10)), 499_500);
    assert_eq!(rt.block_on(|| skynet::skynet(1 << 12, 2)), 4096 * 4095 / 2);
    assert!(!skynet::is_power_of(999, 10) && !skynet::is_power_of(0, 10));
    assert!(!skynet::is_power_of(10, 1) && skynet::is_power_of(1, 10));
}

#[test]
fn pipeline_sum_of_odd_squares() {
    let rt = runtime(2);
    assert_eq!(
        rt.block_on(|| pipeline::sum_of_odd_squares(100_000, 4)),
        166_666_666_650_000
    );
    assert_eq!(
        rt.block_on(|| pipeline::sum_of_odd_squares(1000, 1)),
        166_666_500
    );
    assert_eq!(rt.block_on(|| pipeline::sum_of_odd_squares(0, 3)), 0);
    let one = runtime(1);
    assert_eq!(
        one.block_on(|| pipeline::sum_of_odd_squares(10_000, 7)),
        166_666_665_000
    );
}

/// Closing `done` after a few results stops every stage; `first_squares` returns only
/// once all of them have.
#[test]
fn pipeline_quits_early() {
    for procs in [1, 2] {
        let (first, goroutines) =
            runtime(procs).block_on(|| pipeline::first_squares(1_000_000, 4, 10));
        // gen, filter, 4 squarers, 4 forwarders.
        assert_eq!(goroutines, 10);
        assert_eq!(first.len(), 10);
        let distinct: HashSet<u64> = first.iter().copied().collect();
        assert_eq!(distinct.len(), 10, "a square came out twice: {first:?}");
        for &v in &first {
            let r = (v as f64).sqrt() as u64;
            assert!(
                r * r == v && r % 2 == 1 && (1..=1_000_000).contains(&r),
                "{v} is no odd square"
            );
        }
    }
}
