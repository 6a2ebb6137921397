//! The timeline as inline SVG: axis and grid, lane labels, goroutine slices (coloured per
//! goroutine, labelled when wide enough), syscall bands, idle stretches, flow curves and
//! markers, each with a `<title>` tooltip.

use std::fmt::Write as _;

use crate::color;
use crate::escape::xml;
use crate::layout::{Layout, Placed, LABEL_W, LANE_H, MARK_Y, SLICE_H, SLICE_Y, SYSCALL_H};
use crate::model::{MarkKind, Trace};
use crate::ticks::human;

/// Average width of a label character at the slice font size, px.
const CHAR_W: f64 = 6.4;

/// The `<svg>` element for `trace` laid out as `l`.
pub fn timeline(trace: &Trace, l: &Layout) -> String {
    let mut s = String::with_capacity(256 * (l.runs.len() + l.marks.len() + 64));
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="system-ui, sans-serif">"#,
        w = l.width,
        h = l.height
    );
    s.push_str(DEFS);
    lanes(&mut s, l);
    axis(&mut s, l);
    for p in &l.idles {
        idle(&mut s, trace, l, p);
    }
    for p in &l.runs {
        run(&mut s, trace, l, p);
    }
    for p in &l.syscalls {
        syscall(&mut s, trace, l, p);
    }
    flows(&mut s, trace, l);
    for m in &l.marks {
        let first = &trace.marks[m.first];
        let y = l.lanes[m.lane].y + MARK_Y;
        let what = if m.count == 1 {
            format!(
                "{} at {}",
                first.kind.category(),
                human(first.ts - l.origin)
            )
        } else {
            format!(
                "{} × {} from {} (first shown)",
                m.count,
                first.kind.category(),
                human(first.ts - l.origin)
            )
        };
        let tip = if first.detail.is_empty() {
            what
        } else {
            format!("{what}\n{}", first.detail)
        };
        s.push_str(&marker(m.kind, m.x, y, &xml(&tip)));
    }
    s.push_str("</svg>");
    s
}

/// The hatch pattern for idle stretches and the arrow head for flows.
const DEFS: &str = r##"<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eceef2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b8bcc6" stroke-width="2"/></pattern><marker id="arrow" viewBox="0 0 6 6" refX="6" refY="3" markerWidth="5" markerHeight="5" orient="auto"><path d="M0,0 L6,3 L0,6 z" fill="#3b4a8c" fill-opacity=".6"/></marker></defs>"##;

fn lanes(s: &mut String, l: &Layout) {
    for (i, lane) in l.lanes.iter().enumerate() {
        let fill = if i % 2 == 0 { "#f6f7f9" } else { "#ffffff" };
        let _ = write!(
            s,
            r#"<rect x="0" y="{y:.1}" width="{w:.0}" height="{LANE_H}" fill="{fill}"/><text class="lane" x="8" y="{ty:.1}">{name}<title>{full} (tid {tid})</title></text>"#,
            y = lane.y,
            w = l.width,
            ty = lane.y + SLICE_Y + 15.0,
            name = xml(&fit(&lane.name, LABEL_W - 14.0).unwrap_or_default()),
            tid = lane.tid,
            full = xml(&lane.name),
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{LABEL_W}" y1="0" x2="{LABEL_W}" y2="{h:.0}" stroke="#c9ccd3"/>"##,
        h = l.height
    );
}

fn axis(s: &mut String, l: &Layout) {
    let right = l.x(l.t1);
    for t in &l.ticks {
        let x = l.x(l.origin + t.at);
        // A label that would stick out past the plot's right edge ends at the tick.
        let anchor = if right - x < 30.0 { "end" } else { "middle" };
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" y1="22" x2="{x:.1}" y2="{h:.0}" stroke="#dde0e6" stroke-width="1"/><text class="tick" x="{x:.1}" y="16" text-anchor="{anchor}">{label}</text>"##,
            h = l.height,
            label = xml(&t.label)
        );
    }
}

fn run(s: &mut String, trace: &Trace, l: &Layout, p: &Placed) {
    let y = l.lanes[p.lane].y + SLICE_Y;
    let span = format!(
        "start {}, duration {}",
        human(p.ts - l.origin),
        human(p.te - p.ts)
    );
    if p.count > 1 {
        let fill = match p.gs.as_slice() {
            [g] => color::goroutine(*g),
            _ => "#9aa3b5".into(),
        };
        let tip = format!(
            "{} runs merged ({} goroutines)\n{span}",
            p.count,
            p.gs.len()
        );
        let _ = write!(
            s,
            r#"<rect class="run merged" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{SLICE_H}" fill="{fill}"><title>{tip}</title></rect>"#,
            x = p.x,
            w = p.w,
            tip = xml(&tip)
        );
        return;
    }
    let r = &trace.runs[p.first];
    let pp = r.p.map_or("-".into(), |p| format!("P{p}"));
    let tip = format!("{} (g{})\n{span}\nend: {}\non {pp}", r.name, r.g, r.end);
    let _ = write!(
        s,
        r#"<rect class="run" data-g="{g}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{SLICE_H}" fill="{fill}"><title>{tip}</title></rect>"#,
        g = r.g,
        x = p.x,
        w = p.w,
        fill = color::goroutine(r.g),
        tip = xml(&tip)
    );
    if let Some(label) = fit(&r.name, p.w - 6.0) {
        let _ = write!(
            s,
            r#"<text class="label" x="{x:.1}" y="{ty:.1}">{label}</text>"#,
            x = p.x + 3.0,
            ty = y + 14.0,
            label = xml(&label)
        );
    }
}

/// `name` cut to fit `room` px (with an ellipsis), or `None` if not even two characters do.
pub fn fit(name: &str, room: f64) -> Option<String> {
    let chars = (room / CHAR_W).floor().max(0.0) as usize;
    let len = name.chars().count();
    if len <= chars {
        Some(name.to_string())
    } else if chars >= 3 {
        Some(name.chars().take(chars - 1).chain(['…']).collect())
    } else {
        None
    }
}

fn syscall(s: &mut String, trace: &Trace, l: &Layout, p: &Placed) {
    let y = l.lanes[p.lane].y + SLICE_Y + SLICE_H - SYSCALL_H;
    let who = match (p.count, trace.syscalls[p.first].g) {
        (1, Some(g)) => format!("syscall by g{g}"),
        (1, None) => "syscall".into(),
        (n, _) => format!("{n} syscalls merged"),
    };
    let tip = format!(
        "{who}\nstart {}, duration {}",
        human(p.ts - l.origin),
        human(p.te - p.ts)
    );
    let _ = write!(
        s,
        r#"<rect class="sys" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{SYSCALL_H}"><title>{tip}</title></rect>"#,
        x = p.x,
        w = p.w,
        tip = xml(&tip)
    );
}

fn idle(s: &mut String, _trace: &Trace, l: &Layout, p: &Placed) {
    let y = l.lanes[p.lane].y + SLICE_Y + 3.0;
    let what = if p.count == 1 {
        "idle (M parked)".into()
    } else {
        format!("{} idle stretches merged", p.count)
    };
    let tip = format!(
        "{what}\nstart {}, duration {}",
        human(p.ts - l.origin),
        human(p.te - p.ts)
    );
    let _ = write!(
        s,
        r#"<rect class="idle" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h}"><title>{tip}</title></rect>"#,
        x = p.x,
        w = p.w,
        h = SLICE_H - 6.0,
        tip = xml(&tip)
    );
}

fn flows(s: &mut String, trace: &Trace, l: &Layout) {
    if l.flows.is_empty() {
        return;
    }
    s.push_str(r#"<g class="flows">"#);
    for f in &l.flows {
        let flow = &trace.flows[f.index];
        let dx = ((f.x2 - f.x1).abs() / 2.0).clamp(4.0, 40.0);
        // A flow within one lane arches over the slices; others curve between lanes.
        let (c1y, c2y) = if (f.y1 - f.y2).abs() < 0.5 {
            (f.y1 - 14.0, f.y2 - 14.0)
        } else {
            (f.y1, f.y2)
        };
        let tip = format!(
            "{} at {} → run at {}",
            flow.name,
            human(flow.from_ts - l.origin),
            human(flow.to_ts - l.origin)
        );
        // Arrow heads only where there is room for one.
        let class = if (f.x2 - f.x1).hypot(f.y2 - f.y1) > 16.0 {
            " class=\"a\""
        } else {
            ""
        };
        let _ = write!(
            s,
            r#"<path{class} d="M{:.1},{:.1} C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}"><title>{}</title></path>"#,
            f.x1,
            f.y1,
            f.x1 + dx,
            c1y,
            f.x2 - dx,
            c2y,
            f.x2,
            f.y2,
            xml(&tip)
        );
    }
    s.push_str("</g>");
}

/// A marker of `kind` centred on (`x`, `y`): shape and colour tell the kinds apart.
pub fn marker(kind: MarkKind, x: f64, y: f64, tip: &str) -> String {
    let class = kind.category();
    let shape = match kind {
        MarkKind::Go => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.2""#),
        MarkKind::Steal => {
            format!(r#"<path d="M{:.1},{:.1} h8 l-4,7 z""#, x - 4.0, y - 3.5)
        }
        MarkKind::Handoff => {
            format!(
                r#"<path d="M{x:.1},{:.1} l4,4.5 l-4,4.5 l-4,-4.5 z""#,
                y - 4.5
            )
        }
        MarkKind::Netpoll => {
            format!(
                r#"<rect x="{:.1}" y="{:.1}" width="7" height="7""#,
                x - 3.5,
                y - 3.5
            )
        }
        MarkKind::Wake => {
            format!(r#"<path d="M{:.1},{:.1} h8 l-4,-7 z""#, x - 4.0, y + 3.5)
        }
    };
    format!(
        r#"{shape} class="mk {class}"><title>{tip}</title></{}>"#,
        tag(kind)
    )
}

fn tag(kind: MarkKind) -> &'static str {
    match kind {
        MarkKind::Go => "circle",
        MarkKind::Netpoll => "rect",
        _ => "path",
    }
}
