//! A tour of gpm, printed step by step:
//!
//! ```text
//! cargo run --release -p gpm --example tour
//! ```
//!
//! A runtime, `go!` and `join`, 100,000 goroutines, a panic caught at a goroutine's
//! boundary, 10,000 goroutines sleeping at once (parked on the runtime's timers, not on
//! threads), and goroutines taking turns on one P with `yield_now`. Each step checks what
//! it prints.

use std::time::{Duration, Instant};

fn main() {
    let rt = gpm::Runtime::builder().procs(2).build().expect("runtime");
    println!("1. a runtime with {} Ps", rt.procs());

    let answer = rt.block_on(|| gpm::go!(move || 6 * 7).join().unwrap());
    assert_eq!(answer, 42);
    println!("2. go! + join: {answer}");

    let sum: u64 = rt.block_on(|| {
        let hs: Vec<_> = (0..100_000u64).map(|i| gpm::go!(i)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(sum, 99_999 * 100_000 / 2);
    println!("3. 100,000 goroutines summed their ids: {sum}");

    // Print panics in one line instead of the default message with a backtrace.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| println!("   (panic hook: {info})")));
    let caught = rt.block_on(|| gpm::go!(move || -> u8 { panic!("a goroutine panicked") }).join());
    std::panic::set_hook(default_hook);
    let msg = caught.unwrap_err();
    println!(
        "4. join returned the panic as Err({:?}); the runtime keeps going",
        msg.downcast_ref::<&str>().unwrap()
    );

    let t = Instant::now();
    rt.block_on(|| {
        let hs: Vec<_> = (0..10_000)
            .map(|_| gpm::go!(move || gpm::time::sleep(Duration::from_millis(50))))
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    });
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(50));
    println!("5. 10,000 goroutines slept 50 ms each, together, in {took:?}");

    // On a runtime with one P, so the turns are visible (with more Ps they run in parallel).
    let one = gpm::Runtime::builder().procs(1).build().expect("runtime");
    let turns = one.block_on(|| {
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let hs: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                let log = log.clone();
                gpm::go!(move || {
                    for _ in 0..3 {
                        log.lock().unwrap().push_str(name);
                        gpm::yield_now();
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        let s = log.lock().unwrap().clone();
        s
    });
    assert_eq!(turns.len(), 9);
    println!("6. three goroutines on one P taking turns with yield_now: {turns}");
    println!("done");
}

#[cfg(test)]
mod tests {
    #[test]
    fn tour() {
        super::main();
    }
}
