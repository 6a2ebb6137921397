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
///
/// ```
/// let (tx, rx) = gpm_chan::unbounded();
/// let tx2 = tx.clone(); // a second producer
/// let t = std::thread::spawn(move || tx2.send("from the thread").unwrap());
/// tx.send("from main").unwrap();
/// t.join().unwrap();
/// drop(tx); // every sender gone: the receiver drains, then sees the channel closed
/// let mut got: Vec<_> = rx.iter().collect();
/// got.sort();
/// assert_eq!(got, ["from main", "from the thread"]);
/// ```
pub struct Sender<T> {
    flavor: SenderFlavor<T>,
}

/// The receiving side of a channel. Clone it for more receivers (MPMC); iterate over it
/// (or `&Receiver`) to receive until the channel is disconnected, like Go's `range`.
///
/// Inside a goroutine a receive that must wait parks the goroutine; on any other thread it
/// blocks the thread.
///
/// ```
/// let (tx, rx) = gpm_chan::bounded(2);
/// let rx2 = rx.clone(); // a second consumer of the same channel
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// drop(tx);
/// assert_eq!(rx.recv(), Ok(1));
/// assert_eq!(rx2.recv(), Ok(2));
/// assert!(rx.recv().is_err()); // empty and every sender gone (Go: `v, ok := <-ch` with !ok)
/// ```
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
///
/// ```
/// let (tx, rx) = gpm_chan::unbounded();
/// for i in 0..1000 {
///     tx.send(i).unwrap(); // never waits
/// }
/// assert_eq!(rx.len(), 1000);
/// assert_eq!(rx.capacity(), None);
/// assert_eq!(rx.recv(), Ok(0));
/// ```
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
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let timeout = gpm_chan::after(Duration::from_millis(1));
/// let due = timeout.recv().unwrap(); // waits about 1 ms
/// assert!(due >= start + Duration::from_millis(1));
/// assert!(timeout.try_recv().is_err()); // one message only
/// ```
pub fn after(d: Duration) -> Receiver<Instant> {
    match crate::sync::now().checked_add(d) {
        Some(t) => at(t),
        None => never(),
    }
}

/// A channel that delivers one message at `when`.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let when = Instant::now() + Duration::from_millis(1);
/// let rx = gpm_chan::at(when);
/// assert_eq!(rx.recv(), Ok(when)); // the message is the instant it was due
/// assert!(Instant::now() >= when);
/// ```
pub fn at(when: Instant) -> Receiver<Instant> {
    Receiver {
        flavor: ReceiverFlavor::At(Arc::new(At::new(when)), |t| t),
    }
}

/// A channel that delivers a message every `d` (Go's `time.Tick`). A slow receiver gets
/// the oldest tick it missed, then the next one on the period's grid; ticks in between are
/// dropped. A period too long for the clock gives a channel that never delivers.
///
/// ```
/// use std::time::Duration;
///
/// let ticker = gpm_chan::tick(Duration::from_millis(1));
/// let first = ticker.recv().unwrap();
/// let second = ticker.recv().unwrap();
/// assert!(second >= first + Duration::from_millis(1));
/// ```
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
///
/// ```
/// use std::time::Duration;
/// use gpm_chan::{never, select, unbounded};
///
/// let (tx, rx) = unbounded();
/// tx.send(1).unwrap();
/// // An arm on `never()` is never chosen: a way to switch an arm off, like a nil channel.
/// let off = never::<i32>();
/// select! {
///     recv(off) -> _ => unreachable!(),
///     recv(rx) -> v => assert_eq!(v, Ok(1)),
/// }
/// assert!(off.recv_timeout(Duration::from_millis(1)).is_err());
/// ```
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
    ///
    /// ```
    /// use gpm_chan::{bounded, TrySendError};
    ///
    /// let (tx, rx) = bounded(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2))); // no room: the message comes back
    /// drop(rx);
    /// assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
    /// ```
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        match &self.flavor {
            SenderFlavor::Array(c) => c.chan.try_send(msg),
            SenderFlavor::List(c) => c.chan.try_send(msg),
            SenderFlavor::Zero(c) => c.chan.try_send(msg),
        }
    }

    /// Sends, waiting for room (a rendezvous channel: for a receiver). Fails, giving the
    /// message back, if every receiver is gone.
    ///
    /// ```
    /// use gpm_chan::{bounded, SendError};
    ///
    /// let (tx, rx) = bounded(0); // rendezvous: `send` waits for the receiver
    /// let t = std::thread::spawn(move || rx.recv().unwrap());
    /// tx.send(7).unwrap();
    /// assert_eq!(t.join().unwrap(), 7);
    /// // The receiver is gone now (it was moved into the thread and dropped there).
    /// assert_eq!(tx.send(8), Err(SendError(8)));
    /// ```
    pub fn send(&self, msg: T) -> Result<(), SendError<T>> {
        self.send_until(msg, None).map_err(|e| match e {
            SendTimeoutError::Disconnected(m) | SendTimeoutError::Timeout(m) => SendError(m),
        })
    }

    /// Like [`Sender::send`], giving up after `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use gpm_chan::{bounded, SendTimeoutError};
    ///
    /// let (tx, rx) = bounded(1);
    /// tx.send_timeout(1, Duration::from_millis(1)).unwrap();
    /// // Full, and nobody receives: gives up after 1 ms and returns the message.
    /// let e = tx.send_timeout(2, Duration::from_millis(1)).unwrap_err();
    /// assert_eq!(e, SendTimeoutError::Timeout(2));
    /// assert_eq!(rx.recv(), Ok(1));
    /// ```
    pub fn send_timeout(&self, msg: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_until(msg, deadline_after(timeout))
    }

    /// Like [`Sender::send`], giving up at `deadline`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let (tx, _rx) = gpm_chan::bounded(0); // nobody ever receives
    /// let deadline = Instant::now() + Duration::from_millis(1);
    /// let e = tx.send_deadline("hi", deadline).unwrap_err();
    /// assert!(e.is_timeout());
    /// assert!(Instant::now() >= deadline);
    /// ```
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
    ///
    /// ```
    /// let (tx, rx) = gpm_chan::bounded(1);
    /// assert!(tx.is_empty());
    /// tx.send(()).unwrap();
    /// assert!(!tx.is_empty());
    /// rx.recv().unwrap();
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        match &self.flavor {
            SenderFlavor::Array(c) => c.chan.is_empty(),
            SenderFlavor::List(c) => c.chan.is_empty(),
            SenderFlavor::Zero(_) => true,
        }
    }

    /// True if a send would have to wait (always for a rendezvous channel, never for an
    /// unbounded one).
    ///
    /// ```
    /// let (tx, _rx) = gpm_chan::bounded(1);
    /// assert!(!tx.is_full());
    /// tx.send(()).unwrap();
    /// assert!(tx.is_full());
    /// assert!(gpm_chan::bounded::<()>(0).0.is_full()); // rendezvous: a send always waits
    /// assert!(!gpm_chan::unbounded::<()>().0.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        match &self.flavor {
            SenderFlavor::Array(c) => c.chan.is_full(),
            SenderFlavor::List(_) => false,
            SenderFlavor::Zero(_) => true,
        }
    }

    /// The number of messages buffered.
    ///
    /// ```
    /// let (tx, _rx) = gpm_chan::bounded(4);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(tx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        match &self.flavor {
            SenderFlavor::Array(c) => c.chan.len(),
            SenderFlavor::List(c) => c.chan.len(),
            SenderFlavor::Zero(_) => 0,
        }
    }

    /// The capacity: `Some(n)` for `bounded(n)`, `None` for `unbounded()`.
    ///
    /// ```
    /// assert_eq!(gpm_chan::bounded::<u8>(0).0.capacity(), Some(0));
    /// assert_eq!(gpm_chan::bounded::<u8>(8).0.capacity(), Some(8));
    /// assert_eq!(gpm_chan::unbounded::<u8>().0.capacity(), None);
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        match &self.flavor {
            SenderFlavor::Array(c) => Some(c.chan.capacity()),
            SenderFlavor::List(_) => None,
            SenderFlavor::Zero(_) => Some(0),
        }
    }

    /// True if both senders belong to the same channel.
    ///
    /// ```
    /// let (a, _ra) = gpm_chan::unbounded::<i32>();
    /// let (b, _rb) = gpm_chan::unbounded::<i32>();
    /// assert!(a.same_channel(&a.clone()));
    /// assert!(!a.same_channel(&b));
    /// ```
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
    /// A claimed parked receiver of a rendezvous channel, and the counted handle that keeps
    /// its context alive while the claim is held ([`crate::context::Listed::hold`]).
    Zero(Entry, Context),
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
                Ok(e) => {
                    let held = e.cx.hold();
                    SendClaim::Zero(e, held)
                }
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
            (SendClaim::Zero(e, held), SenderFlavor::Zero(_)) => {
                Zero::give(e, msg);
                drop(held);
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
            (SendClaim::Zero(e, held), _) => {
                e.finish();
                drop(held);
            }
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
    ///
    /// ```
    /// use gpm_chan::{unbounded, TryRecvError};
    ///
    /// let (tx, rx) = unbounded();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(5).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(5)); // what was sent is received before the close shows
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
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
    ///
    /// ```
    /// use gpm_chan::{bounded, RecvError};
    ///
    /// let (tx, rx) = bounded(0);
    /// let t = std::thread::spawn(move || {
    ///     tx.send("ping").unwrap();
    /// }); // `tx` is dropped when the thread ends: the channel is closed
    /// assert_eq!(rx.recv(), Ok("ping")); // waits for the sender
    /// assert_eq!(rx.recv(), Err(RecvError)); // closed and empty
    /// t.join().unwrap();
    /// ```
    pub fn recv(&self) -> Result<T, RecvError> {
        self.recv_until(None).map_err(|_| RecvError)
    }

    /// Like [`Receiver::recv`], giving up after `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use gpm_chan::{unbounded, RecvTimeoutError};
    ///
    /// let (tx, rx) = unbounded::<i32>();
    /// assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Ok(1));
    /// drop(tx);
    /// assert_eq!(rx.recv_timeout(Duration::from_secs(60)), Err(RecvTimeoutError::Disconnected));
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_until(deadline_after(timeout))
    }

    /// Like [`Receiver::recv`], giving up at `deadline`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let (_tx, rx) = gpm_chan::unbounded::<()>();
    /// let deadline = Instant::now() + Duration::from_millis(1);
    /// assert!(rx.recv_deadline(deadline).unwrap_err().is_timeout());
    /// assert!(Instant::now() >= deadline);
    /// ```
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
    ///
    /// ```
    /// let (tx, rx) = gpm_chan::unbounded();
    /// assert!(rx.is_empty());
    /// tx.send(1).unwrap();
    /// assert!(!rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True if the buffer is full (always for rendezvous and `never` channels).
    ///
    /// ```
    /// let (tx, rx) = gpm_chan::bounded(1);
    /// assert!(!rx.is_full());
    /// tx.send(1).unwrap();
    /// assert!(rx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        match &self.flavor {
            ReceiverFlavor::Array(c) => c.chan.is_full(),
            ReceiverFlavor::List(_) => false,
            ReceiverFlavor::Zero(_) | ReceiverFlavor::Never => true,
            ReceiverFlavor::At(..) | ReceiverFlavor::Tick(..) => !self.is_empty(),
        }
    }

    /// The number of messages there to receive.
    ///
    /// ```
    /// let (tx, rx) = gpm_chan::unbounded();
    /// tx.send('a').unwrap();
    /// tx.send('b').unwrap();
    /// assert_eq!(rx.len(), 2);
    /// rx.recv().unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// assert_eq!(gpm_chan::bounded::<u8>(3).1.capacity(), Some(3));
    /// assert_eq!(gpm_chan::unbounded::<u8>().1.capacity(), None);
    /// assert_eq!(gpm_chan::after(Duration::from_secs(1)).capacity(), Some(1));
    /// assert_eq!(gpm_chan::never::<u8>().capacity(), Some(0));
    /// ```
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
    ///
    /// ```
    /// let (tx, rx) = gpm_chan::bounded(0);
    /// let t = std::thread::spawn(move || {
    ///     for i in 1..=3 {
    ///         tx.send(i).unwrap();
    ///     }
    /// });
    /// // Go's `for v := range ch`: ends when every sender is gone and the channel is empty.
    /// let sum: i32 = rx.iter().sum();
    /// assert_eq!(sum, 6);
    /// t.join().unwrap();
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter::new(self)
    }

    /// An iterator over the messages there now; it never waits.
    ///
    /// ```
    /// let (tx, rx) = gpm_chan::unbounded();
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// // Takes what is there now and stops, although `tx` is still alive.
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
    /// assert_eq!(rx.try_iter().next(), None);
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter::new(self)
    }

    /// True if both receivers belong to the same channel.
    ///
    /// ```
    /// let (_tx, rx) = gpm_chan::unbounded::<i32>();
    /// assert!(rx.same_channel(&rx.clone()));
    /// assert!(!rx.same_channel(&gpm_chan::unbounded::<i32>().1));
    /// ```
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
