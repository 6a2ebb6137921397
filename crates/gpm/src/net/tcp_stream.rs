//! `TcpStream`: std's `TcpStream` API on the netpoller. A read, write, peek or connect
//! that would block parks the calling goroutine (blocks the thread outside a goroutine).

use std::io;
use std::net::{self, Shutdown, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use super::addr::each_addr;
use super::connect::connect;
use super::opts::Opts;
use super::sock::Sock;

/// A TCP connection, with the methods of [`std::net::TcpStream`].
///
/// `Read` and `Write` are implemented for `TcpStream` and for `&TcpStream`, so one
/// goroutine can read while another writes through a shared reference (or a
/// [`TcpStream::try_clone`]).
///
/// ```
/// use std::io::{Read, Write};
///
/// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let addr = listener.local_addr().unwrap();
/// let server = gpm::go!(move || {
///     let (mut s, _) = listener.accept().unwrap();
///     let mut buf = [0; 5];
///     s.read_exact(&mut buf).unwrap(); // parks this goroutine until the bytes arrive
///     s.write_all(&buf).unwrap();
/// });
/// let mut c = gpm::net::TcpStream::connect(addr).unwrap();
/// c.write_all(b"hello").unwrap();
/// let mut back = [0; 5];
/// c.read_exact(&mut back).unwrap();
/// assert_eq!(&back, b"hello");
/// server.join().unwrap();
/// ```
pub struct TcpStream {
    sock: Sock<net::TcpStream>,
}

fd_impls!(TcpStream, net::TcpStream);
stream_io!(TcpStream);

impl TcpStream {
    /// Opens a TCP connection to `addr`, trying each of its addresses in turn like std.
    /// The handshake parks the goroutine.
    pub fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        each_addr(addr, |a| connect(a, None)).map(|sock| TcpStream { sock })
    }

    /// Opens a TCP connection to `addr`, failing with `ErrorKind::TimedOut` if the
    /// handshake takes longer than `timeout` (a zero `timeout` is `InvalidInput`, as in std).
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        if timeout.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot set a 0 duration timeout",
            ));
        }
        connect(addr, Some(timeout)).map(|sock| TcpStream { sock })
    }

    /// Wraps a connected std stream, switching it to non-blocking mode and taking over its
    /// read and write timeouts. Also available as `TcpStream::try_from(std)`; it is not a
    /// `From` because the `fcntl` can fail.
    pub fn from_std(std: net::TcpStream) -> io::Result<TcpStream> {
        let opts = Opts::new(std.read_timeout()?, std.write_timeout()?);
        Ok(TcpStream {
            sock: Sock::new(std, opts.into())?,
        })
    }

    /// A stream accepted by a listener (no timeouts to read back).
    pub(super) fn accepted(std: net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            sock: Sock::fresh(std)?,
        })
    }

    /// The std stream back, in blocking mode (unless [`TcpStream::set_nonblocking`] turned
    /// non-blocking mode on), with its timeouts.
    pub fn into_std(self) -> io::Result<net::TcpStream> {
        self.sock.into_std()
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().local_addr()
    }

    /// Shuts down the read half, the write half or both. After `Shutdown::Write` the
    /// peer reads end-of-file and can still send back.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.sock.get_ref().shutdown(how)
    }

    /// A second handle on this connection (a `dup` of the fd) with its own registration;
    /// options (timeouts, non-blocking mode) are shared, as in std.
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        Ok(TcpStream {
            sock: self.sock.try_clone(net::TcpStream::try_clone)?,
        })
    }

    /// Reads without consuming: waits like a read for data, then returns what is queued
    /// (up to `buf.len()` bytes), which the next read returns again.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.read(|s| s.peek(buf))
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.sock.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.sock.get_ref().nodelay()
    }

    /// Sets `IP_TTL`.
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

    timeouts!();
    nonblocking!();
}
