//! Spawning and joining: a million goroutines, nesting, joining from inside and outside,
//! panics delivered through `join`, ids and names.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn rt(procs: usize) -> gpm::Runtime {
    gpm::Runtime::builder().procs(procs).build().unwrap()
}

#[test]
fn a_million_spawns() {
    let rt = rt(2);
    let sum = rt.block_on(|| {
        let hs: Vec<_> = (0..1_000_000u64).map(|i| gpm::go!(i)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    });
    assert_eq!(sum, 999_999 * 1_000_000 / 2);
}

#[test]
fn nested_spawns_form_a_tree() {
    // skynet-style: each goroutine spawns 10 children down to depth 4 and sums leaf ids.
    fn node(num: u64, size: u64) -> u64 {
        if size == 1 {
            return num;
        }
        let child = size / 10;
        let hs: Vec<_> = (0..10)
            .map(|i| gpm::go!(node(num + i * child, child)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    }
    let rt = rt(2);
    let total = rt.block_on(|| node(0, 10_000));
    assert_eq!(total, (0..10_000u64).sum::<u64>());
}

#[test]
fn join_from_outside_blocks_the_thread() {
    let rt = rt(2);
    let h = rt.spawn(|| {
        gpm::yield_now();
        "done"
    });
    assert_eq!(h.join().unwrap(), "done");
}

#[test]
fn join_from_inside_parks_only_the_goroutine() {
    // One P: if join blocked the M, the joined goroutine could never run.
    let rt = rt(1);
    let v = rt.block_on(|| {
        let a = gpm::go!(move || {
            gpm::yield_now();
            1
        });
        let b = gpm::go!(move || a.join().unwrap() + 1);
        b.join().unwrap() + 1
    });
    assert_eq!(v, 3);
}

#[test]
fn global_runtime_works_without_setup() {
    let h = gpm::go!(move || 6 * 7);
    assert_eq!(h.join().unwrap(), 42);
    let h = gpm::spawn(|| gpm::current_id().is_some());
    assert!(h.join().unwrap());
    assert!(gpm::current_id().is_none());
}

#[test]
fn panic_is_delivered_to_join_and_others_keep_running() {
    let rt = rt(2);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let seven = std::hint::black_box(7);
    let (bad, good) = rt.block_on(move || {
        let bad = gpm::go!(move || -> u32 { panic!("boom {seven}") });
        let good: Vec<_> = (0..100)
            .map(|_| {
                let r = r.clone();
                gpm::go!(move || {
                    r.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        let good = good.into_iter().all(|h| h.join().is_ok());
        (bad.join(), good)
    });
    let payload = bad.unwrap_err();
    assert_eq!(payload.downcast_ref::<String>().unwrap(), "boom 7");
    assert!(good);
    assert_eq!(ran.load(Ordering::SeqCst), 100);
    // The runtime is still usable.
    assert_eq!(rt.block_on(|| 5), 5);
}

#[test]
fn block_on_resumes_a_panic_on_the_caller() {
    let rt = rt(1);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(|| panic!("inside block_on"))
    }));
    assert_eq!(
        *r.unwrap_err().downcast_ref::<&str>().unwrap(),
        "inside block_on"
    );
    assert_eq!(rt.block_on(|| 1), 1, "block_on can be called again");
}

#[test]
fn handles_report_ids_and_finish() {
    let rt = rt(1);
    let (id_inside, id_outside, finished) = rt.block_on(|| {
        let h = gpm::go!(move || gpm::current_id().unwrap());
        let id = h.id();
        // One P: yielding puts the caller behind `h`, so `h` has finished when it resumes.
        gpm::yield_now();
        let finished = h.is_finished();
        (h.join().unwrap(), id, finished)
    });
    assert_eq!(id_inside, id_outside);
    assert!(finished);
}

#[test]
fn builder_names_and_sizes_goroutines() {
    let rt = rt(1);
    let h = rt
        .spawn_with(
            gpm::Builder::new().name("worker").stack_size(64 * 1024),
            || {
                // Use some stack to show the size is honoured.
                let buf = std::hint::black_box([1u8; 32 * 1024]);
                buf.iter().map(|&b| b as usize).sum::<usize>()
            },
        )
        .unwrap();
    assert_eq!(h.join().unwrap(), 32 * 1024);
    let err = gpm::Builder::new()
        .stack_size(usize::MAX)
        .spawn(|| ())
        .unwrap_err();
    assert!(err.to_string().contains("exceeds the maximum"), "{err}");
}

/// Goroutines alive at once run on different stacks, whose first frames start at different
/// offsets in their top page (the stack skew, `gpm_g::stack::Skewed`), so that the top frames
/// of thousands of parked goroutines do not all compete for the same cache sets.
#[test]
fn live_goroutines_start_at_varied_page_offsets() {
    let rt = rt(2);
    let offsets = rt.block_on(|| {
        let (tx, rx) = gpm::chan::unbounded();
        let (stop_tx, stop_rx) = gpm::chan::bounded::<()>(0);
        let hs: Vec<_> = (0..256)
            .map(|_| {
                let (tx, stop_rx) = (tx.clone(), stop_rx.clone());
                gpm::go!(move || {
                    let local = 0u8;
                    let addr = std::hint::black_box(&local) as *const u8 as usize;
                    tx.send(addr % 4096).unwrap();
                    let _ = stop_rx.recv(); // stay alive, keeping the stack, until all sent
                })
            })
            .collect();
        let offsets: std::collections::BTreeSet<usize> = rx.iter().take(256).collect();
        drop(stop_tx);
        hs.into_iter().for_each(|h| h.join().unwrap());
        offsets
    });
    // 256 stacks over 48 possible offsets: nearly all of them show up.
    assert!(
        offsets.len() >= 24,
        "only {} page offsets: {offsets:?}",
        offsets.len()
    );
}

#[test]
fn several_runtimes_live_side_by_side() {
    let a = rt(1);
    let b = rt(2);
    let hb = b.spawn(|| gpm::go!(move || 2).join().unwrap());
    let ha = a.spawn(|| gpm::go!(move || 1).join().unwrap());
    assert_eq!(ha.join().unwrap() + hb.join().unwrap(), 3);
}
