//! `Opts`: the per-socket settings that decide how an operation waits — the read and write
//! timeouts and the `set_nonblocking` flag — shared by a socket and its `try_clone`s, as
//! std's options are (they live on the one socket both handles refer to).
//!
//! They are kept here rather than read back from the kernel so that the hot path of every
//! read and write costs no `getsockopt`. The timeouts are also set on the socket itself
//! (`SO_RCVTIMEO`/`SO_SNDTIMEO`, which a non-blocking fd ignores), so that a socket turned
//! back into a std one keeps them and a std socket wrapped by `from_std` brings its own.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// "No timeout" in the nanosecond encoding (about 584 years; longer timeouts saturate to
/// one nanosecond less).
const NONE: u64 = u64::MAX;

fn encode(d: Option<Duration>) -> u64 {
    match d {
        None => NONE,
        Some(d) => u64::try_from(d.as_nanos()).unwrap_or(NONE).min(NONE - 1),
    }
}

fn decode(n: u64) -> Option<Duration> {
    (n != NONE).then(|| Duration::from_nanos(n))
}

/// How a socket's operations wait.
#[derive(Debug)]
pub(crate) struct Opts {
    read: AtomicU64,
    write: AtomicU64,
    nonblocking: AtomicBool,
}

impl Default for Opts {
    fn default() -> Opts {
        Opts::new(None, None)
    }
}

impl Opts {
    /// Blocking, with these timeouts.
    pub(crate) fn new(read: Option<Duration>, write: Option<Duration>) -> Opts {
        Opts {
            read: AtomicU64::new(encode(read)),
            write: AtomicU64::new(encode(write)),
            nonblocking: AtomicBool::new(false),
        }
    }

    pub(crate) fn read_timeout(&self) -> Option<Duration> {
        decode(self.read.load(Ordering::Relaxed))
    }

    pub(crate) fn write_timeout(&self) -> Option<Duration> {
        decode(self.write.load(Ordering::Relaxed))
    }

    pub(crate) fn set_read_timeout(&self, d: Option<Duration>) {
        self.read.store(encode(d), Ordering::Relaxed);
    }

    pub(crate) fn set_write_timeout(&self, d: Option<Duration>) {
        self.write.store(encode(d), Ordering::Relaxed);
    }

    /// True after `set_nonblocking(true)`: operations fail with `WouldBlock` instead of
    /// waiting.
    pub(crate) fn nonblocking(&self) -> bool {
        self.nonblocking.load(Ordering::Relaxed)
    }

    pub(crate) fn set_nonblocking(&self, on: bool) {
        self.nonblocking.store(on, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_round_trip_and_saturate() {
        let o = Opts::default();
        assert_eq!(o.read_timeout(), None);
        o.set_read_timeout(Some(Duration::from_millis(5)));
        assert_eq!(o.read_timeout(), Some(Duration::from_millis(5)));
        o.set_write_timeout(Some(Duration::MAX));
        assert_eq!(o.write_timeout(), Some(Duration::from_nanos(NONE - 1)));
        o.set_read_timeout(None);
        assert_eq!(o.read_timeout(), None);
    }
}
