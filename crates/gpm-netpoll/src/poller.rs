//! `NetPoller`: one runtime's epoll (kqueue on macOS) instance, the table of registered fds,
//! and the schedule loop's side of it ([`gpm_g::Poll`]).
//!
//! Every fd is registered once, edge-triggered, for both directions (Go's and tokio's
//! choice). `polling` defaults to oneshot interest, which must be re-armed with an
//! `epoll_ctl` after every event: one more system call per wait, paid on the hot path of
//! every socket read. With edge mode the kernel reports each new readiness once and the
//! [`Slot`](crate::slot::Slot) remembers it until a waiter consumes it, so nothing is lost
//! between events and no re-arm is needed.
//!
//! An event's key is the registration's index in the table. A stale event (for an fd
//! deregistered in the same batch, whose index was reused) can only mark a slot ready
//! spuriously; waiters always retry their I/O, so that costs one `WouldBlock`.

use std::any::Any;
use std::fmt;
use std::io;
use std::os::fd::{BorrowedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gpm_g::GRef;
use parking_lot::Mutex;
#[cfg(not(target_os = "linux"))]
use polling::Events;
use polling::{Event, PollMode, Poller};
use slab::Slab;

use crate::desc::Desc;

/// One runtime's netpoller.
pub struct NetPoller {
    // Declared (so dropped) before `wait`, whose eventfd it has registered.
    poller: Poller,
    #[cfg(target_os = "linux")]
    wait: crate::epoll::Wait,
    descs: Mutex<Slab<Arc<Desc>>>,
    /// The event buffer; whoever holds it is the one thread polling.
    #[cfg(not(target_os = "linux"))]
    events: Mutex<Events>,
    /// Goroutines parked on a slot right now (Go's `netpollWaiters`).
    waiters: AtomicUsize,
}

impl fmt::Debug for NetPoller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetPoller")
            .field("fds", &self.descs.lock().len())
            .field("waiters", &self.waiters.load(Ordering::Relaxed))
            .finish()
    }
}

impl NetPoller {
    /// A poller with no fds registered.
    pub fn new() -> io::Result<Arc<NetPoller>> {
        let poller = Poller::new().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("gpm: cannot create the network poller: {e}"),
            )
        })?;
        if !poller.supports_edge() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "gpm: the platform's poller has no edge-triggered mode",
            ));
        }
        Ok(Arc::new(NetPoller {
            #[cfg(target_os = "linux")]
            wait: crate::epoll::Wait::new(&poller)?,
            poller,
            descs: Mutex::new(Slab::new()),
            #[cfg(not(target_os = "linux"))]
            events: Mutex::new(Events::new()),
            waiters: AtomicUsize::new(0),
        }))
    }

    /// Registers the non-blocking `fd` for readiness in both directions. The caller keeps
    /// `fd` open until it calls [`NetPoller::deregister`].
    pub(crate) fn register(&self, fd: RawFd) -> io::Result<Arc<Desc>> {
        let mut descs = self.descs.lock();
        let entry = descs.vacant_entry();
        let key = entry.key();
        let desc = Arc::new(Desc::new(fd, key));
        // SAFETY: the caller keeps `fd` open until `deregister`, which deletes it from the
        // poller first, as `Poller::add` requires.
        unsafe {
            self.poller
                .add_with_mode(fd, Event::all(key), PollMode::Edge)?
        };
        #[cfg(target_os = "linux")]
        if let Err(e) = self.wait.watch_hangup(fd, key) {
            let _ = self.poller.delete(
                // SAFETY: the fd is open (our caller keeps it so) and was just added.
                unsafe { BorrowedFd::borrow_raw(fd) },
            );
            return Err(e);
        }
        entry.insert(desc.clone());
        Ok(desc)
    }

    /// Removes `desc`'s fd from the poller and wakes any goroutine still waiting on it
    /// (with an error: the fd is closing). `fd` must still be open.
    pub(crate) fn deregister(&self, desc: &Desc) {
        // SAFETY: the fd is still open (our caller closes it afterwards).
        let fd = unsafe { BorrowedFd::borrow_raw(desc.fd()) };
        let _ = self.poller.delete(fd);
        self.descs.lock().try_remove(desc.key());
        desc.close(|g| gpm_g::ready(&g));
    }

    pub(crate) fn waiter_parks(&self) {
        self.waiters.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn waiter_returns(&self) {
        self.waiters.fetch_sub(1, Ordering::SeqCst);
    }

    /// Wakes the waiters of one fd's event.
    fn dispatch(
        descs: &Slab<Arc<Desc>>,
        key: usize,
        (r, w, hup): (bool, bool, bool),
        out: &mut Vec<GRef>,
    ) {
        let Some(desc) = descs.get(key) else {
            return;
        };
        if hup {
            desc.read.hang_up();
            desc.write.hang_up();
        }
        if r {
            desc.read.notify(|g| out.push(g));
        }
        if w {
            desc.write.notify(|g| out.push(g));
        }
    }

    #[cfg(target_os = "linux")]
    fn wait_events(&self, timeout: Option<Duration>, out: &mut Vec<GRef>) {
        let mut descs = None;
        self.wait.wait(timeout, |ev| {
            let descs = descs.get_or_insert_with(|| self.descs.lock());
            Self::dispatch(descs, ev.key, (ev.readable, ev.writable, ev.hup), out);
        });
    }

    #[cfg(not(target_os = "linux"))]
    fn wait_events(&self, timeout: Option<Duration>, out: &mut Vec<GRef>) {
        let Some(mut events) = self.events.try_lock() else {
            return;
        };
        events.clear();
        match self.poller.wait(&mut events, timeout) {
            Ok(0) => {}
            Ok(_) => {
                let descs = self.descs.lock();
                for ev in events.iter() {
                    // No hang-up bit here: without it `Evented` never skips a read.
                    Self::dispatch(&descs, ev.key, (ev.readable, ev.writable, false), out);
                }
            }
            // Not expected from a valid instance; say so rather than spin silently.
            Err(e) => eprintln!("gpm: netpoll wait failed: {e}"),
        }
    }
}

impl gpm_g::Poll for NetPoller {
    fn has_waiters(&self) -> bool {
        self.waiters.load(Ordering::SeqCst) > 0
    }

    fn poll(&self, timeout: Option<Duration>, out: &mut Vec<GRef>) {
        self.wait_events(timeout, out);
    }

    fn wake(&self) {
        #[cfg(target_os = "linux")]
        self.wait.wake();
        #[cfg(not(target_os = "linux"))]
        let _ = self.poller.notify();
    }

    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
