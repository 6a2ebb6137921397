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
///
/// ```
/// use std::io::{Read, Write};
///
/// let (a, mut b) = gpm::net::unix::UnixStream::pair().unwrap();
/// let h = gpm::go!(move || {
///     let mut a = a;
///     let mut buf = [0; 4];
///     a.read_exact(&mut buf).unwrap(); // parks until the bytes arrive
///     a.write_all(&buf).unwrap();
/// });
/// b.write_all(b"echo").unwrap();
/// let mut back = [0; 4];
/// b.read_exact(&mut back).unwrap();
/// assert_eq!(&back, b"echo");
/// h.join().unwrap();
/// ```
pub struct UnixStream {
    sock: Sock<net::UnixStream>,
}

fd_impls!(UnixStream, net::UnixStream);
stream_io!(UnixStream);

impl UnixStream {
    /// Connects to the socket file `path` (std's connect: see the [module docs](super)).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-connect.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = gpm::net::unix::UnixListener::bind(&path).unwrap();
    /// let c = gpm::net::unix::UnixStream::connect(&path).unwrap();
    /// assert_eq!(c.peer_addr().unwrap().as_pathname(), Some(path.as_path()));
    /// assert!(listener.accept().is_ok());
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        UnixStream::accepted(net::UnixStream::connect(path)?)
    }

    /// Connects to `addr`.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-connect-addr.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = gpm::net::unix::UnixListener::bind(&path).unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let c = gpm::net::unix::UnixStream::connect_addr(&addr).unwrap();
    /// assert!(c.peer_addr().unwrap().as_pathname().is_some());
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn connect_addr(addr: &SocketAddr) -> io::Result<UnixStream> {
        UnixStream::accepted(net::UnixStream::connect_addr(addr)?)
    }

    /// A connected pair of unnamed sockets.
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let (mut a, mut b) = gpm::net::unix::UnixStream::pair().unwrap();
    /// a.write_all(b"to b").unwrap();
    /// let mut buf = [0; 4];
    /// b.read_exact(&mut buf).unwrap();
    /// assert_eq!(&buf, b"to b");
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = net::UnixStream::pair()?;
        Ok((UnixStream::accepted(a)?, UnixStream::accepted(b)?))
    }

    /// Wraps a std stream, switching it to non-blocking mode and taking over its timeouts.
    /// Also available as `UnixStream::try_from(std)`.
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let mut a = gpm::net::unix::UnixStream::from_std(a).unwrap(); // or `try_from`
    /// b.write_all(b"!").unwrap();
    /// let mut buf = [0; 1];
    /// a.read_exact(&mut buf).unwrap();
    /// assert_eq!(&buf, b"!");
    /// ```
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
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let (a, mut b) = gpm::net::unix::UnixStream::pair().unwrap();
    /// let mut a: std::os::unix::net::UnixStream = a.into_std().unwrap(); // blocking again
    /// b.write_all(b"?").unwrap();
    /// let mut buf = [0; 1];
    /// a.read_exact(&mut buf).unwrap();
    /// assert_eq!(&buf, b"?");
    /// ```
    pub fn into_std(self) -> io::Result<net::UnixStream> {
        self.sock.into_std()
    }

    /// The peer's address.
    ///
    /// ```
    /// let (a, _b) = gpm::net::unix::UnixStream::pair().unwrap();
    /// assert!(a.peer_addr().unwrap().is_unnamed()); // a pair has no paths
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().peer_addr()
    }

    /// The local address.
    ///
    /// ```
    /// let (a, _b) = gpm::net::unix::UnixStream::pair().unwrap();
    /// assert!(a.local_addr().unwrap().as_pathname().is_none());
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().local_addr()
    }

    /// Shuts down the read half, the write half or both.
    ///
    /// ```
    /// use std::io::Read;
    /// use gpm::net::Shutdown;
    ///
    /// let (a, mut b) = gpm::net::unix::UnixStream::pair().unwrap();
    /// a.shutdown(Shutdown::Write).unwrap();
    /// let mut rest = Vec::new();
    /// assert_eq!(b.read_to_end(&mut rest).unwrap(), 0); // end of file at once
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.sock.get_ref().shutdown(how)
    }

    /// A second handle on this stream (a `dup` of the fd) with its own registration;
    /// options are shared, as in std.
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let (a, mut b) = gpm::net::unix::UnixStream::pair().unwrap();
    /// let mut a2 = a.try_clone().unwrap();
    /// a2.write_all(b"via clone").unwrap();
    /// drop((a, a2)); // both handles closed: b reads to the end
    /// let mut s = String::new();
    /// b.read_to_string(&mut s).unwrap();
    /// assert_eq!(s, "via clone");
    /// ```
    pub fn try_clone(&self) -> io::Result<UnixStream> {
        Ok(UnixStream {
            sock: self.sock.try_clone(net::UnixStream::try_clone)?,
        })
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// ```
    /// let (a, _b) = gpm::net::unix::UnixStream::pair().unwrap();
    /// assert!(a.take_error().unwrap().is_none());
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock.get_ref().take_error()
    }

    timeouts!();
    nonblocking!();
}
