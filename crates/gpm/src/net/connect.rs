//! A TCP connect that waits like a read does: the socket is made non-blocking first, so
//! `connect(2)` returns `EINPROGRESS`; then the goroutine parks until the socket is
//! writable, and `SO_ERROR` (then `getpeername`) says whether the handshake succeeded —
//! Go's `netFD.connect`. Outside a goroutine the thread blocks in `poll(2)` instead, which
//! is what std's `connect_timeout` does.

use std::io;
use std::net::{self, SocketAddr};
use std::time::Duration;

use socket2::{Domain, Protocol, SockRef, Socket, Type};

use super::sock::Sock;

/// Connects a fresh TCP socket to `addr`, failing with `TimedOut` after `timeout`.
pub(crate) fn connect(
    addr: &SocketAddr,
    timeout: Option<Duration>,
) -> io::Result<Sock<net::TcpStream>> {
    let socket = Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    let sock = Sock::fresh(net::TcpStream::from(socket))?;
    match SockRef::from(sock.get_ref()).connect(&(*addr).into()) {
        Ok(()) => return Ok(sock),
        Err(e) if in_progress(&e) => {}
        Err(e) => return Err(e),
    }
    sock.evented()
        .write_with(timeout, |s| match s.take_error()? {
            Some(e) => Err(e),
            None => match s.peer_addr() {
                Ok(_) => Ok(()),
                // Spurious readiness: the handshake is still going on.
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    Err(io::ErrorKind::WouldBlock.into())
                }
                Err(e) => Err(e),
            },
        })
        .map_err(|e| match timeout {
            // The wait's own timeout is `EAGAIN`; std's `connect_timeout` says `TimedOut`.
            Some(_) if e.raw_os_error() == Some(libc::EAGAIN) => {
                io::Error::new(io::ErrorKind::TimedOut, "connection timed out")
            }
            _ => e,
        })?;
    Ok(sock)
}

fn in_progress(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EINPROGRESS | libc::EINTR))
}
