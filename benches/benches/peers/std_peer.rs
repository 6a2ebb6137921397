//! The `std::thread` row of the spawn workload: OS threads spawned from the main thread,
//! then joined.

use std::time::{Duration, Instant};

/// Spawns `n` threads that each return a small value, then joins them all.
pub fn spawn_join(n: usize) -> Duration {
    let start = Instant::now();
    let handles: Vec<_> = (0..n).map(|i| std::thread::spawn(move || i)).collect();
    let mut sum = 0usize;
    for h in handles {
        sum = sum.wrapping_add(h.join().expect("thread panicked"));
    }
    std::hint::black_box(sum);
    start.elapsed()
}
