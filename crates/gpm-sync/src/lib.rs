//! # gpm-sync: Go's `sync` package for gpm
//!
//! Locks and coordination primitives that know about goroutines. Inside a gpm runtime a
//! call that must wait **parks the goroutine**, and its M runs other goroutines; on any
//! other thread it blocks the thread. One object serves both at once: goroutines and plain
//! OS threads can contend for the same [`Mutex`], wait on the same [`WaitGroup`], and so
//! on. (A `std::sync::Mutex` taken inside a goroutine would block the whole M, and with it
//! every goroutine queued on its P.)
//!
//! - [`Mutex`] / [`MutexGuard`] and [`RwLock`] with `lock`/`read`/`write`, `try_*` and
//!   `*_timeout`;
//! - [`Condvar`] (`wait`, `wait_while`, `wait_timeout`, `notify_one`, `notify_all`) for
//!   gpm's `Mutex`;
//! - [`Semaphore`] with RAII [`SemaphorePermit`]s;
//! - [`WaitGroup`] (Go's `Add`/`Done`/`Wait`; clones share the counter);
//! - [`Once`] and [`OnceLock`]; [`Barrier`].
//!
//! The APIs follow std's (parking_lot's where std returns a poison `Result`), with Go's
//! semantics where they differ.
//!
//! ```
//! use std::sync::Arc;
//! // Plain threads here; goroutines (and a mix of both) use the same calls.
//! let wg = gpm_sync::WaitGroup::new();
//! let total = Arc::new(gpm_sync::Mutex::new(0u64));
//! for i in 1..=10 {
//!     wg.add(1);
//!     let (wg, total) = (wg.clone(), total.clone());
//!     std::thread::spawn(move || {
//!         *total.lock() += i;
//!         wg.done();
//!     });
//! }
//! wg.wait();
//! assert_eq!(*total.lock(), 55);
//! ```
//!
//! # How waiting works
//!
//! Every primitive keeps its waiters in a FIFO list under a short internal lock (a
//! parking_lot mutex, never held while anybody sleeps). A caller that must wait makes a
//! *node* (its goroutine or its thread, and an atomic state word), lists it, releases the
//! internal lock and sleeps. A waker takes the node out under the lock and *finishes* it
//! with one compare-exchange out of `WAITING`: `GRANTED` when it hands the resource over
//! (the lock, a permit, a notification, the end of the wait: the waiter owns it when it
//! wakes), or `RETRY` to make it look again. It wakes the owner after releasing the lock. A
//! timeout is the owner's (or, in a goroutine, a runtime timer's) compare-exchange to
//! `ABORTED`, so a handoff and a timeout cannot both happen: a waiter whose timeout loses
//! the race simply has what it was given. A goroutine parks with `gpm_g::park`, whose hook
//! runs after the goroutine has left its stack and cancels the park if the node was
//! finished meanwhile; so no wakeup is lost between listing and sleeping, for goroutines
//! and threads alike. Parks may return early; every wait re-checks its node in a loop.
//! The `waiter` module holds the protocol; loom checks it (`tests/loom_sync.rs`).
//!
//! # The mutex: barging, and Go's starvation mode
//!
//! [`Mutex`] is Go's `sync.Mutex` design. Locking an unlocked mutex is one
//! compare-exchange, and so is unlocking one nobody waits for. A contended `lock` spins
//! briefly, then queues and parks. An unlock with waiters wakes the first one to *retry*
//! and releases the lock, so a goroutine that is already running may take it first
//! (barging: no context switch per critical section, which is what makes a contended mutex
//! fast). A woken waiter that loses goes back to the front of the queue. Once the first
//! waiter has been waiting for more than **1 ms** (Go's starvation threshold), unlock hands
//! the lock to it directly and newcomers queue behind: the mutex serves its waiters in FIFO
//! order until the first waiter is no longer starving. So a waiter is overtaken for about a
//! millisecond at most, and a goroutine re-locking in a tight loop cannot starve another.
//! [`RwLock`] and [`Semaphore`] hand over in strict FIFO order.
//!
//! # No poisoning
//!
//! A panic while a guard is held releases the lock as the guard drops, and later lockers
//! get the lock as usual (as with parking_lot; std would return `PoisonError` for ever
//! after). A panicking [`Once`] initialiser leaves it incomplete, and the next caller runs
//! its own. Goroutines unwound by their runtime's shutdown drop their guards the same way,
//! and a goroutine unwound *while waiting* withdraws its wait or gives back what it was
//! just handed (a lock, a permit, a notification), so the primitive stays usable from
//! other runtimes and threads.
//!
//! # Goroutines and threads
//!
//! A guard is not tied to its OS thread: a goroutine may hold a [`MutexGuard`] across any
//! blocking gpm call (and then continue on another thread), which is not allowed with a
//! `std::sync::MutexGuard` (see the hazard in the `gpm` crate docs). Waiting code running
//! in a goroutine that is being unwound by its runtime's shutdown (a destructor) blocks the
//! thread instead of parking; it should not wait for something only another goroutine of
//! the same dying runtime would provide.
//!
//! This crate depends only on `gpm-g`'s park/ready interface and its runtime timers; the
//! facade crate `gpm` re-exports it as `gpm::sync`.
#![cfg_attr(loom, allow(dead_code, unused_imports))]

mod barrier;
mod condvar;
mod mutex;
mod once;
mod once_lock;
mod raw_mutex;
mod raw_rwlock;
mod rwlock;
mod semaphore;
mod sync;
/// Under loom: virtual time, the same mechanism (and source file) as `gpm-chan`'s.
#[cfg(loom)]
#[path = "../../gpm-chan/src/vclock.rs"]
mod vclock;
mod waiter;
mod waitgroup;
mod waitlist;

pub use barrier::{Barrier, BarrierWaitResult};
pub use condvar::{Condvar, WaitTimeoutResult};
pub use mutex::{Mutex, MutexGuard};
pub use once::Once;
pub use once_lock::OnceLock;
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{Semaphore, SemaphorePermit};
pub use waitgroup::WaitGroup;
