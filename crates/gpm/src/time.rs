//! Sleeping: `sleep` parks the goroutine on a timer; outside a goroutine it sleeps the
//! thread, like `std::thread::sleep`. Under `cfg(loom)` time is virtual: a sleep waits for a
//! timer of gpm-chan's virtual clock, which loom fires at a point of its choosing (see
//! `docs/loom.md`).
//!
//! ```
//! use std::time::{Duration, Instant};
//!
//! let start = Instant::now();
//! // A thousand goroutines sleep 1 ms each, at the same time (Go's time.Sleep).
//! let hs: Vec<_> = (0..1000)
//!     .map(|_| gpm::go!(|| gpm::time::sleep(Duration::from_millis(1))))
//!     .collect();
//! hs.into_iter().for_each(|h| h.join().unwrap());
//! assert!(start.elapsed() >= Duration::from_millis(1));
//! ```

use std::time::{Duration, Instant};

#[cfg(not(loom))]
use gpm_g::TimerAction;

/// The clock gpm's deadlines and timers run on: `Instant::now()`, or under loom the virtual
/// clock (which stands still until a timer fires). Deadlines for `recv_deadline`,
/// `sleep_until` and the like should come from here in code that is model-checked.
///
/// ```
/// let t0 = gpm::time::now();
/// gpm::time::sleep(std::time::Duration::from_millis(1));
/// assert!(gpm::time::now() >= t0 + std::time::Duration::from_millis(1));
/// ```
pub fn now() -> Instant {
    #[cfg(loom)]
    return gpm_chan::loom_clock::now();
    #[cfg(not(loom))]
    Instant::now()
}

/// Puts the calling goroutine to sleep for at least `d`. Its M runs other goroutines
/// meanwhile. A zero duration returns at once, as in Go.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let rt = gpm::Runtime::builder().procs(1).build().unwrap();
/// rt.block_on(|| {
///     let start = Instant::now();
///     // One P, two sleepers: they sleep at the same time, not one after the other.
///     let a = gpm::go!(|| gpm::time::sleep(Duration::from_millis(5)));
///     let b = gpm::go!(|| gpm::time::sleep(Duration::from_millis(5)));
///     a.join().unwrap();
///     b.join().unwrap();
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// gpm::time::sleep(Duration::ZERO); // returns at once
/// ```
pub fn sleep(d: Duration) {
    if d.is_zero() {
        return;
    }
    match now().checked_add(d) {
        Some(deadline) => sleep_until(deadline),
        // Further away than the clock can express: sleep forever, like std does.
        None => loop {
            sleep_until(now() + Duration::from_secs(3600 * 24 * 365));
        },
    }
}

/// Puts the calling goroutine to sleep until `deadline`.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let deadline = Instant::now() + Duration::from_millis(1);
/// gpm::go!(move || gpm::time::sleep_until(deadline)).join().unwrap();
/// assert!(Instant::now() >= deadline);
/// gpm::time::sleep_until(deadline); // in the past: returns at once
/// ```
pub fn sleep_until(deadline: Instant) {
    #[cfg(loom)]
    return gpm_chan::loom_clock::sleep_until(deadline);
    #[cfg(not(loom))]
    sleep_until_real(deadline);
}

#[cfg(not(loom))]
fn sleep_until_real(deadline: Instant) {
    if !gpm_g::in_goroutine() {
        let now = Instant::now();
        if deadline > now {
            std::thread::sleep(deadline - now);
        }
        return;
    }
    while Instant::now() < deadline {
        gpm_g::park(|g| {
            g.sched().add_timer(deadline, TimerAction::Ready(g.clone()));
            true
        });
        if gpm_g::shutting_down() {
            return;
        }
    }
}
