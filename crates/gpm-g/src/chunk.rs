//! Stacks carved out of chunks: one `mmap` for many stacks of one size, for
//! [`StackPool`](crate::stack::StackPool).
//!
//! Mapping every stack on its own costs, the first time, an `mmap` (under the process's mmap
//! lock, taken for writing) and a `madvise` for the guard, and in the end a `munmap` (the write
//! lock again, and a TLB shootdown). A burst of new goroutines pays that per stack. A [`Chunks`]
//! allocator instead maps up to [`CHUNK_BYTES`] at once as `slots` stacks side by side, each
//! with its own guard page below it:
//!
//! ```text
//!   chunk start                                                              chunk end
//!   | guard | usable (slot 0) | guard | usable (slot 1) | ... | guard | usable (slot n-1) |
//! ```
//!
//! and installs the `n` guards (`MADV_GUARD_INSTALL`, so the chunk stays one VMA and merges
//! with its neighbours) with one `process_madvise` call where the kernel allows it on the
//! current process (`PIDFD_SELF`, Linux 6.15+; one `madvise` per guard otherwise). A slot
//! becomes a [`Stack`] with a [`Guard::Madvise`] guard, exactly like a stack mapped alone: its
//! usable bytes are still committed lazily, page by page, on first touch. (Faulting in the top
//! pages of a new chunk up front with `MADV_POPULATE_WRITE` was tried: it saved the page faults
//! but no measurable time, and committed pages for slots that might never be used.)
//!
//! Only [`Guard::Madvise`] stacks come from chunks: an `mprotect` guard splits the VMA anyway,
//! and `Guard::Canary` stacks are a fallback for old kernels, not worth a second code path.
//!
//! # Freeing, and what idle memory costs
//!
//! A dropped chunk stack gives its pages back at once (`MADV_DONTNEED`, which keeps the guard
//! marker) and its slot goes back to the chunk's free set, so a free slot costs no RSS, only
//! its share of page tables (about 0.5 KiB per 256 KiB slot). Free slots are reused before a
//! new chunk is mapped. A chunk whose slots are all free is unmapped, except for up to
//! [`SPARE_CHUNKS`] kept mapped (they hold no RSS) for the next burst. So the address space
//! held is at most the chunks that hold a live or pooled stack, plus the spares, and RSS is
//! that of the live and pooled stacks alone. Stacks dropped together ([`free_stacks`]: a full
//! pool's overflow, a trim, a dropped pool) give their pages back with one `process_madvise`
//! per 1,024 stacks instead of one syscall each.

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::stack::{map_stack_memory, page_size, Guard, Stack, MADV_GUARD_INSTALL};

/// Address space one chunk spans at most: 63 default (256 KiB) stacks and their guards.
pub(crate) const CHUNK_BYTES: usize = 16 << 20;

/// Slots per chunk at most: the free set is one `u64` bitmask.
const MAX_SLOTS: usize = 64;

/// Chunks with every slot free that stay mapped (they hold no RSS) for the next burst; more
/// than this are unmapped.
pub(crate) const SPARE_CHUNKS: usize = 2;

/// `process_madvise`'s target meaning "the calling process" (`PIDFD_SELF`, Linux 6.15+).
const PIDFD_SELF: libc::c_int = -10_000;

/// Ranges per `process_madvise` call (the kernel's `UIO_MAXIOV`).
const IOV_MAX: usize = 1024;

/// Chunks mapped right now, in all allocators of the process.
static MAPPED: AtomicUsize = AtomicUsize::new(0);

/// How many stack chunks this process has mapped right now (for tests and diagnostics).
pub(crate) fn mapped_chunks() -> usize {
    MAPPED.load(Ordering::Relaxed)
}

/// Stacks of one size, carved out of chunks. Shared (`Arc`) by the pool that owns it and by
/// every stack carved from it, so a stack that outlives its pool still returns its slot.
pub(crate) struct Chunks {
    /// Length of one slot: its guard page and its usable bytes.
    slot_len: usize,
    /// Slots per chunk, `2..=MAX_SLOTS`.
    slots: usize,
    state: Mutex<State>,
}

/// The chunks of one [`Chunks`], under its lock.
struct State {
    /// Indexed by chunk id (what a stack's [`Slot`] names); `base == 0` marks an unmapped
    /// chunk whose id is in `unused_ids`.
    chunks: Vec<ChunkState>,
    /// Ids of chunks that may have free slots, the last one tried first. An entry may be stale
    /// (the chunk filled up or was unmapped since); `in_avail` keeps each id in it at most once.
    avail: Vec<u32>,
    /// Ids of unmapped chunks, for reuse.
    unused_ids: Vec<u32>,
    /// Mapped chunks with every slot free.
    spare: usize,
}

struct ChunkState {
    /// Start of the mapping (the guard page of slot 0), or 0 if unmapped.
    base: usize,
    /// Bit `i` set: slot `i` is free (never used, or given back with `MADV_DONTNEED`).
    free: u64,
    /// Whether this id has an entry in `State::avail`.
    in_avail: bool,
}

/// What a chunk stack remembers of where it came from.
pub(crate) struct Slot {
    chunks: Arc<Chunks>,
    id: u32,
}

impl Chunks {
    /// An allocator for stacks of `usable` usable bytes, or `None` where chunks do not apply:
    /// this process does not guard stacks with `MADV_GUARD_INSTALL`, or fewer than two such
    /// stacks fit in [`CHUNK_BYTES`].
    pub(crate) fn new(usable: usize) -> Option<Arc<Chunks>> {
        if crate::stack::guard_mode() != Guard::Madvise || !crate::stack::madv_guard_supported() {
            return None;
        }
        let slot_len = usable.checked_add(page_size())?;
        let slots = (CHUNK_BYTES / slot_len).min(MAX_SLOTS);
        (slots >= 2).then(|| {
            Arc::new(Chunks {
                slot_len,
                slots,
                state: Mutex::new(State {
                    chunks: Vec::new(),
                    avail: Vec::new(),
                    unused_ids: Vec::new(),
                    spare: 0,
                }),
            })
        })
    }

    /// The free set of a chunk with every slot free.
    fn all_free(&self) -> u64 {
        u64::MAX >> (64 - self.slots)
    }

    /// A stack from a free slot, mapping a new chunk if no chunk has one.
    pub(crate) fn alloc(self: &Arc<Self>) -> io::Result<Stack> {
        let mut guard = self.state.lock();
        let st = &mut *guard;
        while let Some(&id) = st.avail.last() {
            let all = self.all_free();
            let c = &mut st.chunks[id as usize];
            if c.base == 0 || c.free == 0 {
                c.in_avail = false;
                st.avail.pop();
                continue;
            }
            let was_spare = c.free == all;
            let i = c.free.trailing_zeros() as usize;
            c.free &= !(1 << i);
            let addr = c.base + i * self.slot_len;
            if c.free == 0 {
                c.in_avail = false;
                st.avail.pop();
            }
            if was_spare {
                st.spare -= 1;
            }
            return Ok(self.stack_at(addr, id));
        }
        // Every chunk is full. Map one more, still under the lock: the other Ms would only
        // map chunks of their own meanwhile, and this happens once per `slots` stacks.
        let base = self.map_chunk()?;
        let c = ChunkState {
            base,
            free: self.all_free() & !1,
            in_avail: true,
        };
        // The loop above emptied `avail`, so no id, not even an unused one, is in it.
        debug_assert!(st.avail.is_empty());
        let id = match st.unused_ids.pop() {
            Some(id) => {
                st.chunks[id as usize] = c;
                id
            }
            None => {
                let id = u32::try_from(st.chunks.len())
                    .map_err(|_| io::Error::other("too many stack chunks"))?;
                st.chunks.push(c);
                id
            }
        };
        st.avail.push(id);
        Ok(self.stack_at(base, id))
    }

    fn stack_at(self: &Arc<Self>, addr: usize, id: u32) -> Stack {
        let map = NonNull::new(addr as *mut u8).expect("chunk slot is not null");
        let slot = Slot {
            chunks: Arc::clone(self),
            id,
        };
        Stack::from_slot(map, self.slot_len, slot)
    }

    /// Maps a chunk and installs its guards; returns its start.
    fn map_chunk(&self) -> io::Result<usize> {
        let page = page_size();
        let len = self.slot_len * self.slots;
        let map = map_stack_memory(len)?;
        let base = map.as_ptr() as usize;
        let guards: Vec<(usize, usize)> = (0..self.slots)
            .map(|i| (base + i * self.slot_len, page))
            .collect();
        // SAFETY: the guard pages of our own fresh mapping; nothing lives there yet.
        if let Err(e) = unsafe { advise(&guards, MADV_GUARD_INSTALL) } {
            // SAFETY: the fresh mapping is ours and nothing uses it.
            unsafe { libc::munmap(map.as_ptr().cast(), len) };
            return Err(e);
        }
        MAPPED.fetch_add(1, Ordering::Relaxed);
        Ok(base)
    }

    /// Takes back the slot at `addr` of chunk `id`, whose pages the caller already gave back.
    fn release(&self, addr: usize, id: u32) {
        let mut guard = self.state.lock();
        let st = &mut *guard;
        let all = self.all_free();
        let c = &mut st.chunks[id as usize];
        let i = (addr - c.base) / self.slot_len;
        debug_assert!(i < self.slots && c.free & (1 << i) == 0, "slot freed twice");
        c.free |= 1 << i;
        let push = !c.in_avail;
        c.in_avail = true;
        let unmap = if c.free == all {
            if st.spare < SPARE_CHUNKS {
                st.spare += 1;
                None
            } else {
                let c = &mut st.chunks[id as usize];
                let base = std::mem::replace(&mut c.base, 0);
                c.free = 0;
                st.unused_ids.push(id);
                Some(base)
            }
        } else {
            None
        };
        if push {
            st.avail.push(id);
        }
        drop(guard);
        if let Some(base) = unmap {
            // SAFETY: every slot of the chunk is free: no stack refers to it any more, and the
            // chunk is out of the free sets, so no new stack will.
            unsafe { unmap_range(base, self.slot_len * self.slots) };
        }
    }
}

impl Drop for Chunks {
    fn drop(&mut self) {
        // Every stack holds an `Arc` to this allocator, so none is left: every mapped chunk is
        // a spare with all slots free.
        let len = self.slot_len * self.slots;
        for c in &self.state.get_mut().chunks {
            if c.base != 0 {
                // SAFETY: no stack is left that could use the chunk (see above).
                unsafe { unmap_range(c.base, len) };
            }
        }
    }
}

/// Unmaps the chunk `[base, base + len)`. If that fails (splitting a merged VMA can hit
/// `vm.max_map_count`), leaks the address range but gives its memory back.
///
/// # Safety
///
/// Nothing may refer to the range any more.
unsafe fn unmap_range(base: usize, len: usize) {
    MAPPED.fetch_sub(1, Ordering::Relaxed);
    let addr = base as *mut libc::c_void;
    // SAFETY: the caller guarantees nothing refers to the range.
    if unsafe { libc::munmap(addr, len) } != 0 {
        // SAFETY: as above; the contents are garbage from now on.
        unsafe { libc::madvise(addr, len, libc::MADV_DONTNEED) };
    }
}

/// Gives back the pages of a chunk stack being dropped and returns its slot.
pub(crate) fn free_one(map: NonNull<u8>, len: usize, slot: Slot) {
    let lo = map.as_ptr() as usize + page_size();
    // SAFETY: the usable range of a stack that is being dropped: no coroutine runs on it and
    // nothing else refers to it; its contents are discarded on purpose. The guard marker below
    // it survives `MADV_DONTNEED`. A failure only leaves the pages resident.
    let _ = unsafe { advise(&[(lo, len - page_size())], libc::MADV_DONTNEED) };
    slot.chunks.release(map.as_ptr() as usize, slot.id);
}

/// Drops `stacks`, giving back the pages of the chunk stacks among them with as few syscalls
/// as possible (one `process_madvise` per [`IOV_MAX`] stacks where the kernel has it).
pub(crate) fn free_stacks(stacks: Vec<Stack>) {
    let page = page_size();
    let mut ranges = Vec::new();
    let mut slots = Vec::new();
    for s in stacks {
        match s.into_slot() {
            Ok((map, len, slot)) => {
                ranges.push((map.as_ptr() as usize + page, len - page));
                slots.push((map.as_ptr() as usize, slot));
            }
            Err(s) => drop(s),
        }
    }
    // SAFETY: the usable ranges of stacks taken apart above: nothing runs on or refers to them
    // any more, and their slots are not free yet, so no new stack uses them either.
    let _ = unsafe { advise(&ranges, libc::MADV_DONTNEED) };
    for (addr, slot) in slots {
        slot.chunks.release(addr, slot.id);
    }
}

/// Whether `process_madvise` on the current process failed once (older kernel): then every
/// range gets its own `madvise`.
static NO_PROCESS_MADVISE: AtomicBool = AtomicBool::new(false);

/// Applies `advice` to every `(start, len)` range: with `process_madvise` ([`IOV_MAX`] ranges a
/// call) where the kernel allows it on the current process, else one `madvise` each.
///
/// # Safety
///
/// As for `madvise(advice)` on each range: the ranges must lie in mappings the caller owns,
/// and the advice must be harmless to whatever lives there.
unsafe fn advise(ranges: &[(usize, usize)], advice: libc::c_int) -> io::Result<()> {
    let mut done = 0;
    if !NO_PROCESS_MADVISE.load(Ordering::Relaxed) {
        for batch in ranges.chunks(IOV_MAX) {
            let iov: Vec<libc::iovec> = batch
                .iter()
                .map(|&(start, len)| libc::iovec {
                    iov_base: start as *mut libc::c_void,
                    iov_len: len,
                })
                .collect();
            let want: usize = batch.iter().map(|r| r.1).sum();
            // SAFETY: `iov` is a valid array of `iov.len()` iovecs describing ranges the
            // caller vouches for; `PIDFD_SELF` names this process.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_process_madvise,
                    PIDFD_SELF,
                    iov.as_ptr(),
                    iov.len(),
                    advice,
                    0,
                )
            };
            if n < 0 || n as usize != want {
                let errno = io::Error::last_os_error().raw_os_error();
                if n < 0
                    && matches!(
                        errno,
                        Some(libc::ENOSYS | libc::EBADF | libc::EINVAL | libc::EPERM | libc::ESRCH)
                    )
                {
                    // A kernel without PIDFD_SELF (before 6.15) or without arbitrary advice
                    // for the current process (before 6.13): do not try again.
                    NO_PROCESS_MADVISE.store(true, Ordering::Relaxed);
                }
                break;
            }
            done += batch.len();
        }
    }
    // The rest (all of it without `process_madvise`; after a short or failed call, the whole
    // batch again: every advice used here may be repeated).
    for &(start, len) in &ranges[done..] {
        // SAFETY: the caller vouches for every range.
        if unsafe { libc::madvise(start as *mut libc::c_void, len, advice) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
