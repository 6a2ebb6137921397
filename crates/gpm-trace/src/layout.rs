//! Where everything goes: the time scale, one lane per track, and the boxes, markers and
//! flow lines in pixels. Slices narrower than a pixel are merged per lane with their
//! neighbours, markers of one kind share a pixel column, and flows are thinned to a cap,
//! so a trace of millions of events still gives a page of bounded size.

use std::collections::HashMap;

use crate::model::{MarkKind, Trace};
use crate::ticks::{self, Tick};

/// Geometry, in px.
pub const LABEL_W: f64 = 110.0;
pub const AXIS_H: f64 = 30.0;
pub const LANE_H: f64 = 40.0;
pub const RIGHT_PAD: f64 = 16.0;
/// Within a lane: the marker row, then the slice band (the syscall band is its bottom).
pub const MARK_Y: f64 = 7.0;
pub const SLICE_Y: f64 = 14.0;
pub const SLICE_H: f64 = 22.0;
pub const SYSCALL_H: f64 = 7.0;
/// Narrower than this, a slice is merged with its narrow neighbours.
pub const MIN_W: f64 = 1.0;
/// A flow within one lane shorter than this is not drawn.
pub const MIN_FLOW: f64 = 3.0;

/// What to draw and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Width of the plot area (time axis), px.
    pub width: f64,
    /// The most flow lines drawn; beyond it every k-th is.
    pub max_flows: usize,
    /// Only this time range (µs, absolute as in the file), if set.
    pub window: Option<(f64, f64)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            width: 1400.0,
            max_flows: 1000,
            window: None,
        }
    }
}

/// A lane: one track.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub name: String,
    pub tid: u64,
    /// Top edge, px.
    pub y: f64,
}

/// One drawn box: a single slice (`count == 1`, `first` is its index) or several merged.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub lane: usize,
    pub x: f64,
    pub w: f64,
    /// Index of the first slice in the trace's vector.
    pub first: usize,
    pub count: usize,
    /// Time range covered, µs.
    pub ts: f64,
    pub te: f64,
    /// Distinct goroutines in it (for runs), sorted.
    pub gs: Vec<u64>,
}

/// A marker: one or more instants of a kind in one pixel column of a lane.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedMark {
    pub lane: usize,
    pub x: f64,
    pub kind: MarkKind,
    /// Index of the first instant in `trace.marks`.
    pub first: usize,
    pub count: usize,
}

/// A flow line, px.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
    pub index: usize,
}

/// The whole picture's geometry.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The trace's start, µs: times are shown relative to it.
    pub origin: f64,
    /// The view, µs (absolute, as in the file).
    pub t0: f64,
    pub t1: f64,
    pub px_per_us: f64,
    pub width: f64,
    pub height: f64,
    pub lanes: Vec<Lane>,
    pub runs: Vec<Placed>,
    pub syscalls: Vec<Placed>,
    pub idles: Vec<Placed>,
    pub marks: Vec<PlacedMark>,
    pub flows: Vec<Line>,
    /// Flows in view and long enough to draw, before thinning.
    pub flows_in_view: usize,
    /// Flows in view left out because they would be a dot: within one lane and shorter
    /// than [`MIN_FLOW`] px.
    pub flows_short: usize,
    /// Slices folded into merged boxes.
    pub merged: usize,
    pub ticks: Vec<Tick>,
}

impl Layout {
    /// The x of time `t` (µs), px from the left of the SVG.
    pub fn x(&self, t: f64) -> f64 {
        LABEL_W + (t - self.t0) * self.px_per_us
    }
}

/// Lays `trace` out.
pub fn layout(trace: &Trace, opts: &Options) -> Layout {
    let bounds = trace.bounds().unwrap_or((0.0, 1.0));
    let (t0, t1) = opts.window.unwrap_or(bounds);
    let t1 = if t1 > t0 { t1 } else { t0 + 1.0 };
    let width = opts.width.max(100.0);
    let lanes: Vec<Lane> = trace
        .tracks
        .iter()
        .enumerate()
        .map(|(i, t)| Lane {
            name: t.name.clone(),
            tid: t.tid,
            y: AXIS_H + i as f64 * LANE_H,
        })
        .collect();
    let lane_of: HashMap<u64, usize> = lanes.iter().enumerate().map(|(i, l)| (l.tid, i)).collect();
    let origin = bounds.0;
    let mut l = Layout {
        origin,
        t0,
        t1,
        px_per_us: width / (t1 - t0),
        width: LABEL_W + width + RIGHT_PAD,
        height: AXIS_H + lanes.len() as f64 * LANE_H + 4.0,
        lanes,
        runs: Vec::new(),
        syscalls: Vec::new(),
        idles: Vec::new(),
        marks: Vec::new(),
        flows: Vec::new(),
        flows_in_view: 0,
        flows_short: 0,
        merged: 0,
        ticks: ticks::ticks(t0 - origin, t1 - origin, width, 110.0),
    };
    let runs = trace.runs.iter().map(|r| (r.tid, r.ts, r.dur, Some(r.g)));
    l.runs = pack(&l, &lane_of, runs);
    let syscalls = trace.syscalls.iter().map(|s| (s.tid, s.ts, s.dur, None));
    l.syscalls = pack(&l, &lane_of, syscalls);
    let idles = trace.idles.iter().map(|s| (s.tid, s.ts, s.dur, None));
    l.idles = pack(&l, &lane_of, idles);
    l.merged = [&l.runs, &l.syscalls, &l.idles]
        .iter()
        .flat_map(|v| v.iter())
        .filter(|p| p.count > 1)
        .map(|p| p.count)
        .sum();
    l.marks = place_marks(&l, &lane_of, trace);
    place_flows(&mut l, &lane_of, trace, opts.max_flows);
    l
}

/// Places slices `(tid, ts, dur, g)`, given in start order, merging the sub-pixel ones of
/// a lane that touch (within a pixel).
fn pack(
    l: &Layout,
    lane_of: &HashMap<u64, usize>,
    items: impl Iterator<Item = (u64, f64, f64, Option<u64>)>,
) -> Vec<Placed> {
    let mut out = Vec::new();
    let mut open: HashMap<usize, Placed> = HashMap::new();
    for (i, (tid, ts, dur, g)) in items.enumerate() {
        let (Some(&lane), te) = (lane_of.get(&tid), ts + dur) else {
            continue;
        };
        if te < l.t0 || ts > l.t1 {
            continue;
        }
        let (cs, ce) = (ts.max(l.t0), te.min(l.t1));
        let (x, w) = (l.x(cs), (ce - cs) * l.px_per_us);
        let gs: Vec<u64> = g.into_iter().collect();
        let item = Placed {
            lane,
            x,
            w,
            first: i,
            count: 1,
            ts,
            te,
            gs,
        };
        if w >= MIN_W {
            if let Some(p) = open.remove(&lane) {
                out.push(finish(p));
            }
            out.push(item);
            continue;
        }
        match open.get_mut(&lane) {
            Some(p) if x <= p.x + p.w + MIN_W => {
                p.w = p.w.max(x + w - p.x);
                p.count += 1;
                p.te = p.te.max(te);
                p.gs.extend(item.gs);
            }
            _ => {
                if let Some(p) = open.insert(lane, item) {
                    out.push(finish(p));
                }
            }
        }
    }
    let mut rest: Vec<Placed> = open.into_values().map(finish).collect();
    rest.sort_by_key(|p| p.lane);
    out.extend(rest);
    out
}

fn finish(mut p: Placed) -> Placed {
    p.w = p.w.max(MIN_W);
    p.gs.sort_unstable();
    p.gs.dedup();
    p
}

/// One marker per lane, kind and pixel column.
fn place_marks(l: &Layout, lane_of: &HashMap<u64, usize>, trace: &Trace) -> Vec<PlacedMark> {
    let mut out: Vec<PlacedMark> = Vec::new();
    let mut at: HashMap<(usize, MarkKind, i64), usize> = HashMap::new();
    for (i, m) in trace.marks.iter().enumerate() {
        let Some(&lane) = lane_of.get(&m.tid) else {
            continue;
        };
        if m.ts < l.t0 || m.ts > l.t1 {
            continue;
        }
        let x = l.x(m.ts);
        let col = x.round() as i64;
        match at.get(&(lane, m.kind, col)) {
            Some(&k) => out[k].count += 1,
            None => {
                at.insert((lane, m.kind, col), out.len());
                out.push(PlacedMark {
                    lane,
                    x,
                    kind: m.kind,
                    first: i,
                    count: 1,
                });
            }
        }
    }
    out
}

/// Flow lines from the middle of the ready's lane to the run's, thinned to `max`.
fn place_flows(l: &mut Layout, lane_of: &HashMap<u64, usize>, trace: &Trace, max: usize) {
    let in_view: Vec<usize> = (0..trace.flows.len())
        .filter(|&i| {
            let f = &trace.flows[i];
            lane_of.contains_key(&f.from_tid)
                && lane_of.contains_key(&f.to_tid)
                && f.to_ts >= l.t0
                && f.from_ts <= l.t1
        })
        .collect();
    let short = |i: &usize| {
        let f = &trace.flows[*i];
        f.from_tid == f.to_tid && (f.to_ts - f.from_ts).abs() * l.px_per_us < MIN_FLOW
    };
    let (short, in_view): (Vec<usize>, Vec<usize>) = in_view.into_iter().partition(short);
    l.flows_short = short.len();
    l.flows_in_view = in_view.len();
    if max == 0 {
        return;
    }
    let stride = in_view.len().div_ceil(max).max(1);
    let mid = |tid: u64, l: &Layout| l.lanes[lane_of[&tid]].y + SLICE_Y + SLICE_H / 2.0;
    let lines: Vec<Line> = in_view
        .iter()
        .step_by(stride)
        .map(|&i| {
            let f = &trace.flows[i];
            let clamp = |t: f64| l.x(t.clamp(l.t0, l.t1));
            Line {
                x1: clamp(f.from_ts),
                y1: mid(f.from_tid, l),
                x2: clamp(f.to_ts),
                y2: mid(f.to_tid, l),
                index: i,
            }
        })
        .collect();
    l.flows = lines;
}
