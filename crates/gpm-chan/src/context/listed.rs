//! [`Listed`]: a wait-queue entry's uncounted handle on a context (the parent module's
//! "Lifetimes without counts" says what keeps it valid).

use super::{Context, Inner, CLAIMED, HELD};
use crate::sync::{Arc, Ordering};

/// A wait-queue entry's handle on a context. It adds no count: the owner keeps its context
/// until every entry naming it has left its queue and every claim on it is finished (see
/// `context`'s module docs), so the handle is valid while its entry is listed, and for the
/// claimer that took the entry out until its `finish` returns.
///
/// Under loom the handle holds a count anyway, so that the model's memory stays valid, and
/// every use checks a loom cell that the owner writes when it lets the context go: a use
/// that the protocol does not order before that is a reported race.
pub(crate) struct Listed {
    #[cfg(not(loom))]
    inner: std::ptr::NonNull<Inner>,
    #[cfg(loom)]
    cx: Context,
}

// SAFETY: a `Listed` gives shared access to an `Inner`, which is `Send + Sync`, as a
// `Context` does.
unsafe impl Send for Listed {}
// SAFETY: as above.
unsafe impl Sync for Listed {}

impl Listed {
    /// A handle on `cx`, for a wait-queue entry.
    #[inline]
    pub(crate) fn new(cx: &Context) -> Listed {
        Listed {
            // From `Arc::as_ptr`, not from a reference to the `Inner`, so that `hold` may take
            // the pointer back to the `Arc`'s counts in front of it.
            #[cfg(not(loom))]
            // SAFETY: an `Arc`'s pointer is never null.
            inner: unsafe { std::ptr::NonNull::new_unchecked(Arc::as_ptr(&cx.0).cast_mut()) },
            #[cfg(loom)]
            cx: cx.clone(),
        }
    }

    /// For a claim that stays open while code that may block runs (a `select!` send arm
    /// evaluating its message): marks the claim held, so that an owner unwound at shutdown
    /// does not wait for it, and returns a counted handle that keeps the context alive until
    /// the claimer has finished and dropped it.
    pub(crate) fn hold(&self) -> Context {
        debug_assert_eq!(self.state.load(Ordering::Relaxed), CLAIMED);
        #[cfg(not(loom))]
        // SAFETY: the context is alive (we hold its claim, see above), and the pointer is
        // the one its `Arc` hands out; the count added here is the new handle's.
        let cx = unsafe {
            Arc::increment_strong_count(self.inner.as_ptr());
            Context(Arc::from_raw(self.inner.as_ptr()))
        };
        #[cfg(loom)]
        let cx = self.cx.clone();
        // Only the claimer writes a claimed state; the owner reads it (`leave_unwound`).
        self.state.store(HELD, Ordering::Release);
        cx
    }
}

impl std::ops::Deref for Listed {
    type Target = Inner;
    #[inline]
    fn deref(&self) -> &Inner {
        #[cfg(not(loom))]
        // SAFETY: valid while listed or claimed (see the type's docs).
        return unsafe { self.inner.as_ref() };
        #[cfg(loom)]
        {
            self.cx.check_live();
            &self.cx
        }
    }
}
