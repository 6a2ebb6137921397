//! The netpoller under the facade, through `gpm_netpoll::Evented` directly (the socket
//! types of `gpm::net` are tested in `net_*.rs`): goroutines wait on fds without blocking
//! their M, wake on readiness, time out, and see a closing registration.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use gpm_netpoll::Evented;

mod net_common;
use net_common::rt;

#[test]
fn goroutine_waits_for_data_without_blocking_its_m() {
    // One P: the reader parks on the socket, and the writer goroutine (queued behind it on
    // the same P) can only run if the reader's M is free.
    let rt = rt(1);
    let sum = rt.block_on(|| {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let client = TcpStream::connect(addr).unwrap();
        let (server, _) = l.accept().unwrap();
        let server = Evented::new(server).unwrap();
        let client = Evented::new(client).unwrap();
        let reader = gpm::go!(move || {
            let mut buf = [0u8; 4];
            server
                .read_with(None, |s| (&*s).read_exact(&mut buf))
                .unwrap();
            buf.iter().map(|&b| u32::from(b)).sum::<u32>()
        });
        gpm::yield_now();
        client
            .write_with(None, |s| (&*s).write(&[1, 2, 3, 4]))
            .unwrap();
        reader.join().unwrap()
    });
    assert_eq!(sum, 10);
}

#[test]
fn read_times_out_with_the_std_error() {
    let rt = rt(2);
    let kind = rt.block_on(|| {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (server, _) = l.accept().unwrap();
        let server = Evented::new(server).unwrap();
        let mut buf = [0u8; 1];
        server
            .read_with(Some(Duration::from_millis(20)), |s| (&*s).read(&mut buf))
            .unwrap_err()
            .kind()
    });
    assert_eq!(kind, std::io::ErrorKind::WouldBlock);
}

/// A connected pair of non-blocking TCP streams on loopback.
fn pair() -> (Evented<TcpStream>, Evented<TcpStream>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (server, _) = l.accept().unwrap();
    (Evented::new(server).unwrap(), Evented::new(client).unwrap())
}

#[test]
fn work_readied_from_outside_runs_while_the_m_sleeps_in_the_poller() {
    // The only P's goroutine waits on a socket, so its M ends up blocked in the poller with
    // no deadline. A goroutine spawned from a plain thread must still run (wakep starts or
    // wakes another M; nobody waits for the poller).
    let rt = rt(1);
    let (server, client) = pair();
    let (tx, rx) = gpm::bounded::<u8>(0);
    let reader = rt.spawn(move || {
        let mut b = [0u8; 1];
        server.read_with(None, |s| (&*s).read(&mut b)).unwrap();
        b[0]
    });
    let helper = rt.spawn(move || tx.send(7).unwrap());
    assert_eq!(rx.recv(), Ok(7));
    helper.join().unwrap();
    client.write_with(None, |s| (&*s).write(&[9])).unwrap();
    assert_eq!(reader.join().unwrap(), 9);
}

#[test]
fn a_timer_added_while_the_sleeper_polls_without_deadline_fires() {
    // The sleeper blocks in the poller with no timeout (a goroutine waits on a socket, no
    // timers). A sleep started afterwards must nudge it to re-arm, or it never ends.
    let rt = rt(1);
    let (server, client) = pair();
    let (parked_tx, parked_rx) = gpm::bounded::<()>(1);
    let reader = rt.spawn(move || {
        parked_tx.send(()).unwrap();
        let mut b = [0u8; 1];
        server.read_with(None, |s| (&*s).read(&mut b)).unwrap();
    });
    parked_rx.recv().unwrap();
    rt.block_on(|| gpm::time::sleep(Duration::from_millis(5)));
    client.write_with(None, |s| (&*s).write(&[1])).unwrap();
    reader.join().unwrap();
}

#[test]
fn runtime_drop_unwinds_a_goroutine_waiting_on_a_socket() {
    // Shutdown unwinds the waiter: its destructors run (the socket it owns closes) and its
    // token leaves the slot, so dropping the runtime neither hangs nor leaks the G.
    struct Flag(std::sync::Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rt = rt(2);
    let (server, client) = pair();
    let (parked_tx, parked_rx) = gpm::bounded::<()>(1);
    let flag = Flag(dropped.clone());
    let _reader = rt.spawn(move || {
        let _flag = flag;
        parked_tx.send(()).unwrap();
        let mut b = [0u8; 1];
        let _ = server.read_with(None, |s| (&*s).read(&mut b));
    });
    parked_rx.recv().unwrap();
    drop(rt);
    assert!(dropped.load(std::sync::atomic::Ordering::SeqCst));
    drop(client);
}

#[test]
fn many_goroutines_wait_on_one_listener() {
    // Several acceptors on one fd share its read slot (the list path); every connection is
    // accepted by exactly one of them.
    let rt = rt(2);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let l = std::sync::Arc::new(Evented::new(l).unwrap());
    const ACCEPTORS: usize = 8;
    const PER: usize = 25;
    let acceptors: Vec<_> = (0..ACCEPTORS)
        .map(|_| {
            let l = l.clone();
            rt.spawn(move || {
                for _ in 0..PER {
                    let (s, _) = l.read_with(None, |l| l.accept()).unwrap();
                    drop(s);
                }
            })
        })
        .collect();
    let conns: Vec<_> = (0..ACCEPTORS * PER)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    for a in acceptors {
        a.join().unwrap();
    }
    drop(conns);
}
