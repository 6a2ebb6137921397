//! A waiter that blocks a goroutine inside the runtime and an OS thread outside it.
//!
//! Join handles, and later channels and sync primitives, wait the same way whether the
//! caller is a goroutine or a plain thread: record a [`Waiter`] under a lock, release the
//! lock and sleep; the waker takes the `Waiter` out under the same lock and calls
//! [`Waiter::wake`] after releasing it.

use std::thread::Thread;

use crate::{park, ready, GRef};

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

/// Blocks the caller until `done()` holds. `register(waiter)` must store the waiter where
/// the waker finds it and release whatever lock guards `done`; it returns `false` if the
/// condition already holds, in which case nothing is stored and nobody will wake us.
///
/// Inside a goroutine `register` runs as the park hook, off the goroutine's stack. Outside,
/// the thread parks and re-checks `done` after each wakeup, so spurious unparks are fine.
pub fn block_until(mut register: impl FnMut(Waiter) -> bool, done: impl Fn() -> bool) {
    if crate::in_goroutine() {
        while !done() {
            let mut reg = Some(&mut register);
            park(|g| (reg.take().expect("hook runs once"))(Waiter::G(g.clone())));
        }
    } else {
        let mut registered = false;
        while !done() {
            if !registered {
                if !register(Waiter::Thread(std::thread::current())) {
                    continue;
                }
                registered = true;
            }
            std::thread::park();
        }
    }
}
