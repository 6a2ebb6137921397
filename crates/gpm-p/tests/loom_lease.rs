//! loom model of the P lease (`gpm_p::lease`): an M holding a P and running a goroutine
//! that pushes onto the P, racing sysmon taking the P away.
//!
//! The P's single-threaded half is stood in for by a loom `UnsafeCell`, so two parties
//! touching the P at once is a reported data race. Each model also checks that the P ends
//! up with exactly one owner: still the holder, on the idle list, or taken by sysmon.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p gpm-p --test loom_lease --release`
#![cfg(loom)]

use gpm_p::lease::{Holder, Lease, Tenure};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

struct World {
    lease: Lease,
    /// The holding M's flag.
    m: Holder,
    /// The P's owner-only data.
    p: UnsafeCell<u32>,
    idle: AtomicUsize,
    taken: AtomicUsize,
}

impl World {
    fn new() -> Arc<World> {
        Arc::new(World {
            lease: Lease::new(),
            m: Holder::new(),
            p: UnsafeCell::new(0),
            idle: AtomicUsize::new(0),
            taken: AtomicUsize::new(0),
        })
    }

    fn touch(&self) {
        // SAFETY: whoever owns the P touches it; two owners at once is the race loom
        // reports, which is what the model checks.
        self.p.with_mut(|v| unsafe { *v += 1 });
    }
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    gpm_g::loom_model::check(3, f);
}

/// The holder: schedule loop, a goroutine that pushes twice, a switch back; then either
/// gives the P up (`release_at_end`) or keeps it. Returns whether it still holds the P.
fn holder(w: &World, t: Tenure, release_at_end: bool) -> bool {
    w.touch(); // schedule loop, inside the section `hold` opened
    w.lease.leave(&w.m); // the goroutine runs
    for _ in 0..2 {
        // a `ready` inside the goroutine
        if !w.lease.enter(&w.m, t) {
            return false;
        }
        w.touch();
        w.lease.leave(&w.m);
    }
    // the goroutine switches out
    if !w.lease.enter(&w.m, t) {
        return false;
    }
    w.touch();
    if release_at_end {
        if w.lease.release(&w.m, t) {
            w.idle.fetch_add(1, Ordering::SeqCst);
        }
        false
    } else {
        w.lease.leave(&w.m);
        true
    }
}

fn sysmon(w: &World) {
    if !w.lease.try_revoke() {
        return;
    }
    while !w.lease.holder_out() {
        thread::yield_now();
    }
    w.touch();
    w.lease.taken();
    w.taken.fetch_add(1, Ordering::SeqCst);
}

fn run(release_at_end: bool) {
    model(move || {
        let w = World::new();
        let t = w.lease.hold(&w.m);
        let w2 = w.clone();
        let s = thread::spawn(move || sysmon(&w2));
        let holds = holder(&w, t, release_at_end);
        s.join().unwrap();
        let idle = w.idle.load(Ordering::SeqCst);
        let taken = w.taken.load(Ordering::SeqCst);
        // The holder's view may lag (sysmon can take the P after its last section), but
        // the P never has two owners and is never lost.
        assert!(idle + taken <= 1, "P both idle and taken");
        if taken == 0 {
            assert_eq!(holds as usize + idle, 1, "P lost");
        }
        if taken == 1 {
            // The holder may think it still holds, but its next `enter` fails, also after
            // the P has been held again by somebody else.
            assert!(!w.lease.enter(&w.m, t));
            let next = Holder::new();
            let t2 = w.lease.hold(&next);
            assert!(!w.lease.enter(&w.m, t));
            assert!(w.lease.enter(&next, t2));
        }
        w.touch(); // the final owner, alone again
    });
}

#[test]
fn sysmon_takes_a_p_from_a_running_goroutine() {
    run(false);
}

#[test]
fn voluntary_release_races_sysmon() {
    run(true);
}

/// Sysmon revokes while the holder is mid-push and must wait for it to leave.
#[test]
fn revocation_waits_for_a_push_in_progress() {
    model(|| {
        let w = World::new();
        let t = w.lease.hold(&w.m);
        w.lease.leave(&w.m);
        let w2 = w.clone();
        let s = thread::spawn(move || sysmon(&w2));
        let mut lost = false;
        for _ in 0..3 {
            if !w.lease.enter(&w.m, t) {
                lost = true;
                break;
            }
            w.touch();
            w.lease.leave(&w.m);
        }
        s.join().unwrap();
        let taken = w.taken.load(Ordering::SeqCst);
        assert!(taken == 1 || !lost, "the holder lost a P nobody took");
        assert_eq!(
            taken, 1,
            "sysmon always wins a P whose holder stays out of it"
        );
    });
}

/// A holder that lost its P without noticing keeps trying to use it while the P's next
/// holder works and sysmon takes the P from that one too. The stale attempts set only the
/// old M's own flag, so they cannot let sysmon in while the new holder is in a section
/// (with one flag per P they could: a stale `enter` cleared the new holder's flag).
#[test]
fn a_stale_holder_cannot_open_the_next_holders_sections() {
    model(|| {
        let w = World::new();
        // A held the P, ran a goroutine, and sysmon took the P meanwhile.
        let a = w.m.clone();
        let ta = w.lease.hold(&a);
        w.lease.leave(&a);
        assert!(w.lease.try_revoke() && w.lease.holder_out());
        w.lease.taken();
        // B holds it now, inside its schedule section.
        let b = Holder::new();
        let tb = w.lease.hold(&b);
        let (w1, w2) = (w.clone(), w.clone());
        let stale = thread::spawn(move || {
            for _ in 0..2 {
                assert!(!w1.lease.enter(&a, ta), "a stale tenure got back in");
            }
        });
        let s = thread::spawn(move || sysmon(&w2));
        w.touch();
        w.lease.leave(&b);
        if w.lease.enter(&b, tb) {
            w.touch();
            w.lease.leave(&b);
        }
        stale.join().unwrap();
        s.join().unwrap();
    });
}
