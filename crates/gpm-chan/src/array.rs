//! `bounded(n)` with `n > 0`: a lock-free ring of `n` slots, plus wait queues for the
//! senders parked on a full buffer and the receivers parked on an empty one.
//!
//! The ring is the classic bounded MPMC queue with per-slot stamps (Dmitry Vyukov's; the
//! same scheme as crossbeam's array channel). `head` and `tail` count positions as
//! `lap | index`, where a lap is `one_lap`, a power of two above `cap`. A slot's stamp says
//! what it is waiting for: `stamp == tail` means free for the sender at position `tail`,
//! `stamp == head + 1` means holding the message for the receiver at position `head`. A
//! sender claims a position by advancing `tail` with a compare-exchange, writes the slot and
//! publishes it by storing the next stamp; a receiver does the same with `head`. The bit
//! above the index bits of `tail` (`mark_bit`) marks the channel disconnected, so a send
//! can never slip in after the disconnect is decided.
//!
//! Slots hold `Option<T>`: a `select!` send arm reserves a position before its message
//! expression is evaluated, and if that arm is abandoned (the expression panicked, or the
//! goroutine was unwound at shutdown) it publishes `None`, a hole receivers skip.
//!
//! **Handover.** A sender that finds a receiver parked *and the buffer empty* gives its
//! message straight to that receiver's context and readies it (Go's direct send); the
//! receiver never looks at the buffer. Checking emptiness under the receivers' lock keeps
//! FIFO order: a receiver only registers after seeing the buffer empty, so a message handed
//! over can never overtake one already buffered by the same sender. Otherwise the message
//! goes into the ring and one parked receiver, if any, is woken to try again.
//!
//! **Parking.** A blocked receiver registers in `receivers`, re-checks the buffer, and
//! aborts its own wait if a message (or the disconnect) arrived meanwhile; a sender
//! publishes its slot and then checks `receivers`. Both use `SeqCst` (see `waitq.rs`), so
//! one of them sees the other. Parked senders wait in `senders` the same way for room:
//! every receive lets one of them use the slot it freed. A plain `send` parks with its
//! message in its context, and the receiver puts that message in the ring itself and
//! readies the sender with nothing left to do (Go's `chanrecv` on a full buffer), so the
//! sender does not switch in only to retry. If another sender took the slot first, or the
//! parked one is a `select!` send arm (whose message is not evaluated yet), it is woken to
//! try again. A woken sender that then completes by a handover instead of taking the room
//! passes the wakeup on to the next (found by Go's TestChan carried over: two parked
//! senders, one woken, the other forgotten).

use std::time::Instant;

use crossbeam_utils::CachePadded;

use crate::buffered;
use crate::context::{Context, Selected};
use crate::err::{RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};
use crate::sync::{fence, AtomicUsize, Backoff, Ordering, UnsafeCell};
use crate::waitq::WaitQueue;

struct Slot<T> {
    stamp: AtomicUsize,
    msg: UnsafeCell<Option<T>>,
}

/// A claimed ring position, to be published with [`Array::publish`].
#[derive(Debug)]
pub(crate) struct Reservation {
    index: usize,
    stamp: usize,
}

/// Why a position could not be claimed.
pub(crate) enum NoRoom {
    Full,
    Disconnected,
}

/// The shared state of a bounded channel.
pub(crate) struct Array<T> {
    head: CachePadded<AtomicUsize>,
    tail: CachePadded<AtomicUsize>,
    buffer: Box<[Slot<T>]>,
    cap: usize,
    one_lap: usize,
    mark_bit: usize,
    pub(crate) senders: WaitQueue,
    pub(crate) receivers: WaitQueue,
}

// SAFETY: messages move between threads through the slots, each slot accessed by one
// thread at a time as its stamp protocol dictates; `T: Send` is all a channel needs.
unsafe impl<T: Send> Send for Array<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Array<T> {}

impl<T> Array<T> {
    /// A channel with room for `cap` messages.
    ///
    /// # Panics
    /// If `cap` is zero (the caller routes that to the rendezvous flavor) or so large that
    /// the buffer cannot be allocated.
    pub(crate) fn new(cap: usize) -> Array<T> {
        assert!(cap > 0, "gpm: an array channel needs a positive capacity");
        let too_large = || -> ! {
            panic!("gpm: bounded({cap}): capacity too large, the buffer cannot be allocated")
        };
        if cap > isize::MAX as usize / std::mem::size_of::<Slot<T>>().max(1) / 2 {
            too_large();
        }
        let mark_bit = (cap + 1).next_power_of_two();
        let one_lap = mark_bit * 2;
        let mut slots = Vec::new();
        if slots.try_reserve_exact(cap).is_err() {
            too_large();
        }
        slots.extend((0..cap).map(|i| Slot {
            stamp: AtomicUsize::new(i),
            msg: UnsafeCell::new(None),
        }));
        Array {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            buffer: slots.into_boxed_slice(),
            cap,
            one_lap,
            mark_bit,
            senders: WaitQueue::new(),
            receivers: WaitQueue::new(),
        }
    }

    /// The position after `pos` (same lap, or index 0 of the next lap).
    fn next(&self, pos: usize) -> usize {
        let index = pos & (self.mark_bit - 1);
        if index + 1 < self.cap {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    /// Claims the next free position for a sender.
    pub(crate) fn reserve(&self) -> Result<Reservation, NoRoom> {
        let mut backoff = Backoff::new();
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & self.mark_bit != 0 {
                return Err(NoRoom::Disconnected);
            }
            let index = tail & (self.mark_bit - 1);
            let stamp = self.buffer[index].stamp.load(Ordering::Acquire);
            if stamp == tail {
                match self.tail.compare_exchange_weak(
                    tail,
                    self.next(tail),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        return Ok(Reservation {
                            index,
                            stamp: tail + 1,
                        })
                    }
                    Err(t) => {
                        tail = t;
                        backoff.spin();
                    }
                }
            } else if stamp.wrapping_add(self.one_lap) == tail + 1 {
                // The slot still holds the message of the previous lap: full, unless a
                // receiver is taking it right now.
                fence(Ordering::SeqCst);
                let head = self.head.load(Ordering::Relaxed);
                if head.wrapping_add(self.one_lap) == tail {
                    return Err(NoRoom::Full);
                }
                backoff.snooze();
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                // Another sender claimed this position; catch up.
                backoff.snooze();
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Writes a reserved position (`None` leaves a hole) and wakes a parked receiver.
    pub(crate) fn publish(&self, r: Reservation, msg: Option<T>) {
        let slot = &self.buffer[r.index];
        // SAFETY: the reservation gives this thread the slot until the stamp is stored.
        slot.msg.with_mut(|p| unsafe { *p = msg });
        slot.stamp.store(r.stamp, Ordering::Release);
        self.receivers.notify_one();
    }

    /// Gives back a reservation that will not be written (a `select!` send arm whose
    /// message expression panicked, or that was dropped unsent): if no later sender has
    /// reserved a position, `tail` steps back and the slot is free again, as if never taken;
    /// otherwise the slot becomes a hole that the next receiver skips.
    pub(crate) fn abandon(&self, r: Reservation) {
        let pos = r.stamp - 1;
        let back =
            self.tail
                .compare_exchange(self.next(pos), pos, Ordering::SeqCst, Ordering::Relaxed);
        if back.is_ok() {
            // Receivers that waited on the slot now see `tail == head`: empty.
            self.notify_sender();
        } else {
            self.publish(r, None);
        }
    }

    /// Takes the oldest message. The uncontended case (a message ready at `head`, and the
    /// compare-exchange won) is inlined into the caller; everything else (a lost race, a hole,
    /// an empty or disconnected channel, a sender still writing its slot) takes the loop of
    /// `try_recv_slow`. On one P, where a producer and its consumer take turns, the call per
    /// message was 5% of an SPSC run.
    #[inline]
    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        let head = self.head.load(Ordering::Relaxed);
        let slot = &self.buffer[head & (self.mark_bit - 1)];
        if slot.stamp.load(Ordering::Acquire) == head + 1
            && self
                .head
                .compare_exchange(head, self.next(head), Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
        {
            if let Some(m) = self.take_claimed(slot, head) {
                return Ok(m);
            }
        }
        self.try_recv_slow()
    }

    /// The slot at position `head`, which this thread has just claimed by advancing `head`:
    /// takes its message (`None` for a hole), frees the slot for the sender one lap on, and
    /// wakes a sender waiting for room.
    #[inline]
    fn take_claimed(&self, slot: &Slot<T>, head: usize) -> Option<T> {
        // SAFETY: winning the head position gives this thread the slot until the stamp is
        // stored.
        let msg = slot.msg.with_mut(|p| unsafe { (*p).take() });
        slot.stamp
            .store(head.wrapping_add(self.one_lap), Ordering::Release);
        self.notify_sender();
        msg
    }

    /// A slot is free (or a woken sender passed its wake-up on): lets the first parked
    /// sender use it (see the module docs). The emptiness check is inlined into every
    /// receive; the rest is not.
    #[inline]
    fn notify_sender(&self) {
        if !self.senders.is_empty() {
            self.notify_sender_slow();
        }
    }

    #[inline(never)]
    fn notify_sender_slow(&self) {
        let claimed = self.senders.lock().claim(None, |_| true);
        let Some(e) = claimed else {
            return;
        };
        if e.handover {
            if let Ok(r) = self.reserve() {
                // SAFETY: we hold the claim; a sender's entry with `handover` offers the
                // `T` it put in its context before listing itself.
                let msg = unsafe { e.cx.take::<T>() };
                self.publish(r, msg);
            }
        }
        // Placed, or (with the message still in its context) told to try again.
        e.finish();
    }

    #[inline(never)]
    fn try_recv_slow(&self) -> Result<T, TryRecvError> {
        let mut backoff = Backoff::new();
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let index = head & (self.mark_bit - 1);
            let slot = &self.buffer[index];
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == head + 1 {
                match self.head.compare_exchange_weak(
                    head,
                    self.next(head),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => match self.take_claimed(slot, head) {
                        Some(m) => return Ok(m),
                        None => head = self.head.load(Ordering::Relaxed),
                    },
                    Err(h) => {
                        head = h;
                        backoff.spin();
                    }
                }
            } else if stamp == head {
                fence(Ordering::SeqCst);
                let tail = self.tail.load(Ordering::Relaxed);
                if tail & !self.mark_bit == head {
                    return Err(if tail & self.mark_bit != 0 {
                        TryRecvError::Disconnected
                    } else {
                        TryRecvError::Empty
                    });
                }
                // A sender reserved this slot and is writing it.
                backoff.snooze();
                head = self.head.load(Ordering::Relaxed);
            } else {
                backoff.snooze();
                head = self.head.load(Ordering::Relaxed);
            }
        }
    }

    /// Gives `msg` to a parked receiver if the buffer is empty (see the module docs).
    fn handover(&self, msg: T) -> Result<(), T> {
        buffered::handover(&self.receivers, || self.buffer_empty(), msg)
    }

    pub(crate) fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        let msg = match self.handover(msg) {
            Ok(()) => {
                // The buffer was empty, so it has room this send did not use. This sender may
                // have been the one woken for that room (a receive wakes a parked sender whose
                // message it could not place): pass the wakeup on, or another parked sender
                // waits next to an empty buffer.
                self.notify_sender();
                return Ok(());
            }
            Err(m) => m,
        };
        match self.reserve() {
            Ok(r) => {
                self.publish(r, Some(msg));
                Ok(())
            }
            Err(NoRoom::Full) => Err(TrySendError::Full(msg)),
            Err(NoRoom::Disconnected) => Err(TrySendError::Disconnected(msg)),
        }
    }

    pub(crate) fn send(
        &self,
        mut msg: T,
        deadline: Option<Instant>,
    ) -> Result<(), SendTimeoutError<T>> {
        loop {
            msg = match self.try_send(msg) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Disconnected(m)) => {
                    return Err(SendTimeoutError::Disconnected(m))
                }
                Err(TrySendError::Full(m)) => m,
            };
            if deadline.is_some_and(|d| crate::sync::now() >= d) {
                return Err(SendTimeoutError::Timeout(msg));
            }
            if gpm_g::shutting_down() {
                // Unwinding at shutdown: nobody will make room.
                return Err(SendTimeoutError::Disconnected(msg));
            }
            let (sel, back) = Context::with_plain(deadline, |cx| {
                // SAFETY: we own `cx` and it is not listed yet.
                unsafe { cx.put(msg) };
                self.senders
                    .register(cx, 0, true, || self.room_or_disconnected());
                let sel = cx.wait_listed(deadline, |cx| self.senders.unregister(cx, 0));
                if sel == Selected::Aborted {
                    self.senders.unregister(cx, 0);
                }
                // SAFETY: a final state, and no entry of ours listed: the payload is ours
                // again. Empty if a receiver put the message in the ring for us.
                (sel, unsafe { cx.take::<T>() })
            });
            msg = match back {
                None => return Ok(()),
                Some(m) => m,
            };
            if sel == Selected::Interrupted {
                return Err(SendTimeoutError::Disconnected(msg));
            }
        }
    }

    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        buffered::recv(
            deadline,
            &self.receivers,
            || self.try_recv(),
            |cx| self.register_recv(cx, 0),
        )
    }

    /// Lists a receiving operation; aborts its wait at once if a message or the
    /// disconnect is already there. Returns `true` in that case.
    pub(crate) fn register_recv(&self, cx: &Context, oper: usize) -> bool {
        self.receivers.register(cx, oper, true, || {
            !self.buffer_empty() || self.is_disconnected()
        })
    }

    /// Lists a `select!` send arm waiting for room; like [`Array::register_recv`].
    pub(crate) fn register_send(&self, cx: &Context, oper: usize) -> bool {
        self.senders
            .register(cx, oper, false, || self.room_or_disconnected())
    }

    /// What a parked sender waits for.
    fn room_or_disconnected(&self) -> bool {
        !self.is_full() || self.is_disconnected()
    }

    fn buffer_empty(&self) -> bool {
        let head = self.head.load(Ordering::SeqCst);
        let tail = self.tail.load(Ordering::SeqCst);
        tail & !self.mark_bit == head
    }

    pub(crate) fn is_full(&self) -> bool {
        let tail = self.tail.load(Ordering::SeqCst);
        let head = self.head.load(Ordering::SeqCst);
        head.wrapping_add(self.one_lap) == tail & !self.mark_bit
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buffer_empty()
    }

    pub(crate) fn is_disconnected(&self) -> bool {
        self.tail.load(Ordering::SeqCst) & self.mark_bit != 0
    }

    pub(crate) fn len(&self) -> usize {
        loop {
            let tail = self.tail.load(Ordering::SeqCst);
            let head = self.head.load(Ordering::SeqCst);
            if self.tail.load(Ordering::SeqCst) != tail {
                continue;
            }
            let tail = tail & !self.mark_bit;
            let hix = head & (self.mark_bit - 1);
            let tix = tail & (self.mark_bit - 1);
            return if hix < tix {
                tix - hix
            } else if hix > tix {
                self.cap - hix + tix
            } else if tail == head {
                0
            } else {
                self.cap
            };
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    /// Marks the channel disconnected and wakes everybody. Returns `false` if it already
    /// was.
    pub(crate) fn disconnect(&self) -> bool {
        let tail = self.tail.fetch_or(self.mark_bit, Ordering::SeqCst);
        if tail & self.mark_bit != 0 {
            return false;
        }
        self.senders.disconnect();
        self.receivers.disconnect();
        true
    }

    /// The last receiver is gone: disconnect and drop what is buffered now, so that the
    /// messages' destructors run without waiting for the last sender.
    pub(crate) fn disconnect_receivers(&self) {
        self.disconnect();
        while self.try_recv().is_ok() {}
    }
}
