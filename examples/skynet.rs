//! Skynet, the goroutine benchmark (<https://github.com/atemerev/skynet>), on gpm:
//!
//! ```text
//! cargo run --release -p gpm --example skynet [LEAVES] [ROUNDS]
//! ```
//!
//! A ten-ary tree of goroutines, 1,000,000 leaves by default (1,111,111 goroutines in
//! all). A node starts its ten children and sums the ten numbers they send on its
//! rendezvous channel; a leaf sends its own number. The root's sum is
//! `0 + 1 + … + (LEAVES - 1)`: 499999500000 for a million. Prints it and how long it took,
//! once per round (default 1; later rounds reuse the pooled stacks).

use std::time::Instant;

use gpm::chan::{bounded, Sender};

/// The branching factor of the tree.
pub const DIV: u64 = 10;

/// A node covering the leaves `num .. num + size`: sends their sum on `c`.
fn node(c: Sender<u64>, num: u64, size: u64, div: u64) {
    if size == 1 {
        c.send(num).expect("the parent waits for every child");
        return;
    }
    let (tx, rc) = bounded(0);
    for i in 0..div {
        let sub_num = num + i * (size / div);
        let tx = tx.clone();
        // Detached: the parent waits for the message, not for the goroutine.
        drop(gpm::go!(move || node(tx, sub_num, size / div, div)));
    }
    drop(tx);
    let sum: u64 = (0..div)
        .map(|_| rc.recv().expect("a child ended without sending"))
        .sum();
    c.send(sum).expect("the parent waits for every child");
}

/// True if `n` is a power of `div` (`div >= 2`), so that `n` leaves make a full tree.
pub fn is_power_of(mut n: u64, div: u64) -> bool {
    if div < 2 || n == 0 {
        return false;
    }
    while n.is_multiple_of(div) {
        n /= div;
    }
    n == 1
}

/// Runs the tree with `leaves` leaves (a power of `div`) and returns the root's sum,
/// `leaves * (leaves - 1) / 2`. Call it from a goroutine or a plain thread.
///
/// # Panics
/// If `leaves` is not a power of `div` (see [`is_power_of`]).
pub fn skynet(leaves: u64, div: u64) -> u64 {
    assert!(
        is_power_of(leaves, div),
        "{leaves} leaves do not make a {div}-ary tree"
    );
    let (tx, rx) = bounded(0);
    drop(gpm::go!(move || node(tx, 0, leaves, div)));
    rx.recv().expect("the root ended without sending")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: skynet [LEAVES, a power of 10] [ROUNDS]";
    let leaves: u64 = args.next().map_or(1_000_000, |a| a.parse().expect(usage));
    let rounds: u32 = args.next().map_or(1, |a| a.parse().expect(usage));
    if !is_power_of(leaves, DIV) {
        eprintln!("{usage}: {leaves} is not a power of {DIV}");
        std::process::exit(2);
    }
    let rt = gpm::Runtime::new().expect("runtime");
    for _ in 0..rounds {
        let t = Instant::now();
        let sum = rt.block_on(move || skynet(leaves, DIV));
        println!(
            "Result: {sum} in {:.0} ms ({leaves} leaves, {} Ps)",
            t.elapsed().as_secs_f64() * 1e3,
            rt.procs()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers() {
        assert!(is_power_of(1, DIV) && is_power_of(1000, DIV));
        assert!(!is_power_of(0, DIV) && !is_power_of(200, DIV) && !is_power_of(8, 1));
    }

    #[test]
    fn sums() {
        let rt = gpm::Runtime::builder().procs(2).build().unwrap();
        for leaves in [1, 10, 100_000] {
            assert_eq!(
                rt.block_on(move || skynet(leaves, DIV)),
                leaves * (leaves - 1) / 2
            );
        }
        assert_eq!(rt.block_on(|| skynet(1 << 10, 2)), 1023 * 1024 / 2);
    }
}
