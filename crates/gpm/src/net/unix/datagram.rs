//! `UnixDatagram`: std's `UnixDatagram` API on the netpoller; receives (and sends the
//! kernel cannot queue) park the calling goroutine.

use std::io;
use std::net::Shutdown;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::net::opts::Opts;
use crate::net::sock::Sock;

/// A Unix datagram socket, with the methods of [`std::os::unix::net::UnixDatagram`].
pub struct UnixDatagram {
    sock: Sock<net::UnixDatagram>,
}

fd_impls!(UnixDatagram, net::UnixDatagram);

impl UnixDatagram {
    /// Binds to the socket file `path`.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(net::UnixDatagram::unbound()?)
    }

    /// A connected pair of unnamed sockets.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Wraps a std socket, switching it to non-blocking mode and taking over its timeouts.
    /// Also available as `UnixDatagram::try_from(std)`.
    pub fn from_std(std: net::UnixDatagram) -> io::Result<UnixDatagram> {
        let opts = Opts::new(std.read_timeout()?, std.write_timeout()?);
        Ok(UnixDatagram {
            sock: Sock::new(std, opts.into())?,
        })
    }

    /// The std socket back, in blocking mode (unless non-blocking mode was turned on),
    /// with its timeouts.
    pub fn into_std(self) -> io::Result<net::UnixDatagram> {
        self.sock.into_std()
    }

    /// Sets the default destination (and the only source `recv` accepts).
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.sock.get_ref().connect(path)
    }

    /// Sends `buf` to the socket at `path`.
    pub fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.sock.write(|s| s.send_to(buf, path))
    }

    /// Receives one datagram, parking until one arrives; returns its length and sender.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.sock.read(|s| s.recv_from(buf))
    }

    /// Sends `buf` to the connected address.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.sock.write(|s| s.send(buf))
    }

    /// Receives one datagram from the connected address, parking until one arrives.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.read(|s| s.recv(buf))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().local_addr()
    }

    /// The connected address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().peer_addr()
    }

    /// Shuts down the read half, the write half or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.sock.get_ref().shutdown(how)
    }

    /// A second handle on this socket (a `dup` of the fd); options are shared, as in std.
    pub fn try_clone(&self) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            sock: self.sock.try_clone(net::UnixDatagram::try_clone)?,
        })
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock.get_ref().take_error()
    }

    timeouts!();
    nonblocking!();
}
