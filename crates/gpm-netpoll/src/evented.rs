//! `Evented<T>`: a non-blocking fd with blocking-style I/O on top, the building block of
//! `gpm::net`. An operation that would block parks the calling goroutine on the netpoller
//! of its runtime, or blocks the calling thread in `poll(2)` outside any runtime.
//!
//! The fd is registered lazily, with the poller of the runtime whose goroutine first has
//! to wait on it, and stays registered there until the `Evented` is dropped. A goroutine of
//! another runtime that waits on it blocks its M in `poll(2)`, like a std socket would:
//! correct, but without the M:N benefit.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::desc::{Desc, Dir};
use crate::poller::NetPoller;
use crate::wait::{block_on_fd, park_on};

struct Registration {
    poller: Arc<NetPoller>,
    desc: Arc<Desc>,
}

/// A non-blocking `T` whose would-block operations wait without blocking the M.
pub struct Evented<T: AsRawFd> {
    io: Option<T>,
    reg: OnceLock<Registration>,
    registering: Mutex<()>,
}

impl<T: AsRawFd> std::fmt::Debug for Evented<T>
where
    T: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get_ref().fmt(f)
    }
}

/// Sets or clears `O_NONBLOCK` on `fd`.
pub fn set_nonblocking(fd: RawFd, on: bool) -> io::Result<()> {
    // SAFETY: F_GETFL/F_SETFL on an fd the caller owns; no memory is passed.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 {
            return Err(io::Error::last_os_error());
        }
        let new = if on {
            flags | libc::O_NONBLOCK
        } else {
            flags & !libc::O_NONBLOCK
        };
        if new != flags && libc::fcntl(fd, libc::F_SETFL, new) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// When an operation given `timeout` at `now` must be done by.
fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}

impl<T: AsRawFd> Evented<T> {
    /// Wraps `io`, switching its fd to non-blocking mode.
    pub fn new(io: T) -> io::Result<Self> {
        set_nonblocking(io.as_raw_fd(), true)?;
        Ok(Evented {
            io: Some(io),
            reg: OnceLock::new(),
            registering: Mutex::new(()),
        })
    }

    /// The wrapped I/O object (its fd is non-blocking).
    pub fn get_ref(&self) -> &T {
        self.io
            .as_ref()
            .expect("Evented holds its io until dropped")
    }

    /// Unwraps the I/O object: deregisters it and switches it back to blocking mode, as a
    /// std socket expects.
    pub fn into_inner(mut self) -> io::Result<T> {
        self.deregister();
        let io = self.io.take().expect("Evented holds its io until dropped");
        set_nonblocking(io.as_raw_fd(), false)?;
        Ok(io)
    }

    /// Runs `op` until it does not fail with `WouldBlock`, waiting for readability between
    /// tries, for at most `timeout` in all (then fails with the `EAGAIN` of a std timeout).
    pub fn read_with<R>(
        &self,
        timeout: Option<Duration>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.io_with(Dir::Read, timeout, op, |_| false)
    }

    /// [`Evented::read_with`] for a stream socket's read into `len` bytes of buffer. A read
    /// that returns fewer (but some) bytes drained the socket, so the next call waits for an
    /// event without first trying a read that could only say `WouldBlock`: one system call
    /// fewer per message of a request/response protocol, as in tokio. A hang-up seen by the
    /// poller voids this (an end-of-file is still to be read). Only for reads that consume
    /// what they return (not `peek`), on stream sockets; on Linux, where the poller reports
    /// hang-ups.
    pub fn read_stream(
        &self,
        timeout: Option<Duration>,
        len: usize,
        op: impl FnMut(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        self.io_with(Dir::Read, timeout, op, |&n| n > 0 && n < len)
    }

    /// Like [`Evented::read_stream`] for writes: a short write filled the send buffer.
    pub fn write_stream(
        &self,
        timeout: Option<Duration>,
        len: usize,
        op: impl FnMut(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        self.io_with(Dir::Write, timeout, op, |&n| n > 0 && n < len)
    }

    /// Like [`Evented::read_with`], waiting for writability.
    pub fn write_with<R>(
        &self,
        timeout: Option<Duration>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.io_with(Dir::Write, timeout, op, |_| false)
    }

    /// The retry loop. `short(&r)` says a successful result drained (or filled) the
    /// kernel buffer, see [`Evented::read_stream`].
    fn io_with<R>(
        &self,
        dir: Dir,
        timeout: Option<Duration>,
        mut op: impl FnMut(&T) -> io::Result<R>,
        short: impl Fn(&R) -> bool,
    ) -> io::Result<R> {
        let io = self.get_ref();
        let mut until = None;
        let mut first = true;
        loop {
            // Readiness seen from here on is news to this attempt (see `slot`). Before the
            // fd is registered the count is 0, and registering reports current readiness.
            let slot = self.reg.get().map(|r| r.desc.slot(dir));
            let seen = slot.map_or(0, |s| s.seq());
            // Known drained since the last event: go straight to waiting. Only before the
            // first wait: a wait that ends in `poll(2)` (a thread) is level-triggered and
            // does not move `seq`, so after any wait the loop tries the I/O.
            let skip = first && slot.is_some_and(|s| s.is_drained(seen));
            first = false;
            if !skip {
                match op(io) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Ok(r) => {
                        if cfg!(target_os = "linux") && short(&r) {
                            if let Some(s) = slot {
                                s.mark_drained(seen);
                            }
                        }
                        return Ok(r);
                    }
                    Err(e) => return Err(e),
                }
            }
            // The deadline is taken at the first would-block, so the fast path never reads
            // the clock.
            let until = *until.get_or_insert_with(|| deadline(timeout));
            self.wait(dir, seen, until)?;
        }
    }

    /// Waits once for `dir` readiness (possibly spurious) or fails at `until`.
    fn wait(&self, dir: Dir, seen: usize, until: Option<Instant>) -> io::Result<()> {
        let fd = self.get_ref().as_raw_fd();
        let Some(poller) = gpm_g::current_poller() else {
            return block_on_fd(fd, dir, until);
        };
        match self.registration(poller)? {
            Some(reg) => park_on(&reg.poller, &reg.desc, dir, seen, until),
            None => block_on_fd(fd, dir, until),
        }
    }

    /// This fd's registration, made with `current` if there is none yet; `None` if it is
    /// registered with another runtime's poller.
    fn registration(&self, current: Arc<dyn gpm_g::Poll>) -> io::Result<Option<&Registration>> {
        if let Some(reg) = self.reg.get() {
            let ours = std::ptr::addr_eq(Arc::as_ptr(&current), Arc::as_ptr(&reg.poller));
            return Ok(ours.then_some(reg));
        }
        let Ok(poller) = current.as_any().downcast::<NetPoller>() else {
            return Ok(None);
        };
        let _once = self.registering.lock();
        if let Some(reg) = self.reg.get() {
            let ours = Arc::ptr_eq(&poller, &reg.poller);
            return Ok(ours.then_some(reg));
        }
        let desc = poller.register(self.get_ref().as_raw_fd())?;
        Ok(Some(self.reg.get_or_init(|| Registration { poller, desc })))
    }

    fn deregister(&mut self) {
        if let Some(reg) = self.reg.take() {
            reg.poller.deregister(&reg.desc);
        }
    }
}

impl<T: AsRawFd> Drop for Evented<T> {
    fn drop(&mut self) {
        // Deregister before the fd closes (when `io` drops after this).
        self.deregister();
    }
}
