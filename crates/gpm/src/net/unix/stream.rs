//! `UnixStream`: std's `UnixStream` API on the netpoller; reads and writes park the
//! calling goroutine until the socket is ready.

use std::io;
use std::net::Shutdown;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::net::opts::Opts;
use crate::net::sock::Sock;

/// A Unix stream socket, with the methods of [`std::os::unix::net::UnixStream`]. `Read` and
/// `Write` are implemented for `UnixStream` and `&UnixStream`.
pub struct UnixStream {
    sock: Sock<net::UnixStream>,
}

fd_impls!(UnixStream, net::UnixStream);
stream_io!(UnixStream);

impl UnixStream {
    /// Connects to the socket file `path` (std's connect: see the [module docs](super)).
    pub fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        UnixStream::accepted(net::UnixStream::connect(path)?)
    }

    /// Connects to `addr`.
    pub fn connect_addr(addr: &SocketAddr) -> io::Result<UnixStream> {
        UnixStream::accepted(net::UnixStream::connect_addr(addr)?)
    }

    /// A connected pair of unnamed sockets.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = net::UnixStream::pair()?;
        Ok((UnixStream::accepted(a)?, UnixStream::accepted(b)?))
    }

    /// Wraps a std stream, switching it to non-blocking mode and taking over its timeouts.
    /// Also available as `UnixStream::try_from(std)`.
    pub fn from_std(std: net::UnixStream) -> io::Result<UnixStream> {
        let opts = Opts::new(std.read_timeout()?, std.write_timeout()?);
        Ok(UnixStream {
            sock: Sock::new(std, opts.into())?,
        })
    }

    /// A stream fresh from the kernel (no timeouts to read back).
    pub(super) fn accepted(std: net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            sock: Sock::fresh(std)?,
        })
    }

    /// The std stream back, in blocking mode (unless non-blocking mode was turned on),
    /// with its timeouts.
    pub fn into_std(self) -> io::Result<net::UnixStream> {
        self.sock.into_std()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().local_addr()
    }

    /// Shuts down the read half, the write half or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.sock.get_ref().shutdown(how)
    }

    /// A second handle on this stream (a `dup` of the fd) with its own registration;
    /// options are shared, as in std.
    pub fn try_clone(&self) -> io::Result<UnixStream> {
        Ok(UnixStream {
            sock: self.sock.try_clone(net::UnixStream::try_clone)?,
        })
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock.get_ref().take_error()
    }

    timeouts!();
    nonblocking!();
}
