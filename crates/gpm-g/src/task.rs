//! Where a G keeps what it runs: its [`Entry`] (for gpm, the goroutine's closure and its
//! result slot), stored inside the G record itself when it is small enough.
//!
//! A spawn used to cost two allocations, the G record and the entry; with the entry inline
//! it costs one, or none when a free record is reused. The record and its entry also share
//! cache lines: the entry is read at the G's first run, right after the record's hot part.
//! An entry larger than [`INLINE_BYTES`] (or aligned to more than 8) is boxed instead, and
//! the slot holds the box.
//!
//! The entry stays in its slot from the spawn until the record goes to a free list, is
//! reused for another goroutine or is dropped, long after the goroutine has finished: a join
//! handle reads the result from it. All three need the record's only `GRef` (see
//! `G::retire`, `G::recycle`), so an [`EntryRef`], which holds a `GRef`, keeps its entry in
//! place for as long as it lives.
//!
//! The slot holds no pointer into itself: it records how to find the entry from the buffer's
//! address (a function per entry type), so the record may be built by value and moved into
//! its `Arc`, and every access derives its pointer afresh from the slot it goes through.

use std::cell::UnsafeCell;
use std::fmt;
use std::mem::MaybeUninit;
use std::ops::Deref;
use std::ptr::NonNull;

use crate::g::Entry;
use crate::GRef;

/// Size up to which an entry is stored inside the G record.
pub const INLINE_BYTES: usize = 96;

/// Alignment up to which an entry is stored inside the G record: a word's, so that the
/// slot (the buffer and its kind pointer) needs no padding. An entry aligned to 16 (one that
/// holds a `u128`, say) is rare enough to be boxed.
const INLINE_ALIGN: usize = 8;

#[repr(C, align(8))]
struct Buf(MaybeUninit<[u8; INLINE_BYTES]>);

const _: () = assert!(std::mem::align_of::<Buf>() == INLINE_ALIGN);

/// How a slot holds its entry: where to find it from the buffer's address, and how to drop
/// it. One pair of functions per entry type and placement, in a `static` ([`Kind::of`]), so
/// that a slot spends one word on it.
struct Kind {
    /// The entry, from the buffer's address.
    entry: unsafe fn(*mut u8) -> *mut dyn Entry,
    /// Drops the entry (and frees its box, for a boxed one), from the buffer's address.
    drop: unsafe fn(*mut u8),
}

impl Kind {
    /// The kind of an `E` stored in the buffer (`inline`) or boxed.
    fn of<E: Entry>(inline: bool) -> &'static Kind {
        if inline {
            const {
                &Kind {
                    entry: inline_entry::<E>,
                    drop: inline_drop::<E>,
                }
            }
        } else {
            const {
                &Kind {
                    entry: boxed_entry::<E>,
                    drop: boxed_drop::<E>,
                }
            }
        }
    }
}

/// An entry stored in the buffer.
unsafe fn inline_entry<E: Entry>(buf: *mut u8) -> *mut dyn Entry {
    buf.cast::<E>()
}

/// Drops an entry stored in the buffer.
unsafe fn inline_drop<E: Entry>(buf: *mut u8) {
    // SAFETY: the caller passes a buffer that holds an `E`, which nothing uses any more.
    unsafe { buf.cast::<E>().drop_in_place() }
}

/// An entry in a box whose pointer is stored in the buffer.
unsafe fn boxed_entry<E: Entry>(buf: *mut u8) -> *mut dyn Entry {
    // SAFETY: the caller passes a buffer that holds the box's pointer.
    unsafe { buf.cast::<*mut E>().read() }
}

/// Drops and frees a boxed entry.
unsafe fn boxed_drop<E: Entry>(buf: *mut u8) {
    // SAFETY: the caller passes a buffer that holds a pointer from `Box::into_raw`, whose
    // entry nothing uses any more.
    drop(unsafe { Box::from_raw(buf.cast::<*mut E>().read()) })
}

/// A G record's entry: in the buffer, or boxed, or none.
pub(crate) struct TaskSlot {
    /// The entry itself, or the pointer of its box. In an `UnsafeCell` because an entry is
    /// used through shared references and may change its own state through them.
    buf: UnsafeCell<Buf>,
    kind: Option<&'static Kind>,
}

impl TaskSlot {
    /// A slot holding `entry`.
    pub(crate) fn new<E: Entry>(entry: E) -> TaskSlot {
        let mut slot = TaskSlot {
            buf: UnsafeCell::new(Buf(MaybeUninit::uninit())),
            kind: None,
        };
        slot.put(entry);
        slot
    }

    /// Drops the entry held, if any, and stores `entry`.
    pub(crate) fn put<E: Entry>(&mut self, entry: E) {
        self.clear();
        let buf = self.buf.get_mut().0.as_mut_ptr().cast::<u8>();
        let inline = size_of::<E>() <= INLINE_BYTES && align_of::<E>() <= INLINE_ALIGN;
        if inline {
            // SAFETY: the buffer is large and aligned enough for an `E` (just checked), and
            // holds nothing (`clear` above dropped any entry).
            unsafe { buf.cast::<E>().write(entry) };
        } else {
            let boxed = Box::into_raw(Box::new(entry));
            // SAFETY: the buffer is aligned and large enough for a pointer, and holds nothing.
            unsafe { buf.cast::<*mut E>().write(boxed) };
        }
        self.kind = Some(Kind::of::<E>(inline));
    }

    /// The entry held, if any. It stays valid until the slot is cleared, refilled, moved or
    /// dropped, all of which need the slot itself, not a shared reference to it.
    #[inline]
    pub(crate) fn get(&self) -> Option<NonNull<dyn Entry>> {
        let kind = self.kind?;
        // SAFETY: `kind` was set by `put` together with what the buffer holds for it.
        let at = unsafe { (kind.entry)(self.buf.get().cast::<u8>()) };
        NonNull::new(at)
    }

    /// The entry held, as an `E`.
    ///
    /// # Safety
    ///
    /// The entry must be an `E` (the slot does not record its type).
    pub(crate) unsafe fn get_as<E: Entry>(&self) -> Option<NonNull<E>> {
        self.get().map(NonNull::cast::<E>)
    }

    /// Drops the entry held, if any.
    pub(crate) fn clear(&mut self) {
        if let Some(kind) = self.kind.take() {
            // SAFETY: `kind` was set by `put` together with what the buffer holds, and
            // nothing has dropped it since (`kind` was `Some` until the `take`); `&mut self`
            // means nobody uses the entry any more.
            unsafe { (kind.drop)(self.buf.get_mut().0.as_mut_ptr().cast::<u8>()) };
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
    /// A reference to the entry (or part of it) at `at`, which belongs to `g`.
    ///
    /// # Safety
    ///
    /// `at` must point into the entry of `g`, derived through a shared reference to its
    /// slot, so that it stays valid for as long as a `GRef` to `g` lives.
    pub(crate) unsafe fn new(g: GRef, at: NonNull<E>) -> EntryRef<E> {
        EntryRef { g, at }
    }

    /// A reference to a part of the entry, keeping the same record alive.
    pub fn map<U: ?Sized>(self, part: impl FnOnce(&E) -> &U) -> EntryRef<U> {
        let at = NonNull::from(part(&self));
        EntryRef { g: self.g, at }
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

    /// True if the slot's entry lives in its buffer.
    fn is_inline(slot: &TaskSlot) -> bool {
        std::ptr::addr_eq(slot.get().expect("an entry").as_ptr(), slot.buf.get())
    }

    #[test]
    fn small_entries_live_inline_and_others_are_boxed() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut slot = TaskSlot::new(Counted::<8>(drops.clone(), [0; 8]));
        assert!(is_inline(&slot));

        // Refilling drops the old entry, inline or boxed, exactly once.
        slot.put(Counted::<{ INLINE_BYTES }>(
            drops.clone(),
            [1; INLINE_BYTES],
        ));
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert!(size_of::<Counted<{ INLINE_BYTES }>>() > INLINE_BYTES);
        assert!(!is_inline(&slot));
        // SAFETY: the entry is this type.
        let at = unsafe { slot.get_as::<Counted<{ INLINE_BYTES }>>() }.unwrap();
        // SAFETY: the slot holds this entry and is not changed while `at` is read.
        assert_eq!(unsafe { at.as_ref() }.1[INLINE_BYTES - 1], 1);

        slot.put(OverAligned(drops.clone()));
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        assert!(
            !is_inline(&slot),
            "an entry aligned to more than 8 is boxed"
        );

        slot.put(Counted::<{ INLINE_BYTES - 8 }>(
            drops.clone(),
            [2; INLINE_BYTES - 8],
        ));
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        assert!(is_inline(&slot), "an entry of exactly INLINE_BYTES fits");

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

    #[test]
    fn a_slot_can_move_with_its_entry() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut bytes = [0u8; 64];
        bytes.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
        let slot = TaskSlot::new(Counted::<64>(drops.clone(), bytes));
        // Moved twice (into a box, then out of it into a vector), as a record is moved into
        // its `Arc`: the entry is found again from wherever the slot now is.
        let moved = *Box::new(slot);
        let slots = vec![moved];
        assert!(is_inline(&slots[0]));
        // SAFETY: the entry is this type.
        let at = unsafe { slots[0].get_as::<Counted<64>>() }.unwrap();
        // SAFETY: the slot holds this entry and is not changed while `at` is read.
        assert_eq!(unsafe { at.as_ref() }.1, bytes);
        drop(slots);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }
}
