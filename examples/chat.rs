//! A TCP chat server on `gpm::net`, after the chat server of "The Go Programming Language"
//! §8.10 (<https://github.com/adonovan/gopl.io/blob/master/ch8/chat/chat.go>):
//!
//! ```text
//! cargo run --release -p gpm --example chat [ADDR]     # default 127.0.0.1:7879
//! cargo run --release -p gpm --example chat -- --demo  # self-test on a free port
//! ```
//!
//! Connect with `nc 127.0.0.1 7879` from a few terminals. The first line you type is your
//! name; every later line goes to everyone, and `/who` lists who is here.
//!
//! The goroutines:
//! - the accept loop, which starts one goroutine per client;
//! - per client, a **reader** that turns the lines the client types (`BufReader::lines` on
//!   its `TcpStream`, parking on the netpoller between lines) into events for the
//!   broadcaster, and a **writer** that copies the client's outbox, a bounded channel of
//!   [`OUTBOX`] lines, onto its socket;
//! - the **broadcaster**, the only owner of the client list (so it needs no lock): it takes
//!   join, leave and message events off one channel and puts each line it broadcasts into
//!   every client's outbox.
//!
//! The broadcaster never waits for a client: it uses `try_send`. A client whose outbox is
//! full — it stopped reading, its socket buffers filled up and its writer is parked in a
//! write — is too slow, and gets disconnected: the broadcaster drops its outbox, shuts its
//! socket down (which wakes both of its goroutines with an end of file or an error) and
//! tells the others. The others never notice the slow one. (Go's version sends to each
//! client with a blocking send, so one stuck client stalls the room; exercise 8.15 of the
//! book asks for this fix.)
//!
//! `--demo` starts the server on an ephemeral port, connects a few clients in goroutines,
//! has each say a few things, checks that every client received every message in order,
//! and exits. `cargo test` runs it too.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Lines, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use gpm::chan::{bounded, Receiver, Sender, TrySendError};
use gpm::net::{TcpListener, TcpStream};
use gpm::sync::Barrier;

const DEFAULT_ADDR: &str = "127.0.0.1:7879";

/// The lines a client's outbox holds before the client counts as too slow.
pub const OUTBOX: usize = 256;

/// One line of output, shared by every outbox it is put in.
type Line = Arc<str>;

/// What the client goroutines tell the broadcaster.
enum Event {
    /// A client has given its name; from now on it gets every broadcast.
    Join {
        id: u64,
        name: String,
        outbox: Sender<Line>,
        conn: TcpStream,
    },
    /// A client said something.
    Say { id: u64, text: String },
    /// A client asked who is here.
    Who { id: u64 },
    /// A client's connection ended.
    Leave { id: u64 },
}

/// A client, as the broadcaster sees it.
struct Client {
    name: String,
    outbox: Sender<Line>,
    /// A handle on the client's socket, to shut it down if the client is too slow.
    conn: TcpStream,
}

/// Owns the client list: applies the events until every sender of `events` is gone.
fn broadcaster(events: Receiver<Event>) {
    let mut clients = BTreeMap::new();
    for event in &events {
        // ^ parks until a client goroutine has something to say.
        match event {
            Event::Join {
                id,
                name,
                outbox,
                conn,
            } => {
                let welcome = format!("* welcome, {name}; here: {}\n", names(&clients));
                broadcast(&mut clients, &format!("* {name} has arrived\n"));
                // The outbox is empty but for the name prompt, so this cannot fail.
                let _ = outbox.try_send(welcome.into());
                let client = Client { name, outbox, conn };
                clients.insert(id, client);
            }
            Event::Say { id, text } => {
                if let Some(c) = clients.get(&id) {
                    let line = format!("{}: {text}\n", c.name);
                    broadcast(&mut clients, &line);
                }
            }
            Event::Who { id } => {
                // Dropped if the asker's outbox is full: the next broadcast disconnects it.
                if let Some(c) = clients.get(&id) {
                    let _ = c
                        .outbox
                        .try_send(format!("* here: {}\n", names(&clients)).into());
                }
            }
            Event::Leave { id } => {
                // Dropping the client drops its outbox: its writer ends once it is empty.
                if let Some(c) = clients.remove(&id) {
                    broadcast(&mut clients, &format!("* {} has left\n", c.name));
                }
            }
        }
    }
}

/// The names in `clients`, comma-separated.
fn names(clients: &BTreeMap<u64, Client>) -> String {
    if clients.is_empty() {
        return "nobody else".into();
    }
    let names: Vec<&str> = clients.values().map(|c| c.name.as_str()).collect();
    names.join(", ")
}

/// Puts `line` into every outbox without waiting; disconnects the clients whose outbox is
/// full, and tells the others.
fn broadcast(clients: &mut BTreeMap<u64, Client>, line: &str) {
    let line = Line::from(line);
    let mut too_slow = Vec::new();
    for (&id, c) in clients.iter() {
        match c.outbox.try_send(line.clone()) {
            Ok(()) => {} // its writer wakes up and writes it
            Err(TrySendError::Full(_)) => too_slow.push(id),
            Err(TrySendError::Disconnected(_)) => {} // its writer failed; a Leave is coming
        }
    }
    for id in too_slow {
        let c = clients.remove(&id).expect("listed above");
        // Wakes the client's reader (end of file) and its writer, if it is parked in a
        // write (broken pipe), wherever they are parked.
        let _ = c.conn.shutdown(Shutdown::Both);
        let notice = format!("* {} was too slow and has been disconnected\n", c.name);
        broadcast(clients, &notice);
    }
}

/// One client's reader; starts its writer. Returns when the connection ends.
fn client(id: u64, stream: TcpStream, events: Sender<Event>) -> io::Result<()> {
    let (outbox, inbox) = bounded::<Line>(OUTBOX);
    let mut out = stream.try_clone()?;
    let writer = gpm::go!(move || {
        // Parks until the broadcaster has a line for us, and in `write_all` while the
        // socket buffer is full. Ends when the outbox is dropped and drained, or the
        // connection fails.
        for line in &inbox {
            if out.write_all(line.as_bytes()).is_err() {
                break;
            }
        }
    });

    let conn = stream.try_clone()?;
    // A real server would bound the line length (`Read::take`): `lines` buffers a whole line.
    let mut lines = BufReader::new(stream).lines();
    let _ = outbox.try_send("* your name?\n".into());
    let name = match lines.next() {
        Some(Ok(name)) if !name.trim().is_empty() => name.trim().to_string(),
        Some(Ok(_)) => format!("guest{id}"),
        _ => return Ok(()), // gone before saying anything
    };
    let join = Event::Join {
        id,
        name,
        outbox,
        conn,
    };
    // A send on the bounded events channel parks while the broadcaster is behind, which
    // slows down only the clients that talk. It fails only if the broadcaster is gone.
    if events.send(join).is_ok() {
        // Ends at the end of the stream, or on an error (a reset, bytes that are not UTF-8).
        for line in lines.map_while(Result::ok) {
            let event = match line.trim() {
                "/who" => Event::Who { id },
                _ => Event::Say { id, text: line },
            };
            if events.send(event).is_err() {
                break;
            }
        }
        let _ = events.send(Event::Leave { id });
    }
    writer.join().expect("the writer never panics");
    Ok(())
}

/// Runs the chat on `listener`: the broadcaster, and a goroutine per client. Accepts for
/// ever.
pub fn serve(listener: TcpListener) {
    let (events, rx) = bounded(1024);
    gpm::go!(broadcaster(rx));
    for id in 0.. {
        match listener.accept() {
            // ^ parks until a client connects.
            Ok((stream, peer)) => {
                let events = events.clone();
                gpm::go!(move || {
                    if let Err(e) = client(id, stream, events) {
                        eprintln!("chat: {peer}: {e}");
                    }
                });
            }
            Err(e) => {
                // Out of fds, or a connection aborted before we took it: back off a little.
                eprintln!("chat: accept: {e}");
                gpm::time::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// The next line from the server, or an error if it hung up.
fn next_line(lines: &mut Lines<BufReader<TcpStream>>) -> io::Result<String> {
    lines
        .next()
        .unwrap_or_else(|| Err(io::ErrorKind::UnexpectedEof.into()))
}

/// A demo client: joins as `gopher{me}`, waits until all `clients` are in, says `msgs`
/// things, and reads until it has heard all `clients * msgs` messages, checking that
/// each one's come in the order they were said.
fn demo_client(
    addr: SocketAddr,
    me: usize,
    clients: usize,
    msgs: usize,
    all_in: Arc<Barrier>,
) -> io::Result<()> {
    let stream = TcpStream::connect(addr)?;
    let mut w = stream.try_clone()?;
    let mut lines = BufReader::new(stream).lines();
    writeln!(w, "gopher{me}")?;
    // The broadcaster sends the welcome after adding us: from now on we hear everything.
    while !next_line(&mut lines)?.starts_with("* welcome") {}
    all_in.wait(); // parks until every client has been welcomed
    for k in 0..msgs {
        writeln!(w, "message {k}")?;
    }
    let mut heard = vec![0; clients]; // messages heard from each client so far
    for _ in 0..clients * msgs {
        let line = loop {
            let line = next_line(&mut lines)?;
            if !line.starts_with("* ") {
                break line; // not an arrival or departure notice
            }
        };
        let from = line
            .split_once(": ")
            .and_then(|(who, _)| who.strip_prefix("gopher")?.parse::<usize>().ok())
            .filter(|&from| from < clients)
            .unwrap_or_else(|| panic!("gopher{me}: unexpected line {line:?}"));
        let want = format!("gopher{from}: message {}", heard[from]);
        assert_eq!(line, want, "gopher{me} lost or reordered a message");
        heard[from] += 1;
    }
    Ok(()) // dropping the stream hangs up: the server's reader for us sees the end
}

/// Starts the server on a free port and runs `clients` demo clients on it. Each hears
/// `clients * msgs` messages; a demo sends fewer lines than an outbox holds, so however
/// the goroutines are scheduled nobody is too slow.
pub fn demo(clients: usize, msgs: usize) -> io::Result<()> {
    assert!(
        clients * (msgs + 3) < OUTBOX,
        "too many lines for the outboxes"
    );
    // Once `bind` returns the socket is listening: clients can connect at once.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    gpm::go!(serve(listener)); // runs until the runtime is dropped
    let all_in = Arc::new(Barrier::new(clients));
    let handles: Vec<_> = (0..clients)
        .map(|me| {
            let all_in = all_in.clone();
            gpm::go!(demo_client(addr, me, clients, msgs, all_in))
        })
        .collect();
    for h in handles {
        h.join().expect("a demo client panicked")?;
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ADDR.to_string());
    let rt = gpm::Runtime::new()?;
    if addr == "--demo" {
        let (clients, msgs) = (8, 20);
        rt.block_on(move || demo(clients, msgs))?;
        println!(
            "chat --demo: {clients} clients each heard all {} messages, in order",
            clients * msgs
        );
        return Ok(()); // dropping `rt` takes the server down
    }
    let listener = TcpListener::bind(&addr)?;
    println!("chat: listening on {}", listener.local_addr()?);
    rt.block_on(move || serve(listener));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo() {
        let rt = gpm::Runtime::builder().procs(2).build().unwrap();
        rt.block_on(|| super::demo(4, 10)).unwrap();
    }

    /// A connected pair of sockets: (the server's end, the client's end).
    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        (listener.accept().unwrap().0, client)
    }

    #[test]
    fn a_full_outbox_disconnects() {
        let rt = gpm::Runtime::builder().procs(2).build().unwrap();
        rt.block_on(|| {
            let mut clients = BTreeMap::new();
            let mut inboxes = Vec::new();
            let mut peers = Vec::new();
            for (id, (name, room)) in [("slow", 1), ("fast", 10)].into_iter().enumerate() {
                let (outbox, inbox) = bounded(room);
                let (conn, peer) = pair();
                let name = name.to_string();
                clients.insert(id as u64, Client { name, outbox, conn });
                inboxes.push(inbox);
                peers.push(peer);
            }
            broadcast(&mut clients, "one\n"); // fills slow's outbox
            broadcast(&mut clients, "two\n");
            assert_eq!(names(&clients), "fast");
            let fast: Vec<Line> = inboxes[1].try_iter().collect();
            let notice = "* slow was too slow and has been disconnected\n";
            assert_eq!(fast, ["one\n", "two\n", notice].map(Line::from));
            // slow's socket was shut down: its end of the connection reads end of file.
            let mut rest = String::new();
            io::Read::read_to_string(&mut peers[0], &mut rest).unwrap();
            assert_eq!(rest, "");
        });
    }
}
