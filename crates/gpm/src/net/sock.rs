//! `Sock<T>`: what every `gpm::net` type is made of — an [`Evented`] std socket plus its
//! shared [`Opts`]. It turns "an operation that may say `WouldBlock`" into a blocking-style
//! one: the goroutine parks on the netpoller (the thread blocks in `poll(2)` outside a
//! goroutine) until the socket is ready or the timeout passes, unless the socket was put in
//! non-blocking mode, when the `WouldBlock` is returned as std would.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::Arc;

use gpm_netpoll::{set_nonblocking, Evented};

use super::opts::Opts;

/// A non-blocking std socket `T` with blocking-style operations.
pub(crate) struct Sock<T: AsRawFd> {
    ev: Evented<T>,
    opts: Arc<Opts>,
}

impl<T: AsRawFd> Sock<T> {
    /// Wraps `io` (switching its fd to non-blocking mode) with `opts`.
    pub(crate) fn new(io: T, opts: Arc<Opts>) -> io::Result<Sock<T>> {
        Ok(Sock {
            ev: Evented::new(io)?,
            opts,
        })
    }

    /// Wraps `io` with fresh options: blocking, no timeouts.
    pub(crate) fn fresh(io: T) -> io::Result<Sock<T>> {
        Sock::new(io, Arc::default())
    }

    /// The std socket (its fd is non-blocking: do not call its own I/O methods directly
    /// expecting them to wait).
    pub(crate) fn get_ref(&self) -> &T {
        self.ev.get_ref()
    }

    pub(crate) fn evented(&self) -> &Evented<T> {
        &self.ev
    }

    pub(crate) fn opts(&self) -> &Opts {
        &self.opts
    }

    /// Runs `op` until it does not say `WouldBlock`, waiting for readability in between, for
    /// at most the read timeout.
    pub(crate) fn read<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        if self.opts.nonblocking() {
            return op(self.get_ref());
        }
        self.ev.read_with(self.opts.read_timeout(), op)
    }

    /// [`Sock::read`] for a stream read into `len` bytes of buffer (see
    /// `Evented::read_stream`: a short read means the socket is drained).
    pub(crate) fn read_stream(
        &self,
        len: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        if self.opts.nonblocking() {
            return op(self.get_ref());
        }
        self.ev.read_stream(self.opts.read_timeout(), len, op)
    }

    /// [`Sock::write`] for a stream write of `len` bytes (a short write filled the buffer).
    pub(crate) fn write_stream(
        &self,
        len: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        if self.opts.nonblocking() {
            return op(self.get_ref());
        }
        self.ev.write_stream(self.opts.write_timeout(), len, op)
    }

    /// Like [`Sock::read`], waiting for writability, for at most the write timeout.
    pub(crate) fn write<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        if self.opts.nonblocking() {
            return op(self.get_ref());
        }
        self.ev.write_with(self.opts.write_timeout(), op)
    }

    /// A second handle on the same socket: `dup` duplicates the std socket, and the clone
    /// gets its own registration but shares the options.
    pub(crate) fn try_clone(&self, dup: impl FnOnce(&T) -> io::Result<T>) -> io::Result<Sock<T>> {
        Sock::new(dup(self.get_ref())?, self.opts.clone())
    }

    /// The std socket back: deregistered, and blocking unless `set_nonblocking(true)` was
    /// called on this one (the timeouts are already on the socket).
    pub(crate) fn into_std(self) -> io::Result<T> {
        let nonblocking = self.opts.nonblocking();
        let io = self.ev.into_inner()?;
        if nonblocking {
            set_nonblocking(io.as_raw_fd(), true)?;
        }
        Ok(io)
    }
}

impl<T: AsRawFd + AsFd> Sock<T> {
    pub(crate) fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}
