//! The page around the timeline: a header with summary counts, a legend, the SVG, and a
//! footer saying what was merged, thinned or skipped. Everything is inline (CSS, SVG and a
//! few lines of optional JS that highlight a goroutine's runs on hover); nothing is fetched.

use std::fmt::Write as _;

use crate::escape::xml;
use crate::layout::{Layout, Options};
use crate::model::{MarkKind, Trace};
use crate::parse::skipped_total;
use crate::svg;
use crate::ticks::human;

/// The whole HTML document for `trace`, titled `title` (usually the file name).
pub fn page(trace: &Trace, l: &Layout, opts: &Options, title: &str) -> String {
    let body = svg::timeline(trace, l);
    let mut s = String::with_capacity(body.len() + 8192);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"generator\" content=\"gpm-trace\"><title>gpm trace: {t}</title>\
         <style>{CSS}</style></head><body>\n<header><h1>gpm trace <span>{t}</span></h1>",
        t = xml(title)
    );
    summary(&mut s, trace);
    s.push_str("</header>\n");
    legend(&mut s);
    s.push_str("<div class=\"scroll\">");
    s.push_str(&body);
    s.push_str("</div>\n");
    footer(&mut s, trace, l, opts);
    let _ = write!(s, "<script>{JS}</script>\n</body></html>\n");
    s
}

fn summary(s: &mut String, trace: &Trace) {
    let handoffs = |why: &str| {
        let needle = format!("reason={why}");
        trace
            .marks
            .iter()
            .filter(|m| m.kind == MarkKind::Handoff && m.detail.contains(&needle))
            .count()
    };
    let netpoll = trace.count(MarkKind::Netpoll);
    let readied: u64 = trace.marks.iter().map(|m| m.n).sum();
    let mut items: Vec<(String, String)> = vec![
        (
            "duration".into(),
            human(trace.bounds().map_or(0.0, |(a, b)| b - a)),
        ),
        ("goroutines".into(), trace.goroutines().to_string()),
        ("run slices".into(), trace.runs.len().to_string()),
        ("syscalls".into(), trace.syscalls.len().to_string()),
        ("steals".into(), trace.count(MarkKind::Steal).to_string()),
        (
            "handoffs".into(),
            format!(
                "{} <small>({} syscall, {} long-run)</small>",
                trace.count(MarkKind::Handoff),
                handoffs("syscall"),
                handoffs("long-run")
            ),
        ),
        (
            "netpoll wake-ups".into(),
            format!("{netpoll} <small>({readied} goroutines)</small>"),
        ),
        ("M wakes".into(), trace.count(MarkKind::Wake).to_string()),
        ("threads".into(), trace.tracks.len().to_string()),
    ];
    if let Some(p) = trace.procs {
        items.push(("procs".into(), p.to_string()));
    }
    s.push_str("<dl class=\"summary\">");
    for (k, v) in items {
        let _ = write!(s, "<div><dt>{}</dt><dd>{v}</dd></div>", xml(&k));
    }
    s.push_str("</dl>");
    if let Some(p) = &trace.process {
        let _ = write!(s, "<p class=\"process\">{}</p>", xml(p));
    }
}

fn legend(s: &mut String) {
    s.push_str("<div class=\"legend\">");
    let swatch = |s: &mut String, svg_body: &str, text: &str| {
        let _ = write!(
            s,
            "<span><svg width=\"22\" height=\"16\" viewBox=\"0 0 22 16\">{svg_body}</svg>{text}</span>"
        );
    };
    swatch(
        s,
        &format!(
            "<rect class=\"run\" x=\"1\" y=\"2\" width=\"20\" height=\"12\" fill=\"{}\"/>",
            crate::color::goroutine(7)
        ),
        "goroutine run (colour per goroutine)",
    );
    swatch(
        s,
        "<rect class=\"run\" x=\"1\" y=\"2\" width=\"20\" height=\"12\" fill=\"#ddd\"/>\
         <rect class=\"sys\" x=\"1\" y=\"9\" width=\"20\" height=\"5\"/>",
        "syscall",
    );
    swatch(
        s,
        "<rect class=\"idle\" x=\"1\" y=\"3\" width=\"20\" height=\"10\"/>",
        "M idle",
    );
    swatch(
        s,
        "<rect class=\"run merged\" x=\"1\" y=\"2\" width=\"20\" height=\"12\" fill=\"#9aa3b5\"/>",
        "merged (sub-pixel)",
    );
    for (kind, text) in [
        (MarkKind::Go, "go (created)"),
        (MarkKind::Steal, "steal"),
        (MarkKind::Handoff, "handoff (sysmon)"),
        (MarkKind::Netpoll, "netpoll wake-up"),
        (MarkKind::Wake, "M wake"),
    ] {
        swatch(s, &svg::marker(kind, 11.0, 8.0, text), text);
    }
    swatch(
        s,
        "<g class=\"flows\"><path class=\"a\" d=\"M1,12 C8,12 14,4 21,4\"/></g>",
        "ready → run",
    );
    s.push_str("</div>\n");
}

fn footer(s: &mut String, trace: &Trace, l: &Layout, opts: &Options) {
    let mut notes: Vec<String> = Vec::new();
    if opts.window.is_some() {
        let (a, b) = (l.t0 - l.origin, l.t1 - l.origin);
        notes.push(format!(
            "Showing {} to {} of the trace.",
            human(a),
            human(b)
        ));
    }
    if l.merged > 0 {
        notes.push(format!(
            "{} slices narrower than a pixel are drawn merged with their neighbours (grey, or \
             the goroutine's colour when all are one goroutine's); render a shorter window \
             (--from/--to) or a wider page (--width) to see them one by one.",
            l.merged
        ));
    }
    let marks_in_view: usize = l.marks.iter().map(|m| m.count).sum();
    if marks_in_view > l.marks.len() {
        notes.push(format!(
            "{marks_in_view} instants are drawn as {} markers (one per kind and pixel column).",
            l.marks.len()
        ));
    }
    if l.flows.len() < l.flows_in_view {
        notes.push(format!(
            "Flows capped: {} of {} ready → run arrows drawn (evenly spaced; --max-flows).",
            l.flows.len(),
            l.flows_in_view
        ));
    }
    if l.flows_short > 0 {
        notes.push(format!(
            "{} ready → run arrows within one thread shorter than {} px are not drawn.",
            l.flows_short,
            crate::layout::MIN_FLOW
        ));
    }
    if trace.dropped > 0 {
        notes.push(format!(
            "The tracer dropped {} events (its buffer was full).",
            trace.dropped
        ));
    }
    if !trace.skipped.is_empty() {
        let kinds: Vec<String> = trace
            .skipped
            .iter()
            .map(|(k, n)| format!("{} × {}", n, xml(k)))
            .collect();
        notes.push(format!(
            "Skipped {} events gpm-trace does not draw: {}.",
            skipped_total(&trace.skipped),
            kinds.join(", ")
        ));
    }
    s.push_str("<footer>");
    for n in notes {
        let _ = write!(s, "<p>{n}</p>");
    }
    s.push_str("<p>Made by gpm-trace. Hover for details.</p></footer>\n");
}

const CSS: &str = "\
body{margin:16px 20px;font:14px system-ui,sans-serif;color:#1d2230;background:#fff}\
h1{font-size:20px;margin:0 0 8px}h1 span{font-weight:400;color:#5a6275;font-size:15px;margin-left:8px}\
.summary{display:flex;flex-wrap:wrap;gap:6px 22px;margin:0 0 6px}.summary div{display:flex;gap:6px;align-items:baseline}\
dt{color:#5a6275}dd{margin:0;font-weight:600}dd small{font-weight:400;color:#5a6275}\
.process{margin:0 0 6px;color:#5a6275}\
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:8px 0;font-size:13px}.legend span{display:flex;align-items:center;gap:4px}\
.scroll{overflow-x:auto;border:1px solid #d8dbe2}\
.timeline text{font-size:11px;fill:#1d2230}.timeline .lane{font-size:12px;font-weight:600}\
.timeline .tick{fill:#5a6275}.timeline .label{pointer-events:none}\
.run{stroke:#1d2230;stroke-opacity:.35;stroke-width:.6}.run.merged{stroke:none}\
.run.hl{stroke:#000;stroke-opacity:1;stroke-width:2}\
.sys{fill:#1d2230;fill-opacity:.6}\
.idle{fill:url(#hatch);stroke:#c3c7cf;stroke-width:.6}\
.flows path{fill:none;stroke:#3b4a8c;stroke-opacity:.3;stroke-width:.8}.flows path.a{marker-end:url(#arrow)}\
.mk{stroke:#fff;stroke-width:.8}.mk.go{fill:#2e9d4f}.mk.steal{fill:#f08c00}.mk.handoff{fill:#d62828}\
.mk.netpoll{fill:#1f6fd1}.mk.wake{fill:#8e44ad}\
footer{margin-top:10px;color:#5a6275;font-size:13px}footer p{margin:3px 0}";

/// Hover a run to outline every run of the same goroutine. The page works without it.
const JS: &str = "\
document.querySelectorAll('.timeline rect.run[data-g]').forEach(function(r){\
r.addEventListener('mouseenter',function(){var g=r.getAttribute('data-g');\
document.querySelectorAll('.timeline rect.run[data-g=\"'+g+'\"]').forEach(function(o){o.classList.add('hl')});});\
r.addEventListener('mouseleave',function(){\
document.querySelectorAll('.timeline rect.hl').forEach(function(o){o.classList.remove('hl')});});});";
