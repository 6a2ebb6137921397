//! The scheduler trace (`RuntimeBuilder::trace`, `GPM_TRACE`) and the schedtrace summary
//! (`GPM_DEBUG=schedtrace`): the file parses as Chrome trace JSON, every goroutine's
//! slices nest, and a parked-then-woken goroutine has its ready → run flow.
//!
//! A trace is process-wide, so the tests that record take one lock; the environment
//! variables are tried in child processes (this binary re-run with `GPM_TEST_CHILD`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use parking_lot::Mutex;
use serde_json::Value;

static ONE_TRACE: Mutex<()> = Mutex::new(());

fn temp_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("gpm-trace-test-{}-{tag}.json", std::process::id()))
}

fn role() -> Option<String> {
    std::env::var("GPM_TEST_CHILD").ok()
}

fn child(test: &str, what: &str, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("GPM_TEST_CHILD", what)
        .env_remove("GPM_TRACE")
        .env_remove("GPM_DEBUG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64()
        .unwrap_or_else(|| panic!("no number {k} in {v}"))
}

/// Reads a trace file and checks its structure: every event is well-formed, and on every
/// track the goroutine and idle slices follow each other without overlap, each syscall
/// slice lies inside a goroutine slice of its track, and no goroutine runs twice at once.
/// Returns the events.
fn load_and_check(path: &PathBuf) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["otherData"]["producer"], "gpm");
    let events = doc["traceEvents"].as_array().unwrap().clone();
    let mut names = HashMap::new();
    let mut per_track: HashMap<u64, Vec<&Value>> = HashMap::new();
    let mut per_g: HashMap<u64, Vec<(f64, f64)>> = HashMap::new();
    let mut syscalls = Vec::new();
    for e in &events {
        assert_eq!(e["pid"], 1, "{e}");
        match e["ph"].as_str().unwrap() {
            "M" => {
                if e["name"] == "thread_name" {
                    names.insert(e["tid"].as_u64().unwrap(), e["args"]["name"].clone());
                }
            }
            "X" => {
                assert!(f(e, "dur") >= 0.0, "{e}");
                let tid = e["tid"].as_u64().unwrap();
                match e["cat"].as_str().unwrap() {
                    "goroutine" => {
                        let g = e["args"]["g"].as_u64().unwrap();
                        per_g.entry(g).or_default().push((f(e, "ts"), f(e, "dur")));
                        per_track.entry(tid).or_default().push(e);
                    }
                    "idle" => per_track.entry(tid).or_default().push(e),
                    "syscall" => syscalls.push(e),
                    other => panic!("unknown slice category {other}"),
                }
            }
            "s" | "f" | "i" => {
                f(e, "ts");
            }
            other => panic!("unknown phase {other} in {e}"),
        }
    }
    for (tid, slices) in per_track.iter_mut() {
        assert!(names.contains_key(tid), "track {tid} has no name");
        slices.sort_by(|a, b| f(a, "ts").total_cmp(&f(b, "ts")));
        for w in slices.windows(2) {
            let end = f(w[0], "ts") + f(w[0], "dur");
            assert!(
                f(w[1], "ts") >= end - 1e-9,
                "overlapping slices on track {tid}: {} and {}",
                w[0],
                w[1]
            );
        }
    }
    for s in syscalls {
        let (ts, end) = (f(s, "ts"), f(s, "ts") + f(s, "dur"));
        let inside = per_track[&s["tid"].as_u64().unwrap()].iter().any(|g| {
            g["cat"] == "goroutine"
                && g["args"]["g"] == s["args"]["g"]
                && f(g, "ts") <= ts + 1e-9
                && end <= f(g, "ts") + f(g, "dur") + 1e-9
        });
        assert!(inside, "syscall slice outside its goroutine's run: {s}");
    }
    for (g, runs) in per_g.iter_mut() {
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        for w in runs.windows(2) {
            assert!(
                w[1].0 >= w[0].0 + w[0].1 - 1e-9,
                "goroutine {g} ran twice at once: {:?}",
                w
            );
        }
    }
    events
}

/// The goroutine slices of goroutine `g`, in time order.
fn slices_of(events: &[Value], g: u64) -> Vec<&Value> {
    let mut v: Vec<&Value> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "goroutine" && e["args"]["g"] == g)
        .collect();
    v.sort_by(|a, b| f(a, "ts").total_cmp(&f(b, "ts")));
    v
}

#[test]
fn trace_nests_and_links_ready_to_run() {
    if role().is_some() {
        return;
    }
    let _one = ONE_TRACE.lock();
    let path = temp_path("nest");
    let rt = gpm::Runtime::builder()
        .procs(2)
        .trace(&path)
        .build()
        .unwrap();
    let sleeper = rt.block_on(|| {
        let (tx, rx) = gpm::bounded::<u64>(0);
        let (id_tx, id_rx) = gpm::bounded(1);
        // Parks on the receive until the sender below readies it.
        let sleeper = gpm::Builder::new()
            .name("sleeper")
            .spawn(move || {
                id_tx.send(gpm::current_id().unwrap()).unwrap();
                rx.recv().unwrap()
            })
            .unwrap();
        let id = id_rx.recv().unwrap();
        let workers: Vec<_> = (0..50u64)
            .map(|i| {
                gpm::go!(move || {
                    gpm::yield_now();
                    gpm::syscall(|| std::hint::black_box(i))
                })
            })
            .collect();
        let sum: u64 = workers.into_iter().map(|h| h.join().unwrap()).sum();
        gpm::time::sleep(std::time::Duration::from_millis(1));
        tx.send(sum).unwrap();
        assert_eq!(sleeper.join().unwrap(), 1225);
        id.0
    });
    drop(rt);
    let events = load_and_check(&path);
    std::fs::remove_file(&path).unwrap();

    let runs = slices_of(&events, sleeper);
    assert!(runs.len() >= 2, "the sleeper ran {} times", runs.len());
    assert!(runs
        .iter()
        .all(|s| s["name"] == "g".to_owned() + &sleeper.to_string() + " sleeper"));
    assert!(runs.iter().any(|s| s["args"]["end"] == "park"));
    assert!(runs.iter().any(|s| s["args"]["end"] == "exit"));
    // A flow ends at the start of one of the sleeper's later runs, coming from a ready.
    let starts: Vec<(u64, f64)> = runs
        .iter()
        .skip(1)
        .map(|s| (s["tid"].as_u64().unwrap(), f(s, "ts")))
        .collect();
    let flow_ends: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e["ph"] == "f"
                && e["name"] == "ready"
                && starts.contains(&(e["tid"].as_u64().unwrap(), f(e, "ts")))
        })
        .collect();
    assert!(
        !flow_ends.is_empty(),
        "no ready -> run flow into the sleeper"
    );
    for end in flow_ends {
        let start = events
            .iter()
            .find(|e| e["ph"] == "s" && e["id"] == end["id"])
            .expect("a flow end without its start");
        assert!(f(start, "ts") <= f(end, "ts"));
    }
    // The other events are there too.
    let count = |cat: &str| events.iter().filter(|e| e["cat"] == cat).count();
    assert!(count("go") >= 52, "creations: {}", count("go"));
    assert!(count("syscall") >= 1);
    assert!(events
        .iter()
        .any(|e| e["ph"] == "M" && e["args"]["name"] == "M0"));
}

#[test]
fn one_trace_at_a_time_and_bad_paths_fail_at_build() {
    if role().is_some() {
        return;
    }
    let _one = ONE_TRACE.lock();
    let path = temp_path("busy");
    let first = gpm::Runtime::builder()
        .procs(1)
        .trace(&path)
        .build()
        .unwrap();
    let second = gpm::Runtime::builder()
        .procs(1)
        .trace(temp_path("second"))
        .build();
    let e = second.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
    assert!(e.to_string().contains("already being recorded"), "{e}");
    assert_eq!(first.block_on(|| 7), 7);
    drop(first);
    load_and_check(&path);
    std::fs::remove_file(&path).unwrap();

    let bad = gpm::Runtime::builder()
        .trace("/nonexistent-dir/x/trace.json")
        .build()
        .unwrap_err();
    assert!(
        bad.to_string().contains("/nonexistent-dir/x/trace.json"),
        "{bad}"
    );
    // The failed build left no session behind.
    let again = gpm::Runtime::builder()
        .procs(1)
        .trace(&path)
        .build()
        .unwrap();
    drop(again);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn gpm_trace_env_traces_the_global_runtime_at_exit() {
    if role().as_deref() == Some("env-trace") {
        let hs: Vec<_> = (0..10).map(|i| gpm::go!(move || i * 2)).collect();
        let sum: i32 = hs.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(sum, 90);
        return; // the file is written when the process exits
    }
    if role().is_some() {
        return;
    }
    let path = temp_path("env");
    let out = child(
        "gpm_trace_env_traces_the_global_runtime_at_exit",
        "env-trace",
        &[("GPM_TRACE", path.to_str().unwrap())],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = load_and_check(&path);
    std::fs::remove_file(&path).unwrap();
    // Each goroutine ran (the last one's exit may come after the exit handler wrote the
    // file: `join` returns once the result is out, a moment before the goroutine returns).
    let ran: std::collections::HashSet<u64> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "goroutine")
        .map(|e| e["args"]["g"].as_u64().unwrap())
        .collect();
    assert!(ran.len() >= 10, "{} goroutines ran in the trace", ran.len());
}

#[test]
fn schedtrace_prints_summary_lines() {
    if role().as_deref() == Some("schedtrace") {
        let rt = gpm::Runtime::builder().procs(2).build().unwrap();
        // Runs until the parent has read a line and kills us (bounded by 60 s).
        rt.block_on(|| {
            for _ in 0..60_000 {
                gpm::time::sleep(std::time::Duration::from_millis(1));
            }
        });
        panic!("the parent never killed the child");
    }
    if role().is_some() {
        return;
    }
    let mut c = child(
        "schedtrace_prints_summary_lines",
        "schedtrace",
        &[("GPM_DEBUG", "schedtrace=5")],
    )
    .stderr(Stdio::piped())
    .stdout(Stdio::null())
    .spawn()
    .unwrap();
    let stderr = BufReader::new(c.stderr.take().unwrap());
    let mut lines = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        if line.starts_with("SCHED ") {
            lines.push(line);
            if lines.len() == 2 {
                break;
            }
        }
    }
    c.kill().unwrap();
    c.wait().unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for l in &lines {
        let (head, rest) = l.split_once(": ").unwrap();
        assert!(head.strip_prefix("SCHED ").unwrap().ends_with("ms"), "{l}");
        assert!(rest.starts_with("procs=2 goroutines="), "{l}");
        assert!(rest.contains(" idleprocs=") && rest.ends_with(']'), "{l}");
    }
}

#[test]
fn bad_gpm_debug_fails_at_build() {
    if role().as_deref() == Some("bad-debug") {
        let e = gpm::Runtime::builder().build().unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
        assert!(
            e.to_string().contains("bad schedtrace value \"often\""),
            "{e}"
        );
        return;
    }
    if role().is_some() {
        return;
    }
    let out = child(
        "bad_gpm_debug_fails_at_build",
        "bad-debug",
        &[("GPM_DEBUG", "schedtrace=often")],
    )
    .output()
    .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("1 passed"), "{said}");
}
