//! `UnixDatagram`: std's `UnixDatagram` API on the netpoller; receives (and sends the
//! kernel cannot queue) park the calling goroutine.

use std::io;
use std::net::Shutdown;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::net::opts::Opts;
use crate::net::sock::Sock;

/// A Unix datagram socket, with the methods of [`std::os::unix::net::UnixDatagram`].
///
/// ```
/// let (a, b) = gpm::net::unix::UnixDatagram::pair().unwrap();
/// let h = gpm::go!(move || {
///     let mut buf = [0; 16];
///     let n = b.recv(&mut buf).unwrap(); // parks until a datagram arrives
///     buf[..n].to_vec()
/// });
/// a.send(b"datagram").unwrap();
/// assert_eq!(h.join().unwrap(), b"datagram");
/// ```
pub struct UnixDatagram {
    sock: Sock<net::UnixDatagram>,
}

fd_impls!(UnixDatagram, net::UnixDatagram);

impl UnixDatagram {
    /// Binds to the socket file `path`.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-dgram-bind.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let server = gpm::net::unix::UnixDatagram::bind(&path).unwrap();
    /// let client = gpm::net::unix::UnixDatagram::unbound().unwrap();
    /// client.send_to(b"hi", &path).unwrap();
    /// let mut buf = [0; 2];
    /// assert_eq!(server.recv(&mut buf).unwrap(), 2);
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address.
    ///
    /// ```
    /// let s = gpm::net::unix::UnixDatagram::unbound().unwrap();
    /// assert!(s.local_addr().unwrap().is_unnamed());
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(net::UnixDatagram::unbound()?)
    }

    /// A connected pair of unnamed sockets.
    ///
    /// ```
    /// let (a, b) = gpm::net::unix::UnixDatagram::pair().unwrap();
    /// a.send(b"1").unwrap();
    /// a.send(b"22").unwrap();
    /// let mut buf = [0; 4];
    /// assert_eq!(b.recv(&mut buf).unwrap(), 1); // message boundaries are kept
    /// assert_eq!(b.recv(&mut buf).unwrap(), 2);
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Wraps a std socket, switching it to non-blocking mode and taking over its timeouts.
    /// Also available as `UnixDatagram::try_from(std)`.
    ///
    /// ```
    /// let (a, b) = std::os::unix::net::UnixDatagram::pair().unwrap();
    /// let b = gpm::net::unix::UnixDatagram::from_std(b).unwrap(); // or `try_from`
    /// a.send(b"x").unwrap();
    /// let mut buf = [0; 1];
    /// assert_eq!(b.recv(&mut buf).unwrap(), 1);
    /// ```
    pub fn from_std(std: net::UnixDatagram) -> io::Result<UnixDatagram> {
        let opts = Opts::new(std.read_timeout()?, std.write_timeout()?);
        Ok(UnixDatagram {
            sock: Sock::new(std, opts.into())?,
        })
    }

    /// The std socket back, in blocking mode (unless non-blocking mode was turned on),
    /// with its timeouts.
    ///
    /// ```
    /// let (a, b) = gpm::net::unix::UnixDatagram::pair().unwrap();
    /// let b: std::os::unix::net::UnixDatagram = b.into_std().unwrap(); // blocking again
    /// a.send(b"x").unwrap();
    /// let mut buf = [0; 1];
    /// assert_eq!(b.recv(&mut buf).unwrap(), 1);
    /// ```
    pub fn into_std(self) -> io::Result<net::UnixDatagram> {
        self.sock.into_std()
    }

    /// Sets the default destination (and the only source `recv` accepts).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-dgram-connect.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let server = gpm::net::unix::UnixDatagram::bind(&path).unwrap();
    /// let client = gpm::net::unix::UnixDatagram::unbound().unwrap();
    /// client.connect(&path).unwrap();
    /// client.send(b"no address needed").unwrap();
    /// let mut buf = [0; 32];
    /// assert_eq!(server.recv(&mut buf).unwrap(), 17);
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.sock.get_ref().connect(path)
    }

    /// Sends `buf` to the socket at `path`.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-dgram-send-to.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let server = gpm::net::unix::UnixDatagram::bind(&path).unwrap();
    /// let client = gpm::net::unix::UnixDatagram::unbound().unwrap();
    /// assert_eq!(client.send_to(b"abc", &path).unwrap(), 3);
    /// let mut buf = [0; 3];
    /// assert_eq!(server.recv(&mut buf).unwrap(), 3);
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.sock.write(|s| s.send_to(buf, path))
    }

    /// Receives one datagram, parking until one arrives; returns its length and sender.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-dgram-recv-from.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let server = gpm::net::unix::UnixDatagram::bind(&path).unwrap();
    /// let p = path.clone();
    /// let h = gpm::go!(move || {
    ///     let mut buf = [0; 8];
    ///     let (n, from) = server.recv_from(&mut buf).unwrap();
    ///     (n, from.is_unnamed())
    /// });
    /// gpm::net::unix::UnixDatagram::unbound().unwrap().send_to(b"anon", &p).unwrap();
    /// assert_eq!(h.join().unwrap(), (4, true)); // an unbound sender has no address
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.sock.read(|s| s.recv_from(buf))
    }

    /// Sends `buf` to the connected address.
    ///
    /// ```
    /// let (a, b) = gpm::net::unix::UnixDatagram::pair().unwrap();
    /// assert_eq!(a.send(b"four").unwrap(), 4);
    /// let mut buf = [0; 4];
    /// assert_eq!(b.recv(&mut buf).unwrap(), 4);
    /// ```
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.sock.write(|s| s.send(buf))
    }

    /// Receives one datagram from the connected address, parking until one arrives.
    ///
    /// ```
    /// let (a, b) = gpm::net::unix::UnixDatagram::pair().unwrap();
    /// let h = gpm::go!(move || {
    ///     let mut buf = [0; 2]; // shorter than the datagram: the rest is cut off
    ///     let n = b.recv(&mut buf).unwrap();
    ///     buf[..n].to_vec()
    /// });
    /// a.send(b"xyz").unwrap();
    /// assert_eq!(h.join().unwrap(), b"xy");
    /// ```
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.read(|s| s.recv(buf))
    }

    /// The local address.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-dgram-local.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let s = gpm::net::unix::UnixDatagram::bind(&path).unwrap();
    /// assert_eq!(s.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().local_addr()
    }

    /// The connected address.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-dgram-peer.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let _server = gpm::net::unix::UnixDatagram::bind(&path).unwrap();
    /// let client = gpm::net::unix::UnixDatagram::unbound().unwrap();
    /// client.connect(&path).unwrap();
    /// assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(path.as_path()));
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().peer_addr()
    }

    /// Shuts down the read half, the write half or both.
    ///
    /// ```
    /// let (a, _b) = gpm::net::unix::UnixDatagram::pair().unwrap();
    /// a.shutdown(gpm::net::Shutdown::Write).unwrap();
    /// assert!(a.send(b"late").is_err()); // EPIPE
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.sock.get_ref().shutdown(how)
    }

    /// A second handle on this socket (a `dup` of the fd); options are shared, as in std.
    ///
    /// ```
    /// let (a, b) = gpm::net::unix::UnixDatagram::pair().unwrap();
    /// let a2 = a.try_clone().unwrap();
    /// a2.send(b"c").unwrap();
    /// let mut buf = [0; 1];
    /// assert_eq!(b.recv(&mut buf).unwrap(), 1);
    /// ```
    pub fn try_clone(&self) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            sock: self.sock.try_clone(net::UnixDatagram::try_clone)?,
        })
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// ```
    /// let (a, _b) = gpm::net::unix::UnixDatagram::pair().unwrap();
    /// assert!(a.take_error().unwrap().is_none());
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock.get_ref().take_error()
    }

    timeouts!();
    nonblocking!();
}
