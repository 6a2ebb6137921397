//! `accept` when the process is out of fds, in a child process (it lowers its own
//! `RLIMIT_NOFILE`): the error is `EMFILE` (or `ENFILE`), returned promptly rather than a
//! panic, a hang or a spin; once fds are freed the same listener accepts the queued
//! connections, and a later connection wakes an `accept` parked on it again.
//!
//! The test re-runs this test binary on itself with `GPM_TEST_CHILD` set, like
//! `child_process.rs`; the child's branch runs instead of the test body.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use gpm::net::{TcpListener, TcpStream};

/// Connections queued before the limit is lowered: more than the fds left to accept them.
const QUEUED: usize = 24;
/// Fds left free under the lowered limit.
const SPARE: u64 = 6;

fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

fn set_soft_fd_limit(n: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim.rlim_cur = n;
    // SAFETY: `lim` is a valid rlimit; lowering the soft limit is always allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
}

fn is_fd_exhaustion(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

fn child() {
    let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        // Park once on the listener so it is registered with the poller (and the poller's
        // fds exist) before the limit goes down.
        let first = gpm::go!(move || TcpStream::connect(addr).unwrap());
        let (_s0, _) = l.accept().unwrap();
        let mut clients = vec![first.join().unwrap()];
        clients.extend((0..QUEUED).map(|_| TcpStream::connect(addr).unwrap()));

        set_soft_fd_limit(open_fds() + SPARE);
        let mut accepted = Vec::new();
        let err = loop {
            match l.accept() {
                Ok((s, _)) => accepted.push(s),
                Err(e) => break e,
            }
            assert!(accepted.len() <= QUEUED, "the lowered limit never bit");
        };
        assert!(is_fd_exhaustion(&err), "{err:?}");
        let took = accepted.len();
        println!("accept failed after {took}: {err}");
        // Again at once: still the error, not a wait or a panic.
        let again = l.accept().unwrap_err();
        assert!(is_fd_exhaustion(&again), "{again:?}");

        // Free some fds: the queued connections are accepted, and they work.
        let freed = accepted.len().min(4);
        accepted.truncate(accepted.len() - freed);
        let (mut s, peer) = l.accept().unwrap();
        let c = clients
            .iter_mut()
            .find(|c| c.local_addr().unwrap() == peer)
            .unwrap();
        c.write_all(b"after EMFILE").unwrap();
        let mut buf = [0u8; 12];
        s.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"after EMFILE");
        drop(s);

        // Take the rest of the queue and free everything; then an accept parks on the empty
        // queue and wakes for a new client.
        for _ in 0..QUEUED - took - 1 {
            drop(l.accept().unwrap());
        }
        accepted.clear();
        let (tx, rx) = gpm::bounded(0);
        let parked = gpm::go!(move || {
            tx.send(()).unwrap();
            l.accept().map(|(_, peer)| peer)
        });
        rx.recv().unwrap(); // the acceptor is running; it parks (the queue is empty)
        let late = TcpStream::connect(addr).unwrap();
        assert_eq!(parked.join().unwrap().unwrap(), late.local_addr().unwrap());
        println!("listener recovered");
    });
}

#[test]
fn accept_out_of_fds_returns_the_error_and_recovers() {
    if std::env::var("GPM_TEST_CHILD").as_deref() == Ok("emfile") {
        return child();
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "accept_out_of_fds_returns_the_error_and_recovers",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("GPM_TEST_CHILD", "emfile")
        .env_remove("GPM_PROCS")
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A safety net, not a synchronisation: a child that hangs is killed and fails the test
    // instead of hanging the suite.
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let out = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            // SAFETY: kill(2) on our own child's pid; it is not reaped until the waiting
            // thread sees it die, so the pid cannot have been reused.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            panic!(
                "the child hung: {:?}",
                rx.recv().map(|o| o.map(|o| o.stdout))
            );
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("accept failed after "), "{stdout}");
    assert!(stdout.contains("listener recovered"), "{stdout}");
}
