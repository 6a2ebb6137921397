//! One P: the owner's half (local queue, counters) and the half other Ms may touch
//! (stealer, `runnext`).
//!
//! `runnext` holds the G most recently readied or spawned by the G running on this P. It
//! runs next and inherits the current time slice, so a pair of goroutines talking over a
//! channel runs as a unit without a trip through the queue. Two such goroutines could keep
//! readying each other forever; after [`MAX_RUNNEXT_STREAK`] consecutive `runnext` runs the
//! P takes from its queue instead (tokio caps its LIFO slot at 3 for the same reason).
//! `runnext` is stealable: an idle M's last steal pass may take it, so a G readied by a
//! goroutine that then computes for a long time is not stranded.
//!
//! Its holder fills and empties it on every channel handoff, a thief takes it rarely, so
//! the two sides pay unequally (the lease's scheme, `crate::lease`). The holder touches the
//! slot only inside a lease section, and there with a plain load and store unless it sees
//! a thief's `thief` flag; a thief sets that flag, runs the heavy barrier, and swaps the
//! slot only if the holder is outside every section. This is Dekker's pattern again, with
//! the holder's `busy` flag (stored at each section entry) against the thief's flag: either
//! the thief sees the holder inside a section and leaves the slot alone, or the holder's
//! next look at the flag sees the thief and swaps too. A fill and a take each cost the
//! holder two plain accesses instead of a locked swap: two of the seven locked
//! instructions of a channel handoff (about a tenth of a ping-pong round trip).
//!
//! **Cache lines of their own.** Both halves are written by their owner on every hop: the
//! owner half's `schedtick`, `streak` and queue buffer handle, the shared half's `runnext`
//! and counters. Each is aligned to 128 bytes (a line pair, as crossbeam's `CachePadded` on
//! x86-64), so that no other allocation shares a line with them. Unaligned, the owner half
//! was a 56-byte box wherever malloc put it: the 2-P prime sieve ran at half speed (about
//! 540 ms instead of 265) when the program's path was 41 to 56 bytes long, since the copy
//! of it that `std::env::args` makes shifted every later allocation by 16 bytes into a
//! layout where another P's hot data shared the line.

use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use gpm_g::{GRef, G};

use crate::lease::{barrier, Lease};
use crate::queue::{Local, LocalQueue, StealQueue, Stealer};
use crate::sync::{AtomicBool, AtomicPtr};

/// Consecutive `runnext` runs before the local queue gets a turn.
pub const MAX_RUNNEXT_STREAK: u32 = 3;

/// How long a thief leaves a running P's `runnext` alone before taking it.
pub const RUNNEXT_GRACE: std::time::Duration = std::time::Duration::from_micros(3);

/// Where [`P::next`] found its G.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Next {
    /// From `runnext`: it inherits the current time slice.
    Inherit,
    /// From the local queue: a new time slice.
    Fresh,
}

/// The parts of a P that other Ms use: to steal, and to see whether it has work. Aligned
/// to lines of its own (see the module docs).
#[repr(align(128))]
pub struct PShared {
    id: usize,
    stealer: Stealer<GRef>,
    runnext: AtomicPtr<G>,
    /// Set while a thief takes `runnext` (see the module docs).
    thief: AtomicBool,
    /// Goroutines spawned and exited on this P, written only by the P's owner (plain
    /// load + store, no read-modify-write) and summed by whoever asks how many are alive.
    spawned: AtomicU64,
    exited: AtomicU64,
    /// Statistics, written only by the P's owner like the two above.
    steals: AtomicU64,
    stolen: AtomicU64,
    global_takes: AtomicU64,
    parks: AtomicU64,
    unparks: AtomicU64,
    /// Who may touch the owner half (the holding M, or sysmon taking it away).
    lease: Lease,
}

// SAFETY: `runnext` holds a pointer from `GRef::into_raw`; the slot owns that reference and
// every access moves it, with a swap or, by the holder with no thief at work, a load and a
// store (`tests/loom_runnext.rs`), so it is shared like a `GRef` (Send + Sync).
unsafe impl Sync for PShared {}
// SAFETY: as for Sync.
unsafe impl Send for PShared {}

impl PShared {
    /// This P's index.
    #[inline]
    pub fn id(&self) -> usize {
        self.id
    }

    /// The lease between the M holding this P and sysmon.
    #[inline]
    pub fn lease(&self) -> &Lease {
        &self.lease
    }

    /// Counts a goroutine spawned on this P. Only the P's owner may call it.
    #[inline]
    pub fn count_spawn(&self) {
        bump(&self.spawned);
    }

    /// Counts a goroutine that exited on this P. Only the P's owner may call it.
    #[inline]
    pub fn count_exit(&self) {
        bump(&self.exited);
    }

    /// Counts a successful steal that brought `n` goroutines. Only the P's owner may call it.
    pub fn count_steal(&self, n: usize) {
        bump(&self.steals);
        bump_by(&self.stolen, n as u64);
    }

    /// Counts `n` goroutines taken from the global queue. Only the P's owner may call it.
    pub fn count_global_take(&self, n: usize) {
        bump_by(&self.global_takes, n as u64);
    }

    /// Counts a goroutine that parked on this P. Only the P's owner may call it.
    #[inline]
    pub fn count_park(&self) {
        bump(&self.parks);
    }

    /// Counts a parked goroutine readied onto this P. Only the P's owner may call it.
    #[inline]
    pub fn count_unpark(&self) {
        bump(&self.unparks);
    }

    /// This P's counters so far.
    pub fn counters(&self) -> PCounters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        PCounters {
            id: self.id,
            spawned: get(&self.spawned),
            exited: get(&self.exited),
            steals: get(&self.steals),
            stolen: get(&self.stolen),
            global_takes: get(&self.global_takes),
            parks: get(&self.parks),
            unparks: get(&self.unparks),
            queued: self.stealer.len()
                + usize::from(!self.runnext.load(Ordering::Relaxed).is_null()),
        }
    }

    /// Goroutines spawned on this P so far.
    pub fn spawned(&self) -> u64 {
        self.spawned.load(Ordering::Relaxed)
    }

    /// Goroutines that exited on this P so far.
    pub fn exited(&self) -> u64 {
        self.exited.load(Ordering::Relaxed)
    }

    /// True if this P has queued work (local queue or `runnext`).
    #[inline]
    pub fn has_work(&self) -> bool {
        !self.stealer.is_empty() || !self.runnext.load(Ordering::Acquire).is_null()
    }

    /// Steals about half of this P's local queue into `thief`'s queue and returns one G. With
    /// `take_runnext`, falls back to this P's `runnext` slot, after giving this P's owner
    /// [`RUNNEXT_GRACE`] to run it itself.
    pub fn steal_into(&self, thief: &P, take_runnext: bool) -> Option<GRef> {
        if let Some(g) = self.stealer.steal_half_into(&thief.local) {
            return Some(g);
        }
        if take_runnext && !self.runnext.load(Ordering::Relaxed).is_null() {
            self.wait_for_owner();
            return self.steal_runnext();
        }
        None
    }

    /// A thief's take of `runnext`: only while the holder is outside every lease section,
    /// with the thief's flag set around it (see the module docs).
    fn steal_runnext(&self) -> Option<GRef> {
        if self.runnext.load(Ordering::Relaxed).is_null()
            || self
                .thief
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return None;
        }
        barrier::heavy();
        let g = if self.lease.holder_out() {
            self.take_runnext()
        } else {
            None
        };
        self.thief.store(false, Ordering::Release);
        g
    }

    /// Spins for up to [`RUNNEXT_GRACE`] while `runnext` stays full (Go's `runqgrab` sleeps
    /// the same 3 µs): the G there was readied a moment ago by the G running on this P,
    /// which most likely parks right away and runs it here. A synchronous channel handoff
    /// takes well under a microsecond, so the grace keeps a communicating pair on one P
    /// instead of bouncing it between threads, and still frees a G stranded behind a
    /// goroutine that computes for long.
    /// Under loom there is no clock and a spin must not wait on what loom cannot see: the
    /// grace is skipped.
    fn wait_for_owner(&self) {
        #[cfg(not(loom))]
        {
            let start = std::time::Instant::now();
            while !self.runnext.load(Ordering::Relaxed).is_null() && start.elapsed() < RUNNEXT_GRACE
            {
                for _ in 0..64 {
                    std::hint::spin_loop();
                }
            }
        }
    }

    /// Empties the slot with a swap, safe against anybody: a thief, or a holder outside its
    /// sections (shutdown's drain).
    #[inline]
    fn take_runnext(&self) -> Option<GRef> {
        if self.runnext.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let p = self.runnext.swap(ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: a non-null slot owns one reference from `GRef::into_raw`, which the swap
        // just moved to us.
        (!p.is_null()).then(|| unsafe { GRef::from_raw(p) })
    }

    /// Puts `new` (null to empty it) in the slot and returns what it held: the holder's
    /// access, from inside a lease section. With no thief at work no other thread can touch
    /// the slot until the holder leaves the section or looks at the flag again (see the
    /// module docs), so a load and a store do; the acquire load of the flag orders a
    /// finished thief's swap before them.
    #[inline]
    fn replace_held(&self, new: *mut G) -> *mut G {
        if self.thief.load(Ordering::Acquire) {
            return self.runnext.swap(new, Ordering::AcqRel);
        }
        let old = self.runnext.load(Ordering::Relaxed);
        // Release: a thief's later swap acquires the G's contents from this store.
        self.runnext.store(new, Ordering::Release);
        old
    }

    /// The holder's take of the slot, inside a lease section.
    #[inline]
    fn take_held(&self) -> Option<GRef> {
        if self.runnext.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let p = self.replace_held(ptr::null_mut());
        // SAFETY: as in `take_runnext`: the reference the slot owned is now ours.
        (!p.is_null()).then(|| unsafe { GRef::from_raw(p) })
    }

    /// The holder's fill of the slot, inside a lease section, returning the G it displaced.
    #[inline]
    fn put_held(&self, g: GRef) -> Option<GRef> {
        let p = self.replace_held(GRef::into_raw(g) as *mut G);
        // SAFETY: as in `take_held`.
        (!p.is_null()).then(|| unsafe { GRef::from_raw(p) })
    }
}

/// Increments a counter that only one thread writes.
#[inline]
fn bump(c: &AtomicU64) {
    bump_by(c, 1);
}

#[inline]
fn bump_by(c: &AtomicU64, n: u64) {
    c.store(c.load(Ordering::Relaxed) + n, Ordering::Relaxed);
}

/// One P's counters (see `gpm::stats`). Monotonic except `queued`, a snapshot.
///
/// ```
/// // One entry of `gpm::stats().ps` (or `Runtime::stats().ps`) per P.
/// let per_p = [
///     gpm_p::PCounters { id: 0, spawned: 10, stolen: 4, ..Default::default() },
///     gpm_p::PCounters { id: 1, spawned: 2, exited: 12, ..Default::default() },
/// ];
/// let spawned: u64 = per_p.iter().map(|p| p.spawned).sum();
/// let exited: u64 = per_p.iter().map(|p| p.exited).sum();
/// assert_eq!(spawned, exited); // a quiet runtime: everything spawned has finished
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PCounters {
    /// The P's index.
    pub id: usize,
    /// Goroutines spawned from goroutines running on this P.
    pub spawned: u64,
    /// Goroutines that finished on this P.
    pub exited: u64,
    /// Successful steals by this P's M from other Ps.
    pub steals: u64,
    /// Goroutines those steals brought.
    pub stolen: u64,
    /// Goroutines taken from the global queue.
    pub global_takes: u64,
    /// Goroutines that parked while running on this P.
    pub parks: u64,
    /// Parked goroutines readied onto this P's queue.
    pub unparks: u64,
    /// Goroutines queued on this P right now (local queue and `runnext`).
    pub queued: usize,
}

impl Drop for PShared {
    fn drop(&mut self) {
        drop(self.take_runnext());
    }
}

/// A P as held by the M that owns it. Aligned to lines of its own (see the module docs).
#[repr(align(128))]
pub struct P {
    shared: Arc<PShared>,
    local: Local<GRef>,
    schedtick: Cell<u32>,
    streak: Cell<u32>,
}

impl P {
    /// A new P with index `id`.
    pub fn new(id: usize) -> P {
        let local = Local::new();
        let shared = Arc::new(PShared {
            id,
            stealer: local.stealer(),
            runnext: AtomicPtr::new(ptr::null_mut()),
            thief: AtomicBool::new(false),
            spawned: AtomicU64::new(0),
            exited: AtomicU64::new(0),
            steals: AtomicU64::new(0),
            stolen: AtomicU64::new(0),
            global_takes: AtomicU64::new(0),
            parks: AtomicU64::new(0),
            unparks: AtomicU64::new(0),
            lease: Lease::new(),
        });
        P {
            shared,
            local,
            schedtick: Cell::new(0),
            streak: Cell::new(0),
        }
    }

    /// This P's index.
    #[inline]
    pub fn id(&self) -> usize {
        self.shared.id
    }

    /// The half of this P other Ms see.
    #[inline]
    pub fn shared(&self) -> &Arc<PShared> {
        &self.shared
    }

    /// The local run queue.
    #[inline]
    pub fn local(&self) -> &Local<GRef> {
        &self.local
    }

    /// Puts `g` in `runnext`; a G it displaces goes to the back of the local queue. True
    /// if one was displaced. The caller holds the P inside a lease section (see the module
    /// docs), as every owner's use of a P must be.
    #[inline]
    pub fn push_next(&self, g: GRef) -> bool {
        match self.shared.put_held(g) {
            Some(old) => {
                self.local.push(old);
                true
            }
            None => false,
        }
    }

    /// Appends `g` to the local queue.
    #[inline]
    pub fn push_back(&self, g: GRef) {
        self.local.push(g);
    }

    /// The next G to run from this P: `runnext` first (at most [`MAX_RUNNEXT_STREAK`] times
    /// in a row), then the local queue. Inside a lease section, as [`P::push_next`].
    #[inline]
    pub fn next(&self) -> Option<(GRef, Next)> {
        let streak = self.streak.get();
        if streak < MAX_RUNNEXT_STREAK {
            if let Some(g) = self.shared.take_held() {
                self.streak.set(streak + 1);
                return Some((g, Next::Inherit));
            }
        }
        self.streak.set(0);
        if let Some(g) = self.local.pop() {
            return Some((g, Next::Fresh));
        }
        self.shared.take_held().map(|g| (g, Next::Fresh))
    }

    /// Counts one schedule with a fresh time slice and returns the new count.
    #[inline]
    pub fn tick(&self) -> u32 {
        let t = self.schedtick.get().wrapping_add(1);
        self.schedtick.set(t);
        self.shared.lease.bump_tick();
        t
    }

    /// The number of schedules with a fresh time slice so far (sysmon compares it to spot a
    /// goroutine that runs too long).
    #[inline]
    pub fn schedtick(&self) -> u32 {
        self.schedtick.get()
    }

    /// True if `runnext` and the local queue are empty.
    pub fn is_empty(&self) -> bool {
        !self.shared.has_work()
    }

    /// Empties the P (at shutdown), returning every queued G.
    pub fn drain(&self) -> Vec<GRef> {
        let mut out: Vec<GRef> = self.shared.take_runnext().into_iter().collect();
        while let Some(g) = self.local.pop() {
            out.push(g);
        }
        out
    }
}
