//! `Desc`: what the netpoller keeps per registered fd (Go's `pollDesc`): its two wait slots
//! and whether it is closing.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};

use gpm_g::GRef;

use crate::slot::Slot;

/// A registered fd.
pub(crate) struct Desc {
    fd: RawFd,
    key: usize,
    pub(crate) read: Slot<GRef>,
    pub(crate) write: Slot<GRef>,
    closed: AtomicBool,
}

/// Which way a goroutine waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Until the fd is readable (or has an error or hang-up).
    Read,
    /// Until the fd is writable (or has an error or hang-up).
    Write,
}

impl Desc {
    pub(crate) fn new(fd: RawFd, key: usize) -> Desc {
        Desc {
            fd,
            key,
            read: Slot::new(),
            write: Slot::new(),
            closed: AtomicBool::new(false),
        }
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.fd
    }

    pub(crate) fn key(&self) -> usize {
        self.key
    }

    pub(crate) fn slot(&self, dir: Dir) -> &Slot<GRef> {
        match dir {
            Dir::Read => &self.read,
            Dir::Write => &self.write,
        }
    }

    /// True once the registration is going away.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Marks the fd closing, then wakes every waiter: each sees `is_closed` when it
    /// re-checks (Go's `netpollunblock` from `poll_runtime_pollUnblock`). SeqCst pairs
    /// with the waiter's check before it arms: either it sees the flag or it armed before our
    /// notify and is woken by it.
    pub(crate) fn close(&self, mut wake: impl FnMut(GRef)) {
        self.closed.store(true, Ordering::SeqCst);
        self.read.notify(&mut wake);
        self.write.notify(&mut wake);
    }
}
