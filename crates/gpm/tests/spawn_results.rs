//! What a goroutine's closure and result go through on the way: closures of every size and
//! alignment (small ones live inside the G record, others are boxed), results dropped exactly
//! once and by whom std's `JoinHandle` would drop them, and a join handle that keeps its
//! result while the runtime reuses other goroutines' records.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gpm::GoroutineId;

fn rt(procs: usize) -> gpm::Runtime {
    gpm::Runtime::builder().procs(procs).build().unwrap()
}

#[repr(align(64))]
struct Aligned([u8; 64]);

/// Spawns closures that capture 0 bytes up to 4 KiB, and one aligned to 64, and checks what
/// each computes from its captures.
fn spawn_every_size() -> u64 {
    let small = 7u64;
    let mid = [3u8; 40];
    let edge = [5u8; 60];
    let big = [1u8; 4096];
    let aligned = Aligned([2; 64]);
    let hs = vec![
        gpm::go!(|| 1u64),
        gpm::go!(move || small),
        gpm::go!(move || mid.iter().map(|&b| u64::from(b)).sum()),
        gpm::go!(move || edge.iter().map(|&b| u64::from(b)).sum()),
        gpm::go!(move || big.iter().map(|&b| u64::from(b)).sum()),
        gpm::go!(move || {
            assert_eq!(
                &aligned as *const Aligned as usize % 64,
                0,
                "alignment kept"
            );
            aligned.0.iter().map(|&b| u64::from(b)).sum()
        }),
    ];
    hs.into_iter().map(|h| h.join().unwrap()).sum()
}

const EVERY_SIZE: u64 = 1 + 7 + 120 + 300 + 4096 + 128;

#[test]
fn closures_of_any_size_and_alignment_run() {
    let rt = rt(2);
    // From inside (the spawner's M reuses records) and from outside the runtime.
    assert_eq!(rt.block_on(spawn_every_size), EVERY_SIZE);
    assert_eq!(
        rt.block_on(|| (0..100).map(|_| spawn_every_size()).sum::<u64>()),
        100 * EVERY_SIZE
    );
    let h = rt.spawn(spawn_every_size);
    assert_eq!(h.join().unwrap(), EVERY_SIZE);
}

/// How long a test waits for a drop it expects, to fail instead of hanging if it never
/// comes.
const BOUND: Duration = Duration::from_secs(60);

/// A result that reports its drop, and which goroutine (if any) dropped it.
struct Reported {
    drops: Arc<AtomicUsize>,
    by: gpm::Sender<Option<GoroutineId>>,
}

impl Drop for Reported {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        let _ = self.by.send(gpm::current_id());
    }
}

#[test]
fn a_result_is_dropped_once_whether_joined_or_detached() {
    let rt = rt(2);
    rt.block_on(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (by_tx, by) = gpm::unbounded();
        let reported = || Reported {
            drops: drops.clone(),
            by: by_tx.clone(),
        };

        // Joined: the joiner owns the result and drops it.
        let r = reported();
        let joined = gpm::go!(move || r).join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        drop(joined);
        assert_eq!(
            by.recv_timeout(BOUND).expect("the result was dropped"),
            gpm::current_id()
        );

        // Detached before the end: the goroutine drops its own result as it finishes.
        let (go_tx, go_rx) = gpm::bounded::<()>(0);
        let r = reported();
        let h = gpm::go!(move || {
            go_rx.recv().unwrap();
            r
        });
        let id = h.id();
        drop(h);
        go_tx.send(()).unwrap();
        assert_eq!(
            by.recv_timeout(BOUND).expect("the result was dropped"),
            Some(id)
        );

        // Detached after the end: whoever drops the handle drops the result.
        let r = reported();
        let h = gpm::go!(move || r);
        while !h.is_finished() {
            gpm::yield_now();
        }
        assert_eq!(
            drops.load(Ordering::SeqCst),
            2,
            "a finished result waits for its handle"
        );
        drop(h);
        assert_eq!(
            by.recv_timeout(BOUND).expect("the result was dropped"),
            gpm::current_id()
        );

        assert_eq!(
            drops.load(Ordering::SeqCst),
            3,
            "each result dropped exactly once"
        );
        assert!(by.try_recv().is_err());
    });
}

#[test]
fn a_handle_keeps_its_result_while_records_are_reused() {
    let rt = rt(2);
    rt.block_on(|| {
        let first = gpm::go!(|| String::from("first"));
        while !first.is_finished() {
            gpm::yield_now();
        }
        // Many goroutines start and finish meanwhile, on free records that the runtime
        // reuses; the finished one above must not be among them while its handle lives.
        for round in 0..100u64 {
            let hs: Vec<_> = (0..100u64)
                .map(|i| gpm::go!(move || round * 100 + i))
                .collect();
            let sum: u64 = hs.into_iter().map(|h| h.join().unwrap()).sum();
            assert_eq!(sum, round * 10_000 + 4_950);
            for _ in 0..100 {
                drop(gpm::go!(|| String::from("detached")));
            }
        }
        assert_eq!(first.join().unwrap(), "first");
    });
}
