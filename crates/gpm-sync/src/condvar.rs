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
pub struct Condvar {
    waiters: Lock<WaitList>,
}

/// Whether a timed wait on a [`Condvar`] returned because its time was up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// True if the wait ended because the timeout elapsed.
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

impl Condvar {
    /// A condition variable nobody waits on.
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
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.wait_until(guard, None).0
    }

    /// Waits until `condition` on the data is false (checked first, then after every
    /// wakeup), and returns with the lock held.
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
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> (MutexGuard<'a, T>, WaitTimeoutResult) {
        self.wait_until(guard, deadline_after(timeout))
    }

    /// Like [`Condvar::wait_while`], giving up after `timeout` in total; the result says
    /// whether it gave up (with `condition` still true).
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
    pub fn notify_one(&self) -> bool {
        let n = self.waiters.lock().finish_front(GRANTED, |_| true);
        let woke = n.is_some();
        if let Some(n) = n {
            n.wake();
        }
        woke
    }

    /// Wakes every waiter; returns how many there were.
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
