//! Helpers shared by the `gpm::chan` integration tests (`chan_api.rs` and
//! `chan_select.rs`; each integration test is its own crate and includes this module
//! with `mod common;`).
//!
//! Here: the test timeouts ([`T50`], [`LONG`], [`WATCHDOG`], [`STALL`]); runtimes and
//! [`in_every_context`]; polling without sleeping ([`poll`], [`eventually`]); peers of the
//! caller's kind ([`Handle`], [`peer`]) and [`Waiter`]s that are known to be parked (a
//! goroutine's G state, a thread's `/proc` state); `Drop`-counted messages ([`Tracker`],
//! [`D`]); the channel [`Flavor`]s; and small assertions and channel helpers.

#![allow(dead_code)]

use std::fmt;
use std::panic;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use gpm::chan::{
    bounded, unbounded, Receiver, RecvError, RecvTimeoutError, SendError, SendTimeoutError, Sender,
};

// ---------------------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------------------

/// The timeout used where a timeout is what is tested.
pub const T50: Duration = Duration::from_millis(50);
/// A wait that must never expire in a passing run.
pub const LONG: Duration = Duration::from_secs(3600);
/// Turns a hang of a helper loop into a failure.
pub const WATCHDOG: Duration = Duration::from_secs(60);
/// No progress for this long in a stress test is a lost wakeup, not slowness.
pub const STALL: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// Runtimes, polling, peers and waiters
// ---------------------------------------------------------------------------------------

pub fn runtime(procs: usize) -> gpm::Runtime {
    gpm::Runtime::builder().procs(procs).build().unwrap()
}

/// Runs `f` on the calling test thread, then as a goroutine on a one-P and a two-P runtime.
pub fn in_every_context(f: impl Fn() + Send + Sync + Clone + 'static) {
    f();
    for procs in [1, 2] {
        let f = f.clone();
        runtime(procs).block_on(f);
    }
}

/// Polls `f` (yielding in between) until it gives a value; fails after [`WATCHDOG`].
pub fn poll<R>(what: &str, mut f: impl FnMut() -> Option<R>) -> R {
    let start = Instant::now();
    loop {
        if let Some(r) = f() {
            return r;
        }
        assert!(start.elapsed() < WATCHDOG, "gave up waiting: {what}");
        gpm::yield_now();
    }
}

/// Polls `f` until it is true or `limit` passes; returns whether it became true.
pub fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if f() {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
        gpm::yield_now();
    }
}

/// A goroutine or a thread, joinable.
pub enum Handle<T> {
    G(gpm::JoinHandle<T>),
    T(thread::JoinHandle<T>),
}

impl<T> Handle<T> {
    pub fn join_result(self) -> thread::Result<T> {
        match self {
            Handle::G(h) => h.join(),
            Handle::T(h) => h.join(),
        }
    }

    pub fn join(self) -> T {
        self.join_result()
            .unwrap_or_else(|e| panic::resume_unwind(e))
    }

    pub fn is_finished(&self) -> bool {
        match self {
            Handle::G(h) => h.is_finished(),
            Handle::T(h) => h.is_finished(),
        }
    }
}

/// Spawns a peer of the caller's kind: a goroutine (on the caller's runtime) inside a
/// goroutine, a thread outside.
pub fn peer<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Handle<T> {
    if gpm::current_id().is_some() {
        Handle::G(gpm::spawn(f))
    } else {
        Handle::T(thread::spawn(f))
    }
}

/// Who runs a [`Waiter`].
#[derive(Clone, Copy)]
pub enum How<'a> {
    /// A peer of the caller's kind (see [`peer`]).
    Peer,
    /// An OS thread.
    Thread,
    /// A goroutine of this runtime.
    On(&'a gpm::Runtime),
}

/// How to tell whether a waiter is parked.
pub enum Id {
    G(gpm_g::GRef),
    Tid(libc::pid_t),
}

impl Id {
    pub fn current() -> Id {
        match gpm_g::current() {
            Some(g) => Id::G(g),
            // SAFETY: `gettid` has no preconditions.
            None => Id::Tid(unsafe { libc::gettid() }),
        }
    }

    pub fn is_parked(&self) -> bool {
        match self {
            Id::G(g) => g.state() == gpm_g::state::PARKED,
            Id::Tid(tid) => thread_state(*tid) == Some('S'),
        }
    }
}

/// The scheduler state letter of one of this process's threads (`S`: sleeping).
pub fn thread_state(tid: libc::pid_t) -> Option<char> {
    let s = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 1..];
    rest.trim_start().chars().next()
}

/// A goroutine or thread that is expected to block in a channel operation or a select.
pub struct Waiter<T> {
    h: Handle<T>,
    id: Id,
}

impl<T: Send + 'static> Waiter<T> {
    pub fn new(how: How<'_>, f: impl FnOnce() -> T + Send + 'static) -> Waiter<T> {
        let slot: Arc<Mutex<Option<Id>>> = Arc::default();
        let s = slot.clone();
        let body = move || {
            *s.lock().unwrap() = Some(Id::current());
            f()
        };
        let h = match how {
            How::Peer => peer(body),
            How::Thread => Handle::T(thread::spawn(body)),
            How::On(rt) => Handle::G(rt.spawn(body)),
        };
        let id = poll("a waiter to start", || slot.lock().unwrap().take());
        Waiter { h, id }
    }

    /// Returns once the waiter is parked.
    pub fn wait_parked(&self) {
        // A goroutine's PARKED state is exact. A thread's `S` state could also be a brief
        // futex wait elsewhere (a contended allocator lock), so a thread must be seen
        // asleep on consecutive polls spanning at least a millisecond.
        let mut since: Option<(Instant, u32)> = None;
        poll("a waiter to park", || {
            assert!(
                !self.h.is_finished(),
                "the waiter finished instead of blocking"
            );
            since = if self.id.is_parked() {
                let (t, n) = since.unwrap_or((Instant::now(), 0));
                Some((t, n + 1))
            } else {
                None
            };
            let (t, n) = since?;
            let long_enough =
                matches!(self.id, Id::G(_)) || t.elapsed() >= Duration::from_millis(1);
            (n >= 3 && long_enough).then_some(())
        });
    }

    pub fn join(self) -> T {
        self.h.join()
    }

    pub fn join_result(self) -> thread::Result<T> {
        self.h.join_result()
    }
}

// ---------------------------------------------------------------------------------------
// Drop-counted messages
// ---------------------------------------------------------------------------------------

/// Counts, per id, how often a [`D`] was made and dropped.
pub struct Tracker {
    made: Vec<AtomicUsize>,
    dropped: Vec<AtomicUsize>,
}

/// A message with a destructor that the [`Tracker`] counts.
pub struct D {
    pub id: usize,
    t: Arc<Tracker>,
}

impl Tracker {
    pub fn new(n: usize) -> Arc<Tracker> {
        Arc::new(Tracker {
            made: (0..n).map(|_| AtomicUsize::new(0)).collect(),
            dropped: (0..n).map(|_| AtomicUsize::new(0)).collect(),
        })
    }

    pub fn item(self: &Arc<Self>, id: usize) -> D {
        assert_eq!(
            self.made[id].fetch_add(1, SeqCst),
            0,
            "item {id} made twice"
        );
        D {
            id,
            t: self.clone(),
        }
    }

    pub fn made(&self) -> usize {
        self.made.iter().map(|c| c.load(SeqCst)).sum()
    }

    pub fn dropped(&self) -> usize {
        self.dropped.iter().map(|c| c.load(SeqCst)).sum()
    }

    pub fn dropped_id(&self, id: usize) -> usize {
        self.dropped[id].load(SeqCst)
    }

    /// Every item made was dropped exactly once.
    pub fn check(&self) {
        for (id, (m, d)) in self.made.iter().zip(&self.dropped).enumerate() {
            let (m, d) = (m.load(SeqCst), d.load(SeqCst));
            assert_eq!(d, m, "item {id}: made {m} times, dropped {d} times");
        }
    }
}

impl Drop for D {
    fn drop(&mut self) {
        self.t.dropped[self.id].fetch_add(1, SeqCst);
    }
}

impl fmt::Debug for D {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "D({})", self.id)
    }
}

impl PartialEq for D {
    fn eq(&self, other: &D) -> bool {
        self.id == other.id
    }
}

// ---------------------------------------------------------------------------------------
// Channel flavors
// ---------------------------------------------------------------------------------------

/// The channel flavors made by `bounded` and `unbounded`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Zero,
    One,
    Many,
    Unbounded,
}

pub const FLAVORS: [Flavor; 4] = [Flavor::Zero, Flavor::One, Flavor::Many, Flavor::Unbounded];

/// The capacity of a [`Flavor::Many`] channel from [`Flavor::make`].
pub const MANY: usize = 8;
/// The capacity of a [`Flavor::Many`] channel from [`Flavor::make_small`].
pub const SMALL_MANY: usize = 4;

// Two sizings, kept apart because the tests were written against them: `chan_api.rs`
// uses `make`/`capacity`/`room` (a `Many` channel holds 8, and 100 messages stand for an
// unbounded one's room), `chan_select.rs` uses `make_small`/`room_small` (4 and 10).
impl Flavor {
    /// A channel of this flavor; a `Many` one holds [`MANY`].
    pub fn make<T>(self) -> (Sender<T>, Receiver<T>) {
        self.make_with(MANY)
    }

    /// A channel of this flavor; a `Many` one holds [`SMALL_MANY`].
    pub fn make_small<T>(self) -> (Sender<T>, Receiver<T>) {
        self.make_with(SMALL_MANY)
    }

    /// The capacity of a channel from [`Flavor::make`].
    pub fn capacity(self) -> Option<usize> {
        self.capacity_with(MANY)
    }

    /// How many messages a sender can leave without a receiver in a channel from
    /// [`Flavor::make`] (for `unbounded`, an arbitrary number to test with: 100).
    pub fn room(self) -> usize {
        self.capacity().unwrap_or(100)
    }

    /// Like [`Flavor::room`], for a channel from [`Flavor::make_small`] (for `unbounded`:
    /// 10).
    pub fn room_small(self) -> usize {
        self.capacity_with(SMALL_MANY).unwrap_or(10)
    }

    pub fn is_bounded(self) -> bool {
        self != Flavor::Unbounded
    }

    fn make_with<T>(self, many: usize) -> (Sender<T>, Receiver<T>) {
        match self.capacity_with(many) {
            Some(cap) => bounded(cap),
            None => unbounded(),
        }
    }

    fn capacity_with(self, many: usize) -> Option<usize> {
        match self {
            Flavor::Zero => Some(0),
            Flavor::One => Some(1),
            Flavor::Many => Some(many),
            Flavor::Unbounded => None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Channel operations and assertions
// ---------------------------------------------------------------------------------------

/// `recv`, failing the test instead of hanging if nothing comes for [`STALL`].
pub fn recv_or_stall<T>(rx: &Receiver<T>, what: &str) -> Result<T, RecvError> {
    match rx.recv_timeout(STALL) {
        Ok(m) => Ok(m),
        Err(RecvTimeoutError::Disconnected) => Err(RecvError),
        Err(RecvTimeoutError::Timeout) => panic!("{what}: stalled, no message for {STALL:?}"),
    }
}

/// `send`, failing the test instead of hanging if no room comes for [`STALL`].
pub fn send_or_stall<T>(tx: &Sender<T>, msg: T, what: &str) -> Result<(), SendError<T>> {
    match tx.send_timeout(msg, STALL) {
        Ok(()) => Ok(()),
        Err(SendTimeoutError::Disconnected(m)) => Err(SendError(m)),
        Err(SendTimeoutError::Timeout(_)) => panic!("{what}: stalled, no room for {STALL:?}"),
    }
}

/// Sends `v` and receives it back, with a helper thread for a rendezvous channel.
pub fn roundtrip<T: Send>(tx: &Sender<T>, rx: &Receiver<T>, v: T) -> T {
    thread::scope(|s| {
        let h = s.spawn(|| rx.recv());
        tx.send(v).unwrap();
        h.join().unwrap().unwrap()
    })
}

/// An unbounded channel holding `n` messages `0..n`.
pub fn filled(n: u32) -> (Sender<u32>, Receiver<u32>) {
    let (tx, rx) = unbounded();
    for i in 0..n {
        tx.send(i).unwrap();
    }
    (tx, rx)
}

/// Asserts that at least `d` passed since `start` (a timeout did not return early).
pub fn assert_at_least(start: Instant, d: Duration, what: &str) {
    let e = start.elapsed();
    assert!(
        e >= d,
        "{what} returned after {e:?}, before its timeout {d:?}"
    );
}

/// The message of a caught panic (`"<non-string panic>"` if it has none).
pub fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "<non-string panic>".to_string()
    }
}
