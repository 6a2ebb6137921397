//! The reader-writer lock protocol without the data: a reader count, a writer flag and one
//! FIFO wait list of readers and writers, all under the internal lock.
//!
//! Nobody overtakes a waiter: a reader that finds a writer waiting queues behind it (as in
//! Go's `RWMutex`, so a stream of readers cannot starve a writer), and a writer queues
//! behind waiting readers. Whoever releases the lock hands it on directly: to the writer at
//! the front once the last reader is gone, or to the whole run of readers at the front at
//! once. A waiter that gives up (a deadline, an unwound goroutine) leaves the list and lets
//! the ones behind it be served.

use std::sync::Arc;
use std::time::Instant;

use crate::sync::{Lock, LockGuard};
use crate::waiter::{expired, Node, ABORTED, GRANTED};
use crate::waitlist::{WaitList, Wakeups};

const READ: usize = 0;
const WRITE: usize = 1;

struct State {
    readers: usize,
    writer: bool,
    queue: WaitList,
}

pub(crate) struct RawRwLock {
    state: Lock<State>,
}

impl RawRwLock {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> RawRwLock {
        RawRwLock {
            state: Lock::new(State {
                readers: 0,
                writer: false,
                queue: WaitList::new(),
            }),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new() -> RawRwLock {
        RawRwLock {
            state: Lock::new(State {
                readers: 0,
                writer: false,
                queue: WaitList::new(),
            }),
        }
    }

    /// Takes a read lock, or gives up at `deadline` (`Some(past)`: do not wait).
    pub(crate) fn read_until(&self, deadline: Option<Instant>) -> bool {
        self.acquire(READ, deadline)
    }

    /// Takes the write lock, or gives up at `deadline`.
    pub(crate) fn write_until(&self, deadline: Option<Instant>) -> bool {
        self.acquire(WRITE, deadline)
    }

    fn acquire(&self, kind: usize, deadline: Option<Instant>) -> bool {
        let node = {
            let mut st = self.state.lock();
            let free = !st.writer && st.queue.is_empty() && (kind == READ || st.readers == 0);
            if free {
                take(&mut st, kind);
                return true;
            }
            if expired(deadline) {
                return false;
            }
            let node = Node::new(kind);
            st.queue.push_back(&node);
            node
        };
        match node.wait(deadline, |s| self.unwound(&node, s)) {
            GRANTED => true,
            s => {
                debug_assert_eq!(s, ABORTED);
                self.withdraw(&node);
                false
            }
        }
    }

    pub(crate) fn read_unlock(&self) {
        let mut st = self.state.lock();
        debug_assert!(st.readers > 0 && !st.writer);
        st.readers -= 1;
        self.dispatch(st);
    }

    pub(crate) fn write_unlock(&self) {
        let mut st = self.state.lock();
        debug_assert!(st.writer);
        st.writer = false;
        self.dispatch(st);
    }

    /// Hands the lock to whoever is first in line and can have it, then releases the
    /// internal lock and wakes them.
    fn dispatch(&self, mut st: LockGuard<'_, State>) {
        let mut out = Wakeups::default();
        while !st.writer {
            let readers = st.readers;
            let Some(n) = st
                .queue
                .finish_front(GRANTED, |n| n.tag() == READ || readers == 0)
            else {
                break;
            };
            take(&mut st, n.tag());
            out.push(n);
        }
        drop(st);
        out.wake();
    }

    fn withdraw(&self, node: &Arc<Node>) {
        let mut st = self.state.lock();
        st.queue.remove(node);
        self.dispatch(st);
    }

    /// A waiter unwound by its runtime's shutdown: give back what it was granted.
    fn unwound(&self, node: &Arc<Node>, s: usize) {
        match (s, node.tag()) {
            (GRANTED, READ) => self.read_unlock(),
            (GRANTED, _) => self.write_unlock(),
            _ => self.withdraw(node),
        }
    }
}

fn take(st: &mut State, kind: usize) {
    if kind == WRITE {
        st.writer = true;
    } else {
        st.readers = st
            .readers
            .checked_add(1)
            .expect("gpm::sync: too many readers of one RwLock");
    }
}
