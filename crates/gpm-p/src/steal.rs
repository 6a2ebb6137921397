//! Work stealing: how an M with an empty P takes work from its peers.
//!
//! Up to [`STEAL_PASSES`] passes over all Ps. Each pass starts at a random P and walks with a
//! random stride coprime to the number of Ps, so every P is visited exactly once per pass
//! and two thieves rarely queue up behind the same victim (Go's `randomOrder`). A steal
//! takes about half of the victim's local queue. Only the last pass may take a victim's
//! `runnext`: that G was readied a moment ago by the victim's running G, which will
//! probably park soon and let its own P run it.

use std::sync::Arc;

use gpm_g::GRef;

use crate::queue::LocalQueue;
use crate::{PShared, P};

/// Passes over all Ps before a thief gives up.
pub const STEAL_PASSES: usize = 4;

/// Tries to steal work for `thief` from the Ps in `all` (which includes the thief's own P,
/// skipped). `rand` supplies random numbers.
pub fn steal_work(
    thief: &P,
    all: &[Arc<PShared>],
    mut rand: impl FnMut(usize) -> usize,
) -> Option<GRef> {
    let n = all.len();
    if n <= 1 {
        return None;
    }
    for pass in 0..STEAL_PASSES {
        let last = pass == STEAL_PASSES - 1;
        let start = rand(n);
        let stride = coprime_stride(n, rand(n));
        let mut i = start;
        for _ in 0..n {
            let victim = &all[i];
            if victim.id() != thief.id() {
                let before = if gpm_g::trace::on() {
                    thief.local().len()
                } else {
                    0
                };
                if let Some(g) = victim.steal_into(thief, last) {
                    if gpm_g::trace::on() {
                        let n = 1 + thief.local().len().saturating_sub(before);
                        gpm_g::trace::steal(thief.id(), victim.id(), n);
                    }
                    return Some(g);
                }
            }
            i = (i + stride) % n;
        }
    }
    None
}

/// A stride in `1..n` coprime to `n`, picked from `seed`.
fn coprime_stride(n: usize, seed: usize) -> usize {
    if n == 1 {
        return 1;
    }
    let mut s = seed % n;
    loop {
        if s != 0 && gcd(s, n) == 1 {
            return s;
        }
        s = (s + 1) % n;
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strides_visit_every_p_once() {
        for n in 1..20 {
            for seed in 0..n {
                let s = coprime_stride(n, seed);
                let mut seen = vec![false; n];
                let mut i = seed % n;
                for _ in 0..n {
                    assert!(!seen[i], "n={n} stride={s} revisits {i}");
                    seen[i] = true;
                    i = (i + s) % n;
                }
            }
        }
    }
}
