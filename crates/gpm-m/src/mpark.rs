//! Parking an idle M, and handing it a P when it is woken.
//!
//! Each M has one [`MPark`]. A waker puts a P (and whether the M starts out spinning) in
//! the slot and sets `notified` under the lock; the M waits on the condvar until
//! `notified`. A wake that comes before the M starts waiting is kept, so it is never lost.

use std::time::Instant;

use gpm_g::GRef;

use crate::sync::{Condvar, Mutex};

struct Slot<P> {
    notified: bool,
    handoff: Option<(P, bool)>,
    /// For an M pinned to a goroutine (`lock_os_thread`): that goroutine, handed over with
    /// a P by whichever M found it runnable.
    pinned: Option<GRef>,
}

/// One M's parking place.
pub struct MPark<P> {
    slot: Mutex<Slot<P>>,
    cv: Condvar,
}

impl<P> Default for MPark<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> MPark<P> {
    /// An M that has not been woken.
    pub fn new() -> Self {
        MPark {
            slot: Mutex::new(Slot {
                notified: false,
                handoff: None,
                pinned: None,
            }),
            cv: Condvar::new(),
        }
    }

    /// Wakes the M, handing it `p` (and whether it should spin), or nothing (shutdown, or a
    /// timer sleeper that must re-check its deadline).
    pub fn wake(&self, handoff: Option<(P, bool)>) {
        let mut s = self.slot.lock();
        s.notified = true;
        if handoff.is_some() {
            debug_assert!(s.handoff.is_none(), "gpm: two Ps handed to one M");
            s.handoff = handoff;
        }
        drop(s);
        self.cv.notify_one();
    }

    /// Wakes an M pinned to `g`, handing it `p` to run `g` on.
    pub fn wake_pinned(&self, p: P, g: GRef) {
        let mut s = self.slot.lock();
        debug_assert!(s.handoff.is_none(), "gpm: two Ps handed to one M");
        s.notified = true;
        s.handoff = Some((p, false));
        s.pinned = Some(g);
        drop(s);
        self.cv.notify_one();
    }

    /// A pinned M sleeps until handed its goroutine and a P, or woken without (shutdown).
    pub fn park_pinned(&self) -> Option<(P, GRef)> {
        let mut s = self.slot.lock();
        while !s.notified {
            s = self.cv.wait(s, None);
        }
        s.notified = false;
        let (p, _) = s.handoff.take()?;
        let g = s
            .pinned
            .take()
            .expect("gpm: a pinned M handed a P without its goroutine");
        Some((p, g))
    }

    /// True if a wake is waiting to be collected (the M has not seen it yet).
    pub fn pending(&self) -> bool {
        self.slot.lock().notified
    }

    /// Forgets a wake that arrived without a handoff (a timer sleeper's nudge that came
    /// after its deadline had already woken it), so it cannot cut a later park short.
    pub fn clear_nudge(&self) {
        let mut s = self.slot.lock();
        if s.handoff.is_none() {
            s.notified = false;
        }
    }

    /// Sleeps until woken or until `deadline`, and returns what the waker handed over.
    pub fn park(&self, deadline: Option<Instant>) -> Option<(P, bool)> {
        let mut s = self.slot.lock();
        while !s.notified {
            s = self.cv.wait(s, deadline);
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
        s.notified = false;
        s.handoff.take()
    }
}
