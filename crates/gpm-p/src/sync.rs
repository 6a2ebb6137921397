//! The atomics the P lease and the `runnext` slot are written against: std's normally,
//! loom's under `cfg(loom)`, so `tests/loom_lease.rs` and `tests/loom_runnext.rs` check the
//! protocol code unchanged.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex};
