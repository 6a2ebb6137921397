//! The primitives the wait-slot protocol is written against: std's atomics normally, loom's
//! under `cfg(loom)`, so `tests/loom_slot.rs` checks the protocol code unchanged. The mutex
//! is `gpm-g`'s shared wrapper (parking_lot, or loom's).

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

pub(crate) use gpm_g::sync::Mutex;
