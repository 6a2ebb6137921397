//! # gpm-g: the G of G·P·M
//!
//! A G is a goroutine: a closure, the stack it runs on and the registers saved when it is
//! switched out. This crate owns everything that belongs to one G and nothing about *where*
//! it runs:
//!
//! - [`stack`]: mmap'd stacks with guard pages, pooled for reuse, new pooled ones carved out
//!   of bigger mappings (`chunk`);
//! - [`overflow`]: the signal handler that turns a guard-page hit into
//!   `goroutine <id> (<name>) has overflowed its stack` and an abort;
//! - [`state`]: the G state word and its park/ready transitions (loom-checked);
//! - [`G`] and [`GRef`]: the G record shared by run queues, wait queues and the scheduler,
//!   and its counted reference, in memory of its own pool (`records`);
//! - `task`: where a G keeps its [`Entry`], inside the record when it is small, and the
//!   [`EntryRef`] through which a join handle reads it;
//! - [`park`], [`ready`], [`yield_now`], [`current`]: what a goroutine and its wakers call;
//! - [`exec`]: how an M switches into a G and what it learns when the G switches back;
//! - [`Sched`]: the small interface through which a G reaches its scheduler;
//! - [`block`]: a waiter that parks a goroutine inside the runtime and a thread outside;
//! - [`oneshot`]: the lock-free slot through which a goroutine's result reaches its handle.
//!
//! Channels and the netpoller depend on this crate's park/ready interface only; the run
//! queues (`gpm-p`) and the worker threads (`gpm-m`) sit above it.
//!
//! # The one inherent hazard of M:N stackful code
//!
//! A goroutine that parks (channel receive, sleep, join, socket read, `yield_now`) may resume
//! on a different OS thread. Anything bound to the OS thread and held across such a call then
//! refers to the wrong thread: a `thread_local!` borrow (or even the address of a thread
//! local, which the compiler may compute once per function), a `std::sync::MutexGuard`, a
//! `RefCell` borrow of thread-local data. gpm cannot see these at compile time, just as
//! `corosensei` cannot, which is why its `Coroutine` is `!Send`. Do not hold thread-bound
//! state across a blocking gpm call, or pin the goroutine to its thread first
//! (`gpm::lock_os_thread`, Go's `LockOSThread`; the pin is recorded on the G by
//! [`G::pin`] and honoured by `gpm-m`).
#![cfg_attr(loom, allow(dead_code, unused_imports))]

pub mod block;
mod chunk;
pub mod exec;
mod g;
mod gref;
#[cfg(loom)]
pub mod loom_model;
pub mod oneshot;
pub mod overflow;
mod park;
mod records;
mod sched;
pub mod stack;
pub mod state;
pub mod sync;
mod task;
pub mod trace;

pub use g::{Entry, GId, Pin, G, NO_REGISTRY_SLOT};
pub use gref::{records_to_scavenge, scavenge_records, GRef, SCAVENGE_PERIOD};
pub use park::{
    current, current_id, current_raw, in_goroutine, park, ready, ready_fifo, shutting_down,
    wake_raw, yield_now, Woken,
};
pub use sched::{current_poller, Poll, Sched, TimerAction};
pub use task::{EntryRef, INLINE_BYTES};
