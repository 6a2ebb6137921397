//! Helpers shared by the `gpm::sync` integration tests (`sync_*.rs`; each includes this
//! module with `mod sync_common;`): runtimes, a watchdog that turns a hang into a failure,
//! and a panic payload's message.

#![allow(dead_code)]

use std::any::Any;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// No test here takes this long unless a wakeup was lost.
pub const WATCHDOG: Duration = Duration::from_secs(60);

/// A runtime with `procs` Ps.
pub fn runtime(procs: usize) -> gpm::Runtime {
    gpm::Runtime::builder().procs(procs).build().unwrap()
}

/// Runs `f` on a runtime with `procs` Ps (as the root goroutine), failing the test if it
/// has not returned after [`WATCHDOG`]. A panic in `f` fails the test with its message.
pub fn on_runtime<T: Send + 'static>(
    procs: usize,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let rt = runtime(procs);
    within(what, move || {
        let r = rt.block_on(f);
        drop(rt);
        r
    })
}

/// Runs `f` on a helper thread and waits at most [`WATCHDOG`] for it.
pub fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let h = thread::spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let _ = tx.send(r);
    });
    match rx.recv_timeout(WATCHDOG) {
        Ok(Ok(v)) => {
            h.join().unwrap();
            v
        }
        Ok(Err(payload)) => panic!("{what}: {}", message(&*payload)),
        Err(_) => panic!("{what}: hung for {WATCHDOG:?} (a lost wakeup or a deadlock)"),
    }
}

/// The message of a panic payload.
pub fn message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string panic payload>".to_string())
}
