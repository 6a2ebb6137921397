//! Who may touch a P: the lease between the M that holds it and sysmon, which takes it away
//! from an M whose goroutine is stuck in a blocking call or a long computation (Go's
//! `retake`).
//!
//! A P's owner half (`P`: the local queue's push end, the tick counters) is single-threaded
//! data. Normally the M that holds the P is its only user. Sysmon, though, must be able to
//! take the P from an M whose goroutine keeps running and will not reach a scheduling point
//! for a while, without stopping that goroutine (gpm has no signals). The goroutine may
//! still touch the P now and then (every `ready` or `spawn` pushes onto its queue), so the
//! handover needs a protocol:
//!
//! ```text
//!           hold (an M acquires)          try_revoke (sysmon, CAS)
//!   IDLE ─────────────────────────▶ HELD ──────────────────────────▶ REVOKED
//!    ▲  ◀──── release (holder, CAS) ──┘                                  │
//!    └──────────── taken (sysmon, once the holder is out) ───────────────┘
//! ```
//!
//! - The holder brackets every use of the P with [`Lease::enter`] / [`Lease::leave`]: the
//!   whole schedule loop is one such section, and while a goroutine runs, each push it
//!   makes is a short one. `enter` sets the holding M's `busy` flag ([`Holder`]), then checks
//!   the state; a holder that finds `REVOKED` has lost the P and must never touch it again.
//! - Sysmon moves `HELD → REVOKED`, then checks that flag. If it is clear, the holder is not
//!   inside a section and never will be again (its next `enter` sees `REVOKED`), so sysmon
//!   owns the P. If it is set, the holder is mid-push; sysmon keeps the revocation and looks
//!   again on its next round.
//! - The two checks are Dekker's: each side stores, fences, then loads the other's flag, so
//!   at least one of them sees the other. The holder's fence runs on every goroutine
//!   switch and every push, sysmon's only when it revokes, so on Linux the holder's side is a
//!   compiler fence and sysmon's is `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, which
//!   makes every thread of the process execute a full barrier (the asymmetric fence of
//!   folly and of Linux's RCU). Where `membarrier` is unavailable both sides use
//!   `fence(SeqCst)`, and so does loom, which checks the protocol in `tests/loom_lease.rs`.
//! - The holder gives the P back voluntarily (to the idle list) with a CAS `HELD → IDLE`
//!   that races sysmon's `HELD → REVOKED`: exactly one wins, so a P is never both idle and
//!   taken.
//! - Each `hold` starts a new [`Tenure`], kept in the state word beside the tag, and a
//!   holder's `enter` checks for its own tenure, not just for `REVOKED`: once sysmon has
//!   passed the P on, the state is `IDLE` or somebody else's `HELD`, and the old holder
//!   must still see that it lost the P (loom found this one: a `REVOKED`-only check let an
//!   old holder back in).
//!
//! The lease also carries what sysmon reads to decide: `tick`, bumped by the holder at each
//! fresh schedule (a tick that stays put means one goroutine has run all that time),
//! `syscall`, set while the holder's goroutine is inside `gpm::syscall`, and
//! `syscall_tick`, bumped at each entry (one that stays put means one call is that long).

use crate::sync::{fence, Arc, AtomicBool, AtomicU32, AtomicU64, Mutex, Ordering};

const TAG: u64 = 3;
const IDLE: u64 = 0;
const HELD: u64 = 1;
const REVOKED: u64 = 2;

/// One tenure of a P: what [`Lease::hold`] hands its holder, who presents it on every
/// [`Lease::enter`]. Each hold starts a new tenure, so a holder that lost the P keeps
/// failing `enter` even after the P has gone idle and been held by somebody else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tenure(u64);

/// An M's side of the leases it holds: its `busy` flag. It belongs to the M, not to the P:
/// an M that lost a P without noticing yet still sets its own flag in a (failing) `enter`,
/// and must not be able to clear the flag of the P's next holder (the first version kept
/// one flag per P, and such a stale `enter` cleared the new holder's flag mid-section,
/// which the stress run of the schedule loop turned into a P that sysmon waited on forever).
#[derive(Debug, Clone, Default)]
pub struct Holder(Arc<Busy>);

/// The `busy` flag, in cache lines of its own: its M stores it at every section's entry and
/// exit, twice a hop, and any allocation that shared its line (a channel that goroutines on
/// another M use, say) would have that line taken from it each time, as a P's halves were
/// (see `crate::p`).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Busy(AtomicBool);

impl Holder {
    /// A new M's flag, clear.
    pub fn new() -> Holder {
        Holder(Arc::new(Busy(AtomicBool::new(false))))
    }

    #[inline]
    fn flag(&self) -> &AtomicBool {
        &self.0 .0
    }
}

/// The lease of one P (see the module docs). The state word is `tenure * 4 + tag`.
#[derive(Debug)]
pub struct Lease {
    state: AtomicU64,
    /// The current holder's flag, for sysmon (set at each `hold`).
    holder: Mutex<Option<Arc<Busy>>>,
    syscall: AtomicBool,
    tick: AtomicU32,
    syscall_tick: AtomicU32,
}

impl Default for Lease {
    fn default() -> Self {
        Self::new()
    }
}

impl Lease {
    /// An idle P's lease.
    pub fn new() -> Lease {
        Lease {
            state: AtomicU64::new(IDLE),
            holder: Mutex::new(None),
            syscall: AtomicBool::new(false),
            tick: AtomicU32::new(0),
            syscall_tick: AtomicU32::new(0),
        }
    }

    /// An M has acquired the idle P (from the idle list or a handoff, which order
    /// everything the previous owner did before this). The M starts inside a section.
    pub fn hold(&self, h: &Holder) -> Tenure {
        let tenure = (self.state.load(Ordering::Relaxed) >> 2) + 1;
        h.flag().store(true, Ordering::Relaxed);
        *lock(&self.holder) = Some(h.0.clone());
        self.syscall.store(false, Ordering::Relaxed);
        self.state.store(tenure << 2 | HELD, Ordering::Release);
        self.bump_tick();
        Tenure(tenure)
    }

    /// The holder starts using the P. False if sysmon has taken it: the caller no longer
    /// holds the P and must not touch it.
    #[inline]
    pub fn enter(&self, h: &Holder, t: Tenure) -> bool {
        h.flag().store(true, Ordering::Relaxed);
        barrier::light();
        if self.state.load(Ordering::Relaxed) != t.0 << 2 | HELD {
            h.flag().store(false, Ordering::Release);
            return false;
        }
        true
    }

    /// The holder stops using the P for now (a goroutine is about to run).
    #[inline]
    pub fn leave(&self, h: &Holder) {
        h.flag().store(false, Ordering::Release);
    }

    /// The holder, inside a section, gives the P up. True if it did (the P is idle and the
    /// caller may list it); false if sysmon took it first (the caller just walks away).
    /// Either way the caller no longer holds the P.
    pub fn release(&self, h: &Holder, t: Tenure) -> bool {
        let released = self
            .state
            .compare_exchange(
                t.0 << 2 | HELD,
                t.0 << 2 | IDLE,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok();
        h.flag().store(false, Ordering::Release);
        released
    }

    /// Sysmon starts taking the P from its holder. False if the P is not held (it went
    /// idle, or is already being taken).
    pub fn try_revoke(&self) -> bool {
        let s = self.state.load(Ordering::Relaxed);
        if s & TAG != HELD {
            return false;
        }
        let revoked = self
            .state
            .compare_exchange(s, s - HELD + REVOKED, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok();
        if revoked {
            barrier::heavy();
        }
        revoked
    }

    /// After a successful [`Lease::try_revoke`]: true once the holder is outside every
    /// section, from which point the caller owns the P.
    pub fn holder_out(&self) -> bool {
        lock(&self.holder)
            .as_ref()
            .is_none_or(|busy| !busy.0.load(Ordering::Acquire))
    }

    /// True between a successful [`Lease::try_revoke`] and [`Lease::taken`].
    pub fn is_revoked(&self) -> bool {
        self.state.load(Ordering::Acquire) & TAG == REVOKED
    }

    /// True while an M holds the P (including while it is being revoked).
    pub fn is_held(&self) -> bool {
        self.state.load(Ordering::Relaxed) & TAG != IDLE
    }

    /// Sysmon, owning a revoked P, hands it on: it is idle until the next [`Lease::hold`].
    pub fn taken(&self) {
        let s = self.state.load(Ordering::Relaxed);
        debug_assert_eq!(s & TAG, REVOKED, "gpm: taking a P that was not revoked");
        self.state.store(s & !TAG | IDLE, Ordering::Release);
    }

    /// The holder counts a fresh schedule.
    #[inline]
    pub fn bump_tick(&self) {
        let t = self.tick.load(Ordering::Relaxed);
        self.tick.store(t.wrapping_add(1), Ordering::Relaxed);
    }

    /// The holder's schedule count, as sysmon sees it.
    pub fn tick(&self) -> u32 {
        self.tick.load(Ordering::Relaxed)
    }

    /// The holder's goroutine enters (`true`) or leaves a blocking call. Entering counts
    /// a new call, so sysmon can tell one long call from many short ones (Go's
    /// `syscalltick`); neither touches the schedule count, so a goroutine making calls
    /// back to back for 10 ms still looks like a long runner.
    pub fn set_syscall(&self, on: bool) {
        if on {
            let t = self.syscall_tick.load(Ordering::Relaxed);
            self.syscall_tick
                .store(t.wrapping_add(1), Ordering::Relaxed);
        }
        self.syscall.store(on, Ordering::Relaxed);
    }

    /// The number of blocking calls the holder's goroutines have entered, as sysmon sees it.
    pub fn syscall_tick(&self) -> u32 {
        self.syscall_tick.load(Ordering::Relaxed)
    }

    /// True while the holder's goroutine is inside `gpm::syscall`.
    pub fn in_syscall(&self) -> bool {
        self.syscall.load(Ordering::Relaxed)
    }
}

#[cfg(not(loom))]
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(loom)]
fn lock<T>(m: &Mutex<T>) -> loom::sync::MutexGuard<'_, T> {
    m.lock().unwrap()
}

/// The asymmetric fence pair (see the module docs). Call [`init`] before any lease is used.
pub mod barrier {
    use super::{fence, Ordering};

    #[cfg(all(target_os = "linux", not(loom)))]
    mod imp {
        use std::sync::atomic::AtomicBool;
        use std::sync::OnceLock;

        /// True once the process is registered for expedited private membarriers.
        pub(super) static ASYM: AtomicBool = AtomicBool::new(false);
        static INIT: OnceLock<bool> = OnceLock::new();

        const CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
        const CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

        fn membarrier(cmd: libc::c_long) -> bool {
            // SAFETY: membarrier takes no pointers; an unsupported command returns -1.
            unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0 as libc::c_long, 0) == 0 }
        }

        pub(super) fn init() {
            INIT.get_or_init(|| {
                let ok = membarrier(CMD_REGISTER_PRIVATE_EXPEDITED);
                ASYM.store(ok, std::sync::atomic::Ordering::SeqCst);
                ok
            });
        }

        pub(super) fn heavy() -> bool {
            if !ASYM.load(std::sync::atomic::Ordering::Relaxed) {
                return false;
            }
            if !membarrier(CMD_PRIVATE_EXPEDITED) {
                // Registered, so this cannot fail; if it did, the holders' compiler fences
                // would no longer be enough, and nothing can repair that now.
                eprintln!("gpm: membarrier failed after registration; aborting");
                std::process::abort();
            }
            true
        }

        #[inline]
        pub(super) fn asym() -> bool {
            ASYM.load(std::sync::atomic::Ordering::Relaxed)
        }
    }

    #[cfg(not(all(target_os = "linux", not(loom))))]
    mod imp {
        pub(super) fn init() {}
        pub(super) fn heavy() -> bool {
            false
        }
        #[inline]
        pub(super) fn asym() -> bool {
            false
        }
    }

    /// Registers the process for the asymmetric fence, once. Must happen before any M
    /// runs (the scheduler calls it when it is created).
    pub fn init() {
        imp::init();
    }

    /// The holder's (frequent) side.
    #[inline]
    pub fn light() {
        if imp::asym() {
            std::sync::atomic::compiler_fence(Ordering::SeqCst);
        } else {
            fence(Ordering::SeqCst);
        }
    }

    /// Sysmon's (rare) side.
    pub fn heavy() {
        if !imp::heavy() {
            fence(Ordering::SeqCst);
        }
    }
}
