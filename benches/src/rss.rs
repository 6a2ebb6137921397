//! Resident-set-size reading from `/proc/self/statm`, plus the "N tasks blocked at once"
//! probe used by the memory workload.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, OnceLock};
use std::time::{Duration, Instant};

/// How long [`measure_blocked`] waits without a new arrival before declaring failure.
const STALL: Duration = Duration::from_secs(10);

/// Current resident set size of this process in KiB (`/proc/self/statm`, field 2, times
/// the page size). Returns `NaN` if `/proc` is unavailable.
pub fn rss_kib() -> f64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return f64::NAN;
    };
    match statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u64>().ok())
    {
        Some(pages) => (pages * page_size()) as f64 / 1024.0,
        None => f64::NAN,
    }
}

/// The kernel page size in bytes, read once from `/proc/self/smaps` (no `unsafe`
/// `sysconf` needed); falls back to 4096.
fn page_size() -> u64 {
    static PAGE: OnceLock<u64> = OnceLock::new();
    *PAGE.get_or_init(|| {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
        smaps
            .lines()
            .find_map(|l| l.strip_prefix("KernelPageSize:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(4096, |kib| kib * 1024)
    })
}

/// Coordination between the measuring (main) thread and a driver thread that runs a
/// runtime and blocks `n` tasks at once.
pub struct Blocked {
    arrived: AtomicUsize,
    released: AtomicBool,
    baseline: Barrier,
}

impl Blocked {
    /// Called by every task right before it blocks.
    pub fn arrive(&self) {
        self.arrived.fetch_add(1, Ordering::Release);
    }

    /// Whether the measurement is done and tasks may finish.
    pub fn released(&self) -> bool {
        self.released.load(Ordering::Acquire)
    }

    /// Called by the driver once its runtime is built and warmed up, before spawning the
    /// tasks: lets the main thread take the baseline RSS reading, then returns.
    pub fn runtime_ready(&self) {
        self.baseline.wait(); // main thread may read the baseline now
        self.baseline.wait(); // baseline taken
    }
}

/// Result of [`measure_blocked`].
#[derive(Clone, Copy, Debug)]
pub struct BlockedRss {
    /// RSS growth between "runtime ready" and "all `n` tasks blocked", KiB.
    pub delta_kib: f64,
    /// `delta_kib / n`.
    pub per_task_kib: f64,
}

/// Runs `driver` on a new thread and measures the RSS growth caused by `n` tasks that
/// are blocked at the same time.
///
/// `driver` must build its runtime, call [`Blocked::runtime_ready`], then spawn `n` tasks
/// that each call [`Blocked::arrive`] and then block (sleeping, re-sleeping until
/// [`Blocked::released`]), and finally join them all. The main thread polls the arrival
/// counter (no sleeping), reads RSS once all `n` have arrived, then releases them. Panics
/// if arrivals stop short of `n` for 10 s.
pub fn measure_blocked(n: usize, driver: impl FnOnce(Arc<Blocked>) + Send + 'static) -> BlockedRss {
    let blocked = Arc::new(Blocked {
        arrived: AtomicUsize::new(0),
        released: AtomicBool::new(false),
        baseline: Barrier::new(2),
    });
    let b = Arc::clone(&blocked);
    let handle = std::thread::spawn(move || driver(b));
    blocked.baseline.wait();
    let before = rss_kib();
    blocked.baseline.wait();
    // A task that cannot start (e.g. its stack cannot be mapped) never arrives: give up
    // after STALL without progress instead of spinning until the cell's timeout.
    let (mut seen, mut progress_at) = (0, Instant::now());
    loop {
        let arrived = blocked.arrived.load(Ordering::Acquire);
        if arrived >= n {
            break;
        }
        if arrived != seen {
            (seen, progress_at) = (arrived, Instant::now());
        } else if progress_at.elapsed() > STALL {
            panic!("stalled: {arrived} of {n} tasks blocked, no progress for {STALL:?}");
        }
        std::thread::yield_now();
    }
    let after = rss_kib();
    blocked.released.store(true, Ordering::Release);
    handle.join().expect("memory driver thread panicked");
    let delta_kib = after - before;
    BlockedRss {
        delta_kib,
        per_task_kib: delta_kib / n as f64,
    }
}
