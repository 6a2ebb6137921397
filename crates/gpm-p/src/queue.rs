//! The run queues, behind the small interface the scheduler uses.
//!
//! Three roles: a [`Local`] queue that only its P's owner pushes to and pops from, a
//! [`Stealer`] handle through which other Ms take about half of it, and the [`Global`]
//! queue any thread may push to. Normally they are crossbeam-deque's `Worker` (FIFO),
//! `Stealer` and `Injector`: a Chase-Lev deque whose owner operations are a few plain loads
//! and stores. Under `cfg(loom)` they are a mutex around a `VecDeque`, built on loom's
//! mutex, so that loom can see and permute every queue operation of the protocols built on
//! top (the idle-M wakeup model); the interface is the same, only the cost differs.

/// Owner side of a P's local run queue.
pub trait LocalQueue<T> {
    /// Appends to the tail.
    fn push(&self, t: T);
    /// Takes from the head (FIFO).
    fn pop(&self) -> Option<T>;
    /// True when empty.
    fn is_empty(&self) -> bool;
    /// Number of items (approximate while thieves are active).
    fn len(&self) -> usize;
}

/// Thief side of a P's local run queue.
pub trait StealQueue<T> {
    /// Moves about half of the victim's items (a bounded batch) into `dest` and returns one
    /// of them.
    fn steal_half_into(&self, dest: &Local<T>) -> Option<T>;
    /// True when empty.
    fn is_empty(&self) -> bool;
    /// The number of items (a racy snapshot, for statistics).
    fn len(&self) -> usize;
}

/// The global run queue.
pub trait GlobalQueue<T> {
    /// Appends to the tail.
    fn push(&self, t: T);
    /// Takes one item.
    fn pop(&self) -> Option<T>;
    /// Moves a batch into `dest` and returns one item.
    fn pop_batch_into(&self, dest: &Local<T>) -> Option<T>;
    /// True when empty.
    fn is_empty(&self) -> bool;
    /// Number of items.
    fn len(&self) -> usize;
}

#[cfg(not(loom))]
mod imp {
    use crossbeam_deque::{Injector, Steal, Stealer as CbStealer, Worker};

    use super::{GlobalQueue, LocalQueue, StealQueue};

    /// A P's local run queue (crossbeam-deque FIFO worker).
    pub struct Local<T>(Worker<T>);
    /// A handle to steal from a P's local run queue.
    pub struct Stealer<T>(CbStealer<T>);
    /// The global run queue (crossbeam-deque injector).
    pub struct Global<T>(Injector<T>);

    impl<T> Local<T> {
        /// An empty queue.
        pub fn new() -> Local<T> {
            Local(Worker::new_fifo())
        }
        /// A stealer for this queue.
        pub fn stealer(&self) -> Stealer<T> {
            Stealer(self.0.stealer())
        }
    }

    impl<T> Default for Local<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    /// Retries a crossbeam steal while it reports contention.
    fn retry<T>(mut f: impl FnMut() -> Steal<T>) -> Option<T> {
        loop {
            match f() {
                Steal::Success(t) => return Some(t),
                Steal::Empty => return None,
                Steal::Retry => std::hint::spin_loop(),
            }
        }
    }

    impl<T> LocalQueue<T> for Local<T> {
        #[inline]
        fn push(&self, t: T) {
            self.0.push(t)
        }
        #[inline]
        fn pop(&self) -> Option<T> {
            self.0.pop()
        }
        #[inline]
        fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
        fn len(&self) -> usize {
            self.0.len()
        }
    }

    impl<T> StealQueue<T> for Stealer<T> {
        fn steal_half_into(&self, dest: &Local<T>) -> Option<T> {
            retry(|| self.0.steal_batch_and_pop(&dest.0))
        }
        fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
        fn len(&self) -> usize {
            self.0.len()
        }
    }

    impl<T> Global<T> {
        /// An empty queue.
        pub fn new() -> Global<T> {
            Global(Injector::new())
        }
    }

    impl<T> Default for Global<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T> GlobalQueue<T> for Global<T> {
        fn push(&self, t: T) {
            self.0.push(t)
        }
        fn pop(&self) -> Option<T> {
            retry(|| self.0.steal())
        }
        fn pop_batch_into(&self, dest: &Local<T>) -> Option<T> {
            retry(|| self.0.steal_batch_and_pop(&dest.0))
        }
        fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
        fn len(&self) -> usize {
            self.0.len()
        }
    }
}

#[cfg(loom)]
mod imp {
    use std::collections::VecDeque;

    use loom::sync::{Arc, Mutex};

    use super::{GlobalQueue, LocalQueue, StealQueue};

    /// Loom stand-in for a P's local run queue.
    pub struct Local<T>(Arc<Mutex<VecDeque<T>>>);
    /// Loom stand-in for a stealer.
    pub struct Stealer<T>(Arc<Mutex<VecDeque<T>>>);
    /// Loom stand-in for the global queue.
    pub struct Global<T>(Mutex<VecDeque<T>>);

    impl<T> Local<T> {
        /// An empty queue.
        pub fn new() -> Local<T> {
            Local(Arc::new(Mutex::new(VecDeque::new())))
        }
        /// A stealer for this queue.
        pub fn stealer(&self) -> Stealer<T> {
            Stealer(self.0.clone())
        }
    }

    impl<T> Default for Local<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T> LocalQueue<T> for Local<T> {
        fn push(&self, t: T) {
            self.0.lock().unwrap().push_back(t)
        }
        fn pop(&self) -> Option<T> {
            self.0.lock().unwrap().pop_front()
        }
        fn is_empty(&self) -> bool {
            self.0.lock().unwrap().is_empty()
        }
        fn len(&self) -> usize {
            self.0.lock().unwrap().len()
        }
    }

    impl<T> StealQueue<T> for Stealer<T> {
        fn steal_half_into(&self, dest: &Local<T>) -> Option<T> {
            let mut batch: VecDeque<T> = {
                let mut q = self.0.lock().unwrap();
                let n = q.len().div_ceil(2);
                q.drain(..n).collect()
            };
            let first = batch.pop_front();
            for t in batch {
                dest.push(t);
            }
            first
        }
        fn is_empty(&self) -> bool {
            self.0.lock().unwrap().is_empty()
        }
        fn len(&self) -> usize {
            self.0.lock().unwrap().len()
        }
    }

    impl<T> Global<T> {
        /// An empty queue.
        pub fn new() -> Global<T> {
            Global(Mutex::new(VecDeque::new()))
        }
    }

    impl<T> Default for Global<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T> GlobalQueue<T> for Global<T> {
        fn push(&self, t: T) {
            self.0.lock().unwrap().push_back(t)
        }
        fn pop(&self) -> Option<T> {
            self.0.lock().unwrap().pop_front()
        }
        fn pop_batch_into(&self, dest: &Local<T>) -> Option<T> {
            let mut q = self.0.lock().unwrap();
            let first = q.pop_front();
            if first.is_some() {
                let n = q.len().min(2);
                for t in q.drain(..n) {
                    dest.push(t);
                }
            }
            first
        }
        fn is_empty(&self) -> bool {
            self.0.lock().unwrap().is_empty()
        }
        fn len(&self) -> usize {
            self.0.lock().unwrap().len()
        }
    }
}

pub use imp::{Global, Local, Stealer};
