//! Sleeping: `sleep` parks the goroutine on a timer; outside a goroutine it sleeps the
//! thread, like `std::thread::sleep`. Under `cfg(loom)` time is virtual: a sleep waits for a
//! timer of gpm-chan's virtual clock, which loom fires at a point of its choosing (see
//! `docs/loom.md`).

use std::time::{Duration, Instant};

#[cfg(not(loom))]
use gpm_g::TimerAction;

/// The clock gpm's deadlines and timers run on: `Instant::now()`, or under loom the virtual
/// clock (which stands still until a timer fires). Deadlines for `recv_deadline`,
/// `sleep_until` and the like should come from here in code that is model-checked.
pub fn now() -> Instant {
    #[cfg(loom)]
    return gpm_chan::loom_clock::now();
    #[cfg(not(loom))]
    Instant::now()
}

/// Puts the calling goroutine to sleep for at least `d`. Its M runs other goroutines
/// meanwhile. A zero duration returns at once, as in Go.
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
