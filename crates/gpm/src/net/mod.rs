//! Sockets whose blocking calls park the goroutine: std's `TcpListener`, `TcpStream`,
//! `UdpSocket` and (in [`unix`]) `UnixListener`, `UnixStream`, `UnixDatagram`, with std's
//! method names and signatures, on the runtime's netpoller.
//!
//! Each type wraps the std type, made non-blocking, in a `gpm_netpoll::Evented`. An
//! operation that would block (`accept`, `connect`, a read, write, send or receive) parks
//! the calling goroutine until its socket is ready, and its OS thread runs other
//! goroutines meanwhile. Outside a goroutine the same call blocks the thread in `poll(2)`:
//! the types then behave like the std ones, so one type serves both worlds.
//!
//! - timeouts (`set_read_timeout`, `set_write_timeout`) are kept in the wrapper and run on
//!   the runtime's timers; a timed-out operation fails with `ErrorKind::WouldBlock`
//!   (`EAGAIN`), exactly like a std socket's on Linux;
//! - `set_nonblocking(true)` makes operations fail with `WouldBlock` instead of waiting;
//! - `try_clone` duplicates the fd into a second, separately registered handle; options
//!   (timeouts, non-blocking mode) are shared between the clones, as in std;
//! - conversions: `from_std(std)` (also `TryFrom<std type>`; not `From`, since switching
//!   the fd to non-blocking mode can fail) and `into_std()` (back to blocking mode);
//!   `FromRawFd` (sets non-blocking mode), `IntoRawFd` (sets blocking mode), `AsFd`,
//!   `AsRawFd` — so `socket2::SockRef::from(&stream)` reaches every socket option;
//! - errors are `io::Error`s, never panics: a peer reset is `ConnectionReset`, `accept`
//!   out of fds is `EMFILE`/`ENFILE` (the listener keeps working once fds are freed).
//!
//! Host names are resolved with `getaddrinfo`, which blocks the thread as in std.
//!
//! ```
//! use std::io::{BufRead, BufReader, Write};
//! use gpm::net::{TcpListener, TcpStream};
//!
//! // A line-echo server: one goroutine per connection, as in Go.
//! let listener = TcpListener::bind("127.0.0.1:0").unwrap(); // Go's net.Listen("tcp", ...)
//! let addr = listener.local_addr().unwrap();
//! let server = gpm::go!(move || {
//!     for conn in listener.incoming().take(3) {
//!         let conn = conn.unwrap();
//!         gpm::go!(move || {
//!             let mut line = String::new();
//!             BufReader::new(&conn).read_line(&mut line).unwrap();
//!             (&conn).write_all(line.as_bytes()).unwrap();
//!         });
//!     }
//! });
//! let clients: Vec<_> = (0..3)
//!     .map(|i| {
//!         gpm::go!(move || {
//!             let mut c = TcpStream::connect(addr).unwrap();
//!             writeln!(c, "hello {i}").unwrap();
//!             let mut back = String::new();
//!             BufReader::new(c).read_line(&mut back).unwrap();
//!             back
//!         })
//!     })
//!     .collect();
//! for (i, c) in clients.into_iter().enumerate() {
//!     assert_eq!(c.join().unwrap(), format!("hello {i}\n"));
//! }
//! server.join().unwrap();
//! ```
//!
//! Files: [`TcpListener`] (`tcp_listener.rs`), [`TcpStream`] (`tcp_stream.rs`), the
//! non-blocking connect (`connect.rs`), listening sockets with a deep accept queue
//! (`listen.rs`), [`UdpSocket`] (`udp.rs`), the Unix sockets
//! (`unix/`), and what they share: the wrapper (`sock.rs`), the shared options
//! (`opts.rs`), address resolution (`addr.rs`), and the common trait impls (`macros.rs`).
//!
//! Not available under `cfg(loom)`: loom does not model the netpoller (see `docs/loom.md`).
#![cfg(not(loom))]

#[macro_use]
mod macros;

mod addr;
mod connect;
mod listen;
mod opts;
mod sock;
mod tcp_listener;
mod tcp_stream;
mod udp;
pub mod unix;

pub use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, SocketAddrV4, SocketAddrV6, ToSocketAddrs,
};

pub use tcp_listener::{Incoming, TcpListener};
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
