//! `TcpListener`: std's `TcpListener` API on the netpoller. `accept` parks the calling
//! goroutine until a connection arrives (blocks the thread outside a goroutine).

use std::io;
use std::net::{self, SocketAddr, ToSocketAddrs};

use super::addr::each_addr;
use super::listen;
use super::sock::Sock;
use super::tcp_stream::TcpStream;

/// A TCP listening socket, with the methods of [`std::net::TcpListener`].
///
/// When the process runs out of file descriptors, `accept` returns that error (`EMFILE` or
/// `ENFILE`) instead of waiting or retrying; the pending connection stays queued, and the
/// next `accept` after fds are freed takes it. A loop that retries at once on that error
/// spins, as it would with std: back off (e.g. `gpm::time::sleep`) first.
pub struct TcpListener {
    sock: Sock<net::TcpListener>,
}

fd_impls!(TcpListener, net::TcpListener);

impl TcpListener {
    /// Binds to `addr` (each of its addresses in turn until one binds, like std) and
    /// listens, with the system's deepest accept queue (std asks for 128).
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::from_std(each_addr(addr, listen::tcp)?)
    }

    /// Accepts a connection, parking the goroutine until one arrives. The stream is
    /// blocking-style, without timeouts, and `TCP_NODELAY` is as the kernel left it.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (std, addr) = self.sock.read(|l| l.accept())?;
        Ok((TcpStream::accepted(std)?, addr))
    }

    /// An endless iterator of [`TcpListener::accept`]ed streams (never `None`).
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// Wraps a listening std socket, switching it to non-blocking mode. Also available as
    /// `TcpListener::try_from(std)`.
    pub fn from_std(std: net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            sock: Sock::fresh(std)?,
        })
    }

    /// The std listener back, in blocking mode (unless [`TcpListener::set_nonblocking`]
    /// turned non-blocking mode on).
    pub fn into_std(self) -> io::Result<net::TcpListener> {
        self.sock.into_std()
    }

    /// The local address (with the port the kernel chose for port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().local_addr()
    }

    /// A second handle on this listener (a `dup` of the fd), sharing the non-blocking mode.
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        Ok(TcpListener {
            sock: self.sock.try_clone(net::TcpListener::try_clone)?,
        })
    }

    /// Sets `IP_TTL` for the accepted sockets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.sock.get_ref().set_ttl(ttl)
    }

    /// `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.sock.get_ref().ttl()
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock.get_ref().take_error()
    }

    nonblocking!();
}

/// The iterator of [`TcpListener::incoming`]: each item is one `accept`.
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn next(&mut self) -> Option<io::Result<TcpStream>> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}
