//! The one-message cell inside a waiting operation's context.
//!
//! A parked receiver is handed its message by whoever wakes it, and a parked rendezvous
//! sender leaves its message where a receiver can take it. The message lives in the
//! waiter's [`Context`](crate::context::Context), a reference-counted heap object, not on
//! the waiter's stack: a goroutine's stack can vanish at any park point (its runtime shuts
//! down and unwinds it), and nothing another thread holds may point into it.
//!
//! One context serves every arm of a `select!`, whose channels carry different types, so
//! the cell is type-erased: small values are stored inline, larger or over-aligned ones in
//! a box, and the cell remembers how to drop what it holds. Who may touch the cell at any
//! moment is decided by the context's state word (see `context/mod.rs`); the cell itself does
//! no synchronisation.

use std::mem::{self, MaybeUninit};
use std::ptr;

/// Inline capacity, in words.
const WORDS: usize = 4;

/// Storage for at most one message of any type. `repr(C)` with the drop slot first, so that
/// a word-sized message sits next to it (see the context's layout).
#[repr(C)]
pub(crate) struct Payload {
    /// Drops the message held, `None` when empty.
    drop: Option<unsafe fn(&mut Payload)>,
    data: [MaybeUninit<usize>; WORDS],
}

// SAFETY: a payload holds a message only between a sender and its receiver, both of which
// the channel requires to be `Send` (`T: Send` for the channel to be shared at all); the
// context's state protocol makes every access exclusive.
unsafe impl Send for Payload {}

fn fits_inline<T>() -> bool {
    mem::size_of::<T>() <= mem::size_of::<[usize; WORDS]>()
        && mem::align_of::<T>() <= mem::align_of::<usize>()
}

impl Payload {
    pub(crate) const fn new() -> Payload {
        Payload {
            data: [MaybeUninit::uninit(); WORDS],
            drop: None,
        }
    }

    /// Stores `msg`, dropping any message held before.
    ///
    /// # Safety
    /// A later [`Payload::take`] must name the same `T`.
    #[inline]
    pub(crate) unsafe fn put<T>(&mut self, msg: T) {
        self.clear();
        if fits_inline::<T>() {
            // SAFETY: `data` is large and aligned enough for `T` (checked above).
            unsafe { ptr::write(self.data.as_mut_ptr().cast::<T>(), msg) };
            self.drop = Some(drop_inline::<T>);
        } else {
            let b = Box::into_raw(Box::new(msg));
            self.data[0] = MaybeUninit::new(b as usize);
            self.drop = Some(drop_boxed::<T>);
        }
    }

    /// Takes the message out, if one is held.
    ///
    /// # Safety
    /// The message held, if any, must have been stored by `put::<T>`.
    #[inline]
    pub(crate) unsafe fn take<T>(&mut self) -> Option<T> {
        self.drop.take()?;
        if fits_inline::<T>() {
            // SAFETY: `put::<T>` wrote a `T` inline; `drop` is cleared, so it is read once.
            Some(unsafe { ptr::read(self.data.as_ptr().cast::<T>()) })
        } else {
            // SAFETY: `put::<T>` stored a `Box<T>` pointer in the first word.
            let b = unsafe { self.data[0].assume_init() } as *mut T;
            // SAFETY: the box came from `Box::into_raw` and is reclaimed once.
            Some(*unsafe { Box::from_raw(b) })
        }
    }

    /// Drops the message held, if any.
    #[inline]
    pub(crate) fn clear(&mut self) {
        if let Some(d) = self.drop.take() {
            // SAFETY: `d` was chosen by `put` for the type it stored; it runs once.
            unsafe { d(self) };
        }
    }
}

unsafe fn drop_inline<T>(p: &mut Payload) {
    // SAFETY: called only through `drop`, which `put::<T>` set after writing a `T` inline.
    unsafe { ptr::drop_in_place(p.data.as_mut_ptr().cast::<T>()) };
}

unsafe fn drop_boxed<T>(p: &mut Payload) {
    // SAFETY: as in `take`: the first word is a `Box<T>` from `Box::into_raw`.
    drop(unsafe { Box::from_raw(p.data[0].assume_init() as *mut T) });
}

impl Drop for Payload {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn inline_and_boxed_round_trip_and_drop() {
        let mut p = Payload::new();
        // SAFETY: each put is taken back with the same type.
        unsafe {
            p.put(7u64);
            assert_eq!(p.take::<u64>(), Some(7));
            assert_eq!(p.take::<u64>(), None);
            p.put([1u64; 9]);
            assert_eq!(p.take::<[u64; 9]>(), Some([1; 9]));
            p.put(1u128);
            assert_eq!(p.take::<u128>(), Some(1));
        }
        let counted = Rc::new(());
        // SAFETY: the payload is dropped, never taken.
        unsafe { p.put(counted.clone()) };
        assert_eq!(Rc::strong_count(&counted), 2);
        drop(p);
        assert_eq!(
            Rc::strong_count(&counted),
            1,
            "a held message is dropped with the cell"
        );
    }
}
