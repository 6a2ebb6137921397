//! One thread's event buffer: fixed-size chunks, so that recording never copies what it
//! has recorded, backed by huge pages where the kernel allows it.
//!
//! Writing an event touches fresh memory, and at 40 bytes an event a 4 KiB page fault
//! came every hundred events and took a third of the recorder's time. A chunk is 4 MiB,
//! advised `MADV_HUGEPAGE` (this machine's transparent huge pages are in `madvise` mode),
//! so a fault brings in 2 MiB at once. A thread's first chunk is small: a plain thread that
//! readies one goroutine should not cost 4 MiB.

use super::Rec;

/// Events in a thread's first chunk.
const FIRST: usize = 1024;
/// Bytes in every later chunk.
const CHUNK_BYTES: usize = 4 << 20;

/// A thread's events, and the names of the goroutines it created.
#[derive(Default)]
pub(crate) struct Buf {
    full: Vec<Vec<Rec>>,
    cur: Vec<Rec>,
    /// `(goroutine, name)` for the named goroutines this thread created.
    pub(crate) names: Vec<(u64, String)>,
}

impl Buf {
    pub(crate) fn new() -> Buf {
        Buf {
            full: Vec::new(),
            cur: Vec::with_capacity(FIRST),
            names: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, r: Rec) {
        if self.cur.len() == self.cur.capacity() {
            self.next_chunk();
        }
        self.cur.push(r);
    }

    #[cold]
    fn next_chunk(&mut self) {
        let next = chunk();
        self.full.push(std::mem::replace(&mut self.cur, next));
    }

    /// Everything recorded, in order, leaving the buffer empty.
    pub(crate) fn take(&mut self) -> Vec<Rec> {
        let mut all =
            Vec::with_capacity(self.full.iter().map(Vec::len).sum::<usize>() + self.cur.len());
        for c in self.full.drain(..) {
            all.extend(c);
        }
        all.append(&mut self.cur);
        all
    }
}

/// A new empty chunk of [`CHUNK_BYTES`].
fn chunk() -> Vec<Rec> {
    let v: Vec<Rec> = Vec::with_capacity(CHUNK_BYTES / std::mem::size_of::<Rec>());
    #[cfg(target_os = "linux")]
    {
        // The whole 2 MiB pages inside the allocation.
        const HUGE: usize = 2 << 20;
        let start = (v.as_ptr() as usize).next_multiple_of(HUGE);
        let end = (v.as_ptr() as usize + v.capacity() * std::mem::size_of::<Rec>()) & !(HUGE - 1);
        if end > start {
            // SAFETY: the range lies inside the allocation `v` owns, and MADV_HUGEPAGE
            // only changes how the kernel backs it, never its contents.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    v
}
