//! Spawning goroutines: `spawn`, `go!` and the per-goroutine `Builder`. Under `cfg(loom)`
//! a goroutine is a loom thread (see `crate::loom`).

use std::io;

#[cfg(not(loom))]
use gpm_g::GId;
#[cfg(not(loom))]
use gpm_m::Scheduler;

use crate::join::JoinHandle;
#[cfg(not(loom))]
use crate::join::Task;
use crate::runtime;

/// Spawns a goroutine on the current runtime (the caller's, inside a goroutine; the global
/// one otherwise) and returns its handle.
///
/// # Panics
/// If the global runtime cannot start (a bad `GPM_PROCS`) or the runtime has shut down,
/// like `std::thread::spawn` panics when it cannot create a thread. Use [`Builder::spawn`]
/// to get an error instead.
///
/// ```
/// // Outside any goroutine: spawns on the global runtime, started on first use.
/// let square = |x: u64| x * x;
/// let job = move || square(12); // a closure held in a variable: `spawn`, not `go!`
/// let h = gpm::spawn(job);
/// assert_eq!(h.join().unwrap(), 144);
/// ```
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new()
        .spawn(f)
        .unwrap_or_else(|e| panic!("gpm: failed to spawn a goroutine: {e}"))
}

/// Spawns a goroutine.
///
/// - `go!(move || body)` / `go!(|| body)` spawn the closure;
/// - `go!(expr)` spawns a goroutine that evaluates `expr` (moving what it uses), e.g.
///   `go!(fib(30))`. To spawn a closure held in a variable, call [`spawn`].
///
/// Returns a [`JoinHandle`].
///
/// ```
/// let n = 10;
/// let a = gpm::go!(move || n + 1); // Go's `go f()`, with a handle
/// let b = gpm::go!(n * 2); // an expression: evaluated in the new goroutine
/// let c = gpm::go!(|| "no captures");
/// assert_eq!((a.join().unwrap(), b.join().unwrap(), c.join().unwrap()), (11, 20, "no captures"));
/// ```
#[macro_export]
macro_rules! go {
    (move || $($body:tt)*) => {
        $crate::spawn(move || $($body)*)
    };
    (|| $($body:tt)*) => {
        $crate::spawn(|| $($body)*)
    };
    ($e:expr) => {
        $crate::spawn(move || $e)
    };
}

/// Configures one goroutine before it is spawned: its name (shown in the stack-overflow
/// message) and its stack size.
///
/// ```
/// let h = gpm::Builder::new()
///     .name("resolver")
///     .stack_size(64 * 1024)
///     .spawn(|| 40 + 2)
///     .unwrap();
/// assert_eq!(h.join().unwrap(), 42);
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
}

impl Builder {
    /// A builder with the runtime's defaults.
    ///
    /// ```
    /// let h = gpm::Builder::new().spawn(|| "defaults").unwrap(); // like `gpm::spawn`
    /// assert_eq!(h.join().unwrap(), "defaults");
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the goroutine.
    ///
    /// ```
    /// // The name shows in the stack-overflow report and the deadlock report.
    /// let h = gpm::Builder::new().name("fetcher-1").spawn(|| 1).unwrap();
    /// assert_eq!(h.join().unwrap(), 1);
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Sets the goroutine's stack size in bytes (rounded up to whole pages, at least
    /// [`crate::MIN_STACK_SIZE`]).
    ///
    /// ```
    /// let h = gpm::Builder::new()
    ///     .stack_size(4 << 20) // 4 MiB for a deep recursion
    ///     .spawn(|| {
    ///         fn depth(n: u32) -> u32 {
    ///             if n == 0 { 0 } else { 1 + std::hint::black_box(depth(n - 1)) }
    ///         }
    ///         depth(5_000)
    ///     })
    ///     .unwrap();
    /// assert_eq!(h.join().unwrap(), 5_000);
    /// ```
    pub fn stack_size(mut self, size: usize) -> Builder {
        self.stack_size = Some(size);
        self
    }

    /// Spawns the goroutine on the current runtime (the caller's, inside a goroutine; the
    /// global one otherwise).
    ///
    /// ```
    /// let h: std::io::Result<gpm::JoinHandle<u8>> = gpm::Builder::new().spawn(|| 9);
    /// assert_eq!(h.unwrap().join().unwrap(), 9);
    /// // Errors come back instead of panicking, e.g. an impossible stack size.
    /// assert!(gpm::Builder::new().stack_size(usize::MAX).spawn(|| ()).is_err());
    /// ```
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        #[cfg(loom)]
        {
            self.stack_size
                .map(runtime::checked_stack_size)
                .transpose()?;
            Ok(crate::loom::spawn(self.name, f))
        }
        #[cfg(not(loom))]
        {
            runtime::with_current_or_global(|sched| self.spawn_on(sched, f))?
        }
    }

    #[cfg(not(loom))]
    pub(crate) fn spawn_on<F, T>(self, sched: &Scheduler, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let stack_size = self
            .stack_size
            .map(runtime::checked_stack_size)
            .transpose()?;
        let id = GId::next();
        let task = sched.spawn(id, Task::new(id, f), self.name, stack_size)?;
        Ok(JoinHandle {
            packet: task.map(|t| &t.packet),
            id,
        })
    }
}
