//! The loom runner that every crate's models use (compiled only under `cfg(loom)`): one
//! place for the bounds that keep the suite fast, and a count of the interleavings each
//! model explored, printed for the record (`--nocapture`).

/// Runs `f` under loom with at most `preemptions` preemptions per execution, exploring every
/// interleaving within that bound; panics (with loom's trace) on a failed assertion, a
/// deadlock or a data race. Returns how many interleavings were explored.
pub fn check(preemptions: usize, f: impl Fn() + Sync + Send + 'static) -> usize {
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = runs.clone();
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(preemptions);
    b.max_branches = 100_000;
    b.check(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f()
    });
    let name = std::thread::current().name().unwrap_or("?").to_string();
    let n = runs.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("loom: {name}: {n} interleavings (preemption bound {preemptions})");
    n
}
