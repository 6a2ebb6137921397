//! `WaitGroup`: Go's `sync.WaitGroup`, a counter that `wait` waits to see at zero.
//!
//! The counter and the waiters live under the internal lock. The `add` or `done` that
//! brings the counter to zero finishes every listed waiter with `GRANTED` before it
//! releases the lock, so a waiter cannot miss the zero, and whatever the finishers did
//! before their `done` is visible to the waiters (the lock, then the node's state word).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::sync::Lock;
use crate::waiter::{deadline_after, Node, ABORTED, GRANTED};
use crate::waitlist::{WaitList, Wakeups};

struct State {
    count: isize,
    waiters: WaitList,
}

/// Waits for a collection of goroutines (or threads) to finish, as Go's
/// `sync.WaitGroup`: [`WaitGroup::add`] before starting the work, [`WaitGroup::done`] when
/// a piece finishes, [`WaitGroup::wait`] until the count is back at zero. A goroutine that
/// waits parks, a thread blocks.
///
/// Clones share one counter, so a clone can be moved into each goroutine. As in Go, the
/// counter must never go below zero: that is a bug in the caller, and the `add` or `done`
/// that would do it panics with `sync: negative WaitGroup counter` (leaving the counter as
/// it was). A group can be reused once its waiters have returned.
///
/// ```
/// let wg = gpm_sync::WaitGroup::new();
/// for _ in 0..3 {
///     wg.add(1);
///     let wg = wg.clone();
///     std::thread::spawn(move || wg.done());
/// }
/// wg.wait();
/// ```
#[derive(Clone)]
pub struct WaitGroup {
    inner: Arc<Lock<State>>,
}

impl WaitGroup {
    /// A group with a count of zero.
    ///
    /// ```
    /// let wg = gpm_sync::WaitGroup::new();
    /// assert_eq!(wg.count(), 0);
    /// wg.wait(); // a zero count: returns at once
    /// ```
    pub fn new() -> WaitGroup {
        WaitGroup {
            inner: Arc::new(Lock::new(State {
                count: 0,
                waiters: WaitList::new(),
            })),
        }
    }

    /// Adds `delta`, which may be negative, to the counter. When it reaches zero every
    /// waiter is released.
    ///
    /// # Panics
    /// If the counter would go below zero (`sync: negative WaitGroup counter`) or overflow.
    ///
    /// ```
    /// let wg = gpm_sync::WaitGroup::new();
    /// wg.add(3); // before starting the work, as in Go
    /// let hs: Vec<_> = (0..3)
    ///     .map(|_| {
    ///         let wg = wg.clone();
    ///         std::thread::spawn(move || wg.done())
    ///     })
    ///     .collect();
    /// wg.wait();
    /// assert_eq!(wg.count(), 0);
    /// hs.into_iter().for_each(|h| h.join().unwrap());
    /// // Going below zero is a bug, and panics.
    /// assert!(std::panic::catch_unwind(|| gpm_sync::WaitGroup::new().add(-1)).is_err());
    /// ```
    pub fn add(&self, delta: isize) {
        let mut out = Wakeups::default();
        {
            let mut st = self.inner.lock();
            let Some(count) = st.count.checked_add(delta) else {
                drop(st);
                panic!("gpm::sync: WaitGroup counter overflow (add({delta}))");
            };
            if count < 0 {
                drop(st);
                panic!(
                    "gpm::sync: negative WaitGroup counter: done() or add({delta}) without a \
                     matching add (Go: \"sync: negative WaitGroup counter\")"
                );
            }
            st.count = count;
            if count == 0 {
                st.waiters.finish_all(GRANTED, &mut out);
            }
        }
        out.wake();
    }

    /// Decrements the counter by one: `add(-1)`.
    ///
    /// # Panics
    /// If the counter is zero.
    ///
    /// ```
    /// let wg = gpm_sync::WaitGroup::new();
    /// wg.add(2);
    /// wg.done();
    /// assert_eq!(wg.count(), 1);
    /// wg.done();
    /// assert_eq!(wg.count(), 0);
    /// ```
    pub fn done(&self) {
        self.add(-1);
    }

    /// Waits until the counter is zero.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let wg = gpm_sync::WaitGroup::new();
    /// let done = Arc::new(AtomicUsize::new(0));
    /// for _ in 0..4 {
    ///     wg.add(1);
    ///     let (wg, done) = (wg.clone(), done.clone());
    ///     std::thread::spawn(move || {
    ///         done.fetch_add(1, Ordering::SeqCst);
    ///         wg.done();
    ///     });
    /// }
    /// wg.wait(); // everything done before each `done()` is visible now
    /// assert_eq!(done.load(Ordering::SeqCst), 4);
    /// ```
    pub fn wait(&self) {
        self.wait_until(None);
    }

    /// Waits until the counter is zero, at most `timeout`; returns whether it got there.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let wg = gpm_sync::WaitGroup::new();
    /// wg.add(1);
    /// assert!(!wg.wait_timeout(Duration::from_millis(1))); // still 1 after 1 ms
    /// wg.done();
    /// assert!(wg.wait_timeout(Duration::from_millis(1)));
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.wait_until(deadline_after(timeout))
    }

    /// The counter at this moment.
    ///
    /// ```
    /// let wg = gpm_sync::WaitGroup::new();
    /// wg.add(5);
    /// assert_eq!(wg.count(), 5);
    /// wg.add(-2);
    /// assert_eq!(wg.count(), 3);
    /// ```
    pub fn count(&self) -> usize {
        self.inner.lock().count as usize
    }

    fn wait_until(&self, deadline: Option<std::time::Instant>) -> bool {
        let node = {
            let mut st = self.inner.lock();
            if st.count == 0 {
                return true;
            }
            let node = Node::new(0);
            st.waiters.push_back(&node);
            node
        };
        let withdraw = || {
            self.inner.lock().waiters.remove(&node);
        };
        match node.wait(deadline, |s| {
            if s == ABORTED {
                withdraw()
            }
        }) {
            GRANTED => true,
            _ => {
                withdraw();
                false
            }
        }
    }
}

impl Default for WaitGroup {
    fn default() -> WaitGroup {
        WaitGroup::new()
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup")
            .field("count", &self.count())
            .finish()
    }
}
