//! `cargo bench -p gpm-bench --bench echo [-- FILTER]`: a TCP echo server on 127.0.0.1
//! written with gpm, tokio and may, all driven by one load generator (issue 4), beside
//! a hand-written `mio` event loop as the floor of what a server costs here.
//!
//! Workload: [`CONNECTIONS`] client connections, each sending a [`MESSAGE`]-byte message
//! and waiting for its echo, over and over, for [`MEASURE`] after a [`WARM_UP`]. Every
//! server runs one task per connection on `GPM_BENCH_PROCS` worker threads (default 2)
//! and sets `TCP_NODELAY` on accepted sockets; the clients set it too.
//!
//! Every run is a fresh server process: the orchestrator re-executes this binary with
//! `GPM_BENCH_CELL=echo:<server>` (so no two runtimes ever share a process), the child
//! binds 127.0.0.1:0 and prints its port, and the orchestrator, which is the load
//! generator, connects to it. The server's CPU time over the measured window is read
//! from `/proc/<pid>/stat` (utime + stime, all its threads), the load generator's from
//! `/proc/self/stat`. The servers' runs are interleaved (gpm, tokio, may, gpm, ...) so a
//! slow phase of the shared machine hits all of them alike. FILTER is a substring of the
//! server names (`-- tokio`).
//!
//! Environment knobs: `GPM_BENCH_RUNS` (default 5), `GPM_BENCH_QUICK` (1/10 of the
//! measured time), `GPM_BENCH_PROCS` (see `gpm_bench::config`), and
//! `GPM_BENCH_ECHO_THREADS`, the load generator's thread count (default
//! [`DEFAULT_CLIENT_THREADS`]).
//!
//! To run one server by hand: `GPM_BENCH_CELL=echo:gpm target/release/deps/echo-<hash>`
//! prints `GPM_BENCH_ECHO_PORT <port>` and serves until its stdin closes.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use gpm_bench::child::{self, CELL_ENV};
use gpm_bench::config::Config;
use gpm_bench::stats;
use gpm_bench::table::{ratio, Table};

/// Client connections, one in-flight message each.
const CONNECTIONS: usize = 100;
/// Bytes per message (and per echo).
const MESSAGE: usize = 64;
/// Load before the measured window of each run (connections set up, caches, stacks and
/// pollers warm).
const WARM_UP: Duration = Duration::from_millis(500);
/// The measured window of each run.
const MEASURE: Duration = Duration::from_secs(3);
/// The load generator's threads unless `GPM_BENCH_ECHO_THREADS` says otherwise.
///
/// On the 2-core dev VM the servers' 2 workers and the load generator share 2 cores, so
/// the generator must cost as little CPU per round trip as possible. Each thread drives
/// its share of the connections with nonblocking sockets on one `mio` poller
/// (edge-triggered epoll): per round trip that is one `read` and one `write` and a
/// fraction of an `epoll_wait` (one wait returns many ready connections under load),
/// no thread switch. Blocking sockets with a thread per connection would add two
/// context switches per round trip on the generator's side and 100 threads competing
/// with the servers' 2. The kernel's loopback TCP work is split between the side that
/// writes and the side that reads, so the generator costs about as much CPU as the
/// server: one thread caps it at one core and was the slowest setting for every server
/// on the dev VM; two and three were within noise of each other, and two leaves more
/// of the machine to the server.
const DEFAULT_CLIENT_THREADS: usize = 2;
/// How long a client thread may wait for its in-flight echoes once a run stops.
const DRAIN: Duration = Duration::from_secs(5);
/// How long the orchestrator waits for a server to print its port.
const STARTUP: Duration = Duration::from_secs(10);
/// Prefix of the line a server prints once it listens.
const PORT_PREFIX: &str = "GPM_BENCH_ECHO_PORT";
/// Where every server listens (an ephemeral port).
const LOCALHOST: &str = "127.0.0.1:0";
/// Read buffer of every server's per-connection task.
const SERVER_BUFFER: usize = 1024;
/// `/proc/<pid>/stat` counts CPU time in clock ticks of `USER_HZ`, which Linux fixes
/// at 100 for user space on every architecture it reports to.
const USER_HZ: f64 = 100.0;

/// The servers under test, in the order their runs interleave and their rows print.
/// `mio` is no runtime but the reference floor: see [`serve_mio`].
const SERVERS: [&str; 4] = ["gpm", "tokio", "may", "mio"];

fn main() {
    let cfg = Config::from_env();
    if let Ok(cell) = std::env::var(CELL_ENV) {
        child::exit_on_panic();
        match cell.strip_prefix("echo:") {
            Some(server) => serve(server, cfg.procs),
            None => panic!("bad cell name {cell:?}"),
        }
        return;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let servers: Vec<&str> = SERVERS
        .into_iter()
        .filter(|s| filter.is_empty() || filter.iter().any(|f| s.contains(f.as_str())))
        .collect();
    orchestrate(&cfg, &servers);
}

// ---------------------------------------------------------------------------------------
// Server side (child process)
// ---------------------------------------------------------------------------------------

/// Child side: runs the named server until stdin closes, then exits at once (no runtime
/// teardown: the process is done).
fn serve(server: &str, procs: usize) {
    match server {
        "gpm" => serve_gpm(procs),
        "tokio" => serve_tokio(procs),
        "may" => serve_may(procs),
        "mio" => serve_mio(procs),
        other => panic!("unknown server {other:?}"),
    }
}

/// Tells the orchestrator where the server listens.
fn announce(addr: SocketAddr) {
    println!("{PORT_PREFIX} {}", addr.port());
    io::stdout().flush().expect("flush stdout");
}

/// Blocks the calling (non-runtime) thread until the orchestrator closes our stdin, then
/// ends the process.
fn serve_until_stdin_closes() -> ! {
    let mut sink = Vec::new();
    let _ = io::stdin().read_to_end(&mut sink);
    std::process::exit(0);
}

/// Reports a server-side I/O error on stderr; the orchestrator shows it under the table.
/// The load generator closes every connection cleanly (it waits for its in-flight echoes
/// first), so any error here is a real one.
fn server_error(what: &str, e: &io::Error) {
    eprintln!("server error: {what}: {e}");
}

/// One connection of a blocking-style server (gpm and may): echo until EOF.
fn echo_blocking<S: Read + Write>(mut stream: S) {
    let mut buf = [0u8; SERVER_BUFFER];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if let Err(e) = stream.write_all(&buf[..n]) {
                    return server_error("write", &e);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return server_error("read", &e),
        }
    }
}

/// The gpm server: `gpm::net`, an accept-loop goroutine, one goroutine per connection.
fn serve_gpm(procs: usize) {
    let rt = gpm::Runtime::builder()
        .procs(procs)
        .build()
        .expect("build gpm runtime");
    let _accept_loop = rt.spawn(|| {
        let listener = gpm::net::TcpListener::bind(LOCALHOST).expect("gpm bind");
        announce(listener.local_addr().expect("gpm local_addr"));
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    if let Err(e) = stream.set_nodelay(true) {
                        server_error("set_nodelay", &e);
                    }
                    gpm::go!(move || echo_blocking(stream));
                }
                Err(e) => server_error("accept", &e),
            }
        }
    });
    serve_until_stdin_closes();
}

/// The tokio server: a multi-thread runtime with `procs` workers, `tokio::net`, the
/// accept loop a spawned task (not the `block_on` thread), one task per connection.
fn serve_tokio(procs: usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(procs)
        .enable_io()
        .build()
        .expect("build tokio runtime");
    rt.spawn(async {
        let listener = tokio::net::TcpListener::bind(LOCALHOST)
            .await
            .expect("tokio bind");
        announce(listener.local_addr().expect("tokio local_addr"));
        loop {
            match listener.accept().await {
                Ok((mut stream, _)) => {
                    if let Err(e) = stream.set_nodelay(true) {
                        server_error("set_nodelay", &e);
                    }
                    tokio::spawn(async move {
                        let mut buf = [0u8; SERVER_BUFFER];
                        loop {
                            match stream.read(&mut buf).await {
                                Ok(0) => return,
                                Ok(n) => {
                                    if let Err(e) = stream.write_all(&buf[..n]).await {
                                        return server_error("write", &e);
                                    }
                                }
                                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                                Err(e) => return server_error("read", &e),
                            }
                        }
                    });
                }
                Err(e) => server_error("accept", &e),
            }
        }
    });
    serve_until_stdin_closes();
}

/// The may server: `procs` may workers, `may::net`, an accept-loop coroutine, one
/// coroutine per connection.
fn serve_may(procs: usize) {
    may::config().set_workers(procs);
    let _accept_loop = may::go!(|| {
        let listener = may::net::TcpListener::bind(LOCALHOST).expect("may bind");
        announce(listener.local_addr().expect("may local_addr"));
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    if let Err(e) = stream.set_nodelay(true) {
                        server_error("set_nodelay", &e);
                    }
                    may::go!(move || echo_blocking(stream));
                }
                Err(e) => server_error("accept", &e),
            }
        }
    });
    serve_until_stdin_closes();
}

/// The reference floor: no runtime, no tasks, `procs` hand-written event-loop threads.
///
/// This is the cheapest server this workload allows, so its rate bounds what any runtime
/// can reach on this machine: per round trip one `read` and one `write` and a share of
/// an `epoll_wait` (edge-triggered `mio`), no wake-up of another thread, no context
/// switch in user space. A runtime can only add to that. The plain accept thread hands
/// each connection to a worker, round robin, over a channel and the worker's `Waker`.
fn serve_mio(procs: usize) {
    use mio::{Poll, Waker};

    let listener = std::net::TcpListener::bind(LOCALHOST).expect("mio bind");
    let addr = listener.local_addr().expect("mio local_addr");
    let mut workers = Vec::with_capacity(procs);
    for _ in 0..procs {
        let poll = Poll::new().expect("mio poll");
        let waker = Arc::new(Waker::new(poll.registry(), MIO_WAKER).expect("mio waker"));
        let (tx, rx) = mpsc::channel::<std::net::TcpStream>();
        thread::spawn(move || mio_worker(poll, rx));
        workers.push((tx, waker));
    }
    thread::spawn(move || {
        for (i, stream) in listener.incoming().enumerate() {
            let stream = match stream {
                Ok(s) => s,
                Err(e) => {
                    server_error("accept", &e);
                    continue;
                }
            };
            if let Err(e) = stream.set_nodelay(true) {
                server_error("set_nodelay", &e);
            }
            let (tx, waker) = &workers[i % workers.len()];
            tx.send(stream).expect("mio worker alive");
            waker.wake().expect("mio wake");
        }
    });
    announce(addr);
    serve_until_stdin_closes();
}

/// The token of a [`serve_mio`] worker's `Waker`; connections use their slab index.
const MIO_WAKER: mio::Token = mio::Token(usize::MAX);

/// One [`serve_mio`] worker thread: echoes its connections until each reaches EOF.
fn mio_worker(mut poll: mio::Poll, new_conns: mpsc::Receiver<std::net::TcpStream>) {
    use mio::{Events, Interest, Token};

    // A slot per connection: the stream and the echo bytes a full socket left unwritten.
    let mut conns: Vec<Option<(mio::net::TcpStream, Vec<u8>)>> = Vec::new();
    let mut events = Events::with_capacity(CONNECTIONS);
    let mut buf = [0u8; SERVER_BUFFER];
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() != io::ErrorKind::Interrupted {
                return server_error("poll", &e);
            }
        }
        for ev in events.iter() {
            if ev.token() == MIO_WAKER {
                for stream in new_conns.try_iter() {
                    stream.set_nonblocking(true).expect("set_nonblocking");
                    let mut stream = mio::net::TcpStream::from_std(stream);
                    let token = Token(conns.len());
                    poll.registry()
                        .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
                        .expect("mio register");
                    conns.push(Some((stream, Vec::new())));
                }
                continue;
            }
            let slot = &mut conns[ev.token().0];
            let Some((stream, unwritten)) = slot.as_mut() else {
                continue;
            };
            if let Err(e) = mio_echo(stream, unwritten, &mut buf) {
                if e.kind() != io::ErrorKind::UnexpectedEof {
                    server_error("echo", &e);
                }
                *slot = None;
            }
        }
    }
}

/// Flushes what a full socket left unwritten, then echoes what has arrived until the
/// socket is empty or full (edge-triggered: a read shorter than the buffer emptied it,
/// so the next byte raises a fresh edge). EOF is `UnexpectedEof`.
fn mio_echo(
    stream: &mut mio::net::TcpStream,
    unwritten: &mut Vec<u8>,
    buf: &mut [u8],
) -> io::Result<()> {
    loop {
        while !unwritten.is_empty() {
            match stream.write(unwritten) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => drop(unwritten.drain(..n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        match stream.read(buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                let mut done = 0;
                while done < n {
                    match stream.write(&buf[done..n]) {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(w) => done += w,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            unwritten.extend_from_slice(&buf[done..n]);
                            return Ok(());
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                if n < buf.len() {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Load generator (orchestrator process)
// ---------------------------------------------------------------------------------------

/// A round-trip counter owned by one client thread, alone on its cache line so the
/// orchestrator's reads do not slow the writer down.
#[repr(align(128))]
#[derive(Default)]
struct Counter(AtomicU64);

/// One client connection: the message in flight and how much of its echo arrived.
struct Conn {
    stream: mio::net::TcpStream,
    /// Connection number, written into every message.
    id: u64,
    /// Sequence number of the message in flight.
    seq: u64,
    msg: [u8; MESSAGE],
    /// Bytes of `msg` written so far (less than [`MESSAGE`] only after a short write).
    sent: usize,
    echo: [u8; MESSAGE],
    /// Bytes of the echo received so far.
    got: usize,
    /// Whether a message is in flight (false once draining and its echo is back).
    busy: bool,
}

impl Conn {
    /// Fills in message `seq`: the connection id, the sequence number, then a pattern.
    fn next_message(&mut self) {
        self.seq += 1;
        self.msg[..8].copy_from_slice(&self.id.to_le_bytes());
        self.msg[8..16].copy_from_slice(&self.seq.to_le_bytes());
        for (i, b) in self.msg[16..].iter_mut().enumerate() {
            *b = (self.seq as u8).wrapping_add(i as u8);
        }
        self.sent = 0;
        self.got = 0;
        self.busy = true;
    }

    /// Writes what is left of the message; `Ok(false)` if the socket is full (the caller
    /// then waits for writability).
    fn send(&mut self) -> io::Result<bool> {
        while self.sent < MESSAGE {
            match self.stream.write(&self.msg[self.sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Reads what has arrived of the echo; `Ok(true)` once it is complete and correct.
    fn receive(&mut self) -> io::Result<bool> {
        while self.got < MESSAGE {
            match self.stream.read(&mut self.echo[self.got..]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "server closed the connection",
                    ))
                }
                Ok(n) => self.got += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.echo != self.msg {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("connection {}: echo {} differs", self.id, self.seq),
            ));
        }
        Ok(true)
    }
}

/// What one client thread saw.
struct ClientReport {
    /// Round trips completed per connection over the whole run (warm-up included).
    per_conn: Vec<u64>,
}

/// One client thread: drives `streams` until `stop`, then lets every in-flight message
/// come back (so the server sees clean EOFs, never resets) and closes them.
fn client_thread(
    streams: Vec<(u64, std::net::TcpStream)>,
    counter: Arc<Counter>,
    stop: Arc<AtomicBool>,
) -> io::Result<ClientReport> {
    use mio::{Events, Interest, Poll, Token};

    let mut poll = Poll::new()?;
    let mut conns: Vec<Conn> = Vec::with_capacity(streams.len());
    for (i, (id, stream)) in streams.into_iter().enumerate() {
        let mut stream = mio::net::TcpStream::from_std(stream);
        poll.registry()
            .register(&mut stream, Token(i), Interest::READABLE)?;
        conns.push(Conn {
            stream,
            id,
            seq: 0,
            msg: [0; MESSAGE],
            sent: 0,
            echo: [0; MESSAGE],
            got: 0,
            busy: false,
        });
    }
    let mut per_conn = vec![0u64; conns.len()];
    let mut done = 0u64;
    // Start every connection; a short write (never seen: 64 bytes into an empty socket
    // buffer) re-registers for writability.
    for (i, c) in conns.iter_mut().enumerate() {
        c.next_message();
        if !c.send()? {
            poll.registry().reregister(
                &mut c.stream,
                Token(i),
                Interest::READABLE | Interest::WRITABLE,
            )?;
        }
    }
    let mut events = Events::with_capacity(conns.len().max(1));
    let mut draining: Option<Instant> = None;
    let mut in_flight = conns.len();
    while in_flight > 0 {
        if draining.is_none() && stop.load(Ordering::Relaxed) {
            draining = Some(Instant::now());
        }
        if let Some(since) = draining {
            if since.elapsed() > DRAIN {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{in_flight} echoes still missing {DRAIN:?} after the run stopped"),
                ));
            }
        }
        poll.poll(&mut events, Some(Duration::from_millis(100)))?;
        for ev in events.iter() {
            let i = ev.token().0;
            let c = &mut conns[i];
            if !c.busy {
                continue;
            }
            if c.sent < MESSAGE {
                if !c.send()? {
                    continue;
                }
                poll.registry()
                    .reregister(&mut c.stream, Token(i), Interest::READABLE)?;
            }
            // Edge-triggered: read until the echo is complete or the socket is empty. A
            // complete echo leaves nothing unread (one message in flight per connection),
            // so the next byte to arrive raises a fresh edge.
            if !c.receive()? {
                continue;
            }
            per_conn[i] += 1;
            done += 1;
            counter.0.store(done, Ordering::Relaxed);
            if draining.is_some() || stop.load(Ordering::Relaxed) {
                c.busy = false;
                in_flight -= 1;
                continue;
            }
            c.next_message();
            if !c.send()? {
                poll.registry().reregister(
                    &mut c.stream,
                    Token(i),
                    Interest::READABLE | Interest::WRITABLE,
                )?;
            }
        }
    }
    Ok(ClientReport { per_conn })
}

/// One measured run against one server.
struct RunResult {
    /// Round trips per second over the measured window.
    rps: f64,
    /// The measured window's actual length in seconds.
    window: f64,
    /// CPU seconds the server process used in the window.
    server_cpu: f64,
    /// CPU seconds the load generator (this process) used in the window.
    client_cpu: f64,
    /// CPU seconds other processes (alive at both ends of the window) used in it: what
    /// disturbed the run.
    other_cpu: f64,
    /// Idle (and iowait) CPU seconds of the whole machine in the window: capacity nobody
    /// used, e.g. a server whose workers slept while connections waited.
    idle_cpu: f64,
    /// CPU seconds the hypervisor gave to other guests (steal) in the window.
    steal_cpu: f64,
    /// Round trips per server CPU-second in the window.
    per_cpu: f64,
    /// Fewest round trips of any connection, over the mean (1.0 = perfectly fair).
    fairness: f64,
    /// The server's voluntary context switches (its threads blocking) per 1,000 round trips.
    vol_per_k: f64,
    /// The server's involuntary context switches (its threads preempted) per 1,000 round
    /// trips.
    invol_per_k: f64,
    /// How many of the server's threads used any CPU in the window.
    threads_ran: usize,
}

/// A server child process and what it printed.
struct Server {
    child: Child,
    port: u16,
    stderr: JoinHandle<String>,
}

/// Starts the server child for `name` and waits for its port.
fn start_server(name: &str) -> Result<Server, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut child = Command::new(exe)
        .env(CELL_ENV, format!("echo:{name}"))
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut stderr_pipe = child.stderr.take().expect("piped stderr");
    let stderr = thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr_pipe.read_to_string(&mut s);
        s
    });
    let (port_tx, port_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut port_tx = Some(port_tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(port) = line.strip_prefix(PORT_PREFIX) {
                if let Some(tx) = port_tx.take() {
                    let _ = tx.send(port.trim().parse::<u16>().ok());
                }
            }
        }
    });
    let mut server = Server {
        child,
        port: 0,
        stderr,
    };
    match port_rx.recv_timeout(STARTUP) {
        Ok(Some(port)) => {
            server.port = port;
            Ok(server)
        }
        Ok(None) => Err(stop_server(server, "printed a bad port")),
        Err(_) => Err(stop_server(server, "never printed its port")),
    }
}

/// Closes the server's stdin (it exits), kills it if it lingers, and returns `why` with
/// its stderr appended when `why` is not empty, else just its stderr.
fn stop_server(mut server: Server, why: &str) -> String {
    drop(server.child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        match server.child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() > deadline => {
                let _ = server.child.kill();
                let _ = server.child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(_) => break None,
        }
    };
    let stderr = server.stderr.join().unwrap_or_default();
    let mut out = why.to_string();
    if status.is_some_and(|s| !s.success()) || status.is_none() {
        let how = status.map_or("killed after 5 s".to_string(), |s| s.to_string());
        out = if out.is_empty() {
            how
        } else {
            format!("{out} ({how})")
        };
    }
    let stderr = stderr.trim();
    if !stderr.is_empty() {
        let first: Vec<&str> = stderr.lines().take(3).collect();
        let more = stderr.lines().count().saturating_sub(3);
        let mut s = first.join(" | ");
        if more > 0 {
            s.push_str(&format!(" | ... {more} more line(s)"));
        }
        out = if out.is_empty() {
            s
        } else {
            format!("{out}: {s}")
        };
    }
    out
}

/// utime + stime of process `pid` in seconds (all its threads, live and exited).
fn cpu_seconds(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat_ticks(&stat))
        .map_or(f64::NAN, |t| t as f64 / USER_HZ)
}

/// utime + stime in clock ticks from the text of a `/proc/<pid>/stat` or
/// `/proc/<pid>/task/<tid>/stat` file.
fn stat_ticks(stat: &str) -> Option<u64> {
    // Fields after the command name (which may hold spaces) start at field 3 (state);
    // utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime = fields.next()?.parse::<u64>().ok()?;
    let stime = fields.next()?.parse::<u64>().ok()?;
    Some(utime + stime)
}

/// One thread of a server as [`thread_switches`] reads it: its id, its utime + stime in
/// clock ticks, and its voluntary and involuntary context switches since it started.
type ThreadSample = (String, u64, u64, u64);

/// Every thread of process `pid` (`/proc/<pid>/task/*/{stat,status}`).
fn thread_switches(pid: &str) -> Vec<ThreadSample> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for task in dir.flatten() {
        let path = task.path();
        let (Ok(stat), Ok(status)) = (
            std::fs::read_to_string(path.join("stat")),
            std::fs::read_to_string(path.join("status")),
        ) else {
            continue;
        };
        let ticks = stat_ticks(&stat).unwrap_or(0);
        let count = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        out.push((
            task.file_name().to_string_lossy().into_owned(),
            ticks,
            count("voluntary_ctxt_switches:"),
            count("nonvoluntary_ctxt_switches:"),
        ));
    }
    out
}

/// Between two [`thread_switches`] readings: the voluntary and involuntary context switches
/// of all threads, and how many threads used any CPU.
fn switches_between(before: &[ThreadSample], after: &[ThreadSample]) -> (u64, u64, usize) {
    let (mut vol, mut invol, mut ran) = (0, 0, 0);
    for (id, ticks, v, i) in after {
        let (t0, v0, i0) = before
            .iter()
            .find(|b| &b.0 == id)
            .map_or((0, 0, 0), |b| (b.1, b.2, b.3));
        vol += v.saturating_sub(v0);
        invol += i.saturating_sub(i0);
        ran += usize::from(*ticks > t0);
    }
    (vol, invol, ran)
}

/// The machine's idle + iowait and steal CPU seconds since boot (`/proc/stat`).
fn machine_idle_steal() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<f64> = stat
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("cpu "))
        .unwrap_or_default()
        .split_whitespace()
        .map(|f| f.parse::<u64>().map_or(f64::NAN, |t| t as f64 / USER_HZ))
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let field = |i: usize| ticks.get(i).copied().unwrap_or(f64::NAN);
    (field(3) + field(4), field(7))
}

/// utime + stime in seconds of every process but `skip`, by pid.
fn other_processes_ticks(skip: [u32; 2]) -> Vec<(u32, f64)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut ticks: Vec<(u32, f64)> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| !skip.contains(pid))
        .map(|pid| (pid, cpu_seconds(&pid.to_string())))
        .filter(|(_, t)| t.is_finite())
        .collect();
    ticks.sort_by_key(|&(pid, _)| pid);
    ticks
}

/// CPU seconds the processes alive in both `before` and `after` used in between (a
/// lower bound: processes born or dead inside the window are missed).
fn other_processes_cpu(before: &[(u32, f64)], after: &[(u32, f64)]) -> f64 {
    after
        .iter()
        .filter_map(|(pid, t1)| {
            let i = before.binary_search_by_key(pid, |&(p, _)| p).ok()?;
            Some((t1 - before[i].1).max(0.0))
        })
        .sum()
}

/// The 1-minute load average, for the header and footer lines.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

/// One run: a fresh server, [`CONNECTIONS`] clients, warm-up, measured window, clean
/// teardown. `Err` carries the reason a run failed; the `String` in `Ok` is whatever the
/// server wrote to stderr.
fn run_once(name: &str, threads: usize, measure: Duration) -> Result<(RunResult, String), String> {
    let server = start_server(name)?;
    let pid = server.child.id().to_string();
    let ours = [server.child.id(), std::process::id()];
    let addr = SocketAddr::from(([127, 0, 0, 1], server.port));
    let mut streams = Vec::with_capacity(CONNECTIONS);
    for id in 0..CONNECTIONS as u64 {
        let connected = std::net::TcpStream::connect_timeout(&addr, STARTUP).and_then(|s| {
            s.set_nodelay(true)?;
            s.set_nonblocking(true)?;
            Ok(s)
        });
        match connected {
            Ok(s) => streams.push((id, s)),
            Err(e) => return Err(stop_server(server, &format!("connect #{id}: {e}"))),
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    let mut shares: Vec<Vec<(u64, std::net::TcpStream)>> =
        (0..threads).map(|_| Vec::new()).collect();
    for (k, s) in streams.into_iter().enumerate() {
        shares[k % threads].push(s);
    }
    let clients: Vec<(Arc<Counter>, JoinHandle<io::Result<ClientReport>>)> = shares
        .into_iter()
        .map(|share| {
            let counter = Arc::new(Counter::default());
            let (c, s) = (Arc::clone(&counter), Arc::clone(&stop));
            (counter, thread::spawn(move || client_thread(share, c, s)))
        })
        .collect();
    let total = || -> u64 {
        clients
            .iter()
            .map(|(c, _)| c.0.load(Ordering::Relaxed))
            .sum()
    };
    thread::sleep(WARM_UP);
    let (i0, st0) = machine_idle_steal();
    let sw0 = thread_switches(&pid);
    let (n0, s0, c0, m0, t0) = (
        total(),
        cpu_seconds(&pid),
        cpu_seconds("self"),
        other_processes_ticks(ours),
        Instant::now(),
    );
    thread::sleep(measure);
    let (n1, s1, c1, m1, t1) = (
        total(),
        cpu_seconds(&pid),
        cpu_seconds("self"),
        other_processes_ticks(ours),
        Instant::now(),
    );
    let sw1 = thread_switches(&pid);
    let (i1, st1) = machine_idle_steal();
    stop.store(true, Ordering::Relaxed);
    let mut per_conn = Vec::with_capacity(CONNECTIONS);
    let mut failure = None;
    for (_, h) in clients {
        match h.join() {
            Ok(Ok(r)) => per_conn.extend(r.per_conn),
            Ok(Err(e)) => failure = failure.or(Some(format!("load generator: {e}"))),
            Err(_) => failure = failure.or(Some("load generator thread panicked".to_string())),
        }
    }
    // The client sockets are closed now; give the server a moment to see the EOFs (and
    // report any error) before its stdin closes.
    thread::sleep(Duration::from_millis(50));
    let stderr = stop_server(server, "");
    if let Some(f) = failure {
        return Err(if stderr.is_empty() {
            f
        } else {
            format!("{f}; server: {stderr}")
        });
    }
    let mean = per_conn.iter().sum::<u64>() as f64 / per_conn.len().max(1) as f64;
    let fewest = per_conn.iter().copied().min().unwrap_or(0) as f64;
    let (vol, invol, threads_ran) = switches_between(&sw0, &sw1);
    let thousands = (n1 - n0).max(1) as f64 / 1e3;
    let result = RunResult {
        vol_per_k: vol as f64 / thousands,
        invol_per_k: invol as f64 / thousands,
        threads_ran,
        rps: (n1 - n0) as f64 / (t1 - t0).as_secs_f64(),
        window: (t1 - t0).as_secs_f64(),
        server_cpu: s1 - s0,
        per_cpu: (n1 - n0) as f64 / (s1 - s0),
        other_cpu: other_processes_cpu(&m0, &m1),
        idle_cpu: i1 - i0,
        steal_cpu: st1 - st0,
        client_cpu: c1 - c0,
        fairness: if mean > 0.0 { fewest / mean } else { f64::NAN },
    };
    Ok((result, stderr))
}

/// Everything measured for one server.
#[derive(Default)]
struct Rows {
    runs: Vec<RunResult>,
    failures: Vec<String>,
    stderr: Vec<String>,
}

/// Orchestrator side: warm-up run per server (discarded), then `cfg.runs` interleaved
/// rounds, then the table.
fn orchestrate(cfg: &Config, servers: &[&str]) {
    let threads = std::env::var("GPM_BENCH_ECHO_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&t| t > 0)
        .unwrap_or(DEFAULT_CLIENT_THREADS)
        .min(CONNECTIONS);
    let measure = if cfg.quick { MEASURE / 10 } else { MEASURE };
    println!(
        "gpm echo benchmark: {CONNECTIONS} connections x {MESSAGE}-byte round trips on \
         127.0.0.1, server procs={}, load generator {threads} thread(s) (mio), \
         {} runs of {:.1} s per server after {:.1} s warm-up each, interleaved, one \
         server process per run{}",
        cfg.procs,
        cfg.runs,
        measure.as_secs_f64(),
        WARM_UP.as_secs_f64(),
        if cfg.quick { ", QUICK" } else { "" },
    );
    let load_before = load_average();
    let mut rows: Vec<Rows> = servers.iter().map(|_| Rows::default()).collect();
    for round in 0..=cfg.runs {
        for (name, row) in servers.iter().zip(rows.iter_mut()) {
            let label = if round == 0 {
                "warm-up".to_string()
            } else {
                format!("run {round}/{}", cfg.runs)
            };
            eprint!("echo:{name} {label} ... ");
            match run_once(name, threads, measure) {
                Ok((r, stderr)) => {
                    eprintln!(
                        "{:.0} req/s over {:.3} s; CPU-s: server {:.2}, client {:.2}, others {:.2}, \
                         idle {:.2}, steal {:.2}",
                        r.rps, r.window, r.server_cpu, r.client_cpu, r.other_cpu, r.idle_cpu, r.steal_cpu
                    );
                    if !stderr.is_empty() {
                        row.stderr.push(stderr);
                    }
                    if round > 0 {
                        row.runs.push(r);
                    }
                }
                Err(e) => {
                    eprintln!("failed: {e}");
                    row.failures.push(e);
                }
            }
        }
    }
    let mut t = table(servers, &rows, measure);
    t.note(format!(
        "1-min load average before/after: {load_before} / {}",
        load_average()
    ));
    print!("{}", t.render());
}

/// The result table: one row per server.
fn table(servers: &[&str], rows: &[Rows], measure: Duration) -> Table {
    let med = |r: &Rows, f: fn(&RunResult) -> f64| -> f64 {
        stats::median(&r.runs.iter().map(f).collect::<Vec<_>>())
    };
    let gpm = servers
        .iter()
        .zip(rows)
        .find(|(s, r)| **s == "gpm" && !r.runs.is_empty())
        .map(|(_, r)| med(r, |x| x.rps));
    let mut t = Table::new(
        format!(
            "echo: {CONNECTIONS} connections x {MESSAGE} B, requests/s over {:.1} s",
            measure.as_secs_f64()
        ),
        &[
            "server",
            "median req/s",
            "range",
            "vs gpm",
            "server CPU-s",
            "k req/CPU-s",
            "client CPU-s",
            "others CPU-s",
            "idle CPU-s",
            "fairness",
            "switches/1k req",
            "threads",
        ],
    );
    let mut notes = Vec::new();
    for (name, r) in servers.iter().zip(rows) {
        for f in &r.failures {
            notes.push(format!("{name}: a run failed: {f}"));
        }
        for s in &r.stderr {
            notes.push(format!("{name} server stderr: {s}"));
        }
        if r.runs.is_empty() {
            t.row(vec![name.to_string(), "failed".to_string()]);
            continue;
        }
        let rps: Vec<f64> = r.runs.iter().map(|x| x.rps).collect();
        let lo = rps.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = rps.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let m = stats::median(&rps);
        let cpu = med(r, |x| x.server_cpu);
        let per_cpu = med(r, |x| x.per_cpu);
        t.row(vec![
            name.to_string(),
            format!("{:.0}k", m / 1e3),
            format!("{:.0}k-{:.0}k", lo / 1e3, hi / 1e3),
            ratio(name, m, gpm),
            format!("{cpu:.2}"),
            format!("{:.0}", per_cpu / 1e3),
            format!("{:.2}", med(r, |x| x.client_cpu)),
            format!("{:.2}", med(r, |x| x.other_cpu)),
            format!("{:.2}", med(r, |x| x.idle_cpu)),
            format!("{:.2}", med(r, |x| x.fairness)),
            format!(
                "{:.0} + {:.0}",
                med(r, |x| x.vol_per_k),
                med(r, |x| x.invol_per_k)
            ),
            format!("{:.0}", med(r, |x| x.threads_ran as f64)),
        ]);
    }
    t.note(
        "vs gpm: other/gpm of the median req/s (higher is better, so < 1x means gpm serves \
         more); range: slowest-fastest run",
    );
    t.note(
        "mio: no runtime, one hand-written edge-triggered event loop per proc (the fewest \
         syscalls and thread switches this workload allows), so its rate is about the \
         most any runtime can serve on this machine with this load generator",
    );
    t.note(
        "server CPU-s: user+system CPU of the server process over the window (the machine \
         has 2 CPU-s per s in all); k req/CPU-s: round trips per server CPU-second; client \
         CPU-s: the load generator's",
    );
    t.note(
        "others CPU-s: what other processes used meanwhile (more than ~0.1 means the run \
         was disturbed); idle CPU-s: the machine's unused CPU (a server that keeps up \
         with the load leaves little: a large figure means both sides were waiting); \
         fairness: the slowest connection's round trips over the mean",
    );
    t.note(
        "switches/1k req: the server's context switches per 1,000 round trips, voluntary (a \
         thread blocked: in epoll, on a futex) + involuntary (a thread was preempted, \
         e.g. for a load generator thread woken on its core); threads: how many server threads \
         used CPU in the window",
    );
    for n in notes {
        t.note(n);
    }
    t
}
