//! The netpoller under the facade, through `gpm_netpoll::Evented` directly (the socket
//! types of `gpm::net` are tested in `net_*.rs`): goroutines wait on fds without blocking
//! their M, wake on readiness, time out, and see a closing registration.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use gpm_netpoll::Evented;

fn rt(procs: usize) -> gpm::Runtime {
    gpm::Runtime::builder().procs(procs).build().unwrap()
}

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
