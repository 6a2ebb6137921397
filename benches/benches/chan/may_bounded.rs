//! A bounded channel for the may peer's sieve. may's channels (`may::sync::mpsc`,
//! `mpmc`, `spsc`) are all unbounded, and may does not preempt: a sieve generator
//! sending into an unbounded channel would never park and would queue numbers without
//! limit. This wraps `may::sync::mpsc` with a `may::sync::Semphore` counting free slots,
//! so a sender parks when `cap` values are in flight (`cap = 1` is the closest to Go's
//! unbuffered channel, like tokio's `mpsc::channel(1)`). Meant for one sender.

use std::sync::Arc;

use may::sync::{mpsc, Semphore};

/// The sending half.
pub struct Sender<T> {
    tx: mpsc::Sender<T>,
    free: Arc<Semphore>,
}

/// The receiving half; dropping it wakes a sender parked on a full channel, whose send
/// then fails.
pub struct Receiver<T> {
    rx: mpsc::Receiver<T>,
    free: Arc<Semphore>,
}

/// A channel holding at most `cap` values (for one sender).
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = mpsc::channel();
    let free = Arc::new(Semphore::new(cap));
    let tx = Sender {
        tx,
        free: Arc::clone(&free),
    };
    (tx, Receiver { rx, free })
}

impl<T> Sender<T> {
    /// Waits for a free slot, then sends; `Err(v)` if the receiver is gone.
    pub fn send(&self, v: T) -> Result<(), T> {
        self.free.wait();
        self.tx.send(v).map_err(|e| e.0)
    }
}

impl<T> Receiver<T> {
    /// The next value, or `None` once the sender is gone and the channel is empty.
    pub fn recv(&self) -> Option<T> {
        let v = self.rx.recv().ok()?;
        self.free.post();
        Some(v)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.free.post();
    }
}
