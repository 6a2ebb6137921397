use gpm::chan::{bounded, unbounded};

#[test]
fn ping_pong_goroutines() {
    let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    let n = rt.block_on(|| {
        let (tx1, rx1) = bounded::<u64>(0);
        let (tx2, rx2) = bounded::<u64>(0);
        let h = gpm::go!(move || {
            for v in &rx1 {
                tx2.send(v + 1).unwrap();
            }
        });
        let mut x = 0;
        for _ in 0..100_000 {
            tx1.send(x).unwrap();
            x = rx2.recv().unwrap();
        }
        drop(tx1);
        h.join().unwrap();
        x
    });
    assert_eq!(n, 100_000);
}

#[test]
fn spsc_bounded() {
    let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    let s = rt.block_on(|| {
        let (tx, rx) = bounded::<u64>(16);
        gpm::go!(move || {
            for i in 0..200_000 {
                tx.send(i).unwrap();
            }
        });
        rx.iter().sum::<u64>()
    });
    assert_eq!(s, 200_000 * 199_999 / 2);
}

#[test]
fn mpmc_unbounded_mixed_threads() {
    let (tx, rx) = unbounded::<u64>();
    let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    let mut hs = vec![];
    for _ in 0..4 {
        let tx = tx.clone();
        hs.push(rt.spawn(move || {
            for i in 0..10_000 {
                tx.send(i).unwrap();
            }
        }));
    }
    drop(tx);
    let r1 = rx.clone();
    let t = std::thread::spawn(move || r1.iter().sum::<u64>());
    let r2 = rx.clone();
    let g = rt.spawn(move || r2.iter().sum::<u64>());
    let a: u64 = rx.iter().sum::<u64>() + t.join().unwrap() + g.join().unwrap();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(a, 4 * (10_000 * 9_999 / 2));
}

#[test]
fn select_two() {
    let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        let (tx1, rx1) = bounded::<i32>(0);
        let (tx2, rx2) = bounded::<i32>(0);
        let a = gpm::go!(move || {
            tx1.send(1).unwrap();
            tx1
        });
        let b = gpm::go!(move || {
            tx2.send(2).unwrap();
            tx2
        });
        let mut got = vec![];
        for _ in 0..2 {
            gpm::select! {
                recv(rx1) -> m => got.push(m.unwrap()),
                recv(rx2) -> m => got.push(m.unwrap()),
            }
        }
        got.sort();
        assert_eq!(got, vec![1, 2]);
        drop((a.join(), b.join()));
        let (tx3, rx3) = bounded::<i32>(0);
        let h = gpm::go!(move || rx3.recv().unwrap());
        gpm::select! {
            send(tx3, 5) -> r => r.unwrap(),
            recv(gpm::chan::after(std::time::Duration::from_secs(5))) -> _ => panic!("timeout"),
        }
        assert_eq!(h.join().unwrap(), 5);
    });
}
