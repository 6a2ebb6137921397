//! Memory for G records: blocks carved out of big anonymous mappings, kept on free lists and
//! never given back, the way Go keeps every `g` it ever made on `allgs` and its free lists.
//!
//! # Why not the global allocator
//!
//! A finished goroutine whose join handle is kept holds its record until the handle goes. A
//! program that spawns a million goroutines, keeps their handles and joins them allocates a
//! million records on whatever M the spawning goroutine runs on, and frees them on whatever
//! thread joins. glibc gives each thread an arena and returns a freed block to the arena it
//! came from, so when the spawner runs on another M next time, that M's arena has nothing
//! free and grows: the `peers` spawn cell went to 0.6-1.5 GB of RSS in most processes, against
//! 0.3 GB for a million records, with page faults to match. A block from here is the same
//! block whichever thread frees it or allocates it next, and frees meet no arena lock.
//!
//! # How
//!
//! * Each thread keeps up to [`CACHE`] free blocks of its own (no lock). An empty cache takes
//!   [`BATCH`] blocks from the shared list, carving new ones from the current mapping when the
//!   list is empty; a full one gives [`BATCH`] back. A thread's cache goes back to the shared
//!   list when the thread exits.
//! * A mapping is [`MAPPING_BYTES`] of lazily committed memory (`MAP_NORESERVE`): a block
//!   costs RSS only once a record is written into it.
//! * Memory is never unmapped: the blocks of a burst of goroutines stay for the next ones. That
//!   is the price (what Go pays too): after a million goroutines were alive at once, their
//!   272 MB stay with the process.

use std::alloc::{handle_alloc_error, Layout};
use std::cell::RefCell;
use std::ptr::NonNull;
use std::sync::Mutex;

/// Blocks a thread keeps for itself.
const CACHE: usize = 128;
/// Blocks moved between a thread's cache and the shared list at once.
const BATCH: usize = 64;
/// Size of one mapping that blocks are carved from.
const MAPPING_BYTES: usize = 4 << 20;

/// A pool of blocks of one layout: the G records' (see `crate::gref`), or a test's.
pub(crate) struct Blocks {
    layout: Layout,
    shared: Mutex<Shared>,
}

struct Shared {
    free: Vec<NonNull<u8>>,
    /// The uncarved part of the current mapping.
    next: usize,
    end: usize,
}

// SAFETY: the pointers in `Shared` are addresses of free blocks (or of unused mapped memory)
// that nothing else refers to; whoever takes one out owns it.
unsafe impl Send for Shared {}

impl Blocks {
    /// A pool of blocks of `layout` (its size a multiple of its alignment, which is at most a
    /// page's).
    pub(crate) const fn new(layout: Layout) -> Blocks {
        Blocks {
            layout,
            shared: Mutex::new(Shared {
                free: Vec::new(),
                next: 0,
                end: 0,
            }),
        }
    }

    /// A block of this pool's layout, uninitialized, from the calling thread's `cache` (none
    /// once the thread's locals are gone). Aborts through [`handle_alloc_error`] if no
    /// memory can be mapped, as `Box::new` does.
    pub(crate) fn alloc(&self, cache: Option<&RefCell<Vec<NonNull<u8>>>>) -> NonNull<u8> {
        if let Some(mut c) = cache.and_then(|c| c.try_borrow_mut().ok()) {
            if c.is_empty() {
                c.reserve(CACHE);
                self.take(&mut c, BATCH);
            }
            return c.pop().expect("a refilled cache holds blocks");
        }
        let mut one = Vec::with_capacity(1);
        self.take(&mut one, 1);
        one[0]
    }

    /// Gives back a block from [`Blocks::alloc`] of this pool, whose contents have been
    /// dropped, to the calling thread's `cache` (none once the thread's locals are gone).
    pub(crate) fn free(&self, cache: Option<&RefCell<Vec<NonNull<u8>>>>, block: NonNull<u8>) {
        match cache.and_then(|c| c.try_borrow_mut().ok()) {
            Some(mut c) => {
                c.push(block);
                if c.len() >= CACHE {
                    let from = c.len() - BATCH;
                    self.lock().free.extend(c.drain(from..));
                }
            }
            None => self.lock().free.push(block),
        }
    }

    /// Gives a cache's blocks back (its thread exits).
    pub(crate) fn flush(&self, cache: &mut Vec<NonNull<u8>>) {
        if !cache.is_empty() {
            self.lock().free.append(cache);
        }
    }

    /// Moves `n` blocks to `out`, from the shared list first, then carved.
    fn take(&self, out: &mut Vec<NonNull<u8>>, n: usize) {
        let mut s = self.lock();
        let from = s.free.len().saturating_sub(n);
        out.extend(s.free.drain(from..));
        let size = self.layout.size();
        while out.len() < n {
            if s.end - s.next < size {
                let map = map_memory(self.layout);
                s.next = map;
                s.end = map + MAPPING_BYTES;
            }
            // SAFETY: `next` is an address inside a live mapping, not null.
            out.push(unsafe { NonNull::new_unchecked(s.next as *mut u8) });
            s.next += size;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        // Nothing panics while the lock is held; a poisoned lock still holds a valid list.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A thread's cache of free blocks, given back to its pool when the thread exits.
pub(crate) struct Cache {
    pool: &'static Blocks,
    pub(crate) blocks: RefCell<Vec<NonNull<u8>>>,
}

impl Cache {
    pub(crate) const fn new(pool: &'static Blocks) -> Cache {
        Cache {
            pool,
            blocks: RefCell::new(Vec::new()),
        }
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        self.pool.flush(self.blocks.get_mut());
    }
}

/// Maps [`MAPPING_BYTES`] of private, lazily committed memory, aligned for `layout`.
fn map_memory(layout: Layout) -> usize {
    debug_assert!(layout.align() <= 4096 && layout.size() <= MAPPING_BYTES);
    // SAFETY: a fresh anonymous private mapping at an address of the kernel's choosing;
    // nothing else is affected.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            MAPPING_BYTES,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        handle_alloc_error(layout);
    }
    p as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    static POOL: Blocks = Blocks::new(match Layout::from_size_align(48, 16) {
        Ok(l) => l,
        Err(_) => panic!(),
    });

    thread_local! {
        static LOCAL: Cache = const { Cache::new(&POOL) };
    }

    /// Blocks handed out at once are distinct, aligned, writable and come back for reuse,
    /// across the cache's refills and spills and across threads.
    #[test]
    fn blocks_are_distinct_aligned_and_reused() {
        let n = 3 * CACHE + 7;
        let taken: Vec<NonNull<u8>> =
            LOCAL.with(|c| (0..n).map(|_| POOL.alloc(Some(&c.blocks))).collect());
        let set: HashSet<usize> = taken.iter().map(|b| b.as_ptr() as usize).collect();
        assert_eq!(set.len(), n, "no block handed out twice");
        for b in &taken {
            assert_eq!(b.as_ptr() as usize % 16, 0);
            // SAFETY: the block is ours and 48 bytes long.
            unsafe { b.as_ptr().write_bytes(0xAB, 48) };
        }
        // Freed on another thread, they reach the shared list (that thread's cache is
        // flushed when it exits) and come back here.
        let addrs: Vec<usize> = taken.iter().map(|b| b.as_ptr() as usize).collect();
        std::thread::spawn(move || {
            LOCAL.with(|c| {
                for a in addrs {
                    POOL.free(Some(&c.blocks), NonNull::new(a as *mut u8).unwrap());
                }
            })
        })
        .join()
        .unwrap();
        let again: HashSet<usize> = LOCAL.with(|c| {
            (0..n)
                .map(|_| POOL.alloc(Some(&c.blocks)).as_ptr() as usize)
                .collect()
        });
        assert_eq!(again.len(), n);
        assert!(
            again.intersection(&set).count() >= n - CACHE,
            "freed blocks are reused"
        );
    }
}
