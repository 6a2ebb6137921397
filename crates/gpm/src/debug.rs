//! `GPM_DEBUG`: debugging knobs from the environment, in the manner of Go's `GODEBUG`
//! (comma-separated `name=value` pairs).
//!
//! The one knob so far is `schedtrace=N`: every `N` milliseconds the runtime's sysmon
//! prints a one-line scheduler summary to stderr (`SCHED 1000ms: procs=2 goroutines=...`).
//! A malformed value is an error at `build`, as a bad `GPM_PROCS` is; an unknown name is
//! ignored with a warning, as Go ignores unknown `GODEBUG` settings.

use std::io;
use std::time::Duration;

/// The environment variable read for debugging knobs (Go's `GODEBUG`):
/// `GPM_DEBUG=schedtrace=1000` prints a scheduler summary line every second, which
/// [`RuntimeBuilder::schedtrace`](crate::RuntimeBuilder::schedtrace) also sets.
///
/// ```
/// assert_eq!(gpm::DEBUG_ENV, "GPM_DEBUG");
/// // GPM_DEBUG=schedtrace=1000 cargo run --release --example skynet
/// // SCHED 1000ms: procs=2 goroutines=1111112 runnable=... [41 17]
/// ```
pub const DEBUG_ENV: &str = "GPM_DEBUG";

/// The knobs `GPM_DEBUG` sets.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Debug {
    /// `schedtrace=N`: the summary period.
    pub schedtrace: Option<Duration>,
}

/// Reads `GPM_DEBUG`.
pub(crate) fn from_env() -> io::Result<Debug> {
    match std::env::var(DEBUG_ENV) {
        Ok(v) => parse(&v),
        Err(std::env::VarError::NotPresent) => Ok(Debug::default()),
        Err(std::env::VarError::NotUnicode(v)) => Err(bad(&format!("{v:?}"))),
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("gpm: {DEBUG_ENV}: {what} (expected e.g. schedtrace=1000, in milliseconds)"),
    )
}

/// Parses a `GPM_DEBUG` value.
pub(crate) fn parse(v: &str) -> io::Result<Debug> {
    let mut d = Debug::default();
    for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, value) = item.split_once('=').unwrap_or((item, ""));
        match name.trim() {
            "schedtrace" => {
                d.schedtrace = match value.trim().parse::<u64>() {
                    Ok(0) => None,
                    Ok(ms) => Some(Duration::from_millis(ms)),
                    Err(_) => return Err(bad(&format!("bad schedtrace value {value:?}"))),
                };
            }
            other => eprintln!("gpm: {DEBUG_ENV}: unknown setting {other:?} ignored"),
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_schedtrace_and_rejects_junk() {
        assert_eq!(parse("").unwrap(), Debug::default());
        assert_eq!(
            parse("schedtrace=1000").unwrap().schedtrace,
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            parse(" foo=1 , schedtrace=5").unwrap().schedtrace,
            Some(Duration::from_millis(5))
        );
        assert_eq!(parse("schedtrace=0").unwrap().schedtrace, None);
        let e = parse("schedtrace=soon").unwrap_err().to_string();
        assert!(e.contains("bad schedtrace value \"soon\""), "{e}");
        assert!(parse("schedtrace").is_err());
    }
}
