//! `unbounded()`: a lock-free segmented queue (crossbeam-queue's `SegQueue`) plus a wait
//! queue for parked receivers. Senders never wait.
//!
//! The receive side parks exactly as in the bounded channel (`array.rs`): register,
//! re-check, abort if something arrived; a sender pushes and then checks for parked
//! receivers, `SeqCst` on both sides. A sender that finds a receiver parked and the queue
//! empty hands its message over directly, under the receivers' lock, for the FIFO reason
//! given in `array.rs`.
//!
//! **Disconnection** is one flag. When the last sender goes, receivers drain what is queued
//! and then see the flag. When the last receiver goes, the flag makes sends fail and the
//! queue is emptied so destructors run at once; a send that raced past the flag re-checks
//! it after pushing and empties the queue itself.
//!
//! Under `cfg(loom)` the queue is a mutex around a `VecDeque` (loom cannot see inside
//! `SegQueue`); the protocol around it is unchanged.

use std::time::Instant;

use crate::buffered;
use crate::context::Context;
use crate::err::{RecvTimeoutError, TryRecvError, TrySendError};
use crate::sync::{fence, AtomicBool, Ordering};
use crate::waitq::WaitQueue;

#[cfg(not(loom))]
type Queue<T> = crossbeam_queue::SegQueue<T>;

#[cfg(loom)]
struct Queue<T>(crate::sync::Mutex<std::collections::VecDeque<T>>);

#[cfg(loom)]
impl<T> Queue<T> {
    fn new() -> Self {
        Queue(crate::sync::Mutex::new(std::collections::VecDeque::new()))
    }
    fn push(&self, t: T) {
        self.0.lock().push_back(t);
    }
    fn pop(&self) -> Option<T> {
        self.0.lock().pop_front()
    }
    fn is_empty(&self) -> bool {
        self.0.lock().is_empty()
    }
    fn len(&self) -> usize {
        self.0.lock().len()
    }
}

/// The shared state of an unbounded channel.
pub(crate) struct List<T> {
    queue: Queue<T>,
    disconnected: AtomicBool,
    pub(crate) receivers: WaitQueue,
}

impl<T> List<T> {
    pub(crate) fn new() -> List<T> {
        List {
            queue: Queue::new(),
            disconnected: AtomicBool::new(false),
            receivers: WaitQueue::new(),
        }
    }

    pub(crate) fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        if self.is_disconnected() {
            return Err(TrySendError::Disconnected(msg));
        }
        let msg = match self.handover(msg) {
            Ok(()) => return Ok(()),
            Err(m) => m,
        };
        self.queue.push(msg);
        fence(Ordering::SeqCst);
        if self.is_disconnected() {
            // The last receiver left while we pushed: nobody will take it.
            self.discard();
        } else {
            self.receivers.notify_one();
        }
        Ok(())
    }

    fn handover(&self, msg: T) -> Result<(), T> {
        buffered::handover(&self.receivers, || self.queue.is_empty(), msg)
    }

    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        if let Some(m) = self.queue.pop() {
            return Ok(m);
        }
        if !self.is_disconnected() {
            return Err(TryRecvError::Empty);
        }
        // Everything sent before the disconnect is visible now.
        self.queue.pop().ok_or(TryRecvError::Disconnected)
    }

    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        buffered::recv(
            deadline,
            &self.receivers,
            || self.try_recv(),
            |cx| self.register_recv(cx, 0),
        )
    }

    /// Lists a receiving operation; aborts its wait at once (returning `true`) if a
    /// message or the disconnect is already there.
    pub(crate) fn register_recv(&self, cx: &Context, oper: usize) -> bool {
        self.receivers.register(cx, oper, true, || {
            !self.queue.is_empty() || self.is_disconnected()
        })
    }

    pub(crate) fn is_disconnected(&self) -> bool {
        self.disconnected.load(Ordering::SeqCst)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    /// Marks the channel disconnected and wakes parked receivers.
    pub(crate) fn disconnect(&self) -> bool {
        if self.disconnected.swap(true, Ordering::SeqCst) {
            return false;
        }
        self.receivers.disconnect();
        true
    }

    /// The last receiver is gone: disconnect and drop what is queued.
    pub(crate) fn disconnect_receivers(&self) {
        self.disconnect();
        self.discard();
    }

    fn discard(&self) {
        while self.queue.pop().is_some() {}
    }
}
