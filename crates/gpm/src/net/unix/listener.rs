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
///
/// ```
/// let path = std::env::temp_dir().join(format!("gpm-doc-{}-listener.sock", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// use std::io::{Read, Write};
/// use gpm::net::unix::{UnixListener, UnixStream};
///
/// let listener = UnixListener::bind(&path).unwrap();
/// let server = gpm::go!(move || {
///     let (mut s, _) = listener.accept().unwrap(); // parks until a client connects
///     s.write_all(b"welcome").unwrap();
/// });
/// let mut c = UnixStream::connect(&path).unwrap();
/// let mut msg = String::new();
/// c.read_to_string(&mut msg).unwrap();
/// assert_eq!(msg, "welcome");
/// server.join().unwrap();
/// std::fs::remove_file(&path).unwrap();
/// ```
pub struct UnixListener {
    sock: Sock<net::UnixListener>,
}

fd_impls!(UnixListener, net::UnixListener);

impl UnixListener {
    /// Binds to the socket file `path` (which must not exist) and listens, with the
    /// system's deepest accept queue (std asks for 128).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-bind.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = gpm::net::unix::UnixListener::bind(&path).unwrap();
    /// assert!(path.exists()); // the socket file
    /// assert!(gpm::net::unix::UnixListener::bind(&path).is_err()); // it must not exist
    /// drop(listener);
    /// std::fs::remove_file(&path).unwrap(); // dropping does not remove it
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_std(listen::unix(path.as_ref())?)
    }

    /// Binds to `addr` and listens.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-bind-addr.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// use gpm::net::unix::{SocketAddr, UnixListener, UnixStream};
    ///
    /// let addr = SocketAddr::from_pathname(&path).unwrap();
    /// let listener = UnixListener::bind_addr(&addr).unwrap();
    /// let _c = UnixStream::connect_addr(&addr).unwrap();
    /// assert!(listener.accept().is_ok());
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixListener> {
        UnixListener::from_std(net::UnixListener::bind_addr(addr)?)
    }

    /// Accepts a connection, parking the goroutine until one arrives.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-accept.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// use gpm::net::unix::{UnixListener, UnixStream};
    ///
    /// let listener = UnixListener::bind(&path).unwrap();
    /// let server = gpm::go!(move || {
    ///     let (s, _addr) = listener.accept().unwrap();
    ///     s.peer_addr().unwrap().is_unnamed() // the client did not bind a path
    /// });
    /// let _c = UnixStream::connect(&path).unwrap();
    /// assert!(server.join().unwrap());
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (std, addr) = self.sock.read(|l| l.accept())?;
        Ok((UnixStream::accepted(std)?, addr))
    }

    /// An endless iterator of [`UnixListener::accept`]ed streams (never `None`).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-incoming.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// use gpm::net::unix::{UnixListener, UnixStream};
    ///
    /// let listener = UnixListener::bind(&path).unwrap();
    /// let server = gpm::go!(move || listener.incoming().take(3).filter(|s| s.is_ok()).count());
    /// let clients: Vec<_> = (0..3).map(|_| UnixStream::connect(&path).unwrap()).collect();
    /// assert_eq!(server.join().unwrap(), 3);
    /// drop(clients);
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// Wraps a listening std socket, switching it to non-blocking mode. Also available as
    /// `UnixListener::try_from(std)`.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-from-std.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    /// let listener = gpm::net::unix::UnixListener::from_std(std_listener).unwrap(); // or `try_from`
    /// let _c = std::os::unix::net::UnixStream::connect(&path).unwrap();
    /// assert!(gpm::go!(move || listener.accept().is_ok()).join().unwrap());
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn from_std(std: net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            sock: Sock::fresh(std)?,
        })
    }

    /// The std listener back, in blocking mode (unless non-blocking mode was turned on).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-into-std.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = gpm::net::unix::UnixListener::bind(&path).unwrap();
    /// let std_listener: std::os::unix::net::UnixListener = listener.into_std().unwrap();
    /// let _c = std::os::unix::net::UnixStream::connect(&path).unwrap();
    /// assert!(std_listener.accept().is_ok());
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<net::UnixListener> {
        self.sock.into_std()
    }

    /// The local address.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-local-addr.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = gpm::net::unix::UnixListener::bind(&path).unwrap();
    /// assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().local_addr()
    }

    /// A second handle on this listener (a `dup` of the fd), sharing the non-blocking mode.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-try-clone.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = gpm::net::unix::UnixListener::bind(&path).unwrap();
    /// let other = listener.try_clone().unwrap();
    /// let _c = gpm::net::unix::UnixStream::connect(&path).unwrap();
    /// assert!(gpm::go!(move || other.accept().is_ok()).join().unwrap()); // same queue
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn try_clone(&self) -> io::Result<UnixListener> {
        Ok(UnixListener {
            sock: self.sock.try_clone(net::UnixListener::try_clone)?,
        })
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-doc-{}-take-error.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = gpm::net::unix::UnixListener::bind(&path).unwrap();
    /// assert!(listener.take_error().unwrap().is_none());
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock.get_ref().take_error()
    }

    nonblocking!();
}

/// The iterator of [`UnixListener::incoming`]: each item is one `accept`.
///
/// ```
/// let path = std::env::temp_dir().join(format!("gpm-doc-{}-incoming-struct.sock", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let listener = gpm::net::unix::UnixListener::bind(&path).unwrap();
/// let _c = gpm::net::unix::UnixStream::connect(&path).unwrap();
/// let mut incoming: gpm::net::unix::Incoming<'_> = listener.incoming();
/// assert!(incoming.next().unwrap().is_ok()); // never `None`: each item is one accept
/// std::fs::remove_file(&path).unwrap();
/// ```
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
