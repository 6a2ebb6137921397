//! # gpm: Go's G·P·M scheduler for Rust
//!
//! | Go | gpm |
//! |---|---|
//! | `go f()` | [`go!`]`(move \|\| f())`, or [`spawn`]`(f)`; both return a [`JoinHandle`] |
//! | `make(chan T)` | [`bounded`]`(0)`: a rendezvous channel, `(Sender<T>, Receiver<T>)` |
//! | `make(chan T, n)` | [`bounded`]`(n)`; no limit at all: [`unbounded`]`()` |
//! | `ch <- v` / `v := <-ch` | `tx.send(v)` / `rx.recv()` |
//! | `close(ch)` | drop every [`Sender`] |
//! | `v, ok := <-ch` | `rx.recv()`: `Err(`[`chan::RecvError`]`)` once closed and drained |
//! | `for v := range ch` | `for v in &rx` |
//! | `select { case v := <-a: … case b <- x: … }` | [`select!`]` { recv(a) -> v => …, send(b, x) -> res => … }` |
//! | `default:` | `default => …` (and `default(timeout) => …`) |
//! | `select {}` | `select! {}` |
//! | a `nil` channel | [`chan::never`]`()` |
//! | `time.After(d)` / `time.Tick(d)` | [`chan::after`]`(d)` / [`chan::tick`]`(d)` |
//! | `time.Sleep(d)` | [`time::sleep`]`(d)` |
//! | `sync.WaitGroup` | [`sync::WaitGroup`] (`add`, `done`, `wait`) |
//! | `sync.Mutex` / `sync.RWMutex` | [`sync::Mutex`] / [`sync::RwLock`] (guards, no `Unlock`) |
//! | `sync.Once` / `sync.Cond` | [`sync::Once`] / [`sync::Condvar`] |
//! | `runtime.Gosched()` | [`yield_now`]`()` |
//! | `runtime.LockOSThread()` | [`lock_os_thread`]`()` / [`unlock_os_thread`]`()` |
//! | `runtime.NumGoroutine()` | [`stats`]`().live` |
//! | `GOMAXPROCS` | [`RuntimeBuilder::procs`], or the `GPM_PROCS` environment variable |
//! | `net.Listen("tcp", a)` / `net.Dial("tcp", a)` | [`net::TcpListener::bind`]`(a)` / [`net::TcpStream::connect`]`(a)` |
//! | `func main()` / `func TestX(t *testing.T)` | [`#[gpm::main]`](macro@main) / [`#[gpm::test]`](macro@test): the body runs as a goroutine |
//! | `GODEBUG=schedtrace=1000` | `GPM_DEBUG=schedtrace=1000`, or [`RuntimeBuilder::schedtrace`] |
//! | `go tool trace` | `GPM_TRACE=trace.json`, or [`RuntimeBuilder::trace`]: Chrome trace JSON for Perfetto, or the `gpm-trace` page (see [`trace`]) |
//!
//! Spawn anything, block anywhere: a goroutine is a closure with its own stack, written as
//! plain blocking Rust. When it waits (a join, a sleep, a channel, a socket) it
//! parks, and its OS thread runs another goroutine.
//!
//! ```
//! let h = gpm::go!(move || {
//!     gpm::time::sleep(std::time::Duration::from_millis(1));
//!     6 * 7
//! });
//! assert_eq!(h.join().unwrap(), 42);
//! ```
//!
//! - [`go!`] / [`spawn`] / [`Builder`]: start goroutines on the current runtime;
//! - [`JoinHandle`]: join (park inside a goroutine, block outside), `is_finished`, `id`;
//! - [`Runtime`]: an explicit runtime (`procs`, stack size) with `block_on` and `spawn`;
//!   without one, `go!` starts a global runtime on first use, with `GPM_PROCS` Ps if that
//!   variable is set, else one per available CPU;
//! - [`yield_now`], [`time::sleep`];
//! - [`chan`]: Go's channels with crossbeam-channel's API: [`bounded`]`(0)` (rendezvous),
//!   [`bounded`]`(n)`, [`unbounded`], [`select!`], `Select`, `after`, `tick`, `never`;
//! - [`net`]: std's `TcpListener`, `TcpStream`, `UdpSocket` and Unix sockets on the
//!   runtime's netpoller — a read, write, accept or connect that would block parks the
//!   goroutine; outside a goroutine they behave exactly like the std types;
//! - [`sync`]: Go's `sync` package: `Mutex`, `RwLock`, `Condvar`, `Semaphore`,
//!   `WaitGroup`, `Once`, `OnceLock`, `Barrier` — a wait parks the goroutine, and one
//!   object serves goroutines and threads at once.
//!
//! ```
//! let (tx, rx) = gpm::bounded(0); // Go's make(chan i32)
//! let h = gpm::go!(move || {
//!     for i in 0..3 {
//!         tx.send(i).unwrap(); // parks until the receiver takes it
//!     }
//! }); // dropping `tx` at the end closes the channel
//! let got: Vec<i32> = rx.iter().collect();
//! assert_eq!(got, [0, 1, 2]);
//! h.join().unwrap();
//! ```
//!
//! A panic in a goroutine is caught at its boundary and returned by `join` as
//! `Err(payload)`, like `std::thread`; other goroutines keep running. A stack overflow hits
//! a guard page and aborts with `goroutine <id> (<name>) has overflowed its stack`.
//!
//! # The one inherent hazard
//!
//! A goroutine that blocks in gpm (join, sleep, yield, channel operations, socket
//! operations) may continue on a different OS thread. Never hold thread-bound state across
//! such a call: a borrow of a `thread_local!` (the compiler may even keep a thread-local's
//! address across the call, so re-enter `LocalKey::with` after blocking rather than caching
//! anything from it), a `std::sync::MutexGuard`, or any `!Send` value tied to the thread.
//! Every M:N runtime with stackful coroutines has this hazard (`may` #6; `corosensei`
//! makes its coroutines `!Send` for this reason); gpm documents it rather than hiding it.
//!
//! The cure is [`lock_os_thread`] (Go's `LockOSThread`): a pinned goroutine runs only on
//! the thread that pinned it, so thread-locals, thread-affine handles (a GUI context, an
//! OpenGL context, a `!Send` FFI object) and even a `MutexGuard` held across a blocking gpm
//! call stay on their thread. While the goroutine is pinned its thread runs nothing else;
//! [`unlock_os_thread`] ends it.
//!
//! ```
//! use std::cell::Cell;
//! thread_local! { static DEPTH: Cell<u32> = const { Cell::new(0) }; }
//!
//! let rt = gpm::Runtime::builder().procs(2).build().unwrap();
//! rt.block_on(|| {
//!     gpm::lock_os_thread();
//!     let me = std::thread::current().id();
//!     DEPTH.with(|d| d.set(7));
//!     for _ in 0..10 {
//!         gpm::time::sleep(std::time::Duration::from_millis(1)); // parks, resumes here
//!     }
//!     assert_eq!(std::thread::current().id(), me);
//!     assert_eq!(DEPTH.with(|d| d.get()), 7);
//!     gpm::unlock_os_thread();
//! });
//! ```

/// Go's channels: `bounded(0)` (rendezvous), `bounded(n)`, `unbounded()`, `select!`,
/// `Select`, and the time channels `after`, `at`, `tick`, `never`. The API is
/// crossbeam-channel's; a blocking operation parks the goroutine inside the runtime and
/// blocks the thread outside it. See the [`gpm_chan`] crate docs.
///
/// ```
/// use std::time::Duration;
/// use gpm::chan::{after, bounded, select};
///
/// let (tx, rx) = bounded(1);
/// gpm::go!(move || tx.send("work").unwrap());
/// select! {
///     recv(rx) -> msg => assert_eq!(msg, Ok("work")),
///     recv(after(Duration::from_secs(10))) -> _ => panic!("timed out"), // Go's time.After
/// }
/// ```
pub mod chan {
    pub use gpm_chan::*;
}

pub use gpm_chan::{bounded, select, unbounded, Receiver, Sender};

/// Go's `sync` package: `Mutex`, `RwLock`, `Condvar`, `Semaphore`, `WaitGroup`, `Once`,
/// `OnceLock` and `Barrier`, with std's API minus poisoning. A call that must wait parks
/// the goroutine inside the runtime (its M runs others) and blocks the thread outside it;
/// goroutines and threads can share one object. See the [`gpm_sync`] crate docs.
///
/// ```
/// let rt = gpm::Runtime::builder().procs(2).build().unwrap();
/// let n = rt.block_on(|| {
///     let total = std::sync::Arc::new(gpm::sync::Mutex::new(0));
///     let wg = gpm::sync::WaitGroup::new();
///     for _ in 0..100 {
///         wg.add(1);
///         let (total, wg) = (total.clone(), wg.clone());
///         gpm::go!(move || {
///             *total.lock() += 1;
///             wg.done();
///         });
///     }
///     wg.wait(); // parks this goroutine until the count is zero
///     let n = *total.lock();
///     n
/// });
/// assert_eq!(n, 100);
/// ```
pub mod sync {
    pub use gpm_sync::*;
}

#[cfg(not(loom))]
mod debug;
mod join;
#[cfg(loom)]
pub mod loom;
pub mod net;
#[cfg_attr(loom, path = "loom/runtime.rs")]
mod runtime;
mod spawn;
pub mod time;
#[cfg(not(loom))]
pub mod trace;

#[cfg(not(loom))]
pub use debug::DEBUG_ENV;
pub use gpm_m::{PCounters, Stats};
pub use gpm_macros::{main, test};
pub use join::{GoroutineId, JoinHandle};
pub use runtime::{
    Runtime, RuntimeBuilder, DEFAULT_STACK_SIZE, MAX_STACK_SIZE, MIN_STACK_SIZE, PROCS_ENV,
};
pub use spawn::{spawn, Builder};

/// Lets other goroutines run: the caller goes to the back of its P's run queue. Outside a
/// goroutine it yields the OS thread.
///
/// ```
/// use std::sync::Arc;
///
/// let rt = gpm::Runtime::builder().procs(1).build().unwrap();
/// let order = rt.block_on(|| {
///     let log = Arc::new(gpm::sync::Mutex::new(Vec::new()));
///     let l = log.clone();
///     let other = gpm::go!(move || l.lock().push("other"));
///     gpm::yield_now(); // our only P runs `other` before we continue
///     log.lock().push("me");
///     other.join().unwrap();
///     let v = log.lock().clone();
///     v
/// });
/// assert_eq!(order, ["other", "me"]);
/// ```
pub fn yield_now() {
    #[cfg(loom)]
    ::loom::thread::yield_now();
    #[cfg(not(loom))]
    gpm_g::yield_now();
}

/// Runs `f`, a call that blocks its thread (file I/O, a blocking library call,
/// `std::thread::sleep`), without holding up the other goroutines of this goroutine's P
/// (Go's `entersyscall`/`exitsyscall`). The goroutine keeps its thread for the call; if the
/// call takes long while goroutines wait, the runtime's monitor (sysmon) hands the P to
/// another thread. Afterwards the goroutine takes a P back (its old one if free) or waits
/// for one. A quick call costs a few tens of nanoseconds. Outside a goroutine it just
/// calls `f`.
///
/// ```
/// let rt = gpm::Runtime::builder().procs(1).build().unwrap();
/// let len = rt.block_on(|| {
///     let other = gpm::go!(|| 6 * 7); // runs while we block below
///     let len = gpm::syscall(|| std::fs::read("Cargo.toml").map(|b| b.len()));
///     assert_eq!(other.join().unwrap(), 42);
///     len
/// });
/// assert!(len.unwrap() > 0);
/// ```
pub fn syscall<R>(f: impl FnOnce() -> R) -> R {
    gpm_m::syscall(f)
}

/// A snapshot of the scheduler running the calling goroutine (outside any goroutine: of
/// the global runtime, if it has started; otherwise all zeros): goroutines live, runnable,
/// parked and in [`syscall`]; threads in all, idle, spinning and pinned; idle Ps; pending
/// timers; and per P the goroutines spawned, finished, stolen (and steals), taken from the
/// global queue, parked and readied. The counters are plain per-P stores, cheap enough to
/// leave on, and the snapshot is a racy sum of them. `Display` prints one line in the
/// manner of Go's `GODEBUG=schedtrace`.
///
/// ```
/// let rt = gpm::Runtime::builder().procs(2).build().unwrap();
/// let s = rt.block_on(|| {
///     let hs: Vec<_> = (0..10).map(|i| gpm::go!(move || i)).collect();
///     hs.into_iter().for_each(|h| drop(h.join()));
///     gpm::stats()
/// });
/// assert_eq!(s.ps.len(), 2);
/// assert!(s.ps.iter().map(|p| p.spawned).sum::<u64>() >= 10);
/// assert!(s.live >= 1); // the block_on goroutine itself
/// println!("{s}");
/// ```
pub fn stats() -> Stats {
    runtime::current_stats()
}

/// Pins the calling goroutine to its OS thread (Go's `runtime.LockOSThread`): until the
/// matching [`unlock_os_thread`] it runs only on this thread, and the thread runs no
/// other goroutine. Calls nest. When the pinned goroutine blocks, its thread sleeps and
/// its P serves other goroutines; each wake-up of a pinned goroutine therefore costs a
/// thread handoff, so pin only code that needs a fixed thread (see the crate docs on the
/// one inherent hazard). Unlike Go, a goroutine that exits while pinned leaves its thread
/// to the runtime, which reuses it. A no-op outside a goroutine.
///
/// ```
/// use std::time::Duration;
///
/// let rt = gpm::Runtime::builder().procs(2).build().unwrap();
/// rt.block_on(|| {
///     gpm::lock_os_thread();
///     let me = std::thread::current().id();
///     gpm::time::sleep(Duration::from_millis(1)); // parks; resumes on the same thread
///     gpm::go!(|| ()).join().unwrap();
///     assert_eq!(std::thread::current().id(), me);
///     gpm::unlock_os_thread();
/// });
/// ```
pub fn lock_os_thread() {
    gpm_m::lock_os_thread();
}

/// Undoes one [`lock_os_thread`]; once every call is undone the goroutine may migrate
/// again. Unpaired calls are no-ops, as in Go.
///
/// ```
/// use std::time::Duration;
///
/// let rt = gpm::Runtime::builder().procs(2).build().unwrap();
/// rt.block_on(|| {
///     gpm::lock_os_thread();
///     gpm::lock_os_thread(); // calls nest
///     let me = std::thread::current().id();
///     gpm::unlock_os_thread(); // one lock left: still pinned
///     gpm::time::sleep(Duration::from_millis(1));
///     assert_eq!(std::thread::current().id(), me);
///     gpm::unlock_os_thread(); // free to migrate again
///     gpm::unlock_os_thread(); // unpaired: a no-op
/// });
/// ```
pub fn unlock_os_thread() {
    gpm_m::unlock_os_thread();
}

/// The id of the calling goroutine, or `None` outside any goroutine.
///
/// ```
/// assert_eq!(gpm::current_id(), None); // not a goroutine
/// let h = gpm::go!(|| gpm::current_id());
/// let id = h.id();
/// assert_eq!(h.join().unwrap(), Some(id));
/// ```
pub fn current_id() -> Option<GoroutineId> {
    #[cfg(loom)]
    return crate::loom::current_id();
    #[cfg(not(loom))]
    gpm_g::current_id()
}
