//! `Barrier`: `n` parties meet, the last to arrive releases the others.
//!
//! The arrival count and the waiters live under the internal lock. The `n`-th arrival
//! finishes every listed waiter, starts the next round from zero, and is the round's
//! leader; the others return once their node is finished.

use std::fmt;
use std::sync::Arc;

use crate::sync::Lock;
use crate::waiter::{Node, GRANTED};
use crate::waitlist::{WaitList, Wakeups};

struct State {
    arrived: usize,
    waiters: WaitList,
}

/// Lets `n` goroutines or threads wait until all of them have reached a point, as
/// `std::sync::Barrier` (reusable: each group of `n` calls to [`Barrier::wait`] is one
/// round). A waiting goroutine parks, a thread blocks.
///
/// ```
/// use std::sync::Arc;
/// let b = Arc::new(gpm_sync::Barrier::new(3));
/// let hs: Vec<_> = (0..3)
///     .map(|_| {
///         let b = b.clone();
///         std::thread::spawn(move || b.wait().is_leader())
///     })
///     .collect();
/// let leaders = hs.into_iter().map(|h| h.join().unwrap()).filter(|&l| l);
/// assert_eq!(leaders.count(), 1);
/// ```
pub struct Barrier {
    n: usize,
    state: Lock<State>,
}

/// What [`Barrier::wait`] returns: whether this caller was the round's leader (the one
/// whose arrival released the others; exactly one per round).
///
/// ```
/// let b = gpm_sync::Barrier::new(1); // one party: every wait completes a round
/// let r: gpm_sync::BarrierWaitResult = b.wait();
/// assert!(r.is_leader());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// True for exactly one caller per round.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let b = Arc::new(gpm_sync::Barrier::new(2));
    /// let b2 = b.clone();
    /// let t = std::thread::spawn(move || b2.wait().is_leader());
    /// let me = b.wait().is_leader();
    /// assert!(me ^ t.join().unwrap()); // exactly one of the two leads the round
    /// ```
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier for `n` parties. With `n` 0 or 1 every `wait` returns at once as leader.
    ///
    /// ```
    /// static START: gpm_sync::Barrier = gpm_sync::Barrier::new(2); // `const`: fits a static
    /// let t = std::thread::spawn(|| {
    ///     START.wait();
    /// });
    /// START.wait(); // returns once both have arrived
    /// t.join().unwrap();
    /// assert!(gpm_sync::Barrier::new(0).wait().is_leader()); // 0 or 1: no waiting at all
    /// ```
    #[cfg(not(loom))]
    pub const fn new(n: usize) -> Barrier {
        Barrier {
            n,
            state: Lock::new(State {
                arrived: 0,
                waiters: WaitList::new(),
            }),
        }
    }

    /// A barrier for `n` parties. With `n` 0 or 1 every `wait` returns at once as leader.
    #[cfg(loom)]
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n,
            state: Lock::new(State {
                arrived: 0,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Waits until `n` parties (this one included) have called `wait` in this round.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let arrived = Arc::new(AtomicUsize::new(0));
    /// let b = Arc::new(gpm_sync::Barrier::new(4));
    /// let hs: Vec<_> = (0..4)
    ///     .map(|_| {
    ///         let (arrived, b) = (arrived.clone(), b.clone());
    ///         std::thread::spawn(move || {
    ///             arrived.fetch_add(1, Ordering::SeqCst);
    ///             b.wait();
    ///             // Nobody gets past the barrier before all four have arrived.
    ///             assert_eq!(arrived.load(Ordering::SeqCst), 4);
    ///         })
    ///     })
    ///     .collect();
    /// hs.into_iter().for_each(|h| h.join().unwrap());
    /// ```
    pub fn wait(&self) -> BarrierWaitResult {
        let node = {
            let mut st = self.state.lock();
            st.arrived += 1;
            if st.arrived >= self.n {
                st.arrived = 0;
                let mut out = Wakeups::default();
                st.waiters.finish_all(GRANTED, &mut out);
                drop(st);
                out.wake();
                return BarrierWaitResult(true);
            }
            let node = Node::new(0);
            st.waiters.push_back(&node);
            node
        };
        node.wait(None, |s| self.unwound(&node, s));
        BarrierWaitResult(false)
    }

    /// A waiter unwound by its runtime's shutdown before the round completed: it no longer
    /// counts as arrived.
    fn unwound(&self, node: &Arc<Node>, s: usize) {
        if s != GRANTED {
            let mut st = self.state.lock();
            if st.waiters.remove(node) {
                st.arrived -= 1;
            }
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").field("n", &self.n).finish()
    }
}
