//! Sleeping: `sleep` parks the goroutine on a timer; outside a goroutine it sleeps the
//! thread, like `std::thread::sleep`.

use std::time::{Duration, Instant};

use gpm_g::TimerAction;

/// Puts the calling goroutine to sleep for at least `d`. Its M runs other goroutines
/// meanwhile. A zero duration returns at once, as in Go.
pub fn sleep(d: Duration) {
    if d.is_zero() {
        return;
    }
    match Instant::now().checked_add(d) {
        Some(deadline) => sleep_until(deadline),
        // Further away than the clock can express: sleep forever, like std does.
        None => loop {
            sleep_until(Instant::now() + Duration::from_secs(3600 * 24 * 365));
        },
    }
}

/// Puts the calling goroutine to sleep until `deadline`.
pub fn sleep_until(deadline: Instant) {
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
