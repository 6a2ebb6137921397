//! Where a runtime's Ps live, and the handle that passes one from owner to owner.
//!
//! A P moves between threads: from the idle list to an M, from an M back to the list, and
//! from an M whose goroutine blocks to sysmon and on to another M. The last move happens
//! without the first M's cooperation (see [`crate::lease`]), so a P cannot be an owned value
//! travelling with its M: the M that loses it may still be inside a goroutine when sysmon
//! takes it. Instead every P is allocated once, in [`AllP`], and held through a [`PRef`]:
//! a pointer whose holder the lease protocol makes the P's one user. Dropping a `PRef`
//! frees nothing, so a handle abandoned by an M that lost its P costs nothing; the memory
//! goes when the `AllP` does.

use std::ptr::NonNull;
use std::sync::Arc;

use crate::{PShared, P};

/// Every P of one runtime.
pub struct AllP {
    ps: Box<[NonNull<P>]>,
    shared: Box<[Arc<PShared>]>,
}

// SAFETY: the Ps are reached only through `PRef`s, whose holders the lease protocol keeps
// to one at a time; `AllP` itself only frees them, when no `PRef` is in use any more.
unsafe impl Send for AllP {}
// SAFETY: as for Send.
unsafe impl Sync for AllP {}

impl AllP {
    /// `procs` new Ps, with indices `0..procs`.
    pub fn new(procs: usize) -> AllP {
        let ps: Box<[NonNull<P>]> = (0..procs)
            .map(|i| NonNull::from(Box::leak(Box::new(P::new(i)))))
            .collect();
        // SAFETY: just allocated above; nobody else has a pointer yet.
        let shared = ps
            .iter()
            .map(|p| unsafe { p.as_ref() }.shared().clone())
            .collect();
        AllP { ps, shared }
    }

    /// The shared halves, indexed by P id.
    pub fn shared(&self) -> &[Arc<PShared>] {
        &self.shared
    }

    /// The number of Ps.
    pub fn len(&self) -> usize {
        self.ps.len()
    }

    /// True if there are no Ps (never, for a runtime).
    pub fn is_empty(&self) -> bool {
        self.ps.is_empty()
    }

    /// A handle to P `i`.
    ///
    /// # Safety
    /// The caller must be the P's one owner from now on: it is handing out the initial
    /// handles, or it has just won the P through the lease protocol (a revocation whose
    /// holder is out), and every earlier handle to it is dead or will never be used again.
    pub unsafe fn handle(&self, i: usize) -> PRef {
        PRef(self.ps[i])
    }
}

impl Drop for AllP {
    fn drop(&mut self) {
        for p in self.ps.iter() {
            // SAFETY: allocated with `Box::leak` in `new`; the runtime is gone, so no handle is
            // in use.
            drop(unsafe { Box::from_raw(p.as_ptr()) });
        }
    }
}

/// The right to use one P (see the module docs). Not `Clone`: one handle per owner.
pub struct PRef(NonNull<P>);

// SAFETY: a `PRef` is passed between threads as the P's ownership; the lease protocol
// ensures only its current holder uses it.
unsafe impl Send for PRef {}

impl PRef {
    /// The P's raw address, for the M's thread-local context.
    pub fn as_ptr(&self) -> *const P {
        self.0.as_ptr()
    }
}

impl std::ops::Deref for PRef {
    type Target = P;
    fn deref(&self) -> &P {
        // SAFETY: the `AllP` outlives every handle (the scheduler owns both), and the holder
        // is the P's one user.
        unsafe { self.0.as_ref() }
    }
}

impl std::fmt::Debug for PRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PRef({})", self.id())
    }
}
