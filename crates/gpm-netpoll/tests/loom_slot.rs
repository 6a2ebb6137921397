//! loom models of the per-fd wait slot (`src/slot.rs`): readiness racing a waiter that is
//! about to park, several waiters on one direction, a closing fd, and a waiter woken by
//! something else (a timer) while a notifier takes its token.
//!
//! Each waiter runs the loop `Evented` runs: try the I/O; on would-block consume pending
//! readiness or arm the slot and sleep; on waking leave the slot and try again. The "I/O"
//! is a loom atomic that the notifier sets before it notifies, the way data lands in a
//! socket buffer before epoll reports it. A waiter here sleeps on a mutex and condition
//! variable rather than parking a goroutine; the goroutine side of a park is the park/ready
//! protocol modelled in `gpm-g/tests/loom_state.rs`.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p gpm-netpoll --test loom_slot --release`
#![cfg(loom)]

use std::sync::Arc as StdArc;

use gpm_netpoll::slot::{Slot, Token};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

const PREEMPTIONS: usize = 3;

fn model(f: impl Fn() + Sync + Send + 'static) {
    gpm_g::loom_model::check(PREEMPTIONS, f);
}

/// A sleeping thread's wake-up flag.
#[derive(Default)]
struct Parker {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Parker {
    fn sleep(&self) {
        let mut w = self.woken.lock().unwrap();
        while !*w {
            w = self.cv.wait(w).unwrap();
        }
        *w = false;
    }
    fn wake(&self) {
        *self.woken.lock().unwrap() = true;
        self.cv.notify_one();
    }
}

/// The token a waiter leaves in the slot (an `Arc<G>` in the runtime).
struct Waiter(StdArc<Parker>);

impl Token for Waiter {
    fn into_raw(self) -> usize {
        StdArc::into_raw(self.0) as usize
    }
    unsafe fn from_raw(raw: usize) -> Self {
        // SAFETY: the slot passes back a word from `into_raw`, once.
        Waiter(unsafe { StdArc::from_raw(raw as *const Parker) })
    }
    fn addr(&self) -> usize {
        StdArc::as_ptr(&self.0) as usize
    }
}

/// What a wait ended with.
#[derive(Debug, PartialEq)]
enum Outcome {
    Data,
    Closed,
}

/// One fd direction: its slot, the "socket buffer" and the closing flag.
#[derive(Default)]
struct Fd {
    slot: Slot<Waiter>,
    data: AtomicBool,
    closed: AtomicBool,
}

impl Fd {
    /// The waiter's loop (what `Evented::read_with` and `park_on` do).
    fn wait_for_data(&self, me: &StdArc<Parker>) -> Outcome {
        loop {
            let seen = self.slot.seq();
            if self.data.load(Ordering::Acquire) {
                return Outcome::Data;
            }
            if self.closed.load(Ordering::SeqCst) {
                return Outcome::Closed;
            }
            if self.slot.arm(Waiter(me.clone()), seen).is_err() {
                continue;
            }
            me.sleep();
            drop(self.slot.leave(StdArc::as_ptr(me) as usize));
        }
    }

    /// The poller's side: data arrived, then the edge event.
    fn deliver(&self) {
        self.data.store(true, Ordering::Release);
        self.slot.notify(|w| w.0.wake());
    }

    /// `Desc::close`.
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.slot.notify(|w| w.0.wake());
    }
}

#[test]
fn readiness_races_a_parking_waiter() {
    // The event may land before the waiter's I/O, between its I/O and its arm, or after it
    // sleeps: in every order the waiter gets the data, and no token is left behind.
    model(|| {
        let fd = Arc::new(Fd::default());
        let me = StdArc::new(Parker::default());
        let poller = {
            let fd = fd.clone();
            thread::spawn(move || fd.deliver())
        };
        assert_eq!(fd.wait_for_data(&me), Outcome::Data);
        poller.join().unwrap();
        assert_eq!(StdArc::strong_count(&me), 1, "a token outlived its wait");
    });
}

#[test]
fn two_waiters_share_one_direction() {
    // The second waiter finds the first in the word and moves both into the list; one
    // event wakes both.
    model(|| {
        let fd = Arc::new(Fd::default());
        let other = {
            let fd = fd.clone();
            thread::spawn(move || {
                let me = StdArc::new(Parker::default());
                let got = fd.wait_for_data(&me);
                (got, StdArc::strong_count(&me))
            })
        };
        let poller = {
            let fd = fd.clone();
            thread::spawn(move || fd.deliver())
        };
        let me = StdArc::new(Parker::default());
        assert_eq!(fd.wait_for_data(&me), Outcome::Data);
        assert_eq!(other.join().unwrap(), (Outcome::Data, 1));
        poller.join().unwrap();
        assert_eq!(StdArc::strong_count(&me), 1);
    });
}

#[test]
fn closing_wakes_the_waiter() {
    // A registration dropped while a goroutine waits: the waiter sees the closing flag
    // whether it had armed yet or not.
    model(|| {
        let fd = Arc::new(Fd::default());
        let closer = {
            let fd = fd.clone();
            thread::spawn(move || fd.close())
        };
        let me = StdArc::new(Parker::default());
        assert_eq!(fd.wait_for_data(&me), Outcome::Closed);
        closer.join().unwrap();
        assert_eq!(StdArc::strong_count(&me), 1);
    });
}

#[test]
fn woken_by_a_timer_while_the_event_lands() {
    // A timer wakes the waiter directly (the G is readied, not via the slot) while the
    // poller notifies: the token is taken out exactly once, by `leave` or by `notify`,
    // never both and never neither.
    model(|| {
        let fd = Arc::new(Fd::default());
        let me = StdArc::new(Parker::default());
        let wakes = Arc::new(AtomicUsize::new(0));
        let timer = {
            let me = me.clone();
            let wakes = wakes.clone();
            thread::spawn(move || {
                wakes.fetch_add(1, Ordering::Relaxed);
                me.wake();
            })
        };
        let poller = {
            let fd = fd.clone();
            thread::spawn(move || fd.deliver())
        };
        assert_eq!(fd.wait_for_data(&me), Outcome::Data);
        timer.join().unwrap();
        poller.join().unwrap();
        assert_eq!(wakes.load(Ordering::Relaxed), 1);
        // Only `me` and nothing in the slot: no leaked or doubly freed token.
        assert_eq!(StdArc::strong_count(&me), 1);
    });
}

#[test]
fn one_event_two_connections_two_acceptors() {
    // Two goroutines accept on one listener; two connections arrive under one edge event.
    // Each acceptor takes one: the one woken second must not sleep on an event the first
    // consumed (what a lone READY state would allow).
    model(|| {
        let slot = Arc::new(Slot::<Waiter>::new());
        let queued = Arc::new(AtomicUsize::new(0));
        let accept = |slot: &Slot<Waiter>, queued: &AtomicUsize| {
            let me = StdArc::new(Parker::default());
            loop {
                let seen = slot.seq();
                let n = queued.load(Ordering::Acquire);
                if n > 0
                    && queued
                        .compare_exchange(n, n - 1, Ordering::AcqRel, Ordering::Relaxed)
                        .is_ok()
                {
                    break;
                }
                if n > 0 {
                    continue;
                }
                if slot.arm(Waiter(me.clone()), seen).is_err() {
                    continue;
                }
                me.sleep();
                drop(slot.leave(StdArc::as_ptr(&me) as usize));
            }
            assert_eq!(StdArc::strong_count(&me), 1);
        };
        let other = {
            let (slot, queued) = (slot.clone(), queued.clone());
            thread::spawn(move || accept(&slot, &queued))
        };
        let poller = {
            let (slot, queued) = (slot.clone(), queued.clone());
            thread::spawn(move || {
                queued.store(2, Ordering::Release);
                slot.notify(|w| w.0.wake());
            })
        };
        accept(&slot, &queued);
        other.join().unwrap();
        poller.join().unwrap();
        assert_eq!(queued.load(Ordering::Relaxed), 0);
    });
}
