use std::time::{Duration, Instant};
fn main() {
    let rt = gpm::Runtime::builder().procs(2).build().unwrap();
    let v = rt.block_on(|| {
        let hs: Vec<_> = (0..1000).map(|i| gpm::go!(move || { gpm::yield_now(); i * 2 })).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<i64>()
    });
    println!("sum {v}");
    let t = Instant::now();
    rt.block_on(|| {
        let hs: Vec<_> = (0..10000).map(|_| gpm::go!(move || gpm::time::sleep(Duration::from_millis(10)))).collect();
        for h in hs { h.join().unwrap(); }
    });
    println!("sleep {:?}", t.elapsed());
    let t = Instant::now();
    let n = rt.block_on(|| {
        let hs: Vec<_> = (0..1_000_000u64).map(|i| gpm::go!(i)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    });
    println!("1M spawn {:?} {n}", t.elapsed());
    let t = Instant::now();
    rt.block_on(|| {
        let hs: Vec<_> = (0..1000).map(|_| gpm::go!(move || for _ in 0..10000 { gpm::yield_now() })).collect();
        for h in hs { h.join().unwrap(); }
    });
    println!("yield {:?} ns/yield", t.elapsed().as_nanos() / 10_000_000);
    let r = rt.block_on(|| gpm::go!(move || -> i32 { panic!("boom") }).join());
    println!("panic caught: {:?}", r.is_err());
}
