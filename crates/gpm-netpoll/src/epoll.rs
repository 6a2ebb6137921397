//! Linux: waiting on the poller's epoll instance with one system call.
//!
//! `polling::Poller::wait` costs five system calls on Linux: it arms a timerfd for the
//! timeout (`timerfd_settime`, then an `epoll_ctl` to re-enable it), waits, and drains and
//! re-arms its eventfd notifier. The sleeper M polls every time the runtime runs out of
//! work, and the other Ms every 61st schedule, so that overhead was about a sixth of all
//! system calls in the echo benchmark (strace counts). gpm keeps `polling` for registration
//! (`add` in edge mode, `delete`), and on Linux waits itself: `epoll_pwait2` (nanosecond
//! timeout; `epoll_wait` in milliseconds, rounded up, on kernels before 5.11) on the same
//! epoll fd, with its own eventfd, registered edge-triggered through `polling`, for
//! [`Wait::wake`]. `polling`'s own notifier and timerfd stay registered but are never
//! armed, so they never fire. [`Wait::watch_hangup`] adds `EPOLLRDHUP` to each fd's
//! interest, which `polling` cannot express.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use polling::{Event, PollMode, Poller};

/// The event key of the wake-up eventfd (`polling` uses `usize::MAX` for its own).
pub(crate) const WAKE_KEY: usize = usize::MAX - 1;

/// One event: its key and directions.
pub(crate) struct Ready {
    pub(crate) key: usize,
    pub(crate) readable: bool,
    pub(crate) writable: bool,
    /// The peer shut down its side, or the fd hung up or has an error.
    pub(crate) hup: bool,
}

/// The waiting side of one epoll instance.
pub(crate) struct Wait {
    epfd: RawFd,
    wake_fd: OwnedFd,
    /// A wake-up is pending (written and not yet drained): later ones need no write.
    notified: AtomicBool,
    /// `epoll_pwait2` is not available (ENOSYS): use `epoll_wait`.
    no_pwait2: AtomicBool,
    buf: parking_lot::Mutex<Vec<libc::epoll_event>>,
}

const BATCH: usize = 256;

impl Wait {
    /// Sets up waiting on `poller`'s epoll fd.
    pub(crate) fn new(poller: &Poller) -> io::Result<Wait> {
        // SAFETY: eventfd takes no pointers; we own the fd it returns.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh eventfd that nothing else owns.
        let wake_fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: `NetPoller` declares its `Poller` before its `Wait`, so the epoll
        // instance is dropped (closed) before this eventfd is: the fd outlives its
        // registration, as `add` requires.
        unsafe { poller.add_with_mode(fd, Event::readable(WAKE_KEY), PollMode::Edge)? };
        Ok(Wait {
            epfd: poller.as_raw_fd(),
            wake_fd,
            notified: AtomicBool::new(false),
            no_pwait2: AtomicBool::new(false),
            buf: parking_lot::Mutex::new(Vec::with_capacity(BATCH)),
        })
    }

    /// Adds `EPOLLRDHUP` to the interest of `fd`, registered by `polling` (which has no
    /// such flag) edge-triggered for both directions under `key`. The hang-up bit is what
    /// makes it safe to skip the read after a short read (see `Slot::is_drained`).
    pub(crate) fn watch_hangup(&self, fd: RawFd, key: usize) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events: (libc::EPOLLIN
                | libc::EPOLLOUT
                | libc::EPOLLRDHUP
                | libc::EPOLLHUP
                | libc::EPOLLERR
                | libc::EPOLLPRI
                | libc::EPOLLET) as u32,
            u64: key as u64,
        };
        // SAFETY: `ev` is a valid epoll_event for the duration of the call; `fd` is
        // registered on our epoll instance (the caller just added it).
        if unsafe { libc::epoll_ctl(self.epfd, libc::EPOLL_CTL_MOD, fd, &mut ev) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Makes the current or next blocking [`Wait::wait`] return (a non-blocking poll
    /// leaves the wake-up for it).
    pub(crate) fn wake(&self) {
        if self.notified.swap(true, Ordering::AcqRel) {
            return;
        }
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd. A full counter (EAGAIN)
        // still leaves it readable, which is all a wake-up needs.
        unsafe {
            libc::write(
                self.wake_fd.as_raw_fd(),
                (&one as *const u64).cast(),
                std::mem::size_of::<u64>(),
            );
        }
    }

    /// Waits up to `timeout` (`None`: forever) and calls `f` for each event other than a
    /// wake-up.
    ///
    /// A poll (`timeout` zero) returns at once with nothing if another thread is polling;
    /// it leaves a wake-up it sees pending (see [`Wait::wake`]), since it is not the wait
    /// that the wake-up was meant to end. A wait for longer takes its turn behind such a
    /// poll instead of returning (returning sent the sleeper M round its loop, up to 90,000
    /// times a second in the echo benchmark, burning the CPU the poll's holder needed), and
    /// returns at once if a wake-up is pending.
    pub(crate) fn wait(&self, timeout: Option<Duration>, mut f: impl FnMut(Ready)) {
        let poll = timeout == Some(Duration::ZERO);
        let mut buf = if poll {
            match self.buf.try_lock() {
                Some(buf) => buf,
                None => return,
            }
        } else {
            let buf = self.buf.lock();
            if self.notified.load(Ordering::Acquire) {
                self.drain_wake();
                return;
            }
            buf
        };
        buf.clear();
        let n = loop {
            match self.epoll(&mut buf, timeout) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    eprintln!("gpm: netpoll wait failed: {e}");
                    return;
                }
            }
        };
        // SAFETY: the kernel initialised the first `n` entries.
        unsafe { buf.set_len(n) };
        for ev in buf.iter() {
            let key = ev.u64 as usize;
            if key == WAKE_KEY {
                if !poll {
                    self.drain_wake();
                }
                continue;
            }
            let bits = ev.events as libc::c_int;
            f(Ready {
                key,
                readable: bits & (libc::EPOLLIN | libc::EPOLLHUP | libc::EPOLLERR | libc::EPOLLPRI)
                    != 0,
                writable: bits & (libc::EPOLLOUT | libc::EPOLLHUP | libc::EPOLLERR) != 0,
                hup: bits & (libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) != 0,
            });
        }
    }

    fn drain_wake(&self) {
        self.notified.store(false, Ordering::Release);
        let mut v: u64 = 0;
        // SAFETY: reads at most 8 bytes into a live u64 from our non-blocking eventfd.
        unsafe {
            libc::read(
                self.wake_fd.as_raw_fd(),
                (&mut v as *mut u64).cast(),
                std::mem::size_of::<u64>(),
            );
        }
    }

    fn epoll(
        &self,
        buf: &mut Vec<libc::epoll_event>,
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        let cap = buf.capacity() as libc::c_int;
        if !self.no_pwait2.load(Ordering::Relaxed) {
            let ts = timeout.map(|t| libc::timespec {
                tv_sec: t.as_secs().min(i64::MAX as u64) as libc::time_t,
                tv_nsec: t.subsec_nanos() as libc::c_long,
            });
            let tsp = ts
                .as_ref()
                .map_or(std::ptr::null(), |t| t as *const libc::timespec);
            // SAFETY: `buf` has room for `cap` events; `tsp` is null or points at a live
            // timespec; no signal mask is passed.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_epoll_pwait2,
                    self.epfd,
                    buf.as_mut_ptr(),
                    cap,
                    tsp,
                    std::ptr::null::<libc::sigset_t>(),
                    0usize,
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::ENOSYS) {
                return Err(e);
            }
            self.no_pwait2.store(true, Ordering::Relaxed);
        }
        let ms = match timeout {
            None => -1,
            Some(t) => {
                let ms = t.as_millis() + u128::from(!t.as_nanos().is_multiple_of(1_000_000));
                ms.min(i32::MAX as u128) as libc::c_int
            }
        };
        // SAFETY: `buf` has room for `cap` events.
        let n = unsafe { libc::epoll_wait(self.epfd, buf.as_mut_ptr(), cap, ms) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use polling::Poller;

    use super::Wait;

    /// How long a wait that should return at once may take before the test calls it lost
    /// (a failure bound only: a passing run never waits for it).
    const LOST: Duration = Duration::from_secs(30);

    /// A poller and its wait side, leaked so that a wait that hangs can be left behind on
    /// its thread while the test fails (as `gpm`'s tests' `within` does).
    fn leaked_wait() -> &'static Wait {
        let poller: &'static Poller = Box::leak(Box::new(Poller::new().unwrap()));
        Box::leak(Box::new(Wait::new(poller).unwrap()))
    }

    /// Runs a blocking `wait` on another thread and fails if it does not return.
    fn blocking_wait_returns(w: &'static Wait, what: &str) {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            w.wait(None, |_| panic!("no fd is registered"));
            let _ = tx.send(());
        });
        assert!(rx.recv_timeout(LOST).is_ok(), "{what}");
    }

    #[test]
    fn a_wake_ends_the_next_blocking_wait() {
        let w = leaked_wait();
        w.wake();
        blocking_wait_returns(w, "a blocking wait missed a wake-up made before it");
        assert!(!w.notified.load(std::sync::atomic::Ordering::Relaxed));
    }

    #[test]
    fn a_poll_leaves_the_wake_for_the_blocking_wait() {
        // The sleeper M is nudged (a new timer, shutdown) while another M's non-blocking
        // poll holds the buffer: the poll sees the eventfd's edge but must not consume the
        // wake-up, or the sleeper then blocks past its timer.
        let w = leaked_wait();
        w.wake();
        w.wait(Some(Duration::ZERO), |_| panic!("no fd is registered"));
        blocking_wait_returns(w, "a poll consumed the wake-up meant for the blocking wait");
    }
}
