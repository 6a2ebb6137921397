//! The `gpm-trace` binary on the fixture: writes `X.html` next to `X.json` by default,
//! honours `-o`, and fails cleanly on a missing file or a bad option.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gpm-trace"))
}

/// A fresh directory for this test, holding a copy of the fixture.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gpm-trace-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small.json");
    std::fs::copy(fixture, dir.join("small.json")).unwrap();
    dir
}

#[test]
fn writes_the_page_next_to_the_input_or_where_told() {
    let dir = scratch("out");
    let out = bin().arg(dir.join("small.json")).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("5 lanes, 8 runs, 9 markers, 4 flows"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(dir.join("small.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"));
    assert!(html.contains("g2 parse&lt;&amp;&gt;"));

    let other = dir.join("elsewhere.html");
    let out = bin()
        .args([dir.join("small.json"), "-o".into(), other.clone()])
        .args(["--width", "800", "--from", "100", "--to", "600"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&other).unwrap();
    assert!(html.contains("Showing 100.0 µs to 600.0 µs of the trace."));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_are_reported_with_a_non_zero_status() {
    let out = bin().arg("/nonexistent/trace.json").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/trace.json"));
    let out = bin().args(["x.json", "--bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown option --bogus"));
    let out = bin().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin().arg("--help").output().unwrap();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).starts_with("usage:"));
}
