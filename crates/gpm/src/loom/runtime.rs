//! `Runtime` under loom (this file replaces `runtime.rs` when compiled with `--cfg loom`):
//! the same API, but no Ps, no Ms and no netpoller. Every goroutine is a loom thread
//! whichever runtime spawns it, and [`Runtime::block_on`] runs its closure on the calling
//! thread, which blocks for exactly as long as with the real runtime. The builder still
//! validates its settings, so a model reports the same configuration errors.

use std::io;
use std::thread;

use crate::spawn::Builder;
use crate::JoinHandle;

/// The default goroutine stack size (used only for validation under loom).
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// The smallest stack a goroutine gets.
pub const MIN_STACK_SIZE: usize = 16 * 1024;

/// Upper bound on a goroutine stack.
pub const MAX_STACK_SIZE: usize = 1 << 30;

/// The environment variable that sets the number of Ps when the builder does not.
pub const PROCS_ENV: &str = "GPM_PROCS";

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

/// Configures a [`Runtime`]; under loom only `procs` and `stack_size` are checked, and
/// nothing is started.
#[derive(Debug, Clone, Default)]
pub struct RuntimeBuilder {
    procs: Option<usize>,
    stack_size: Option<usize>,
}

impl RuntimeBuilder {
    /// The number of Ps (reported by [`Runtime::procs`]; under loom goroutines are not
    /// limited by it).
    pub fn procs(mut self, n: usize) -> Self {
        self.procs = Some(n);
        self
    }

    /// The default stack size of this runtime's goroutines, in bytes (validated only).
    pub fn stack_size(mut self, size: usize) -> Self {
        self.stack_size = Some(size);
        self
    }

    /// Ignored under loom (there are no worker threads).
    pub fn thread_name(self, _name: impl Into<String>) -> Self {
        self
    }

    /// Ignored under loom.
    pub fn max_threads(self, _n: usize) -> Self {
        self
    }

    /// Ignored under loom (there is no sysmon).
    pub fn handoff(self, _on: bool) -> Self {
        self
    }

    /// Creates the runtime.
    pub fn build(self) -> io::Result<Runtime> {
        let procs = match self.procs {
            Some(n) => n,
            None => match std::env::var(PROCS_ENV).ok() {
                Some(v) => v.trim().parse::<usize>().map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("gpm: {PROCS_ENV} must be a positive integer, got {v:?}"),
                    )
                })?,
                None => thread::available_parallelism().map_or(1, |n| n.get()),
            },
        };
        if procs == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "gpm: procs must be at least 1",
            ));
        }
        checked_stack_size(self.stack_size.unwrap_or(DEFAULT_STACK_SIZE))?;
        Ok(Runtime { procs })
    }
}

/// A gpm runtime; under loom a name for "the model": its goroutines are loom threads.
pub struct Runtime {
    procs: usize,
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

    /// Runs `f` on the calling thread and returns its result (under loom; see the module
    /// docs). A deadlock is loom's to report.
    pub fn block_on<F, T>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        f()
    }

    /// Spawns a goroutine (a loom thread).
    pub fn spawn<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        crate::spawn(f)
    }

    /// Spawns a goroutine configured by `builder`.
    pub fn spawn_with<F, T>(&self, builder: Builder, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        builder.spawn(f)
    }

    /// The number of Ps it was built with.
    pub fn procs(&self) -> usize {
        self.procs
    }

    /// The goroutines of the current loom execution still running.
    pub fn live_goroutines(&self) -> usize {
        crate::loom::live()
    }

    /// Empty under loom: there is no scheduler to count.
    pub fn stats(&self) -> gpm_m::Stats {
        gpm_m::Stats::default()
    }
}

/// Empty under loom: there is no scheduler to count.
pub(crate) fn current_stats() -> gpm_m::Stats {
    gpm_m::Stats::default()
}

/// Nothing to stop under loom; the impl keeps `drop(rt)` meaning what it means without loom.
impl Drop for Runtime {
    fn drop(&mut self) {}
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("procs", &self.procs())
            .field("live_goroutines", &self.live_goroutines())
            .finish()
    }
}
