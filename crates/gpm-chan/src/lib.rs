//! # gpm-chan: Go's channels for gpm
//!
//! CSP channels with crossbeam-channel's API and Go's semantics. Inside a goroutine a
//! channel operation that must wait **parks the goroutine**, and its M runs other
//! goroutines; on any other thread it blocks the thread. One channel serves both at once.
//!
//! - [`bounded`]`(0)`: a rendezvous channel (Go's `make(chan T)`): a send completes when a
//!   receiver takes the message. [`bounded`]`(n)`: room for `n`. [`unbounded`]: no limit.
//! - [`Sender`] / [`Receiver`] are `Clone` (many producers, many consumers) and
//!   `Send + Sync` for `T: Send`. When every sender is gone the receivers drain what is
//!   buffered and then get [`RecvError`] (Go's `close`); when every receiver is gone a send
//!   fails and gives the message back. A message that was sent successfully is never lost.
//! - [`select!`] and [`Select`] wait on several operations; among the ready ones one is
//!   chosen at random. [`after`], [`at`], [`tick`] and [`never()`] are channels of time.
//!
//! ```
//! let (tx, rx) = gpm_chan::bounded(0);
//! let t = std::thread::spawn(move || tx.send("hello").unwrap());
//! assert_eq!(rx.recv(), Ok("hello"));
//! t.join().unwrap();
//! ```
//!
//! # How it works
//!
//! Every wait goes through a context (`context.rs`: one per blocked operation, shared
//! by all arms of a select) with one atomic state word; a peer *claims* it with a
//! compare-exchange, so each wait is completed exactly once, and it hands the message over
//! through the context itself. Go's direct handoff follows: a sender that finds a receiver
//! parked gives it the message and readies it, with no trip through the buffer. The
//! buffers are lock-free (a stamped ring for `bounded(n)`, crossbeam-queue's `SegQueue` for
//! `unbounded`); the rendezvous channel is two wait queues under one lock, like Go's
//! `hchan`. Each file's docs give its part of the protocol; `docs/design.md` the whole.
//!
//! The message expression of a `select!` send arm is evaluated only when that arm is
//! chosen (as in crossbeam, unlike Go, which evaluates it first). The arm holds its slot (a
//! reserved buffer slot, a claimed waiting receiver) meanwhile, so keep that expression
//! short: receivers of that channel wait for it.
//!
//! This crate depends only on `gpm-g`'s park/ready interface and its runtime timers; the
//! facade crate `gpm` re-exports it as `gpm::chan`.
#![cfg_attr(loom, allow(dead_code, unused_imports))]

mod array;
mod buffered;
mod chan;
mod context;
mod err;
mod iter;
mod list;
mod payload;
mod select;
mod select_dyn;
mod select_macro;
mod sync;
mod timer;
#[cfg(loom)]
mod vclock;
mod waitq;
mod zero;

/// Under loom: the virtual clock (see `vclock.rs`) that `gpm::time` sleeps on. Not a
/// stable interface.
#[cfg(loom)]
#[doc(hidden)]
pub mod loom_clock {
    pub use crate::vclock::{now, sleep_until};
}

/// Under loom: the spin lock the channels use outside loom (see `sync.rs`), exposed so
/// that `tests/loom_spin.rs` can model-check it. Not a stable interface.
#[cfg(loom)]
#[doc(hidden)]
pub mod loom_spin {
    pub use crate::sync::spin::{Mutex, MutexGuard};
}

pub use chan::{after, at, bounded, never, tick, unbounded, Receiver, Sender};
pub use err::{
    RecvError, RecvTimeoutError, SelectTimeoutError, SendError, SendTimeoutError, TryRecvError,
    TrySelectError, TrySendError,
};
pub use iter::{IntoIter, Iter, TryIter};
pub use select_dyn::{Select, SelectedOperation};

/// What `select!` expands to. Not a stable interface.
#[doc(hidden)]
pub mod internal {
    pub use crate::context::Context;
    pub use crate::select::{block_forever, select, Arm, Pending, RecvArm, SendArm, Timeout};

    /// `default(timeout)`: a deadline `timeout` from now, or none if the clock cannot
    /// express it.
    pub fn timeout_after(timeout: std::time::Duration) -> Timeout {
        match crate::chan::deadline_after(timeout) {
            Some(d) => Timeout::At(d),
            None => Timeout::Never,
        }
    }
}
