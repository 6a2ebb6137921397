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
///
/// ```
/// use std::io::{Read, Write};
/// use gpm::net::{TcpListener, TcpStream};
///
/// // Go's net.Listen("tcp", "127.0.0.1:0"); port 0: the kernel picks a free one.
/// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
/// let addr = listener.local_addr().unwrap();
/// let server = gpm::go!(move || {
///     // One goroutine per connection, each written as blocking code.
///     let (mut conn, _) = listener.accept().unwrap();
///     let h = gpm::go!(move || {
///         let mut line = String::new();
///         conn.read_to_string(&mut line).unwrap();
///         conn.write_all(line.to_uppercase().as_bytes()).unwrap();
///     });
///     h.join().unwrap();
/// });
/// let mut c = TcpStream::connect(addr).unwrap();
/// c.write_all(b"shout").unwrap();
/// c.shutdown(gpm::net::Shutdown::Write).unwrap(); // end of input for the server
/// let mut reply = String::new();
/// c.read_to_string(&mut reply).unwrap();
/// assert_eq!(reply, "SHOUT");
/// server.join().unwrap();
/// ```
pub struct TcpListener {
    sock: Sock<net::TcpListener>,
}

fd_impls!(TcpListener, net::TcpListener);

impl TcpListener {
    /// Binds to `addr` (each of its addresses in turn until one binds, like std) and
    /// listens, with the system's deepest accept queue (std asks for 128).
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// assert!(addr.ip().is_loopback());
    /// assert_ne!(addr.port(), 0);
    /// // The port is taken now.
    /// assert!(gpm::net::TcpListener::bind(addr).is_err());
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::from_std(each_addr(addr, listen::tcp)?)
    }

    /// Accepts a connection, parking the goroutine until one arrives. The stream is
    /// blocking-style, without timeouts, and `TCP_NODELAY` is as the kernel left it.
    ///
    /// ```
    /// use gpm::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let server = gpm::go!(move || {
    ///     let (stream, peer) = listener.accept().unwrap(); // parks until a client connects
    ///     assert_eq!(stream.peer_addr().unwrap(), peer);
    ///     peer
    /// });
    /// let client = TcpStream::connect(addr).unwrap();
    /// assert_eq!(server.join().unwrap(), client.local_addr().unwrap());
    /// ```
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (std, addr) = self.sock.read(|l| l.accept())?;
        Ok((TcpStream::accepted(std)?, addr))
    }

    /// An endless iterator of [`TcpListener::accept`]ed streams (never `None`).
    ///
    /// ```
    /// use std::io::Read;
    /// use gpm::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let server = gpm::go!(move || {
    ///     let mut total = 0;
    ///     for stream in listener.incoming().take(2) {
    ///         let mut buf = Vec::new();
    ///         stream.unwrap().read_to_end(&mut buf).unwrap();
    ///         total += buf.len();
    ///     }
    ///     total
    /// });
    /// for msg in [&b"abc"[..], b"de"] {
    ///     let mut c = TcpStream::connect(addr).unwrap();
    ///     std::io::Write::write_all(&mut c, msg).unwrap();
    /// } // each `c` is closed here: the server reads to its end
    /// assert_eq!(server.join().unwrap(), 5);
    /// ```
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// Wraps a listening std socket, switching it to non-blocking mode. Also available as
    /// `TcpListener::try_from(std)`.
    ///
    /// ```
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = std_listener.local_addr().unwrap();
    /// let listener = gpm::net::TcpListener::from_std(std_listener).unwrap(); // or `try_from`
    /// let server = gpm::go!(move || listener.accept().is_ok());
    /// let _c = std::net::TcpStream::connect(addr).unwrap();
    /// assert!(server.join().unwrap());
    /// ```
    pub fn from_std(std: net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            sock: Sock::fresh(std)?,
        })
    }

    /// The std listener back, in blocking mode (unless [`TcpListener::set_nonblocking`]
    /// turned non-blocking mode on).
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let std_listener: std::net::TcpListener = listener.into_std().unwrap(); // blocking again
    /// let _c = std::net::TcpStream::connect(addr).unwrap();
    /// assert!(std_listener.accept().is_ok());
    /// ```
    pub fn into_std(self) -> io::Result<net::TcpListener> {
        self.sock.into_std()
    }

    /// The local address (with the port the kernel chose for port 0).
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// assert_eq!(addr.ip(), std::net::Ipv4Addr::LOCALHOST);
    /// assert_ne!(addr.port(), 0); // the port the kernel chose
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().local_addr()
    }

    /// A second handle on this listener (a `dup` of the fd), sharing the non-blocking mode.
    ///
    /// ```
    /// use gpm::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let other = listener.try_clone().unwrap(); // the same socket
    /// assert_eq!(other.local_addr().unwrap(), addr);
    /// let server = gpm::go!(move || other.accept().is_ok());
    /// let _c = TcpStream::connect(addr).unwrap();
    /// assert!(server.join().unwrap());
    /// ```
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        Ok(TcpListener {
            sock: self.sock.try_clone(net::TcpListener::try_clone)?,
        })
    }

    /// Sets `IP_TTL` for the accepted sockets.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// listener.set_ttl(42).unwrap();
    /// assert_eq!(listener.ttl().unwrap(), 42);
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.sock.get_ref().set_ttl(ttl)
    }

    /// `IP_TTL`.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// assert!(listener.ttl().unwrap() > 0); // the system default, typically 64
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.sock.get_ref().ttl()
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// assert!(listener.take_error().unwrap().is_none());
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock.get_ref().take_error()
    }

    nonblocking!();
}

/// The iterator of [`TcpListener::incoming`]: each item is one `accept`.
///
/// ```
/// use gpm::net::{TcpListener, TcpStream};
///
/// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
/// let addr = listener.local_addr().unwrap();
/// let server = gpm::go!(move || {
///     let mut incoming: gpm::net::Incoming<'_> = listener.incoming();
///     incoming.next().unwrap().unwrap().peer_addr().unwrap()
/// });
/// let c = TcpStream::connect(addr).unwrap();
/// assert_eq!(server.join().unwrap(), c.local_addr().unwrap());
/// ```
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
