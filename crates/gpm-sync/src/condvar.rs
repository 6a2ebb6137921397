//! `Condvar`: waiting for a condition on the data of a gpm [`Mutex`].
//!
//! A waiter lists its node *before* it releases the mutex, so a notifier that changes the
//! condition under the mutex and then notifies always finds it: a notification between the
//! unlock and the park finishes the node, and the park returns at once (no lost wakeup).
//! A notification finishes a node with one compare-exchange, so it is either taken by a
//! waiter or, if that waiter's timeout won the race, passed to the next one: a
//! `wait_timeout` that reports a timeout consumed no notification.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::mutex::{Mutex, MutexGuard};
use crate::sync::Lock;
use crate::waiter::{deadline_after, expired, Node, ABORTED, GRANTED};
use crate::waitlist::{WaitList, Wakeups};

/// A condition variable for gpm's [`Mutex`]: a goroutine waiting on it parks, a thread
/// blocks. The API is `std::sync::Condvar`'s without poisoning; `notify_one` and
/// `notify_all` say whether they woke anybody.
///
/// As with std, a wait can return without a notification (a spurious wakeup is allowed,
/// though gpm only produces one when a waiter is unwound), so wait in a loop or use
/// [`Condvar::wait_while`]. Use one condition variable with one mutex.
///
/// ```
/// use std::sync::Arc;
/// use gpm_sync::{Condvar, Mutex};
///
/// let pair = Arc::new((Mutex::new(false), Condvar::new()));
/// let pair2 = pair.clone();
/// let t = std::thread::spawn(move || {
///     let (ready, cv) = &*pair2;
///     *ready.lock() = true;
///     cv.notify_one();
/// });
/// let (ready, cv) = &*pair;
/// let mut r = ready.lock();
/// while !*r {
///     r = cv.wait(r); // releases the lock while waiting
/// }
/// assert!(*r);
/// drop(r);
/// t.join().unwrap();
/// ```
pub struct Condvar {
    waiters: Lock<WaitList>,
}

/// Whether a timed wait on a [`Condvar`] returned because its time was up.
///
/// ```
/// use std::time::Duration;
/// use gpm_sync::{Condvar, Mutex};
///
/// let (m, cv) = (Mutex::new(()), Condvar::new());
/// let (_guard, res): (_, gpm_sync::WaitTimeoutResult) =
///     cv.wait_timeout(m.lock(), Duration::from_millis(1));
/// assert!(res.timed_out()); // nobody notified
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// True if the wait ended because the timeout elapsed.
    ///
    /// ```
    /// use std::time::Duration;
    /// use gpm_sync::{Condvar, Mutex};
    ///
    /// let (m, cv) = (Mutex::new(5), Condvar::new());
    /// let (g, res) = cv.wait_timeout_while(m.lock(), Duration::from_secs(60), |v| *v < 5);
    /// assert!(!res.timed_out()); // the condition was false already: no wait at all
    /// let (_g, res) = cv.wait_timeout_while(g, Duration::from_millis(1), |v| *v < 10);
    /// assert!(res.timed_out());
    /// ```
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

impl Condvar {
    /// A condition variable nobody waits on.
    ///
    /// ```
    /// use gpm_sync::{Condvar, Mutex};
    ///
    /// static QUEUE: Mutex<Vec<i32>> = Mutex::new(Vec::new());
    /// static NONEMPTY: Condvar = Condvar::new();
    ///
    /// let t = std::thread::spawn(|| {
    ///     QUEUE.lock().push(1);
    ///     NONEMPTY.notify_all();
    /// });
    /// let q = NONEMPTY.wait_while(QUEUE.lock(), |q| q.is_empty());
    /// assert_eq!(*q, [1]);
    /// drop(q);
    /// t.join().unwrap();
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Condvar {
        Condvar {
            waiters: Lock::new(WaitList::new()),
        }
    }

    /// A condition variable nobody waits on.
    #[cfg(loom)]
    pub fn new() -> Condvar {
        Condvar {
            waiters: Lock::new(WaitList::new()),
        }
    }

    /// Releases the lock, waits for a notification and locks again.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gpm_sync::{Condvar, Mutex};
    ///
    /// let state = Arc::new((Mutex::new(0), Condvar::new()));
    /// let s = state.clone();
    /// let t = std::thread::spawn(move || {
    ///     for _ in 0..3 {
    ///         *s.0.lock() += 1;
    ///         s.1.notify_one();
    ///     }
    /// });
    /// let (count, cv) = &*state;
    /// let mut c = count.lock();
    /// while *c < 3 {
    ///     c = cv.wait(c); // wakes with the lock held again
    /// }
    /// assert_eq!(*c, 3);
    /// drop(c);
    /// t.join().unwrap();
    /// ```
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.wait_until(guard, None).0
    }

    /// Waits until `condition` on the data is false (checked first, then after every
    /// wakeup), and returns with the lock held.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gpm_sync::{Condvar, Mutex};
    ///
    /// let jobs = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
    /// let j = jobs.clone();
    /// let t = std::thread::spawn(move || {
    ///     j.0.lock().extend(["a", "b"]);
    ///     j.1.notify_one();
    /// });
    /// let (list, cv) = &*jobs;
    /// let list = cv.wait_while(list.lock(), |l| l.len() < 2); // re-checks after each wakeup
    /// assert_eq!(*list, ["a", "b"]);
    /// drop(list);
    /// t.join().unwrap();
    /// ```
    pub fn wait_while<'a, T>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: impl FnMut(&mut T) -> bool,
    ) -> MutexGuard<'a, T> {
        while condition(&mut guard) {
            guard = self.wait(guard);
        }
        guard
    }

    /// Like [`Condvar::wait`], for at most `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use gpm_sync::{Condvar, Mutex};
    ///
    /// let (m, cv) = (Mutex::new(1), Condvar::new());
    /// let (guard, res) = cv.wait_timeout(m.lock(), Duration::from_millis(1));
    /// assert!(res.timed_out());
    /// assert_eq!(*guard, 1); // the lock is held again either way
    /// ```
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> (MutexGuard<'a, T>, WaitTimeoutResult) {
        self.wait_until(guard, deadline_after(timeout))
    }

    /// Like [`Condvar::wait_while`], giving up after `timeout` in total; the result says
    /// whether it gave up (with `condition` still true).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use gpm_sync::{Condvar, Mutex};
    ///
    /// let flag = Arc::new((Mutex::new(false), Condvar::new()));
    /// let f = flag.clone();
    /// let t = std::thread::spawn(move || {
    ///     *f.0.lock() = true;
    ///     f.1.notify_all();
    /// });
    /// let (m, cv) = &*flag;
    /// let (g, res) = cv.wait_timeout_while(m.lock(), Duration::from_secs(60), |set| !*set);
    /// assert!(*g && !res.timed_out());
    /// drop(g);
    /// t.join().unwrap();
    /// ```
    pub fn wait_timeout_while<'a, T>(
        &self,
        mut guard: MutexGuard<'a, T>,
        timeout: Duration,
        mut condition: impl FnMut(&mut T) -> bool,
    ) -> (MutexGuard<'a, T>, WaitTimeoutResult) {
        let deadline = deadline_after(timeout);
        while condition(&mut guard) {
            if expired(deadline) {
                return (guard, WaitTimeoutResult(true));
            }
            guard = self.wait_until(guard, deadline).0;
        }
        (guard, WaitTimeoutResult(false))
    }

    fn wait_until<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        deadline: Option<Instant>,
    ) -> (MutexGuard<'a, T>, WaitTimeoutResult) {
        let node = Node::new(0);
        self.waiters.lock().push_back(&node);
        let mutex: &'a Mutex<T> = guard.into_mutex();
        mutex.raw().unlock();
        let s = node.wait(deadline, |s| self.unwound(&node, s));
        if s == ABORTED {
            self.waiters.lock().remove(&node);
        }
        (mutex.lock(), WaitTimeoutResult(s == ABORTED))
    }

    /// Wakes one waiter, the one waiting longest; returns whether there was one.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gpm_sync::{Condvar, Mutex};
    ///
    /// let cv = Condvar::new();
    /// assert!(!cv.notify_one()); // nobody waits: the notification is not kept
    ///
    /// let pair = Arc::new((Mutex::new(false), Condvar::new()));
    /// let p = pair.clone();
    /// let t = std::thread::spawn(move || {
    ///     let g = p.1.wait_while(p.0.lock(), |go| !*go);
    ///     assert!(*g);
    /// });
    /// *pair.0.lock() = true;
    /// pair.1.notify_one(); // wakes the thread if it is waiting already (else it sees `true`)
    /// t.join().unwrap();
    /// ```
    pub fn notify_one(&self) -> bool {
        let n = self.waiters.lock().finish_front(GRANTED, |_| true);
        let woke = n.is_some();
        if let Some(n) = n {
            n.wake();
        }
        woke
    }

    /// Wakes every waiter; returns how many there were.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gpm_sync::{Condvar, Mutex};
    ///
    /// let gate = Arc::new((Mutex::new(false), Condvar::new()));
    /// let hs: Vec<_> = (0..3)
    ///     .map(|_| {
    ///         let g = gate.clone();
    ///         std::thread::spawn(move || drop(g.1.wait_while(g.0.lock(), |open| !*open)))
    ///     })
    ///     .collect();
    /// *gate.0.lock() = true;
    /// let woken = gate.1.notify_all(); // how many were waiting at this moment
    /// assert!(woken <= 3);
    /// hs.into_iter().for_each(|h| h.join().unwrap());
    /// assert_eq!(gate.1.notify_all(), 0);
    /// ```
    pub fn notify_all(&self) -> usize {
        let mut out = Wakeups::default();
        self.waiters.lock().finish_all(GRANTED, &mut out);
        let n = out.len();
        out.wake();
        n
    }

    /// A waiter unwound by its runtime's shutdown: withdraw it, or pass on the notification
    /// it got, which a live waiter may need.
    fn unwound(&self, node: &Arc<Node>, s: usize) {
        if s == GRANTED {
            self.notify_one();
        } else {
            self.waiters.lock().remove(node);
        }
    }
}

impl Default for Condvar {
    fn default() -> Condvar {
        Condvar::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}
