//! `RwLock<T>` and its read and write guards over [`RawRwLock`].

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use crate::raw_rwlock::RawRwLock;
use crate::sync::UnsafeCell;
use crate::waiter::deadline_after;

/// A reader-writer lock: any number of readers or one writer. A goroutine that must wait
/// parks, a thread blocks; both can use the same lock.
///
/// The API is `std::sync::RwLock`'s without the `Result`s: there is no poisoning (see
/// [`crate::Mutex`]). Waiters are served in arrival order, and a waiting writer holds up
/// the readers that come after it, so neither readers nor writers starve. Every operation
/// takes a short internal lock; for data that is read far more often than written, and
/// where the critical sections are tiny, an [`crate::Mutex`] can be as fast.
///
/// ```
/// let lock = gpm_sync::RwLock::new(5);
/// {
///     let r1 = lock.read();
///     let r2 = lock.read();
///     assert_eq!(*r1 + *r2, 10);
///     assert!(lock.try_write().is_none());
/// }
/// *lock.write() += 1;
/// assert_eq!(*lock.read(), 6);
/// ```
pub struct RwLock<T> {
    raw: RawRwLock,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands `T` between holders (`T: Send`).
unsafe impl<T: Send> Send for RwLock<T> {}
// SAFETY: readers share `&T` across threads (`T: Sync`); a writer gets `&mut T` on any
// thread (`T: Send`). The raw lock orders every writer against every other holder.
unsafe impl<T: Send + Sync> Sync for RwLock<T> {}

/// A read lock on a [`RwLock`]: shared access to the data until dropped.
///
/// ```
/// let lock = gpm_sync::RwLock::new(vec![1, 2]);
/// let r: gpm_sync::RwLockReadGuard<'_, Vec<i32>> = lock.read();
/// assert_eq!(r.len(), 2); // `Deref` to the data
/// assert!(lock.try_write().is_none()); // writers wait while a reader holds it
/// drop(r);
/// assert!(lock.try_write().is_some());
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T> {
    lock: &'a RwLock<T>,
    _data: PhantomData<&'a T>,
}

/// The write lock on a [`RwLock`]: exclusive access to the data until dropped.
///
/// ```
/// let lock = gpm_sync::RwLock::new(0);
/// let mut w: gpm_sync::RwLockWriteGuard<'_, i32> = lock.write();
/// *w = 10; // `DerefMut` to the data
/// assert!(lock.try_read().is_none()); // readers wait while the writer holds it
/// drop(w);
/// assert_eq!(*lock.read(), 10);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T> {
    lock: &'a RwLock<T>,
    _data: PhantomData<&'a mut T>,
}

impl<T> RwLock<T> {
    /// A new unlocked lock holding `t`.
    ///
    /// ```
    /// static TABLE: gpm_sync::RwLock<Vec<&str>> = gpm_sync::RwLock::new(Vec::new());
    /// TABLE.write().push("x");
    /// assert_eq!(TABLE.read().len(), 1);
    /// ```
    #[cfg(not(loom))]
    pub const fn new(t: T) -> RwLock<T> {
        RwLock {
            raw: RawRwLock::new(),
            data: UnsafeCell::new(t),
        }
    }

    /// A new unlocked lock holding `t`.
    #[cfg(loom)]
    pub fn new(t: T) -> RwLock<T> {
        RwLock {
            raw: RawRwLock::new(),
            data: UnsafeCell::new(t),
        }
    }

    /// Takes a read lock, waiting while a writer holds the lock or waits for it.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let lock = Arc::new(gpm_sync::RwLock::new(5));
    /// let r1 = lock.read();
    /// let l2 = lock.clone();
    /// // Another reader gets in while `r1` is held.
    /// let t = std::thread::spawn(move || *l2.read());
    /// assert_eq!(t.join().unwrap(), 5);
    /// assert_eq!(*r1, 5);
    /// ```
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        self.read_until(None).expect("waits for ever")
    }

    /// Takes a read lock if that needs no waiting.
    ///
    /// ```
    /// let lock = gpm_sync::RwLock::new(1);
    /// assert!(lock.try_read().is_some());
    /// let w = lock.write();
    /// assert!(lock.try_read().is_none());
    /// drop(w);
    /// ```
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        self.read_until(Some(crate::sync::now()))
    }

    /// Takes a read lock, waiting at most `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let lock = gpm_sync::RwLock::new(1);
    /// let w = lock.write();
    /// assert!(lock.read_timeout(Duration::from_millis(1)).is_none());
    /// drop(w);
    /// assert_eq!(*lock.read_timeout(Duration::from_millis(1)).unwrap(), 1);
    /// ```
    pub fn read_timeout(&self, timeout: Duration) -> Option<RwLockReadGuard<'_, T>> {
        self.read_until(deadline_after(timeout))
    }

    /// Takes the write lock, waiting while anybody holds the lock or waits ahead.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let lock = Arc::new(gpm_sync::RwLock::new(Vec::new()));
    /// let hs: Vec<_> = (0..4)
    ///     .map(|i| {
    ///         let lock = lock.clone();
    ///         std::thread::spawn(move || lock.write().push(i))
    ///     })
    ///     .collect();
    /// hs.into_iter().for_each(|h| h.join().unwrap());
    /// assert_eq!(lock.read().len(), 4);
    /// ```
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.write_until(None).expect("waits for ever")
    }

    /// Takes the write lock if that needs no waiting.
    ///
    /// ```
    /// let lock = gpm_sync::RwLock::new(1);
    /// let r = lock.read();
    /// assert!(lock.try_write().is_none());
    /// drop(r);
    /// *lock.try_write().unwrap() = 2;
    /// assert_eq!(*lock.read(), 2);
    /// ```
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.write_until(Some(crate::sync::now()))
    }

    /// Takes the write lock, waiting at most `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let lock = gpm_sync::RwLock::new(1);
    /// let r = lock.read();
    /// assert!(lock.write_timeout(Duration::from_millis(1)).is_none());
    /// drop(r);
    /// assert!(lock.write_timeout(Duration::from_millis(1)).is_some());
    /// ```
    pub fn write_timeout(&self, timeout: Duration) -> Option<RwLockWriteGuard<'_, T>> {
        self.write_until(deadline_after(timeout))
    }

    /// The data, through the exclusive borrow that proves nobody holds the lock.
    ///
    /// ```
    /// let mut lock = gpm_sync::RwLock::new(1);
    /// *lock.get_mut() = 2;
    /// assert_eq!(*lock.read(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Consumes the lock and returns the data.
    ///
    /// ```
    /// let lock = gpm_sync::RwLock::new(String::from("a"));
    /// lock.write().push('b');
    /// assert_eq!(lock.into_inner(), "ab");
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }

    fn read_until(&self, deadline: Option<Instant>) -> Option<RwLockReadGuard<'_, T>> {
        self.raw.read_until(deadline).then(|| RwLockReadGuard {
            lock: self,
            _data: PhantomData,
        })
    }

    fn write_until(&self, deadline: Option<Instant>) -> Option<RwLockWriteGuard<'_, T>> {
        self.raw.write_until(deadline).then(|| RwLockWriteGuard {
            lock: self,
            _data: PhantomData,
        })
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(t: T) -> RwLock<T> {
        RwLock::new(t)
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Some(g) => d.field("data", &&*g),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read lock is held, so no writer exists meanwhile.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.raw.read_unlock();
    }
}

impl<T> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the write lock is held: nobody else touches the data.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the write lock is held, and `&mut self` makes this the only access.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.raw.write_unlock();
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
