//! `gpm::net::TcpListener` and `TcpStream` inside goroutines: echo round trips, half-close,
//! peek, clones read and write concurrently, options, conversions to and from std, errors,
//! and a reader parked on a socket leaving its P to other goroutines.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::sync::Arc;
use std::time::Duration;

use gpm::net::{TcpListener, TcpStream};

mod net_common;
use net_common::{pair, rt};

fn is_nonblocking(fd: i32) -> bool {
    // SAFETY: F_GETFL on an fd the test owns; no memory is passed.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert!(flags >= 0);
    flags & libc::O_NONBLOCK != 0
}

fn echo(mut s: TcpStream) {
    // Without it, Nagle holds back the second write of a message until the first is
    // acknowledged, and the peer delays that ACK by 40 ms.
    s.set_nodelay(true).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf).unwrap() {
            0 => return,
            n => s.write_all(&buf[..n]).unwrap(),
        }
    }
}

#[test]
fn echo_round_trips() {
    const CLIENTS: usize = 16;
    const ROUNDS: usize = 50;
    rt(2).block_on(|| {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = gpm::go!(move || {
            let conns: Vec<_> = l
                .incoming()
                .take(CLIENTS)
                .map(|s| {
                    let s = s.unwrap();
                    gpm::go!(move || echo(s))
                })
                .collect();
            conns.into_iter().for_each(|h| h.join().unwrap());
        });
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                gpm::go!(move || {
                    let mut s = TcpStream::connect(addr).unwrap();
                    s.set_nodelay(true).unwrap();
                    for r in 0..ROUNDS {
                        // 1 byte up to 16 KiB: many round trips need several reads.
                        let len = 1 + (c * 997 + r * 331) % 16_384;
                        let msg: Vec<u8> = (0..len).map(|i| (i + c + r) as u8).collect();
                        s.write_all(&msg).unwrap();
                        let mut back = vec![0u8; len];
                        s.read_exact(&mut back).unwrap();
                        assert_eq!(back, msg);
                    }
                })
            })
            .collect();
        clients.into_iter().for_each(|h| h.join().unwrap());
        server.join().unwrap();
    });
}

#[test]
fn half_close_reads_eof_and_can_still_write_back() {
    rt(2).block_on(|| {
        let (mut c, mut s) = pair();
        let server = gpm::go!(move || {
            let mut got = Vec::new();
            s.read_to_end(&mut got).unwrap(); // ends at the client's shutdown(Write)
            s.write_all(b"pong:").unwrap();
            s.write_all(&got).unwrap();
        }); // dropping `s` closes the server side
        c.write_all(b"ping").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        c.read_to_end(&mut back).unwrap();
        assert_eq!(back, b"pong:ping");
        server.join().unwrap();
        // A write after our own shutdown(Write) is an error, not a panic.
        assert!(c.write(b"x").is_err());
    });
}

#[test]
fn peek_waits_and_leaves_the_data() {
    rt(2).block_on(|| {
        let (mut c, s) = pair();
        let peeker = gpm::go!(move || {
            let mut buf = [0u8; 8];
            let n = s.peek(&mut buf).unwrap(); // parks until data arrives
            let peeked = buf[..n].to_vec();
            let mut all = [0u8; 3];
            (&s).read_exact(&mut all).unwrap();
            assert!(all.starts_with(&peeked));
            all
        });
        gpm::yield_now();
        c.write_all(b"abc").unwrap();
        assert_eq!(&peeker.join().unwrap(), b"abc");
    });
}

#[test]
fn clones_and_shared_references_read_and_write_concurrently() {
    rt(2).block_on(|| {
        let (c, s) = pair();
        let s = Arc::new(s);
        // The server echoes through two goroutines sharing `&TcpStream`.
        let (tx, rx) = gpm::bounded::<Vec<u8>>(4);
        let rs = s.clone();
        let reader = gpm::go!(move || {
            let mut buf = [0u8; 1000];
            loop {
                match (&*rs).read(&mut buf).unwrap() {
                    0 => return,
                    n => tx.send(buf[..n].to_vec()).unwrap(),
                }
            }
        });
        let ws = s.clone();
        let writer = gpm::go!(move || {
            for chunk in rx {
                (&*ws).write_all(&chunk).unwrap();
            }
            ws.shutdown(Shutdown::Write).unwrap();
        });
        // The client writes through a clone while the original reads.
        let c2 = c.try_clone().unwrap();
        assert_ne!(c2.as_raw_fd(), c.as_raw_fd());
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let sent = data.clone();
        let cw = gpm::go!(move || {
            let mut c2 = c2;
            c2.write_all(&sent).unwrap();
            c2.shutdown(Shutdown::Write).unwrap();
        });
        let mut back = Vec::new();
        (&c).read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        cw.join().unwrap();
        reader.join().unwrap();
        writer.join().unwrap();
    });
}

#[test]
fn options_and_their_errors() {
    let (c, s) = pair();
    c.set_nodelay(true).unwrap();
    assert!(c.nodelay().unwrap());
    c.set_nodelay(false).unwrap();
    assert!(!c.nodelay().unwrap());
    c.set_ttl(42).unwrap();
    assert_eq!(c.ttl().unwrap(), 42);
    assert!(c.take_error().unwrap().is_none());

    assert_eq!(c.read_timeout().unwrap(), None);
    c.set_read_timeout(Some(Duration::from_millis(250)))
        .unwrap();
    c.set_write_timeout(Some(Duration::from_secs(3))).unwrap();
    assert_eq!(c.read_timeout().unwrap(), Some(Duration::from_millis(250)));
    assert_eq!(c.write_timeout().unwrap(), Some(Duration::from_secs(3)));
    // Options are shared with clones, as in std.
    let c2 = c.try_clone().unwrap();
    assert_eq!(c2.read_timeout().unwrap(), Some(Duration::from_millis(250)));
    c2.set_read_timeout(None).unwrap();
    assert_eq!(c.read_timeout().unwrap(), None);

    for err in [
        c.set_read_timeout(Some(Duration::ZERO)).unwrap_err(),
        c.set_write_timeout(Some(Duration::ZERO)).unwrap_err(),
        TcpStream::connect_timeout(&s.local_addr().unwrap(), Duration::ZERO).unwrap_err(),
    ] {
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }
    assert_eq!(c.write_timeout().unwrap(), Some(Duration::from_secs(3)));

    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_ttl(7).unwrap();
    assert_eq!(l.ttl().unwrap(), 7);
    assert!(l.take_error().unwrap().is_none());
    let l2 = l.try_clone().unwrap();
    assert_eq!(l2.local_addr().unwrap(), l.local_addr().unwrap());
}

#[test]
fn bind_and_connect_try_each_address() {
    // The first address is unusable (not ours / nothing listens), the second works.
    let l = TcpListener::bind(
        ["192.0.2.1:0", "127.0.0.1:0"]
            .map(|a| a.parse().unwrap())
            .as_slice(),
    )
    .unwrap();
    let good = l.local_addr().unwrap();
    assert!(good.ip().is_loopback());
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let c = TcpStream::connect([dead, good].as_slice()).unwrap();
    assert_eq!(c.peer_addr().unwrap(), good);
    let none: &[std::net::SocketAddr] = &[];
    let err = TcpStream::connect(none).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn connect_refused_is_an_error_inside_and_outside_goroutines() {
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = TcpStream::connect(dead).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    let kind = rt(1).block_on(move || TcpStream::connect(dead).unwrap_err().kind());
    assert_eq!(kind, std::io::ErrorKind::ConnectionRefused);
    let err = TcpStream::connect_timeout(&dead, Duration::from_secs(5)).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn conversions_to_and_from_std_switch_the_blocking_mode() {
    let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_l.local_addr().unwrap();
    let std_c = std::net::TcpStream::connect(addr).unwrap();
    std_c
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert!(!is_nonblocking(std_c.as_raw_fd()));

    // from_std / TryFrom: non-blocking, the std timeouts adopted.
    let c = TcpStream::try_from(std_c).unwrap();
    assert!(is_nonblocking(c.as_raw_fd()));
    assert_eq!(c.read_timeout().unwrap(), Some(Duration::from_millis(300)));
    let l = TcpListener::from_std(std_l).unwrap();
    let (s, _) = l.accept().unwrap();

    // into_std: blocking again, and the timeout set through gpm is on the socket.
    c.set_write_timeout(Some(Duration::from_millis(400)))
        .unwrap();
    let mut std_c = c.into_std().unwrap();
    assert!(!is_nonblocking(std_c.as_raw_fd()));
    assert_eq!(
        std_c.write_timeout().unwrap(),
        Some(Duration::from_millis(400))
    );
    std_c.write_all(b"via std").unwrap();

    // The raw fd traits do the same.
    let fd = s.into_raw_fd();
    assert!(!is_nonblocking(fd));
    // SAFETY: `fd` came from `into_raw_fd` above and nothing else owns it.
    let mut s = unsafe { TcpStream::from_raw_fd(fd) };
    assert!(is_nonblocking(s.as_raw_fd()));
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"via std");

    let std_l = l.into_std().unwrap();
    assert!(!is_nonblocking(std_l.as_raw_fd()));
    assert!(format!("{s:?}").contains("TcpStream"));
}

#[test]
fn nonblocking_mode_returns_would_block() {
    rt(1).block_on(|| {
        let (c, mut s) = pair();
        s.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 4];
        let err = s.read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        assert_eq!(
            l.accept().unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock
        );
        s.set_nonblocking(false).unwrap();
        (&c).write_all(b"ok").unwrap();
        s.read_exact(&mut buf[..2]).unwrap();
        assert_eq!(&buf[..2], b"ok");
    });
}

#[test]
fn plain_threads_use_the_same_api_like_std() {
    // No runtime anywhere: every call blocks its thread, as std's would.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        for _ in 0..3 {
            let (s, _) = l.accept().unwrap();
            echo(s);
        }
    });
    for i in 0..3u8 {
        let mut c = TcpStream::connect(addr).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let mut w = c.try_clone().unwrap();
        let writer = std::thread::spawn(move || {
            rx.recv().unwrap(); // the reader below is (about to be) blocked
            w.write_all(&[i; 10_000]).unwrap();
            w.shutdown(Shutdown::Write).unwrap();
        });
        tx.send(()).unwrap();
        let mut back = Vec::new();
        c.read_to_end(&mut back).unwrap();
        assert_eq!(back, vec![i; 10_000]);
        writer.join().unwrap();
    }
    server.join().unwrap();
}

#[test]
fn a_goroutine_blocked_in_read_does_not_stop_its_p() {
    // One P: the reader parks on the socket; the other goroutine runs on the same P and
    // only then is the data written. If the read blocked the M this would hang.
    rt(1).block_on(|| {
        let (mut c, mut s) = pair();
        let reader = gpm::go!(move || {
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).unwrap();
            buf
        });
        gpm::yield_now(); // the reader runs and parks in read
        let (tx, rx) = gpm::bounded(0);
        let other = gpm::go!(move || {
            let sum: u64 = (1..=1000u64).sum();
            tx.send(sum).unwrap();
        });
        assert_eq!(rx.recv().unwrap(), 500_500);
        other.join().unwrap();
        assert!(!reader.is_finished());
        c.write_all(b"hello").unwrap();
        assert_eq!(&reader.join().unwrap(), b"hello");
    });
}

#[test]
fn end_of_file_after_a_short_read_is_not_skipped() {
    // A short read marks the socket drained, so the next read waits for an event instead
    // of trying. When the peer's FIN came with the data, that event was already reported:
    // the hang-up bit must make the next read try, and return end-of-file, not park for
    // ever. One P: the writer runs while the reader is parked, so data and FIN arrive before
    // the poller reports them in one event.
    let got = rt(1).block_on(|| {
        let (c, s) = pair();
        let reader = gpm::go!(move || {
            let mut s = s;
            let mut buf = [0u8; 64];
            let first = s.read(&mut buf).unwrap();
            let then = s.read(&mut buf).unwrap();
            (first, then)
        });
        gpm::yield_now(); // the reader parks on the empty socket
        (&c).write_all(b"abc").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        reader.join().unwrap()
    });
    assert_eq!(got, (3, 0));
}
