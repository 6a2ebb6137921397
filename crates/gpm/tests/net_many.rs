//! 1,000 concurrent TCP connections on two Ps, one goroutine per connection on each side:
//! all of them are open and parked at once before any finishes.

use std::io::{Read, Write};

use gpm::net::{TcpListener, TcpStream};

const CONNS: usize = 1000;

/// Makes sure the soft fd limit fits both ends of every connection (plus slack), raising
/// it towards the hard limit if it is low.
fn ensure_fd_limit(need: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    if lim.rlim_cur >= need {
        return;
    }
    assert!(
        lim.rlim_max >= need,
        "this test needs {need} fds; the hard limit is {}",
        lim.rlim_max
    );
    lim.rlim_cur = need;
    // SAFETY: `lim` is a valid rlimit; raising the soft limit up to the hard one is allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
}

#[test]
fn a_thousand_concurrent_connections() {
    ensure_fd_limit(2 * CONNS as u64 + 256);
    let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        // Every connection is held open until all of them are connected: each client
        // waits at `start`, which opens only after the last one said it is connected.
        let (connected_tx, connected_rx) = gpm::bounded::<()>(CONNS);
        let (start_tx, start_rx) = gpm::bounded::<()>(0);
        let server = gpm::go!(move || {
            let handlers: Vec<_> = (0..CONNS)
                .map(|_| {
                    let (mut s, _) = l.accept().unwrap();
                    gpm::go!(move || {
                        let mut buf = [0u8; 8];
                        s.read_exact(&mut buf).unwrap();
                        let n = u64::from_le_bytes(buf);
                        s.write_all(&(n * 2).to_le_bytes()).unwrap();
                        // The client closes first: we read its EOF.
                        assert_eq!(s.read(&mut buf).unwrap(), 0);
                    })
                })
                .collect();
            handlers.into_iter().for_each(|h| h.join().unwrap());
        });
        let clients: Vec<_> = (0..CONNS as u64)
            .map(|i| {
                let connected_tx = connected_tx.clone();
                let start_rx = start_rx.clone();
                gpm::go!(move || {
                    let mut c = TcpStream::connect(addr).unwrap();
                    connected_tx.send(()).unwrap();
                    start_rx.recv().unwrap_err(); // disconnected: everyone is connected
                    c.write_all(&i.to_le_bytes()).unwrap();
                    let mut buf = [0u8; 8];
                    c.read_exact(&mut buf).unwrap();
                    assert_eq!(u64::from_le_bytes(buf), i * 2);
                })
            })
            .collect();
        drop(connected_tx);
        for _ in 0..CONNS {
            connected_rx.recv().unwrap();
        }
        drop(start_tx); // opens the gate for every client at once
        clients.into_iter().for_each(|h| h.join().unwrap());
        server.join().unwrap();
    });
}
