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
use std::fmt::{self, Write as _};
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
    w.raw(format_args!(
        "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"args\":{{\"name\":\"gpm ({} procs)\"}}}}",
        meta.procs
    ))?;
    for (i, track) in trace.tracks.iter().enumerate() {
        w.raw(format_args!(
            "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":{},\"args\":{{\"name\":{}}}}}",
            track.id,
            JsonStr(&track.name)
        ))?;
        w.raw(format_args!(
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
    writeln!(
        w.out,
        "\"otherData\":{{\"producer\":\"gpm\",\"version\":{},\"procs\":{},\"dropped_events\":{}}}}}",
        JsonStr(env!("CARGO_PKG_VERSION")),
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
    trace.names.iter().cloned().collect()
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

    fn raw(&mut self, obj: fmt::Arguments<'_>) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        self.out.write_fmt(obj)
    }

    fn slice(
        &mut self,
        (cat, name): (&str, &dyn fmt::Display),
        tid: u64,
        (from, to): (u64, u64),
        args: fmt::Arguments<'_>,
    ) -> io::Result<()> {
        self.raw(format_args!(
            "{{\"ph\":\"X\",\"cat\":\"{cat}\",\"name\":{name},\"pid\":1,\"tid\":{tid},\"ts\":{},\"dur\":{},\"args\":{{{args}}}}}",
            Us(from),
            Us(to.saturating_sub(from))
        ))
    }

    fn instant(&mut self, cat: &str, tid: u64, t: u64, args: fmt::Arguments<'_>) -> io::Result<()> {
        self.raw(format_args!(
            "{{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"{cat}\",\"name\":\"{cat}\",\"pid\":1,\"tid\":{tid},\"ts\":{},\"args\":{{{args}}}}}",
            Us(t)
        ))
    }
}

/// Nanoseconds, shown as microseconds with three decimals.
struct Us(u64);

impl fmt::Display for Us {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

/// A string, shown as a JSON string literal.
struct JsonStr<'a>(&'a str);

impl fmt::Display for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

const SYSCALL: (&str, &dyn fmt::Display) = ("syscall", &"\"syscall\"");
const IDLE: (&str, &dyn fmt::Display) = ("idle", &"\"idle\"");

/// A goroutine's slice name, as a JSON string: `g12` or `g12 worker`.
struct GLabel<'a>(u64, Option<&'a String>);

impl fmt::Display for GLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(n) => write!(f, "{}", JsonStr(&format!("g{} {n}", self.0))),
            None => write!(f, "\"g{}\"", self.0),
        }
    }
}

/// A number or `null`.
struct Nullable<T>(Option<T>);

impl<T: fmt::Display> fmt::Display for Nullable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(v) => write!(f, "{v}"),
            None => f.write_str("null"),
        }
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
            w.slice(SYSCALL, tid, (s, t), format_args!("\"g\":{}", o.g))?;
        }
        let label = GLabel(o.g, names.get(&o.g));
        let args = format_args!("\"g\":{},\"p\":{},\"end\":\"{end}\"", o.g, Nullable(o.p));
        w.slice(("goroutine", &label), tid, (o.since, t), args)
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
                        w.slice(SYSCALL, tid, (s, t), format_args!("\"g\":{g}"))?;
                    }
                }
            }
            Ev::Idle => idle_since = idle_since.or(Some(t)),
            Ev::Busy => {
                if let Some(s) = idle_since.take() {
                    w.slice(IDLE, tid, (s, t), format_args!(""))?;
                }
            }
            Ev::Go { g, parent, .. } => {
                let args = format_args!("\"g\":{g},\"parent\":{}", Nullable(parent));
                w.instant("go", tid, t, args)?;
            }
            Ev::Steal { p, victim, n } => {
                let args = format_args!("\"p\":{p},\"victim\":{victim},\"n\":{n}");
                w.instant("steal", tid, t, args)?;
            }
            Ev::Handoff { p, why } => {
                let why = match why {
                    Retake::Syscall => "syscall",
                    Retake::LongRun => "long-run",
                };
                let args = format_args!("\"p\":{p},\"reason\":\"{why}\"");
                w.instant("handoff", tid, t, args)?;
            }
            Ev::Netpoll { n } => w.instant("netpoll", tid, t, format_args!("\"n\":{n}"))?,
            Ev::Wake => w.instant("wake", tid, t, format_args!(""))?,
            Ev::Ready { .. } => {}
        }
    }
    if let Some(o) = open {
        let end = duration.max(o.since);
        close(o, end, "running", w)?;
    }
    if let Some(s) = idle_since {
        w.slice(IDLE, tid, (s, duration.max(s)), format_args!(""))?;
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
                w.raw(format_args!(
                    "{{\"ph\":\"s\",\"cat\":\"flow\",\"name\":\"{what}\",\"id\":{id},\"pid\":1,\"tid\":{from_tid},\"ts\":{}}}",
                    Us(from_t)
                ))?;
                w.raw(format_args!(
                    "{{\"ph\":\"f\",\"bp\":\"e\",\"cat\":\"flow\",\"name\":\"{what}\",\"id\":{id},\"pid\":1,\"tid\":{tid},\"ts\":{}}}",
                    Us(t)
                ))?;
            }
        } else {
            pending = Some((g, t, tid, kind));
        }
    }
    Ok(())
}
