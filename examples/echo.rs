//! A TCP echo server on `gpm::net`, one goroutine per connection:
//!
//! ```text
//! cargo run --release -p gpm --example echo [ADDR]     # default 127.0.0.1:7878
//! ```
//!
//! Try it with `nc 127.0.0.1 7878`: each line you type comes back. The accept loop is a
//! goroutine; every accepted connection gets its own goroutine that reads and writes back
//! in plain blocking style (`Read`/`Write`), parking on the netpoller while the socket has
//! nothing to say, so thousands of idle connections cost a goroutine stack each, not a
//! thread.

use std::io::{self, Read, Write};
use std::time::Duration;

use gpm::net::{TcpListener, TcpStream};

const DEFAULT_ADDR: &str = "127.0.0.1:7878";

/// Echoes everything `stream` sends until it closes its side.
fn echo(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(()); // the peer shut down its write half
        }
        stream.write_all(&buf[..n])?;
    }
}

/// Accepts forever, one goroutine per connection.
fn serve(listener: TcpListener) {
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                gpm::go!(move || {
                    if let Err(e) = echo(stream) {
                        eprintln!("echo: {peer}: {e}");
                    }
                });
            }
            Err(e) => {
                // Out of fds (EMFILE/ENFILE) or a connection aborted before we took it:
                // report it and back off a little instead of spinning on the error.
                eprintln!("echo: accept: {e}");
                gpm::time::sleep(Duration::from_millis(10));
            }
        }
    }
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ADDR.to_string());
    let listener = TcpListener::bind(&addr)?;
    println!("echo: listening on {}", listener.local_addr()?);
    gpm::go!(move || serve(listener))
        .join()
        .expect("the accept loop never panics");
    Ok(())
}
