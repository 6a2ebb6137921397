//! The synchronisation primitives the channel protocols are written against: std and
//! parking_lot normally, loom's under `cfg(loom)`, behind one small interface so the
//! protocol code is model-checked unchanged (as in `gpm-g` and `gpm-m`).
//!
//! The mutex is a spin lock ([`Mutex`], see there why), `gpm-g`'s loom mutex under loom.
//! Besides atomics this covers the three things loom must see to explore a protocol: the
//! interior-mutable cells that hold messages ([`UnsafeCell`], `gpm-g`'s), thread parking ([`Thread`])
//! and spin-waiting ([`Backoff`]), which under loom must yield so that the thread being
//! waited for can run.
//!
//! Under loom a [`Thread`] is a token behind a mutex and condition variable rather than
//! loom's own `park`/`unpark`: loom's `unpark` makes a thread runnable even while it is
//! blocked on a mutex, which our protocol allows (a waker's unpark may arrive late, after
//! its target stopped waiting) and loom then reports as an impossible lock acquisition.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::Arc;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::Arc;

#[cfg(not(loom))]
mod imp {
    use std::time::Duration;

    /// A handle to park the calling thread and unpark it from anywhere (std's).
    #[derive(Clone, Debug)]
    pub(crate) struct Thread(std::thread::Thread);

    impl Thread {
        /// The calling thread.
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

    /// Exponential spinning for the short windows in which another thread is between two
    /// steps of a protocol (a message slot claimed but not yet written), and after a lost
    /// compare-exchange (crossbeam's `Backoff`, whose limit this shares).
    pub(crate) struct Backoff(u32);

    /// Doublings of the spin before `snooze` yields and `spin` stops growing.
    const SPIN_LIMIT: u32 = 6;

    impl Backoff {
        pub(crate) fn new() -> Self {
            Backoff(0)
        }
        /// After losing a compare-exchange to another thread: spins a little longer each
        /// time (never yields, since the winner is running and done in a moment), so that
        /// contending threads stop taking the cache line from each other at every retry.
        pub(crate) fn spin(&mut self) {
            for _ in 0..(1u32 << self.0.min(SPIN_LIMIT)) {
                std::hint::spin_loop();
            }
            if self.0 <= SPIN_LIMIT {
                self.0 += 1;
            }
        }
        /// Spins a little longer each time; after a few rounds yields instead (the
        /// goroutine to its P's queue inside the runtime, the thread outside it), since
        /// the other party may be switched out.
        pub(crate) fn snooze(&mut self) {
            if self.0 < SPIN_LIMIT {
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

    /// Under loom a spin is a yield, so the thread being waited for gets to run.
    pub(crate) struct Backoff;

    impl Backoff {
        pub(crate) fn new() -> Self {
            Backoff
        }
        pub(crate) fn snooze(&mut self) {
            loom::thread::yield_now();
        }
        pub(crate) fn spin(&mut self) {
            loom::thread::yield_now();
        }
    }
}

/// The clock that deadlines are checked against: the real one, or under loom the virtual
/// one of `crate::vclock`.
#[cfg(not(loom))]
#[inline(always)]
pub(crate) fn now() -> std::time::Instant {
    std::time::Instant::now()
}
#[cfg(loom)]
pub(crate) use crate::vclock::now;

#[cfg(loom)]
pub(crate) use gpm_g::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use spin::{Mutex, MutexGuard};

/// The lock of the channels' wait queues and buffers: a spin lock, as crossbeam-channel's.
///
/// Every critical section in this crate is a handful of loads and stores (list an entry,
/// claim one, move a message), and none is ever held across a park. A spin lock releases
/// with a plain `Release` store where parking_lot's mutex needs a compare-exchange, which
/// saves an atomic read-modify-write per lock on the hottest path there is (a rendezvous
/// takes two locks per message). A waiter spins with [`Backoff`], which after a few rounds
/// yields the goroutine (or thread) so that a preempted holder gets to run.
///
/// Under loom the channels use loom's mutex, and this lock is model-checked on its own
/// (`tests/loom_spin.rs`, through `gpm_chan::loom_spin`): its flag is then a loom atomic.
pub(crate) mod spin {
    use std::cell::UnsafeCell;
    use std::ops::{Deref, DerefMut};

    use super::{AtomicBool, Ordering};

    /// A spin lock holding a `T`.
    #[derive(Default)]
    pub struct Mutex<T> {
        locked: AtomicBool,
        value: UnsafeCell<T>,
    }

    // SAFETY: the lock hands out `&mut T` to one holder at a time, like `std::sync::Mutex`.
    unsafe impl<T: Send> Send for Mutex<T> {}
    // SAFETY: as above.
    unsafe impl<T: Send> Sync for Mutex<T> {}

    /// Its guard: unlocks when dropped.
    pub struct MutexGuard<'a, T> {
        lock: &'a Mutex<T>,
    }

    impl<T> Mutex<T> {
        /// A lock holding `t`.
        pub fn new(t: T) -> Self {
            Mutex {
                locked: AtomicBool::new(false),
                value: UnsafeCell::new(t),
            }
        }

        /// Locks it, spinning (then yielding) while somebody else holds it.
        #[inline]
        pub fn lock(&self) -> MutexGuard<'_, T> {
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                self.lock_slow();
            }
            MutexGuard { lock: self }
        }

        #[cold]
        fn lock_slow(&self) {
            let mut backoff = super::Backoff::new();
            loop {
                // Spin on a load, not on the read-modify-write, so waiters do not keep
                // stealing the holder's cache line.
                while self.locked.load(Ordering::Relaxed) {
                    backoff.snooze();
                }
                if self
                    .locked
                    .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return;
                }
            }
        }
    }

    impl<T> Deref for MutexGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            // SAFETY: the guard holds the lock.
            unsafe { &*self.lock.value.get() }
        }
    }

    impl<T> DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            // SAFETY: the guard holds the lock.
            unsafe { &mut *self.lock.value.get() }
        }
    }

    impl<T> Drop for MutexGuard<'_, T> {
        #[inline]
        fn drop(&mut self) {
            self.lock.locked.store(false, Ordering::Release);
        }
    }
}
pub(crate) use gpm_g::sync::UnsafeCell;
pub(crate) use imp::{Backoff, Thread};
