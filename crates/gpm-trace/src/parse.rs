//! Reads Chrome trace event JSON as gpm's tracer writes it into a [`Trace`]. Unknown
//! phases and categories, and events missing what they need, are skipped and counted;
//! extra fields are ignored.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde_json::{Map, Value};

use crate::model::{Flow, Mark, MarkKind, Run, Slice, Trace, Track};

/// Why a file could not be read as a trace at all.
#[derive(Debug)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// Parses a whole trace file: `{"traceEvents":[...], "otherData":{...}}` or a bare array.
pub fn parse(json: &str) -> Result<Trace, ParseError> {
    let doc: Value =
        serde_json::from_str(json).map_err(|e| ParseError(format!("not JSON: {e}")))?;
    let (events, other) = match &doc {
        Value::Array(events) => (events, None),
        Value::Object(top) => match top.get("traceEvents") {
            Some(Value::Array(events)) => (events, top.get("otherData")),
            _ => return Err(ParseError("no \"traceEvents\" array".into())),
        },
        _ => {
            return Err(ParseError(
                "expected an object or an array of events".into(),
            ))
        }
    };
    let mut b = Reader::default();
    if let Some(other) = other {
        b.trace.procs = other.get("procs").and_then(Value::as_u64);
        b.trace.dropped = other
            .get("dropped_events")
            .and_then(Value::as_u64)
            .unwrap_or(0);
    }
    for ev in events {
        match ev.as_object() {
            Some(ev) => b.event(ev),
            None => b.skip("not an object".into()),
        }
    }
    Ok(b.finish())
}

#[derive(Default)]
struct Reader {
    trace: Trace,
    names: HashMap<u64, String>,
    sort: HashMap<u64, i64>,
    /// Flow starts waiting for their finish, by id.
    starts: HashMap<String, (String, u64, f64)>,
}

impl Reader {
    fn skip(&mut self, what: String) {
        *self.trace.skipped.entry(what).or_insert(0) += 1;
    }

    fn event(&mut self, ev: &Map<String, Value>) {
        let Some(ph) = ev.get("ph").and_then(Value::as_str) else {
            return self.skip("no \"ph\"".into());
        };
        let tid = ev.get("tid").and_then(Value::as_u64);
        let name = ev.get("name").and_then(Value::as_str).unwrap_or("");
        let args = ev.get("args").and_then(Value::as_object);
        if ph == "M" {
            return self.metadata(name, tid, args);
        }
        let (Some(tid), Some(ts)) = (tid, ev.get("ts").and_then(Value::as_f64)) else {
            return self.skip(format!("ph \"{ph}\" without tid or ts"));
        };
        let cat = ev.get("cat").and_then(Value::as_str).unwrap_or("");
        let arg = |k: &str| args.and_then(|a| a.get(k)).and_then(Value::as_u64);
        match ph {
            "X" => {
                let dur = ev
                    .get("dur")
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0)
                    .max(0.0);
                match cat {
                    "goroutine" => {
                        let Some(g) = arg("g").or_else(|| g_from_name(name)) else {
                            return self.skip("goroutine slice without g".into());
                        };
                        let end = args.and_then(|a| a.get("end")).and_then(Value::as_str);
                        self.trace.runs.push(Run {
                            tid,
                            ts,
                            dur,
                            g,
                            name: if name.is_empty() {
                                format!("g{g}")
                            } else {
                                name.into()
                            },
                            p: arg("p"),
                            end: end.unwrap_or("unknown").into(),
                        });
                    }
                    "syscall" => self.trace.syscalls.push(Slice {
                        tid,
                        ts,
                        dur,
                        g: arg("g"),
                    }),
                    "idle" => self.trace.idles.push(Slice {
                        tid,
                        ts,
                        dur,
                        g: None,
                    }),
                    _ => return self.skip(format!("slice cat \"{cat}\"")),
                }
            }
            "i" | "I" => {
                let kind = MarkKind::from_category(cat).or_else(|| MarkKind::from_category(name));
                let Some(kind) = kind else {
                    return self.skip(format!("instant cat \"{cat}\""));
                };
                let n = if kind == MarkKind::Netpoll {
                    arg("n").unwrap_or(0)
                } else {
                    0
                };
                let g = if kind == MarkKind::Go { arg("g") } else { None };
                let detail = args.map(describe).unwrap_or_default();
                self.trace.marks.push(Mark {
                    tid,
                    ts,
                    kind,
                    detail,
                    n,
                    g,
                });
            }
            "s" | "f" => {
                let Some(id) = ev.get("id").map(Value::to_string) else {
                    return self.skip("flow without id".into());
                };
                if ph == "s" {
                    if self.starts.insert(id, (name.into(), tid, ts)).is_some() {
                        self.skip("flow start without finish".into());
                    }
                } else if let Some((name, from_tid, from_ts)) = self.starts.remove(&id) {
                    let to_ts = ts;
                    self.trace.flows.push(Flow {
                        name,
                        from_tid,
                        from_ts,
                        to_tid: tid,
                        to_ts,
                    });
                } else {
                    self.skip("flow finish without start".into());
                }
            }
            _ => return self.skip(format!("ph \"{ph}\"")),
        }
        self.names
            .entry(tid)
            .or_insert_with(|| format!("tid {tid}"));
    }

    fn metadata(&mut self, name: &str, tid: Option<u64>, args: Option<&Map<String, Value>>) {
        let arg = |k: &str| args.and_then(|a| a.get(k));
        match (name, tid) {
            ("process_name", _) => {
                self.trace.process = arg("name").and_then(Value::as_str).map(String::from);
            }
            ("thread_name", Some(tid)) => match arg("name").and_then(Value::as_str) {
                Some(n) => {
                    self.names.insert(tid, n.into());
                }
                None => self.skip("thread_name without a name".into()),
            },
            ("thread_sort_index", Some(tid)) => match arg("sort_index").and_then(Value::as_i64) {
                Some(k) => {
                    self.sort.insert(tid, k);
                }
                None => self.skip("thread_sort_index without a sort_index".into()),
            },
            _ => self.skip(format!("metadata \"{name}\"")),
        }
    }

    fn finish(mut self) -> Trace {
        let unmatched = self.starts.len();
        if unmatched > 0 {
            *self
                .trace
                .skipped
                .entry("flow start without finish".into())
                .or_insert(0) += unmatched;
        }
        let mut tracks: Vec<Track> = self
            .names
            .into_iter()
            .map(|(tid, name)| Track {
                tid,
                name,
                sort_index: self.sort.get(&tid).copied().unwrap_or(i64::MAX),
            })
            .collect();
        tracks.sort_by_key(|t| (t.sort_index, t.tid));
        self.trace.tracks = tracks;
        let by_time = |a: &f64, b: &f64| a.total_cmp(b);
        self.trace.runs.sort_by(|a, b| by_time(&a.ts, &b.ts));
        self.trace.syscalls.sort_by(|a, b| by_time(&a.ts, &b.ts));
        self.trace.idles.sort_by(|a, b| by_time(&a.ts, &b.ts));
        self.trace.marks.sort_by(|a, b| by_time(&a.ts, &b.ts));
        self.trace.flows.sort_by(|a, b| by_time(&a.to_ts, &b.to_ts));
        self.trace
    }
}

/// `g12` or `g12 worker` → 12.
fn g_from_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix('g')?.split(' ').next()?;
    digits.parse().ok()
}

/// An event's args as `key=value` pairs (strings unquoted), for tooltips.
fn describe(args: &Map<String, Value>) -> String {
    let pairs: Vec<String> = args
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            v => format!("{k}={v}"),
        })
        .collect();
    pairs.join(" ")
}

/// Counts in a skipped-events map, for tests and the footer.
pub fn skipped_total(skipped: &BTreeMap<String, usize>) -> usize {
    skipped.values().sum()
}
