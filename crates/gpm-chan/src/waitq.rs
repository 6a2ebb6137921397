//! Wait queues: the operations parked on one side of a channel, in arrival order.
//!
//! An [`Entry`] names a waiting operation: its [`Context`], the operation's index within
//! that context (a select arm, 0 for a plain `send`/`recv`), and whether it can take part
//! in a handover of a message through the context's payload. A peer that finds an entry
//! *claims* its context (see `context/mod.rs`) and removes the entry; entries whose context
//! was claimed elsewhere (a select woken through another channel) are skipped and left for
//! their owner to remove.
//!
//! [`Waiters`] is the bare list, used under a lock the caller owns (the rendezvous
//! channel keeps both its lists under one mutex). [`WaitQueue`] adds its own mutex and an
//! `is_empty` flag, so that the lock-free buffered channels check for waiters with one
//! load on their fast path.
//!
//! **The fence.** A waiter registers (the flag becomes `false`) and then re-checks the
//! buffer; a peer changes the buffer and then reads the flag. If the waiter's re-check
//! missed the change and the peer's read missed the registration, the waiter would sleep
//! next to a message nobody tells it about. Both sides order their write before their read
//! in the single `SeqCst` order, so that cannot happen (the same Dekker argument as the
//! idle-M fence in `docs/design.md`). The waiter, about to sleep anyway, issues a full
//! `fence(SeqCst)` after registering, which orders its store of the flag, a plain `Release`
//! one, before its re-check: a `SeqCst` store there would be a second locked instruction
//! (`xchg`) on every registration and every unregistration. The peer's write is a `SeqCst`
//! compare-exchange on the ring (bounded) or is followed by a fence (unbounded), and its
//! read of the flag is `SeqCst`. loom models `SeqCst` loads and stores only as
//! acquire/release (its documented limitation; `SeqCst` fences it models fully), so under
//! `cfg(loom)` the peer's side also gets the fence that its `SeqCst` accesses imply, and
//! loom checks the argument. The flag is stored under the queue's lock, so its
//! modification order is the lock's.

use std::collections::VecDeque;

use crate::context::{Context, Listed, Selected};
use crate::sync::{fence, AtomicBool, Mutex, MutexGuard, Ordering};

/// One waiting operation: 16 bytes, so that a rendezvous channel's two inline entries, its
/// lock and its flag share one cache line (see `zero.rs`). Its handle on the context is
/// uncounted ([`Listed`]): listing an operation and taking it out again touch no count.
pub(crate) struct Entry {
    pub(crate) cx: Listed,
    /// The operation's index, as [`Selected::oper`] takes it (a select arm's, 0 otherwise).
    oper: u32,
    /// The operation can take a message handed over through its context's payload (a
    /// parked receiver), or offers one there (a parked rendezvous sender). Entries of
    /// `select!` send arms, and of senders waiting for room in a buffer, carry nothing:
    /// claiming them only tells their owner to try again.
    pub(crate) handover: bool,
}

impl Entry {
    /// Finishes a claimed entry as "operation selected".
    #[inline]
    pub(crate) fn finish(&self) {
        self.cx.finish(Selected::oper(self.oper as usize));
    }
}

/// The waiting operations of one side of a channel.
#[derive(Default)]
pub(crate) struct Waiters {
    entries: Entries<Entry>,
}

/// A FIFO of entries whose first one is stored inline, in the channel itself: a rendezvous
/// channel rarely has more than one waiter per side, and a heap buffer for it would be one
/// more cache line for the goroutine that registers and for the peer that claims (each
/// missed on every hop of a daisy chain such as the prime sieve, where thousands of
/// channels take turns). The others are in a boxed queue, made when first needed and kept,
/// so that the list itself is two words and an entry. Invariant: `rest` is empty while
/// `first` is.
struct Entries<E> {
    first: Option<E>,
    // One word in the channel instead of a `VecDeque`'s four: the point of the box.
    #[allow(clippy::box_collection)]
    rest: Option<Box<VecDeque<E>>>,
}

impl<E> Default for Entries<E> {
    fn default() -> Self {
        Entries {
            first: None,
            rest: None,
        }
    }
}

impl<E> Entries<E> {
    #[inline]
    fn push_back(&mut self, e: E) {
        if self.first.is_none() {
            self.first = Some(e);
        } else {
            self.push_rest(e);
        }
    }

    #[cold]
    #[inline(never)]
    fn push_rest(&mut self, e: E) {
        self.rest.get_or_insert_default().push_back(e);
    }

    #[inline]
    fn front(&self) -> Option<&E> {
        self.first.as_ref()
    }

    #[inline]
    fn pop_front(&mut self) -> Option<E> {
        let e = self.first.take();
        self.first = self.rest.as_mut().and_then(|r| r.pop_front());
        e
    }

    fn get(&self, i: usize) -> Option<&E> {
        match i {
            0 => self.first.as_ref(),
            _ => self.rest.as_ref()?.get(i - 1),
        }
    }

    fn remove(&mut self, i: usize) -> Option<E> {
        match i {
            0 => self.pop_front(),
            _ => self.rest.as_mut()?.remove(i - 1),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &E> {
        self.first
            .iter()
            .chain(self.rest.iter().flat_map(|r| r.iter()))
    }

    /// Removes every entry, first to last.
    fn drain(&mut self) -> impl Iterator<Item = E> + '_ {
        let rest = self.rest.iter_mut().flat_map(|r| r.drain(..));
        self.first.take().into_iter().chain(rest)
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.first.is_none()
    }
}

impl Waiters {
    #[inline]
    pub(crate) fn register(&mut self, cx: &Context, oper: usize, handover: bool) {
        let oper = u32::try_from(oper).expect("gpm: more than 2^32 select arms");
        self.entries.push_back(Entry {
            cx: Listed::new(cx),
            oper,
            handover,
        });
    }

    /// Removes the owner's own entry, if it is still listed.
    pub(crate) fn unregister(&mut self, cx: &Context, oper: usize) {
        let i = self
            .entries
            .iter()
            .position(|e| e.oper as usize == oper && e.cx.same(cx));
        if let Some(i) = i {
            self.entries.remove(i);
        }
    }

    /// Claims and removes the first entry that is not `skip`'s, satisfies `want`, and whose
    /// context this call wins. The caller must finish it. Entries passed over because their
    /// context is no longer waiting (selected through another channel, timed out, or
    /// abandoned by a goroutine unwound at shutdown) are removed on the way: their owner, if
    /// it still runs, would only unregister them.
    #[inline]
    pub(crate) fn claim(
        &mut self,
        skip: Option<&Context>,
        want: impl Fn(&Entry) -> bool,
    ) -> Option<Entry> {
        // The common case, inline: the first entry is a plain waiter that we win.
        let e = self.entries.front()?;
        if skip.is_none() && want(e) && e.cx.try_claim() {
            return self.entries.pop_front();
        }
        self.claim_slow(skip, want)
    }

    #[inline(never)]
    fn claim_slow(
        &mut self,
        skip: Option<&Context>,
        want: impl Fn(&Entry) -> bool,
    ) -> Option<Entry> {
        let mut i = 0;
        while let Some(e) = self.entries.get(i) {
            if skip.is_some_and(|s| e.cx.same(s)) || !want(e) {
                i += 1;
            } else if e.cx.try_claim() {
                return self.entries.remove(i);
            } else {
                // Not waiting any more: a context never returns to WAITING while listed.
                self.entries.remove(i);
            }
        }
        None
    }

    /// True if some entry that is not `skip`'s could still be claimed.
    pub(crate) fn any_waiting(
        &self,
        skip: Option<&Context>,
        want: impl Fn(&Entry) -> bool,
    ) -> bool {
        self.entries
            .iter()
            .any(|e| skip.is_none_or(|s| !e.cx.same(s)) && want(e) && e.cx.is_waiting())
    }

    /// Claims every waiting entry and removes all; returns the claimed ones, for the caller
    /// to finish (after releasing its lock).
    pub(crate) fn take_all(&mut self) -> Vec<Entry> {
        self.entries.drain().filter(|e| e.cx.try_claim()).collect()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A [`Waiters`] list with its own lock and an `is_empty` flag for lock-free checks.
pub(crate) struct WaitQueue {
    inner: Mutex<Waiters>,
    empty: AtomicBool,
}

/// The locked list; dropping it re-publishes the `is_empty` flag.
pub(crate) struct Locked<'a> {
    list: MutexGuard<'a, Waiters>,
    empty: &'a AtomicBool,
}

impl std::ops::Deref for Locked<'_> {
    type Target = Waiters;
    fn deref(&self) -> &Waiters {
        &self.list
    }
}

impl std::ops::DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Waiters {
        &mut self.list
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // Release, not SeqCst: a registration's fence orders it (see the module docs).
        self.empty.store(self.list.is_empty(), Ordering::Release);
    }
}

impl WaitQueue {
    pub(crate) fn new() -> WaitQueue {
        WaitQueue {
            inner: Mutex::new(Waiters::default()),
            empty: AtomicBool::new(true),
        }
    }

    /// True if nobody is listed: the peer's read of the fence pair (see the module docs).
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        #[cfg(loom)]
        fence(Ordering::SeqCst);
        self.empty.load(Ordering::SeqCst)
    }

    pub(crate) fn lock(&self) -> Locked<'_> {
        Locked {
            list: self.inner.lock(),
            empty: &self.empty,
        }
    }

    /// The waiter's side of the fence pair (see the module docs): lists an operation,
    /// fences, and re-checks the channel with `ready`. If it is ready after all, aborts the
    /// wait (a context claimed under this queue's lock is first taken out of it) and returns
    /// `true`; the caller then tries again instead of sleeping.
    pub(crate) fn register(
        &self,
        cx: &Context,
        oper: usize,
        handover: bool,
        ready: impl FnOnce() -> bool,
    ) -> bool {
        self.lock().register(cx, oper, handover);
        fence(Ordering::SeqCst);
        let ready = ready();
        if ready {
            cx.abort_listed(&mut |cx| self.unregister(cx, oper));
        }
        ready
    }

    pub(crate) fn unregister(&self, cx: &Context, oper: usize) {
        self.lock().unregister(cx, oper);
    }

    /// Wakes the first waiting operation, if any, to try again. The emptiness check is
    /// inlined into every send and receive of the buffered channels, which call this once a
    /// message (a call just to find nobody waiting cost 4% of a one-P SPSC run); the wake
    /// itself is not.
    #[inline]
    pub(crate) fn notify_one(&self) {
        if !self.is_empty() {
            self.notify_one_slow();
        }
    }

    #[inline(never)]
    fn notify_one_slow(&self) {
        let claimed = self.lock().claim(None, |_| true);
        if let Some(e) = claimed {
            e.finish();
        }
    }

    /// Wakes everybody with "disconnected".
    pub(crate) fn disconnect(&self) {
        let all = self.lock().take_all();
        for e in all {
            e.cx.finish(crate::context::DISCONNECT);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Entries;

    fn contents(q: &Entries<u32>) -> Vec<u32> {
        q.iter().copied().collect()
    }

    #[test]
    fn entries_keep_fifo_order_across_the_inline_slot() {
        let mut q = Entries::default();
        assert!(q.is_empty());
        assert_eq!(q.front(), None);
        for i in 0..5 {
            q.push_back(i);
        }
        assert_eq!(contents(&q), [0, 1, 2, 3, 4]);
        assert_eq!(q.get(0), Some(&0));
        assert_eq!(q.get(3), Some(&3));
        assert_eq!(q.get(5), None);
        // Removing from the middle, then the front: the next one moves inline.
        assert_eq!(q.remove(2), Some(2));
        assert_eq!(q.remove(0), Some(0));
        assert_eq!(q.front(), Some(&1));
        assert_eq!(contents(&q), [1, 3, 4]);
        assert_eq!(q.pop_front(), Some(1));
        q.push_back(5);
        assert_eq!(contents(&q), [3, 4, 5]);
        assert_eq!(q.drain().collect::<Vec<_>>(), [3, 4, 5]);
        assert!(q.is_empty());
        assert_eq!(q.pop_front(), None);
        // Emptied, the inline slot takes the next push again.
        q.push_back(6);
        assert_eq!(q.remove(0), Some(6));
        assert!(q.is_empty() && q.rest.as_ref().is_some_and(|r| r.is_empty()));
    }
}
