//! Unix domain sockets whose blocking calls park the goroutine: std's
//! `std::os::unix::net::{UnixListener, UnixStream, UnixDatagram}` on the netpoller, with
//! the same methods and the same conversions and timeout rules as the TCP types (see
//! [`crate::net`]).
//!
//! Files: [`UnixListener`] (`listener.rs`), [`UnixStream`] (`stream.rs`),
//! [`UnixDatagram`] (`datagram.rs`).
//!
//! `connect` is std's: a Unix connect completes at once unless the listener's backlog is
//! full, when it blocks the thread until there is room (inside a goroutine: its M).

mod datagram;
mod listener;
mod stream;

pub use std::os::unix::net::SocketAddr;

pub use datagram::UnixDatagram;
pub use listener::{Incoming, UnixListener};
pub use stream::UnixStream;
