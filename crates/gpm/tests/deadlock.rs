//! Deadlock detection (`all goroutines are asleep - deadlock!`), each case in a child
//! process of its own.
//!
//! Detection stays silent while the process has any thread besides the runtime's and the
//! ones waiting in `block_on`, and libtest runs every test on a thread of its own, so this
//! file has no libtest harness (`harness = false`): `main` re-runs this binary with
//! `GPM_DEADLOCK_CASE` naming a case, whose child runs it on its main thread and nothing
//! else. Each case says what the child must print or how it must end.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use gpm::chan::bounded;

const CASE: &str = "GPM_DEADLOCK_CASE";

fn rt() -> gpm::Runtime {
    gpm::Runtime::builder().procs(2).build().unwrap()
}

/// The child side: runs `case` on the main thread and exits.
fn child(case: &str) {
    match case {
        // The block_on goroutine waits on a channel whose only sender it holds itself.
        "recv-own-sender" => {
            rt().block_on(|| {
                let (tx, rx) = bounded::<u32>(0);
                let _keep = tx;
                rx.recv().unwrap()
            });
        }
        // Two named goroutines wait on each other; block_on waits on one of them.
        "cycle" => {
            rt().block_on(|| {
                let (a_tx, a_rx) = bounded::<u32>(0);
                let (b_tx, b_rx) = bounded::<u32>(0);
                let left = gpm::Builder::new()
                    .name("left")
                    .spawn(move || {
                        let v = a_rx.recv().unwrap();
                        b_tx.send(v).unwrap();
                    })
                    .unwrap();
                let right = gpm::Builder::new()
                    .name("right")
                    .spawn(move || {
                        let v = b_rx.recv().unwrap();
                        a_tx.send(v).unwrap();
                    })
                    .unwrap();
                right.join().unwrap();
                left.join().unwrap();
            });
        }
        // A pinned goroutine's thread sleeps beside the idle ones: still a deadlock.
        "pinned" => {
            rt().block_on(|| {
                gpm::lock_os_thread();
                let (tx, rx) = bounded::<u32>(0);
                let _keep = tx;
                rx.recv().unwrap()
            });
        }
        // A pinned goroutine woken over and over by timers: each wake hands it to its
        // sleeping M, and no check may catch it in between (a doctest once did).
        "pinned-wakes" => {
            let n = rt().block_on(|| {
                gpm::lock_os_thread();
                let (tx, rx) = bounded::<u32>(0);
                let peer = gpm::go!(move || {
                    for i in 0..300 {
                        tx.send(i).unwrap();
                    }
                });
                let mut n = 0;
                for _ in 0..300 {
                    gpm::time::sleep(Duration::from_micros(50));
                    n += rx.recv().unwrap();
                }
                peer.join().unwrap();
                n
            });
            println!("pinned woke {n}");
        }
        // The report is a panic that a caller may catch; the runtime stays usable.
        "caught" => {
            let rt = rt();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                rt.block_on(|| {
                    let (_tx, rx) = bounded::<u32>(1);
                    rx.recv().unwrap()
                })
            }));
            let msg = r.unwrap_err();
            let msg = msg.downcast_ref::<String>().expect("a String payload");
            assert!(
                msg.starts_with("all goroutines are asleep - deadlock!"),
                "{msg}"
            );
            assert_eq!(rt.block_on(|| 6 * 7), 42);
            println!("caught and recovered");
        }
        // A timer will wake the goroutine: no report.
        "timer" => {
            let v = rt().block_on(|| {
                gpm::time::sleep(Duration::from_millis(100));
                7
            });
            println!("timer woke {v}");
        }
        // A plain thread holds the sender and uses it later: no report.
        "thread-holds-sender" => {
            let (tx, rx) = bounded::<u32>(0);
            let t = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                tx.send(9).unwrap();
            });
            let v = rt().block_on(move || rx.recv().unwrap());
            t.join().unwrap();
            println!("thread sent {v}");
        }
        // A goroutine waits on a socket that the parent process writes to later: no report.
        "socket" => {
            let sock = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            println!("port {}", sock.local_addr().unwrap().port());
            let v = rt().block_on(move || {
                let mut buf = [0u8; 16];
                let (n, _) = sock.recv_from(&mut buf).unwrap();
                buf[..n].to_vec()
            });
            println!("socket got {}", String::from_utf8(v).unwrap());
        }
        // A goroutine blocked inside gpm::syscall: no report while it is there.
        "syscall" => {
            let v = rt().block_on(|| {
                gpm::syscall(|| std::thread::sleep(Duration::from_millis(200)));
                3
            });
            println!("syscall returned {v}");
        }
        other => panic!("unknown case {other}"),
    }
}

struct Outcome {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(case: &str, parent: impl FnOnce(&mut dyn BufRead)) -> Outcome {
    let mut c = Command::new(std::env::current_exe().unwrap())
        .env(CASE, case)
        .env("RUST_BACKTRACE", "0")
        .env_remove("GPM_PROCS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(c.stdout.take().unwrap());
    parent(&mut out);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let o = c.wait_with_output().unwrap();
    Outcome {
        ok: o.status.success(),
        stdout: rest,
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

const REPORT: &str = "all goroutines are asleep - deadlock!";

fn expect_report(case: &str, names: &[&str]) {
    let o = run(case, |_| {});
    assert!(!o.ok, "{case}: the child should have panicked");
    assert!(o.stderr.contains(REPORT), "{case}: stderr: {}", o.stderr);
    assert!(
        o.stderr.contains("goroutine "),
        "{case}: stderr: {}",
        o.stderr
    );
    for n in names {
        assert!(
            o.stderr.contains(&format!("({n}) [parked]")),
            "{case}: {}",
            o.stderr
        );
    }
}

fn expect_no_report(case: &str, want: &str, parent: impl FnOnce(&mut dyn BufRead)) {
    let o = run(case, parent);
    assert!(o.ok, "{case}: child failed: {}", o.stderr);
    assert!(
        !o.stderr.contains(REPORT),
        "{case}: false report: {}",
        o.stderr
    );
    assert!(o.stdout.contains(want), "{case}: stdout: {}", o.stdout);
}

fn main() {
    if let Ok(case) = std::env::var(CASE) {
        child(&case);
        return;
    }
    let mut passed = 0;
    let mut check = |name: &str, f: &dyn Fn()| {
        f();
        println!("test {name} ... ok");
        passed += 1;
    };
    check(
        "a_goroutine_waiting_on_its_own_sender_is_a_deadlock",
        &|| expect_report("recv-own-sender", &[]),
    );
    check(
        "a_cycle_of_named_goroutines_is_reported_with_their_names",
        &|| expect_report("cycle", &["left", "right"]),
    );
    check(
        "a_pinned_goroutine_waiting_forever_is_a_deadlock_too",
        &|| expect_report("pinned", &[]),
    );
    check("the_report_can_be_caught_and_the_runtime_goes_on", &|| {
        let o = run("caught", |_| {});
        assert!(o.ok, "caught: child failed: {}", o.stderr);
        assert!(o.stdout.contains("caught and recovered"), "{}", o.stdout);
    });
    check("no_report_while_a_timer_is_pending", &|| {
        expect_no_report("timer", "timer woke 7", |_| {})
    });
    check("no_report_while_a_plain_thread_holds_the_sender", &|| {
        expect_no_report("thread-holds-sender", "thread sent 9", |_| {})
    });
    check("no_report_while_a_goroutine_waits_on_a_socket", &|| {
        expect_no_report("socket", "socket got hi", |out| {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            let port: u16 = line.trim().strip_prefix("port ").unwrap().parse().unwrap();
            // Give sysmon many rounds to get it wrong, then send.
            std::thread::sleep(Duration::from_millis(200));
            let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            s.send_to(b"hi", ("127.0.0.1", port)).unwrap();
        })
    });
    check(
        "no_report_while_a_pinned_goroutine_is_woken_over_and_over",
        &|| expect_no_report("pinned-wakes", "pinned woke 44850", |_| {}),
    );
    check("no_report_while_a_goroutine_is_in_a_syscall", &|| {
        expect_no_report("syscall", "syscall returned 3", |_| {})
    });
    println!("\ntest result: ok. {passed} passed; 0 failed");
}
