//! Goroutine stacks: lazily committed `mmap` memory with a guard below it, and a pool to
//! reuse them.
//!
//! # Layout
//!
//! A [`Stack`] from [`Stack::new`] is its own anonymous private mapping
//! (`PROT_READ|PROT_WRITE`, `MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE|MAP_STACK`), so each one
//! can be freed (`munmap`) or reused independently. New stacks of a [`StackPool`] with
//! `MADV_GUARD_INSTALL` guards are instead slots of bigger such mappings, carved out and freed
//! back by [`crate::chunk`]; each slot has exactly the layout below:
//!
//! ```text
//!   limit = mapping start                                    base = mapping end
//!   | guard page |  usable bytes (usable_size(), a multiple of the page size)  |
//!   ^ 1 page     ^ lowest usable address (canary word, if any)    stack grows <-
//! ```
//!
//! * The usable size is the requested size rounded up to whole pages, at least
//!   [`MIN_USABLE_SIZE`] (16 KiB). One page sits below it.
//! * `base` (the highest address, near which the coroutine starts) is page-aligned, so a
//!   goroutine that stays shallow touches exactly one page: the memory is committed lazily,
//!   page by page, by the kernel on first touch, and `MAP_NORESERVE` keeps untouched pages out
//!   of the commit charge. 100,000 idle goroutines cost about 100,000 pages of RSS. `MAP_STACK`
//!   also tells Linux (6.7+) not to back the mapping with transparent huge pages, which would
//!   turn that one page into 2 MiB.
//! * `limit` (what `corosensei` sees as the lowest address) includes the guard page.
//! * A goroutine's first frame starts a little below `base`: `Skewed`, the form in which a
//!   coroutine holds its stack, moves its start down by 0 to [`SKEW_LINES`]` - 1` cache lines
//!   (at most 3,008 bytes), a fixed function of the stack's address. Every `base` is at the
//!   same offset in its page, and the L1 and L2 caches pick a line's set from the address
//!   bits below the page size too (the L2 from a few above as well), so without the skew the
//!   top frames of thousands of parked goroutines compete for one set in 64 (L1), or 64 of
//!   2,048 sets (a 2 MiB L2): a daisy chain of 3,000 goroutines, the prime sieve, ran about
//!   10-20% slower on 1 P without it (on 2, where each core holds half the chain, no
//!   different). A goroutine less than 1 KiB deep still touches one page.
//!
//! # Guards, and why not simply `mprotect`
//!
//! The classic guard is `mprotect(PROT_NONE)` on the lowest page. That splits the mapping into
//! two VMAs, and Linux caps a process at `vm.max_map_count` VMAs (65,530 by default), so a
//! runtime that guards every stack this way dies at about 32,000 goroutines. gpm must hold
//! 100,000 live stacks with default settings. The strategy, chosen once per process:
//!
//! 1. [`Guard::Madvise`]: Linux 6.13+ has `madvise(MADV_GUARD_INSTALL)`, which turns a range
//!    of a private mapping into guard pages *without* splitting the VMA (the guard lives in the
//!    page tables). Whether it works is probed once ([`madv_guard_supported`]); when it does,
//!    every stack gets a real guard page this way. Adjacent stacks even merge into a single
//!    VMA, so 100,000 stacks cost a handful of VMAs. The guard markers survive
//!    `MADV_DONTNEED` (only `MADV_GUARD_REMOVE` or `munmap` removes them), so a stack stays
//!    guarded through [`Stack::release_unused`] and through any number of reuses from a
//!    [`StackPool`].
//! 2. [`Guard::Mprotect`]: on older kernels, `mprotect(PROT_NONE)` guard pages for a budget of
//!    stacks, `min(10_000, vm.max_map_count / 4)` ([`mprotect_guard_budget`]), counted by an
//!    atomic number of live mprotect-guarded stacks (each costs two VMAs).
//! 3. [`Guard::Canary`]: beyond that budget a stack gets no guard page. Instead its lowest
//!    usable word holds a 64-bit magic value, and the page below it is left as an
//!    unprotected red zone inside the same mapping (so an overflow of less than a page
//!    scribbles over memory of this stack only). The scheduler must check
//!    [`Stack::canary_intact`] (or [`canary_ok`]) every time the goroutine switches out and
//!    report a broken canary with `overflow::report_overflow`. **A canary catches an overflow
//!    only after the fact, at the next switch**: until then the overflowing goroutine may have
//!    written past its red zone into whatever lies below its mapping (often another stack),
//!    and a frame that jumps over the canary word without writing it is not caught at all.
//!    Canary stacks are therefore only a fallback: they are used only on kernels without
//!    `MADV_GUARD_INSTALL` (before 6.13) and only once the mprotect budget is used up (or when
//!    explicitly asked for). Writing the canary also touches the lowest page, so a canary stack
//!    costs two pages of RSS instead of one.
//!
//! The environment variable `GPM_STACK_GUARD` (`auto`, the default, or `madvise`, `mprotect`,
//! `canary`), read once, forces the starting point of that chain, e.g. to test the fallback
//! paths on a new kernel; [`Stack::with_guard`] does the same for a single stack.
//!
//! # Pool
//!
//! [`StackPool`] keeps idle stacks of one size for reuse behind a `parking_lot` mutex, at most
//! [`DEFAULT_MAX_IDLE`] of them by default (the rest are freed: unmapped, or for chunk stacks
//! given back with `MADV_DONTNEED` and returned to their chunk). When it has no idle stack it
//! carves a new one out of a chunk (16 MiB mapped at once, guards installed with one
//! `process_madvise`) where the guard mode is [`Guard::Madvise`], else calls [`Stack::new`]. An M-local cache can move
//! stacks in batches with [`StackPool::get_batch`] and [`StackPool::put_batch`]. Pooled stacks
//! keep the pages their last goroutine touched (no `madvise` per reuse, which would cost a
//! syscall and a TLB flush at every goroutine exit); [`Stack::release_unused`] and
//! [`StackPool::trim`] give memory back explicitly.

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use corosensei::stack::StackPointer;
use parking_lot::Mutex;

use crate::chunk::{self, Chunks, Slot};

/// Smallest usable size of a stack: smaller requests are rounded up to this.
pub const MIN_USABLE_SIZE: usize = 16 * 1024;

/// How many idle stacks a [`StackPool`] keeps by default; stacks returned beyond that are
/// unmapped.
pub const DEFAULT_MAX_IDLE: usize = 1024;

/// `madvise` advice that installs guard pages without splitting the VMA (Linux 6.13+). Defined
/// here because older `libc` releases lack it.
pub(crate) const MADV_GUARD_INSTALL: libc::c_int = 102;

/// A coroutine's first frame starts `64 * k` bytes below its stack's `base`, with `k` in
/// `0..SKEW_LINES` (see the module docs).
pub const SKEW_LINES: usize = 48;

/// The value stored in the lowest usable word of a [`Guard::Canary`] stack ("gpmstack").
const CANARY: u64 = 0x6770_6d73_7461_636b;

/// The mprotect budget never exceeds this many stacks.
const MPROTECT_BUDGET_CAP: usize = 10_000;

/// What protects the low end of a stack against overflow. Also used as a strategy: see
/// [`Stack::with_guard`] and [`guard_mode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Guard {
    /// A real guard page installed with `madvise(MADV_GUARD_INSTALL)` (no VMA split).
    Madvise,
    /// A real guard page made with `mprotect(PROT_NONE)` (splits the VMA; budgeted).
    Mprotect,
    /// No guard page: a magic word at the lowest usable address, checked after the fact.
    Canary,
}

impl Guard {
    /// `true` for the guards that fault on access (`Madvise`, `Mprotect`).
    pub fn is_page(self) -> bool {
        !matches!(self, Guard::Canary)
    }
}

/// A goroutine stack: a private anonymous mapping of its own, or a slot of a chunk (see
/// [`crate::chunk`]); freed when dropped.
pub struct Stack {
    /// Start of the mapping: the lowest address, the guard page (or red zone) first.
    map: NonNull<u8>,
    /// Length of the whole mapping, guard page included.
    len: usize,
    /// What guards the low end.
    guard: Guard,
    /// The chunk this stack was carved from, if any (then `map..map + len` is one slot of it,
    /// and dropping the stack returns the slot instead of unmapping).
    slot: Option<Slot>,
    /// How far below `base` a coroutine on this stack starts, set by `Skewed::new`. Kept
    /// here, in what was padding, rather than in `Skewed`: the coroutine lives inside the G
    /// record, which has no byte to spare (see `gref::RECORD_BYTES`).
    skew: u16,
}

// The skew took padding: a `Stack` is as big as before it.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Stack>() == 40);

// SAFETY: a `Stack` exclusively owns its mapping (nobody else holds the address), and mapped
// memory is not tied to the thread that created it, so the owner may move to another thread.
// It is deliberately not `Sync`: `canary_intact` reads stack memory that the coroutine running
// on the stack writes, which is only race-free from the thread that runs that coroutine.
unsafe impl Send for Stack {}

// SAFETY: `base` and `limit` are the fixed ends of a mapping of at least `MIN_USABLE_SIZE`
// usable bytes that lives as long as `self`; both are page-aligned (so aligned to
// `STACK_ALIGNMENT`) and `limit` includes the guard page. `Guard::Madvise` and
// `Guard::Mprotect` stacks have the real guard page corosensei asks for. `Guard::Canary`
// stacks, the documented fallback for kernels without MADV_GUARD_INSTALL once the mprotect
// budget is spent, only detect an overflow at the next switch (see the module docs); the
// scheduler must check the canary then and abort on a broken one.
unsafe impl corosensei::stack::Stack for Stack {
    #[inline]
    fn base(&self) -> StackPointer {
        StackPointer::new(self.map.as_ptr() as usize + self.len).expect("stack base is not null")
    }

    #[inline]
    fn limit(&self) -> StackPointer {
        StackPointer::new(self.map.as_ptr() as usize).expect("stack limit is not null")
    }
}

/// A stack as a coroutine runs on it: the same memory, but the coroutine's first frame
/// starts a little below [`Stack`]'s `base` (see the module docs). corosensei asks for `base`
/// at every resume, so the skew is computed once, here, and stored.
pub(crate) struct Skewed(Stack);

impl Skewed {
    pub(crate) fn new(mut stack: Stack) -> Skewed {
        stack.skew = skew(&stack) as u16;
        Skewed(stack)
    }

    pub(crate) fn into_inner(self) -> Stack {
        self.0
    }
}

/// How far below `base` a coroutine on `stack` starts: a multiple of 64 below
/// `64 * SKEW_LINES`, from a hash of the stack's top page number, so that it stays the same
/// for a stack and differs between neighbours in a chunk (slots a fixed number of pages apart).
fn skew(stack: &Stack) -> usize {
    let page = (stack.map.as_ptr() as usize + stack.len) / page_size();
    let h = (page as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    (h as usize % SKEW_LINES) * 64
}

// SAFETY: `limit` is the inner stack's, and `base` is its base moved down by at most 3,008
// bytes, a multiple of 64 (so still aligned to `STACK_ALIGNMENT`) and still inside the usable
// area, which is at least `MIN_USABLE_SIZE` (16 KiB); both stay fixed while `self` lives, as
// `Stack`'s do (see its impl).
unsafe impl corosensei::stack::Stack for Skewed {
    #[inline]
    fn base(&self) -> StackPointer {
        let base = corosensei::stack::Stack::base(&self.0).get() - self.0.skew as usize;
        StackPointer::new(base).expect("stack base is not null")
    }

    #[inline]
    fn limit(&self) -> StackPointer {
        corosensei::stack::Stack::limit(&self.0)
    }
}

impl Stack {
    /// Allocates a stack with at least `size` usable bytes (rounded up to whole pages, at least
    /// [`MIN_USABLE_SIZE`]), guarded the best way this process can afford (see the module
    /// docs and [`guard_mode`]).
    pub fn new(size: usize) -> io::Result<Stack> {
        Stack::with_guard(size, guard_mode())
    }

    /// Like [`Stack::new`], but starts the guard fallback chain at `want` instead of at the
    /// process-wide [`guard_mode`]: `Madvise` falls back to `Mprotect` when the kernel lacks
    /// `MADV_GUARD_INSTALL`, `Mprotect` falls back to `Canary` when the budget is spent, and
    /// `Canary` is always a canary stack. [`Stack::guard`] tells what the stack got.
    pub fn with_guard(size: usize, want: Guard) -> io::Result<Stack> {
        let page = page_size();
        let usable = usable_size_for(size)?;
        let len = usable.checked_add(page).ok_or_else(too_big)?;
        let map = map_stack_memory(len)?;
        // From here on `Drop` unmaps the stack if we bail out; `Canary` means "nothing to
        // undo" until the guard is settled.
        let mut stack = Stack {
            map,
            len,
            guard: Guard::Canary,
            slot: None,
            skew: 0,
        };
        if want == Guard::Madvise
            && madv_guard_supported()
            // SAFETY: the first page of our own fresh mapping; nothing lives there yet.
            && unsafe { libc::madvise(map.as_ptr().cast(), page, MADV_GUARD_INSTALL) } == 0
        {
            stack.guard = Guard::Madvise;
            return Ok(stack);
        }
        if want != Guard::Canary && reserve_mprotect_guard() {
            // SAFETY: the first page of our own fresh mapping; nothing lives there yet.
            if unsafe { libc::mprotect(map.as_ptr().cast(), page, libc::PROT_NONE) } == 0 {
                stack.guard = Guard::Mprotect;
                return Ok(stack);
            }
            // Most likely ENOMEM: vm.max_map_count reached. Fall back to a canary.
            release_mprotect_guard();
        }
        // SAFETY: the canary word is the first 8 bytes of the usable area, inside our fresh
        // read-write mapping, and page-aligned.
        unsafe { canary_ptr(map, page).write(CANARY) };
        Ok(stack)
    }

    /// A stack on the chunk slot `map..map + len`, whose first page is a `MADV_GUARD_INSTALL`
    /// guard.
    pub(crate) fn from_slot(map: NonNull<u8>, len: usize, slot: Slot) -> Stack {
        Stack {
            map,
            len,
            guard: Guard::Madvise,
            slot: Some(slot),
            skew: 0,
        }
    }

    /// Takes a chunk stack apart without freeing it (its start, length and slot, for
    /// [`chunk::free_stacks`]); any other stack comes back unchanged.
    pub(crate) fn into_slot(mut self) -> Result<(NonNull<u8>, usize, Slot), Stack> {
        match self.slot.take() {
            Some(slot) => {
                let parts = (self.map, self.len, slot);
                // Nothing else to free: a chunk stack has no mapping or mprotect budget of
                // its own.
                std::mem::forget(self);
                Ok(parts)
            }
            None => Err(self),
        }
    }

    /// Whether this stack is a slot of a chunk rather than a mapping of its own.
    pub fn is_chunked(&self) -> bool {
        self.slot.is_some()
    }

    /// Usable bytes between the guard page and the base (a multiple of the page size).
    pub fn usable_size(&self) -> usize {
        self.len - page_size()
    }

    /// What guards the low end of this stack.
    pub fn guard(&self) -> Guard {
        self.guard
    }

    /// `[lo, hi)` of the guard page, if this stack has a real one (for the overflow handler:
    /// a fault address in this range is a stack overflow).
    pub fn guard_range(&self) -> Option<(usize, usize)> {
        let lo = self.map.as_ptr() as usize;
        self.guard.is_page().then(|| (lo, lo + page_size()))
    }

    /// `false` if this is a [`Guard::Canary`] stack whose canary word was overwritten, which
    /// means the goroutine running on it overflowed. Always `true` for stacks with a real guard
    /// page. One memory load: cheap enough for every switch out.
    #[inline]
    pub fn canary_intact(&self) -> bool {
        match self.canary_addr() {
            None => true,
            // SAFETY: the canary word lies inside our mapping, which lives as long as `self`.
            Some(addr) => unsafe { canary_ok(addr) },
        }
    }

    /// Address of the canary word of a [`Guard::Canary`] stack, `None` for stacks with a real
    /// guard page. For a scheduler that cannot reach the `Stack` while a coroutine owns it:
    /// check the address with [`canary_ok`] at every switch out.
    pub fn canary_addr(&self) -> Option<usize> {
        (self.guard == Guard::Canary).then(|| canary_ptr(self.map, page_size()) as usize)
    }

    /// Gives every page of the stack except the topmost back to the kernel
    /// (`MADV_DONTNEED`: they read as zero when touched again). For an idle stack whose last
    /// goroutine ran deep. Guard pages (and the canary, which is rewritten) stay in place.
    /// Must not be called while a coroutine is suspended on the stack, which `&mut self`
    /// guarantees as long as the coroutine owns the stack.
    /// Fails (and changes nothing) if the stack's canary is broken.
    pub fn release_unused(&mut self) -> io::Result<()> {
        if !self.canary_intact() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "stack canary is broken: its goroutine overflowed",
            ));
        }
        let page = page_size();
        let lo = self.map.as_ptr() as usize + page;
        let hi = self.map.as_ptr() as usize + self.len - page;
        if hi > lo {
            // SAFETY: `[lo, hi)` lies inside our mapping, and `&mut self` means no coroutine
            // holds data on it; its contents are discarded on purpose.
            if unsafe { libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_DONTNEED) } != 0
            {
                return Err(io::Error::last_os_error());
            }
        }
        if self.guard == Guard::Canary {
            // SAFETY: the canary word is inside our read-write mapping and page-aligned.
            unsafe { canary_ptr(self.map, page).write(CANARY) };
        }
        Ok(())
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            return chunk::free_one(self.map, self.len, slot);
        }
        let addr = self.map.as_ptr().cast::<libc::c_void>();
        // SAFETY: we own the mapping and nothing refers to it once the stack is dropped (a
        // coroutine owns its stack for as long as it may run on it).
        if unsafe { libc::munmap(addr, self.len) } != 0 {
            // Unmapping part of a merged VMA can fail with ENOMEM when the split would exceed
            // vm.max_map_count. Leak the address range but give its memory back; this does not
            // split anything.
            // SAFETY: as above; the contents are garbage from now on.
            unsafe { libc::madvise(addr, self.len, libc::MADV_DONTNEED) };
        }
        if self.guard == Guard::Mprotect {
            release_mprotect_guard();
        }
    }
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("limit", &self.map.as_ptr())
            .field("len", &self.len)
            .field("guard", &self.guard)
            .field("chunked", &self.slot.is_some())
            .finish()
    }
}

/// `true` unless the canary word at `addr` was overwritten.
///
/// # Safety
///
/// `addr` must come from [`Stack::canary_addr`] of a stack that is still alive (not dropped),
/// and no other thread may be running a coroutine on that stack.
#[inline]
pub unsafe fn canary_ok(addr: usize) -> bool {
    // SAFETY: the caller guarantees `addr` is the aligned canary word of a live stack that no
    // other thread writes concurrently.
    unsafe { (addr as *const u64).read_volatile() == CANARY }
}

/// The canary word: the lowest usable word, just above the guard page / red zone.
/// Maps `len` bytes of lazily committed stack memory (private, anonymous, no swap
/// reservation, no transparent huge pages), for one stack or a chunk of them.
pub(crate) fn map_stack_memory(len: usize) -> io::Result<NonNull<u8>> {
    // SAFETY: an anonymous mapping at an address of the kernel's choosing does not touch
    // any existing memory; the result is checked below.
    let map = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
            -1,
            0,
        )
    };
    if map == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    NonNull::new(map.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave 0"))
}

fn canary_ptr(map: NonNull<u8>, page: usize) -> *mut u64 {
    map.as_ptr().wrapping_add(page).cast::<u64>()
}

/// The usable size a stack asked for with `size` gets.
fn usable_size_for(size: usize) -> io::Result<usize> {
    let page = page_size();
    size.max(MIN_USABLE_SIZE)
        .checked_next_multiple_of(page)
        .ok_or_else(too_big)
}

fn too_big() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "stack size overflows usize")
}

/// The system page size, asked once.
pub(crate) fn page_size() -> usize {
    let p = PAGE.load(Ordering::Relaxed);
    if p != 0 {
        return p;
    }
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let p = if p > 0 { p as usize } else { 4096 };
    assert!(p.is_power_of_two(), "page size {p} is not a power of two");
    PAGE.store(p, Ordering::Relaxed);
    p
}

/// The page size once [`page_size`] has read it, 0 before: what a signal handler may call
/// (`sysconf` is not async-signal-safe).
pub(crate) fn known_page_size() -> usize {
    PAGE.load(Ordering::Relaxed)
}

/// The page size, 0 until [`page_size`] first asks the kernel.
static PAGE: AtomicUsize = AtomicUsize::new(0);

/// The guard strategy new stacks start from: `GPM_STACK_GUARD` if set to `madvise`,
/// `mprotect` or `canary` (read once), otherwise `Madvise` if the kernel supports it, else
/// `Mprotect` (which itself falls back to `Canary` beyond [`mprotect_guard_budget`]).
pub fn guard_mode() -> Guard {
    static MODE: OnceLock<Guard> = OnceLock::new();
    *MODE.get_or_init(|| {
        let forced = std::env::var("GPM_STACK_GUARD").ok();
        match forced.as_deref().map(str::trim) {
            Some("madvise") => Guard::Madvise,
            Some("mprotect") => Guard::Mprotect,
            Some("canary") => Guard::Canary,
            _ if madv_guard_supported() => Guard::Madvise,
            _ => Guard::Mprotect,
        }
    })
}

/// Whether `madvise(MADV_GUARD_INSTALL)` works on this kernel (Linux 6.13+), probed once on a
/// scratch mapping.
pub fn madv_guard_supported() -> bool {
    static SUPPORTED: OnceLock<bool> = OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        let page = page_size();
        // SAFETY: a fresh anonymous mapping of two pages, only used by this probe.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                2 * page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return false;
        }
        // SAFETY: the first page of the probe mapping, which nothing else uses. Kernels
        // without the advice fail with EINVAL.
        let ok = unsafe { libc::madvise(map, page, MADV_GUARD_INSTALL) } == 0;
        // SAFETY: the probe mapping is ours and unused.
        unsafe { libc::munmap(map, 2 * page) };
        ok
    })
}

/// How many stacks may have an `mprotect` guard page at once:
/// `min(10_000, vm.max_map_count / 4)` (each such stack costs two VMAs, and the rest of the
/// process needs VMAs too).
pub fn mprotect_guard_budget() -> usize {
    static BUDGET: OnceLock<usize> = OnceLock::new();
    *BUDGET.get_or_init(|| {
        let max = std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(65_530);
        (max / 4).min(MPROTECT_BUDGET_CAP)
    })
}

/// How many chunks of pooled stacks (see [`crate::chunk`]) this process has mapped right now,
/// for tests and diagnostics.
pub fn mapped_chunks() -> usize {
    chunk::mapped_chunks()
}

/// Live stacks with an `mprotect` guard page right now.
pub fn mprotect_guards_live() -> usize {
    MPROTECT_LIVE.load(Ordering::Relaxed)
}

static MPROTECT_LIVE: AtomicUsize = AtomicUsize::new(0);

/// Takes one unit of the mprotect budget, if any is left.
fn reserve_mprotect_guard() -> bool {
    let budget = mprotect_guard_budget();
    MPROTECT_LIVE
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            (n < budget).then_some(n + 1)
        })
        .is_ok()
}

fn release_mprotect_guard() {
    MPROTECT_LIVE.fetch_sub(1, Ordering::Relaxed);
}

/// A pool's idle stacks, used last in, first out, and how far down they were taken.
#[derive(Default)]
struct Idle {
    stacks: Vec<Stack>,
    /// The fewest stacks the pool held since the last [`StackPool::trim_unused`]: the
    /// bottom `low` have stayed idle all that time.
    low: usize,
}

impl Idle {
    /// Takes up to `n` stacks off the top.
    fn take(&mut self, n: usize) -> std::vec::Drain<'_, Stack> {
        let from = self.stacks.len().saturating_sub(n);
        self.low = self.low.min(from);
        self.stacks.drain(from..)
    }
}

/// Idle stacks of one size, shared by all threads.
pub struct StackPool {
    /// The size asked for in `new`.
    size: usize,
    /// The usable size of the stacks this pool hands out.
    usable: usize,
    max_idle: usize,
    idle: Mutex<Idle>,
    /// Where new stacks are carved from, if chunks apply (see [`crate::chunk`]).
    chunks: Option<Arc<Chunks>>,
}

impl StackPool {
    /// A pool of stacks with at least `size` usable bytes, keeping at most
    /// [`DEFAULT_MAX_IDLE`] idle stacks.
    pub fn new(size: usize) -> StackPool {
        StackPool::with_max_idle(size, DEFAULT_MAX_IDLE)
    }

    /// A pool of stacks with at least `size` usable bytes, keeping at most `max_idle` idle
    /// stacks.
    pub fn with_max_idle(size: usize, max_idle: usize) -> StackPool {
        let usable = usable_size_for(size).expect("stack size overflows usize");
        StackPool {
            size,
            usable,
            max_idle,
            idle: Mutex::new(Idle::default()),
            chunks: Chunks::new(usable),
        }
    }

    /// The size given to [`StackPool::new`] (stacks from this pool have at least this many
    /// usable bytes: `usable_size()` is it rounded up to pages and to [`MIN_USABLE_SIZE`]).
    pub fn size(&self) -> usize {
        self.size
    }

    /// How many idle stacks the pool holds right now.
    pub fn idle(&self) -> usize {
        self.idle.lock().stacks.len()
    }

    /// An idle stack, or a new one if the pool is empty: carved from a chunk where chunks
    /// apply (falling back to a mapping of its own if a chunk cannot be mapped), else
    /// [`Stack::new`].
    pub fn get(&self) -> io::Result<Stack> {
        if let Some(s) = self.idle.lock().take(1).next() {
            return Ok(s);
        }
        if let Some(chunks) = &self.chunks {
            if let Ok(s) = chunks.alloc() {
                return Ok(s);
            }
        }
        Stack::new(self.size)
    }

    /// Takes back a stack that no coroutine uses any more. Stacks of another size, stacks with
    /// a broken canary, and stacks beyond the pool's idle limit are freed instead (outside the
    /// lock).
    pub fn put(&self, s: Stack) {
        if s.usable_size() != self.usable || !s.canary_intact() {
            return;
        }
        let mut idle = self.idle.lock();
        if idle.stacks.len() < self.max_idle {
            idle.stacks.push(s);
            return;
        }
        drop(idle);
        drop(s);
    }

    /// Moves up to `n` idle stacks into `out` (allocates none) and returns how many it moved.
    pub fn get_batch(&self, n: usize, out: &mut Vec<Stack>) -> usize {
        let mut idle = self.idle.lock();
        let before = out.len();
        out.extend(idle.take(n));
        out.len() - before
    }

    /// Takes back every stack in `stacks` (leaving it empty), like [`StackPool::put`] for
    /// each, under one lock acquisition.
    pub fn put_batch(&self, stacks: &mut Vec<Stack>) {
        let usable = self.usable;
        stacks.retain(|s| s.usable_size() == usable && s.canary_intact());
        let mut idle = self.idle.lock();
        let room = self
            .max_idle
            .saturating_sub(idle.stacks.len())
            .min(stacks.len());
        let from = stacks.len() - room;
        idle.stacks.extend(stacks.drain(from..));
        drop(idle);
        if !stacks.is_empty() {
            chunk::free_stacks(std::mem::take(stacks));
        }
    }

    /// Frees every idle stack; returns how many.
    pub fn trim(&self) -> usize {
        let idle = std::mem::take(&mut *self.idle.lock()).stacks;
        let n = idle.len();
        chunk::free_stacks(idle);
        n
    }

    /// Frees up to `max` of the idle stacks that none of the pool's takers reached since the
    /// last call (the bottom of the pile, which stayed idle all that time) and starts counting
    /// afresh; returns how many. Called at a steady period (sysmon's scavenge, about once a
    /// second), it leaves a pool that is drawn on alone and gives back what a past burst left,
    /// so that a program that once ran 100,000 goroutines at a time does not keep their
    /// stacks' touched pages for good. (Freeing the 131,072 stacks of a full pool took sysmon
    /// 195 ms here, hence `max`: those left over go in later calls if still unused.)
    pub fn trim_unused(&self, max: usize) -> usize {
        let mut idle = self.idle.lock();
        let n = idle.low.min(max);
        let unused: Vec<Stack> = idle.stacks.drain(..n).collect();
        idle.low = idle.stacks.len();
        drop(idle);
        chunk::free_stacks(unused);
        n
    }
}

impl Drop for StackPool {
    fn drop(&mut self) {
        chunk::free_stacks(std::mem::take(&mut self.idle.get_mut().stacks));
    }
}

impl std::fmt::Debug for StackPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackPool")
            .field("size", &self.size)
            .field("usable", &self.usable)
            .field("max_idle", &self.max_idle)
            .field("idle", &self.idle())
            .finish()
    }
}
