//! [`GRef`]: a counted, shared reference to a G record, like `Arc<G>`, whose memory comes
//! from the record pool in [`crate::records`] instead of the global allocator.
//!
//! It is an `Arc` without weak references: one strong count in front of the record. The
//! orderings are `Arc`'s (a relaxed increment, since a new reference is made from an existing
//! one; a release decrement, and an acquire fence before the last one drops the record, so
//! that every use of the record through other references happens before its drop).

use std::alloc::Layout;
use std::fmt;
use std::mem::{offset_of, ManuallyDrop};
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::g::G;
use crate::records::{Blocks, Cache};

/// What a block of the record pool holds: the count, then the record.
#[repr(C)]
struct Inner {
    strong: AtomicUsize,
    g: G,
}

/// The pool of G record blocks, shared by every runtime of the process.
static RECORDS: Blocks = Blocks::new(Layout::new::<Inner>());

thread_local! {
    static CACHE: Cache = const { Cache::new(&RECORDS) };
}

/// How often [`scavenge_records`] looks at the record pool: a mapping that no record was
/// taken from for one to two periods has its free pages given back (see `records`).
pub const SCAVENGE_PERIOD: Duration = Duration::from_secs(1);

/// Record mappings (4 MiB each) one [`scavenge_records`] gives back at most, so that a pass
/// after a burst stays a few milliseconds of sysmon's time; the rest go in later periods.
const SCAVENGE_MAPS: usize = 8;

/// Gives the kernel back the pages of G records that have stayed free for a while (see
/// [`SCAVENGE_PERIOD`]), unless the pool was looked at less than a period ago: the pool is
/// the process's, and every runtime's sysmon calls this once a period. Returns the bytes
/// given back.
pub fn scavenge_records(now: Instant) -> usize {
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    let Ok(mut last) = LAST.try_lock() else {
        return 0; // another sysmon is at it
    };
    if last.is_some_and(|t| now.saturating_duration_since(t) < SCAVENGE_PERIOD) {
        return 0;
    }
    *last = Some(now);
    drop(last);
    RECORDS.scavenge(SCAVENGE_MAPS)
}

/// True if a record was freed since the pool was last scavenged: a sysmon about to sleep
/// until work comes should come back in a [`SCAVENGE_PERIOD`] instead, so that the pages
/// of a finished burst of goroutines go back although nothing runs any more.
pub fn records_to_scavenge() -> bool {
    RECORDS.may_scavenge()
}

/// Bytes a G record takes in the pool, its count included.
#[cfg(test)]
pub(crate) const RECORD_BYTES: usize = std::mem::size_of::<Inner>();

// `GRef` shares a `G` between threads, as `Arc<G>` would: `G` must be `Send + Sync`.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<G>()
};

/// A block for a record, from this thread's cache. Never inlined, like every thread-local
/// access of gpm's that a goroutine makes: a goroutine that parks may resume on another
/// thread, and a caller inlined into it could reuse this thread's address of `CACHE`.
#[inline(never)]
fn alloc_block() -> NonNull<u8> {
    CACHE
        .try_with(|c| RECORDS.alloc(Some(c)))
        .unwrap_or_else(|_| RECORDS.alloc(None))
}

/// Gives a record's block back, to this thread's cache. Never inlined, see [`alloc_block`].
///
/// # Safety
///
/// As for `Blocks::free`: `block` came from [`alloc_block`], once, and nothing uses it.
#[inline(never)]
unsafe fn free_block(block: NonNull<u8>) {
    let freed = CACHE.try_with(|c| {
        // SAFETY: the caller's promise; `CACHE` is the records' pool's cache.
        unsafe { RECORDS.free(Some(c), block) }
    });
    if freed.is_err() {
        // SAFETY: as above (the thread's cache is gone: straight to the pool).
        unsafe { RECORDS.free(None, block) };
    }
}

/// A shared reference to a G, as held by run queues, wait queues and timers.
pub struct GRef {
    inner: NonNull<Inner>,
}

// SAFETY: as for `Arc<G>`: a `GRef` gives shared access to a `G`, which is `Send + Sync`, and
// its count is atomic.
unsafe impl Send for GRef {}
// SAFETY: see `Send`.
unsafe impl Sync for GRef {}

impl GRef {
    /// Moves `g` into a fresh block; the reference returned is its only one.
    pub(crate) fn new(g: G) -> GRef {
        let inner = alloc_block().cast::<Inner>();
        // SAFETY: the block is unused memory of `Inner`'s layout, owned by us from now on.
        unsafe {
            inner.write(Inner {
                strong: AtomicUsize::new(1),
                g,
            })
        };
        GRef { inner }
    }

    #[inline]
    fn inner(&self) -> &Inner {
        // SAFETY: the block holds a live `Inner` for as long as a reference counts it.
        unsafe { self.inner.as_ref() }
    }

    /// The address of the record (what [`GRef::from_raw`] takes back).
    #[inline]
    pub fn as_ptr(this: &GRef) -> *const G {
        // SAFETY: `inner` points to a live `Inner`; this only computes a field's address.
        unsafe { &raw const (*this.inner.as_ptr()).g }
    }

    /// Gives up the reference without dropping it, as a pointer to the record.
    #[inline]
    pub fn into_raw(this: GRef) -> *const G {
        GRef::as_ptr(&ManuallyDrop::new(this))
    }

    /// Takes back a reference given up by [`GRef::into_raw`].
    ///
    /// # Safety
    ///
    /// `p` must come from `into_raw` (or be counted by [`GRef::increment_strong_count`]),
    /// and that reference must not be taken back twice.
    #[inline]
    pub unsafe fn from_raw(p: *const G) -> GRef {
        // SAFETY: the caller passes the address of the `g` field of a live `Inner`.
        let inner = unsafe { p.byte_sub(offset_of!(Inner, g)) }.cast::<Inner>();
        GRef {
            // SAFETY: derived from a non-null record address.
            inner: unsafe { NonNull::new_unchecked(inner.cast_mut()) },
        }
    }

    /// Counts one more reference to the record at `p`, for a later [`GRef::from_raw`].
    ///
    /// # Safety
    ///
    /// `p` must be the address of a record that a live `GRef` refers to.
    #[inline]
    pub unsafe fn increment_strong_count(p: *const G) {
        // SAFETY: the caller vouches for `p`; the new reference is given up at once.
        let r = ManuallyDrop::new(unsafe { GRef::from_raw(p) });
        std::mem::forget(GRef::clone(&r));
    }

    /// The record, to change, if `this` is its only reference.
    #[inline]
    pub fn get_mut(this: &mut GRef) -> Option<&mut G> {
        // Acquire: every use through the references that are gone happened before.
        if this.inner().strong.load(Ordering::Acquire) == 1 {
            // SAFETY: no other reference exists, and none can be made but from `this`,
            // which is borrowed mutably: a raw word given up by `into_raw` (in `runnext`, in
            // a netpoll slot, a parked G's own in its state) holds a count of its own, and the
            // thread's current-G pointer, which `park` turns into new references, is set only
            // while `exec` runs the G through a shared `&GRef`, which cannot coexist with this
            // `&mut`. An uncounted address kept by a waker (`current_raw`, for `wake_raw`) is
            // used only while its goroutine cannot have exited, so never on such a record.
            Some(unsafe { &mut (*this.inner.as_ptr()).g })
        } else {
            None
        }
    }

    /// True if both refer to the same record.
    #[inline]
    pub fn ptr_eq(a: &GRef, b: &GRef) -> bool {
        a.inner == b.inner
    }
}

impl Clone for GRef {
    #[inline]
    fn clone(&self) -> GRef {
        // Relaxed: a new reference comes from an existing one, which keeps the record alive.
        let old = self.inner().strong.fetch_add(1, Ordering::Relaxed);
        if old > isize::MAX as usize {
            // As `Arc` does: a count this high means references are being leaked in a loop.
            std::process::abort();
        }
        GRef { inner: self.inner }
    }
}

impl Drop for GRef {
    #[inline]
    fn drop(&mut self) {
        if self.inner().strong.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        // SAFETY: that was the last reference.
        unsafe { drop_record(self.inner) };
    }
}

/// Drops the record in `inner` and gives its block back to the pool. Out of line, as
/// `Arc`'s `drop_slow` is: every `GRef` drop is inlined, and this part is big.
///
/// # Safety
///
/// The last reference to `inner` is gone: nobody else can reach the record.
#[inline(never)]
unsafe fn drop_record(inner: NonNull<Inner>) {
    // SAFETY: the caller guarantees the record is unreachable, so it is dropped here once,
    // and its block is not used again until the pool hands it out anew.
    unsafe { std::ptr::drop_in_place(&raw mut (*inner.as_ptr()).g) };
    // SAFETY: the block came from `alloc_block` in `GRef::new` and its record is dropped.
    unsafe { free_block(inner.cast::<u8>()) };
}

impl Deref for GRef {
    type Target = G;

    #[inline]
    fn deref(&self) -> &G {
        &self.inner().g
    }
}

impl fmt::Debug for GRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
