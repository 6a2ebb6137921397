//! Where a G keeps what it runs: its [`Entry`] (for gpm, the goroutine's closure and its
//! result slot), stored inside the G record itself when it is small enough.
//!
//! A spawn used to cost two allocations, the G record and the entry; with the entry inline
//! it costs one, or none when a free record is reused. The record and its entry also share
//! cache lines: the entry is read at the G's first run, right after the record's hot part.
//! An entry larger than [`INLINE_BYTES`] (or aligned to more than 16) is boxed instead, and
//! the slot holds the box.
//!
//! The entry stays in its slot from the spawn until the record is reused for another
//! goroutine or dropped, long after the goroutine has finished: a join handle reads the
//! result from it. A record is reused only through a unique `GRef` (see `G::recycle`), so
//! an [`EntryRef`], which holds a `GRef`, keeps its entry in place for as long as it lives.

use std::fmt;
use std::mem::MaybeUninit;
use std::ops::Deref;
use std::ptr::NonNull;

use crate::g::Entry;
use crate::GRef;

/// Size up to which an entry is stored inside the G record.
pub const INLINE_BYTES: usize = 96;

/// Alignment up to which an entry is stored inside the G record.
const INLINE_ALIGN: usize = 16;

#[repr(C, align(16))]
struct Buf(MaybeUninit<[u8; INLINE_BYTES]>);

const _: () = assert!(std::mem::align_of::<Buf>() == INLINE_ALIGN);

/// A G record's entry: in `buf`, or boxed, or none yet.
///
/// It points into itself while it holds an inline entry, so it must not move then: it is
/// filled only in place, inside the record's `Arc` (`G::new` fills it after the `Arc` is
/// made), and the record never moves out of its `Arc`.
pub(crate) struct TaskSlot {
    buf: Buf,
    /// The entry: in `buf` when it points there, boxed otherwise (a box is never at `buf`,
    /// which lies inside another live allocation, the G record; not even a zero-sized one,
    /// whose dangling address is its alignment).
    entry: Option<NonNull<dyn Entry>>,
}

impl TaskSlot {
    /// A slot with no entry.
    pub(crate) const fn empty() -> TaskSlot {
        TaskSlot {
            buf: Buf(MaybeUninit::uninit()),
            entry: None,
        }
    }

    /// Drops the entry held, if any, and stores `entry`; returns where it now lives.
    pub(crate) fn put<E: Entry>(&mut self, entry: E) -> NonNull<E> {
        self.clear();
        let fits = size_of::<E>() <= INLINE_BYTES && align_of::<E>() <= INLINE_ALIGN;
        let at = if fits {
            let at = self.buf.0.as_mut_ptr().cast::<E>();
            // SAFETY: `buf` is large and aligned enough for an `E` (`fits`), and holds no
            // entry (`clear` above dropped any).
            unsafe { at.write(entry) };
            NonNull::new(at).expect("the slot is not at address 0")
        } else {
            NonNull::from(Box::leak(Box::new(entry)))
        };
        self.entry = Some(at);
        at
    }

    /// True if the entry `at` (held by this slot) is stored in `buf`.
    fn is_inline(&self, at: NonNull<dyn Entry>) -> bool {
        std::ptr::addr_eq(at.as_ptr(), self.buf.0.as_ptr())
    }

    /// The entry held, if any. It stays valid until the slot is cleared, refilled or
    /// dropped, which needs `&mut` to the slot.
    #[inline]
    pub(crate) fn get(&self) -> Option<NonNull<dyn Entry>> {
        self.entry
    }

    /// Drops the entry held, if any.
    pub(crate) fn clear(&mut self) {
        let Some(at) = self.entry.take() else {
            return;
        };
        if self.is_inline(at) {
            // SAFETY: `put` wrote an entry of this type at `at`, inside `buf`, and nothing
            // has dropped it since (`entry` was `Some` until the `take` above).
            unsafe { at.as_ptr().drop_in_place() };
        } else {
            // SAFETY: `put` made `at` with `Box::leak`, and nothing has freed it since.
            drop(unsafe { Box::from_raw(at.as_ptr()) });
        }
    }
}

impl Drop for TaskSlot {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A shared reference into a G's entry (or into a part of it, see [`EntryRef::map`]) that
/// keeps the G record, and so the entry, alive and in place. It is what a join handle holds.
pub struct EntryRef<E: ?Sized> {
    g: GRef,
    at: NonNull<E>,
}

impl<E: ?Sized> EntryRef<E> {
    /// `at` must point into the entry of `g`, valid for as long as a `GRef` to `g` lives.
    pub(crate) fn new(g: GRef, at: NonNull<E>) -> EntryRef<E> {
        EntryRef { g, at }
    }

    /// A reference to a part of the entry, keeping the same record alive.
    pub fn map<U: ?Sized>(self, part: impl FnOnce(&E) -> &U) -> EntryRef<U> {
        let at = NonNull::from(part(&self));
        EntryRef { g: self.g, at }
    }

    /// The G whose entry this is.
    pub fn g(&self) -> &GRef {
        &self.g
    }
}

impl<E: ?Sized> Deref for EntryRef<E> {
    type Target = E;

    #[inline]
    fn deref(&self) -> &E {
        // SAFETY: `at` points into the entry of `self.g` (see `new`, and `map`, which narrows
        // it to a part of what it pointed at); the entry stays in place while `self.g` lives,
        // because a record is reused or dropped only once no other `GRef` to it exists.
        unsafe { self.at.as_ref() }
    }
}

// SAFETY: an `EntryRef` is a shared reference to an `E` plus a `GRef` (`Send + Sync`), like
// an `Arc<E>`; sharing or sending it is sound when sharing an `&E` across threads is.
unsafe impl<E: ?Sized + Send + Sync> Send for EntryRef<E> {}
// SAFETY: see `Send`.
unsafe impl<E: ?Sized + Send + Sync> Sync for EntryRef<E> {}

impl<E: ?Sized> fmt::Debug for EntryRef<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntryRef").field("g", &self.g.id()).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// An entry of `N` bytes that counts its drops.
    struct Counted<const N: usize>(Arc<AtomicUsize>, [u8; N]);

    impl<const N: usize> Entry for Counted<N> {
        fn run(&self) {}
        fn cancel(&self) {}
    }

    impl<const N: usize> Drop for Counted<N> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[repr(align(32))]
    struct OverAligned(Arc<AtomicUsize>);

    impl Entry for OverAligned {
        fn run(&self) {}
        fn cancel(&self) {}
    }

    impl Drop for OverAligned {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn small_entries_live_inline_and_others_are_boxed() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut slot = Box::new(TaskSlot::empty());
        let buf = slot.buf.0.as_ptr() as usize;

        let at = slot.put(Counted::<8>(drops.clone(), [0; 8]));
        assert!(slot.is_inline(slot.get().unwrap()));
        assert_eq!(at.as_ptr() as usize, buf);

        // Refilling drops the old entry, inline or boxed, exactly once.
        let at = slot.put(Counted::<{ INLINE_BYTES }>(
            drops.clone(),
            [1; INLINE_BYTES],
        ));
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert!(size_of::<Counted<{ INLINE_BYTES }>>() > INLINE_BYTES);
        assert!(!slot.is_inline(slot.get().unwrap()));
        assert_ne!(at.as_ptr() as usize, buf);
        // SAFETY: the slot holds this entry and is not touched while `at` is read.
        assert_eq!(unsafe { at.as_ref() }.1[INLINE_BYTES - 1], 1);

        slot.put(OverAligned(drops.clone()));
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        assert!(
            !slot.is_inline(slot.get().unwrap()),
            "an entry aligned to more than 16 is boxed"
        );

        slot.put(Counted::<{ INLINE_BYTES - 8 }>(
            drops.clone(),
            [2; INLINE_BYTES - 8],
        ));
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        assert!(
            slot.is_inline(slot.get().unwrap()),
            "an entry of exactly INLINE_BYTES fits"
        );
        assert!(slot.get().is_some());

        slot.clear();
        assert_eq!(drops.load(Ordering::SeqCst), 4);
        assert!(slot.get().is_none());
        slot.clear();
        slot.put(Counted::<0>(drops.clone(), []));
        drop(slot);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            5,
            "dropping the slot drops its entry"
        );
    }
}
