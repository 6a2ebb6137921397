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
//!
//! ```
//! use std::io::{Read, Write};
//! use gpm::net::unix::{UnixListener, UnixStream};
//!
//! let path = std::env::temp_dir().join(format!("gpm-doc-{}-unix-mod.sock", std::process::id()));
//! # let _ = std::fs::remove_file(&path);
//! let listener = UnixListener::bind(&path).unwrap();
//! let server = gpm::go!(move || {
//!     let (mut s, _) = listener.accept().unwrap();
//!     let mut req = String::new();
//!     s.read_to_string(&mut req).unwrap();
//!     s.write_all(req.to_uppercase().as_bytes()).unwrap();
//! });
//! let mut c = UnixStream::connect(&path).unwrap();
//! c.write_all(b"quiet").unwrap();
//! c.shutdown(gpm::net::Shutdown::Write).unwrap();
//! let mut reply = String::new();
//! c.read_to_string(&mut reply).unwrap();
//! assert_eq!(reply, "QUIET");
//! server.join().unwrap();
//! std::fs::remove_file(&path).unwrap();
//! ```

mod datagram;
mod listener;
mod stream;

pub use std::os::unix::net::SocketAddr;

pub use datagram::UnixDatagram;
pub use listener::{Incoming, UnixListener};
pub use stream::UnixStream;
