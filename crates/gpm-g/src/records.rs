//! Memory for G records: blocks carved out of big anonymous mappings, reused and never
//! unmapped, the way Go keeps every `g` it ever made on `allgs` and its free lists; only the
//! pages of blocks that stay free go back to the kernel.
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
//! * Each thread keeps up to [`CACHE`] free blocks of its own (no lock), and reuses the one
//!   it freed last first, while it is still in cache. An empty cache takes [`BATCH`] blocks
//!   from the shared pool; a full one gives its [`BATCH`] oldest back.
//! * The shared pool hands out its free blocks in address order: each mapping has a bitmap of
//!   its free blocks, lowest address first, and the pool takes from its oldest mapping with a
//!   free block first (mappings themselves lie wherever `mmap` put them). A burst of spawns then
//!   lays its records out in spawn order, as glibc's allocator does when it carves freed
//!   memory anew; a plain list of freed blocks would hand them out in the order the last
//!   burst's goroutines exited, and skynet on one P ran 30% slower from its third round on,
//!   every first run of a goroutine a cache miss the hardware prefetcher could not foresee.
//! * A mapping is [`MAPPING_BYTES`] of lazily committed memory (`MAP_NORESERVE`), aligned to
//!   its size so that a block finds its mapping's header by masking its address: a block
//!   costs RSS only once a record is written into it. A thread's cache goes back to the pool
//!   when the thread exits.
//! * Memory is never unmapped: the blocks of a burst of goroutines stay for the next ones,
//!   at the same addresses. Their pages are another matter: [`Blocks::scavenge`] gives the
//!   kernel back (`MADV_DONTNEED`) every page all of whose blocks are free, in each mapping
//!   that no block was taken from since the scavenge before, a few mappings per call. Called
//!   about once a second (by sysmon, see `scavenge_records`), it leaves the memory of a
//!   steady or a recurring load alone (its mappings are taken from all the time, and a page
//!   given back would only be faulted in again) and returns what a past burst left, from one
//!   to two seconds after the last block was taken from it on. A page given back reads as
//!   zeros and costs RSS again only when a record is next written into it.
//! * With transparent huge pages set to `always`, the kernel may back a mapping with 2 MiB
//!   pages: records are dense, so that costs a small program one huge page at most and saves
//!   a big one TLB misses. (`madvise`, the usual setting, leaves them 4 KiB pages.)
//! * Like any allocator's lock without fork handlers, the pool's lock is not fork-safe: a
//!   child forked while another thread holds it must not spawn goroutines before `exec`.

use std::alloc::{handle_alloc_error, Layout};
use std::cell::RefCell;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Blocks a thread keeps for itself.
const CACHE: usize = 128;
/// Blocks moved between a thread's cache and the shared pool at once.
const BATCH: usize = 64;
/// Size (and alignment) of one mapping that blocks are carved from.
const MAPPING_BYTES: usize = 4 << 20;
/// Bytes at the start of a mapping that hold its index in [`Shared::maps`].
const HEADER: usize = 64;

/// A pool of blocks of one layout: the G records' (see `crate::gref`), or a test's.
pub(crate) struct Blocks {
    layout: Layout,
    /// The layout's size rounded up to its alignment: the distance between two blocks.
    size: usize,
    shared: Mutex<Shared>,
    /// Some mapping had a block freed since its last scavenge (a hint, set under the lock).
    freed: AtomicBool,
}

struct Shared {
    /// Every mapping, oldest first.
    maps: Vec<Map>,
    /// No mapping before this one has a free block.
    first: usize,
}

/// One mapping: where it is, and which of its blocks are free.
struct Map {
    base: usize,
    /// Bit `i % 64` of word `i / 64` is set when block `i` is free.
    free: Box<[u64]>,
    /// No word before this one has a set bit.
    first: usize,
    /// A block was taken since the last scavenge: the mapping is in use, leave its pages.
    taken: bool,
    /// A block was freed since the last scavenge: some pages may be free and resident.
    freed: bool,
}

impl Blocks {
    /// A pool of blocks of `layout`.
    ///
    /// # Panics
    ///
    /// Unless the layout's size is above zero and at most a mapping's (less its header) and
    /// its alignment at most [`HEADER`]: at compile time for a pool in a `static`.
    pub(crate) const fn new(layout: Layout) -> Blocks {
        let size = layout.size().next_multiple_of(layout.align());
        assert!(size > 0 && size <= MAPPING_BYTES - HEADER && layout.align() <= HEADER);
        Blocks {
            layout,
            size,
            shared: Mutex::new(Shared {
                maps: Vec::new(),
                first: 0,
            }),
            freed: AtomicBool::new(false),
        }
    }

    /// A block of this pool's layout, uninitialized, from the calling thread's `cache` (none
    /// once the thread's locals are gone). Aborts through [`handle_alloc_error`] if no
    /// memory can be mapped, as `Box::new` does.
    pub(crate) fn alloc(&self, cache: Option<&Cache>) -> NonNull<u8> {
        if let Some(c) = cache {
            debug_assert!(ptr::eq(c.pool, self), "a cache of another pool");
            if let Ok(mut c) = c.blocks.try_borrow_mut() {
                if c.is_empty() {
                    c.reserve(CACHE);
                    self.take(&mut c, BATCH);
                    // Popped from the end: lowest address first.
                    c.reverse();
                }
                return c.pop().expect("a refilled cache holds blocks");
            }
        }
        let mut one = Vec::with_capacity(1);
        self.take(&mut one, 1);
        one[0]
    }

    /// Gives back a block to the calling thread's `cache` (none once the thread's locals
    /// are gone).
    ///
    /// # Safety
    ///
    /// `block` came from [`Blocks::alloc`] of this pool, has not been given back since, and
    /// nothing uses it any more (its contents have been dropped); `cache` is this pool's.
    pub(crate) unsafe fn free(&self, cache: Option<&Cache>, block: NonNull<u8>) {
        match cache.and_then(|c| c.blocks.try_borrow_mut().ok()) {
            Some(mut c) => {
                c.push(block);
                if c.len() >= CACHE {
                    let mut s = self.lock();
                    for b in c.drain(..BATCH) {
                        // SAFETY: a cache holds only free blocks of its pool (what `free`'s
                        // callers gave back), each once.
                        unsafe { self.put(&mut s, b) };
                    }
                }
            }
            None => {
                let mut s = self.lock();
                // SAFETY: the caller's promise.
                unsafe { self.put(&mut s, block) };
            }
        }
    }

    /// Blocks in one mapping.
    fn per_map(&self) -> usize {
        (MAPPING_BYTES - HEADER) / self.size
    }

    /// Marks `block` free in its mapping.
    ///
    /// # Safety
    ///
    /// As for [`Blocks::free`].
    unsafe fn put(&self, s: &mut Shared, block: NonNull<u8>) {
        let addr = block.as_ptr() as usize;
        let base = addr & !(MAPPING_BYTES - 1);
        // SAFETY: every block lies in a mapping of this pool, aligned to `MAPPING_BYTES`,
        // whose first word `map_memory` set to the mapping's index and nothing changes.
        let index = unsafe { (base as *const usize).read() };
        let i = (addr - base - HEADER) / self.size;
        let map = &mut s.maps[index];
        debug_assert_eq!(map.base, base);
        debug_assert!(map.free[i / 64] & (1 << (i % 64)) == 0, "block freed twice");
        map.free[i / 64] |= 1 << (i % 64);
        map.first = map.first.min(i / 64);
        map.freed = true;
        s.first = s.first.min(index);
        self.freed.store(true, Ordering::Relaxed);
    }

    /// Moves `n` free blocks to `out`: the lowest ones of the oldest mappings that have any,
    /// in address order within each mapping; maps more memory if needed.
    fn take(&self, out: &mut Vec<NonNull<u8>>, n: usize) {
        let mut s = self.lock();
        let size = self.size;
        let mut want = n;
        while want > 0 {
            if s.first == s.maps.len() {
                let index = s.maps.len();
                let base = map_memory(self.layout, index);
                let blocks = self.per_map();
                let mut free = vec![u64::MAX; blocks.div_ceil(64)].into_boxed_slice();
                if !blocks.is_multiple_of(64) {
                    *free.last_mut().unwrap() = (1 << (blocks % 64)) - 1;
                }
                s.maps.push(Map {
                    base,
                    free,
                    first: 0,
                    taken: false,
                    freed: false,
                });
            }
            let first = s.first;
            let map = &mut s.maps[first];
            map.taken = true;
            while want > 0 && map.first < map.free.len() {
                let word = &mut map.free[map.first];
                if *word == 0 {
                    map.first += 1;
                    continue;
                }
                let bit = word.trailing_zeros() as usize;
                *word &= !(1 << bit);
                let addr = map.base + HEADER + (map.first * 64 + bit) * size;
                // SAFETY: an address inside a live mapping, not null.
                out.push(unsafe { NonNull::new_unchecked(addr as *mut u8) });
                want -= 1;
            }
            if map.first == map.free.len() {
                s.first += 1;
            }
        }
    }

    /// True if some block was freed since the last [`Blocks::scavenge`]: the next one may
    /// have pages to give back.
    pub(crate) fn may_scavenge(&self) -> bool {
        self.freed.load(Ordering::Relaxed)
    }

    /// Gives the kernel back the pages of free blocks, in up to `max_maps` mappings that had
    /// a block freed and none taken since the last call, and forgets the takes of those it
    /// looks at (see the module docs). Returns the bytes given back. Each mapping's pages go
    /// back under the lock, which an allocating thread then waits for (a 4 MiB mapping's
    /// `madvise` took about 0.4 ms here); the lock is released between mappings.
    pub(crate) fn scavenge(&self, max_maps: usize) -> usize {
        self.freed.store(false, Ordering::Relaxed);
        let page = crate::stack::page_size();
        let mut given = 0;
        let mut done = 0;
        for index in 0.. {
            let mut s = self.lock();
            let Some(map) = s.maps.get_mut(index) else {
                break;
            };
            if done == max_maps {
                // The rest wait for the next call, their flags as they are.
                self.freed.store(true, Ordering::Relaxed);
                break;
            }
            if std::mem::take(&mut map.taken) {
                if map.freed {
                    // Blocks freed meanwhile are for the next call to look at.
                    self.freed.store(true, Ordering::Relaxed);
                }
                continue;
            }
            if !std::mem::take(&mut map.freed) {
                continue;
            }
            done += 1;
            for (lo, hi) in self.free_pages(map, page) {
                // SAFETY: pages inside a live mapping of this pool whose every block is free
                // (blocks in threads' caches count as taken), and the lock we hold keeps
                // them so: nothing reads or writes them while they go. Dropping them only
                // makes them read as zeros; a failure leaves them as they were.
                let ok = unsafe {
                    libc::madvise(
                        (map.base + lo * page) as *mut libc::c_void,
                        (hi - lo) * page,
                        libc::MADV_DONTNEED,
                    )
                } == 0;
                if ok {
                    given += (hi - lo) * page;
                }
            }
        }
        given
    }

    /// The runs `[lo, hi)` of pages of `map` (page numbers from its base, the header's page
    /// excluded) on which every block is free. A page past the last block counts as free.
    fn free_pages(&self, map: &Map, page: usize) -> Vec<(usize, usize)> {
        let is_free = |i: usize| map.free[i / 64] & (1 << (i % 64)) != 0;
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for p in 1..MAPPING_BYTES / page {
            let (first, last) = self.blocks_on(p);
            if (first..=last).all(is_free) {
                match runs.last_mut() {
                    Some(run) if run.1 == p => run.1 = p + 1,
                    _ => runs.push((p, p + 1)),
                }
            }
        }
        runs
    }

    /// The first and last index of the blocks that overlap page `p` (from 1) of a mapping,
    /// clamped to its blocks (an empty range, `first > last`, for pages past them all).
    fn blocks_on(&self, p: usize) -> (usize, usize) {
        let page = crate::stack::page_size();
        let first = (p * page - HEADER) / self.size;
        let last = (((p + 1) * page - 1 - HEADER) / self.size).min(self.per_map() - 1);
        (first, last)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        // What could panic under the lock (a failed allocation, an index bug) leaves every
        // block either free or taken, never handed out twice: a poisoned pool is still valid.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A thread's cache of free blocks, given back to its pool when the thread exits.
pub(crate) struct Cache {
    pool: &'static Blocks,
    /// Free blocks of `pool` only (what `Blocks::free` was given), each once.
    blocks: RefCell<Vec<NonNull<u8>>>,
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
        let blocks = self.blocks.get_mut();
        if !blocks.is_empty() {
            let mut s = self.pool.lock();
            for b in blocks.drain(..) {
                // SAFETY: a cache holds only free blocks of its pool, each once.
                unsafe { self.pool.put(&mut s, b) };
            }
        }
    }
}

/// Maps [`MAPPING_BYTES`] of private, lazily committed memory aligned to its size, and
/// writes `index` into its header.
fn map_memory(layout: Layout, index: usize) -> usize {
    // Twice the size, then the unaligned ends unmapped.
    let len = 2 * MAPPING_BYTES;
    // SAFETY: a fresh anonymous private mapping at an address of the kernel's choosing;
    // nothing else is affected.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        match Layout::from_size_align(len, MAPPING_BYTES) {
            Ok(mapping) => handle_alloc_error(mapping),
            Err(_) => handle_alloc_error(layout),
        }
    }
    let start = p as usize;
    let base = start.next_multiple_of(MAPPING_BYTES);
    let (head, tail) = (base - start, start + len - (base + MAPPING_BYTES));
    // SAFETY: both ranges are parts of the mapping just made that nothing uses. (A failed
    // `munmap` would only leave address space mapped: nothing to handle.)
    unsafe {
        if head > 0 {
            libc::munmap(p, head);
        }
        if tail > 0 {
            libc::munmap((base + MAPPING_BYTES) as *mut libc::c_void, tail);
        }
        (base as *mut usize).write(index);
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const fn layout(size: usize, align: usize) -> Layout {
        match Layout::from_size_align(size, align) {
            Ok(l) => l,
            Err(_) => panic!("a bad test layout"),
        }
    }

    // One pool per test, so that tests running at once do not share blocks.
    static POOL: Blocks = Blocks::new(layout(48, 16));
    static ORDERED: Blocks = Blocks::new(layout(272, 8));
    static CHURNED: Blocks = Blocks::new(layout(272, 8));
    static SCAVENGED: Blocks = Blocks::new(layout(272, 8));

    thread_local! {
        static LOCAL: Cache = const { Cache::new(&POOL) };
        static ORDERED_LOCAL: Cache = const { Cache::new(&ORDERED) };
        static CHURNED_LOCAL: Cache = const { Cache::new(&CHURNED) };
        static SCAVENGED_LOCAL: Cache = const { Cache::new(&SCAVENGED) };
    }

    /// Gives `blocks` back to `pool` from a new thread, whose cache (`local`) then goes back
    /// to the pool as the thread exits.
    fn free_on_new_thread(
        pool: &'static Blocks,
        local: &'static std::thread::LocalKey<Cache>,
        blocks: Vec<usize>,
    ) {
        std::thread::spawn(move || {
            local.with(|c| {
                for a in blocks {
                    // SAFETY: blocks of this pool (the caller's), each given back once and
                    // unused.
                    unsafe { pool.free(Some(c), NonNull::new(a as *mut u8).unwrap()) };
                }
            })
        })
        .join()
        .unwrap();
    }

    /// Blocks handed out at once are distinct, aligned, writable and come back for reuse,
    /// across the cache's refills and spills and across threads.
    #[test]
    fn blocks_are_distinct_aligned_and_reused() {
        let n = 3 * CACHE + 7;
        let taken: Vec<NonNull<u8>> = LOCAL.with(|c| (0..n).map(|_| POOL.alloc(Some(c))).collect());
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
        free_on_new_thread(&POOL, &LOCAL, addrs);
        let again: HashSet<usize> = LOCAL.with(|c| {
            (0..n)
                .map(|_| POOL.alloc(Some(c)).as_ptr() as usize)
                .collect()
        });
        assert_eq!(again.len(), n);
        assert!(
            again.intersection(&set).count() >= n - CACHE,
            "freed blocks are reused"
        );
    }

    fn on_new_thread<T: Send + 'static>(f: impl FnOnce(&Cache) -> T + Send + 'static) -> T {
        std::thread::spawn(move || ORDERED_LOCAL.with(f))
            .join()
            .unwrap()
    }

    /// Blocks freed in any order (in one mapping) come back lowest address first.
    #[test]
    fn freed_blocks_come_back_lowest_address_first() {
        let n = 2 * CACHE + 3 * BATCH;
        let mut blocks: Vec<usize> = on_new_thread(move |c| {
            (0..n)
                .map(|_| ORDERED.alloc(Some(c)).as_ptr() as usize)
                .collect()
        });
        blocks.sort_unstable();
        // Freed out of order (odd indices, then even), by a thread that then exits.
        let scrambled: Vec<usize> = (0..n)
            .filter(|i| i % 2 == 1)
            .chain((0..n).filter(|i| i % 2 == 0))
            .map(|i| blocks[i])
            .collect();
        on_new_thread(move |c| {
            for a in scrambled {
                // SAFETY: blocks of this pool, each given back once and unused.
                unsafe { ORDERED.free(Some(c), NonNull::new(a as *mut u8).unwrap()) };
            }
        });
        let again: Vec<usize> = on_new_thread(move |c| {
            (0..n)
                .map(|_| ORDERED.alloc(Some(c)).as_ptr() as usize)
                .collect()
        });
        assert_eq!(again, blocks, "every block back, in address order");
    }

    /// Four threads allocate blocks and hand them to the next thread round a ring, which
    /// frees them: every cache refills, spills and is flushed at its thread's exit, with
    /// blocks of every thread's. Each block is stamped with a word while it is held, and
    /// checked when it is freed (a block handed out twice would be stamped by two holders);
    /// at the end every block is free again, once (a debug build asserts no block is freed
    /// twice), and a fresh thread gets them back in address order, one mapping after the
    /// other.
    #[test]
    fn blocks_survive_cross_thread_churn() {
        use std::sync::mpsc;
        const THREADS: usize = 4;
        const ROUNDS: usize = 20_000;
        let (txs, rxs): (Vec<_>, Vec<_>) = (0..THREADS).map(|_| mpsc::channel::<usize>()).unzip();
        let mut rxs: Vec<Option<mpsc::Receiver<usize>>> = rxs.into_iter().map(Some).collect();
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let tx = txs[(t + 1) % THREADS].clone();
                let rx = rxs[t].take().unwrap();
                std::thread::spawn(move || {
                    CHURNED_LOCAL.with(|c| {
                        let stamp = |a: usize| ((t as u64) << 32) | (a as u64 & 0xffff_ffff);
                        for _ in 0..ROUNDS {
                            let b = CHURNED.alloc(Some(c));
                            // SAFETY: the block is ours until it is sent.
                            unsafe { b.as_ptr().cast::<u64>().write(stamp(b.as_ptr() as usize)) };
                            tx.send(b.as_ptr() as usize).unwrap();
                        }
                        drop(tx);
                        let from = (t + THREADS - 1) % THREADS;
                        for a in rx {
                            // SAFETY: the sender stamped the block and gave it up to us.
                            let word = unsafe { (a as *const u64).read() };
                            assert_eq!(word >> 32, from as u64, "a block held by two threads");
                            assert_eq!(word & 0xffff_ffff, a as u64 & 0xffff_ffff);
                            // SAFETY: a block of this pool, given back once, unused now.
                            unsafe { CHURNED.free(Some(c), NonNull::new(a as *mut u8).unwrap()) };
                        }
                    })
                })
            })
            .collect();
        drop(txs);
        for t in threads {
            t.join().unwrap();
        }
        let s = CHURNED.lock();
        let per_map = CHURNED.per_map();
        let free: usize = s
            .maps
            .iter()
            .map(|m| {
                m.free
                    .iter()
                    .map(|w| w.count_ones() as usize)
                    .sum::<usize>()
            })
            .sum();
        assert_eq!(free, s.maps.len() * per_map, "every block free again, once");
        drop(s);
        let again: Vec<usize> = std::thread::spawn(|| {
            CHURNED_LOCAL.with(|c| {
                (0..THREADS * ROUNDS)
                    .map(|_| CHURNED.alloc(Some(c)).as_ptr() as usize)
                    .collect()
            })
        })
        .join()
        .unwrap();
        let distinct: HashSet<usize> = again.iter().copied().collect();
        assert_eq!(distinct.len(), again.len(), "no block handed out twice");
        let map_of = |a: usize| a & !(MAPPING_BYTES - 1);
        let mut seen = HashSet::new();
        for w in again.windows(2) {
            if map_of(w[0]) == map_of(w[1]) {
                assert!(w[0] < w[1], "address order within a mapping");
            } else {
                assert!(
                    seen.insert(map_of(w[0])),
                    "each mapping handed out in one run"
                );
            }
        }
    }

    /// How many of the pages in `[lo, hi)` are resident (`mincore`).
    fn resident_pages(lo: usize, hi: usize) -> usize {
        let page = crate::stack::page_size();
        let mut v = vec![0u8; (hi - lo).div_ceil(page)];
        // SAFETY: a page-aligned range inside one of the test pool's mappings, and a vector
        // of one byte per page of it.
        let r = unsafe { libc::mincore(lo as *mut libc::c_void, hi - lo, v.as_mut_ptr()) };
        assert_eq!(r, 0, "mincore: {}", std::io::Error::last_os_error());
        v.iter().filter(|&&b| b & 1 != 0).count()
    }

    /// `n` blocks of `SCAVENGED`, taken by a new thread (which then exits) and each filled
    /// with `byte`, in the order handed out.
    fn fill(n: usize, byte: u8) -> Vec<usize> {
        std::thread::spawn(move || {
            SCAVENGED_LOCAL.with(|c| {
                (0..n)
                    .map(|_| {
                        let b = SCAVENGED.alloc(Some(c));
                        // SAFETY: the block is ours and 272 bytes long.
                        unsafe { b.as_ptr().write_bytes(byte, 272) };
                        b.as_ptr() as usize
                    })
                    .collect()
            })
        })
        .join()
        .unwrap()
    }

    /// A scavenge gives back the pages on which every block is free, only in mappings that
    /// no block was taken from since the previous scavenge, and leaves the blocks in use (and
    /// their pages) alone; the blocks given back are handed out again, in address order, and
    /// are writable.
    #[test]
    fn scavenge_gives_back_pages_of_free_blocks_of_idle_mappings() {
        let per_map = SCAVENGED.per_map();
        // All of one mapping and half of a second: with the cache's refills, no third.
        let n = per_map + per_map / 2;
        let page = crate::stack::page_size();
        // In the order handed out: the oldest mapping's blocks first, each in address order.
        let blocks: Vec<usize> = fill(n, 0x5A);
        let map_of = |a: usize| a & !(MAPPING_BYTES - 1);
        let (m0, m1) = (map_of(blocks[0]), map_of(blocks[n - 1]));
        assert_ne!(m0, m1, "two mappings");
        assert!(blocks[..per_map].iter().all(|&a| map_of(a) == m0));
        assert!(blocks[per_map..].iter().all(|&a| map_of(a) == m1));
        // Keep the middle block of the older mapping (stamped), free the rest on a thread
        // that exits, so that every block but one is back in the shared pool.
        let kept = blocks[per_map / 2];
        // SAFETY: a block we hold.
        unsafe { (kept as *mut u64).write(0xfeed_f00d) };
        let rest: Vec<usize> = blocks.iter().copied().filter(|&a| a != kept).collect();
        free_on_new_thread(&SCAVENGED, &SCAVENGED_LOCAL, rest);
        let pages = MAPPING_BYTES / page;
        let written = (per_map / 2 * 272) / page;
        assert!(resident_pages(m1 + page, m1 + MAPPING_BYTES) >= written);
        assert!(resident_pages(m0, m0 + MAPPING_BYTES) >= pages - 2);
        assert!(SCAVENGED.may_scavenge());

        // Both mappings were taken from since "the last scavenge": this one only notes it.
        assert_eq!(
            SCAVENGED.scavenge(usize::MAX),
            0,
            "mappings in use keep their pages"
        );
        // A take from the older mapping (its lowest free block) keeps it in use.
        let again = SCAVENGED.alloc(None).as_ptr() as usize;
        assert_eq!(again, blocks[0]);
        let given = SCAVENGED.scavenge(usize::MAX);
        assert_eq!(
            given,
            (pages - 1) * page,
            "all of the idle mapping but its header page"
        );
        assert_eq!(resident_pages(m1 + page, m1 + MAPPING_BYTES), 0);
        assert!(resident_pages(m0, m0 + MAPPING_BYTES) >= pages - 2);
        // Now the older mapping has been idle for a scavenge: all of its pages go back but
        // the header's (where the block taken above lies too) and the one or two the kept
        // block lies on.
        // A call allowed no mapping leaves it for the next, which knows there is work.
        assert_eq!(SCAVENGED.scavenge(0), 0);
        assert!(SCAVENGED.may_scavenge());
        let given = SCAVENGED.scavenge(1);
        let busy_pages = 1 + (kept + 271) / page - kept / page;
        assert_eq!(given, (pages - 1 - busy_pages) * page);
        // SAFETY: still our block.
        let stamp = unsafe { (kept as *const u64).read() };
        assert_eq!(stamp, 0xfeed_f00d, "a block in use is kept");
        assert_eq!(
            SCAVENGED.scavenge(usize::MAX),
            0,
            "nothing freed since: nothing to give back"
        );
        assert!(!SCAVENGED.may_scavenge());

        // Every free block comes back, in address order, and can be written.
        // SAFETY: blocks of this pool we hold, given back once.
        unsafe {
            SCAVENGED.free(None, NonNull::new(again as *mut u8).unwrap());
            SCAVENGED.free(None, NonNull::new(kept as *mut u8).unwrap());
        }
        let back: Vec<usize> = fill(n, 0xA5);
        assert_eq!(
            back, blocks,
            "every block handed out again, in the same order"
        );
    }
}
