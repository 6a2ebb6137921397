//! The synchronisation primitives gpm's protocols are written against: `std` and
//! parking_lot normally, loom's under `cfg(loom)`, so that the protocols can be
//! model-checked unchanged. The atomics serve this crate's park/ready state machine; the
//! [`Mutex`] wrapper is shared with the scheduler (`gpm-m`) and the channels (`gpm-chan`),
//! which add what only they need (a condition variable, parking, cells).

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU8, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicU8, Ordering};

#[cfg(not(loom))]
mod imp {
    /// A mutex (parking_lot).
    #[derive(Default)]
    pub struct Mutex<T>(parking_lot::Mutex<T>);
    /// Its guard.
    pub type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        /// A mutex holding `t`.
        pub fn new(t: T) -> Self {
            Mutex(parking_lot::Mutex::new(t))
        }
        /// Locks it (no poisoning).
        pub fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock()
        }
    }
}

#[cfg(loom)]
mod imp {
    /// A mutex (loom).
    pub struct Mutex<T>(loom::sync::Mutex<T>);
    /// Its guard.
    pub type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        /// A mutex holding `t`.
        pub fn new(t: T) -> Self {
            Mutex(loom::sync::Mutex::new(t))
        }
        /// Locks it.
        pub fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap()
        }
    }
}

pub use imp::{Mutex, MutexGuard};
