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
///
/// ```
/// assert_eq!(gpm::DEFAULT_STACK_SIZE, 256 * 1024);
/// // A goroutine with the default stack has room for a 64 KiB local buffer.
/// let h = gpm::go!(|| {
///     let buf = std::hint::black_box([1u8; 64 * 1024]);
///     buf.iter().map(|&b| u32::from(b)).sum::<u32>()
/// });
/// assert_eq!(h.join().unwrap(), 64 * 1024);
/// ```
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// The smallest stack a goroutine gets; smaller requests are rounded up.
///
/// ```
/// // A tiny request is rounded up to MIN_STACK_SIZE, enough for shallow goroutines.
/// let h = gpm::Builder::new().stack_size(1).spawn(|| 1 + 1).unwrap();
/// assert_eq!(h.join().unwrap(), 2);
/// assert_eq!(gpm::MIN_STACK_SIZE, 16 * 1024);
/// ```
pub const MIN_STACK_SIZE: usize = 16 * 1024;

/// Upper bound on a goroutine stack (Go's limit on 64-bit).
///
/// ```
/// let too_big = gpm::Builder::new().stack_size(gpm::MAX_STACK_SIZE + 1).spawn(|| ());
/// assert_eq!(too_big.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
/// ```
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
///
/// ```
/// assert_eq!(gpm::PROCS_ENV, "GPM_PROCS");
/// // `GPM_PROCS=4 ./app` gives the global runtime (and `Runtime::new`) 4 Ps; an explicit
/// // `procs` wins over the variable.
/// let rt = gpm::Runtime::builder().procs(3).build().unwrap();
/// assert_eq!(rt.procs(), 3);
/// ```
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
///
/// ```
/// let rt = gpm::Runtime::builder()
///     .procs(2)
///     .stack_size(64 * 1024)
///     .thread_name("worker")
///     .max_threads(16)
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(|| 6 * 7), 42);
/// ```
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
    ///
    /// ```
    /// let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    /// assert_eq!(rt.procs(), 2);
    /// assert_eq!(rt.stats().ps.len(), 2);
    /// assert!(gpm::Runtime::builder().procs(0).build().is_err());
    /// ```
    pub fn procs(mut self, n: usize) -> Self {
        self.procs = Some(n);
        self
    }

    /// The default stack size of this runtime's goroutines, in bytes.
    ///
    /// ```
    /// let rt = gpm::Runtime::builder().procs(1).stack_size(4 << 20).build().unwrap();
    /// // 4 MiB stacks: room for a 1 MiB local array (address space, touched page by page).
    /// let n = rt.block_on(|| {
    ///     let big = std::hint::black_box([7u8; 1 << 20]);
    ///     big.len()
    /// });
    /// assert_eq!(n, 1 << 20);
    /// ```
    pub fn stack_size(mut self, size: usize) -> Self {
        self.stack_size = Some(size);
        self
    }

    /// The name prefix of the worker threads (default `gpm-m`).
    ///
    /// ```
    /// let rt = gpm::Runtime::builder().procs(1).thread_name("docs").build().unwrap();
    /// let name = rt.block_on(|| std::thread::current().name().map(String::from));
    /// assert!(name.unwrap().starts_with("docs-")); // `docs-0`, `docs-1`, ...
    /// ```
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.thread_name = Some(name.into());
        self
    }

    /// The most worker threads the runtime starts (default 512, and at least `procs`).
    /// Threads beyond `procs` take over the Ps of goroutines stuck in [`crate::syscall`]
    /// or in long computations; at the limit, queued goroutines wait for those to return.
    ///
    /// ```
    /// let rt = gpm::Runtime::builder().procs(1).max_threads(2).build().unwrap();
    /// rt.block_on(|| {
    ///     let hs: Vec<_> = (0..4)
    ///         .map(|_| gpm::go!(|| gpm::syscall(|| std::thread::sleep(std::time::Duration::from_millis(1)))))
    ///         .collect();
    ///     hs.into_iter().for_each(|h| h.join().unwrap());
    /// });
    /// assert!(rt.stats().ms <= 2);
    /// ```
    pub fn max_threads(mut self, n: usize) -> Self {
        self.max_threads = Some(n);
        self
    }

    /// Whether sysmon hands the P of a goroutine stuck in a blocking call or a long
    /// computation to another thread (default: yes). Turning it off brings back the
    /// stall that the handoff exists to prevent; it is here to measure what it buys.
    ///
    /// ```
    /// // Without handoff a goroutine blocked in `syscall` holds its P: fine for one-P
    /// // measurements, not for production.
    /// let rt = gpm::Runtime::builder().procs(1).handoff(false).build().unwrap();
    /// let v = rt.block_on(|| gpm::syscall(|| 5));
    /// assert_eq!(v, 5);
    /// ```
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
    ///
    /// ```
    /// let rt = gpm::Runtime::builder().procs(1).build().unwrap();
    /// assert_eq!(rt.block_on(|| "ran"), "ran");
    /// let err = gpm::Runtime::builder().procs(0).build().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
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
            if let Err(e) = crate::trace::start(owner_id(&sched), path, procs, explicit) {
                // No `Runtime` will drop it: stop sysmon (started early for schedtrace).
                sched.shutdown();
                return Err(e);
            }
        }
        Ok(Runtime { sched })
    }
}

/// A gpm runtime: `procs` Ps, the worker threads (Ms) that run them, and its goroutines.
///
/// Dropping a runtime stops its workers and unwinds every goroutine still alive, so their
/// destructors run; their `JoinHandle`s then return an error. Several runtimes can live in
/// one process; `go!` outside any goroutine uses a global one started on first use.
///
/// ```
/// let rt = gpm::Runtime::builder().procs(2).build().unwrap();
/// let (tx, rx) = gpm::bounded::<()>(0);
/// // A goroutine that waits for ever...
/// let stuck = rt.spawn(move || {
///     let _ = rx.recv();
/// });
/// drop(rt); // ...is unwound when its runtime is dropped (its destructors run),
/// assert!(stuck.join().is_err()); // and its handle reports that it did not finish.
/// drop(tx);
/// ```
pub struct Runtime {
    sched: Arc<Scheduler>,
}

impl Runtime {
    /// A builder with the defaults.
    ///
    /// ```
    /// let rt = gpm::Runtime::builder().procs(1).build().unwrap();
    /// assert_eq!(rt.procs(), 1);
    /// ```
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// A runtime with the defaults.
    ///
    /// ```
    /// let rt = gpm::Runtime::new().unwrap(); // GPM_PROCS Ps if set, else one per CPU
    /// assert!(rt.procs() >= 1);
    /// assert_eq!(rt.block_on(|| 1 + 1), 2);
    /// ```
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
    ///
    /// ```
    /// let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    /// let sum = rt.block_on(|| {
    ///     // Inside: a goroutine of `rt`, so `go!` spawns on `rt` too.
    ///     let hs: Vec<_> = (1..=10u64).map(|i| gpm::go!(move || i * i)).collect();
    ///     hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    /// });
    /// assert_eq!(sum, 385);
    /// // A panic in `f` comes out of `block_on`.
    /// let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(|| panic!("boom"))));
    /// assert!(r.is_err());
    /// ```
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
    ///
    /// ```
    /// let rt = gpm::Runtime::builder().procs(1).build().unwrap();
    /// let h = rt.spawn(|| "hello from rt"); // from a plain thread: spawns on `rt`
    /// assert_eq!(h.join().unwrap(), "hello from rt"); // blocks this thread
    /// ```
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
    ///
    /// ```
    /// let rt = gpm::Runtime::builder().procs(1).build().unwrap();
    /// let h = rt
    ///     .spawn_with(gpm::Builder::new().name("parser").stack_size(64 * 1024), || 7)
    ///     .unwrap();
    /// assert_eq!(h.join().unwrap(), 7);
    /// ```
    pub fn spawn_with<F, T>(&self, builder: Builder, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        builder.spawn_on(&self.sched, f)
    }

    /// The number of Ps.
    ///
    /// ```
    /// let rt = gpm::Runtime::builder().procs(3).build().unwrap();
    /// assert_eq!(rt.procs(), 3);
    /// ```
    pub fn procs(&self) -> usize {
        self.sched.config().procs
    }

    /// The number of goroutines alive (spawned and not yet finished).
    ///
    /// ```
    /// let rt = gpm::Runtime::builder().procs(1).build().unwrap();
    /// let (tx, rx) = gpm::bounded::<()>(0);
    /// let waiter = rt.spawn(move || rx.recv().is_err());
    /// assert!(rt.live_goroutines() >= 1); // `waiter` is alive until the channel closes
    /// drop(tx);
    /// assert!(waiter.join().unwrap());
    /// ```
    pub fn live_goroutines(&self) -> usize {
        self.sched.live()
    }

    /// A snapshot of this runtime's scheduler: goroutines, threads, Ps, timers and per-P
    /// counters (see [`crate::stats`]).
    ///
    /// ```
    /// let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    /// rt.block_on(|| gpm::go!(|| ()).join().unwrap());
    /// let s = rt.stats();
    /// assert_eq!(s.ps.len(), 2);
    /// assert!(s.ps.iter().map(|p| p.spawned).sum::<u64>() >= 1);
    /// ```
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

/// Calls `f` with the scheduler to spawn on: the calling goroutine's, else the global one.
pub(crate) fn with_current_or_global<R>(f: impl FnOnce(&Scheduler) -> R) -> io::Result<R> {
    if gpm_g::shutting_down() {
        return Err(io::Error::other(
            "gpm: cannot spawn while the runtime is shutting down",
        ));
    }
    let mut f = Some(f);
    if let Some(r) = Scheduler::with_current(|s| f.take().expect("called once")(s)) {
        return Ok(r);
    }
    let f = f.take().expect("not called");
    Ok(f(&global()?.sched))
}
