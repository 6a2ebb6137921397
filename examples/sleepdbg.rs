use std::time::{Duration, Instant};
fn main() {
    let rt = gpm::Runtime::builder()
        .procs(std::env::var("P").map_or(2, |v| v.parse().unwrap()))
        .build()
        .unwrap();
    for n in [1000, 10_000, 30_000] {
        let t = Instant::now();
        let over = rt.block_on(move || {
            let hs: Vec<_> = (0..n)
                .map(|_| {
                    gpm::go!(move || {
                        let t = Instant::now();
                        gpm::time::sleep(Duration::from_millis(50));
                        t.elapsed()
                    })
                })
                .collect();
            let spawned = t.elapsed();
            let mut v: Vec<_> = hs.into_iter().map(|h| h.join().unwrap()).collect();
            v.sort();
            (spawned, v[0], v[v.len() / 2], v[v.len() - 1])
        });
        println!(
            "n={n} total {:?} spawned {:?} min {:?} med {:?} max {:?}",
            t.elapsed(),
            over.0,
            over.1,
            over.2,
            over.3
        );
    }
}
