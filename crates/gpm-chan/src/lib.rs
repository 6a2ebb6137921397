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
//! Every wait goes through a context (`context/mod.rs`: one per blocked operation, shared
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
mod owner;
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

/// Under loom: a wait context with a model goroutine owner (see `owner.rs`), and the steps
/// of its protocol that `tests/loom_context.rs` races. Not a stable interface.
#[cfg(loom)]
#[doc(hidden)]
pub mod loom_context {
    pub use crate::owner::model::Record;

    use crate::context::{Context, Selected};

    /// A context of the calling model goroutine (see [`Record::enter`]).
    #[derive(Clone)]
    pub struct Cx(Context);

    impl Cx {
        /// A fresh context owned by the calling model goroutine.
        pub fn acquire() -> Cx {
            Cx(crate::context::acquire())
        }
        /// A peer claims and completes the operation, readying the owner; `false` if the
        /// owner aborted first.
        pub fn claim_and_finish(&self) -> bool {
            self.0.notify(Selected::oper(0))
        }
        /// The owner's abort; `false` if the operation was claimed.
        pub fn abort(&self) -> bool {
            self.0.abort()
        }
        /// The owner looks at its wait, as a goroutine does each time its park returns:
        /// `Some(true)` completed, `Some(false)` aborted, `None` still open.
        pub fn poll(&self) -> Option<bool> {
            self.0.outcome().map(|s| s == Selected::Operation(0))
        }
        /// The owner is unwound at shutdown and leaves (after a failed abort), waiting out
        /// any claim but a held one; returns whether the operation had been completed.
        pub fn leave_unwound(&self) -> bool {
            self.0.leave_unwound() == Some(Selected::Operation(0))
        }
        /// The owner lets its context go.
        pub fn release(self) {
            crate::context::release(self.0);
        }
        /// Lists the operation, as a wait queue would: the handle a claimer takes.
        pub fn listed(&self) -> Listed {
            Listed(crate::context::Listed::new(&self.0))
        }
    }

    /// A wait-queue entry's uncounted handle on a context.
    pub struct Listed(crate::context::Listed);

    /// A wait queue of one entry under a lock, as a rendezvous channel's, for a context
    /// claimed under that lock (`Context::claim_under_lock`).
    pub struct Queue(crate::sync::Mutex<Option<crate::context::Listed>>);

    impl Default for Queue {
        fn default() -> Self {
            Queue(crate::sync::Mutex::new(None))
        }
    }

    impl Queue {
        /// The owner lists its fresh context here, to be claimed under the lock.
        pub fn list(&self, cx: &Cx) {
            cx.0.claim_under_lock();
            *self.0.lock() = Some(crate::context::Listed::new(&cx.0));
        }
        /// A peer claims the listed operation under the lock and completes it after
        /// releasing the lock, readying the owner; `false` if nothing was listed.
        pub fn claim_and_finish(&self) -> bool {
            let claimed = self.0.lock().take().filter(|e| e.try_claim());
            claimed.map(|e| e.finish(Selected::oper(0))).is_some()
        }
        /// The owner, unwound at shutdown, withdraws (taking its entry out under the lock)
        /// and leaves, waiting out a claim; returns whether the operation had been completed.
        pub fn unwind(&self, cx: &Cx) -> bool {
            let mut unlist = |_: &Context| drop(self.0.lock().take());
            if cx.0.abort_listed(&mut unlist) {
                return false;
            }
            cx.0.leave_unwound() == Some(Selected::Operation(0))
        }
    }

    /// A claim held open while code that may block runs (a `select!` send arm).
    pub struct Held(crate::context::Listed, crate::context::Context);

    impl Listed {
        /// Claims the operation and holds the claim; `None` if the owner aborted first.
        pub fn claim_held(self) -> Option<Held> {
            self.0.try_claim().then(|| {
                let held = self.0.hold();
                Held(self.0, held)
            })
        }
    }

    impl Held {
        /// Completes the held claim and lets go of its handle.
        pub fn finish(self) {
            self.0.finish(Selected::oper(0));
            drop(self.1);
        }
    }
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
