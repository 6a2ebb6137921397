//! The trace's timestamps: the CPU's time-stamp counter where the kernel trusts it, else
//! the monotonic clock.
//!
//! On this project's machines `Instant::now` costs about 50 ns (a vDSO `clock_gettime`
//! under KVM) and `rdtsc` about 13, and an event would otherwise spend most of its time
//! reading the clock. The counter is used only on x86_64 Linux when the kernel's own
//! clocksource is `tsc`: the kernel then has checked that the counter runs at a constant
//! rate and agrees across CPUs, which is what makes stamps from two threads comparable.
//! Raw ticks are turned into nanoseconds when the session ends, by the rate measured
//! between its start and its end against `Instant`.

use std::time::Instant;

/// Where stamps come from during one session.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    start: Instant,
    /// The counter at `start`, if the session stamps with it.
    tsc0: Option<u64>,
}

impl Clock {
    /// A clock started now.
    pub(crate) fn start() -> Clock {
        let tsc0 = tsc_trusted().then(read_tsc);
        Clock {
            start: Instant::now(),
            tsc0,
        }
    }

    /// A raw stamp: counter ticks, or nanoseconds since the start.
    #[inline]
    pub(crate) fn stamp(&self) -> u64 {
        match self.tsc0 {
            Some(_) => read_tsc(),
            None => self.start.elapsed().as_nanos() as u64,
        }
    }

    /// What the session's stamps turn into, measured now: a function from a raw stamp to
    /// nanoseconds since the start, and the session's length in nanoseconds.
    pub(crate) fn calibrate(&self) -> (impl Fn(u64) -> u64, u64) {
        let elapsed = self.start.elapsed().as_nanos() as u64;
        let (tsc0, ns_per_tick) = match self.tsc0 {
            Some(t0) => {
                let ticks = read_tsc().saturating_sub(t0).max(1);
                (t0, elapsed as f64 / ticks as f64)
            }
            None => (0, 1.0),
        };
        let to_ns = move |raw: u64| (raw.saturating_sub(tsc0) as f64 * ns_per_tick) as u64;
        (to_ns, elapsed)
    }
}

/// True if the kernel keeps time with the TSC (so it is invariant and synchronised).
fn tsc_trusted() -> bool {
    cfg!(all(target_arch = "x86_64", target_os = "linux"))
        && std::fs::read_to_string(
            "/sys/devices/system/clocksource/clocksource0/current_clocksource",
        )
        .is_ok_and(|s| s.trim() == "tsc")
}

#[inline]
fn read_tsc() -> u64 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `rdtsc` exists on every x86_64 CPU and only reads the counter.
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
    #[cfg(not(target_arch = "x86_64"))]
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_grow_and_calibrate_to_nanoseconds() {
        let c = Clock::start();
        let a = c.stamp();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = c.stamp();
        let (to_ns, elapsed) = c.calibrate();
        assert!(b > a);
        let (a, b) = (to_ns(a), to_ns(b));
        assert!(b - a >= 1_500_000, "{a} {b}");
        assert!(b <= elapsed + 1_000_000, "{b} > {elapsed}");
    }
}
