//! sysmon's P handoff: a goroutine blocked inside `gpm::syscall`, or computing without a
//! scheduling point, does not stop the goroutines queued behind it.
//!
//! Without the handoff these tests hang (checked with `Runtime::builder().handoff(false)`),
//! so each waits for its goroutines through a std channel with a generous `recv_timeout`:
//! the timeout only bounds a failing run, nothing waits for it to pass.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// How long a failing run may take before it is reported.
const FAIL_AFTER: Duration = Duration::from_secs(60);

fn rt(procs: usize) -> gpm::Runtime {
    gpm::Runtime::builder().procs(procs).build().unwrap()
}

/// Stops the busy loops when dropped, so that a failing test (a panic) ends instead of
/// hanging in the runtime's shutdown, which waits for every running goroutine. Declared
/// after the runtime, so dropped before it.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A goroutine that spins on `stop` without ever reaching a scheduling point, after
/// telling `started` that it runs.
fn busy_loop(rt: &gpm::Runtime, stop: &Arc<AtomicBool>) -> gpm::JoinHandle<u64> {
    let (started, is_running) = mpsc::channel();
    let stop = stop.clone();
    let h = rt.spawn(move || {
        started.send(()).unwrap();
        let mut spins = 0u64;
        while !stop.load(Ordering::Relaxed) {
            spins = spins.wrapping_add(1);
            std::hint::spin_loop();
        }
        spins
    });
    is_running
        .recv_timeout(FAIL_AFTER)
        .expect("the busy loop started");
    h
}

/// A goroutine inside `gpm::syscall`, blocked on a std channel until `release` sends.
fn blocked_in_syscall(rt: &gpm::Runtime) -> (gpm::JoinHandle<u32>, mpsc::Sender<u32>) {
    let (release, blocked_on) = mpsc::channel::<u32>();
    let (entered, has_entered) = mpsc::channel();
    let h = rt.spawn(move || {
        gpm::syscall(|| {
            entered.send(()).unwrap();
            blocked_on.recv().unwrap() // blocks the thread, not just the goroutine
        })
    });
    has_entered
        .recv_timeout(FAIL_AFTER)
        .expect("the syscall started");
    (h, release)
}

/// Spawns `n` goroutines from this thread and waits until all have run.
fn run_many(rt: &gpm::Runtime, n: usize) {
    let done = Arc::new(AtomicUsize::new(0));
    let (all_done, finished) = mpsc::channel();
    let hs: Vec<_> = (0..n)
        .map(|i| {
            let (done, all_done) = (done.clone(), all_done.clone());
            rt.spawn(move || {
                gpm::yield_now();
                if done.fetch_add(1, Ordering::SeqCst) + 1 == n {
                    all_done.send(()).unwrap();
                }
                i
            })
        })
        .collect();
    finished
        .recv_timeout(FAIL_AFTER)
        .unwrap_or_else(|_| panic!("only {} of {n} goroutines ran", done.load(Ordering::SeqCst)));
    for (i, h) in hs.into_iter().enumerate() {
        assert_eq!(h.join().unwrap(), i);
    }
}

#[test]
fn a_blocking_call_and_a_busy_loop_do_not_stop_1000_goroutines() {
    let rt = rt(2);
    let (blocked, release) = blocked_in_syscall(&rt);
    let stop = Arc::new(AtomicBool::new(false));
    let _stop = StopOnDrop(stop.clone());
    let busy = busy_loop(&rt, &stop);
    // Both Ps are now held by goroutines that will not give them up.
    run_many(&rt, 1000);
    stop.store(true, Ordering::Relaxed);
    release.send(7).unwrap();
    assert_eq!(blocked.join().unwrap(), 7);
    assert!(busy.join().unwrap() > 0);
}

#[test]
fn a_busy_goroutine_on_the_only_p_does_not_starve_the_one_that_stops_it() {
    let rt = rt(1);
    let stop = Arc::new(AtomicBool::new(false));
    let _stop = StopOnDrop(stop.clone());
    let busy = busy_loop(&rt, &stop);
    let stopper = {
        let stop = stop.clone();
        rt.spawn(move || stop.store(true, Ordering::Relaxed))
    };
    let (joined, busy_done) = mpsc::channel();
    std::thread::spawn(move || joined.send(busy.join().unwrap()).unwrap());
    let spins = busy_done
        .recv_timeout(FAIL_AFTER)
        .expect("the stopper ran although the busy loop held the only P");
    assert!(spins > 0);
    stopper.join().unwrap();
}

#[test]
fn goroutines_spawned_by_a_long_runner_after_losing_its_p_still_run() {
    let rt = rt(1);
    let stop = Arc::new(AtomicBool::new(false));
    let _stop = StopOnDrop(stop.clone());
    let (tx, rx) = mpsc::channel();
    let stop2 = stop.clone();
    let h = rt.spawn(move || {
        // Hold the only P until a goroutine queued behind us has run elsewhere...
        let first = {
            let stop = stop2.clone();
            gpm::go!(move || stop.store(true, Ordering::Relaxed))
        };
        while !stop2.load(Ordering::Relaxed) {
            std::hint::spin_loop();
        }
        // ...then keep spawning and joining from this goroutine, which may have no P now.
        let sum: u64 = (0..100u64)
            .map(|i| gpm::go!(move || i * 2))
            .map(|h| h.join().unwrap())
            .sum();
        first.join().unwrap();
        tx.send(sum).unwrap();
    });
    assert_eq!(rx.recv_timeout(FAIL_AFTER), Ok(9900));
    h.join().unwrap();
    assert!(stop.load(Ordering::Relaxed));
}

#[test]
fn syscall_returns_its_value_and_passes_panics_on() {
    let rt = rt(2);
    let v = rt.block_on(|| gpm::syscall(|| 6 * 7));
    assert_eq!(v, 42);
    let r = rt.block_on(|| {
        std::panic::catch_unwind(|| gpm::syscall(|| -> u32 { panic!("inside the call") }))
            .map_err(|e| e.downcast_ref::<&str>().map(|s| s.to_string()))
    });
    assert_eq!(r, Err(Some("inside the call".to_string())));
    // The runtime is still whole: goroutines run, and so do more syscalls.
    let n = rt.block_on(|| {
        (0..100u32)
            .map(|i| gpm::go!(move || gpm::syscall(|| i)))
            .map(|h| h.join().unwrap())
            .sum::<u32>()
    });
    assert_eq!(n, 4950);
    // Outside a goroutine it is a plain call.
    assert_eq!(gpm::syscall(|| "plain"), "plain");
}

#[test]
fn many_goroutines_blocked_in_syscalls_at_once_finish() {
    // 50 goroutines, each blocked in a syscall until all 50 are in: the runtime has to
    // hand their Ps on (and start threads) until every one of them has entered.
    const N: usize = 50;
    let rt = gpm::Runtime::builder()
        .procs(2)
        .max_threads(64)
        .build()
        .unwrap();
    let barrier = Arc::new(std::sync::Barrier::new(N));
    let hs: Vec<_> = (0..N)
        .map(|i| {
            let barrier = barrier.clone();
            rt.spawn(move || gpm::syscall(|| barrier.wait().is_leader() as usize + i))
        })
        .collect();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let s: usize = hs.into_iter().map(|h| h.join().unwrap()).sum();
        tx.send(s).unwrap();
    });
    assert_eq!(rx.recv_timeout(FAIL_AFTER), Ok(N * (N - 1) / 2 + 1));
}

#[test]
fn max_threads_below_procs_is_an_error() {
    let e = gpm::Runtime::builder()
        .procs(4)
        .max_threads(2)
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("max_threads"), "{e}");
}

/// A goroutine readied into its readier's `runnext` wakes no other M (the bet is that the
/// readier parks soon). When the readier computes on instead, sysmon's stale-queue rule must
/// wake an M to steal it. With the handoff off, that rule is the only way out: the readier
/// spins until the readied goroutine has run.
#[test]
fn readied_goroutine_behind_a_computing_readier_is_stolen() {
    let rt = gpm::Runtime::builder()
        .procs(2)
        .handoff(false)
        .build()
        .unwrap();
    let ran = rt.block_on(|| {
        let mut rounds = 0;
        for _ in 0..20 {
            let (tx, rx) = gpm::bounded::<()>(0);
            let done = Arc::new(AtomicBool::new(false));
            let d = done.clone();
            let waiter = gpm::go!(move || {
                rx.recv().unwrap();
                d.store(true, Ordering::Release);
            });
            // Let the waiter run to its receive and park there (yielding runs it from our
            // runnext); the send below then readies it into our runnext, waking nobody. (If
            // it has not parked yet, the send parks us instead and the round ends at once.)
            for _ in 0..3 {
                gpm::yield_now();
            }
            tx.send(()).unwrap();
            let start = std::time::Instant::now();
            while !done.load(Ordering::Acquire) {
                assert!(
                    start.elapsed() < std::time::Duration::from_secs(10),
                    "the readied goroutine never ran while its readier computed"
                );
                std::hint::spin_loop();
            }
            waiter.join().unwrap();
            rounds += 1;
        }
        rounds
    });
    assert_eq!(ran, 20);
}
