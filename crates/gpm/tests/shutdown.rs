//! Dropping a runtime unwinds its parked goroutines so their destructors run, and their
//! joiners learn it; 100,000 goroutines can be parked at once with default OS limits.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use gpm_g::GRef;

struct CountDrop(Arc<AtomicUsize>);
impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Goroutines park here until `open`; the last of `n` to arrive notifies the test thread.
struct Gate {
    parked: Mutex<Vec<GRef>>,
    all_in: Condvar,
    n: usize,
}

impl Gate {
    fn new(n: usize) -> Arc<Gate> {
        Arc::new(Gate {
            parked: Mutex::new(Vec::with_capacity(n)),
            all_in: Condvar::new(),
            n,
        })
    }
    fn wait(&self) {
        gpm_g::park(|g| {
            let mut p = self.parked.lock().unwrap();
            p.push(g.clone());
            if p.len() == self.n {
                self.all_in.notify_all();
            }
            true
        });
    }
    fn until_all_parked(&self) {
        let mut p = self.parked.lock().unwrap();
        while p.len() < self.n {
            p = self.all_in.wait(p).unwrap();
        }
    }
    fn open(&self) {
        for g in self.parked.lock().unwrap().drain(..) {
            gpm_g::ready(&g);
        }
    }
}

#[test]
fn drop_unwinds_parked_goroutines() {
    let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let gate = Gate::new(50);
    let hs: Vec<_> = (0..50)
        .map(|_| {
            let guard = CountDrop(drops.clone());
            let gate = gate.clone();
            rt.spawn(move || {
                let _held = guard;
                gate.wait(); // never opened
            })
        })
        .collect();
    // Plus goroutines that never got to run at all.
    gate.until_all_parked();
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(rt);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        50,
        "every parked stack was unwound"
    );
    for h in hs {
        let err = h.join().unwrap_err();
        let msg = err.downcast_ref::<String>().unwrap();
        assert!(msg.contains("runtime shut down"), "{msg}");
    }
    // The gate's references are the last ones; no goroutine is left alive.
    gate.parked.lock().unwrap().clear();
}

#[test]
fn spawning_on_a_dropped_runtime_fails_cleanly() {
    let rt = gpm::Runtime::builder().procs(1).build().unwrap();
    let inner = rt.block_on(|| {
        // A handle spawned onto the same runtime from inside, never run to completion.
        gpm::go!(move || gpm::yield_now())
    });
    drop(rt);
    // It either finished before the drop or was dropped unstarted: never hangs.
    let _ = inner.join();
}

#[test]
fn a_hundred_thousand_parked_goroutines() {
    const N: usize = 100_000;
    let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    let gate = Gate::new(N);
    let hs: Vec<_> = (0..N)
        .map(|i| {
            let gate = gate.clone();
            rt.spawn(move || {
                gate.wait();
                i
            })
        })
        .collect();
    gate.until_all_parked();
    assert_eq!(rt.live_goroutines(), N);
    gate.open();
    let sum: usize = hs.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(sum, N * (N - 1) / 2);
}

#[test]
fn a_runtime_can_be_dropped_from_one_of_its_own_goroutines() {
    let rt = gpm::Runtime::builder().procs(1).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    // A goroutine parked for good, spawned (so numbered) before the one that drops.
    let gate = Gate::new(1);
    let parked = {
        let (gate, guard) = (gate.clone(), CountDrop(drops.clone()));
        rt.spawn(move || {
            let _held = guard;
            gate.wait();
        })
    };
    gate.until_all_parked();
    let slot = Arc::new(Mutex::new(None::<gpm::Runtime>));
    let s = slot.clone();
    let d = drops.clone();
    let h = rt.spawn(move || {
        // Wait for the test thread to hand the runtime over.
        let rt = loop {
            if let Some(rt) = s.lock().unwrap().take() {
                break rt;
            }
            gpm::yield_now();
        };
        // Queued on this goroutine's own (only) P, and never run: we do not switch out.
        let guard = CountDrop(d);
        let queued = gpm::go!(move || drop(guard));
        // Unwinds every other goroutine; this one runs on until it next switches out (it
        // is unwound then, as its M has nothing left to return to).
        drop(rt);
        queued.join().is_err()
    });
    *slot.lock().unwrap() = Some(rt);
    assert!(
        h.join().unwrap(),
        "the queued goroutine was unwound, not run"
    );
    assert!(parked.join().is_err(), "the parked goroutine was unwound");
    assert_eq!(
        drops.load(Ordering::SeqCst),
        2,
        "both goroutines' captures were dropped"
    );
    gate.parked.lock().unwrap().clear();
}
