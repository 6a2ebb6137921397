//! The synchronisation primitives the channel protocols are written against: std and
//! parking_lot normally, loom's under `cfg(loom)`, behind one small interface so the
//! protocol code is model-checked unchanged (as in `gpm-g` and `gpm-m`).
//!
//! Besides atomics and a mutex this covers the three things loom must see to explore a
//! protocol: the interior-mutable cells that hold messages ([`UnsafeCell`]), thread
//! parking ([`Thread`], [`park`]) and spin-waiting ([`Backoff`]), which under loom must
//! yield so that the thread being waited for can run.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};

#[cfg(not(loom))]
mod imp {
    use std::time::Duration;

    /// A mutex (parking_lot).
    #[derive(Default)]
    pub(crate) struct Mutex<T>(parking_lot::Mutex<T>);
    pub(crate) type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) fn new(t: T) -> Self {
            Mutex(parking_lot::Mutex::new(t))
        }
        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock()
        }
    }

    /// A cell whose contents the channel protocols hand from thread to thread.
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) fn new(t: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(t))
        }
        /// Calls `f` with a pointer to the contents. The caller's protocol must make the
        /// access exclusive.
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }

    pub(crate) use std::thread::{current, park, Thread};

    /// Parks the thread for at most `d`.
    pub(crate) fn park_timeout(d: Duration) {
        std::thread::park_timeout(d);
    }

    /// Exponential spinning for the short windows in which another thread is between two
    /// steps of a protocol (a message slot claimed but not yet written).
    pub(crate) struct Backoff(u32);

    impl Backoff {
        pub(crate) fn new() -> Self {
            Backoff(0)
        }
        /// Spins a little longer each time; after a few rounds yields instead (the
        /// goroutine to its P's queue inside the runtime, the thread outside it), since
        /// the other party may be switched out.
        pub(crate) fn snooze(&mut self) {
            if self.0 < 6 {
                for _ in 0..(1u32 << self.0) {
                    std::hint::spin_loop();
                }
                self.0 += 1;
            } else {
                gpm_g::yield_now();
            }
        }
    }
}

#[cfg(loom)]
mod imp {
    use std::time::Duration;

    /// A mutex (loom).
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);
    pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) fn new(t: T) -> Self {
            Mutex(loom::sync::Mutex::new(t))
        }
        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap()
        }
    }

    /// A cell whose accesses loom checks for data races.
    pub(crate) struct UnsafeCell<T>(loom::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) fn new(t: T) -> Self {
            UnsafeCell(loom::cell::UnsafeCell::new(t))
        }
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            self.0.with_mut(f)
        }
    }

    pub(crate) use loom::thread::{current, park, Thread};

    /// loom has no clock: a timed park is a park, and models use no deadlines.
    pub(crate) fn park_timeout(_d: Duration) {
        loom::thread::park();
    }

    /// Under loom a spin is a yield, so the thread being waited for gets to run.
    pub(crate) struct Backoff;

    impl Backoff {
        pub(crate) fn new() -> Self {
            Backoff
        }
        pub(crate) fn snooze(&mut self) {
            loom::thread::yield_now();
        }
    }
}

pub(crate) use imp::{current, park, park_timeout, Backoff, Mutex, MutexGuard, Thread, UnsafeCell};
