//! Waiting for readiness: a goroutine parks on its fd's slot; a plain thread (or a
//! goroutine whose fd belongs to another runtime's poller) blocks in `poll(2)`.

use std::cell::Cell;
use std::io;
use std::os::fd::RawFd;
use std::time::Instant;

use gpm_g::{GRef, TimerAction};

use crate::desc::{Desc, Dir};
use crate::poller::NetPoller;
use crate::slot::{Slot, Token};

/// The error a wait on a closing fd returns (Go's `ErrNetClosing`).
pub(crate) fn closed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "gpm: use of a closed network connection (its registration was dropped while waiting)",
    )
}

/// The error a wait past its deadline returns: the same `EAGAIN` a std socket with a read
/// or write timeout returns on Unix, so code written for std sees what it expects.
pub(crate) fn timeout_error() -> io::Error {
    io::Error::from_raw_os_error(libc::EAGAIN)
}

/// Parks the calling goroutine until `desc` may be ready in `dir`, the deadline passes or
/// the fd closes. `seen` is the slot's [`Slot::seq`] from before the I/O attempt that would
/// have blocked. `Ok` means "retry the I/O" (readiness may be spurious); the caller loops.
pub(crate) fn park_on(
    poller: &NetPoller,
    desc: &Desc,
    dir: Dir,
    seen: usize,
    deadline: Option<Instant>,
) -> io::Result<()> {
    if desc.is_closed() {
        return Err(closed_error());
    }
    if deadline.is_some_and(|d| Instant::now() >= d) {
        return Err(timeout_error());
    }
    let slot = desc.slot(dir);
    poller.waiter_parks();
    // Leaves the slot (and the waiter count) however the park ends, including the forced
    // unwind of a runtime shutdown, so no slot keeps a token of a finished wait. `me` is
    // set by the park hook, which always runs.
    struct Leave<'a> {
        poller: &'a NetPoller,
        slot: &'a Slot<GRef>,
        me: Cell<usize>,
    }
    impl Drop for Leave<'_> {
        fn drop(&mut self) {
            if self.me.get() != 0 {
                drop(self.slot.leave(self.me.get()));
            }
            self.poller.waiter_returns();
        }
    }
    let leave = Leave {
        poller,
        slot,
        me: Cell::new(0),
    };
    gpm_g::park(|g: &GRef| {
        leave.me.set(g.addr());
        if slot.arm(g.clone(), seen).is_err() {
            leave.me.set(0);
            return false;
        }
        if let Some(d) = deadline {
            // Timers cannot be cancelled yet: one that fires after this wait ended readies
            // the goroutine spuriously, which every park caller tolerates.
            g.sched().add_timer(d, TimerAction::Ready(g.clone()));
        }
        true
    });
    drop(leave);
    Ok(())
}

/// Blocks the calling thread in `poll(2)` until `fd` is ready in `dir` or the deadline
/// passes (the std behaviour, for threads outside the runtime).
pub(crate) fn block_on_fd(fd: RawFd, dir: Dir, deadline: Option<Instant>) -> io::Result<()> {
    let events = match dir {
        Dir::Read => libc::POLLIN,
        Dir::Write => libc::POLLOUT,
    };
    loop {
        let timeout_ms = match deadline {
            None => -1,
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    return Err(timeout_error());
                }
                // Round up so that we never wake before the deadline and spin.
                let left = d - now;
                let ms = left.as_millis() + u128::from(!left.as_nanos().is_multiple_of(1_000_000));
                ms.min(i32::MAX as u128) as i32
            }
        };
        let mut pfd = libc::pollfd {
            fd,
            events,
            revents: 0,
        };
        // SAFETY: `pfd` is a valid pollfd for the duration of the call; nfds is 1.
        let n = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
        if n > 0 {
            return Ok(());
        }
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}
