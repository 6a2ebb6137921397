//! `bounded(0)`: the rendezvous channel. A send completes only when a receiver takes the
//! message, like Go's `make(chan T)`.
//!
//! There is no buffer, only the two wait queues, under one mutex (as Go's `hchan` lock).
//! Go's invariant holds: at most one queue has operations that can complete each other,
//! because whoever arrives while the other side waits completes with it instead of queueing.
//!
//! - A sender that finds a parked receiver claims it, puts the message in the receiver's
//!   context and readies it (Go's direct send). Otherwise it puts the message in *its own*
//!   context, lists itself with `handover`, and parks; a receiver that comes along claims
//!   it, takes the message from there and readies it.
//! - A `select!` send arm has no message until it is chosen (its expression is evaluated
//!   lazily, as in crossbeam), so its entry offers nothing. A receiver that finds only such
//!   entries lists itself and wakes one of them; that select, trying again, finds the
//!   receiver parked and completes with it. A receiver always waits with a place for the
//!   message, so two selects that meet on one channel cannot keep waking each other
//!   forever: the sending one completes with the receiving one.
//! - Claims are taken under the mutex, and the claimer finishes (copies the message, stores
//!   the final state, readies the owner) after releasing it. So a plain `send` or `recv`
//!   without a deadline, listed here alone, has its context claimed under the lock, with
//!   no compare-exchange (`Context::with_plain`).

use std::marker::PhantomData;
use std::time::Instant;

use crate::context::{Context, Selected, DISCONNECT};
use crate::err::{RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};
use crate::sync::Mutex;
use crate::waitq::{Entry, Waiters};

#[derive(Default)]
struct Inner {
    senders: Waiters,
    receivers: Waiters,
    disconnected: bool,
}

/// The shared state of a rendezvous channel. What every send and receive touches (the lock,
/// both sides' first waiters, the disconnected flag) is 64 bytes, so it spans two cache
/// lines at most; with 24-byte entries and an inline `VecDeque` per side it was 128. In a
/// daisy chain of thousands of goroutines (the prime sieve) a channel is cold each time its
/// two ends take their turn, and each line of it is a miss. (Aligning it to a line of its
/// own cost more in `posix_memalign` than it saved: skynet, which makes 111,111 channels,
/// ran 9% slower.)
pub(crate) struct Zero<T> {
    inner: Mutex<Inner>,
    _marker: PhantomData<fn(T) -> T>,
}

#[cfg(not(loom))]
const _: () = assert!(std::mem::size_of::<Zero<()>>() == 64);

/// Why no peer could be claimed.
pub(crate) enum NoPeer {
    Empty,
    Disconnected,
}

impl<T> Zero<T> {
    pub(crate) fn new() -> Zero<T> {
        Zero {
            inner: Mutex::new(Inner::default()),
            _marker: PhantomData,
        }
    }

    /// Claims a parked receiver, for a sender that has (or will have) a message.
    pub(crate) fn claim_receiver(&self) -> Result<Entry, NoPeer> {
        let mut inner = self.inner.lock();
        match inner.receivers.claim(None, |_| true) {
            Some(e) => Ok(e),
            None if inner.disconnected => Err(NoPeer::Disconnected),
            None => Err(NoPeer::Empty),
        }
    }

    /// Completes a claimed receiver with `msg`.
    pub(crate) fn give(e: Entry, msg: T) {
        // SAFETY: the caller holds the claim; receivers of a `Zero<T>` take `T`s.
        unsafe { e.cx.put(msg) };
        e.finish();
    }

    /// Takes the message of a parked sender that offers one.
    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        let claimed = {
            let mut inner = self.inner.lock();
            match inner.senders.claim(None, |e| e.handover) {
                Some(e) => e,
                None if inner.disconnected => return Err(TryRecvError::Disconnected),
                None => return Err(TryRecvError::Empty),
            }
        };
        Ok(Self::take_from(claimed))
    }

    fn take_from(e: Entry) -> T {
        // SAFETY: we hold the claim of a sender that put a `T` in its own context before
        // listing itself (under the mutex we took since).
        let msg = unsafe { e.cx.take::<T>() }.expect("gpm: a parked sender offers a message");
        e.finish();
        msg
    }

    pub(crate) fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        match self.claim_receiver() {
            Ok(e) => {
                Self::give(e, msg);
                Ok(())
            }
            Err(NoPeer::Empty) => Err(TrySendError::Full(msg)),
            Err(NoPeer::Disconnected) => Err(TrySendError::Disconnected(msg)),
        }
    }

    pub(crate) fn send(
        &self,
        msg: T,
        deadline: Option<Instant>,
    ) -> Result<(), SendTimeoutError<T>> {
        let mut inner = self.inner.lock();
        if let Some(e) = inner.receivers.claim(None, |_| true) {
            drop(inner);
            Self::give(e, msg);
            return Ok(());
        }
        if inner.disconnected {
            return Err(SendTimeoutError::Disconnected(msg));
        }
        if deadline.is_some_and(|d| crate::sync::now() >= d) {
            return Err(SendTimeoutError::Timeout(msg));
        }
        Context::with_plain(deadline, |cx| {
            // SAFETY: we own `cx` and it is not listed yet.
            unsafe { cx.put(msg) };
            inner.senders.register(cx, 0, true);
            drop(inner);
            let sel = cx.wait_listed(deadline, |cx| self.unregister_send(cx, 0));
            match sel {
                // A receiver took the message. (`Interrupted` means a held claim, which only
                // a receiver's wait can have: a `select!` send arm holds one.)
                Selected::Operation(_) | Selected::Interrupted => Ok(()),
                Selected::Aborted | Selected::Disconnected => {
                    if sel == Selected::Aborted {
                        self.unregister_send(cx, 0);
                    }
                    // SAFETY: nobody holds a claim any more; the message is still ours.
                    let msg = unsafe { cx.take::<T>() }
                        .expect("gpm: an unclaimed send keeps its message");
                    if sel == Selected::Disconnected || gpm_g::shutting_down() {
                        Err(SendTimeoutError::Disconnected(msg))
                    } else {
                        Err(SendTimeoutError::Timeout(msg))
                    }
                }
            }
        })
    }

    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        loop {
            let mut inner = self.inner.lock();
            if let Some(e) = inner.senders.claim(None, |e| e.handover) {
                drop(inner);
                return Ok(Self::take_from(e));
            }
            if inner.disconnected {
                return Err(RecvTimeoutError::Disconnected);
            }
            if deadline.is_some_and(|d| crate::sync::now() >= d) {
                return Err(RecvTimeoutError::Timeout);
            }
            let got = Context::with_plain(deadline, |cx| {
                inner.receivers.register(cx, 0, true);
                let nudge = inner.senders.claim(Some(cx), |e| !e.handover);
                drop(inner);
                if let Some(e) = nudge {
                    e.finish();
                }
                match cx.wait_listed(deadline, |cx| self.unregister_recv(cx, 0)) {
                    // SAFETY: we own `cx` and saw a final state; receivers get `T`s. An
                    // empty payload: the select that claimed us gave up; try again.
                    Selected::Operation(_) => unsafe { cx.take::<T>() }.map(Ok),
                    Selected::Aborted => {
                        self.unregister_recv(cx, 0);
                        Some(Err(if gpm_g::shutting_down() {
                            RecvTimeoutError::Disconnected
                        } else {
                            RecvTimeoutError::Timeout
                        }))
                    }
                    Selected::Disconnected | Selected::Interrupted => {
                        Some(Err(RecvTimeoutError::Disconnected))
                    }
                }
            });
            if let Some(r) = got {
                return r;
            }
        }
    }

    /// Lists a select's receive arm; aborts at once (returning `true`) if a sender with a
    /// message is parked or the channel is disconnected. Otherwise wakes one parked select
    /// send arm, which will find this one.
    pub(crate) fn register_recv(&self, cx: &Context, oper: usize) -> bool {
        let mut inner = self.inner.lock();
        inner.receivers.register(cx, oper, true);
        let ready = inner.disconnected || inner.senders.any_waiting(Some(cx), |e| e.handover);
        let nudge = if ready {
            None
        } else {
            inner.senders.claim(Some(cx), |e| !e.handover)
        };
        drop(inner);
        if let Some(e) = nudge {
            e.finish();
        }
        if ready {
            cx.abort();
        }
        ready
    }

    /// Lists a select's send arm; aborts at once (returning `true`) if a receiver is parked
    /// or the channel is disconnected.
    pub(crate) fn register_send(&self, cx: &Context, oper: usize) -> bool {
        let mut inner = self.inner.lock();
        inner.senders.register(cx, oper, false);
        let ready = inner.disconnected || inner.receivers.any_waiting(Some(cx), |_| true);
        drop(inner);
        if ready {
            cx.abort();
        }
        ready
    }

    pub(crate) fn unregister_recv(&self, cx: &Context, oper: usize) {
        self.inner.lock().receivers.unregister(cx, oper);
    }

    pub(crate) fn unregister_send(&self, cx: &Context, oper: usize) {
        self.inner.lock().senders.unregister(cx, oper);
    }

    /// Marks the channel disconnected and wakes everybody parked. Returns `false` if it
    /// already was.
    pub(crate) fn disconnect(&self) -> bool {
        let woken = {
            let mut inner = self.inner.lock();
            if inner.disconnected {
                return false;
            }
            inner.disconnected = true;
            let mut all = inner.senders.take_all();
            all.extend(inner.receivers.take_all());
            all
        };
        for e in woken {
            e.cx.finish(DISCONNECT);
        }
        true
    }
}
