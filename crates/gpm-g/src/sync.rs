//! The synchronisation primitives gpm's protocols are written against: `std` and
//! parking_lot normally, loom's under `cfg(loom)`, so that the protocols can be
//! model-checked unchanged. The atomics serve this crate's park/ready state machine; the
//! [`Mutex`] wrapper is shared with the scheduler (`gpm-m`) and the channels (`gpm-chan`),
//! which add what only they need (a condition variable, parking), and so is [`UnsafeCell`]
//! with the channels and the sync primitives.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU8, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicU8, Ordering};

/// A cell whose contents a protocol hands from thread to thread (loom's under `cfg(loom)`,
/// which checks that no two accesses overlap); the channels' and the sync primitives' too.
pub struct UnsafeCell<T>(
    #[cfg(not(loom))] std::cell::UnsafeCell<T>,
    #[cfg(loom)] loom::cell::UnsafeCell<T>,
);

impl<T> UnsafeCell<T> {
    /// A cell holding `t`; `const` outside loom, so that its users can live in `static`s.
    #[cfg(not(loom))]
    pub const fn new(t: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(t))
    }

    /// A cell holding `t`.
    #[cfg(loom)]
    pub fn new(t: T) -> Self {
        UnsafeCell(loom::cell::UnsafeCell::new(t))
    }

    /// Calls `f` with a pointer for reading. The caller's protocol must make it safe.
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        #[cfg(not(loom))]
        return f(self.0.get());
        #[cfg(loom)]
        return self.0.with(f);
    }

    /// Calls `f` with a pointer to the contents. The caller's protocol must make the access
    /// exclusive.
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        #[cfg(not(loom))]
        return f(self.0.get());
        #[cfg(loom)]
        return self.0.with_mut(f);
    }

    /// The contents, through an exclusive borrow of the cell.
    pub fn get_mut(&mut self) -> &mut T {
        #[cfg(not(loom))]
        return self.0.get_mut();
        // SAFETY: `&mut self` is exclusive.
        #[cfg(loom)]
        return self.0.with_mut(|p| unsafe { &mut *p });
    }

    /// The contents, out of the cell.
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

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
