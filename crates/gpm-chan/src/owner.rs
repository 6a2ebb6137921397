//! The goroutine a wait context names, and what a claimer and a departing owner do with it:
//! `gpm-g`'s record normally, a model record under loom.
//!
//! A context names its goroutine owner by the record's bare address ([`current`]) and its
//! claimer wakes it through that address ([`wake`]), so that neither touches the record's
//! reference count; the protocol in `context/mod.rs` keeps the record alive until `wake`
//! returns (the enqueue after it holds a counted reference of its own, the parked G's).
//! Under loom there are no goroutines: [`model`] stands in a record whose uses loom checks
//! against its end (see `tests/loom_context.rs`), behind the same names.

#[cfg(not(loom))]
mod imp {
    /// The record's address.
    pub(crate) type Ptr = *const gpm_g::G;
    /// A counted reference that keeps the record alive.
    pub(crate) type Counted = gpm_g::GRef;

    /// The calling goroutine's record, uncounted; null outside a goroutine.
    #[inline]
    pub(crate) fn current() -> Ptr {
        gpm_g::current_raw()
    }

    /// A counted reference to the calling goroutine's record.
    pub(crate) fn counted() -> Option<Counted> {
        gpm_g::current()
    }

    /// A won wake-up, to enqueue.
    pub(crate) type Woken = gpm_g::Woken;

    /// The state step of the owner's wake-up.
    ///
    /// # Safety
    /// As for `gpm_g::wake_raw`: `g` is from [`current`] and its record outlives the call.
    #[inline]
    pub(crate) unsafe fn wake(g: Ptr) -> Option<Woken> {
        // SAFETY: the caller's promise.
        unsafe { gpm_g::wake_raw(g) }
    }
}

#[cfg(loom)]
mod imp {
    pub(crate) use super::model::{counted, current, wake, Counted, Ptr, Woken};
}

pub(crate) use imp::{counted, current, wake, Counted, Ptr, Woken};

/// Under loom: a goroutine record reduced to what the context protocol relies on, its
/// lifetime. It starts with one reference, the goroutine's own, which [`Record::exit`] drops
/// as a goroutine's exit lets its record go; when the last reference goes the record is
/// marked dead with a write that loom checks against every ready's read, so a ready that is
/// not ordered before the end of the record is a reported race (or a failed assertion).
#[cfg(loom)]
pub mod model {
    use std::cell::Cell;

    use loom::cell::UnsafeCell;
    use loom::sync::atomic::{AtomicUsize, Ordering};

    /// A model goroutine record.
    pub struct Record {
        refs: AtomicUsize,
        alive: UnsafeCell<bool>,
        readies: AtomicUsize,
    }

    /// The record's address.
    pub type Ptr = *const Record;

    loom::thread_local! {
        static CURRENT: Cell<Ptr> = Cell::new(std::ptr::null());
    }

    impl Default for Record {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Record {
        /// A live record, referenced by its goroutine.
        pub fn new() -> Record {
            Record {
                refs: AtomicUsize::new(1),
                alive: UnsafeCell::new(true),
                readies: AtomicUsize::new(0),
            }
        }

        /// Makes the calling model thread this record's goroutine (what contexts it
        /// acquires will name). The record must outlive the model's threads.
        pub fn enter(&self) {
            CURRENT.with(|c| c.set(self));
        }

        /// The goroutine exits: its own reference goes.
        pub fn exit(&self) {
            CURRENT.with(|c| c.set(std::ptr::null()));
            self.release();
        }

        /// How many readies reached the record.
        pub fn readies(&self) -> usize {
            self.readies.load(Ordering::Relaxed)
        }

        /// True until the last reference went.
        pub fn alive(&self) -> bool {
            // SAFETY: a read, checked by loom against the write that ends the record.
            self.alive.with(|a| unsafe { *a })
        }

        fn release(&self) {
            // As `Arc`'s drop: release, and acquire before the end.
            if self.refs.fetch_sub(1, Ordering::Release) == 1 {
                loom::sync::atomic::fence(Ordering::Acquire);
                // SAFETY: loom checks this write against every other access.
                self.alive.with_mut(|a| unsafe { *a = false });
            }
        }
    }

    /// A counted reference to a model record.
    pub struct Counted(Ptr);

    // SAFETY: the record is shared through atomics and a loom cell; the test keeps it alive.
    unsafe impl Send for Counted {}

    impl Drop for Counted {
        fn drop(&mut self) {
            // SAFETY: the test keeps the record's memory for the whole model.
            unsafe { (*self.0).release() };
        }
    }

    /// The calling model goroutine's record; null outside one.
    pub fn current() -> Ptr {
        CURRENT.with(|c| c.get())
    }

    /// A counted reference to the calling model goroutine's record.
    pub fn counted() -> Option<Counted> {
        let p = current();
        if p.is_null() {
            return None;
        }
        // SAFETY: the calling goroutine holds its own reference, so the record is alive.
        unsafe { (*p).refs.fetch_add(1, Ordering::Relaxed) };
        Some(Counted(p))
    }

    /// A wake-up's state step: the record must still be alive.
    ///
    /// # Safety
    /// `g` points to a record the test keeps in memory.
    pub unsafe fn wake(g: Ptr) -> Option<Woken> {
        // SAFETY: the caller keeps the memory; whether the record is still alive is the
        // question the model asks.
        let g = unsafe { &*g };
        assert!(
            g.alive(),
            "a wake-up reached a goroutine record after its end"
        );
        g.readies.fetch_add(1, Ordering::Relaxed);
        Some(Woken)
    }

    /// A won wake-up: a model goroutine has no run queue to go to.
    pub struct Woken;

    impl Woken {
        /// Nothing to enqueue.
        pub fn enqueue(self) {}
    }
}
