//! `Once`: run an initialiser exactly once, however many goroutines and threads race.
//!
//! A `done` flag makes the common case (already initialised) one `Acquire` load. Otherwise,
//! under the internal lock, the first caller marks the `Once` running and runs its closure
//! with the lock released; the others list a node and sleep. When the closure returns the
//! runner sets `done` (`Release`) and finishes every node with `GRANTED`; if it panics (or
//! its goroutine is unwound) it clears `running` and finishes them with `RETRY`, and the
//! first of them to get the lock runs its own closure. There is no poisoning.

use std::fmt;

use crate::sync::{AtomicBool, Lock, Ordering};
use crate::waiter::{Node, ABORTED, GRANTED, RETRY};
use crate::waitlist::{WaitList, Wakeups};

struct State {
    running: bool,
    waiters: WaitList,
}

/// Runs a one-time initialisation (`std::sync::Once`, Go's `sync.Once`). While one caller
/// runs the closure, the others wait for it: a goroutine parks, a thread blocks.
///
/// **No poisoning**: if the closure panics, the `Once` stays incomplete and the next caller
/// (or one of those waiting) runs its own closure, as `std::sync::OnceLock::get_or_init`
/// does. Calling `call_once` on the same `Once` from inside its own closure deadlocks.
///
/// ```
/// static INIT: gpm_sync::Once = gpm_sync::Once::new();
/// let mut runs = 0;
/// INIT.call_once(|| runs += 1);
/// INIT.call_once(|| runs += 1);
/// assert_eq!(runs, 1);
/// assert!(INIT.is_completed());
/// ```
pub struct Once {
    done: AtomicBool,
    state: Lock<State>,
}

impl Once {
    /// A `Once` that has not run.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// static INIT: gpm_sync::Once = gpm_sync::Once::new();
    /// static RUNS: AtomicUsize = AtomicUsize::new(0);
    /// let hs: Vec<_> = (0..4)
    ///     .map(|_| std::thread::spawn(|| INIT.call_once(|| drop(RUNS.fetch_add(1, Ordering::SeqCst)))))
    ///     .collect();
    /// hs.into_iter().for_each(|h| h.join().unwrap());
    /// assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Once {
        Once {
            done: AtomicBool::new(false),
            state: Lock::new(State {
                running: false,
                waiters: WaitList::new(),
            }),
        }
    }

    /// A `Once` that has not run.
    #[cfg(loom)]
    pub fn new() -> Once {
        Once {
            done: AtomicBool::new(false),
            state: Lock::new(State {
                running: false,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Runs `f` if no call has completed yet, and returns once one has (this one or a
    /// racing one). Whatever the completed closure did is visible when it returns.
    ///
    /// ```
    /// let once = gpm_sync::Once::new();
    /// let mut log = Vec::new();
    /// // A panicking initialiser leaves the `Once` incomplete (no poisoning)...
    /// let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    ///     once.call_once(|| panic!("first try fails"))
    /// }));
    /// assert!(r.is_err() && !once.is_completed());
    /// // ...and the next caller runs its own.
    /// once.call_once(|| log.push("second try"));
    /// once.call_once(|| log.push("never runs"));
    /// assert_eq!(log, ["second try"]);
    /// ```
    pub fn call_once(&self, f: impl FnOnce()) {
        if !self.is_completed() {
            self.call_once_slow(f);
        }
    }

    /// True once a closure has run to completion.
    ///
    /// ```
    /// let once = gpm_sync::Once::new();
    /// assert!(!once.is_completed());
    /// once.call_once(|| {});
    /// assert!(once.is_completed());
    /// ```
    pub fn is_completed(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    #[cold]
    fn call_once_slow(&self, f: impl FnOnce()) {
        loop {
            let node = {
                let mut st = self.state.lock();
                if self.done.load(Ordering::Acquire) {
                    return;
                }
                if !st.running {
                    st.running = true;
                    None
                } else {
                    let node = Node::new(0);
                    st.waiters.push_back(&node);
                    Some(node)
                }
            };
            match node {
                None => return self.run(f),
                Some(node) => {
                    node.wait(None, |s| {
                        if s == ABORTED {
                            self.state.lock().waiters.remove(&node);
                        }
                    });
                }
            }
        }
    }

    fn run(&self, f: impl FnOnce()) {
        /// Wakes the waiters to retry if the closure does not return.
        struct Failed<'a>(&'a Once);
        impl Drop for Failed<'_> {
            fn drop(&mut self) {
                self.0.finish(false);
            }
        }
        let failed = Failed(self);
        f();
        std::mem::forget(failed);
        self.finish(true);
    }

    fn finish(&self, completed: bool) {
        let mut out = Wakeups::default();
        {
            let mut st = self.state.lock();
            st.running = false;
            if completed {
                self.done.store(true, Ordering::Release);
            }
            st.waiters
                .finish_all(if completed { GRANTED } else { RETRY }, &mut out);
        }
        out.wake();
    }
}

impl Default for Once {
    fn default() -> Once {
        Once::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once")
            .field("completed", &self.is_completed())
            .finish()
    }
}
