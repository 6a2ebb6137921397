//! `lock_os_thread` / `unlock_os_thread`: a pinned goroutine stays on its thread across
//! every kind of park, its thread runs nothing else meanwhile, and the rest of the runtime
//! keeps going.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Duration;

use gpm::chan::bounded;

thread_local! {
    static MARK: Cell<u64> = const { Cell::new(0) };
}

fn rt(procs: usize) -> gpm::Runtime {
    gpm::Runtime::builder().procs(procs).build().unwrap()
}

fn here() -> ThreadId {
    std::thread::current().id()
}

#[test]
fn a_pinned_goroutine_resumes_on_its_thread_after_every_kind_of_park() {
    let rt = rt(2);
    rt.block_on(|| {
        // Busy neighbours, so that an unpinned goroutine would have other threads to go to.
        let (stop_tx, stop_rx) = bounded::<()>(0);
        let neighbours: Vec<_> = (0..4)
            .map(|_| {
                let stop = stop_rx.clone();
                gpm::go!(move || {
                    let mut n = 0u64;
                    while let Err(gpm::chan::TryRecvError::Empty) = stop.try_recv() {
                        n += 1;
                        gpm::yield_now();
                    }
                    n
                })
            })
            .collect();
        gpm::lock_os_thread();
        let me = here();
        MARK.with(|m| m.set(42));
        let (tx, rx) = bounded::<u32>(0);
        let sender = gpm::go!(move || {
            for i in 0..50 {
                tx.send(i).unwrap();
            }
        });
        for i in 0..50 {
            assert_eq!(rx.recv().unwrap(), i); // channel park
            assert_eq!(here(), me);
            gpm::yield_now(); // yield
            assert_eq!(here(), me);
            if i % 10 == 0 {
                gpm::time::sleep(Duration::from_millis(1)); // timer park
                assert_eq!(here(), me);
            }
        }
        sender.join().unwrap(); // join park
        assert_eq!(here(), me);
        gpm::syscall(std::thread::yield_now); // blocking-call boundary
        assert_eq!(here(), me);
        assert_eq!(MARK.with(|m| m.get()), 42);
        gpm::unlock_os_thread();
        drop(stop_tx);
        for h in neighbours {
            h.join().unwrap();
        }
    });
}

#[test]
fn the_only_p_serves_others_while_the_pinned_goroutine_sleeps() {
    let rt = rt(1);
    let served = rt.block_on(|| {
        let (ping_tx, ping_rx) = bounded::<u32>(0);
        let (pong_tx, pong_rx) = bounded::<u32>(0);
        let pinned = gpm::go!(move || {
            gpm::lock_os_thread();
            let me = here();
            let mut sum = 0;
            for v in ping_rx.iter() {
                assert_eq!(here(), me);
                sum += v;
                pong_tx.send(v * 2).unwrap();
            }
            sum
        });
        let mut got = 0;
        for i in 1..=100 {
            ping_tx.send(i).unwrap();
            got += pong_rx.recv().unwrap();
        }
        drop(ping_tx);
        assert_eq!(pinned.join().unwrap(), 5050);
        got
    });
    assert_eq!(served, 10100);
}

#[test]
fn pins_nest_and_unpaired_unlocks_are_harmless() {
    let rt = rt(2);
    rt.block_on(|| {
        gpm::unlock_os_thread(); // unpaired: nothing happens
        gpm::lock_os_thread();
        gpm::lock_os_thread();
        let me = here();
        gpm::unlock_os_thread(); // still pinned once
        for _ in 0..20 {
            gpm::yield_now();
            assert_eq!(here(), me);
        }
        gpm::unlock_os_thread();
        gpm::unlock_os_thread(); // unpaired again
    });
    assert_eq!(gpm::current_id(), None);
    gpm::lock_os_thread(); // outside a goroutine: no-op
    gpm::unlock_os_thread();
}

#[test]
fn a_goroutine_that_exits_pinned_leaves_a_usable_thread() {
    let rt = rt(1);
    let done = Arc::new(AtomicUsize::new(0));
    rt.block_on({
        let done = done.clone();
        move || {
            for _ in 0..10 {
                let done = done.clone();
                gpm::go!(move || {
                    gpm::lock_os_thread();
                    gpm::yield_now();
                    done.fetch_add(1, Ordering::SeqCst);
                })
                .join()
                .unwrap();
            }
            let hs: Vec<_> = (0..100).map(|i| gpm::go!(move || i)).collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum::<i32>()
        }
    });
    assert_eq!(done.load(Ordering::SeqCst), 10);
}

#[test]
fn a_runtime_with_a_pinned_goroutine_parked_forever_shuts_down() {
    let rt = rt(2);
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (_keep, never) = bounded::<u32>(0);
    let h = rt.spawn(move || {
        gpm::lock_os_thread();
        started_tx.send(()).unwrap();
        never.recv()
    });
    started_rx.recv().unwrap();
    drop(rt); // unwinds the pinned goroutine, waking its thread to exit
    assert!(h.join().is_err());
}
