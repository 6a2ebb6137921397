//! The trait impls every `gpm::net` type shares, written once as macros: the fd traits
//! and conversions from std (`fd_impls!`), `Read`/`Write` for a stream and for a shared
//! reference to it (`stream_io!`), and the std timeout and non-blocking methods
//! (`timeouts!`, `nonblocking!`).
//!
//! Each type they apply to has a field `sock: Sock<StdType>` and the inherent methods
//! `from_std(StdType) -> io::Result<Self>` and `into_std(self) -> io::Result<StdType>`.

/// `Debug`, `AsFd`, `AsRawFd`, `IntoRawFd`, `FromRawFd` and `TryFrom<StdType>` for `$ty`.
///
/// `from_raw_fd` switches the fd to non-blocking mode and `into_raw_fd` back to blocking
/// mode, like `from_std`/`into_std`; both panic only if `fcntl` fails on the fd, which
/// means it was not an open fd (against `from_raw_fd`'s contract).
macro_rules! fd_impls {
    ($ty:ty, $std:ty) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(self.sock.get_ref(), f)
            }
        }

        impl ::std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> ::std::os::fd::BorrowedFd<'_> {
                self.sock.as_fd()
            }
        }

        impl ::std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> ::std::os::fd::RawFd {
                ::std::os::fd::AsRawFd::as_raw_fd(self.sock.get_ref())
            }
        }

        impl ::std::os::fd::IntoRawFd for $ty {
            fn into_raw_fd(self) -> ::std::os::fd::RawFd {
                let std = self
                    .into_std()
                    .expect("gpm::net: cannot switch the fd back to blocking mode");
                ::std::os::fd::IntoRawFd::into_raw_fd(std)
            }
        }

        impl ::std::os::fd::FromRawFd for $ty {
            unsafe fn from_raw_fd(fd: ::std::os::fd::RawFd) -> Self {
                // SAFETY: the caller hands us an open socket fd it owns, as
                // `FromRawFd::from_raw_fd` requires of it.
                let std = unsafe { <$std as ::std::os::fd::FromRawFd>::from_raw_fd(fd) };
                <$ty>::from_std(std).expect("gpm::net: cannot make the fd non-blocking")
            }
        }

        impl ::std::convert::TryFrom<$std> for $ty {
            type Error = ::std::io::Error;

            /// Same as `from_std`.
            fn try_from(std: $std) -> ::std::io::Result<Self> {
                <$ty>::from_std(std)
            }
        }
    };
}

/// `Read` and `Write` (with the vectored calls and `flush`) for `$ty` and `&$ty`, like
/// std implements them for `TcpStream` and `&TcpStream`.
macro_rules! stream_io {
    ($ty:ty) => {
        impl ::std::io::Read for &$ty {
            fn read(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                let len = buf.len();
                self.sock
                    .read_stream(len, |s| ::std::io::Read::read(&mut &*s, buf))
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::io::Result<usize> {
                let len = bufs.iter().map(|b| b.len()).sum();
                self.sock
                    .read_stream(len, |s| ::std::io::Read::read_vectored(&mut &*s, bufs))
            }
        }

        impl ::std::io::Write for &$ty {
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                let len = buf.len();
                self.sock
                    .write_stream(len, |s| ::std::io::Write::write(&mut &*s, buf))
            }

            fn write_vectored(
                &mut self,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::io::Result<usize> {
                let len = bufs.iter().map(|b| b.len()).sum();
                self.sock
                    .write_stream(len, |s| ::std::io::Write::write_vectored(&mut &*s, bufs))
            }

            fn flush(&mut self) -> ::std::io::Result<()> {
                Ok(())
            }
        }

        impl ::std::io::Read for $ty {
            fn read(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                ::std::io::Read::read(&mut &*self, buf)
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::io::Result<usize> {
                ::std::io::Read::read_vectored(&mut &*self, bufs)
            }
        }

        impl ::std::io::Write for $ty {
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                ::std::io::Write::write(&mut &*self, buf)
            }

            fn write_vectored(
                &mut self,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::io::Result<usize> {
                ::std::io::Write::write_vectored(&mut &*self, bufs)
            }

            fn flush(&mut self) -> ::std::io::Result<()> {
                Ok(())
            }
        }
    };
}

/// `set_read_timeout`, `read_timeout`, `set_write_timeout` and `write_timeout`, inherent methods with std's signatures and semantics (the std
/// socket's own setter validates the value, so `Some(Duration::ZERO)` is `InvalidInput`).
macro_rules! timeouts {
    () => {
        /// Sets the read timeout: a read (or receive) that waits longer fails with
        /// `ErrorKind::WouldBlock` (`EAGAIN`), as std's does on Unix. `None` waits forever;
        /// `Some(Duration::ZERO)` is an `InvalidInput` error. Inside a goroutine the wait
        /// runs on the runtime's timers and parks only the goroutine. Shared with the
        /// `try_clone`s of this socket.
        ///
        /// ```
        /// use std::io::ErrorKind;
        /// use std::time::Duration;
        ///
        /// // Shown on a UDP socket; the TCP and Unix stream and datagram sockets work alike.
        /// let s = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        /// s.set_read_timeout(Some(Duration::from_millis(1))).unwrap();
        /// let mut buf = [0; 8];
        /// let e = gpm::go!(move || s.recv_from(&mut buf).unwrap_err()).join().unwrap();
        /// assert_eq!(e.kind(), ErrorKind::WouldBlock); // EAGAIN, as std reports it on Linux
        /// let s = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        /// assert_eq!(s.set_read_timeout(Some(Duration::ZERO)).unwrap_err().kind(), ErrorKind::InvalidInput);
        /// ```
        pub fn set_read_timeout(
            &self,
            dur: Option<::std::time::Duration>,
        ) -> ::std::io::Result<()> {
            self.sock.get_ref().set_read_timeout(dur)?;
            self.sock.opts().set_read_timeout(dur);
            Ok(())
        }

        /// The read timeout (`None`: reads wait forever).
        ///
        /// ```
        /// use std::time::Duration;
        ///
        /// let s = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        /// assert_eq!(s.read_timeout().unwrap(), None);
        /// s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        /// assert_eq!(s.read_timeout().unwrap(), Some(Duration::from_secs(3)));
        /// assert_eq!(s.try_clone().unwrap().read_timeout().unwrap(), Some(Duration::from_secs(3)));
        /// ```
        pub fn read_timeout(&self) -> ::std::io::Result<Option<::std::time::Duration>> {
            Ok(self.sock.opts().read_timeout())
        }

        /// Sets the write timeout, like [`Self::set_read_timeout`] for writes (and sends).
        ///
        /// ```
        /// use std::io::{ErrorKind, Write};
        /// use std::time::Duration;
        ///
        /// // Shown on a Unix stream pair nobody reads from; the other sockets work alike.
        /// let (mut a, _b) = gpm::net::unix::UnixStream::pair().unwrap();
        /// a.set_write_timeout(Some(Duration::from_millis(1))).unwrap();
        /// let chunk = [0u8; 64 * 1024];
        /// let err = loop {
        ///     // Fills the socket buffer; then a write waits 1 ms and fails.
        ///     if let Err(e) = a.write(&chunk) {
        ///         break e;
        ///     }
        /// };
        /// assert_eq!(err.kind(), ErrorKind::WouldBlock);
        /// ```
        pub fn set_write_timeout(
            &self,
            dur: Option<::std::time::Duration>,
        ) -> ::std::io::Result<()> {
            self.sock.get_ref().set_write_timeout(dur)?;
            self.sock.opts().set_write_timeout(dur);
            Ok(())
        }

        /// The write timeout (`None`: writes wait forever).
        ///
        /// ```
        /// use std::time::Duration;
        ///
        /// let s = gpm::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        /// assert_eq!(s.write_timeout().unwrap(), None);
        /// s.set_write_timeout(Some(Duration::from_millis(250))).unwrap();
        /// assert_eq!(s.write_timeout().unwrap(), Some(Duration::from_millis(250)));
        /// ```
        pub fn write_timeout(&self) -> ::std::io::Result<Option<::std::time::Duration>> {
            Ok(self.sock.opts().write_timeout())
        }
    };
}

/// `set_nonblocking` with std's meaning: in non-blocking mode an operation that would wait
/// fails with `ErrorKind::WouldBlock` instead. Shared with the `try_clone`s.
macro_rules! nonblocking {
    () => {
        /// Moves the socket into or out of non-blocking mode: when on, an operation that
        /// would wait fails with `ErrorKind::WouldBlock` at once instead of parking.
        /// Shared with the `try_clone`s of this socket, as in std.
        ///
        /// ```
        /// use std::io::ErrorKind;
        ///
        /// // Shown on a TCP listener; every gpm::net socket works alike.
        /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0").unwrap();
        /// listener.set_nonblocking(true).unwrap();
        /// assert_eq!(listener.accept().unwrap_err().kind(), ErrorKind::WouldBlock); // nobody there
        /// listener.set_nonblocking(false).unwrap(); // `accept` waits again
        /// ```
        pub fn set_nonblocking(&self, nonblocking: bool) -> ::std::io::Result<()> {
            self.sock.opts().set_nonblocking(nonblocking);
            Ok(())
        }
    };
}
