//! loom models of a wait context's goroutine owner: it is named by its record's bare
//! address, so the context protocol itself must keep the record alive until the claimer's
//! ready has returned (`src/context/mod.rs`, "Lifetimes without counts").
//!
//! The owner is a model goroutine (`gpm_chan::loom_context::Record`): its record ends when
//! its last reference goes, with a write that loom checks against every ready's read. The
//! owner polls its wait the way a goroutine does each time its park returns (a park may
//! return early any number of times, so polling in a loop covers every wake-up order), and
//! exits as soon as its wait is over. The park/ready protocol itself is modelled in
//! `gpm-g/tests/loom_state.rs`.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p gpm-chan --test loom_context --release`
#![cfg(loom)]

use gpm_chan::loom_context::{Cx, Queue, Record};
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;

const PREEMPTIONS: usize = 3;

fn model(f: impl Fn() + Sync + Send + 'static) {
    gpm_g::loom_model::check(PREEMPTIONS, f);
}

/// The owner's wait: polls until the operation completes, or aborts first if `abort`.
/// Returns whether the operation completed.
fn wait(cx: &Cx, abort: bool) -> bool {
    if abort && cx.abort() {
        return false;
    }
    loop {
        if let Some(done) = cx.poll() {
            return done;
        }
        thread::yield_now();
    }
}

/// A model goroutine (the calling thread) with a fresh context.
fn owner() -> (Arc<Record>, Cx) {
    let rec = Arc::new(Record::new());
    rec.enter();
    (rec, Cx::acquire())
}

/// A model goroutine (the calling thread) with a fresh context, and a claimer racing for
/// it on another thread, whose handle says whether it won the claim.
fn owner_and_claimer() -> (Arc<Record>, Cx, thread::JoinHandle<bool>) {
    let (rec, cx) = owner();
    let peer = {
        let cx = cx.clone();
        thread::spawn(move || cx.claim_and_finish())
    };
    (rec, cx, peer)
}

#[test]
fn the_claimer_is_done_with_the_record_before_its_owner_exits() {
    // The owner returns from its wait, exits and ends its record as soon as it sees the
    // operation complete; the claimer's ready must come before that.
    model(|| {
        let (rec, cx, peer) = owner_and_claimer();
        assert!(wait(&cx, false));
        cx.release();
        rec.exit();
        assert!(peer.join().unwrap());
        assert_eq!(rec.readies(), 1);
        assert!(!rec.alive());
    });
}

#[test]
fn an_owner_that_aborts_or_is_completed_exits_safely() {
    // The owner aborts (a deadline) while the claimer claims: exactly one wins, the owner's
    // result says which, and a ready (only after a won claim) still finds the record.
    model(|| {
        let (rec, cx, peer) = owner_and_claimer();
        let done = wait(&cx, true);
        cx.release();
        rec.exit();
        let claimed = peer.join().unwrap();
        assert_eq!(done, claimed, "the owner's result names the winner");
        assert_eq!(rec.readies(), usize::from(claimed));
    });
}

#[test]
fn an_owner_unwound_at_shutdown_waits_out_a_claim_in_progress() {
    // Unwound at shutdown, the owner leaves as soon as its abort fails, except that it waits
    // out a claim that finishes in a moment: the claim's wake-up must still find the
    // record, and a completed operation must be reported as such.
    model(|| {
        let (rec, cx, peer) = owner_and_claimer();
        let completed = if cx.abort() {
            false
        } else {
            cx.leave_unwound()
        };
        cx.release();
        rec.exit();
        let claimed = peer.join().unwrap();
        assert_eq!(completed, claimed, "a claim that is not held is waited out");
        assert_eq!(rec.readies(), usize::from(claimed));
        assert!(!rec.alive(), "the record ends with its goroutine");
    });
}

#[test]
fn an_owner_unwound_at_shutdown_leaves_a_held_claim_and_keeps_its_record() {
    // A `select!` send arm holds its claim while it evaluates the arm's message, and its
    // goroutine may be unwound only after this owner: the owner must leave without waiting
    // for it (the claimer here finishes only once the owner has left), and the record must
    // outlive the claimer's ready.
    model(|| {
        let (rec, cx) = owner();
        // The wait queue: its lock orders every look at the entry before the owner's
        // unregister.
        let queue = Arc::new(Mutex::new(Some(cx.listed())));
        let left = Arc::new(AtomicBool::new(false));
        let peer = {
            let (queue, left) = (queue.clone(), left.clone());
            thread::spawn(move || {
                // Claimed under the lock, and taken out of the queue either way.
                let held = queue.lock().unwrap().take().and_then(|e| e.claim_held());
                let Some(held) = held else {
                    return false;
                };
                while !left.load(Ordering::Acquire) {
                    thread::yield_now();
                }
                held.finish();
                true
            })
        };
        let completed = if cx.abort() {
            // Unregister: the entry leaves the queue before the context goes.
            drop(queue.lock().unwrap().take());
            false
        } else {
            cx.leave_unwound()
        };
        left.store(true, Ordering::Release);
        cx.release();
        rec.exit();
        let claimed = peer.join().unwrap();
        assert!(
            !completed,
            "a held claim finishes only after the owner left"
        );
        assert_eq!(rec.readies(), usize::from(claimed));
        assert!(!rec.alive(), "the record ends once the claimer lets go");
    });
}

#[test]
fn an_owner_unwound_at_shutdown_takes_its_entry_out_before_a_claim_under_lock() {
    // A context claimed under its queue's lock is claimed with no compare-exchange, so an
    // owner unwound at shutdown cannot abort it: it takes its entry out under the lock
    // first. Exactly one of them wins: the peer completes it (and the owner reports that,
    // having waited out the claim, and its record is still there for the ready), or the
    // peer finds the queue empty.
    model(|| {
        let (rec, cx) = owner();
        let queue = Arc::new(Queue::default());
        queue.list(&cx);
        let peer = {
            let queue = queue.clone();
            thread::spawn(move || queue.claim_and_finish())
        };
        let completed = queue.unwind(&cx);
        cx.release();
        rec.exit();
        let claimed = peer.join().unwrap();
        assert_eq!(completed, claimed, "the owner's result names the winner");
        assert_eq!(rec.readies(), usize::from(claimed));
        assert!(!rec.alive(), "the record ends with its goroutine");
    });
}
