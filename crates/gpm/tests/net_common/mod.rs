//! Helpers shared by the `gpm::net` and netpoller integration tests (each test file is its
//! own crate and includes this module with `mod net_common;`): a runtime with a given
//! number of Ps, and a connected TCP pair on 127.0.0.1.

#![allow(dead_code)]

use gpm::net::{TcpListener, TcpStream};

/// A runtime with `procs` Ps.
pub fn rt(procs: usize) -> gpm::Runtime {
    gpm::Runtime::builder().procs(procs).build().unwrap()
}

/// A connected (client, server) pair on 127.0.0.1, its addresses checked.
pub fn pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, peer) = l.accept().unwrap();
    assert_eq!(peer, c.local_addr().unwrap());
    assert_eq!(s.peer_addr().unwrap(), c.local_addr().unwrap());
    (c, s)
}
