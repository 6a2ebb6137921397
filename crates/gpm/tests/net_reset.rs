//! A peer reset (`SO_LINGER` 0, then close: the kernel sends an RST) is an `io::Error`
//! on the other side, for a reader parked on the socket and for later calls — never a
//! panic or a hang.

use std::io::{ErrorKind, Read, Write};

use gpm::net::{TcpListener, TcpStream};
use socket2::SockRef;

fn pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    (c, s)
}

fn reset(s: TcpStream) {
    SockRef::from(&s)
        .set_linger(Some(std::time::Duration::ZERO))
        .unwrap();
    drop(s);
}

#[test]
fn a_parked_reader_sees_connection_reset() {
    let rt = gpm::Runtime::builder().procs(1).build().unwrap();
    rt.block_on(|| {
        let (c, mut s) = pair();
        let reader = gpm::go!(move || {
            let mut buf = [0u8; 16];
            let err = s.read(&mut buf).unwrap_err();
            // Writing to the reset connection fails too (EPIPE or ECONNRESET, no SIGPIPE).
            let werr = s.write_all(b"x").unwrap_err();
            (err, werr)
        });
        gpm::yield_now(); // the reader parks in read
        reset(c);
        let (err, werr) = reader.join().unwrap();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
        assert!(
            matches!(
                werr.kind(),
                ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
            ),
            "{werr}"
        );
    });
}

#[test]
fn a_reset_before_the_read_is_an_error_outside_goroutines_too() {
    let (c, mut s) = pair();
    reset(c);
    let err = s.read(&mut [0u8; 4]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
}
