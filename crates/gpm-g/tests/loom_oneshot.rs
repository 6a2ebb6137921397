//! loom models of `gpm_g::oneshot`, the lock-free slot between a goroutine's result and its
//! join handle.
//!
//! Each model races the producer (`complete`) against the consumer: waiting for the value
//! (registering a waiter and sleeping on it), or going away (`close`), or both one after the
//! other. The promises checked: the consumer that waits gets the value (no lost wake-up:
//! loom reports a sleeper nobody wakes as a deadlock), and every value and every waiter is
//! dropped exactly once, by one side.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p gpm-g --test loom_oneshot --release`
#![cfg(loom)]

use gpm_g::oneshot::{Completed, Oneshot};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

fn model(f: impl Fn() + Sync + Send + 'static) {
    gpm_g::loom_model::check(3, f);
}

/// A value that counts its drops.
struct Counted(u32, Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::Relaxed);
    }
}

/// A waiter: a flag and a condition variable (loom's `unpark` would also wake a thread
/// blocked on a mutex, which loom then flags; `gpm-chan`'s loom `Thread` does the same).
/// Counts its drops, so a waiter lost or dropped twice shows.
struct Waker(Arc<(Mutex<bool>, Condvar)>, Arc<AtomicUsize>);

impl Waker {
    fn wake(self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_one();
    }
}

impl Drop for Waker {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::Relaxed);
    }
}

type Slot = Oneshot<Counted, Waker>;

/// The producer side of `gpm`'s join machinery: complete, then do what that says.
fn produce(slot: &Slot, values: &Arc<AtomicUsize>) {
    // SAFETY: each model's one producer thread, completing once.
    match unsafe { slot.complete(Counted(7, values.clone())) } {
        Completed::Stored => {}
        Completed::Wake(w) => w.wake(),
        Completed::Unwanted(v) => drop(v),
    }
}

/// Waiters made and waiters dropped.
#[derive(Default, Clone)]
struct Waiters {
    made: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
}

impl Waiters {
    fn make(&self, signal: &Arc<(Mutex<bool>, Condvar)>) -> Waker {
        self.made.fetch_add(1, Ordering::Relaxed);
        Waker(signal.clone(), self.dropped.clone())
    }

    /// Every waiter made was dropped, once.
    fn check(&self) {
        assert_eq!(
            self.dropped.load(Ordering::Relaxed),
            self.made.load(Ordering::Relaxed),
            "every waiter made is dropped once"
        );
    }
}

/// An empty slot, a drop counter for its value, and the producer already started on it.
fn start() -> (Arc<Slot>, Arc<AtomicUsize>, thread::JoinHandle<()>) {
    let slot = Arc::new(Slot::new());
    let values = Arc::new(AtomicUsize::new(0));
    let producer = {
        let (slot, values) = (slot.clone(), values.clone());
        thread::spawn(move || produce(&slot, &values))
    };
    (slot, values, producer)
}

/// The consumer's wait: take the value, else register and sleep, as `JoinHandle::join`
/// does on a thread. With `spurious`, the first sleep ends at once, as a goroutine's park
/// may: the consumer then registers again while its waiter is still registered.
///
/// # Safety
/// The caller is the slot's one consumer (the model's main thread).
unsafe fn consume(slot: &Slot, waiters: &Waiters, mut spurious: bool) -> Counted {
    let signal = Arc::new((Mutex::new(false), Condvar::new()));
    loop {
        // SAFETY: our caller is the one consumer.
        if let Some(v) = unsafe { slot.try_take() } {
            return v;
        }
        // SAFETY: as above.
        if !unsafe { slot.register(|| waiters.make(&signal)) } {
            continue;
        }
        if std::mem::take(&mut spurious) {
            continue;
        }
        let mut woken = signal.0.lock().unwrap();
        while !*woken {
            woken = signal.1.wait(woken).unwrap();
        }
        *woken = false;
    }
}

/// A waiting consumer gets the value, once; the waiter it registered (if it had to) is
/// woken and dropped once.
#[test]
fn a_waiting_consumer_gets_the_value() {
    model(|| waiting_consumer(false));
}

/// The same with a spurious wake-up after the consumer registered: registering again
/// leaves the one waiter in place, and the value still arrives.
#[test]
fn a_consumer_woken_spuriously_registers_once() {
    model(|| waiting_consumer(true));
}

fn waiting_consumer(spurious: bool) {
    let (slot, values, producer) = start();
    let waiters = Waiters::default();
    // SAFETY: this thread is the slot's one consumer.
    let v = unsafe { consume(&slot, &waiters, spurious) };
    assert_eq!(v.0, 7);
    producer.join().unwrap();
    drop(v);
    // SAFETY: as above; the last consumer call.
    let (left, waiter) = unsafe { slot.close() };
    assert!(
        left.is_none() && waiter.is_none(),
        "nothing left after the take"
    );
    assert_eq!(values.load(Ordering::Relaxed), 1, "the value dropped once");
    assert!(
        waiters.made.load(Ordering::Relaxed) <= 1,
        "one waiter at most"
    );
    waiters.check();
}

/// A consumer that goes away while the producer completes: the value is dropped exactly
/// once, by whichever side ends up owning it.
#[test]
fn a_closing_consumer_and_the_producer_drop_the_value_once() {
    model(|| {
        let (slot, values, producer) = start();
        // SAFETY: this thread is the slot's one consumer; its last call.
        let (left, waiter) = unsafe { slot.close() };
        assert!(waiter.is_none());
        drop(left);
        producer.join().unwrap();
        assert_eq!(values.load(Ordering::Relaxed), 1, "the value dropped once");
    });
}

/// A consumer that registers a waiter and then gives up (as `block_on` does on a deadlock
/// report), racing the producer: the waiter is woken or handed back, and dropped once
/// either way; the value is dropped once.
#[test]
fn a_consumer_that_registers_then_leaves() {
    model(|| {
        let (slot, values, producer) = start();
        let waiters = Waiters::default();
        let signal = Arc::new((Mutex::new(false), Condvar::new()));
        // SAFETY: this thread is the slot's one consumer.
        unsafe { slot.register(|| waiters.make(&signal)) };
        // SAFETY: as above; its last call.
        let (left, waiter) = unsafe { slot.close() };
        drop(left);
        drop(waiter);
        producer.join().unwrap();
        assert_eq!(values.load(Ordering::Relaxed), 1, "the value dropped once");
        waiters.check();
    });
}
