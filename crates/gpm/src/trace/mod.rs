//! Scheduler tracing, Go's `go tool trace` for gpm: `GPM_TRACE=trace.json` or
//! [`RuntimeBuilder::trace`](crate::RuntimeBuilder::trace) records what the scheduler does
//! and writes it, when the runtime is dropped (or at process exit for the global runtime),
//! as Chrome trace event JSON, which Perfetto (<https://ui.perfetto.dev>) and
//! `chrome://tracing` open and the workspace's `gpm-trace` tool turns into an HTML page.
//!
//! What is recorded, with nanosecond timestamps: goroutines created, run (one slice per
//! run, on the track of the thread that ran it, ending in `park`, `yield` or `exit`),
//! readied (a flow arrow from the ready to the run it led to), blocking calls
//! ([`crate::syscall`], nested in their run), steals between Ps, sysmon's P handoffs,
//! netpoll wake-ups, and Ms going to sleep and waking. One track per OS thread: `M0`,
//! `M1`, ..., `sysmon`, and any plain thread that readied a goroutine.
//!
//! A trace is process-wide, as Go's is: while one runtime records, a second runtime that
//! asks for a trace gets an error from `build`, and `GPM_TRACE` applies to the first
//! runtime built in the process (the global one, or the one `#[gpm::main]` builds), and
//! only if no other trace runs then. The recorder keeps
//! everything in memory until the end (about 40 bytes an event, up to
//! [`gpm_g::trace::MAX_EVENTS`]). Off, each event site costs one relaxed load; the cost
//! when on is measured in `docs/design.md` §15.
//!
//! ```
//! let path = std::env::temp_dir().join(format!("gpm-trace-mod-{}.json", std::process::id()));
//! let rt = gpm::Runtime::builder().procs(2).trace(&path).build().unwrap();
//! rt.block_on(|| {
//!     let hs: Vec<_> = (0..4).map(|i| gpm::go!(move || i)).collect();
//!     hs.into_iter().map(|h| h.join().unwrap()).sum::<i32>()
//! });
//! drop(rt); // the trace is written here
//! let json = std::fs::read_to_string(&path).unwrap();
//! assert!(json.starts_with("{\"traceEvents\":["));
//! assert!(json.contains("\"name\":\"thread_name\""));
//! std::fs::remove_file(&path).unwrap();
//! ```
//!
//! Then open the file in <https://ui.perfetto.dev>, or turn it into a self-contained page:
//! `cargo run --release -p gpm-trace -- trace.json` (see `docs/trace.png`).

mod chrome;

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

/// The environment variable that turns tracing on: the path of the JSON file to write.
///
/// ```
/// assert_eq!(gpm::trace::TRACE_ENV, "GPM_TRACE");
/// // GPM_TRACE=out.json cargo run --release --example skynet
/// ```
pub const TRACE_ENV: &str = "GPM_TRACE";

/// Where the running session goes when it ends, and who owns it.
struct Sink {
    /// The owning runtime's scheduler, as an address (identity only).
    owner: usize,
    path: PathBuf,
    procs: usize,
}

static SINK: Mutex<Option<Sink>> = Mutex::new(None);

/// The file a new runtime should trace to: the builder's choice, else `GPM_TRACE` for the
/// first runtime built in the process (a later one would overwrite the file).
/// `explicit` is true when the builder asked.
pub(crate) fn wanted(builder: Option<&Path>) -> Option<(PathBuf, bool)> {
    static ENV_CLAIMED: AtomicBool = AtomicBool::new(false);
    if let Some(p) = builder {
        return Some((p.to_path_buf(), true));
    }
    let p = std::env::var_os(TRACE_ENV).filter(|p| !p.is_empty())?;
    (!ENV_CLAIMED.swap(true, Ordering::Relaxed)).then(|| (PathBuf::from(p), false))
}

/// Checks that `path` can be written, then starts recording for the runtime `owner`.
/// `Ok(false)` if another trace runs and this one was only asked for by `GPM_TRACE`.
pub(crate) fn start(owner: usize, path: PathBuf, procs: usize, explicit: bool) -> io::Result<bool> {
    let mut sink = SINK.lock();
    if sink.is_some() || !gpm_g::trace::begin() {
        if !explicit {
            return Ok(false);
        }
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "gpm: a trace is already being recorded in this process (one at a time, as in Go)",
        ));
    }
    // Fail now, not at the end of a long run, if the file cannot be created.
    if let Err(e) = File::create(&path) {
        gpm_g::trace::finish();
        return Err(io::Error::new(
            e.kind(),
            format!("gpm: cannot create the trace file {}: {e}", path.display()),
        ));
    }
    *sink = Some(Sink { owner, path, procs });
    drop(sink);
    register_at_exit();
    Ok(true)
}

/// Ends `owner`'s trace, if it has one, and writes the file. Called when the runtime has
/// shut down, so its Ms have stopped recording.
pub(crate) fn finish(owner: usize) {
    let sink = SINK.lock().take_if(|s| s.owner == owner);
    if let Some(sink) = sink {
        write_out(sink);
    }
}

fn write_out(sink: Sink) {
    let Some(trace) = gpm_g::trace::finish() else {
        return;
    };
    if trace.dropped > 0 {
        eprintln!(
            "gpm: the trace reached {} events; {} later ones were dropped",
            gpm_g::trace::MAX_EVENTS,
            trace.dropped
        );
    }
    let meta = chrome::Meta { procs: sink.procs };
    let written = File::create(&sink.path).and_then(|f| {
        let mut out = BufWriter::new(f);
        chrome::write(&trace, &meta, &mut out)
    });
    if let Err(e) = written {
        eprintln!(
            "gpm: cannot write the trace file {}: {e}",
            sink.path.display()
        );
    }
}

/// The global runtime is never dropped: its trace (and any other still running) is
/// written when the process exits.
fn register_at_exit() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        extern "C" fn at_exit() {
            // `try_lock`: exit may come from a thread that holds the lock (a panic
            // inside `finish`), and an exit handler must not deadlock.
            let sink = SINK.try_lock().and_then(|mut s| s.take());
            if let Some(sink) = sink {
                write_out(sink);
            }
        }
        // SAFETY: `at_exit` is a plain `extern "C" fn()` that lives for the whole program;
        // atexit only stores the pointer.
        unsafe {
            libc::atexit(at_exit);
        }
    });
}
