//! Timing helpers: warm-up-then-N-runs measurement, median/best, and unit formatting.

use std::time::Duration;

/// Runs `f` once as a warm-up (discarded), then `runs` times, returning each measured
/// run's output.
pub fn measure<T>(runs: usize, mut f: impl FnMut() -> T) -> Vec<T> {
    let _warm_up = f();
    (0..runs).map(|_| f()).collect()
}

/// Median of `xs` (mean of the two middle values for an even count); `NaN` if empty.
pub fn median(xs: &[f64]) -> f64 {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// Smallest value of `xs`; `NaN` if empty.
pub fn best(xs: &[f64]) -> f64 {
    xs.iter()
        .copied()
        .filter(|x| !x.is_nan())
        .min_by(f64::total_cmp)
        .unwrap_or(f64::NAN)
}

/// `d` in nanoseconds as a float.
pub fn ns(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

/// Formats a nanosecond figure with a readable unit (`ns`, `µs`, `ms`, `s`).
pub fn fmt_ns(ns: f64) -> String {
    let a = ns.abs();
    if ns.is_nan() {
        "-".to_string()
    } else if a < 1e3 {
        format!("{ns:.1} ns")
    } else if a < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if a < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.3} s", ns / 1e9)
    }
}

/// Formats a KiB figure, switching to MiB past 10 MiB.
pub fn fmt_kib(kib: f64) -> String {
    if kib.is_nan() {
        "-".to_string()
    } else if kib.abs() >= 10.0 * 1024.0 {
        format!("{:.1} MiB", kib / 1024.0)
    } else {
        format!("{kib:.2} KiB")
    }
}
