//! `UdpSocket`: std's `UdpSocket` API on the netpoller. A receive (or a send the kernel
//! cannot queue) parks the calling goroutine (blocks the thread outside a goroutine).

use std::io;
use std::net::{self, SocketAddr, ToSocketAddrs};

use super::addr::first_addr;
use super::opts::Opts;
use super::sock::Sock;

/// A UDP socket, with the methods of [`std::net::UdpSocket`].
///
/// ```
/// use gpm::net::UdpSocket;
///
/// let server = UdpSocket::bind("127.0.0.1:0").unwrap();
/// let addr = server.local_addr().unwrap();
/// let echo = gpm::go!(move || {
///     let mut buf = [0; 64];
///     let (n, from) = server.recv_from(&mut buf).unwrap(); // parks until a datagram arrives
///     server.send_to(&buf[..n], from).unwrap();
/// });
/// let client = UdpSocket::bind("127.0.0.1:0").unwrap();
/// client.send_to(b"marco", addr).unwrap();
/// let mut buf = [0; 64];
/// let (n, from) = client.recv_from(&mut buf).unwrap();
/// assert_eq!((&buf[..n], from), (&b"marco"[..], addr));
/// echo.join().unwrap();
/// ```
pub struct UdpSocket {
    sock: Sock<net::UdpSocket>,
}

fd_impls!(UdpSocket, net::UdpSocket);

impl UdpSocket {
    /// Binds to `addr` (each of its addresses in turn until one binds, like std).
    ///
    /// ```
    /// let s = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// assert_ne!(s.local_addr().unwrap().port(), 0);
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        UdpSocket::from_std(net::UdpSocket::bind(addr)?)
    }

    /// Wraps a std socket, switching it to non-blocking mode and taking over its timeouts.
    /// Also available as `UdpSocket::try_from(std)`.
    ///
    /// ```
    /// let std_sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let s = gpm::net::UdpSocket::from_std(std_sock).unwrap(); // or `try_from`
    /// s.send_to(b"self", s.local_addr().unwrap()).unwrap();
    /// let mut b = [0; 4];
    /// assert_eq!(s.recv(&mut b).unwrap(), 4);
    /// ```
    pub fn from_std(std: net::UdpSocket) -> io::Result<UdpSocket> {
        let opts = Opts::new(std.read_timeout()?, std.write_timeout()?);
        Ok(UdpSocket {
            sock: Sock::new(std, opts.into())?,
        })
    }

    /// The std socket back, in blocking mode (unless [`UdpSocket::set_nonblocking`] turned
    /// non-blocking mode on), with its timeouts.
    ///
    /// ```
    /// let s = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let std_sock: std::net::UdpSocket = s.into_std().unwrap(); // blocking again
    /// assert!(std_sock.local_addr().is_ok());
    /// ```
    pub fn into_std(self) -> io::Result<net::UdpSocket> {
        self.sock.into_std()
    }

    /// Sends `buf` to `addr` (its first address, like std), returning the bytes sent.
    ///
    /// ```
    /// let a = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let b = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// assert_eq!(a.send_to(b"hi", b.local_addr().unwrap()).unwrap(), 2);
    /// let mut buf = [0; 2];
    /// assert_eq!(b.recv_from(&mut buf).unwrap(), (2, a.local_addr().unwrap()));
    /// ```
    pub fn send_to(&self, buf: &[u8], addr: impl ToSocketAddrs) -> io::Result<usize> {
        let addr = first_addr(addr)?;
        self.sock.write(|s| s.send_to(buf, addr))
    }

    /// Receives one datagram, parking until one arrives; returns its length (truncated to
    /// `buf.len()`) and sender.
    ///
    /// ```
    /// let a = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let b = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let addr = b.local_addr().unwrap();
    /// let rx = gpm::go!(move || {
    ///     let mut buf = [0; 3]; // shorter than the datagram: the rest is cut off
    ///     let (n, _from) = b.recv_from(&mut buf).unwrap();
    ///     buf[..n].to_vec()
    /// });
    /// a.send_to(b"hello", addr).unwrap();
    /// assert_eq!(rx.join().unwrap(), b"hel");
    /// ```
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.sock.read(|s| s.recv_from(buf))
    }

    /// Like [`UdpSocket::recv_from`], leaving the datagram queued.
    ///
    /// ```
    /// let a = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let b = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// a.send_to(b"once", b.local_addr().unwrap()).unwrap();
    /// let mut buf = [0; 8];
    /// let peeked = b.peek_from(&mut buf).unwrap();
    /// assert_eq!(b.recv_from(&mut buf).unwrap(), peeked); // still there for the receive
    /// ```
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.sock.read(|s| s.peek_from(buf))
    }

    /// Sets the default destination (and the only source `recv` accepts), trying each
    /// address in turn like std.
    ///
    /// ```
    /// let a = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let b = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// a.connect(b.local_addr().unwrap()).unwrap();
    /// assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    /// a.send(b"via connect").unwrap(); // no address needed now
    /// let mut buf = [0; 16];
    /// assert_eq!(b.recv(&mut buf).unwrap(), 11);
    /// ```
    pub fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        self.sock.get_ref().connect(addr)
    }

    /// Sends `buf` to the connected address.
    ///
    /// ```
    /// let a = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let b = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// assert!(a.send(b"x").is_err()); // not connected yet
    /// a.connect(b.local_addr().unwrap()).unwrap();
    /// assert_eq!(a.send(b"x").unwrap(), 1);
    /// ```
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.sock.write(|s| s.send(buf))
    }

    /// Receives one datagram from the connected address, parking until one arrives.
    ///
    /// ```
    /// let a = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let b = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let b_addr = b.local_addr().unwrap();
    /// b.connect(a.local_addr().unwrap()).unwrap(); // `recv` takes only what `a` sends
    /// let rx = gpm::go!(move || {
    ///     let mut buf = [0; 8];
    ///     let n = b.recv(&mut buf).unwrap(); // parks until it arrives
    ///     buf[..n].to_vec()
    /// });
    /// a.send_to(b"data", b_addr).unwrap();
    /// assert_eq!(rx.join().unwrap(), b"data");
    /// ```
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.read(|s| s.recv(buf))
    }

    /// Like [`UdpSocket::recv`], leaving the datagram queued.
    ///
    /// ```
    /// let a = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let b = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// b.connect(a.local_addr().unwrap()).unwrap();
    /// a.send_to(b"twice", b.local_addr().unwrap()).unwrap();
    /// let mut buf = [0; 8];
    /// assert_eq!(b.peek(&mut buf).unwrap(), 5);
    /// assert_eq!(b.recv(&mut buf).unwrap(), 5); // the same datagram
    /// ```
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.read(|s| s.peek(buf))
    }

    /// The local address.
    ///
    /// ```
    /// let s = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// assert!(s.local_addr().unwrap().ip().is_loopback());
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().local_addr()
    }

    /// The connected address (`NotConnected` if [`UdpSocket::connect`] was not called).
    ///
    /// ```
    /// let s = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// assert_eq!(s.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
    /// let other = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// s.connect(other.local_addr().unwrap()).unwrap();
    /// assert_eq!(s.peer_addr().unwrap(), other.local_addr().unwrap());
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().peer_addr()
    }

    /// A second handle on this socket (a `dup` of the fd) with its own registration;
    /// options are shared, as in std.
    ///
    /// ```
    /// let s = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let addr = s.local_addr().unwrap();
    /// let receiver = s.try_clone().unwrap(); // the same socket, for another goroutine
    /// let h = gpm::go!(move || {
    ///     let mut buf = [0; 4];
    ///     receiver.recv_from(&mut buf).unwrap().0
    /// });
    /// s.send_to(b"loop", addr).unwrap();
    /// assert_eq!(h.join().unwrap(), 4);
    /// ```
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            sock: self.sock.try_clone(net::UdpSocket::try_clone)?,
        })
    }

    /// Sets `SO_BROADCAST`.
    ///
    /// ```
    /// let s = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// s.set_broadcast(true).unwrap();
    /// assert!(s.broadcast().unwrap());
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.sock.get_ref().set_broadcast(on)
    }

    /// `SO_BROADCAST`.
    ///
    /// ```
    /// let s = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// assert!(!s.broadcast().unwrap()); // off by default
    /// ```
    pub fn broadcast(&self) -> io::Result<bool> {
        self.sock.get_ref().broadcast()
    }

    /// Sets `IP_TTL`.
    ///
    /// ```
    /// let s = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// s.set_ttl(9).unwrap();
    /// assert_eq!(s.ttl().unwrap(), 9);
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.sock.get_ref().set_ttl(ttl)
    }

    /// `IP_TTL`.
    ///
    /// ```
    /// let s = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// assert!(s.ttl().unwrap() > 0);
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.sock.get_ref().ttl()
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// ```
    /// let s = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// assert!(s.take_error().unwrap().is_none());
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock.get_ref().take_error()
    }

    timeouts!();
    nonblocking!();
}
