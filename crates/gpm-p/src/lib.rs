//! # gpm-p: the P of G·P·M
//!
//! A P is a processor token: an M must hold one to run goroutines, and `procs` of them
//! exist per runtime. Each P owns a local run queue and a one-G `runnext` slot; all Ps share
//! one global queue. This crate holds those structures and the stealing between them; who
//! holds which P, and when, is `gpm-m`'s business.
//!
//! - [`queue`]: the small interface the run queues are used through, backed by
//!   crossbeam-deque normally and by a loom-visible stand-in under `cfg(loom)`;
//! - [`P`] / [`PShared`]: the owner's half and the half other Ms may touch;
//! - [`steal`]: how an idle M takes work from its peers;
//! - [`lease`]: who may touch a P, and how sysmon takes one from a blocked M (loom-checked);
//! - [`AllP`] / [`PRef`]: where the Ps live, and the handle that passes one between owners.

pub mod lease;
mod own;
mod p;
pub mod queue;
pub mod steal;
mod sync;

pub use own::{AllP, PRef};
pub use p::{Next, PCounters, PShared, MAX_RUNNEXT_STREAK, P, RUNNEXT_GRACE};
pub use queue::{Global, Local, Stealer};

/// The global queue is checked before the local one on every `GLOBAL_TICK`-th schedule, so
/// two goroutines that keep respawning each other cannot starve it (Go's 61, a prime so it
/// does not fall into step with other periodic work).
pub const GLOBAL_TICK: u32 = 61;
