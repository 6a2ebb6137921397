//! Atomics, mutexes and condition variables for the idle-M protocol: parking_lot and std
//! normally, loom's under `cfg(loom)`, behind one tiny interface so the protocol code in
//! [`crate::idle`] and [`crate::mpark`] is model-checked unchanged. The mutex is `gpm-g`'s
//! shared wrapper; the condition variable, with deadlines, is this crate's own.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicUsize, Ordering};

#[cfg(not(loom))]
mod imp {
    use std::time::Instant;

    use super::MutexGuard;

    /// A condition variable (parking_lot).
    #[derive(Default)]
    pub(crate) struct Condvar(parking_lot::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Self {
            Condvar(parking_lot::Condvar::new())
        }
        /// Waits for a notification or, with a deadline, until it passes. The guard is
        /// passed by value and returned so both backends share one signature.
        pub(crate) fn wait<'a, T>(
            &self,
            mut g: MutexGuard<'a, T>,
            deadline: Option<Instant>,
        ) -> MutexGuard<'a, T> {
            match deadline {
                Some(d) => {
                    self.0.wait_until(&mut g, d);
                }
                None => self.0.wait(&mut g),
            }
            g
        }
        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }
    }
}

#[cfg(loom)]
mod imp {
    use std::time::Instant;

    use super::MutexGuard;

    /// A condition variable (loom). Deadlines are ignored: loom has no clock, and a model
    /// that needs a timeout to make progress has a lost wakeup.
    pub(crate) struct Condvar(loom::sync::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Self {
            Condvar(loom::sync::Condvar::new())
        }
        pub(crate) fn wait<'a, T>(
            &self,
            g: MutexGuard<'a, T>,
            _deadline: Option<Instant>,
        ) -> MutexGuard<'a, T> {
            self.0.wait(g).unwrap()
        }
        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }
    }
}

pub(crate) use gpm_g::sync::{Mutex, MutexGuard};
pub(crate) use imp::Condvar;
