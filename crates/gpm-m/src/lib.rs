//! # gpm-m: the M of G·P·M
//!
//! An M is an OS worker thread. It runs goroutines only while it holds a P, and the
//! schedule loop in [`worker`](crate) decides what it runs next and when it may sleep.
//! This crate is the scheduler proper:
//!
//! - [`Scheduler`]: one runtime's Ps, global queue, idle lists, timers and live goroutines,
//!   and the submit side (spawn, ready, `wakep`);
//! - `worker`: the M thread and its schedule loop;
//! - [`idle`]: idle Ps, idle Ms and spinning Ms, the protocol that keeps readied work from
//!   being left unseen (loom-checked);
//! - [`mpark`]: how an idle M sleeps and is handed a P;
//! - `mctx`: the M's thread-local context, through which goroutines reach the held P;
//! - [`sysmon`]: the monitor thread that hands on the P of a blocked or long-running M;
//! - [`syscall()`]: Go's entersyscall/exitsyscall around a blocking call;
//! - `deadlock`: `all goroutines are asleep - deadlock!` for `block_on`;
//! - [`lock_os_thread`]: pinning a goroutine to its M;
//! - [`Stats`]: a cheap snapshot of the scheduler's counters;
//! - [`timers`]: per-P timer heaps;
//! - [`registry`]: every live goroutine, for shutdown.
//!
//! The design as a whole is explained in `docs/design.md`.

mod deadlock;
pub mod idle;
mod mctx;
pub mod mpark;
mod pin;
pub mod registry;
mod sched;
mod stats;
mod sync;
mod syscall;
pub mod sysmon;
pub mod timers;
mod worker;

pub use deadlock::BlockerGuard;
pub use pin::{lock_os_thread, unlock_os_thread};
pub use sched::{Config, Scheduler, DEFAULT_MAX_THREADS};
pub use stats::{PCounters, Stats};
pub use syscall::syscall;
