//! `gpm::stats()` / `Runtime::stats()`: the counters follow what the goroutines do.
//!
//! Where a test must wait until goroutines have parked it polls the snapshot between
//! yields, bounded by a count of yields, never by time.

use std::sync::mpsc;

use gpm::chan::bounded;

fn rt(procs: usize) -> gpm::Runtime {
    gpm::Runtime::builder().procs(procs).build().unwrap()
}

/// Yields until `ok(stats)` holds; panics with the last snapshot after many tries.
fn until(ok: impl Fn(&gpm::Stats) -> bool) -> gpm::Stats {
    for _ in 0..1_000_000 {
        let s = gpm::stats();
        if ok(&s) {
            return s;
        }
        gpm::yield_now();
    }
    panic!("condition never held; last: {}", gpm::stats());
}

#[test]
fn parked_live_and_spawned_follow_the_goroutines() {
    let rt = rt(2);
    rt.block_on(|| {
        let before = gpm::stats();
        assert_eq!(before.live, 1, "only the block_on goroutine: {before}");
        let (tx, rx) = bounded::<u32>(0);
        let hs: Vec<_> = (0..100)
            .map(|_| {
                let rx = rx.clone();
                gpm::go!(move || rx.recv().is_err())
            })
            .collect();
        let s = until(|s| s.parked >= 100);
        assert_eq!(s.live, 101, "{s}");
        assert_eq!(s.parked, 100, "{s}");
        // (Per-P spawn counts are not checked here: a spawner whose P sysmon took counts
        // its spawns as made outside any P.)
        drop((tx, rx));
        for h in hs {
            assert!(h.join().unwrap());
        }
        let after = until(|s| s.live == 1);
        assert_eq!(after.parked, 0, "{after}");
        assert!(after.ps.iter().map(|p| p.unparks).sum::<u64>() >= 100);
    });
}

#[test]
fn spawns_from_a_thread_are_global_queue_takes() {
    let rt = rt(2);
    let hs: Vec<_> = (0..50).map(|i| rt.spawn(move || i)).collect();
    let sum: i32 = hs.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(sum, 1225);
    // `join` returns once a goroutine has delivered its result, a moment before its M
    // counts it as exited.
    let mut s = rt.stats();
    for _ in 0..1_000_000 {
        if s.live == 0 {
            break;
        }
        std::thread::yield_now();
        s = rt.stats();
    }
    assert_eq!(s.live, 0, "{s}");
    let takes: u64 = s.ps.iter().map(|p| p.global_takes).sum();
    assert!(takes >= 50, "{s:?}");
    assert!(s.ms >= 1 && s.ms <= 512);
}

#[test]
fn syscalls_pins_and_timers_are_counted() {
    let rt = rt(2);
    let (release, blocked) = mpsc::channel::<()>();
    let (entered_tx, entered) = mpsc::channel();
    let in_call = rt.spawn(move || {
        gpm::syscall(|| {
            entered_tx.send(()).unwrap();
            blocked.recv().unwrap();
        })
    });
    entered.recv().unwrap();
    assert_eq!(rt.stats().in_syscall, 1);
    release.send(()).unwrap();
    in_call.join().unwrap();
    assert_eq!(rt.stats().in_syscall, 0);

    let (wake_tx, wake_rx) = bounded::<()>(0);
    let pinned = rt.spawn(move || {
        gpm::lock_os_thread();
        wake_rx.recv().unwrap();
    });
    let sleeper = rt.spawn(|| gpm::time::sleep(std::time::Duration::from_secs(3600)));
    let s = rt.block_on(|| until(|s| s.ms_pinned == 1 && s.timers >= 1));
    assert_eq!(s.ms_pinned, 1, "{s}");
    assert!(s.to_string().starts_with("procs="), "{s}");
    wake_tx.send(()).unwrap();
    pinned.join().unwrap();
    drop(rt); // unwinds the sleeper
    assert!(sleeper.join().is_err());
}

#[test]
fn stats_outside_any_runtime_are_empty_until_the_global_runtime_starts() {
    // Only this test uses the global runtime.
    assert_eq!(gpm::stats(), gpm::Stats::default());
    assert_eq!(gpm::go!(|| 5).join().unwrap(), 5);
    let s = gpm::stats();
    assert!(!s.ps.is_empty() && s.ms >= 1, "{s:?}");
    // The goroutine came from outside, through the global queue; its P counted the take
    // before running it, so before `join` could return. (Its exit is counted after the
    // result is out, so `exited` may still read 0 here.)
    assert!(
        s.ps.iter().map(|p| p.global_takes).sum::<u64>() >= 1,
        "{s:?}"
    );
}
