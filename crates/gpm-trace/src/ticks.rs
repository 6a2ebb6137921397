//! Time axis ticks: a step of 1, 2 or 5 times a power of ten, about one tick per
//! `spacing` pixels, labelled in ns, µs, ms or s since the start of the trace.

/// One tick: its time relative to the trace's start (µs) and its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

/// Ticks for the view from `from` to `to` µs (relative to the trace's start) drawn
/// `width` px wide, about `spacing` px apart.
pub fn ticks(from: f64, to: f64, width: f64, spacing: f64) -> Vec<Tick> {
    let span = to - from;
    if span <= 0.0 || width <= 0.0 {
        let label = human(from);
        return vec![Tick { at: from, label }];
    }
    let step = nice_step(span * spacing / width);
    // The unit suits the largest label (3.2 ms rather than 3200 µs), unless the step
    // would then need more than two decimals (1 µs steps stay in µs).
    let (mut unit, mut scale) = unit_for((to.abs() / 2.0).max(step));
    if decimals(step / scale) > 2 {
        (unit, scale) = unit_for(step);
    }
    let decimals = decimals(step / scale);
    let first = (from / step - 1e-9).ceil() as i64;
    let last = (to / step + 1e-9).floor() as i64;
    (first..=last)
        .map(|i| {
            let at = i as f64 * step;
            let label = if i == 0 {
                "0".into()
            } else {
                format!("{:.*} {unit}", decimals, at / scale)
            };
            Tick { at, label }
        })
        .collect()
}

/// The smallest 1, 2 or 5 × 10^k at least `raw`.
pub fn nice_step(raw: f64) -> f64 {
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw * 0.999_999)
        .unwrap_or(10.0 * mag)
}

/// The unit a step of `step` µs is best shown in, and µs per unit.
fn unit_for(step: f64) -> (&'static str, f64) {
    if step >= 1e6 {
        ("s", 1e6)
    } else if step >= 1e3 {
        ("ms", 1e3)
    } else if step >= 1.0 {
        ("µs", 1.0)
    } else {
        ("ns", 1e-3)
    }
}

/// Decimals needed to show multiples of `step` (in the chosen unit) exactly.
fn decimals(step: f64) -> usize {
    (0..4)
        .find(|&d| {
            ((step * 10f64.powi(d as i32)).round() - step * 10f64.powi(d as i32)).abs() < 1e-6
        })
        .unwrap_or(3)
}

/// A duration in µs as a short human string (`850 ns`, `12.5 µs`, `3.20 ms`, `1.50 s`).
pub fn human(us: f64) -> String {
    let a = us.abs();
    if a >= 1e6 {
        format!("{:.2} s", us / 1e6)
    } else if a >= 1e3 {
        format!("{:.2} ms", us / 1e3)
    } else if a >= 1.0 {
        format!("{:.1} µs", us)
    } else {
        format!("{:.0} ns", us * 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_five() {
        assert_eq!(nice_step(0.9), 1.0);
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(nice_step(1.1), 2.0);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(70.0), 100.0);
        assert_eq!(nice_step(0.013), 0.02);
    }

    #[test]
    fn labels_pick_a_unit() {
        let t = ticks(0.0, 1000.0, 1000.0, 100.0);
        assert_eq!(t.len(), 11);
        assert_eq!(t[0].label, "0");
        assert_eq!(t[1].label, "100 µs");
        let t = ticks(0.0, 25_000.0, 1000.0, 100.0);
        assert_eq!(t[1].label, "5 ms");
        let t = ticks(0.0, 4_000.0, 1000.0, 100.0);
        assert_eq!(t[1].label, "0.5 ms");
        let t = ticks(0.0, 0.5, 1000.0, 100.0);
        assert_eq!(t[1].label, "50 ns");
        let t = ticks(0.0, 3e7, 1000.0, 100.0);
        assert_eq!(t[1].label, "5 s");
    }

    #[test]
    fn a_window_gets_ticks_inside_it_in_trace_time() {
        let t = ticks(2_950.0, 4_200.0, 1000.0, 100.0);
        let labels: Vec<&str> = t.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels.first(), Some(&"3.0 ms"));
        assert_eq!(labels.last(), Some(&"4.2 ms"));
        assert!(t.iter().all(|t| t.at >= 2_950.0 && t.at <= 4_200.0));
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(0.85), "850 ns");
        assert_eq!(human(12.5), "12.5 µs");
        assert_eq!(human(3200.0), "3.20 ms");
        assert_eq!(human(1.5e6), "1.50 s");
    }
}
