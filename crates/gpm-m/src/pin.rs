//! `lock_os_thread` / `unlock_os_thread`: pinning a goroutine to its M (Go's
//! `LockOSThread`).
//!
//! A pinned goroutine runs only on the M that pinned it, and that M runs nothing else. When
//! the goroutine parks or yields, its M gives its P away and sleeps; whichever M later finds
//! the goroutine runnable hands it and its own P to the pinned M and goes looking for
//! another P (Go's `stoplockedm` / `startlockedm`). So every switch of a pinned goroutine
//! costs two thread wakeups: pin only what needs a fixed thread.

use crate::mctx;

/// Pins the calling goroutine to its current OS thread until a matching
/// [`unlock_os_thread`] (calls nest). A no-op outside a goroutine.
pub fn lock_os_thread() {
    let Some(g) = gpm_g::current() else {
        return;
    };
    let Some(sched) = mctx::current_sched() else {
        return;
    };
    let Some(c) = mctx::ctx_of(&sched) else {
        return;
    };
    if g.pin(|| c.park.clone()) {
        c.pinned.set(true);
    }
}

/// Undoes one [`lock_os_thread`]; the goroutine may migrate again once every call is
/// undone. Unpaired calls are no-ops, as in Go.
pub fn unlock_os_thread() {
    let Some(g) = gpm_g::current() else {
        return;
    };
    if !g.unpin() {
        return;
    }
    if let Some(sched) = mctx::current_sched() {
        if let Some(c) = mctx::ctx_of(&sched) {
            c.pinned.set(false);
        }
    }
}
