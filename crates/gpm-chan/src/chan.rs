//! The channel handles: the constructors, [`Sender`], [`Receiver`], and the sender and
//! receiver counts that disconnect a channel when one side is gone.
//!
//! A handle is an enum over the flavors (`array.rs` for `bounded(n > 0)`, `list.rs` for
//! `unbounded()`, `zero.rs` for `bounded(0)`, `timer.rs` for `after`/`tick`/`never`), each
//! behind an `Arc` shared by all clones of both sides. Dropping the last `Sender`
//! disconnects the channel: receivers drain what is buffered, then get `Err(RecvError)`
//! (Go's `close`). Dropping the last `Receiver` disconnects it too: sends fail and give the
//! message back, and buffered messages are dropped at once.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::array::{Array, NoRoom, Reservation};
use crate::context::Context;
use crate::err::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};
use crate::iter::{Iter, TryIter};
use crate::list::List;
use crate::sync::{AtomicUsize, Ordering};
use crate::timer::{self, At, Tick};
use crate::waitq::Entry;
use crate::zero::{NoPeer, Zero};

/// A flavor's state plus the counts of live handles on each side.
pub(crate) struct Counted<C> {
    senders: AtomicUsize,
    receivers: AtomicUsize,
    pub(crate) chan: C,
}

impl<C> Counted<C> {
    fn new(chan: C) -> Arc<Counted<C>> {
        Arc::new(Counted {
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
            chan,
        })
    }
}

/// Adds a handle to a count, aborting like `Arc` on overflow.
fn acquire(count: &AtomicUsize) {
    if count.fetch_add(1, Ordering::Relaxed) > isize::MAX as usize {
        std::process::abort();
    }
}

/// Drops a handle from a count; true if it was the last.
fn release(count: &AtomicUsize) -> bool {
    count.fetch_sub(1, Ordering::AcqRel) == 1
}

enum SenderFlavor<T> {
    Array(Arc<Counted<Array<T>>>),
    List(Arc<Counted<List<T>>>),
    Zero(Arc<Counted<Zero<T>>>),
}

enum ReceiverFlavor<T> {
    Array(Arc<Counted<Array<T>>>),
    List(Arc<Counted<List<T>>>),
    Zero(Arc<Counted<Zero<T>>>),
    At(Arc<At>, fn(Instant) -> T),
    Tick(Arc<Tick>, fn(Instant) -> T),
    Never,
}

/// The sending side of a channel. Clone it for more senders (MPMC).
///
/// Inside a goroutine a send that must wait parks the goroutine; on any other thread it
/// blocks the thread.
pub struct Sender<T> {
    flavor: SenderFlavor<T>,
}

/// The receiving side of a channel. Clone it for more receivers (MPMC); iterate over it
/// (or `&Receiver`) to receive until the channel is disconnected, like Go's `range`.
///
/// Inside a goroutine a receive that must wait parks the goroutine; on any other thread it
/// blocks the thread.
pub struct Receiver<T> {
    flavor: ReceiverFlavor<T>,
}

// SAFETY: a channel moves `T`s between threads and never shares a `&T`, so `T: Send` is all
// either handle needs (as for crossbeam's and std's channels). The flavors' shared state is
// synchronised by their own protocols.
unsafe impl<T: Send> Send for Sender<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Sender<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Receiver<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Receiver<T> {}

// A panic while using a handle leaves the channel consistent (every operation completes or
// is undone), as in crossbeam and std.
impl<T> std::panic::UnwindSafe for Sender<T> {}
impl<T> std::panic::RefUnwindSafe for Sender<T> {}
impl<T> std::panic::UnwindSafe for Receiver<T> {}
impl<T> std::panic::RefUnwindSafe for Receiver<T> {}

/// A channel with room for `cap` messages. `bounded(0)` is a rendezvous channel: a send
/// waits until a receiver takes the message, like Go's `make(chan T)`.
///
/// # Panics
/// If `cap` is too large for the buffer to be allocated.
///
/// ```
/// let (tx, rx) = gpm_chan::bounded(1);
/// tx.send(1).unwrap();
/// assert!(tx.try_send(2).is_err()); // full
/// assert_eq!(rx.recv(), Ok(1));
/// ```
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    if cap == 0 {
        let c = Counted::new(Zero::new());
        (
            Sender {
                flavor: SenderFlavor::Zero(c.clone()),
            },
            Receiver {
                flavor: ReceiverFlavor::Zero(c),
            },
        )
    } else {
        let c = Counted::new(Array::new(cap));
        (
            Sender {
                flavor: SenderFlavor::Array(c.clone()),
            },
            Receiver {
                flavor: ReceiverFlavor::Array(c),
            },
        )
    }
}

/// A channel without a capacity limit: sends never wait.
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    let c = Counted::new(List::new());
    (
        Sender {
            flavor: SenderFlavor::List(c.clone()),
        },
        Receiver {
            flavor: ReceiverFlavor::List(c),
        },
    )
}

/// A channel that delivers one message, the instant it became due, after `d` (Go's
/// `time.After`). Inside a goroutine the wait is a timer on the runtime.
pub fn after(d: Duration) -> Receiver<Instant> {
    match crate::sync::now().checked_add(d) {
        Some(t) => at(t),
        None => never(),
    }
}

/// A channel that delivers one message at `when`.
pub fn at(when: Instant) -> Receiver<Instant> {
    Receiver {
        flavor: ReceiverFlavor::At(Arc::new(At::new(when)), |t| t),
    }
}

/// A channel that delivers a message every `d` (Go's `time.Tick`). A slow receiver gets
/// the oldest tick it missed, then the next one on the period's grid; ticks in between are
/// dropped. A period too long for the clock gives a channel that never delivers.
pub fn tick(d: Duration) -> Receiver<Instant> {
    match crate::sync::now().checked_add(d) {
        Some(first) => Receiver {
            flavor: ReceiverFlavor::Tick(Arc::new(Tick::new(first, d)), |t| t),
        },
        None => never(),
    }
}

/// A channel that never delivers anything and is never disconnected; a `select!` arm on
/// it is never chosen (Go's nil channel).
pub fn never<T>() -> Receiver<T> {
    Receiver {
        flavor: ReceiverFlavor::Never,
    }
}

/// The deadline `d` from now, `None` ("never") if the clock cannot express it.
pub(crate) fn deadline_after(d: Duration) -> Option<Instant> {
    crate::sync::now().checked_add(d)
}

impl<T> Sender<T> {
    /// Sends without waiting: fails with `Full` if the channel is full (a rendezvous
    /// channel: if no receiver is waiting) and `Disconnected` if every receiver is gone.
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        match &self.flavor {
            SenderFlavor::Array(c) => c.chan.try_send(msg),
            SenderFlavor::List(c) => c.chan.try_send(msg),
            SenderFlavor::Zero(c) => c.chan.try_send(msg),
        }
    }

    /// Sends, waiting for room (a rendezvous channel: for a receiver). Fails, giving the
    /// message back, if every receiver is gone.
    pub fn send(&self, msg: T) -> Result<(), SendError<T>> {
        self.send_until(msg, None).map_err(|e| match e {
            SendTimeoutError::Disconnected(m) | SendTimeoutError::Timeout(m) => SendError(m),
        })
    }

    /// Like [`Sender::send`], giving up after `timeout`.
    pub fn send_timeout(&self, msg: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_until(msg, deadline_after(timeout))
    }

    /// Like [`Sender::send`], giving up at `deadline`.
    pub fn send_deadline(&self, msg: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        self.send_until(msg, Some(deadline))
    }

    fn send_until(&self, msg: T, deadline: Option<Instant>) -> Result<(), SendTimeoutError<T>> {
        match &self.flavor {
            SenderFlavor::Array(c) => c.chan.send(msg, deadline),
            SenderFlavor::List(c) => c.chan.try_send(msg).map_err(|e| match e {
                TrySendError::Disconnected(m) | TrySendError::Full(m) => {
                    SendTimeoutError::Disconnected(m)
                }
            }),
            SenderFlavor::Zero(c) => c.chan.send(msg, deadline),
        }
    }

    /// True if no message is buffered (always for a rendezvous channel).
    pub fn is_empty(&self) -> bool {
        match &self.flavor {
            SenderFlavor::Array(c) => c.chan.is_empty(),
            SenderFlavor::List(c) => c.chan.is_empty(),
            SenderFlavor::Zero(_) => true,
        }
    }

    /// True if a send would have to wait (always for a rendezvous channel, never for an
    /// unbounded one).
    pub fn is_full(&self) -> bool {
        match &self.flavor {
            SenderFlavor::Array(c) => c.chan.is_full(),
            SenderFlavor::List(_) => false,
            SenderFlavor::Zero(_) => true,
        }
    }

    /// The number of messages buffered.
    pub fn len(&self) -> usize {
        match &self.flavor {
            SenderFlavor::Array(c) => c.chan.len(),
            SenderFlavor::List(c) => c.chan.len(),
            SenderFlavor::Zero(_) => 0,
        }
    }

    /// The capacity: `Some(n)` for `bounded(n)`, `None` for `unbounded()`.
    pub fn capacity(&self) -> Option<usize> {
        match &self.flavor {
            SenderFlavor::Array(c) => Some(c.chan.capacity()),
            SenderFlavor::List(_) => None,
            SenderFlavor::Zero(_) => Some(0),
        }
    }

    /// True if both senders belong to the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        match (&self.flavor, &other.flavor) {
            (SenderFlavor::Array(a), SenderFlavor::Array(b)) => Arc::ptr_eq(a, b),
            (SenderFlavor::List(a), SenderFlavor::List(b)) => Arc::ptr_eq(a, b),
            (SenderFlavor::Zero(a), SenderFlavor::Zero(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// What a `select!` send arm holds once chosen, until its message is known.
pub(crate) enum SendClaim {
    /// Nothing ready.
    None,
    /// Every receiver is gone: the send fails.
    Disconnected,
    /// A reserved slot of a bounded channel.
    Array(Reservation),
    /// A claimed parked receiver of a rendezvous channel.
    Zero(Entry),
    /// An unbounded channel always has room.
    List,
}

impl<T> Sender<T> {
    /// Commits to a send if one can happen now, without the message yet.
    pub(crate) fn claim(&self) -> SendClaim {
        match &self.flavor {
            SenderFlavor::Array(c) => match c.chan.reserve() {
                Ok(r) => SendClaim::Array(r),
                Err(NoRoom::Full) => SendClaim::None,
                Err(NoRoom::Disconnected) => SendClaim::Disconnected,
            },
            SenderFlavor::List(c) if c.chan.is_disconnected() => SendClaim::Disconnected,
            SenderFlavor::List(_) => SendClaim::List,
            SenderFlavor::Zero(c) => match c.chan.claim_receiver() {
                Ok(e) => SendClaim::Zero(e),
                Err(NoPeer::Empty) => SendClaim::None,
                Err(NoPeer::Disconnected) => SendClaim::Disconnected,
            },
        }
    }

    /// Sends `msg` through a claim made by [`Sender::claim`] on this sender.
    pub(crate) fn complete(&self, claim: SendClaim, msg: T) -> Result<(), SendError<T>> {
        match (claim, &self.flavor) {
            (SendClaim::Array(r), SenderFlavor::Array(c)) => {
                c.chan.publish(r, Some(msg));
                Ok(())
            }
            (SendClaim::List, SenderFlavor::List(c)) => {
                c.chan.try_send(msg).map_err(|e| SendError(e.into_inner()))
            }
            (SendClaim::Zero(e), SenderFlavor::Zero(_)) => {
                Zero::give(e, msg);
                Ok(())
            }
            (SendClaim::Disconnected, _) => Err(SendError(msg)),
            _ => unreachable!("gpm: a send claim completed on another channel"),
        }
    }

    /// Gives back a claim that will not be used: a hole in a bounded channel's ring, a
    /// "try again" for a claimed rendezvous receiver.
    pub(crate) fn abandon(&self, claim: SendClaim) {
        match (claim, &self.flavor) {
            (SendClaim::Array(r), SenderFlavor::Array(c)) => c.chan.abandon(r),
            (SendClaim::Zero(e), _) => e.finish(),
            _ => {}
        }
    }

    /// Lists a select send arm; true if it is ready after all (its wait is then aborted).
    pub(crate) fn register(&self, oper: usize, cx: &Context) -> bool {
        match &self.flavor {
            SenderFlavor::Array(c) => c.chan.register_send(cx, oper),
            SenderFlavor::List(_) => {
                cx.abort();
                true
            }
            SenderFlavor::Zero(c) => c.chan.register_send(cx, oper),
        }
    }

    pub(crate) fn unregister(&self, oper: usize, cx: &Context) {
        match &self.flavor {
            SenderFlavor::Array(c) => c.chan.senders.unregister(cx, oper),
            SenderFlavor::List(_) => {}
            SenderFlavor::Zero(c) => c.chan.unregister_send(cx, oper),
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        let flavor = match &self.flavor {
            SenderFlavor::Array(c) => {
                acquire(&c.senders);
                SenderFlavor::Array(c.clone())
            }
            SenderFlavor::List(c) => {
                acquire(&c.senders);
                SenderFlavor::List(c.clone())
            }
            SenderFlavor::Zero(c) => {
                acquire(&c.senders);
                SenderFlavor::Zero(c.clone())
            }
        };
        Sender { flavor }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        match &self.flavor {
            SenderFlavor::Array(c) if release(&c.senders) => {
                c.chan.disconnect();
            }
            SenderFlavor::List(c) if release(&c.senders) => {
                c.chan.disconnect();
            }
            SenderFlavor::Zero(c) if release(&c.senders) => {
                c.chan.disconnect();
            }
            _ => {}
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Sender { .. }")
    }
}

impl<T> Receiver<T> {
    /// Receives without waiting: fails with `Empty` if nothing is there (a rendezvous
    /// channel: no sender is waiting) and `Disconnected` if, in addition, every sender is
    /// gone.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        match &self.flavor {
            ReceiverFlavor::Array(c) => c.chan.try_recv(),
            ReceiverFlavor::List(c) => c.chan.try_recv(),
            ReceiverFlavor::Zero(c) => c.chan.try_recv(),
            ReceiverFlavor::At(c, f) => c.try_recv().map(f),
            ReceiverFlavor::Tick(c, f) => c.try_recv().map(f),
            ReceiverFlavor::Never => Err(TryRecvError::Empty),
        }
    }

    /// Receives, waiting for a message. Fails once the channel is empty and every sender
    /// is gone: everything sent before that is received first.
    pub fn recv(&self) -> Result<T, RecvError> {
        self.recv_until(None).map_err(|_| RecvError)
    }

    /// Like [`Receiver::recv`], giving up after `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_until(deadline_after(timeout))
    }

    /// Like [`Receiver::recv`], giving up at `deadline`.
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.recv_until(Some(deadline))
    }

    fn recv_until(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        match &self.flavor {
            ReceiverFlavor::Array(c) => c.chan.recv(deadline),
            ReceiverFlavor::List(c) => c.chan.recv(deadline),
            ReceiverFlavor::Zero(c) => c.chan.recv(deadline),
            ReceiverFlavor::At(c, f) => c.recv(deadline).map(f),
            ReceiverFlavor::Tick(c, f) => c.recv(deadline).map(f),
            ReceiverFlavor::Never => Err(timer::never_recv(deadline)),
        }
    }

    /// True if nothing is there to receive.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True if the buffer is full (always for rendezvous and `never` channels).
    pub fn is_full(&self) -> bool {
        match &self.flavor {
            ReceiverFlavor::Array(c) => c.chan.is_full(),
            ReceiverFlavor::List(_) => false,
            ReceiverFlavor::Zero(_) | ReceiverFlavor::Never => true,
            ReceiverFlavor::At(..) | ReceiverFlavor::Tick(..) => !self.is_empty(),
        }
    }

    /// The number of messages there to receive.
    pub fn len(&self) -> usize {
        match &self.flavor {
            ReceiverFlavor::Array(c) => c.chan.len(),
            ReceiverFlavor::List(c) => c.chan.len(),
            ReceiverFlavor::Zero(_) | ReceiverFlavor::Never => 0,
            ReceiverFlavor::At(c, _) => c.len(),
            ReceiverFlavor::Tick(c, _) => c.len(),
        }
    }

    /// The capacity: `Some(n)` for `bounded(n)`, `None` for `unbounded()`, `Some(1)` for
    /// `after`/`tick` and `Some(0)` for `never`.
    pub fn capacity(&self) -> Option<usize> {
        match &self.flavor {
            ReceiverFlavor::Array(c) => Some(c.chan.capacity()),
            ReceiverFlavor::List(_) => None,
            ReceiverFlavor::Zero(_) | ReceiverFlavor::Never => Some(0),
            ReceiverFlavor::At(..) | ReceiverFlavor::Tick(..) => Some(1),
        }
    }

    /// A blocking iterator over received messages; it ends when the channel is
    /// disconnected and empty.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter::new(self)
    }

    /// An iterator over the messages there now; it never waits.
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter::new(self)
    }

    /// True if both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        match (&self.flavor, &other.flavor) {
            (ReceiverFlavor::Array(a), ReceiverFlavor::Array(b)) => Arc::ptr_eq(a, b),
            (ReceiverFlavor::List(a), ReceiverFlavor::List(b)) => Arc::ptr_eq(a, b),
            (ReceiverFlavor::Zero(a), ReceiverFlavor::Zero(b)) => Arc::ptr_eq(a, b),
            (ReceiverFlavor::At(a, _), ReceiverFlavor::At(b, _)) => Arc::ptr_eq(a, b),
            (ReceiverFlavor::Tick(a, _), ReceiverFlavor::Tick(b, _)) => Arc::ptr_eq(a, b),
            (ReceiverFlavor::Never, ReceiverFlavor::Never) => true,
            _ => false,
        }
    }

    /// Lists a select receive arm; true if it is ready after all (its wait is then
    /// aborted). Time channels are not listed: their due time is the select's deadline.
    pub(crate) fn register(&self, oper: usize, cx: &Context) -> bool {
        match &self.flavor {
            ReceiverFlavor::Array(c) => c.chan.register_recv(cx, oper),
            ReceiverFlavor::List(c) => c.chan.register_recv(cx, oper),
            ReceiverFlavor::Zero(c) => c.chan.register_recv(cx, oper),
            _ => false,
        }
    }

    pub(crate) fn unregister(&self, oper: usize, cx: &Context) {
        match &self.flavor {
            ReceiverFlavor::Array(c) => c.chan.receivers.unregister(cx, oper),
            ReceiverFlavor::List(c) => c.chan.receivers.unregister(cx, oper),
            ReceiverFlavor::Zero(c) => c.chan.unregister_recv(cx, oper),
            _ => {}
        }
    }

    /// When a select waiting on this receiver must look again (time channels).
    pub(crate) fn due(&self) -> Option<Instant> {
        match &self.flavor {
            ReceiverFlavor::At(c, _) => c.due(),
            ReceiverFlavor::Tick(c, _) => c.due(),
            _ => None,
        }
    }

    /// The message a sender handed to `cx` for this receiver's arm, if any.
    ///
    /// # Safety
    /// `cx` is the caller's own, was listed only through [`Receiver::register`] of
    /// receivers of `T` for the operation that was selected, and has reached a final state.
    pub(crate) unsafe fn take_handed(&self, cx: &Context) -> Option<T> {
        match &self.flavor {
            // SAFETY: guaranteed by the caller.
            ReceiverFlavor::Array(_) | ReceiverFlavor::List(_) | ReceiverFlavor::Zero(_) => unsafe {
                cx.take::<T>()
            },
            _ => None,
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        let flavor = match &self.flavor {
            ReceiverFlavor::Array(c) => {
                acquire(&c.receivers);
                ReceiverFlavor::Array(c.clone())
            }
            ReceiverFlavor::List(c) => {
                acquire(&c.receivers);
                ReceiverFlavor::List(c.clone())
            }
            ReceiverFlavor::Zero(c) => {
                acquire(&c.receivers);
                ReceiverFlavor::Zero(c.clone())
            }
            ReceiverFlavor::At(c, f) => ReceiverFlavor::At(c.clone(), *f),
            ReceiverFlavor::Tick(c, f) => ReceiverFlavor::Tick(c.clone(), *f),
            ReceiverFlavor::Never => ReceiverFlavor::Never,
        };
        Receiver { flavor }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        match &self.flavor {
            ReceiverFlavor::Array(c) if release(&c.receivers) => c.chan.disconnect_receivers(),
            ReceiverFlavor::List(c) if release(&c.receivers) => c.chan.disconnect_receivers(),
            ReceiverFlavor::Zero(c) if release(&c.receivers) => {
                c.chan.disconnect();
            }
            _ => {}
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Receiver { .. }")
    }
}
