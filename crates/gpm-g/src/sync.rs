//! The atomics this crate's protocols use, from `std` normally and from `loom` under
//! `cfg(loom)` so that the park/ready state machine can be model-checked unchanged.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU8, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU8, Ordering};
