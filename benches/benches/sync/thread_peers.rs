//! The OS-thread side of the sync benchmark: one thread per task, contending for a
//! `std::sync::Mutex` or a `parking_lot::Mutex` (a waiter blocks its thread in a futex).

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use crate::Peer;

/// Stack size of each contending thread (they only loop).
const THREAD_STACK: usize = 64 * 1024;

/// `std::sync::Mutex` on OS threads.
pub struct Std;

/// `parking_lot::Mutex` on OS threads.
pub struct ParkingLot;

/// A mutex as this file drives it.
trait Lock: Send + Sync + 'static {
    fn new() -> Self;
    fn bump(&self);
    fn get(&self) -> u64;
}

impl Lock for std::sync::Mutex<u64> {
    fn new() -> Self {
        std::sync::Mutex::new(0)
    }
    fn bump(&self) {
        *self.lock().unwrap() += 1;
    }
    fn get(&self) -> u64 {
        *self.lock().unwrap()
    }
}

impl Lock for parking_lot::Mutex<u64> {
    fn new() -> Self {
        parking_lot::Mutex::new(0)
    }
    fn bump(&self) {
        *self.lock() += 1;
    }
    fn get(&self) -> u64 {
        *self.lock()
    }
}

fn counter<L: Lock>(tasks: usize, per_task: usize) -> (Duration, u64) {
    let m = Arc::new(L::new());
    let gate = Arc::new(Barrier::new(tasks + 1));
    let hs: Vec<_> = (0..tasks)
        .map(|_| {
            let (m, gate) = (m.clone(), gate.clone());
            thread::Builder::new()
                .stack_size(THREAD_STACK)
                .spawn(move || {
                    gate.wait();
                    for _ in 0..per_task {
                        m.bump();
                    }
                })
                .expect("spawn thread")
        })
        .collect();
    let start = Instant::now();
    gate.wait();
    hs.into_iter().for_each(|h| gpm_bench::joined(h.join()));
    (start.elapsed(), m.get())
}

fn uncontended<L: Lock>(n: usize) -> (Duration, u64) {
    let m = L::new();
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(&m).bump();
    }
    (start.elapsed(), m.get())
}

impl Peer for Std {
    fn counter(&self, tasks: usize, per_task: usize) -> (Duration, u64) {
        counter::<std::sync::Mutex<u64>>(tasks, per_task)
    }
    fn uncontended(&self, n: usize) -> (Duration, u64) {
        uncontended::<std::sync::Mutex<u64>>(n)
    }
}

impl Peer for ParkingLot {
    fn counter(&self, tasks: usize, per_task: usize) -> (Duration, u64) {
        counter::<parking_lot::Mutex<u64>>(tasks, per_task)
    }
    fn uncontended(&self, n: usize) -> (Duration, u64) {
        uncontended::<parking_lot::Mutex<u64>>(n)
    }
}
