//! The trace as gpm-trace understands it: tracks (one per OS thread), goroutine run
//! slices, syscall and idle slices, instant markers and ready→run flows. Times are
//! microseconds, as in the Chrome trace event format.

use std::collections::BTreeMap;

/// Everything read from one trace file.
#[derive(Debug, Default, Clone)]
pub struct Trace {
    /// The `process_name` metadata, if any (`gpm (4 procs)`).
    pub process: Option<String>,
    /// `otherData.procs`: the runtime's number of Ps.
    pub procs: Option<u64>,
    /// `otherData.dropped_events`: events the recorder could not keep.
    pub dropped: u64,
    /// The tracks, in display order (sort index, then tid).
    pub tracks: Vec<Track>,
    /// Goroutine runs.
    pub runs: Vec<Run>,
    /// Blocking calls, each inside a run on the same track.
    pub syscalls: Vec<Slice>,
    /// Stretches an M slept.
    pub idles: Vec<Slice>,
    /// Instants: creations, steals, handoffs, netpoll wake-ups, M wake-ups.
    pub marks: Vec<Mark>,
    /// Ready → run arrows, start and finish matched by id.
    pub flows: Vec<Flow>,
    /// Events not understood, by a short description (`ph "B"`, `cat "gc"`), and counts.
    pub skipped: BTreeMap<String, usize>,
}

/// One OS thread's track (`tid`).
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub tid: u64,
    /// `M0`, `sysmon`, `thread main`; `tid N` when the file names none.
    pub name: String,
    pub sort_index: i64,
}

/// A goroutine's run on one track.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub tid: u64,
    pub ts: f64,
    pub dur: f64,
    pub g: u64,
    /// The slice name: `g12` or `g12 worker`.
    pub name: String,
    /// The P it ran on, if known.
    pub p: Option<u64>,
    /// Why the run ended: `park`, `yield`, `exit`, `preempted`, `handoff`, `shutdown`,
    /// `running` (the trace ended first), or whatever a newer tracer writes.
    pub end: String,
}

/// A syscall or idle slice.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    pub tid: u64,
    pub ts: f64,
    pub dur: f64,
    /// The goroutine in the syscall (none for idle slices).
    pub g: Option<u64>,
}

/// The kinds of instant gpm-trace draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MarkKind {
    /// A goroutine was created.
    Go,
    /// A P stole goroutines from another.
    Steal,
    /// sysmon took a P from a blocked or long-running M.
    Handoff,
    /// The netpoller readied goroutines.
    Netpoll,
    /// An M woke another M.
    Wake,
}

impl MarkKind {
    /// Every kind, in legend order.
    pub const ALL: [MarkKind; 5] = [
        MarkKind::Go,
        MarkKind::Steal,
        MarkKind::Handoff,
        MarkKind::Netpoll,
        MarkKind::Wake,
    ];

    /// The event category that stands for this kind.
    pub fn category(self) -> &'static str {
        match self {
            MarkKind::Go => "go",
            MarkKind::Steal => "steal",
            MarkKind::Handoff => "handoff",
            MarkKind::Netpoll => "netpoll",
            MarkKind::Wake => "wake",
        }
    }

    /// The kind whose category is `cat`.
    pub fn from_category(cat: &str) -> Option<MarkKind> {
        MarkKind::ALL.into_iter().find(|k| k.category() == cat)
    }
}

/// An instant on a track.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub tid: u64,
    pub ts: f64,
    pub kind: MarkKind,
    /// The event's args as `key=value` pairs, for the tooltip.
    pub detail: String,
    /// For netpoll marks: the goroutines readied (`args.n`); 0 otherwise.
    pub n: u64,
    /// For creations: the new goroutine (`args.g`).
    pub g: Option<u64>,
}

/// An arrow from where a goroutine was readied (or created) to where it next ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    /// `ready` or `go`.
    pub name: String,
    pub from_tid: u64,
    pub from_ts: f64,
    pub to_tid: u64,
    pub to_ts: f64,
}

impl Trace {
    /// The time span the trace covers: the earliest start and the latest end of anything.
    pub fn bounds(&self) -> Option<(f64, f64)> {
        let slices = self.runs.iter().map(|r| (r.ts, r.ts + r.dur));
        let others = self
            .syscalls
            .iter()
            .chain(&self.idles)
            .map(|s| (s.ts, s.ts + s.dur));
        let points = self.marks.iter().map(|m| (m.ts, m.ts));
        let flows = self
            .flows
            .iter()
            .map(|f| (f.from_ts.min(f.to_ts), f.from_ts.max(f.to_ts)));
        slices
            .chain(others)
            .chain(points)
            .chain(flows)
            .fold(None, |acc, (a, b)| match acc {
                None => Some((a, b)),
                Some((lo, hi)) => Some((f64::min(lo, a), f64::max(hi, b))),
            })
    }

    /// How many distinct goroutines appear (in runs or creations).
    pub fn goroutines(&self) -> usize {
        let created = self.marks.iter().filter_map(|m| m.g);
        let mut ids: Vec<u64> = self.runs.iter().map(|r| r.g).chain(created).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }

    /// How many marks of `kind`.
    pub fn count(&self, kind: MarkKind) -> usize {
        self.marks.iter().filter(|m| m.kind == kind).count()
    }
}
