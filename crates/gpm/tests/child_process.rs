//! Behaviour that ends or configures a whole process, checked in a child process: the
//! stack-overflow message, and bad `GPM_PROCS` values for the global runtime.
//!
//! Each test re-runs this test binary on itself with `GPM_TEST_CHILD` naming what the child
//! should do; the child's branch runs instead of the test body.

use std::process::{Command, Output};

fn child(test: &str, what: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("GPM_TEST_CHILD", what)
        .env_remove("GPM_PROCS")
        .env("RUST_BACKTRACE", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn role() -> Option<String> {
    std::env::var("GPM_TEST_CHILD").ok()
}

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    if depth == u64::MAX {
        return 0; // never: the stack runs out long before
    }
    let buf = std::hint::black_box([depth as u8; 1024]);
    recurse(depth + 1) + u64::from(buf[(depth % 1024) as usize])
}

#[test]
fn stack_overflow_names_the_goroutine_and_aborts() {
    if role().as_deref() == Some("overflow") {
        let rt = gpm::Runtime::builder().procs(1).build().unwrap();
        let h = rt
            .spawn_with(gpm::Builder::new().name("deep"), || recurse(0))
            .unwrap();
        let _ = h.join();
        unreachable!("the overflow must abort the process");
    }
    let out = child(
        "stack_overflow_names_the_goroutine_and_aborts",
        "overflow",
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(") has overflowed its stack") && stderr.contains("(deep)"),
        "stderr: {stderr}"
    );
    assert!(stderr.contains("goroutine "), "stderr: {stderr}");
}

#[test]
fn unnamed_goroutine_overflow_says_unnamed() {
    if role().as_deref() == Some("overflow-unnamed") {
        let _ = gpm::go!(recurse(0)).join();
        unreachable!("the overflow must abort the process");
    }
    let out = child(
        "unnamed_goroutine_overflow_says_unnamed",
        "overflow-unnamed",
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("(<unnamed>) has overflowed its stack"),
        "stderr: {stderr}"
    );
}

#[test]
fn bad_gpm_procs_is_a_clear_error() {
    if role().as_deref() == Some("bad-procs") {
        let err = gpm::Builder::new().spawn(|| ()).unwrap_err();
        println!("builder error: {err}");
        let err = gpm::Runtime::builder().build().unwrap_err();
        println!("runtime error: {err}");
        // `go!` panics with the same message, like `std::thread::spawn` would.
        let _ = gpm::go!(1);
        unreachable!();
    }
    for bad in ["abc", "0", "-3", ""] {
        let out = child(
            "bad_gpm_procs_is_a_clear_error",
            "bad-procs",
            &[("GPM_PROCS", bad)],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let want = format!("GPM_PROCS must be a positive integer, got {bad:?}");
        assert!(
            stdout.contains(&format!("builder error: gpm: {want}")),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!("runtime error: gpm: {want}")),
            "{stdout}"
        );
        assert!(stderr.contains("failed to spawn a goroutine") && stderr.contains(&want));
        assert!(!out.status.success());
    }
}

#[test]
fn good_gpm_procs_sets_the_global_runtime() {
    if role().as_deref() == Some("good-procs") {
        let rt = gpm::Runtime::builder().build().unwrap();
        println!("procs={}", rt.procs());
        println!("global ok={}", gpm::go!(2 + 2).join().unwrap());
        return;
    }
    let out = child(
        "good_gpm_procs_sets_the_global_runtime",
        "good-procs",
        &[("GPM_PROCS", "3")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("procs=3") && stdout.contains("global ok=4"),
        "{stdout}"
    );
}

#[test]
fn zero_procs_is_an_error_not_a_panic() {
    let err = gpm::Runtime::builder().procs(0).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("procs must be at least 1"),
        "{err}"
    );
    let err = gpm::Runtime::builder()
        .stack_size(usize::MAX)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("exceeds the maximum"), "{err}");
}

/// A join handle keeps its goroutine's record, and so the scheduler, alive past the runtime's
/// drop; the runtime's idle stacks must not stay with it. Counted in a child process because
/// the count of mapped stack chunks is process-wide.
#[test]
fn a_handle_past_its_runtime_keeps_no_stacks() {
    if role().as_deref() == Some("handle-past-runtime") {
        if !gpm_g::stack::madv_guard_supported() {
            println!("no chunked stacks on this kernel");
            return;
        }
        let rt = gpm::Runtime::builder().procs(1).build().unwrap();
        let (kept, before) = rt.block_on(|| {
            // 300 goroutines parked at once hold 300 stacks (five chunks of 63); once they
            // finish, the stacks go to the runtime's pool.
            let (tx, rx) = gpm::bounded::<()>(0);
            let hs: Vec<_> = (0..300)
                .map(|_| {
                    let rx = rx.clone();
                    gpm::go!(move || rx.recv().is_err())
                })
                .collect();
            drop(rx);
            gpm::yield_now();
            drop(tx);
            let mut hs = hs.into_iter();
            let kept = hs.next().unwrap();
            assert!(hs.all(|h| h.join().unwrap()));
            (kept, gpm_g::stack::mapped_chunks())
        });
        assert!(before >= 4, "300 stacks were mapped in {before} chunks");
        drop(rt);
        let after = gpm_g::stack::mapped_chunks();
        assert!(
            after <= 2,
            "{after} chunks still mapped after the runtime's drop"
        );
        assert!(kept.join().unwrap(), "the kept handle still has its result");
        println!("stack chunks mapped: {before} before the drop, {after} after");
        return;
    }
    let out = child(
        "a_handle_past_its_runtime_keeps_no_stacks",
        "handle-past-runtime",
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{stdout}");
    assert!(
        stdout.contains("stack chunks mapped") || stdout.contains("no chunked stacks"),
        "{stdout}"
    );
}
