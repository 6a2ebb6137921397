//! A primitive's waiters in arrival order, kept under the primitive's internal lock.
//!
//! Nodes whose wait was aborted (a deadline, an unwound goroutine) may still be listed
//! until their owner takes them out; every look at the front skips and drops them, so they
//! are never granted anything and never block the waiters behind them. Wakers collect the
//! nodes they finished in [`Wakeups`] and wake them after releasing the lock.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::waiter::Node;

/// The waiting nodes, oldest first (a mutex's re-queued waiters go to the front).
pub(crate) struct WaitList {
    q: VecDeque<Arc<Node>>,
}

impl WaitList {
    pub(crate) const fn new() -> WaitList {
        WaitList { q: VecDeque::new() }
    }

    pub(crate) fn push_back(&mut self, node: &Arc<Node>) {
        self.q.push_back(node.clone());
    }

    pub(crate) fn push_front(&mut self, node: &Arc<Node>) {
        self.q.push_front(node.clone());
    }

    /// The first node still waiting, dropping aborted ones in front of it.
    pub(crate) fn front(&mut self) -> Option<&Arc<Node>> {
        while self.q.front().is_some_and(|n| !n.is_waiting()) {
            self.q.pop_front();
        }
        self.q.front()
    }

    /// True if no node is waiting.
    pub(crate) fn is_empty(&mut self) -> bool {
        self.front().is_none()
    }

    /// Finishes the first waiting node with `state` and removes it, if `want` accepts it.
    /// The caller wakes it after releasing its lock.
    pub(crate) fn finish_front(
        &mut self,
        state: usize,
        want: impl Fn(&Node) -> bool,
    ) -> Option<Arc<Node>> {
        loop {
            if !want(self.front()?) {
                return None;
            }
            let n = self.q.pop_front()?;
            if n.try_finish(state) {
                return Some(n);
            }
            // Aborted between the look and the exchange: skip it.
        }
    }

    /// Finishes every waiting node with `state` and removes all of them.
    pub(crate) fn finish_all(&mut self, state: usize, out: &mut Wakeups) {
        for n in self.q.drain(..) {
            if n.try_finish(state) {
                out.0.push(n);
            }
        }
    }

    /// Takes `node` out, if it is still listed; returns whether it was.
    pub(crate) fn remove(&mut self, node: &Arc<Node>) -> bool {
        match self.q.iter().position(|n| Arc::ptr_eq(n, node)) {
            Some(i) => {
                self.q.remove(i);
                true
            }
            None => false,
        }
    }
}

/// Nodes finished under a lock, to wake once it is released.
#[derive(Default)]
pub(crate) struct Wakeups(Vec<Arc<Node>>);

impl Wakeups {
    pub(crate) fn push(&mut self, node: Arc<Node>) {
        self.0.push(node);
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Wakes them all. Call after releasing the lock they were finished under.
    pub(crate) fn wake(self) {
        for n in self.0 {
            n.wake();
        }
    }
}
