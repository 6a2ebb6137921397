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
//! - [`timers`]: per-P timer heaps;
//! - [`registry`]: every live goroutine, for shutdown.
//!
//! The design as a whole is explained in `docs/design.md`.

pub mod idle;
pub mod mpark;
pub mod registry;
mod sched;
mod sync;
pub mod timers;
mod worker;

pub use sched::{Config, Scheduler};
