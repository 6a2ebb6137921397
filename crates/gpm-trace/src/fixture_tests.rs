//! Tests of the whole pipeline on `tests/fixtures/small.json` (five tracks, every kind of
//! slice and marker, a goroutine name needing escapes, three unknown events) and on
//! generated traces too big to draw slice by slice.

use crate::layout::{layout, Options};
use crate::model::MarkKind;
use crate::{convert, parse};

const SMALL: &str = include_str!("../tests/fixtures/small.json");

/// The timeline `<svg>` of a page (the legend has shapes too).
fn timeline(html: &str) -> &str {
    let start = html.find("<svg xmlns").expect("a timeline");
    let end = start + html[start..].find("</svg>").expect("closed");
    &html[start..end]
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn parses_every_event_of_the_fixture() {
    let t = parse(SMALL).unwrap();
    assert_eq!(t.process.as_deref(), Some("gpm (2 procs)"));
    assert_eq!(t.procs, Some(2));
    assert_eq!(t.runs.len(), 8);
    assert_eq!(t.syscalls.len(), 1);
    assert_eq!(t.idles.len(), 2);
    assert_eq!(t.flows.len(), 4);
    assert_eq!(t.goroutines(), 4);
    let kinds: Vec<usize> = MarkKind::ALL.iter().map(|&k| t.count(k)).collect();
    assert_eq!(kinds, [4, 1, 2, 1, 1]); // go, steal, handoff, netpoll, wake
    let g2 = t.runs.iter().find(|r| r.g == 2).unwrap();
    assert_eq!(
        (g2.name.as_str(), g2.p, g2.end.as_str()),
        ("g2 parse<&>", Some(1), "preempted")
    );
}

#[test]
fn lanes_follow_the_sort_index() {
    let t = parse(SMALL).unwrap();
    let l = layout(&t, &Options::default());
    let names: Vec<&str> = l.lanes.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["M0", "M1", "M2", "sysmon", "thread main"]);
    assert!(l.lanes.windows(2).all(|w| w[0].y < w[1].y));
    let html = convert(SMALL, "small.json", &Options::default()).unwrap();
    let svg = timeline(&html);
    let pos: Vec<usize> = names
        .iter()
        .map(|n| svg.find(&format!(">{n}<")).unwrap())
        .collect();
    assert!(
        pos.windows(2).all(|w| w[0] < w[1]),
        "lane labels in order: {pos:?}"
    );
}

#[test]
fn every_slice_is_drawn_with_a_tooltip() {
    let html = convert(SMALL, "small.json", &Options::default()).unwrap();
    let svg = timeline(&html);
    assert_eq!(count(svg, r#"<rect class="run" data-g="#), 8);
    assert_eq!(count(svg, r#"class="run merged""#), 0);
    assert_eq!(count(svg, r#"<rect class="sys""#), 1);
    assert_eq!(count(svg, r#"<rect class="idle""#), 2);
    assert!(
        svg.contains("<title>g3 (g3)\nstart 130.0 µs, duration 250.0 µs\nend: exit\non P0</title>")
    );
    assert!(svg.contains("syscall by g2\nstart 60.0 µs, duration 200.0 µs"));
    // Wide runs are labelled with the goroutine's name.
    assert!(svg.contains(r#"class="label""#) && svg.contains(">g1 main</text>"));
}

#[test]
fn markers_of_every_kind_and_the_flows_are_drawn() {
    let html = convert(SMALL, "small.json", &Options::default()).unwrap();
    let svg = timeline(&html);
    assert_eq!(count(svg, r#"class="mk go""#), 4);
    assert_eq!(count(svg, r#"class="mk steal""#), 1);
    assert_eq!(count(svg, r#"class="mk handoff""#), 2);
    assert_eq!(count(svg, r#"class="mk netpoll""#), 1);
    assert_eq!(count(svg, r#"class="mk wake""#), 1);
    assert!(svg.contains("steal at 25.0 µs\nn=2 p=1 victim=0"));
    assert!(svg.contains("handoff at 400.0 µs\np=0 reason=long-run"));
    let flows = &svg[svg.find(r#"<g class="flows">"#).unwrap()..];
    let flows = &flows[..flows.find("</g>").unwrap()];
    assert_eq!(count(flows, "<path"), 4);
    // The legend names every marker kind.
    for what in [
        "go (created)",
        "steal",
        "handoff (sysmon)",
        "netpoll wake-up",
        "M wake",
    ] {
        assert!(
            html.contains(&format!("</svg>{what}</span>")),
            "legend: {what}"
        );
    }
}

#[test]
fn header_counts() {
    let html = convert(SMALL, "small.json", &Options::default()).unwrap();
    for (k, v) in [
        ("goroutines", "4"),
        ("run slices", "8"),
        ("steals", "1"),
        ("M wakes", "1"),
        ("threads", "5"),
        ("procs", "2"),
        ("duration", "1.00 ms"),
    ] {
        assert!(
            html.contains(&format!("<dt>{k}</dt><dd>{v}</dd>")),
            "{k} = {v}"
        );
    }
    assert!(html.contains("<dt>handoffs</dt><dd>2 <small>(1 syscall, 1 long-run)</small>"));
    assert!(html.contains("<dt>netpoll wake-ups</dt><dd>1 <small>(1 goroutines)</small>"));
}

#[test]
fn names_are_escaped() {
    let html = convert(SMALL, "a<b>&c.json", &Options::default()).unwrap();
    assert!(html.contains("g2 parse&lt;&amp;&gt;"));
    assert!(!html.contains("parse<&>"));
    assert!(html.contains("<title>gpm trace: a&lt;b&gt;&amp;c.json</title>"));
}

#[test]
fn unknown_events_are_skipped_and_counted() {
    let t = parse(SMALL).unwrap();
    let skipped: Vec<(&str, usize)> = t.skipped.iter().map(|(k, &n)| (k.as_str(), n)).collect();
    assert_eq!(
        skipped,
        [
            ("instant cat \"future-kind\"", 1),
            ("ph \"B\"", 1),
            ("slice cat \"gc\"", 1)
        ]
    );
    let html = convert(SMALL, "small.json", &Options::default()).unwrap();
    assert!(html.contains("Skipped 3 events gpm-trace does not draw"));
    assert!(html.contains("1 × ph &quot;B&quot;"));
}

#[test]
fn the_page_is_self_contained() {
    let html = convert(SMALL, "small.json", &Options::default()).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // The only URL is the SVG namespace; no scripts, styles or fonts are fetched.
    assert_eq!(count(&html, "http"), 1);
    assert!(html.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
    assert!(!html.contains("src=") && !html.contains("<link"));
}

#[test]
fn bad_input_is_an_error_and_a_bare_array_is_fine() {
    assert!(parse("{").unwrap_err().to_string().starts_with("not JSON"));
    assert_eq!(
        parse(r#"{"x":1}"#).unwrap_err().to_string(),
        "no \"traceEvents\" array"
    );
    let t = parse(
        r#"[{"ph":"X","cat":"goroutine","name":"g5","tid":1,"ts":1,"dur":2,"args":{}},
            "junk", {"ts":3}]"#,
    )
    .unwrap();
    assert_eq!((t.runs[0].g, t.runs[0].end.as_str()), (5, "unknown"));
    assert_eq!(t.tracks[0].name, "tid 1");
    assert_eq!(t.skipped.values().sum::<usize>(), 2);
}

#[test]
fn a_window_keeps_only_what_overlaps_it() {
    let t = parse(SMALL).unwrap();
    let opts = Options {
        window: Some((500.0, 620.0)),
        ..Options::default()
    };
    let l = layout(&t, &opts);
    let gs: Vec<u64> = l.runs.iter().map(|p| t.runs[p.first].g).collect();
    assert_eq!(gs, [4, 1]); // g4 505-585 on M1, g1 600-650 on M0
    assert!(l.runs.iter().all(|p| p.x >= crate::layout::LABEL_W - 0.01));
    assert_eq!(l.marks.len(), 1); // the netpoll at 500
}

/// A trace of `n` back-to-back 1 µs runs of goroutines cycling over 50 ids on 4 Ms, with a
/// steal and a flow per run.
fn big(n: usize) -> String {
    let mut ev = Vec::with_capacity(3 * n + 8);
    for m in 0..4 {
        ev.push(format!(
            r#"{{"ph":"M","name":"thread_name","pid":1,"tid":{m},"args":{{"name":"M{m}"}}}}"#
        ));
    }
    for i in 0..n {
        let (tid, ts, g) = (i % 4, (i / 4) as f64 * 1.5, i % 50);
        ev.push(format!(
            r#"{{"ph":"X","cat":"goroutine","name":"g{g}","pid":1,"tid":{tid},"ts":{ts},"dur":1.0,"args":{{"g":{g},"p":{tid},"end":"yield"}}}}"#
        ));
        ev.push(format!(
            r#"{{"ph":"i","s":"t","cat":"steal","name":"steal","pid":1,"tid":{tid},"ts":{ts},"args":{{"p":0,"victim":1,"n":1}}}}"#
        ));
        ev.push(format!(
            r#"{{"ph":"s","cat":"flow","name":"ready","id":{i},"pid":1,"tid":{tid},"ts":{ts}}}"#
        ));
        let to = (tid + 1) % 4;
        ev.push(format!(
            r#"{{"ph":"f","bp":"e","cat":"flow","name":"ready","id":{i},"pid":1,"tid":{to},"ts":{}}}"#,
            ts + 40.0
        ));
    }
    format!(r#"{{"traceEvents":[{}]}}"#, ev.join(",\n"))
}

#[test]
fn a_trace_of_200k_events_stays_small_and_says_what_it_merged() {
    let json = big(50_000);
    let t = parse(&json).unwrap();
    assert_eq!(t.runs.len(), 50_000);
    let opts = Options::default();
    let l = layout(&t, &opts);
    // At most about one box per pixel per lane, and every run in one of them.
    assert!(l.runs.len() <= 4 * 1500, "{} boxes", l.runs.len());
    assert_eq!(l.runs.iter().map(|p| p.count).sum::<usize>(), 50_000);
    assert!(l.marks.len() <= 4 * 1500);
    assert_eq!(l.flows.len(), 1000);
    let html = crate::html::page(&t, &l, &opts, "big.json");
    assert!(html.len() < 4 << 20, "{} bytes", html.len());
    assert!(html.contains("50000 slices narrower than a pixel are drawn merged"));
    assert!(html.contains("Flows capped: 1000 of 50000"));
    assert!(html.contains("50000 instants are drawn as"));
}

#[test]
fn a_narrow_trace_draws_each_run_when_wide_enough() {
    let json = big(400);
    let opts = Options {
        width: 4000.0,
        ..Options::default()
    };
    let l = layout(&parse(&json).unwrap(), &opts);
    assert!(l.runs.iter().all(|p| p.count == 1));
    assert_eq!(l.merged, 0);
}
