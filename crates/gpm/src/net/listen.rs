//! Creating listening sockets with a deep accept queue: the system's maximum (Linux's
//! `net.core.somaxconn`, 4096 by default), as Go does, where std's `bind` asks for 128.
//! Many goroutines connecting at once overflow a 128-deep queue, and each SYN the kernel
//! drops costs its client a one-second retransmission.
//!
//! Otherwise these do what std's `bind` does: `SO_REUSEADDR` on TCP listeners,
//! close-on-exec fds.

use std::io;
use std::net::{self, SocketAddr};
use std::os::fd::OwnedFd;
use std::os::unix::net as unix;
use std::path::Path;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// Asks for the deepest queue the system allows (it caps the value at its maximum).
const BACKLOG: i32 = i32::MAX;

/// A TCP socket bound to `addr` and listening.
pub(crate) fn tcp(addr: &SocketAddr) -> io::Result<net::TcpListener> {
    let socket = Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.bind(&(*addr).into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// A Unix stream socket bound to the socket file `path` and listening.
pub(crate) fn unix(path: &Path) -> io::Result<unix::UnixListener> {
    unix_addr(&SockAddr::unix(path)?)
}

/// A Unix stream socket bound to `addr` and listening.
pub(crate) fn unix_addr(addr: &SockAddr) -> io::Result<unix::UnixListener> {
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)?;
    Ok(OwnedFd::from(socket).into())
}
