//! Address resolution as std does it: try each address a `ToSocketAddrs` yields in turn,
//! return the first success or else the last error.
//!
//! Resolving a host name calls `getaddrinfo`, which blocks the calling thread (inside a
//! goroutine: its M) like it does in std; numeric addresses resolve without a system call.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Calls `f` on each address of `addr` until one succeeds.
pub(crate) fn each_addr<T>(
    addr: impl ToSocketAddrs,
    mut f: impl FnMut(&SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for a in addr.to_socket_addrs()? {
        match f(&a) {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        )
    }))
}

/// The first address of `addr` (where std's `send_to` sends).
pub(crate) fn first_addr(addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
    addr.to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to"))
}
