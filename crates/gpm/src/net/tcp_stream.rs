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
    ///
    /// ```
    /// use gpm::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let port = listener.local_addr().unwrap().port();
    /// let accept = gpm::go!(move || listener.accept().map(|(s, _)| s.local_addr().unwrap()));
    /// let c = TcpStream::connect(("127.0.0.1", port)).unwrap(); // any `ToSocketAddrs`
    /// assert_eq!(c.peer_addr().unwrap(), accept.join().unwrap().unwrap());
    /// ```
    pub fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        each_addr(addr, |a| connect(a, None)).map(|sock| TcpStream { sock })
    }

    /// Opens a TCP connection to `addr`, failing with `ErrorKind::TimedOut` if the
    /// handshake takes longer than `timeout` (a zero `timeout` is `InvalidInput`, as in std).
    ///
    /// ```
    /// use std::time::Duration;
    /// use gpm::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let c = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    /// assert_eq!(c.peer_addr().unwrap(), addr);
    /// let zero = TcpStream::connect_timeout(&addr, Duration::ZERO).unwrap_err();
    /// assert_eq!(zero.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
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
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::time::Duration;
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// std_stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    /// let mut s = gpm::net::TcpStream::from_std(std_stream).unwrap(); // or `try_from`
    /// assert_eq!(s.read_timeout().unwrap(), Some(Duration::from_secs(5))); // taken over
    /// let (mut peer, _) = listener.accept().unwrap();
    /// peer.write_all(b"x").unwrap();
    /// let mut b = [0; 1];
    /// s.read_exact(&mut b).unwrap();
    /// assert_eq!(&b, b"x");
    /// ```
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
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let s = gpm::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let (mut peer, _) = listener.accept().unwrap();
    /// let mut std_stream: std::net::TcpStream = s.into_std().unwrap(); // blocking again
    /// peer.write_all(b"hi").unwrap();
    /// let mut b = [0; 2];
    /// std_stream.read_exact(&mut b).unwrap();
    /// assert_eq!(&b, b"hi");
    /// ```
    pub fn into_std(self) -> io::Result<net::TcpStream> {
        self.sock.into_std()
    }

    /// The remote address.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let s = gpm::net::TcpStream::connect(addr).unwrap();
    /// assert_eq!(s.peer_addr().unwrap(), addr);
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().peer_addr()
    }

    /// The local address.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let s = gpm::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let (_, peer) = listener.accept().unwrap();
    /// assert_eq!(s.local_addr().unwrap(), peer);
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().local_addr()
    }

    /// Shuts down the read half, the write half or both. After `Shutdown::Write` the
    /// peer reads end-of-file and can still send back.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use gpm::net::{Shutdown, TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let mut c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let (mut s, _) = listener.accept().unwrap();
    /// c.write_all(b"request").unwrap();
    /// c.shutdown(Shutdown::Write).unwrap(); // the server sees the end of the request...
    /// let mut req = String::new();
    /// s.read_to_string(&mut req).unwrap();
    /// assert_eq!(req, "request");
    /// s.write_all(b"reply").unwrap(); // ...and can still answer
    /// drop(s);
    /// let mut reply = String::new();
    /// c.read_to_string(&mut reply).unwrap();
    /// assert_eq!(reply, "reply");
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.sock.get_ref().shutdown(how)
    }

    /// A second handle on this connection (a `dup` of the fd) with its own registration;
    /// options (timeouts, non-blocking mode) are shared, as in std.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use gpm::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let (mut s, _) = listener.accept().unwrap();
    /// // One goroutine writes through a clone while this one reads.
    /// let mut w = c.try_clone().unwrap();
    /// let writer = gpm::go!(move || w.write_all(b"ping").unwrap());
    /// let mut b = [0; 4];
    /// s.read_exact(&mut b).unwrap();
    /// assert_eq!(&b, b"ping");
    /// writer.join().unwrap();
    /// ```
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        Ok(TcpStream {
            sock: self.sock.try_clone(net::TcpStream::try_clone)?,
        })
    }

    /// Reads without consuming: waits like a read for data, then returns what is queued
    /// (up to `buf.len()` bytes), which the next read returns again.
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let mut c = gpm::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let (mut s, _) = listener.accept().unwrap();
    /// c.write_all(b"GET").unwrap();
    /// let mut b = [0; 3];
    /// let n = s.peek(&mut b).unwrap(); // waits for data, leaves it queued
    /// assert!(n > 0 && b[..n] == b"GET"[..n]);
    /// s.read_exact(&mut b).unwrap(); // the same bytes again
    /// assert_eq!(&b, b"GET");
    /// ```
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.read(|s| s.peek(buf))
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let s = gpm::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// s.set_nodelay(true).unwrap(); // small writes go out at once
    /// assert!(s.nodelay().unwrap());
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.sock.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let s = gpm::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// s.set_nodelay(false).unwrap();
    /// assert!(!s.nodelay().unwrap());
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.sock.get_ref().nodelay()
    }

    /// Sets `IP_TTL`.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let s = gpm::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// s.set_ttl(7).unwrap();
    /// assert_eq!(s.ttl().unwrap(), 7);
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.sock.get_ref().set_ttl(ttl)
    }

    /// `IP_TTL`.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let s = gpm::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// assert!(s.ttl().unwrap() > 0);
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.sock.get_ref().ttl()
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let s = gpm::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// assert!(s.take_error().unwrap().is_none());
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock.get_ref().take_error()
    }

    timeouts!();
    nonblocking!();
}
