//! The scheduler's event recorder: what `GPM_TRACE` and `RuntimeBuilder::trace` write.
//!
//! Every crate of the runtime reports what it does through the small functions here
//! ([`go`], [`run`], [`stop`], [`ready`], [`steal`], [`handoff`], [`netpoll`], ...). Each is
//! `#[inline]` and starts with one relaxed load of a global flag, so with tracing off (the
//! default) an event site costs a load and a branch that is always predicted. With tracing
//! on, the event and a timestamp go into a buffer of the thread that made it: every OS
//! thread is one track (an M, sysmon, or a plain thread that readied a goroutine). The
//! buffer sits behind a mutex that only its own thread takes, except once at the end, when
//! [`finish`] collects every buffer.
//!
//! A trace is process-wide, as Go's is: one session at a time ([`begin`] refuses a second),
//! and it records every runtime in the process. Timestamps come from the monotonic clock,
//! which is consistent across CPUs: an event that happens before another on a different
//! thread also has the smaller timestamp. The recorder keeps that true where it matters:
//! a goroutine's `stop` is recorded as soon as it is back on its M, before its park hook
//! can let a waker in, so its `ready` (and its next `run`, elsewhere) come after it.
//!
//! Timestamps come from [`clock`]: the CPU's counter where the kernel trusts it (a quarter
//! of the cost of `Instant::now` here), converted to nanoseconds at the end.
//!
//! The recorder is plain `std` even under loom: it is not a protocol (a flag and per-thread
//! buffers), and under loom tracing is never on.

use parking_lot::Mutex;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

mod buf;
mod clock;
use buf::Buf;
use clock::Clock;

/// Events recorded in one session before the recorder drops the rest (and says so): at
/// about 40 bytes an event, 400 MB in memory and about 1 GB of JSON. A busy runtime makes
/// some 10 million events a second (one run of the prime sieve example: 27.5 million, a 2.8 GB
/// file), so trace a short run.
pub const MAX_EVENTS: u64 = 10_000_000;

/// Why a goroutine switched out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// It parked (a channel, a sleep, a join, a socket, ...).
    Park,
    /// It yielded, or its park was cancelled: it is runnable again at once.
    Yield,
    /// It returned.
    Exit,
}

/// Why sysmon took a P from its M.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retake {
    /// Its goroutine is in a blocking call (`gpm::syscall`).
    Syscall,
    /// Its goroutine has run for too long without a scheduling point.
    LongRun,
}

/// One recorded event. Goroutines are named by id, Ps by index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    /// Goroutine `g` was created by goroutine `parent` (`None`: from outside any).
    Go {
        /// The new goroutine.
        g: u64,
        /// Its creator.
        parent: Option<u64>,
    },
    /// Goroutine `g` starts running on this thread, with P `p` (`None`: without one).
    Run {
        /// The goroutine.
        g: u64,
        /// The P this thread holds.
        p: Option<usize>,
    },
    /// Goroutine `g` switched back to this thread's scheduler.
    Stop {
        /// The goroutine.
        g: u64,
        /// Why.
        end: End,
    },
    /// Goroutine `g` was made runnable by this thread.
    Ready {
        /// The goroutine.
        g: u64,
    },
    /// The running goroutine `g` enters a blocking call.
    SyscallEnter {
        /// The goroutine.
        g: u64,
    },
    /// The running goroutine `g` is back from its blocking call.
    SyscallExit {
        /// The goroutine.
        g: u64,
    },
    /// P `p` stole `n` goroutines from P `victim`.
    Steal {
        /// The thief.
        p: usize,
        /// The victim.
        victim: usize,
        /// How many goroutines moved (the one run next included).
        n: usize,
    },
    /// sysmon took P `p` from the M that held it.
    Handoff {
        /// The P.
        p: usize,
        /// Why.
        why: Retake,
    },
    /// A poll of the netpoller found `n` goroutines whose fds are ready.
    Netpoll {
        /// How many.
        n: usize,
    },
    /// This thread (an M) goes to sleep: parked, or blocked in the poller.
    Idle,
    /// This thread wakes up.
    Busy,
    /// This thread woke (or started) an M for a P.
    Wake,
}

/// An event and when it happened, in nanoseconds since the session began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rec {
    /// Nanoseconds since [`begin`] (while recording: a raw stamp of the session's clock).
    pub t: u64,
    /// The event.
    pub ev: Ev,
}

/// One thread's events.
#[derive(Debug, Clone)]
pub struct Track {
    /// A number unique to the thread within the process.
    pub id: u64,
    /// "M3", "sysmon", or "thread NAME" for a thread outside the runtime.
    pub name: String,
    /// The events, in the order (and so the time order) the thread made them.
    pub recs: Vec<Rec>,
}

/// A finished session.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// Every thread that recorded something.
    pub tracks: Vec<Track>,
    /// How long the session lasted, in nanoseconds.
    pub duration: u64,
    /// Events dropped past [`MAX_EVENTS`].
    pub dropped: u64,
    /// The names of the named goroutines created during the session.
    pub names: Vec<(u64, String)>,
}

static ON: AtomicBool = AtomicBool::new(false);
/// Events counted against [`MAX_EVENTS`], in steps of [`COUNT_STEP`] per thread.
static RECORDED: AtomicU64 = AtomicU64::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// How many events a thread records between two updates of the shared count.
const COUNT_STEP: u64 = 1024;
static NEXT_TRACK: AtomicU64 = AtomicU64::new(1);
static SESSION: Mutex<Option<Session>> = Mutex::new(None);

struct Session {
    /// Tells this session's buffers from an earlier one's.
    generation: u64,
    clock: Clock,
    bufs: Vec<Arc<Mutex<Buf>>>,
    names: Vec<(u64, String)>,
}

/// A thread's link to the current session's buffer.
struct Local {
    generation: u64,
    clock: Clock,
    buf: Arc<Mutex<Buf>>,
    /// Events this thread may still record before it takes more from the shared count;
    /// `None` once the session is full.
    credit: Option<u64>,
}

static GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
    static TRACK: Cell<u64> = const { Cell::new(0) };
    static NAME: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// True while a session records. One relaxed load: the whole cost of an event site when
/// tracing is off.
#[inline(always)]
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Starts a session. False if one is already running.
pub fn begin() -> bool {
    let mut s = SESSION.lock();
    if s.is_some() {
        return false;
    }
    RECORDED.store(0, Ordering::Relaxed);
    DROPPED.store(0, Ordering::Relaxed);
    *s = Some(Session {
        generation: GENERATION.fetch_add(1, Ordering::Relaxed) + 1,
        clock: Clock::start(),
        bufs: Vec::new(),
        names: Vec::new(),
    });
    ON.store(true, Ordering::Release);
    true
}

/// True while a session runs.
pub fn active() -> bool {
    SESSION.lock().is_some()
}

/// Ends the session and returns what every thread recorded; `None` if none was running.
/// Events that threads record while this runs may or may not make it in.
pub fn finish() -> Option<Trace> {
    let session = {
        let mut s = SESSION.lock();
        ON.store(false, Ordering::Release);
        s.take()?
    };
    let (to_ns, duration) = session.clock.calibrate();
    let mut tracks = Vec::new();
    let mut names = Vec::new();
    for (buf, (id, name)) in session.bufs.iter().zip(session.names) {
        let mut buf = buf.lock();
        names.append(&mut buf.names);
        let mut recs = buf.take();
        drop(buf);
        if !recs.is_empty() {
            recs.iter_mut().for_each(|r| r.t = to_ns(r.t));
            tracks.push(Track { id, name, recs });
        }
    }
    Some(Trace {
        tracks,
        duration,
        dropped: DROPPED.load(Ordering::Relaxed),
        names,
    })
}

/// Names the calling thread's track ("M3", "sysmon"). Call it once when the thread starts;
/// it costs a string whether or not a trace runs, so it is not for hot paths.
pub fn name_thread(name: impl Into<String>) {
    let name = name.into();
    let _ = NAME.try_with(|n| *n.borrow_mut() = Some(name));
}

fn track_id() -> u64 {
    TRACK.with(|t| {
        if t.get() == 0 {
            t.set(NEXT_TRACK.fetch_add(1, Ordering::Relaxed));
        }
        t.get()
    })
}

fn track_name() -> String {
    NAME.with(|n| n.borrow().clone()).unwrap_or_else(|| {
        let me = std::thread::current();
        match me.name() {
            Some(name) => format!("thread {name}"),
            None => format!("thread {:?}", me.id()),
        }
    })
}

/// Joins the calling thread to the current session: a new buffer, listed in the session.
fn join_session(generation: u64) -> Option<Local> {
    let id = track_id();
    let name = track_name();
    let mut s = SESSION.lock();
    let session = s.as_mut().filter(|s| s.generation >= generation)?;
    let buf = Arc::new(Mutex::new(Buf::new()));
    session.bufs.push(buf.clone());
    session.names.push((id, name));
    Some(Local {
        generation: session.generation,
        clock: session.clock,
        buf,
        credit: Some(0),
    })
}

#[cold]
#[inline(never)]
fn record(ev: Ev) {
    record_named(ev, None);
}

/// Records `ev`, and the name of the goroutine it creates, if any.
fn record_named(ev: Ev, name: Option<(u64, &str)>) {
    let generation = GENERATION.load(Ordering::Relaxed);
    // `try_with`: a thread may record while its thread-locals are being destroyed.
    let _ = LOCAL.try_with(|l| {
        let mut l = l.borrow_mut();
        if l.as_ref().is_none_or(|l| l.generation != generation) {
            *l = join_session(generation);
        }
        let Some(l) = l.as_mut() else {
            return;
        };
        match l.credit {
            Some(0) => {
                let before = RECORDED.fetch_add(COUNT_STEP, Ordering::Relaxed);
                l.credit = (before < MAX_EVENTS).then_some(COUNT_STEP - 1);
            }
            Some(n) => l.credit = Some(n - 1),
            None => {}
        }
        if l.credit.is_none() {
            DROPPED.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let t = l.clock.stamp();
        let mut buf = l.buf.lock();
        buf.push(Rec { t, ev });
        if let Some((g, name)) = name {
            buf.names.push((g, name.to_owned()));
        }
    });
}

/// Goroutine `g` was created (by the goroutine running here, if any).
#[inline]
pub fn go(g: u64, name: Option<&str>) {
    if on() {
        let parent = crate::current_id().map(|id| id.0);
        match name {
            None => record(Ev::Go { g, parent }),
            Some(name) => record_named(Ev::Go { g, parent }, Some((g, name))),
        }
    }
}

/// Goroutine `g` starts running on this thread, which holds P `p`.
#[inline]
pub fn run(g: u64, p: Option<usize>) {
    if on() {
        record(Ev::Run { g, p });
    }
}

/// Goroutine `g` is back on this thread's scheduler.
#[inline]
pub fn stop(g: u64, end: End) {
    if on() {
        record(Ev::Stop { g, end });
    }
}

/// Goroutine `g` was made runnable here.
#[inline]
pub fn ready(g: u64) {
    if on() {
        record(Ev::Ready { g });
    }
}

/// The running goroutine enters (`true`) or leaves (`false`) a blocking call.
#[inline]
pub fn syscall(g: u64, entering: bool) {
    if on() {
        record(if entering {
            Ev::SyscallEnter { g }
        } else {
            Ev::SyscallExit { g }
        });
    }
}

/// P `p` stole `n` goroutines from P `victim`.
#[inline]
pub fn steal(p: usize, victim: usize, n: usize) {
    if on() {
        record(Ev::Steal { p, victim, n });
    }
}

/// sysmon took P `p`.
#[inline]
pub fn handoff(p: usize, why: Retake) {
    if on() {
        record(Ev::Handoff { p, why });
    }
}

/// A poll found `n` goroutines ready.
#[inline]
pub fn netpoll(n: usize) {
    if on() && n > 0 {
        record(Ev::Netpoll { n });
    }
}

/// This M goes to sleep (`true`) or wakes up (`false`).
#[inline]
pub fn idle(sleeping: bool) {
    if on() {
        record(if sleeping { Ev::Idle } else { Ev::Busy });
    }
}

/// This thread woke or started an M.
#[inline]
pub fn wake() {
    if on() {
        record(Ev::Wake);
    }
}
