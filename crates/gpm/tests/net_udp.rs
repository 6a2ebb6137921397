//! `gpm::net::UdpSocket`: send_to/recv_from with the receiver parked first, connected
//! send/recv, peek, a receive timeout, options, and the same calls on plain threads.

use std::io::ErrorKind;
use std::time::Duration;

use gpm::net::UdpSocket;

mod net_common;
use net_common::rt;

#[test]
fn send_to_and_recv_from_between_goroutines() {
    rt(1).block_on(|| {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let a_addr = a.local_addr().unwrap();
        let b_addr = b.local_addr().unwrap();
        // b answers every datagram with its bytes reversed, until it gets "quit".
        let server = gpm::go!(move || {
            let mut buf = [0u8; 1500];
            let mut served = 0;
            loop {
                let (n, from) = b.recv_from(&mut buf).unwrap(); // parks until one arrives
                assert_eq!(from, a_addr);
                if &buf[..n] == b"quit" {
                    return served;
                }
                buf[..n].reverse();
                assert_eq!(b.send_to(&buf[..n], from).unwrap(), n);
                served += 1;
            }
        });
        gpm::yield_now(); // the server parks in recv_from first
        for i in 0..100u32 {
            let msg = format!("datagram {i}");
            assert_eq!(a.send_to(msg.as_bytes(), b_addr).unwrap(), msg.len());
            let mut buf = [0u8; 64];
            let (n, from) = a.recv_from(&mut buf).unwrap();
            assert_eq!(from, b_addr);
            let want: Vec<u8> = msg.bytes().rev().collect();
            assert_eq!(&buf[..n], want.as_slice());
        }
        a.send_to(b"quit", b_addr).unwrap();
        assert_eq!(server.join().unwrap(), 100);
    });
}

#[test]
fn connected_send_recv_and_peek() {
    rt(2).block_on(|| {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        assert_eq!(a.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
        a.connect(b.local_addr().unwrap()).unwrap();
        b.connect(a.local_addr().unwrap()).unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        let receiver = gpm::go!(move || {
            let mut buf = [0u8; 16];
            let n = b.peek(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"first");
            let (n, from) = b.peek_from(&mut buf).unwrap();
            assert_eq!((&buf[..n], from), (&b"first"[..], b.peer_addr().unwrap()));
            let n = b.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"first");
            let n = b.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"second");
            b.send(b"done").unwrap();
        });
        a.send(b"first").unwrap();
        a.send(b"second").unwrap();
        let mut buf = [0u8; 16];
        let n = a.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"done");
        receiver.join().unwrap();
    });
}

#[test]
fn recv_timeout_options_and_clones() {
    rt(1).block_on(|| {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        a.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let err = a.recv_from(&mut [0u8; 8]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert_eq!(
            a.set_write_timeout(Some(Duration::ZERO))
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
        a.set_broadcast(true).unwrap();
        assert!(a.broadcast().unwrap());
        a.set_ttl(9).unwrap();
        assert_eq!(a.ttl().unwrap(), 9);
        assert!(a.take_error().unwrap().is_none());
        let a2 = a.try_clone().unwrap();
        assert_eq!(a2.read_timeout().unwrap(), Some(Duration::from_millis(20)));
        a.set_nonblocking(true).unwrap();
        assert_eq!(
            a2.recv(&mut [0u8; 8]).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        let std = a.into_std().unwrap();
        assert_eq!(std.read_timeout().unwrap(), Some(Duration::from_millis(20)));
    });
}

#[test]
fn plain_threads_like_std() {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b_addr = b.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let mut buf = [0u8; 8];
        let (n, from) = b.recv_from(&mut buf).unwrap(); // blocks this thread
        b.send_to(&buf[..n], from).unwrap();
    });
    a.send_to(b"hi", b_addr).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(a.recv_from(&mut buf).unwrap(), (2, b_addr));
    t.join().unwrap();
}
