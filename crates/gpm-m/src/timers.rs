//! Timers: one min-heap per P, each behind its own lock, with its earliest deadline
//! mirrored in an atomic so that checking "is anything due?" costs a few loads.
//!
//! A goroutine's timer goes on the heap of the P it runs on, so 100,000 sleepers spread
//! their inserts over all Ps. Any M may run any heap's due timers (Go steals timers the
//! same way), and the M that sleeps for the runtime waits until [`Timers::earliest`].
//! Deadlines are nanoseconds since the runtime started; `u64::MAX` means "none". Actions
//! run after the heap lock is released, because readying a G may take other locks.

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gpm_g::TimerAction;
use parking_lot::Mutex;

/// No deadline.
pub const NEVER: u64 = u64::MAX;

struct Entry {
    when: u64,
    seq: u64,
    action: TimerAction,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.when, self.seq) == (other.when, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    // Reversed: BinaryHeap is a max-heap and we want the earliest first; `seq` keeps timers
    // with equal deadlines in the order they were added.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (other.when, other.seq).cmp(&(self.when, self.seq))
    }
}

struct Shard {
    heap: Mutex<BinaryHeap<Entry>>,
    next: AtomicU64,
}

/// All timers of one runtime.
pub struct Timers {
    epoch: Instant,
    shards: Box<[Shard]>,
    pending: AtomicUsize,
    seq: AtomicU64,
}

impl Timers {
    /// Timers with `shards` heaps (one per P).
    pub fn new(shards: usize) -> Timers {
        Timers {
            epoch: Instant::now(),
            shards: (0..shards.max(1))
                .map(|_| Shard {
                    heap: Mutex::new(BinaryHeap::new()),
                    next: AtomicU64::new(NEVER),
                })
                .collect(),
            pending: AtomicUsize::new(0),
            seq: AtomicU64::new(0),
        }
    }

    /// `t` as nanoseconds since the runtime started (0 for the past).
    pub fn ticks(&self, t: Instant) -> u64 {
        let d = t.saturating_duration_since(self.epoch).as_nanos();
        u64::try_from(d).unwrap_or(NEVER - 1)
    }

    /// The instant for a tick count.
    pub fn instant(&self, ticks: u64) -> Instant {
        self.epoch + Duration::from_nanos(ticks)
    }

    /// The current time in ticks.
    pub fn now(&self) -> u64 {
        self.ticks(Instant::now())
    }

    /// The number of pending timers.
    pub fn len(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// True if no timer is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True if any timer is pending.
    #[inline]
    pub fn any_pending(&self) -> bool {
        self.pending.load(Ordering::Relaxed) != 0
    }

    /// Adds a timer to heap `shard`. Returns its deadline in ticks.
    pub fn add(&self, shard: usize, when: Instant, action: TimerAction) -> u64 {
        let when = self.ticks(when);
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let s = &self.shards[shard % self.shards.len()];
        let mut heap = s.heap.lock();
        heap.push(Entry { when, seq, action });
        self.pending.fetch_add(1, Ordering::SeqCst);
        if when < s.next.load(Ordering::Relaxed) {
            s.next.store(when, Ordering::SeqCst);
        }
        when
    }

    /// The earliest deadline of all heaps, or [`NEVER`].
    pub fn earliest(&self) -> u64 {
        self.shards
            .iter()
            .map(|s| s.next.load(Ordering::SeqCst))
            .min()
            .unwrap_or(NEVER)
    }

    /// Runs every timer due at `now`. Returns how many ran.
    pub fn run_due(&self, now: u64) -> usize {
        let mut due = Vec::new();
        for s in self.shards.iter() {
            if s.next.load(Ordering::Acquire) > now {
                continue;
            }
            let mut heap = s.heap.lock();
            while heap.peek().is_some_and(|e| e.when <= now) {
                due.push(heap.pop().expect("peeked").action);
            }
            s.next
                .store(heap.peek().map_or(NEVER, |e| e.when), Ordering::SeqCst);
        }
        let n = due.len();
        if n > 0 {
            self.pending.fetch_sub(n, Ordering::SeqCst);
        }
        for action in due {
            match action {
                TimerAction::Ready(g) => gpm_g::ready_fifo(&g),
                TimerAction::Call(f) => f(),
            }
        }
        n
    }

    /// Removes every timer (shutdown) and returns their actions unrun.
    pub fn clear(&self) -> Vec<TimerAction> {
        let mut out = Vec::new();
        for s in self.shards.iter() {
            let mut heap = s.heap.lock();
            out.extend(heap.drain().map(|e| e.action));
            s.next.store(NEVER, Ordering::SeqCst);
        }
        self.pending.store(0, Ordering::SeqCst);
        out
    }
}
