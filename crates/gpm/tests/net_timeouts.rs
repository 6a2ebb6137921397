//! Read, write and connect timeouts: inside a goroutine they run on the runtime's timers
//! and park only the goroutine; outside one they block the thread; either way a timed-out
//! read or write fails with `WouldBlock` (`EAGAIN`) like std's on Linux, and a timed-out
//! connect with `TimedOut`.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use gpm::net::TcpStream;
use socket2::SockRef;

mod net_common;
use net_common::{pair, rt};

const SHORT: Duration = Duration::from_millis(30);

fn read_times_out(s: &TcpStream) {
    s.set_read_timeout(Some(SHORT)).unwrap();
    let t = Instant::now();
    let err = (&*s).read(&mut [0u8; 16]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::EAGAIN));
    assert!(t.elapsed() >= SHORT, "{:?}", t.elapsed());
}

/// Fills the connection (small buffers on both ends, the peer never reads) until a write
/// times out; returns how much went out before.
fn write_times_out(c: &TcpStream) -> usize {
    SockRef::from(c).set_send_buffer_size(4096).unwrap();
    c.set_write_timeout(Some(SHORT)).unwrap();
    let chunk = [7u8; 16 * 1024];
    let mut sent = 0;
    loop {
        match (&*c).write(&chunk) {
            Ok(n) => sent += n,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e}");
                return sent;
            }
        }
        assert!(sent < 64 << 20, "the socket buffers never filled");
    }
}

#[test]
fn read_timeout_in_a_goroutine_then_data_still_arrives() {
    rt(1).block_on(|| {
        let (mut c, s) = pair();
        // Another goroutine on the only P runs while the reader waits out its timeout.
        let (tx, rx) = gpm::bounded(1);
        let other = gpm::go!(move || tx.send(1).unwrap());
        read_times_out(&s);
        assert_eq!(rx.recv().unwrap(), 1);
        other.join().unwrap();
        // The socket still works after a timeout.
        c.write_all(b"late").unwrap();
        let mut buf = [0u8; 4];
        (&s).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"late");
    });
}

#[test]
fn read_timeout_outside_goroutines() {
    let (_c, s) = pair();
    read_times_out(&s);
}

#[test]
fn write_timeout_when_the_socket_buffer_is_full() {
    rt(2).block_on(|| {
        let (c, s) = pair();
        SockRef::from(&s).set_recv_buffer_size(4096).unwrap();
        let sent = write_times_out(&c);
        assert!(sent > 0);
        // Draining the peer lets writes go on.
        let drain = gpm::go!(move || {
            let mut buf = vec![0u8; sent];
            (&s).read_exact(&mut buf).unwrap();
            s
        });
        let _s = drain.join().unwrap();
        c.set_write_timeout(None).unwrap();
        (&c).write_all(b"more").unwrap();
    });
}

#[test]
fn write_timeout_outside_goroutines() {
    let (c, s) = pair();
    SockRef::from(&s).set_recv_buffer_size(4096).unwrap();
    assert!(write_times_out(&c) > 0);
}

#[test]
fn connect_timeout_against_a_full_backlog() {
    // A listener with backlog 0 that never accepts: once its queue is full the kernel drops
    // further SYNs, so a connect can only time out.
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.bind(
        &"127.0.0.1:0"
            .parse::<std::net::SocketAddr>()
            .unwrap()
            .into(),
    )
    .unwrap();
    sock.listen(0).unwrap();
    let addr = sock.local_addr().unwrap().as_socket().unwrap();
    rt(1).block_on(move || {
        let mut held = Vec::new();
        for _ in 0..16 {
            let t = Instant::now();
            match TcpStream::connect_timeout(&addr, SHORT) {
                Ok(c) => held.push(c),
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
                    assert!(t.elapsed() >= SHORT);
                    return;
                }
            }
        }
        panic!("16 connects to a backlog of 0 all succeeded");
    });
    drop(sock);
}
