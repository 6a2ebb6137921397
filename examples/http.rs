//! A minimal HTTP/1.1 server: `httparse` on `gpm::net`, one goroutine per connection.
//!
//! ```text
//! cargo run --release -p gpm --example http [ADDR]     # default 127.0.0.1:8080
//! cargo run --release -p gpm --example http -- --demo  # self-test on a free port
//! ```
//!
//! `curl http://127.0.0.1:8080/` says hello, `/stats` prints the scheduler's
//! [`gpm::stats`] line (goroutines, threads, Ps), anything else is a 404. Try it under load
//! (`wrk -c 1000 http://127.0.0.1:8080/`) and watch `/stats`: a thousand connections are a
//! thousand goroutines parked on the netpoller, on a handful of threads.
//!
//! Each connection's goroutine reads into a buffer and answers every complete request in
//! it, so requests split across reads and pipelined requests both work; the responses to
//! one read go out in one write. Connections are kept alive (HTTP/1.1's default; `Connection:
//! close` or HTTP/1.0 without `keep-alive` ends them), and an idle one is closed after
//! [`IDLE`]: the read parks with a timer armed. A request the parser rejects gets a 400,
//! a head over [`MAX_HEAD`] bytes a 431, and the connection closes. Request bodies (sized
//! by `Content-Length`) are skipped.
//!
//! `--demo` starts the server on an ephemeral port and runs client goroutines that speak
//! raw HTTP over `gpm::net::TcpStream` (keep-alive, pipelined, byte-at-a-time, bad and
//! closing requests), checks every response, and exits. `cargo test` runs it too.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use gpm::net::{TcpListener, TcpStream};

const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// The longest request head (request line and headers) the server accepts.
pub const MAX_HEAD: usize = 8 * 1024;

/// The longest request body the server skips; a longer one gets a 413.
pub const MAX_BODY: usize = 64 * 1024;

/// How long a connection may sit idle between requests.
pub const IDLE: Duration = Duration::from_secs(10);

/// The headers a request may have.
const MAX_HEADERS: usize = 32;

/// Whether the comma-separated header `value` lists `token` (case-insensitively).
fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Appends one response to `out`.
fn respond(out: &mut Vec<u8>, status: u16, body: &str, connection: Option<&str>) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        _ => "Not Implemented",
    };
    let _ = write!(
        out,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    if status == 405 {
        out.extend_from_slice(b"Allow: GET\r\n");
    }
    if let Some(c) = connection {
        let _ = write!(out, "Connection: {c}\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body.as_bytes());
}

/// The status and body for a request.
fn route(method: &str, path: &str) -> (u16, String) {
    match (method, path) {
        ("GET", "/") => (200, "hello from a gpm goroutine\n".into()),
        ("GET", "/stats") => (200, format!("{}\n", gpm::stats())),
        ("GET", _) => (404, "not found\n".into()),
        _ => (405, "method not allowed\n".into()),
    }
}

/// Answers the request at the start of `buf`, if it is all there: appends the response to
/// `out` and returns how many bytes the request took and whether to close the connection.
/// `None` means the request is incomplete: read more.
fn answer(buf: &[u8], out: &mut Vec<u8>) -> Option<(usize, bool)> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let mut fail = |status, body: &str| {
        respond(out, status, body, Some("close"));
        Some((buf.len(), true))
    };
    let head = match req.parse(buf) {
        Ok(httparse::Status::Complete(head)) if head <= MAX_HEAD => head,
        Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD => return None,
        Ok(_) => return fail(431, "request head too large\n"),
        Err(httparse::Error::TooManyHeaders) => return fail(431, "too many headers\n"),
        Err(e) => return fail(400, &format!("bad request: {e}\n")),
    };
    let (mut body, mut close, mut keep_alive) = (0, false, false);
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            match std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.parse().ok())
            {
                Some(n) if n <= MAX_BODY => body = n,
                Some(_) => return fail(413, "request body too large\n"),
                None => return fail(400, "bad request: bad Content-Length\n"),
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return fail(501, "chunked request bodies are not implemented\n");
        } else if h.name.eq_ignore_ascii_case("connection") {
            close |= has_token(h.value, "close");
            keep_alive |= has_token(h.value, "keep-alive");
        }
    }
    if buf.len() < head + body {
        return None; // the body is still coming
    }
    // HTTP/1.1 keeps the connection by default, HTTP/1.0 only when asked to.
    let http10 = req.version == Some(0);
    let close = close || (http10 && !keep_alive);
    let connection = match (close, http10) {
        (true, _) => Some("close"),
        (false, true) => Some("keep-alive"),
        (false, false) => None,
    };
    let (status, text) = route(req.method.unwrap_or(""), req.path.unwrap_or(""));
    respond(out, status, &text, connection);
    Some((head + body, close))
}

/// Serves one connection until the client closes it, asks to, sends a bad request or
/// idles for [`IDLE`].
fn serve_conn(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(IDLE))?;
    let mut buf = Vec::new(); // received, not yet answered
    let mut out = Vec::new(); // responses not yet written
    loop {
        // Answer every complete request in the buffer: there are several if the client
        // pipelines, none if the last read ended mid-request.
        let (mut used, mut close) = (0, false);
        while !close {
            let Some((len, c)) = answer(&buf[used..], &mut out) else {
                break;
            };
            (used, close) = (used + len, c);
        }
        buf.drain(..used);
        stream.write_all(&out)?; // parks while the socket's send buffer is full
        out.clear();
        if close {
            return Ok(()); // dropping the stream closes the connection
        }
        let start = buf.len();
        buf.resize(start + 4096, 0);
        // Parks on the netpoller until the client sends more, or the idle timer fires.
        let n = match stream.read(&mut buf[start..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()), // idle
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(()); // the client hung up
        }
        buf.truncate(start + n);
    }
}

/// Accepts for ever, one goroutine per connection.
pub fn serve(listener: TcpListener) {
    loop {
        match listener.accept() {
            // ^ parks until a client connects.
            Ok((stream, peer)) => {
                gpm::go!(move || {
                    if let Err(e) = serve_conn(stream) {
                        eprintln!("http: {peer}: {e}");
                    }
                });
            }
            Err(e) => {
                // Out of fds, or a connection aborted before we took it: back off a little.
                eprintln!("http: accept: {e}");
                gpm::time::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// A demo client's connection: a stream and the bytes read but not yet parsed.
struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> io::Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream,
            buf: Vec::new(),
        })
    }

    fn send(&mut self, request: &str) -> io::Result<()> {
        self.stream.write_all(request.as_bytes())
    }

    /// Reads one response: its status and body.
    fn response(&mut self) -> io::Result<(u16, String)> {
        let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 8];
            let mut resp = httparse::Response::new(&mut headers);
            let parsed = resp.parse(&self.buf).map_err(|e| bad(&e.to_string()))?;
            if let httparse::Status::Complete(head) = parsed {
                let len = resp
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .and_then(|h| std::str::from_utf8(h.value).ok()?.parse::<usize>().ok())
                    .ok_or_else(|| bad("no Content-Length"))?;
                if self.buf.len() >= head + len {
                    let status = resp.code.unwrap_or(0);
                    let body = String::from_utf8_lossy(&self.buf[head..head + len]).into_owned();
                    self.buf.drain(..head + len);
                    return Ok((status, body));
                }
            }
            let mut chunk = [0; 4096];
            match self.stream.read(&mut chunk)? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Checks that the server has closed the connection.
    fn expect_closed(&mut self) -> io::Result<()> {
        let mut rest = Vec::new();
        self.stream.read_to_end(&mut rest)?;
        assert!(
            self.buf.is_empty() && rest.is_empty(),
            "bytes after the last response"
        );
        Ok(())
    }
}

const GET: &str = "GET / HTTP/1.1\r\nHost: demo\r\n\r\n";

/// `n` requests one after another on one kept-alive connection.
fn demo_keep_alive(addr: SocketAddr, n: usize) -> io::Result<usize> {
    let mut c = Client::connect(addr)?;
    for i in 0..n {
        let (path, want) = match i % 4 {
            3 => ("/stats", 200),
            2 => ("/missing", 404),
            _ => ("/", 200),
        };
        c.send(&format!("GET {path} HTTP/1.1\r\nHost: demo\r\n\r\n"))?;
        let (status, body) = c.response()?;
        assert_eq!(status, want, "GET {path}");
        if path == "/stats" {
            assert!(body.starts_with("procs="), "{body:?}");
        }
    }
    Ok(n)
}

/// Four requests in one write; the answers come back in order.
fn demo_pipelined(addr: SocketAddr) -> io::Result<usize> {
    let mut c = Client::connect(addr)?;
    let missing = "GET /nope HTTP/1.1\r\nHost: demo\r\n\r\n";
    let post = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"; // 405; the body is skipped
    c.send(&format!("{GET}{missing}{post}{GET}"))?;
    for want in [200, 404, 405, 200] {
        assert_eq!(c.response()?.0, want);
    }
    Ok(4)
}

/// A request written one byte at a time: the server sees it in pieces.
fn demo_byte_at_a_time(addr: SocketAddr) -> io::Result<usize> {
    let mut c = Client::connect(addr)?;
    for b in GET.as_bytes().chunks(1) {
        c.stream.write_all(b)?; // one segment each (no Nagle)
    }
    let (status, body) = c.response()?;
    assert_eq!(
        (status, body.as_str()),
        (200, "hello from a gpm goroutine\n")
    );
    Ok(1)
}

/// A bad request, then one that asks to close: each gets its answer and the connection
/// closes.
fn demo_closing(addr: SocketAddr) -> io::Result<usize> {
    let mut c = Client::connect(addr)?;
    c.send("GET / HTTP/1.1\r\nBad Header\r\n\r\n")?;
    assert_eq!(c.response()?.0, 400);
    c.expect_closed()?;
    let mut c = Client::connect(addr)?;
    c.send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")?;
    assert_eq!(c.response()?.0, 200);
    c.expect_closed()?;
    let mut c = Client::connect(addr)?;
    c.send("GET / HTTP/1.0\r\n\r\n")?; // HTTP/1.0 closes unless asked not to
    assert_eq!(c.response()?.0, 200);
    c.expect_closed()?;
    Ok(3)
}

/// Starts the server on a free port and runs the demo clients on it, `clients` of them
/// making `requests` keep-alive requests each, all at once. Returns the number of
/// requests answered.
pub fn demo(clients: usize, requests: usize) -> io::Result<usize> {
    // Once `bind` returns the socket is listening: clients can connect at once.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    gpm::go!(serve(listener)); // runs until the runtime is dropped
    let mut handles = vec![
        gpm::go!(demo_pipelined(addr)),
        gpm::go!(demo_byte_at_a_time(addr)),
        gpm::go!(demo_closing(addr)),
    ];
    handles.extend((0..clients).map(|_| gpm::go!(demo_keep_alive(addr, requests))));
    let mut answered = 0;
    for h in handles {
        answered += h.join().expect("a demo client panicked")?;
    }
    Ok(answered)
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ADDR.to_string());
    let rt = gpm::Runtime::new()?;
    if addr == "--demo" {
        let n = rt.block_on(|| demo(16, 100))?;
        println!("http --demo: {n} requests answered correctly");
        return Ok(()); // dropping `rt` takes the server down
    }
    let listener = TcpListener::bind(&addr)?;
    println!("http: listening on http://{}/", listener.local_addr()?);
    rt.block_on(move || serve(listener));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo() {
        let rt = gpm::Runtime::builder().procs(2).build().unwrap();
        assert_eq!(
            rt.block_on(|| super::demo(4, 20)).unwrap(),
            4 + 1 + 3 + 4 * 20
        );
    }

    /// Feeds `input` to `answer` in pieces of `step` bytes, as reads would deliver it;
    /// returns the statuses of the responses, and whether the connection closed.
    fn statuses(input: &[u8], step: usize) -> (Vec<u16>, bool) {
        let (mut buf, mut out) = (Vec::new(), Vec::new());
        for piece in input.chunks(step) {
            buf.extend_from_slice(piece);
            while let Some((len, close)) = answer(&buf, &mut out) {
                buf.drain(..len);
                if close {
                    return (parse_statuses(&out), true);
                }
            }
        }
        (parse_statuses(&out), false)
    }

    fn parse_statuses(out: &[u8]) -> Vec<u16> {
        let text = String::from_utf8_lossy(out);
        text.match_indices("HTTP/1.1 ")
            .map(|(i, _)| text[i + 9..i + 12].parse().unwrap())
            .collect()
    }

    #[test]
    fn requests_in_pieces() {
        let two = format!("{GET}POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc{GET}");
        for step in [1, 2, 7, 1000] {
            assert_eq!(statuses(two.as_bytes(), step), (vec![200, 405, 200], false));
        }
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "y".repeat(MAX_HEAD));
        assert_eq!(statuses(big.as_bytes(), 4096), (vec![431], true));
        let chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(statuses(chunked.as_bytes(), 100), (vec![501], true));
        let keep = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
        assert_eq!(statuses(keep.as_bytes(), 100), (vec![200], false));
    }
}
