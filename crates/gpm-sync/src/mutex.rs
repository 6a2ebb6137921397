//! `Mutex<T>` and its guard: the data and the RAII interface over [`RawMutex`].

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use crate::raw_mutex::RawMutex;
use crate::sync::UnsafeCell;
use crate::waiter::deadline_after;

/// A mutual-exclusion lock that parks a waiting goroutine (its M runs other goroutines)
/// and blocks a waiting OS thread; goroutines and threads can contend for the same mutex.
///
/// The API is `std::sync::Mutex`'s without the `Result`s: **there is no poisoning**. A
/// panic while the lock is held releases it when the guard is dropped during the unwind,
/// and the next `lock` succeeds as usual, as with parking_lot. A panicking critical
/// section may leave the data half-updated, so code that needs to know should check its own
/// invariants; gpm makes no guess about whether a panic broke them (a goroutine unwound by
/// its runtime's shutdown also drops its guards, and that is no sign of broken data).
///
/// Acquisition is fast and mostly fair, as Go's `sync.Mutex` (see the crate docs): a
/// running goroutine may take the lock ahead of parked waiters, but once the first waiter
/// has waited for 1 ms the lock is handed to the waiters in FIFO order, so nobody is
/// starved.
///
/// The guard may be held across blocking gpm calls (channel operations, sleeps, other
/// locks): unlike `std::sync::MutexGuard` it is not tied to the OS thread, so it is fine
/// that the goroutine may continue on another thread, and it may be sent to another
/// goroutine or thread to be unlocked there.
///
/// ```
/// use std::sync::Arc;
/// let counter = Arc::new(gpm_sync::Mutex::new(0));
/// let hs: Vec<_> = (0..4)
///     .map(|_| {
///         let c = counter.clone();
///         std::thread::spawn(move || *c.lock() += 1)
///     })
///     .collect();
/// hs.into_iter().for_each(|h| h.join().unwrap());
/// assert_eq!(*counter.lock(), 4);
/// ```
pub struct Mutex<T> {
    raw: RawMutex,
    data: UnsafeCell<T>,
}

// SAFETY: the mutex hands `T` from holder to holder, so `T: Send` is all it needs.
unsafe impl<T: Send> Send for Mutex<T> {}
// SAFETY: only the holder of the lock touches `T` (the lock's acquire/release orderings
// order the holders), so sharing the mutex shares `T` with one thread at a time.
unsafe impl<T: Send> Sync for Mutex<T> {}

/// The lock on a [`Mutex`]: dereferences to the data, and unlocks when dropped.
///
/// ```
/// let m = gpm_sync::Mutex::new(vec![1]);
/// {
///     let mut g: gpm_sync::MutexGuard<'_, Vec<i32>> = m.lock();
///     g.push(2); // `DerefMut` to the data
///     assert!(m.is_locked());
/// } // dropping the guard unlocks
/// assert!(!m.is_locked());
/// assert_eq!(*m.lock(), [1, 2]);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T> {
    pub(crate) mutex: &'a Mutex<T>,
    /// `Send` iff `T: Send`, `Sync` iff `T: Sync` (as tokio's guard).
    _data: PhantomData<&'a mut T>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `t`.
    ///
    /// ```
    /// static HITS: gpm_sync::Mutex<u32> = gpm_sync::Mutex::new(0); // `const`: fits a static
    /// *HITS.lock() += 1;
    /// assert_eq!(*HITS.lock(), 1);
    /// ```
    #[cfg(not(loom))]
    pub const fn new(t: T) -> Mutex<T> {
        Mutex {
            raw: RawMutex::new(),
            data: UnsafeCell::new(t),
        }
    }

    /// A new unlocked mutex holding `t`.
    #[cfg(loom)]
    pub fn new(t: T) -> Mutex<T> {
        Mutex {
            raw: RawMutex::new(),
            data: UnsafeCell::new(t),
        }
    }

    /// Under loom: a mutex that hands the lock to a waiter at every contended unlock
    /// (`true`: starvation mode from the start) or never (`false`), since loom has no clock.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn with_starvation(t: T, starve_at_once: bool) -> Mutex<T> {
        Mutex {
            raw: RawMutex::with_starvation(starve_at_once),
            data: UnsafeCell::new(t),
        }
    }

    /// Locks the mutex, waiting as long as it takes: a goroutine parks, a thread blocks.
    ///
    /// Locking a mutex that the caller already holds deadlocks (it is not re-entrant).
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let m = Arc::new(gpm_sync::Mutex::new(String::new()));
    /// let m2 = m.clone();
    /// let t = std::thread::spawn(move || m2.lock().push_str("thread "));
    /// t.join().unwrap();
    /// m.lock().push_str("main"); // waits while somebody else holds it
    /// assert_eq!(*m.lock(), "thread main");
    /// ```
    #[inline]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.raw.lock();
        self.guard()
    }

    /// Locks the mutex if it is free right now.
    ///
    /// ```
    /// let m = gpm_sync::Mutex::new(1);
    /// let g = m.lock();
    /// assert!(m.try_lock().is_none()); // held: no waiting, just `None`
    /// drop(g);
    /// assert_eq!(*m.try_lock().unwrap(), 1);
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.raw.try_lock().then(|| self.guard())
    }

    /// Locks the mutex, waiting at most `timeout`; `None` if it stayed locked that long.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let m = gpm_sync::Mutex::new(0);
    /// let g = m.lock();
    /// assert!(m.lock_timeout(Duration::from_millis(1)).is_none()); // still held after 1 ms
    /// drop(g);
    /// assert!(m.lock_timeout(Duration::from_millis(1)).is_some());
    /// ```
    pub fn lock_timeout(&self, timeout: Duration) -> Option<MutexGuard<'_, T>> {
        self.raw
            .lock_until(deadline_after(timeout))
            .then(|| self.guard())
    }

    /// True if somebody holds the lock at this moment (a racy hint).
    ///
    /// ```
    /// let m = gpm_sync::Mutex::new(());
    /// assert!(!m.is_locked());
    /// let _g = m.lock();
    /// assert!(m.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// The data, through the exclusive borrow that proves nobody holds the lock.
    ///
    /// ```
    /// let mut m = gpm_sync::Mutex::new(1);
    /// *m.get_mut() += 1; // no locking needed: `&mut` proves exclusive access
    /// assert_eq!(*m.lock(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Consumes the mutex and returns the data.
    ///
    /// ```
    /// let m = gpm_sync::Mutex::new(vec![3, 4]);
    /// m.lock().push(5);
    /// assert_eq!(m.into_inner(), [3, 4, 5]);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }

    fn guard(&self) -> MutexGuard<'_, T> {
        MutexGuard {
            mutex: self,
            _data: PhantomData,
        }
    }

    pub(crate) fn raw(&self) -> &RawMutex {
        &self.raw
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(t: T) -> Mutex<T> {
        Mutex::new(t)
    }
}

impl<T: fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(g) => d.field("data", &&*g),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<'a, T> MutexGuard<'a, T> {
    /// The mutex this guard locks.
    pub(crate) fn into_mutex(self) -> &'a Mutex<T> {
        let m = self.mutex;
        std::mem::forget(self);
        m
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock, so nobody writes the data meanwhile.
        self.mutex.data.with(|p| unsafe { &*p })
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock, and `&mut self` makes this the only access.
        self.mutex.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.mutex.raw.unlock();
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
