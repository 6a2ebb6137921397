//! A trace of the scheduler at work, for Perfetto or the workspace's `gpm-trace` page:
//!
//! ```text
//! cargo run --release -p gpm --example trace_demo [OUT.json]
//! cargo run --release -p gpm-trace -- OUT.json        # writes OUT.html next to it
//! ```
//!
//! The program is small on purpose, so that each thing the trace shows is easy to find:
//!
//! - **a pipeline**: a generator, a squaring stage and a summer talk over rendezvous
//!   channels; each send readies the next stage (flow arrows from `ready` to `run`);
//! - **a burst**: 200 goroutines spawned at once on P 0; the other M wakes and **steals**
//!   half of them;
//! - **a blocking call**: a goroutine sleeps 5 ms inside `gpm::syscall` while work waits,
//!   so **sysmon hands its P** to another M (a `handoff` marker, and a third M appears);
//! - **the netpoller**: a TCP echo over loopback, where a goroutine parks on a read and a
//!   **netpoll** wake-up readies it;
//! - **timers**: goroutines sleeping 1 ms, readied by the timer heap;
//! - **idle Ms**: the grey gaps where an M sleeps.
//!
//! The default output is `target/trace_demo.json`. The same trace comes from any gpm
//! program run with `GPM_TRACE=out.json`.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gpm::net::{TcpListener, TcpStream};

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/trace_demo.json".into());
    let rt = gpm::Runtime::builder()
        .procs(2)
        .trace(&path)
        .build()
        .unwrap_or_else(|e| panic!("cannot start the runtime: {e}"));
    let report = rt.block_on(demo);
    drop(rt); // writes the trace
    println!("{report}");
    println!("trace written to {path}");
    println!("view it: cargo run --release -p gpm-trace -- {path}   (or open it in https://ui.perfetto.dev)");
}

/// The whole demo; returns a line about what it computed.
pub fn demo() -> String {
    let pipeline = pipeline(200);
    let burst = burst(200);
    let blocked = blocking_call();
    let echoed = echo(20);
    let slept = timers(20);
    format!(
        "pipeline sum {pipeline}, burst sum {burst}, blocking call {blocked} ms, \
         {echoed} echoes, {slept} sleepers"
    )
}

/// generate -> square -> sum over rendezvous channels.
fn pipeline(n: u64) -> u64 {
    let (tx, rx) = gpm::bounded(0);
    let (sq_tx, sq_rx) = gpm::bounded(0);
    let generator = gpm::Builder::new()
        .name("generate")
        .spawn(move || (1..=n).for_each(|i| tx.send(i).unwrap()))
        .unwrap();
    let square = gpm::Builder::new()
        .name("square")
        .spawn(move || rx.iter().for_each(|i: u64| sq_tx.send(i * i).unwrap()))
        .unwrap();
    let sum: u64 = sq_rx.iter().sum();
    generator.join().unwrap();
    square.join().unwrap();
    assert_eq!(sum, n * (n + 1) * (2 * n + 1) / 6);
    sum
}

/// Many goroutines at once: the idle P's M wakes and steals.
fn burst(n: u64) -> u64 {
    let hs: Vec<_> = (0..n)
        .map(|i| {
            gpm::go!(move || {
                let mut x = i;
                for _ in 0..2_000 {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
                gpm::yield_now();
                x % 7
            })
        })
        .collect();
    hs.into_iter().map(|h| h.join().unwrap()).sum()
}

/// A goroutine blocked in a system call while others wait: sysmon hands its P on.
/// The blocker queues the waiting goroutines on its own P first, so there is work behind
/// it for as long as it blocks; they yield until it is back.
fn blocking_call() -> u128 {
    let started = std::time::Instant::now();
    let blocker = gpm::Builder::new()
        .name("blocker")
        .spawn(|| {
            let done = Arc::new(AtomicBool::new(false));
            let waiting: Vec<_> = (0..20)
                .map(|_| {
                    let done = done.clone();
                    gpm::go!(move || {
                        while !done.load(Ordering::Acquire) {
                            gpm::yield_now();
                        }
                    })
                })
                .collect();
            gpm::syscall(|| std::thread::sleep(Duration::from_millis(5)));
            done.store(true, Ordering::Release);
            waiting.into_iter().for_each(|h| h.join().unwrap());
        })
        .unwrap();
    blocker.join().unwrap();
    started.elapsed().as_millis()
}

/// A TCP echo over loopback: reads park on the netpoller.
fn echo(rounds: usize) -> usize {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = gpm::Builder::new()
        .name("echo-server")
        .spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 64];
            loop {
                match s.read(&mut buf).unwrap() {
                    0 => break,
                    n => s.write_all(&buf[..n]).unwrap(),
                }
            }
        })
        .unwrap();
    let mut c = TcpStream::connect(addr).unwrap();
    let mut buf = [0u8; 5];
    for _ in 0..rounds {
        c.write_all(b"hello").unwrap();
        c.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hello");
    }
    drop(c);
    server.join().unwrap();
    rounds
}

/// Sleepers readied by the timers.
fn timers(n: usize) -> usize {
    let hs: Vec<_> = (0..n)
        .map(|_| gpm::go!(|| gpm::time::sleep(Duration::from_millis(1))))
        .collect();
    hs.into_iter().for_each(|h| h.join().unwrap());
    n
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_runs_and_traces() {
        let path = std::env::temp_dir().join(format!("gpm-trace-demo-{}.json", std::process::id()));
        let rt = gpm::Runtime::builder()
            .procs(2)
            .trace(&path)
            .build()
            .unwrap();
        let report = rt.block_on(super::demo);
        drop(rt);
        assert!(
            report.starts_with("pipeline sum 2686700, burst sum "),
            "{report}"
        );
        let json = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        for cat in [
            "\"cat\":\"goroutine\"",
            "\"cat\":\"flow\"",
            "\"cat\":\"netpoll\"",
        ] {
            assert!(json.contains(cat), "no {cat} in the demo's trace");
        }
    }
}
