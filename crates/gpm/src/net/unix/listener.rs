//! `UnixListener`: std's `UnixListener` API on the netpoller; `accept` parks the calling
//! goroutine until a connection arrives.

use std::io;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use super::stream::UnixStream;
use crate::net::listen;
use crate::net::sock::Sock;

/// A Unix stream listening socket, with the methods of [`std::os::unix::net::UnixListener`].
/// Out of fds, `accept` returns the error and keeps working once fds are freed, like
/// [`crate::net::TcpListener`].
pub struct UnixListener {
    sock: Sock<net::UnixListener>,
}

fd_impls!(UnixListener, net::UnixListener);

impl UnixListener {
    /// Binds to the socket file `path` (which must not exist) and listens, with the
    /// system's deepest accept queue (std asks for 128).
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_std(listen::unix(path.as_ref())?)
    }

    /// Binds to `addr` and listens.
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixListener> {
        UnixListener::from_std(net::UnixListener::bind_addr(addr)?)
    }

    /// Accepts a connection, parking the goroutine until one arrives.
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (std, addr) = self.sock.read(|l| l.accept())?;
        Ok((UnixStream::accepted(std)?, addr))
    }

    /// An endless iterator of [`UnixListener::accept`]ed streams (never `None`).
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// Wraps a listening std socket, switching it to non-blocking mode. Also available as
    /// `UnixListener::try_from(std)`.
    pub fn from_std(std: net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            sock: Sock::fresh(std)?,
        })
    }

    /// The std listener back, in blocking mode (unless non-blocking mode was turned on).
    pub fn into_std(self) -> io::Result<net::UnixListener> {
        self.sock.into_std()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().local_addr()
    }

    /// A second handle on this listener (a `dup` of the fd), sharing the non-blocking mode.
    pub fn try_clone(&self) -> io::Result<UnixListener> {
        Ok(UnixListener {
            sock: self.sock.try_clone(net::UnixListener::try_clone)?,
        })
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock.get_ref().take_error()
    }

    nonblocking!();
}

/// The iterator of [`UnixListener::incoming`]: each item is one `accept`.
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a UnixListener,
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<UnixStream>;

    fn next(&mut self) -> Option<io::Result<UnixStream>> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}
