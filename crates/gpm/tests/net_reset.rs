//! A peer reset (`SO_LINGER` 0, then close: the kernel sends an RST) is an `io::Error`
//! on the other side, for a reader parked on the socket and for later calls — never a
//! panic or a hang.

use std::io::{ErrorKind, Read, Write};

use gpm::net::TcpStream;
use socket2::SockRef;

mod net_common;
use net_common::pair;

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
