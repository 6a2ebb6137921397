//! A TCP echo server on `gpm::net`, one goroutine per connection:
//!
//! ```text
//! cargo run --release -p gpm --example echo [ADDR]     # default 127.0.0.1:7878
//! cargo run --release -p gpm --example echo -- --demo  # self-test on a free port
//! ```
//!
//! Try it with `nc 127.0.0.1 7878`: each line you type comes back. The accept loop is a
//! goroutine; every accepted connection gets its own goroutine that reads and writes back
//! in plain blocking style (`Read`/`Write`), parking on the netpoller while the socket has
//! nothing to say, so thousands of idle connections cost a goroutine stack each, not a
//! thread.
//!
//! `--demo` starts the server on an ephemeral port, has a few client goroutines send it
//! messages of assorted sizes, checks every byte comes back, and exits (`cargo test` runs
//! it too).

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

/// The largest demo message: big enough to take the server several reads, small enough
/// to fit the socket buffers, since a demo client writes a whole message before it reads.
const MAX_MSG: usize = 16 * 1024;

/// Starts the server on a free port and has `clients` client goroutines each send it
/// `rounds` messages of up to [`MAX_MSG`] bytes and check that every one comes back
/// intact. Returns the number of bytes echoed.
fn demo(clients: usize, rounds: usize) -> io::Result<usize> {
    // Once `bind` returns, the socket is listening: clients can connect right away, even
    // before the accept loop runs.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    gpm::go!(move || serve(listener)); // detached: it runs until the runtime is dropped
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            gpm::go!(move || -> io::Result<usize> {
                let mut stream = TcpStream::connect(addr)?;
                let mut total = 0;
                for r in 0..rounds {
                    let len = 1 + (c * 7919 + r * 104_729) % MAX_MSG;
                    let msg: Vec<u8> = (0..len).map(|i| (i * 31 + c + r) as u8).collect();
                    stream.write_all(&msg)?;
                    let mut back = vec![0; len];
                    stream.read_exact(&mut back)?; // parks until all of it is back
                    assert!(back == msg, "client {c}, round {r}: the echo differs");
                    total += len;
                }
                Ok(total)
            })
        })
        .collect();
    let mut total = 0;
    for h in handles {
        total += h.join().expect("a demo client panicked")?;
    }
    Ok(total)
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ADDR.to_string());
    if addr == "--demo" {
        let rt = gpm::Runtime::new()?;
        let bytes = rt.block_on(|| demo(8, 20))?;
        println!("echo --demo: 8 clients x 20 messages, {bytes} bytes echoed intact");
        return Ok(()); // dropping `rt` ends the accept loop
    }
    let listener = TcpListener::bind(&addr)?;
    println!("echo: listening on {}", listener.local_addr()?);
    gpm::go!(move || serve(listener))
        .join()
        .expect("the accept loop never panics");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo() {
        let rt = gpm::Runtime::builder().procs(2).build().unwrap();
        assert!(rt.block_on(|| super::demo(4, 10)).unwrap() > 0);
    }
}
