//! A waiter that blocks a goroutine inside the runtime and an OS thread outside it.
//!
//! Join handles and sync primitives wait the same way whether the caller is a goroutine or a
//! plain thread: record a [`Waiter`] where the waker will find it (under a lock, or in a
//! [`crate::oneshot`] slot) and sleep; the waker takes the `Waiter` out and calls
//! [`Waiter::wake`] (after releasing any lock).

use std::thread::Thread;

use crate::{ready, GRef};

/// Who is waiting: a parked goroutine or a parked thread.
#[derive(Debug)]
pub enum Waiter {
    /// A goroutine, woken with [`crate::ready`].
    G(GRef),
    /// An OS thread outside any runtime, woken with `Thread::unpark`.
    Thread(Thread),
}

impl Waiter {
    /// Wakes the waiter. Waking a goroutine that is not parked is harmless.
    pub fn wake(self) {
        match self {
            Waiter::G(g) => ready(&g),
            Waiter::Thread(t) => t.unpark(),
        }
    }
}
