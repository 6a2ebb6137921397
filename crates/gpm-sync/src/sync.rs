//! The primitives this crate's protocols are written against: std and parking_lot
//! normally, loom's under `cfg(loom)`, behind one small interface so the protocol code is
//! model-checked unchanged (the same arrangement as in `gpm-g` and `gpm-chan`).
//!
//! - [`AtomicUsize`], [`AtomicBool`], [`Ordering`]: the state words.
//! - [`Lock`]: the short internal lock around a primitive's wait list (parking_lot's
//!   mutex; never held across a park). Its `new` is `const` outside loom, so the public
//!   types can have `const fn new` and live in `static`s.
//! - [`UnsafeCell`]: the cell that holds a lock's or a `OnceLock`'s value; under loom every
//!   access is checked for data races (`gpm-g`'s, which the channels share).
//! - [`Thread`]: parking an OS thread that waits outside the runtime. Under loom it is a
//!   token behind a loom mutex and condition variable rather than loom's own
//!   `park`/`unpark`: a waker's unpark may arrive late, after its target stopped waiting,
//!   which our protocol allows and loom's unpark would misreport (see `gpm-chan`'s shim).
//! - [`spin`]: one round of busy-waiting before a waiter queues; none under loom, where a
//!   spin would only multiply the interleavings.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[cfg(not(loom))]
mod imp {
    use std::time::Duration;

    /// The internal lock around a wait list (parking_lot: no poisoning, const `new`).
    pub(crate) struct Lock<T>(parking_lot::Mutex<T>);
    /// Its guard.
    pub(crate) type LockGuard<'a, T> = parking_lot::MutexGuard<'a, T>;

    impl<T> Lock<T> {
        pub(crate) const fn new(t: T) -> Self {
            Lock(parking_lot::Mutex::new(t))
        }
        pub(crate) fn lock(&self) -> LockGuard<'_, T> {
            self.0.lock()
        }
    }

    /// Parks the calling OS thread; unparked from anywhere (std's).
    #[derive(Clone, Debug)]
    pub(crate) struct Thread(std::thread::Thread);

    impl Thread {
        pub(crate) fn current() -> Thread {
            Thread(std::thread::current())
        }
        /// Parks the calling thread, which must be this one, until unparked (or
        /// spuriously).
        pub(crate) fn park(&self) {
            std::thread::park();
        }
        /// Like `park`, for at most `d`.
        pub(crate) fn park_timeout(&self, d: Duration) {
            std::thread::park_timeout(d);
        }
        pub(crate) fn unpark(&self) {
            self.0.unpark();
        }
    }

    /// Rounds of busy-waiting a contended `lock` tries before it queues.
    const SPIN_ROUNDS: u32 = 4;

    /// Busy-waits for round `round` (`2^(round+1)` pause instructions) and returns
    /// `true`, or returns `false` once the rounds are used up.
    pub(crate) fn spin(round: u32) -> bool {
        if round >= SPIN_ROUNDS {
            return false;
        }
        for _ in 0..(2u32 << round) {
            std::hint::spin_loop();
        }
        true
    }
}

#[cfg(loom)]
mod imp {
    use std::time::Duration;

    /// The internal lock (loom's).
    pub(crate) struct Lock<T>(loom::sync::Mutex<T>);
    /// Its guard.
    pub(crate) type LockGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> Lock<T> {
        pub(crate) fn new(t: T) -> Self {
            Lock(loom::sync::Mutex::new(t))
        }
        pub(crate) fn lock(&self) -> LockGuard<'_, T> {
            self.0.lock().unwrap()
        }
    }

    /// A park token behind a loom mutex and condition variable (see the module docs).
    #[derive(Clone)]
    pub(crate) struct Thread(std::sync::Arc<(loom::sync::Mutex<bool>, loom::sync::Condvar)>);

    impl Thread {
        pub(crate) fn current() -> Thread {
            Thread(std::sync::Arc::new((
                loom::sync::Mutex::new(false),
                loom::sync::Condvar::new(),
            )))
        }
        pub(crate) fn park(&self) {
            let mut token = self.0 .0.lock().unwrap();
            while !*token {
                token = self.0 .1.wait(token).unwrap();
            }
            *token = false;
        }
        /// A park that a virtual-time timer (`crate::vclock`) ends after `d`, unless an
        /// unpark comes first; the timer is withdrawn then.
        pub(crate) fn park_timeout(&self, d: Duration) {
            let me = self.clone();
            let timer = crate::vclock::arm(crate::vclock::now() + d, move || me.unpark());
            self.park();
            crate::vclock::cancel(timer);
        }
        pub(crate) fn unpark(&self) {
            *self.0 .0.lock().unwrap() = true;
            self.0 .1.notify_one();
        }
    }

    /// No spinning under loom.
    pub(crate) fn spin(_round: u32) -> bool {
        false
    }
}

/// The clock that deadlines are checked against: the real one, or under loom the virtual
/// one of `crate::vclock` (the mechanism `gpm-chan` uses, from the same source file).
#[cfg(not(loom))]
#[inline(always)]
pub(crate) fn now() -> std::time::Instant {
    std::time::Instant::now()
}
#[cfg(loom)]
pub(crate) use crate::vclock::now;

pub(crate) use gpm_g::sync::UnsafeCell;
pub(crate) use imp::{spin, Lock, LockGuard, Thread};
