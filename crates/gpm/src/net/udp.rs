//! `UdpSocket`: std's `UdpSocket` API on the netpoller. A receive (or a send the kernel
//! cannot queue) parks the calling goroutine (blocks the thread outside a goroutine).

use std::io;
use std::net::{self, SocketAddr, ToSocketAddrs};

use super::addr::first_addr;
use super::opts::Opts;
use super::sock::Sock;

/// A UDP socket, with the methods of [`std::net::UdpSocket`].
pub struct UdpSocket {
    sock: Sock<net::UdpSocket>,
}

fd_impls!(UdpSocket, net::UdpSocket);

impl UdpSocket {
    /// Binds to `addr` (each of its addresses in turn until one binds, like std).
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        UdpSocket::from_std(net::UdpSocket::bind(addr)?)
    }

    /// Wraps a std socket, switching it to non-blocking mode and taking over its timeouts.
    /// Also available as `UdpSocket::try_from(std)`.
    pub fn from_std(std: net::UdpSocket) -> io::Result<UdpSocket> {
        let opts = Opts::new(std.read_timeout()?, std.write_timeout()?);
        Ok(UdpSocket {
            sock: Sock::new(std, opts.into())?,
        })
    }

    /// The std socket back, in blocking mode (unless [`UdpSocket::set_nonblocking`] turned
    /// non-blocking mode on), with its timeouts.
    pub fn into_std(self) -> io::Result<net::UdpSocket> {
        self.sock.into_std()
    }

    /// Sends `buf` to `addr` (its first address, like std), returning the bytes sent.
    pub fn send_to(&self, buf: &[u8], addr: impl ToSocketAddrs) -> io::Result<usize> {
        let addr = first_addr(addr)?;
        self.sock.write(|s| s.send_to(buf, addr))
    }

    /// Receives one datagram, parking until one arrives; returns its length (truncated to
    /// `buf.len()`) and sender.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.sock.read(|s| s.recv_from(buf))
    }

    /// Like [`UdpSocket::recv_from`], leaving the datagram queued.
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.sock.read(|s| s.peek_from(buf))
    }

    /// Sets the default destination (and the only source `recv` accepts), trying each
    /// address in turn like std.
    pub fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        self.sock.get_ref().connect(addr)
    }

    /// Sends `buf` to the connected address.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.sock.write(|s| s.send(buf))
    }

    /// Receives one datagram from the connected address, parking until one arrives.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.read(|s| s.recv(buf))
    }

    /// Like [`UdpSocket::recv`], leaving the datagram queued.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.read(|s| s.peek(buf))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().local_addr()
    }

    /// The connected address (`NotConnected` if [`UdpSocket::connect`] was not called).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.sock.get_ref().peer_addr()
    }

    /// A second handle on this socket (a `dup` of the fd) with its own registration;
    /// options are shared, as in std.
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            sock: self.sock.try_clone(net::UdpSocket::try_clone)?,
        })
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.sock.get_ref().set_broadcast(on)
    }

    /// `SO_BROADCAST`.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.sock.get_ref().broadcast()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.sock.get_ref().set_ttl(ttl)
    }

    /// `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.sock.get_ref().ttl()
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock.get_ref().take_error()
    }

    timeouts!();
    nonblocking!();
}
