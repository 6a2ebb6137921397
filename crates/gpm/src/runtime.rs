//! `Runtime`: a set of Ps and the Ms that run them; the lazily started global runtime.

use std::io;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use gpm_m::{Config, Scheduler, DEFAULT_MAX_THREADS};

use crate::spawn::Builder;
use crate::JoinHandle;

/// The default goroutine stack size: 256 KiB of address space, committed page by page as
/// it is touched (a goroutine that stays shallow costs one 4 KiB page).
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// The smallest stack a goroutine gets; smaller requests are rounded up.
pub const MIN_STACK_SIZE: usize = 16 * 1024;

/// Upper bound on a goroutine stack (Go's limit on 64-bit).
pub const MAX_STACK_SIZE: usize = 1 << 30;

/// Validates and rounds a requested stack size.
pub(crate) fn checked_stack_size(size: usize) -> io::Result<usize> {
    if size > MAX_STACK_SIZE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("gpm: stack size {size} exceeds the maximum of {MAX_STACK_SIZE} bytes"),
        ));
    }
    Ok(size.max(MIN_STACK_SIZE).next_multiple_of(4096))
}

/// The environment variable that sets the number of Ps when the builder does not.
pub const PROCS_ENV: &str = "GPM_PROCS";

fn procs_from_env() -> io::Result<Option<usize>> {
    match std::env::var(PROCS_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(v)) => Err(bad_procs(&format!("{v:?}"))),
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(bad_procs(&format!("{v:?}"))),
        },
    }
}

fn bad_procs(v: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("gpm: {PROCS_ENV} must be a positive integer, got {v}"),
    )
}

/// Configures a [`Runtime`].
#[derive(Debug, Clone, Default)]
pub struct RuntimeBuilder {
    procs: Option<usize>,
    stack_size: Option<usize>,
    thread_name: Option<String>,
    max_threads: Option<usize>,
    no_handoff: bool,
    trace: Option<PathBuf>,
    schedtrace: Option<Duration>,
}

impl RuntimeBuilder {
    /// The number of Ps, i.e. goroutines running in parallel (Go's `GOMAXPROCS`). Defaults
    /// to `GPM_PROCS` if set, else the available parallelism. Zero is an error at `build`.
    pub fn procs(mut self, n: usize) -> Self {
        self.procs = Some(n);
        self
    }

    /// The default stack size of this runtime's goroutines, in bytes.
    pub fn stack_size(mut self, size: usize) -> Self {
        self.stack_size = Some(size);
        self
    }

    /// The name prefix of the worker threads (default `gpm-m`).
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.thread_name = Some(name.into());
        self
    }

    /// The most worker threads the runtime starts (default 512, and at least `procs`).
    /// Threads beyond `procs` take over the Ps of goroutines stuck in [`crate::syscall`]
    /// or in long computations; at the limit, queued goroutines wait for those to return.
    pub fn max_threads(mut self, n: usize) -> Self {
        self.max_threads = Some(n);
        self
    }

    /// Whether sysmon hands the P of a goroutine stuck in a blocking call or a long
    /// computation to another thread (default: yes). Turning it off brings back the
    /// stall that the handoff exists to prevent; it is here to measure what it buys.
    pub fn handoff(mut self, on: bool) -> Self {
        self.no_handoff = !on;
        self
    }

    /// Records a scheduler trace and writes it to `path` as Chrome trace event JSON when
    /// the runtime is dropped (Go's `runtime/trace`; see [`crate::trace`]). Without this,
    /// the `GPM_TRACE` environment variable names the file. One trace runs at a time in a
    /// process: `build` fails if another runtime is recording, or if the file cannot be
    /// created.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}.json", std::process::id()));
    /// let rt = gpm::Runtime::builder().procs(2).trace(&path).build().unwrap();
    /// rt.block_on(|| {
    ///     let (tx, rx) = gpm::bounded(0);
    ///     gpm::go!(move || tx.send(1).unwrap());
    ///     rx.recv().unwrap()
    /// });
    /// drop(rt); // writes the file
    /// let json = std::fs::read_to_string(&path).unwrap();
    /// assert!(json.contains("\"cat\":\"goroutine\""));
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn trace(mut self, path: impl AsRef<std::path::Path>) -> Self {
        self.trace = Some(path.as_ref().to_path_buf());
        self
    }

    /// Prints a one-line scheduler summary to stderr every `period`, from sysmon (Go's
    /// `GODEBUG=schedtrace`); without this, `GPM_DEBUG=schedtrace=N` sets it in
    /// milliseconds. The line is [`crate::Stats`]'s `Display` after `SCHED <ms>ms: `.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = gpm::Runtime::builder().schedtrace(Duration::from_secs(1)).build().unwrap();
    /// assert_eq!(rt.block_on(|| 6 * 7), 42);
    /// ```
    pub fn schedtrace(mut self, period: Duration) -> Self {
        self.schedtrace = Some(period);
        self
    }

    /// Creates the runtime. Worker threads start on demand.
    pub fn build(self) -> io::Result<Runtime> {
        let procs = match self.procs {
            Some(n) => n,
            None => match procs_from_env()? {
                Some(n) => n,
                None => thread::available_parallelism().map_or(1, |n| n.get()),
            },
        };
        if procs == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "gpm: procs must be at least 1",
            ));
        }
        let stack_size = checked_stack_size(self.stack_size.unwrap_or(DEFAULT_STACK_SIZE))?;
        let schedtrace = match self.schedtrace {
            Some(d) => Some(d).filter(|d| !d.is_zero()),
            None => crate::debug::from_env()?.schedtrace,
        };
        let poller: Arc<dyn gpm_g::Poll> = gpm_netpoll::NetPoller::new()?;
        let sched = Scheduler::new(Config {
            procs,
            stack_size,
            thread_name: self.thread_name.unwrap_or_else(|| "gpm-m".into()),
            poller: Some(poller),
            max_threads: self.max_threads.unwrap_or(DEFAULT_MAX_THREADS.max(procs)),
            handoff: !self.no_handoff,
            schedtrace,
        })?;
        if let Some((path, explicit)) = crate::trace::wanted(self.trace.as_deref()) {
            crate::trace::start(owner_id(&sched), path, procs, explicit)?;
        }
        Ok(Runtime { sched })
    }
}

/// A gpm runtime: `procs` Ps, the worker threads (Ms) that run them, and its goroutines.
///
/// Dropping a runtime stops its workers and unwinds every goroutine still alive, so their
/// destructors run; their `JoinHandle`s then return an error. Several runtimes can live in
/// one process; `go!` outside any goroutine uses a global one started on first use.
pub struct Runtime {
    sched: Arc<Scheduler>,
}

impl Runtime {
    /// A builder with the defaults.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// A runtime with the defaults.
    pub fn new() -> io::Result<Runtime> {
        Runtime::builder().build()
    }

    /// Runs `f` as a goroutine of this runtime and blocks the calling thread until it
    /// returns. A panic in `f` is resumed on the caller. Can be called any number of times,
    /// from any thread.
    ///
    /// # Panics
    /// Besides resuming `f`'s panic: with `all goroutines are asleep - deadlock!` and the
    /// parked goroutines' ids and names, as Go does, when `f`'s goroutine waits for
    /// something nothing can deliver any more. That is: every goroutine is parked, none is
    /// in [`crate::syscall`], no timer is pending, none waits on a socket, and the process
    /// has no threads besides this runtime's and the ones waiting in `block_on` (a plain
    /// thread might still hold a `Sender`, so while one is alive no deadlock is reported;
    /// the check needs Linux's `/proc/self/task`). The goroutines stay parked until the
    /// runtime is dropped.
    pub fn block_on<F, T>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let h = self.spawn(f);
        let joined = if gpm_g::in_goroutine() {
            Ok(h.join())
        } else {
            let watch = self.sched.register_blocker();
            h.join_watched(|| watch.verdict())
        };
        match joined {
            Ok(Ok(v)) => v,
            Ok(Err(payload)) => std::panic::resume_unwind(payload),
            Err(report) => panic!("{report}"),
        }
    }

    /// Spawns a goroutine on this runtime.
    ///
    /// # Panics
    /// If the runtime has shut down.
    pub fn spawn<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        Builder::new()
            .spawn_on(&self.sched, f)
            .unwrap_or_else(|e| panic!("gpm: failed to spawn a goroutine: {e}"))
    }

    /// Spawns a goroutine configured by `builder` on this runtime.
    pub fn spawn_with<F, T>(&self, builder: Builder, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        builder.spawn_on(&self.sched, f)
    }

    /// The number of Ps.
    pub fn procs(&self) -> usize {
        self.sched.config().procs
    }

    /// The number of goroutines alive (spawned and not yet finished).
    pub fn live_goroutines(&self) -> usize {
        self.sched.live()
    }

    /// A snapshot of this runtime's scheduler: goroutines, threads, Ps, timers and per-P
    /// counters (see [`crate::stats`]).
    pub fn stats(&self) -> gpm_m::Stats {
        self.sched.stats()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.sched.shutdown();
        crate::trace::finish(owner_id(&self.sched));
    }
}

/// A runtime's identity for the trace session it may own.
fn owner_id(sched: &Arc<Scheduler>) -> usize {
    Arc::as_ptr(sched) as usize
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("procs", &self.procs())
            .field("live_goroutines", &self.live_goroutines())
            .finish()
    }
}

static GLOBAL: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The global runtime, started on first use.
pub(crate) fn global() -> io::Result<&'static Runtime> {
    GLOBAL
        .get_or_init(|| Runtime::builder().build().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.clone()))
}

/// The statistics of the calling goroutine's runtime, else of the global runtime if it has
/// started, else empty ones.
pub(crate) fn current_stats() -> gpm_m::Stats {
    match Scheduler::current() {
        Some(s) => s.stats(),
        None => match GLOBAL.get() {
            Some(Ok(rt)) => rt.sched.stats(),
            _ => gpm_m::Stats::default(),
        },
    }
}

/// The scheduler to spawn on: the calling goroutine's, else the global one.
pub(crate) fn current_or_global() -> io::Result<Arc<Scheduler>> {
    if gpm_g::shutting_down() {
        return Err(io::Error::other(
            "gpm: cannot spawn while the runtime is shutting down",
        ));
    }
    match Scheduler::current() {
        Some(s) => Ok(s),
        None => Ok(global()?.sched.clone()),
    }
}
