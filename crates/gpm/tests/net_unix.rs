//! `gpm::net::unix`: stream pairs, a listener on a socket file in a temp dir, half-close,
//! timeouts, conversions, and datagram sockets.

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::path::PathBuf;
use std::time::Duration;

use gpm::net::unix::{UnixDatagram, UnixListener, UnixStream};

mod net_common;
use net_common::rt;

/// A fresh directory for socket files, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("gpm-net-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn pair_round_trips_between_goroutines() {
    rt(1).block_on(|| {
        let (mut a, b) = UnixStream::pair().unwrap();
        let echo = gpm::go!(move || {
            let mut buf = [0u8; 256];
            loop {
                match (&b).read(&mut buf).unwrap() {
                    0 => return,
                    n => (&b).write_all(&buf[..n]).unwrap(),
                }
            }
        });
        for i in 0..100u32 {
            let msg = i.to_le_bytes();
            a.write_all(&msg).unwrap();
            let mut back = [0u8; 4];
            a.read_exact(&mut back).unwrap();
            assert_eq!(back, msg);
        }
        a.shutdown(Shutdown::Write).unwrap();
        echo.join().unwrap();
        assert_eq!(a.read(&mut [0u8; 4]).unwrap(), 0);
    });
}

#[test]
fn listener_in_a_temp_dir_with_half_close() {
    let dir = TempDir::new("listener");
    let path = dir.0.join("sock");
    rt(2).block_on(move || {
        let l = UnixListener::bind(&path).unwrap();
        assert_eq!(l.local_addr().unwrap().as_pathname(), Some(path.as_path()));
        let server = gpm::go!(move || {
            for s in l.incoming().take(10) {
                let mut s = s.unwrap();
                gpm::go!(move || {
                    let mut got = Vec::new();
                    s.read_to_end(&mut got).unwrap(); // until the client's shutdown(Write)
                    got.reverse();
                    s.write_all(&got).unwrap();
                });
            }
        });
        let clients: Vec<_> = (0..10u8)
            .map(|i| {
                let path = path.clone();
                gpm::go!(move || {
                    let mut c = UnixStream::connect(&path).unwrap();
                    assert_eq!(c.peer_addr().unwrap().as_pathname(), Some(path.as_path()));
                    c.write_all(&[i, i + 1, i + 2]).unwrap();
                    c.shutdown(Shutdown::Write).unwrap();
                    let mut back = Vec::new();
                    c.read_to_end(&mut back).unwrap();
                    assert_eq!(back, [i + 2, i + 1, i]);
                })
            })
            .collect();
        clients.into_iter().for_each(|h| h.join().unwrap());
        server.join().unwrap();
    });
}

#[test]
fn timeouts_clones_and_conversions() {
    rt(1).block_on(|| {
        let (a, b) = UnixStream::pair().unwrap();
        a.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let err = (&a).read(&mut [0u8; 4]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert_eq!(
            a.set_read_timeout(Some(Duration::ZERO)).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let a2 = a.try_clone().unwrap();
        assert_eq!(a2.read_timeout().unwrap(), Some(Duration::from_millis(20)));
        assert!(a.take_error().unwrap().is_none());
        let std_b = b.into_std().unwrap();
        (&std_b).write_all(b"std").unwrap();
        let mut buf = [0u8; 3];
        (&a2).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"std");
        let b = UnixStream::try_from(std_b).unwrap();
        (&a).write_all(b"back").unwrap();
        let mut buf = [0u8; 4];
        (&b).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"back");
    });
}

#[test]
fn datagrams_pair_and_paths() {
    let dir = TempDir::new("dgram");
    rt(1).block_on(move || {
        let (a, b) = UnixDatagram::pair().unwrap();
        let rx = gpm::go!(move || {
            let mut buf = [0u8; 16];
            let n = b.recv(&mut buf).unwrap(); // parks until the send below
            buf[..n].to_vec()
        });
        gpm::yield_now();
        a.send(b"dgram").unwrap();
        assert_eq!(rx.join().unwrap(), b"dgram");

        let server = UnixDatagram::bind(dir.0.join("server")).unwrap();
        let client = UnixDatagram::bind(dir.0.join("client")).unwrap();
        client.send_to(b"to path", dir.0.join("server")).unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = server.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"to path");
        assert_eq!(from.as_pathname(), Some(dir.0.join("client").as_path()));
        server
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        assert_eq!(
            server.recv_from(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
    });
}

#[test]
fn plain_threads_like_std() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let t = std::thread::spawn(move || {
        let mut buf = [0u8; 5];
        b.read_exact(&mut buf).unwrap(); // blocks this thread
        b.write_all(&buf).unwrap();
    });
    a.write_all(b"hello").unwrap();
    let mut buf = [0u8; 5];
    a.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hello");
    t.join().unwrap();
}
