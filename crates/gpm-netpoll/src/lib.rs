//! # gpm-netpoll: goroutines that wait on sockets without blocking their M
//!
//! Go's netpoller for gpm, on the `polling` crate (epoll on Linux, kqueue on macOS).
//!
//! A goroutine whose non-blocking read or write says `WouldBlock` parks on its fd's wait
//! [`slot`]; its M runs other goroutines. The runtime's Ms poll the [`NetPoller`] from their
//! schedule loop through the [`gpm_g::Poll`] interface: without blocking, every 61st
//! schedule; and when an M has nothing at all to do, it becomes
//! the runtime's one sleeper and blocks in the poller until the next timer, an fd event, or
//! a wake-up ([`gpm_g::Poll::wake`]) because work was readied elsewhere. The goroutines the
//! poller returns are readied onto that M's P.
//!
//! - [`slot`]: the per-fd, per-direction wait word (empty / ready / one waiter / a list),
//!   where readiness races with a goroutine parking (loom-checked in `tests/loom_slot.rs`);
//! - [`NetPoller`]: the epoll instance, edge-triggered registration, event dispatch;
//! - [`Evented`]: a non-blocking fd with blocking-style `read_with`/`write_with`, the
//!   building block of `gpm::net`; outside a goroutine it blocks the thread in `poll(2)`,
//!   like a std socket.
//!
//! This crate depends on `gpm-g`'s park/ready interface only; `gpm` ties it to the
//! scheduler. The design is explained in `docs/design.md` (§ the netpoller).
#![cfg_attr(loom, allow(dead_code, unused_imports))]

pub mod slot;
mod sync;

#[cfg(not(loom))]
mod desc;
#[cfg(all(not(loom), target_os = "linux"))]
mod epoll;
#[cfg(not(loom))]
mod evented;
#[cfg(not(loom))]
mod poller;
#[cfg(not(loom))]
mod wait;

#[cfg(not(loom))]
pub use desc::Dir;
#[cfg(not(loom))]
pub use evented::{set_nonblocking, Evented};
#[cfg(not(loom))]
pub use poller::NetPoller;
