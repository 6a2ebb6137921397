//! Running one benchmark cell in a fresh copy of the bench binary.
//!
//! The orchestrator re-executes `std::env::current_exe()` with [`CELL_ENV`] naming the
//! cell (e.g. `spawn:tokio`). The child runs it and prints one [`RUN_PREFIX`] line per
//! measured run; the orchestrator parses those. A child that crashes, exits non-zero or
//! exceeds the timeout yields [`Outcome::Failed`] instead of taking the whole run down.
//! To debug a cell, run the bench binary by hand with `GPM_BENCH_CELL=<cell>` set.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Environment variable naming the cell a child process must run.
pub const CELL_ENV: &str = "GPM_BENCH_CELL";

/// Prefix of the result lines a child prints on stdout.
pub const RUN_PREFIX: &str = "GPM_BENCH_RUN";

/// What a child process produced.
pub enum Outcome {
    /// One entry per measured run, each the figures printed by [`report_run`].
    Runs(Vec<Vec<f64>>),
    /// The child died, failed or timed out; a short reason.
    Failed(String),
}

/// In a child: prints one measured run's figures for the orchestrator.
pub fn report_run(figures: &[f64]) {
    let figs: Vec<String> = figures.iter().map(|f| format!("{f:e}")).collect();
    println!("{RUN_PREFIX} {}", figs.join(" "));
}

/// In a child: makes any panic on any thread end the process at once (exit code 101),
/// so a panicking runtime thread cannot leave the cell hanging until the timeout.
pub fn exit_on_panic() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        std::process::exit(101);
    }));
}

/// In the orchestrator: runs `cell` in a fresh child process and collects its runs.
pub fn run(cell: &str, timeout: Duration) -> Outcome {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return Outcome::Failed(format!("current_exe: {e}")),
    };
    let mut child = match Command::new(exe)
        .env(CELL_ENV, cell)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return Outcome::Failed(format!("spawn: {e}")),
    };
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("timed out after {}s", timeout.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => break Err(format!("wait: {e}")),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let status = match status {
        Ok(status) => status,
        Err(reason) => return Outcome::Failed(reason),
    };
    if !status.success() {
        return Outcome::Failed(describe_failure(status, &stderr));
    }
    let runs: Vec<Vec<f64>> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix(RUN_PREFIX))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect()
        })
        .collect();
    if runs.is_empty() {
        return Outcome::Failed("no results".to_string());
    }
    Outcome::Runs(runs)
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

fn describe_failure(status: std::process::ExitStatus, stderr: &str) -> String {
    use std::os::unix::process::ExitStatusExt;
    let how = match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(sig)) => format!("signal {sig}"),
        _ => "died".to_string(),
    };
    // Prefer the message of the last panic (the line after "panicked at ..."), else the
    // last non-empty stderr line.
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("note:"))
        .collect();
    let panic_msg = lines
        .iter()
        .rposition(|l| l.contains("panicked at"))
        .and_then(|i| lines.get(i + 1));
    let last = panic_msg.or(lines.last()).copied().unwrap_or("");
    let mut last: String = last.chars().take(120).collect();
    if !last.is_empty() {
        last = format!(": {last}");
    }
    format!("{how}{last}")
}
