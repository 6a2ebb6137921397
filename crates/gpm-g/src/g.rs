//! The G record: identity, state, and the per-G data only its current runner touches.

use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use corosensei::{Coroutine, Yielder};

use crate::exec::Switch;
use crate::overflow::Running;
use crate::stack::Skewed;
use crate::state::GState;
use crate::task::{EntryRef, TaskSlot};
use crate::GRef;
use crate::Sched;

/// A goroutine's id: unique in the process, never reused, starting at 1. Ids rise in the
/// order one OS thread hands them out; otherwise they need not (each thread takes them from
/// the process-wide counter [`ID_BATCH`] at a time, and a goroutine that spawns may move
/// between threads).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GId(pub u64);

/// Ids a thread takes from the shared counter at once (Go's `_GoidCacheBatch`): one shared
/// counter bumped by every spawn on every M is a cache line the Ms would fight over.
pub const ID_BATCH: u64 = 16;

thread_local! {
    /// The calling thread's next id and the end of its batch.
    static IDS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

impl GId {
    /// Allocates a fresh id. Never inlined: it reads a thread-local, and a goroutine that
    /// spawns, parks, resumes on another thread and spawns again must not reuse the first
    /// thread's address of it.
    #[inline(never)]
    pub fn next() -> GId {
        IDS.with(|ids| {
            let (mut next, mut end) = ids.get();
            if next == end {
                next = NEXT_ID.fetch_add(ID_BATCH, Ordering::Relaxed);
                end = next + ID_BATCH;
            }
            ids.set((next + 1, end));
            GId(next)
        })
    }
}

impl fmt::Display for GId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

pub(crate) type Co = Coroutine<(), Switch, (), Skewed>;

/// One goroutine.
///
/// `repr(C)` keeps the fields in the order written: what every park, ready and switch
/// touches comes first, right after the record's count (see [`GRef`]), in its first 120
/// bytes, so that it spans two cache lines (three when the block starts late in one; blocks
/// are 272 bytes apart) instead of the five of the whole record. A woken goroutine among
/// thousands finds none of its record in cache, and each line is a miss on the path that
/// switches it in.
#[repr(C)]
pub struct G {
    pub(crate) state: GState,
    /// Set at runtime shutdown, before the G's stack is unwound.
    pub(crate) killed: AtomicBool,
    /// `lock_os_thread` nesting depth, and the M (as the scheduler names it) the G is pinned
    /// to while it is above zero (`pinned_to`, below). Written only by the G itself.
    pin_depth: AtomicU32,
    pub(crate) sched: Arc<dyn Sched>,
    /// Slot for the scheduler's bookkeeping (gpm-m stores the G's registry index here).
    registry_slot: AtomicU32,
    /// The stack size the G asked for (at most `u32::MAX`, see [`G::new`]).
    stack_size: u32,
    /// The G's yielder, valid while the coroutine is started and not finished.
    pub(crate) yielder: Cell<*const Yielder<(), Switch>>,
    /// Unstarted until the first run, then the coroutine, then done. Touched only by the
    /// thread that currently runs the G (the state protocol makes that one thread).
    pub(crate) body: UnsafeCell<Body>,
    /// The G's id and name, and its stack's guard page or canary, as the overflow handler
    /// reads them while this G runs (the stack word is read at every switch out, too).
    pub(crate) running: Running,
    // The rest is read at a G's first run, by the trace, or on rare paths.
    pinned_to: std::sync::Mutex<Option<Pin>>,
    /// What the G runs (see [`crate::task`]). Read shared by the G's runner and by its join
    /// handle; changed only through the record's one `GRef` (`retire`, `recycle`). Declared
    /// after `body` so that it is dropped after it: a coroutine still alive when the record
    /// is dropped unwinds first, while the entry it runs is still there.
    pub(crate) task: UnsafeCell<TaskSlot>,
}

/// What a pinned G is pinned to: the scheduler's handle for one M.
pub type Pin = Arc<dyn Any + Send + Sync>;

/// What a goroutine runs: its closure together with wherever its result goes. The G record
/// holds it (inside itself when it is small, see [`crate::task`]) until the record is retired,
/// reused or dropped, and a join handle reads the result from it through an [`EntryRef`].
///
/// An entry is dropped on the scheduler's side, outside any goroutine (`G::retire`), once
/// nothing refers to its G: by then its drop must run no code that can panic, which is why
/// gpm's task gives its closure away in `run` or `cancel` and its result to whoever takes it.
pub trait Entry: Send + Sync + 'static {
    /// Runs the goroutine's body, on the goroutine's stack. Called at most once.
    fn run(&self);
    /// The goroutine will never run: its stack could not be allocated, or its runtime shut
    /// down before it started. Called at most once, and never after `run`.
    fn cancel(&self);
}

pub(crate) enum Body {
    /// Not started: the entry waits in the record's task slot.
    Unstarted,
    Running(Co),
    Done,
}

// SAFETY: the fields that are not Sync (`body`, `yielder`) are only
// touched by the single thread that currently runs the G or, before the first run and after
// shutdown, by the thread that owns it exclusively; the state protocol (`state`) hands that
// ownership from thread to thread with acquire/release transitions. The coroutine itself is
// `!Send` because values on its stack might be thread-bound: that is gpm's one documented
// inherent hazard (see the crate docs), the same one every M:N stackful runtime carries.
unsafe impl Send for G {}
// SAFETY: see the `Send` impl: shared access from other threads is limited to the atomics
// and to the entry in `task`, which is `Sync` (`Entry: Sync`) and which nothing changes while
// more than one `GRef` to the record exists (`retire` and `recycle` need the only one).
unsafe impl Sync for G {}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl G {
    /// A new runnable G with id `id` (from [`GId::next`]) that will run `entry` on a stack of
    /// `stack_size` bytes, scheduled by `sched`, and a reference to its entry (for a join
    /// handle). The stack is allocated when the G first runs.
    ///
    /// # Panics
    ///
    /// If `stack_size` exceeds `u32::MAX` (gpm's facade caps it at 1 GiB).
    // A G exists only behind its counted reference (clippy would want `Self`).
    #[allow(clippy::new_ret_no_self)]
    pub fn new<E: Entry>(
        id: GId,
        entry: E,
        name: Option<String>,
        stack_size: usize,
        sched: Arc<dyn Sched>,
    ) -> (GRef, EntryRef<E>) {
        let g = GRef::new(G {
            stack_size: stored_stack_size(stack_size),
            state: GState::new(),
            sched,
            killed: AtomicBool::new(false),
            registry_slot: AtomicU32::new(NO_REGISTRY_SLOT),
            body: UnsafeCell::new(Body::Unstarted),
            yielder: Cell::new(std::ptr::null()),
            running: running_record(id, name),
            pin_depth: AtomicU32::new(0),
            pinned_to: std::sync::Mutex::new(None),
            task: UnsafeCell::new(TaskSlot::new(entry)),
        });
        let entry = entry_ref(&g);
        (g, entry)
    }

    /// Makes the record of an exited G ready for a free list: drops its entry, so that a free
    /// record keeps nothing of its last goroutine (a boxed task, say) until it is reused.
    /// Returns false, and does nothing, unless `g` is the only reference to an exited G; the
    /// record may then be passed to [`G::recycle`].
    ///
    /// No user code runs here: the only reference being `g` means the goroutine's join
    /// handle is gone, and with it any result (a handle takes a finished result with it, and
    /// a goroutine whose handle is gone drops its own); the closure went at the run.
    pub fn retire(g: &mut GRef) -> bool {
        let Some(inner) = Self::exited_and_unique(g) else {
            return false;
        };
        inner.task.get_mut().clear();
        true
    }

    /// The record of `g` to change, if `g` is the only reference to it and its G has exited
    /// (what `retire` and `recycle` both need).
    fn exited_and_unique(g: &mut GRef) -> Option<&mut G> {
        let inner = GRef::get_mut(g)?;
        matches!(inner.body.get_mut(), Body::Done).then_some(inner)
    }

    /// Reuses the record of a G that has exited, for a new goroutine on the same scheduler
    /// (Go keeps dead Gs on free lists the same way), and returns a reference to its new
    /// entry. Changes nothing unless `g` is the only reference to an exited G; otherwise the
    /// entry and name come back.
    pub fn recycle<E: Entry>(
        g: &mut GRef,
        id: GId,
        entry: E,
        name: Option<String>,
        stack_size: usize,
    ) -> Result<EntryRef<E>, (E, Option<String>)> {
        let Some(inner) = Self::exited_and_unique(g) else {
            return Err((entry, name));
        };
        inner.running = running_record(id, name);
        inner.stack_size = stored_stack_size(stack_size);
        inner.state = GState::new();
        *inner.killed.get_mut() = false;
        *inner.registry_slot.get_mut() = NO_REGISTRY_SLOT;
        *inner.body.get_mut() = Body::Unstarted;
        // Drops the old goroutine's entry if `retire` has not, which nothing refers to any
        // more (`g` is unique).
        inner.task.get_mut().put(entry);
        inner.yielder.set(std::ptr::null());
        *inner.pin_depth.get_mut() = 0;
        *inner.pinned_to.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(entry_ref(g))
    }

    /// This goroutine's id.
    #[inline]
    pub fn id(&self) -> GId {
        GId(self.running.id())
    }

    /// This goroutine's name, if it was given one.
    #[inline]
    pub fn name(&self) -> Option<&str> {
        self.running.name()
    }

    /// The stack size this G runs with.
    #[inline]
    pub fn stack_size(&self) -> usize {
        self.stack_size as usize
    }

    /// The scheduler this G belongs to.
    #[inline]
    pub fn sched(&self) -> &Arc<dyn Sched> {
        &self.sched
    }

    /// The current state word (see [`crate::state`]).
    pub fn state(&self) -> u8 {
        self.state.load()
    }

    /// The scheduler's slot for this G in its registry of live goroutines
    /// ([`NO_REGISTRY_SLOT`] if none).
    #[inline]
    pub fn registry_slot(&self) -> u32 {
        self.registry_slot.load(Ordering::Relaxed)
    }

    /// Records the scheduler's registry slot for this G.
    #[inline]
    pub fn set_registry_slot(&self, slot: u32) {
        self.registry_slot.store(slot, Ordering::Relaxed);
    }

    /// The M this G is pinned to (`lock_os_thread`), if any. One relaxed load when not.
    #[inline]
    pub fn pinned_to(&self) -> Option<Pin> {
        if self.pin_depth.load(Ordering::Acquire) == 0 {
            return None;
        }
        self.pinned_to_slow()
    }

    #[cold]
    fn pinned_to_slow(&self) -> Option<Pin> {
        self.pinned_to
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// One more level of pinning, to the M that `m` names (asked for only on the first
    /// level). Called by the G itself. True on the first level.
    pub fn pin(&self, m: impl FnOnce() -> Pin) -> bool {
        let depth = self.pin_depth.load(Ordering::Relaxed);
        if depth == 0 {
            *self.pinned_to.lock().unwrap_or_else(|e| e.into_inner()) = Some(m());
        }
        let depth = depth
            .checked_add(1)
            .expect("gpm: lock_os_thread nested more than u32::MAX times");
        self.pin_depth.store(depth, Ordering::Release);
        depth == 1
    }

    /// One level less (a no-op at zero, like Go's `UnlockOSThread`). Called by the G
    /// itself. True if the G is no longer pinned.
    pub fn unpin(&self) -> bool {
        match self.pin_depth.load(Ordering::Relaxed) {
            0 => false,
            1 => {
                self.unpin_all();
                true
            }
            d => {
                self.pin_depth.store(d - 1, Ordering::Release);
                false
            }
        }
    }

    /// Drops every level of pinning (the G exited).
    pub fn unpin_all(&self) {
        self.pin_depth.store(0, Ordering::Release);
        *self.pinned_to.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// A reference to the entry of `g`, which the caller knows to be an `E`.
fn entry_ref<E: Entry>(g: &GRef) -> EntryRef<E> {
    // SAFETY: a shared look at the slot, which nobody changes while the record is shared;
    // the caller knows the entry's type.
    let at = unsafe { (*g.task.get()).get_as::<E>() };
    let at = at.expect("the G was just given its entry");
    // SAFETY: `at` points into the entry of `g`, derived through a shared reference to the
    // slot.
    unsafe { EntryRef::new(g.clone(), at) }
}

/// The overflow handler's record for a G that has no stack yet.
fn running_record(id: GId, name: Option<String>) -> Running {
    Running::new(id.0, name.map(String::into_boxed_str))
}

/// What [`G::registry_slot`] says of a G that is in no registry.
pub const NO_REGISTRY_SLOT: u32 = u32::MAX;

/// `stack_size` as a G record stores it.
fn stored_stack_size(stack_size: usize) -> u32 {
    u32::try_from(stack_size).expect("gpm: a goroutine's stack size must fit in a u32")
}

impl fmt::Debug for G {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("G")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("state", &self.state.load())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids from two threads never collide, and one thread's rise.
    #[test]
    fn ids_are_unique_across_threads_and_rise_within_one() {
        let per_thread = 3 * ID_BATCH as usize + 5;
        let spawn =
            || std::thread::spawn(move || (0..per_thread).map(|_| GId::next()).collect::<Vec<_>>());
        let (a, b) = (spawn(), spawn());
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        assert!(a.windows(2).all(|w| w[0] < w[1]), "rising within a thread");
        let mut all: Vec<GId> = a.into_iter().chain(b).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 2 * per_thread, "no id handed out twice");
        assert!(all[0].0 >= 1, "ids start at 1");
    }

    /// The fields of the hot path end within 128 bytes of the record block's start (its
    /// count comes first), as the `repr(C)` order promises: the last of them is the stack
    /// word that starts `running`.
    #[test]
    fn hot_fields_fit_two_lines() {
        let counts = crate::gref::RECORD_BYTES - std::mem::size_of::<G>();
        let hot_end = std::mem::offset_of!(G, running) + std::mem::size_of::<usize>();
        assert!(
            counts + hot_end <= 128,
            "hot part of G ends at {}",
            counts + hot_end
        );
        assert!(std::mem::offset_of!(G, body) < std::mem::offset_of!(G, running));
    }

    /// A G record with its count is a 272-byte block of the record pool: a finished
    /// goroutine whose join handle is kept pins the whole of it.
    #[test]
    fn a_record_stays_within_its_budget() {
        let record = crate::gref::RECORD_BYTES;
        assert!(record <= 272, "a G record takes {record} bytes");
    }
}
