//! Writes a recorded [`Trace`] in the Chrome trace event format (the JSON that Perfetto,
//! `chrome://tracing` and `gpm-trace` open).
//!
//! One track (`tid`) per OS thread. A goroutine's run, from the `run` event to the `stop`
//! that ends it, becomes a complete slice (`"ph":"X"`, category `goroutine`) on the track
//! of the thread that ran it, with the P and the reason it stopped (`park`, `yield`,
//! `exit`; `running` when the trace ended first). A blocking call inside it is a nested
//! `syscall` slice, an M's sleep an `idle` slice. Each run is tied to what made it
//! possible by a flow (`"ph":"s"` at the `ready` or `go`, `"ph":"f"` at the run): for every
//! goroutine, the last ready (or its creation) before a run and after the previous one.
//! Steals, sysmon handoffs, netpoll wake-ups, M wake-ups and goroutine creations are
//! instants. Times are microseconds with nanosecond decimals.

use std::collections::HashMap;
use std::io::{self, Write};

use gpm_g::trace::{End, Ev, Rec, Retake, Trace, Track};

/// What the producing runtime adds to the file's `otherData`.
pub(crate) struct Meta {
    pub procs: usize,
}

/// Writes `trace` as Chrome trace JSON.
pub(crate) fn write(trace: &Trace, meta: &Meta, out: &mut dyn Write) -> io::Result<()> {
    let mut w = Events::new(out);
    w.out.write_all(b"{\"traceEvents\":[\n")?;
    w.raw(&format!(
        "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"args\":{{\"name\":\"gpm ({} procs)\"}}}}",
        meta.procs
    ))?;
    for (i, track) in trace.tracks.iter().enumerate() {
        w.raw(&format!(
            "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":{},\"args\":{{\"name\":{}}}}}",
            track.id,
            json_str(&track.name)
        ))?;
        w.raw(&format!(
            "{{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":1,\"tid\":{},\"args\":{{\"sort_index\":{}}}}}",
            track.id,
            sort_index(&track.name, i)
        ))?;
    }
    let names = goroutine_names(trace);
    for track in &trace.tracks {
        slices(track, trace.duration, &names, &mut w)?;
    }
    flows(trace, &mut w)?;
    w.out.write_all(b"\n],\"displayTimeUnit\":\"ns\",")?;
    write!(
        w.out,
        "\"otherData\":{{\"producer\":\"gpm\",\"version\":{},\"procs\":{},\"dropped_events\":{}}}}}\n",
        json_str(env!("CARGO_PKG_VERSION")),
        meta.procs,
        trace.dropped
    )?;
    w.out.flush()
}

/// Ms first in M order, then sysmon, then other threads in order of appearance.
fn sort_index(name: &str, i: usize) -> u64 {
    match name.strip_prefix('M').and_then(|n| n.parse::<u64>().ok()) {
        Some(n) => n,
        None if name == "sysmon" => 1_000_000,
        None => 2_000_000 + i as u64,
    }
}

fn goroutine_names(trace: &Trace) -> HashMap<u64, String> {
    let mut names = HashMap::new();
    for rec in trace.tracks.iter().flat_map(|t| &t.recs) {
        if let Ev::Go {
            g, name: Some(n), ..
        } = &rec.ev
        {
            names.insert(*g, n.clone());
        }
    }
    names
}

/// Comma-separated event objects.
struct Events<'a> {
    out: &'a mut dyn Write,
    first: bool,
}

impl<'a> Events<'a> {
    fn new(out: &'a mut dyn Write) -> Self {
        Events { out, first: true }
    }

    fn raw(&mut self, obj: &str) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        self.out.write_all(obj.as_bytes())
    }

    #[allow(clippy::too_many_arguments)]
    fn slice(
        &mut self,
        cat: &str,
        name: &str,
        tid: u64,
        from: u64,
        to: u64,
        args: &str,
    ) -> io::Result<()> {
        self.raw(&format!(
            "{{\"ph\":\"X\",\"cat\":\"{cat}\",\"name\":{},\"pid\":1,\"tid\":{tid},\"ts\":{},\"dur\":{},\"args\":{{{args}}}}}",
            json_str(name),
            us(from),
            us(to.saturating_sub(from))
        ))
    }

    fn instant(&mut self, cat: &str, tid: u64, t: u64, args: &str) -> io::Result<()> {
        self.raw(&format!(
            "{{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"{cat}\",\"name\":\"{cat}\",\"pid\":1,\"tid\":{tid},\"ts\":{},\"args\":{{{args}}}}}",
            us(t)
        ))
    }
}

/// Nanoseconds as microseconds with three decimals.
fn us(ns: u64) -> String {
    format!("{}.{:03}", ns / 1000, ns % 1000)
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn g_label(g: u64, names: &HashMap<u64, String>) -> String {
    match names.get(&g) {
        Some(n) => format!("g{g} {n}"),
        None => format!("g{g}"),
    }
}

/// A goroutine running on the track.
struct Open {
    g: u64,
    p: Option<usize>,
    since: u64,
    syscall: Option<u64>,
}

/// The slices and instants of one track.
fn slices(
    track: &Track,
    duration: u64,
    names: &HashMap<u64, String>,
    w: &mut Events<'_>,
) -> io::Result<()> {
    let tid = track.id;
    let mut open: Option<Open> = None;
    let mut idle_since: Option<u64> = None;
    let close = |o: Open, t: u64, end: &str, w: &mut Events<'_>| -> io::Result<()> {
        if let Some(s) = o.syscall {
            w.slice("syscall", "syscall", tid, s, t, &format!("\"g\":{}", o.g))?;
        }
        let p = o.p.map_or("null".to_string(), |p| p.to_string());
        let args = format!("\"g\":{},\"p\":{p},\"end\":\"{end}\"", o.g);
        w.slice("goroutine", &g_label(o.g, names), tid, o.since, t, &args)
    };
    for &Rec { t, ref ev } in &track.recs {
        match *ev {
            Ev::Run { g, p } => {
                if let Some(o) = open.take() {
                    // A run without a stop cannot happen on one thread; keep the file sound.
                    close(o, t, "unknown", w)?;
                }
                open = Some(Open {
                    g,
                    p,
                    since: t,
                    syscall: None,
                });
            }
            Ev::Stop { g, end } => {
                if let Some(o) = open.take_if(|o| o.g == g) {
                    let end = match end {
                        End::Park => "park",
                        End::Yield => "yield",
                        End::Exit => "exit",
                    };
                    close(o, t, end, w)?;
                }
            }
            Ev::SyscallEnter { g } => {
                if let Some(o) = open.as_mut().filter(|o| o.g == g) {
                    o.syscall = Some(t);
                }
            }
            Ev::SyscallExit { g } => {
                if let Some(o) = open.as_mut().filter(|o| o.g == g) {
                    if let Some(s) = o.syscall.take() {
                        w.slice("syscall", "syscall", tid, s, t, &format!("\"g\":{g}"))?;
                    }
                }
            }
            Ev::Idle => idle_since = idle_since.or(Some(t)),
            Ev::Busy => {
                if let Some(s) = idle_since.take() {
                    w.slice("idle", "idle", tid, s, t, "")?;
                }
            }
            Ev::Go { g, parent, .. } => {
                let parent = parent.map_or("null".to_string(), |p| p.to_string());
                w.instant("go", tid, t, &format!("\"g\":{g},\"parent\":{parent}"))?;
            }
            Ev::Steal { p, victim, n } => {
                w.instant(
                    "steal",
                    tid,
                    t,
                    &format!("\"p\":{p},\"victim\":{victim},\"n\":{n}"),
                )?;
            }
            Ev::Handoff { p, why } => {
                let why = match why {
                    Retake::Syscall => "syscall",
                    Retake::LongRun => "long-run",
                };
                w.instant(
                    "handoff",
                    tid,
                    t,
                    &format!("\"p\":{p},\"reason\":\"{why}\""),
                )?;
            }
            Ev::Netpoll { n } => w.instant("netpoll", tid, t, &format!("\"n\":{n}"))?,
            Ev::Wake => w.instant("wake", tid, t, "")?,
            Ev::Ready { .. } => {}
        }
    }
    if let Some(o) = open {
        let end = duration.max(o.since);
        close(o, end, "running", w)?;
    }
    if let Some(s) = idle_since {
        w.slice("idle", "idle", tid, s, duration.max(s), "")?;
    }
    Ok(())
}

/// The flows from each goroutine's ready (or creation) to the run it led to.
fn flows(trace: &Trace, w: &mut Events<'_>) -> io::Result<()> {
    // (g, t, order, tid, is_run): at equal times the ready sorts first.
    let mut points: Vec<(u64, u64, u8, u64, &'static str)> = Vec::new();
    for track in &trace.tracks {
        for rec in &track.recs {
            match rec.ev {
                Ev::Ready { g } => points.push((g, rec.t, 0, track.id, "ready")),
                Ev::Go { g, .. } => points.push((g, rec.t, 0, track.id, "go")),
                Ev::Run { g, .. } => points.push((g, rec.t, 1, track.id, "run")),
                _ => {}
            }
        }
    }
    points.sort_unstable();
    let mut id = 0u64;
    let mut pending: Option<(u64, u64, u64, &str)> = None;
    for &(g, t, _, tid, kind) in &points {
        if pending.is_some_and(|(pg, ..)| pg != g) {
            pending = None;
        }
        if kind == "run" {
            if let Some((_, from_t, from_tid, what)) = pending.take() {
                id += 1;
                w.raw(&format!(
                    "{{\"ph\":\"s\",\"cat\":\"flow\",\"name\":\"{what}\",\"id\":{id},\"pid\":1,\"tid\":{from_tid},\"ts\":{}}}",
                    us(from_t)
                ))?;
                w.raw(&format!(
                    "{{\"ph\":\"f\",\"bp\":\"e\",\"cat\":\"flow\",\"name\":\"{what}\",\"id\":{id},\"pid\":1,\"tid\":{tid},\"ts\":{}}}",
                    us(t)
                ))?;
            }
        } else {
            pending = Some((g, t, tid, kind));
        }
    }
    Ok(())
}
