//! `Semaphore`: a count of permits, handed to waiters in FIFO order.
//!
//! The count and the wait list live under the internal lock. A released permit goes
//! straight to the first waiter (its node is finished with `GRANTED`, so the permit is
//! already its own when it wakes) and only returns to the count when nobody waits; so
//! permits are never available while somebody waits, and a newcomer cannot overtake.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::sync::{Lock, LockGuard};
use crate::waiter::{deadline_after, expired, Node, ABORTED, GRANTED};
use crate::waitlist::{WaitList, Wakeups};

struct State {
    permits: usize,
    queue: WaitList,
}

/// A counting semaphore (Go's `x/sync/semaphore` with weight 1, tokio's `Semaphore`):
/// [`Semaphore::acquire`] takes a permit, waiting while there is none (a goroutine parks,
/// a thread blocks), and the returned [`SemaphorePermit`] gives it back when dropped.
/// Waiters are served in arrival order.
///
/// ```
/// let sem = gpm_sync::Semaphore::new(2);
/// let a = sem.acquire();
/// let _b = sem.acquire();
/// assert!(sem.try_acquire().is_none());
/// drop(a);
/// assert!(sem.try_acquire().is_some());
/// ```
pub struct Semaphore {
    state: Lock<State>,
}

/// One permit of a [`Semaphore`], given back when dropped (or kept for good with
/// [`SemaphorePermit::forget`]).
///
/// ```
/// let sem = gpm_sync::Semaphore::new(1);
/// {
///     let _permit: gpm_sync::SemaphorePermit<'_> = sem.acquire();
///     assert_eq!(sem.available_permits(), 0);
/// } // dropped: the permit goes back
/// assert_eq!(sem.available_permits(), 1);
/// ```
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    ///
    /// ```
    /// // At most 2 of the 8 threads are inside at any time.
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// static SLOTS: gpm_sync::Semaphore = gpm_sync::Semaphore::new(2);
    /// static INSIDE: AtomicUsize = AtomicUsize::new(0);
    /// let hs: Vec<_> = (0..8)
    ///     .map(|_| {
    ///         std::thread::spawn(|| {
    ///             let _p = SLOTS.acquire();
    ///             assert!(INSIDE.fetch_add(1, Ordering::SeqCst) < 2);
    ///             INSIDE.fetch_sub(1, Ordering::SeqCst);
    ///         })
    ///     })
    ///     .collect();
    /// hs.into_iter().for_each(|h| h.join().unwrap());
    /// assert_eq!(SLOTS.available_permits(), 2);
    /// ```
    #[cfg(not(loom))]
    pub const fn new(permits: usize) -> Semaphore {
        Semaphore {
            state: Lock::new(State {
                permits,
                queue: WaitList::new(),
            }),
        }
    }

    /// A semaphore with `permits` permits.
    #[cfg(loom)]
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            state: Lock::new(State {
                permits,
                queue: WaitList::new(),
            }),
        }
    }

    /// Takes a permit, waiting as long as it takes.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let sem = Arc::new(gpm_sync::Semaphore::new(0));
    /// let s = sem.clone();
    /// let t = std::thread::spawn(move || {
    ///     let p = s.acquire(); // waits until a permit is added
    ///     p.forget();
    /// });
    /// sem.add_permits(1);
    /// t.join().unwrap();
    /// assert_eq!(sem.available_permits(), 0); // the thread kept it for good
    /// ```
    pub fn acquire(&self) -> SemaphorePermit<'_> {
        self.acquire_until(None).expect("waits for ever")
    }

    /// Takes a permit if one is available now.
    ///
    /// ```
    /// let sem = gpm_sync::Semaphore::new(1);
    /// let p = sem.try_acquire().unwrap();
    /// assert!(sem.try_acquire().is_none()); // none left: `None` at once
    /// drop(p);
    /// assert!(sem.try_acquire().is_some());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.acquire_until(Some(crate::sync::now()))
    }

    /// Takes a permit, waiting at most `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let sem = gpm_sync::Semaphore::new(1);
    /// let _p = sem.acquire();
    /// assert!(sem.acquire_timeout(Duration::from_millis(1)).is_none());
    /// ```
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<SemaphorePermit<'_>> {
        self.acquire_until(deadline_after(timeout))
    }

    /// Adds `n` permits (handing them to waiters first).
    ///
    /// # Panics
    /// If the count would overflow `usize`.
    ///
    /// ```
    /// let sem = gpm_sync::Semaphore::new(0);
    /// assert!(sem.try_acquire().is_none());
    /// sem.add_permits(2);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, n: usize) {
        let mut st = self.state.lock();
        st.permits = st
            .permits
            .checked_add(n)
            .expect("gpm::sync: Semaphore permit count overflows usize");
        dispatch(st);
    }

    /// The permits nobody holds, at this moment.
    ///
    /// ```
    /// let sem = gpm_sync::Semaphore::new(3);
    /// let a = sem.acquire();
    /// let _b = sem.acquire();
    /// assert_eq!(sem.available_permits(), 1);
    /// drop(a);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.state.lock().permits
    }

    fn acquire_until(&self, deadline: Option<Instant>) -> Option<SemaphorePermit<'_>> {
        let node = {
            let mut st = self.state.lock();
            if st.permits > 0 && st.queue.is_empty() {
                st.permits -= 1;
                return Some(SemaphorePermit { sem: self });
            }
            if expired(deadline) {
                return None;
            }
            let node = Node::new(0);
            st.queue.push_back(&node);
            node
        };
        match node.wait(deadline, |s| self.unwound(&node, s)) {
            GRANTED => Some(SemaphorePermit { sem: self }),
            s => {
                debug_assert_eq!(s, ABORTED);
                self.withdraw(&node);
                None
            }
        }
    }

    fn withdraw(&self, node: &Arc<Node>) {
        let mut st = self.state.lock();
        st.queue.remove(node);
        dispatch(st);
    }

    /// A waiter unwound by its runtime's shutdown: give back a permit it was granted.
    fn unwound(&self, node: &Arc<Node>, s: usize) {
        if s == GRANTED {
            self.add_permits(1);
        } else {
            self.withdraw(node);
        }
    }
}

/// Hands available permits to the waiters at the front, then wakes them.
fn dispatch(mut st: LockGuard<'_, State>) {
    let mut out = Wakeups::default();
    while st.permits > 0 {
        let Some(n) = st.queue.finish_front(GRANTED, |_| true) else {
            break;
        };
        st.permits -= 1;
        out.push(n);
    }
    drop(st);
    out.wake();
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .finish()
    }
}

impl SemaphorePermit<'_> {
    /// Keeps the permit for good: the semaphore has one permit fewer from now on.
    ///
    /// ```
    /// let sem = gpm_sync::Semaphore::new(2);
    /// sem.acquire().forget(); // not given back on drop
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.add_permits(1);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").finish_non_exhaustive()
    }
}
