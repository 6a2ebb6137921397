//! The per-thread pool of unshared contexts: [`acquire`] for a new wait, [`release`] after
//! it.

use super::{Context, Inner, Owner, WAITING};
use crate::owner;
use crate::sync::{Arc, Ordering, Thread};

#[cfg(not(loom))]
thread_local! {
    static POOL: std::cell::RefCell<Vec<Arc<Inner>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Unshared contexts a thread keeps for reuse.
#[cfg(not(loom))]
const POOL_MAX: usize = 16;

/// A context for the calling goroutine or thread, from the pool if it has one. Not
/// inlined, and never holding the pool borrow across a park: a goroutine may resume on
/// another thread (see `gpm_g::park`).
#[inline(never)]
pub(crate) fn acquire() -> Context {
    let g = owner::current();
    let owner = if g.is_null() {
        Owner::Thread(Thread::current())
    } else {
        Owner::G(g)
    };
    #[cfg(not(loom))]
    if let Some(inner) = POOL.try_with(|p| p.borrow_mut().pop()).ok().flatten() {
        // SAFETY: a pooled context is unshared (`release` checked it) and only this thread
        // can reach it, so nothing reads `owner` while we write it.
        unsafe { *inner.owner.get() = Some(owner) };
        inner.state.store(WAITING, Ordering::Relaxed);
        return Context(inner);
    }
    Context(Arc::new(Inner::new(owner)))
}

/// Returns a context to the calling thread's pool if nobody else holds it (a timer that has
/// not fired, or a held claim not yet dropped: then it is freed by whoever lets go of it
/// last). Its entries are out of every queue by now (see the module docs). Under loom
/// contexts are not pooled.
#[inline(never)]
pub(crate) fn release(cx: Context) {
    #[cfg(not(loom))]
    {
        let inner = cx.0;
        // No weak references are ever made, so a strong count of one means this is the
        // last handle and nobody can make another. The acquire fence pairs with the release
        // decrement of whoever dropped the one before (as in `Arc`'s own drop).
        if Arc::strong_count(&inner) != 1 || Arc::weak_count(&inner) != 0 {
            return;
        }
        std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
        // SAFETY: the only handle, checked above.
        unsafe {
            *inner.owner.get() = None;
            *inner.keep.get() = None;
        }
        // SAFETY: as above.
        inner.payload.with_mut(|p| unsafe { (*p).clear() });
        let _ = POOL.try_with(|p| {
            let mut p = p.borrow_mut();
            if p.len() < POOL_MAX {
                p.push(inner);
            }
        });
    }
    #[cfg(loom)]
    {
        // SAFETY: the owner's own flag, which only the owner writes.
        if !cx.0.left_held.with(|h| unsafe { *h }) {
            // SAFETY: the owner's write of `live`, which loom checks against every read
            // through an entry.
            cx.0.live.with_mut(|l| unsafe { *l = false });
        }
        drop(cx);
    }
}
