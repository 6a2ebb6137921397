//! Go's own channel tests, carried over to gpm.
//!
//! One module per Go test file, each under a link to its Go source, the way
//! crossbeam-channel carried them over in `tests/golang.rs`, but rewritten for gpm: where
//! Go starts a goroutine, so does the port (`gpm::go!`), and Go's `main` runs as a
//! goroutine too (`Runtime::block_on`) unless noted. Some tests run on a one-P runtime,
//! some on two Ps, and a few on the default runtime with Go's `main` on the test thread, so
//! that a plain thread blocks on channels shared with parked goroutines (run those with
//! `GPM_PROCS=1` as well).
//!
//! How Go maps onto the port:
//!
//! - `make(chan T, n)` is `bounded(n)`; `close(c)` is dropping every `Sender` of `c`
//!   (a goroutine that only needs to receive is given only a `Receiver`, so the owner's
//!   drop really closes). A channel Go never closes keeps a `Sender` alive to the end.
//! - A nil channel is [`never`] for receiving and [`NilSend`] for sending.
//! - `sync.WaitGroup` and "wait until done" become joining the goroutines' handles; every
//!   goroutine is joined before a test ends, so a lost wakeup shows up as a hang, not as a
//!   goroutine quietly unwound at shutdown. A panic in a goroutine fails the test.
//! - `runtime.Gosched()` is [`gpm::yield_now`].
//! - Where Go sleeps so that goroutines it just started reach a blocking operation, the
//!   port calls [`settle`] (a few yields). Nothing here sleeps to wait for something.
//! - Go evaluates a send case's value on entering `select`; gpm only when that arm is
//!   chosen, so where that matters (select.go) the values are computed first.
//!
//! Iteration counts are scaled where the whole file would otherwise take long on two
//! cores; each such constant says what Go uses. Assertions are Go's, kept exact, plus a few
//! the port adds (marked "beyond Go").
//!
//! Not carried over: select3.go, select5.go (generated code), closedchan.go, chan1.go,
//! perm.go and sendstmt.go (compile-time checks), powser*.go, and the chan_test.go tests
//! about Go's stack shrinking and GC.
//!
//! The tests are derived from Go's:
//!
//! - Source: <https://github.com/golang/go>
//! - Copyright (c) 2009 The Go Authors. All rights reserved.
//! - Use of that source code is governed by a BSD-style license:
//!   <https://golang.org/LICENSE>

use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use gpm::chan::{bounded, never, Receiver, RecvError, Sender, TryRecvError};
use gpm::{select, JoinHandle};

/// A runtime with `procs` Ps.
fn runtime(procs: usize) -> gpm::Runtime {
    gpm::Runtime::builder()
        .procs(procs)
        .build()
        .expect("build a runtime")
}

/// Waits for a goroutine and resumes its panic, if it panicked, in the caller.
fn join<T>(h: JoinHandle<T>) -> T {
    match h.join() {
        Ok(v) => v,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// `wg.Wait()`: joins every goroutine of a group.
fn join_all<T>(hs: impl IntoIterator<Item = JoinHandle<T>>) -> Vec<T> {
    hs.into_iter().map(join).collect()
}

/// Instead of Go's `time.Sleep` to let goroutines just started reach their blocking
/// operation: yields a few times. A yield puts the caller at the back of its P's run
/// queue, so on a one-P runtime every goroutine queued before it runs until it parks
/// first, and the sleep's purpose is met exactly. On more Ps it is best effort; the
/// assertions that follow hold either way (they check what must be true whether or not
/// the other goroutines got that far), they only lose some power to catch a bug.
fn settle() {
    for _ in 0..4 {
        gpm::yield_now();
    }
}

/// Go's nil channel on the sending side: a send on it never proceeds. It is a rendezvous
/// channel whose receiver is kept but never used. (On the receiving side, `never()`.)
struct NilSend<T> {
    tx: Sender<T>,
    _rx: Receiver<T>,
}

impl<T> NilSend<T> {
    fn new() -> Self {
        let (tx, _rx) = bounded(0);
        NilSend { tx, _rx }
    }
}

/// The channel `c`, or the nil channel if `c` has been set to nil.
fn or_nil<'a, T>(c: &'a Option<Sender<T>>, nil: &'a NilSend<T>) -> &'a Sender<T> {
    c.as_ref().unwrap_or(&nil.tx)
}

// https://github.com/golang/go/blob/master/test/chan/doubleselect.go
/// Test the situation in which two cases of a select can both end up running.
mod doubleselect {
    use super::*;

    /// Go's default (`-n`).
    const ITERATIONS: i32 = 100_000;

    /// sender sends a counter to one of four different channels. If two cases both end up
    /// running in the same iteration, the same value will be sent to two different
    /// channels. Returning drops the four senders: Go's `defer close(cN)`.
    fn sender(n: i32, c1: Sender<i32>, c2: Sender<i32>, c3: Sender<i32>, c4: Sender<i32>) {
        for i in 0..n {
            select! {
                send(c1, i) -> r => r.unwrap(),
                send(c2, i) -> r => r.unwrap(),
                send(c3, i) -> r => r.unwrap(),
                send(c4, i) -> r => r.unwrap(),
            }
        }
    }

    /// mux receives the values from sender and forwards them onto another channel. It
    /// would be simpler to just have sender's four cases all be the same channel, but this
    /// doesn't actually trigger the bug.
    fn mux(out: Sender<i32>, inp: Receiver<i32>, done: Sender<bool>) {
        for v in &inp {
            out.send(v).unwrap();
        }
        // This is only a copy of cmux's sender; closing cmux is the closer's job.
        drop(out);
        done.send(true).unwrap();
    }

    /// recver gets a stream of values from the four muxes and checks for duplicates.
    /// Returns how many distinct values it saw.
    fn recver(inp: Receiver<i32>) -> usize {
        let mut seen = HashSet::new();
        for v in &inp {
            assert!(seen.insert(v), "got duplicate value: {v}");
        }
        seen.len()
    }

    #[test]
    fn main() {
        // runtime.GOMAXPROCS(2)
        let seen = runtime(2).block_on(|| {
            let (c1, r1) = bounded(0);
            let (c2, r2) = bounded(0);
            let (c3, r3) = bounded(0);
            let (c4, r4) = bounded(0);
            let (done_tx, done) = bounded(0);
            let (cmux, rmux) = bounded(0);
            let mut hs = vec![gpm::go!(sender(ITERATIONS, c1, c2, c3, c4))];
            for r in [r1, r2, r3, r4] {
                let (cmux, done_tx) = (cmux.clone(), done_tx.clone());
                hs.push(gpm::go!(mux(cmux, r, done_tx)));
            }
            hs.push(gpm::go!(move || {
                for _ in 0..4 {
                    done.recv().unwrap();
                }
                drop(cmux); // close(cmux)
            }));
            // We keep the recver because it might catch more bugs in the future. However,
            // the result of the bug linked to at the top is that we'll end up panicking
            // with: "throw: bad g->status in ready".
            let seen = recver(rmux);
            join_all(hs);
            seen
        });
        // Beyond Go: every value arrived.
        assert_eq!(seen, ITERATIONS as usize);
    }
}

// https://github.com/golang/go/blob/master/test/chan/fifo.go
/// Test that unbuffered channels act as pure fifos.
mod fifo {
    use super::*;

    const N: i32 = 10;

    /// Go's `AsynchFifo` starts no goroutine: on the test thread.
    #[test]
    fn asynch_fifo() {
        let (tx, rx) = bounded(N as usize);
        for i in 0..N {
            tx.send(i).unwrap();
        }
        for i in 0..N {
            assert_eq!(rx.recv(), Ok(i), "bad receive");
        }
    }

    fn chain(ch: Receiver<i32>, val: i32, inp: Receiver<i32>, out: Sender<i32>) {
        inp.recv().unwrap();
        let v = ch.recv().unwrap();
        assert_eq!(v, val, "{val}");
        out.send(1).unwrap();
    }

    /// Thread together a daisy chain to read the elements in sequence.
    #[test]
    fn synch_fifo() {
        runtime(1).block_on(|| {
            let (ch_tx, ch) = bounded(0);
            let (start, mut inp) = bounded(0);
            let mut hs = Vec::new();
            for i in 0..N {
                let (out, next) = bounded(0);
                let ch = ch.clone();
                hs.push(gpm::go!(chain(ch, i, inp, out)));
                inp = next;
            }
            start.send(0).unwrap();
            for i in 0..N {
                ch_tx.send(i).unwrap();
            }
            inp.recv().unwrap();
            join_all(hs);
        });
    }
}

// https://github.com/golang/go/blob/master/test/chan/goroutines.go
/// Make a lot of goroutines, threaded together, and tear them down cleanly.
mod goroutines {
    use super::*;

    fn f(left: Sender<i32>, right: Receiver<i32>) {
        left.send(right.recv().unwrap()).unwrap();
    }

    /// On the default runtime, with Go's `main` on the test thread: the thread blocks on
    /// the end of a chain of 10,000 parked goroutines (Go's default `n`).
    #[test]
    fn main() {
        let n = 10_000;
        let (leftmost, leftmost_rx) = bounded(0);
        let mut left = leftmost;
        let mut hs = Vec::with_capacity(n + 1);
        for _ in 0..n {
            let (right, right_rx) = bounded(0);
            hs.push(gpm::go!(f(left, right_rx)));
            left = right;
        }
        let right = left;
        hs.push(gpm::go!(move || right.send(1).unwrap()));
        assert_eq!(leftmost_rx.recv(), Ok(1));
        join_all(hs);
    }
}

// https://github.com/golang/go/blob/master/test/chan/nonblock.go
/// Test channel operations that test for blocking. Use several sizes and types of
/// operands.
mod nonblock {
    use super::*;

    /// Go's i32receiver, i64receiver, breceiver and sreceiver.
    fn receiver<T: PartialEq>(c: Receiver<T>, want: T, name: &str, strobe: Sender<bool>) {
        let v = c.recv().unwrap();
        assert!(v == want, "{name} value");
        strobe.send(true).unwrap();
    }

    /// Go's i32sender, i64sender, bsender and ssender.
    fn sender<T>(c: Sender<T>, v: T, strobe: Sender<bool>) {
        c.send(v).unwrap();
        strobe.send(true).unwrap();
    }

    /// Go sleeps between tries (two 10 µs ticks and three Goscheds) and gives up after
    /// 10,000 tries, about 100 ms. The port yields instead, so that the goroutine it waits
    /// for can run; on one P a single yield is enough. The bound only turns a lost
    /// goroutine into a failure rather than a hang: on two Ps it is about a second of
    /// yielding.
    const MAX_TRIES: usize = 10_000_000;

    fn sleep() {
        gpm::yield_now();
    }

    /// The part of Go's loop body for one operand type, after the initial non-blocking
    /// receives: a non-blocking send that must go through once a receiver waits, then a
    /// non-blocking receive that must go through once a sender has sent.
    fn exercise<T>(
        c: &(Sender<T>, Receiver<T>),
        buffer: usize,
        name: &'static str,
        to_receiver: T,
        from_sender: T,
        sync: &(Sender<bool>, Receiver<bool>),
    ) where
        T: Clone + PartialEq + Debug + Send + 'static,
    {
        let (tx, rx) = c;

        let (c, want, strobe) = (rx.clone(), to_receiver.clone(), sync.0.clone());
        let h = gpm::go!(receiver(c, want, name, strobe));
        let mut tries = 0;
        loop {
            select! {
                send(tx, to_receiver.clone()) -> r => {
                    r.unwrap();
                    break;
                }
                default => {
                    tries += 1;
                    assert!(tries <= MAX_TRIES, "{name}receiver buffer={buffer}: fail");
                    sleep();
                }
            }
        }
        sync.1.recv().unwrap();
        join(h);

        let (c, v, strobe) = (tx.clone(), from_sender.clone(), sync.0.clone());
        let h = gpm::go!(sender(c, v, strobe));
        if buffer > 0 {
            sync.1.recv().unwrap();
        }
        let mut tries = 0;
        let v = loop {
            select! {
                recv(rx) -> v => break v.unwrap(),
                default => {
                    tries += 1;
                    assert!(tries <= MAX_TRIES, "{name}sender buffer={buffer}: fail");
                    sleep();
                }
            }
        };
        assert_eq!(v, from_sender, "{name}sender value");
        if buffer == 0 {
            sync.1.recv().unwrap();
        }
        join(h);
    }

    /// Go's `i32, ok = <-c32` etc. at the top of the loop: nothing to receive yet.
    fn nothing_there<T>(c: &(Sender<T>, Receiver<T>), name: &str) {
        select! {
            recv(c.1) -> _ => panic!("blocked {name}sender"),
            default => {}
        }
    }

    fn run() {
        let sync = bounded::<bool>(0);
        for buffer in 0..2 {
            let c32 = bounded::<i32>(buffer);
            let c64 = bounded::<i64>(buffer);
            let cb = bounded::<bool>(buffer);
            let cs = bounded::<String>(buffer);

            nothing_there(&c32, "i32");
            nothing_there(&c64, "i64");
            nothing_there(&cb, "b");
            nothing_there(&cs, "s");

            exercise(&c32, buffer, "i32", 123, 234, &sync);
            exercise(&c64, buffer, "i64", 123_456, 234_567, &sync);
            exercise(&cb, buffer, "b", true, true, &sync);
            let (hello, again) = ("hello".to_string(), "hello again".to_string());
            exercise(&cs, buffer, "s", hello, again, &sync);
        }
    }

    #[test]
    fn main_one_p() {
        runtime(1).block_on(run);
    }

    #[test]
    fn main_two_ps() {
        runtime(2).block_on(run);
    }
}

// https://github.com/golang/go/blob/master/test/chan/select.go
/// Test simple select.
mod select {
    use super::*;
    use std::cell::Cell;

    /// Go's test starts no goroutine: on the test thread.
    #[test]
    fn main() {
        let counter = Cell::new(0u32);
        let shift = Cell::new(0u32);
        let get_value = || {
            counter.set(counter.get() + 1);
            1u32 << shift.get()
        };

        let send = |mut a: Option<&Sender<u32>>, mut b: Option<&Sender<u32>>| {
            let nil = NilSend::new();
            let mut i = 0;
            loop {
                // Go evaluates both send values on entering the select, whichever case
                // runs; gpm evaluates only the chosen one, so evaluate them here.
                let (v1, v2) = (get_value(), get_value());
                let chosen = select! {
                    send(a.unwrap_or(&nil.tx), v1) -> r => {
                        r.unwrap();
                        'a'
                    }
                    send(b.unwrap_or(&nil.tx), v2) -> r => {
                        r.unwrap();
                        'b'
                    }
                    default => break,
                };
                i += 1;
                match chosen {
                    'a' => a = None,
                    _ => b = None,
                }
                shift.set(shift.get() + 1);
            }
            i
        };

        let (a, ar) = bounded::<u32>(1);
        let (b, br) = bounded::<u32>(1);
        let v = send(Some(&a), Some(&b));
        assert_eq!(v, 2, "Send returned {v} != 2");
        let (av, bv) = (ar.recv().unwrap(), br.recv().unwrap());
        assert_eq!(av | bv, 3, "bad values {av} {bv}");
        let v = send(Some(&a), None);
        assert_eq!(v, 1, "Send returned {v} != 1");
        assert_eq!(counter.get(), 10, "counter is {} != 10", counter.get());
    }
}

// https://github.com/golang/go/blob/master/test/chan/select2.go
/// Test that selects do not consume undue memory.
///
/// Go also compares the heap after `runtime.GC()` between the two rounds and only prints
/// a warning; there is no collector to ask here, so only the selects' results are checked.
mod select2 {
    use super::*;

    /// Go's count per round.
    const N: usize = 100_000;

    fn sender(c: Sender<i32>, n: usize) {
        for _ in 0..n {
            c.send(1).unwrap();
        }
    }

    fn receiver(c: &Receiver<i32>, dummy: &Receiver<i32>, n: usize) {
        for _ in 0..n {
            select! {
                recv(c) -> v => assert_eq!(v, Ok(1)),
                recv(dummy) -> _ => panic!("dummy"),
            }
        }
    }

    #[test]
    fn main() {
        runtime(2).block_on(|| {
            let (tx, c) = bounded(0);
            let (_dummy_tx, dummy) = bounded(0); // never sent on, never closed

            // warm up
            let c1 = tx.clone();
            let h = gpm::go!(sender(c1, N));
            receiver(&c, &dummy, N);
            join(h);

            // second time shouldn't increase footprint by much
            let c1 = tx.clone();
            let h = gpm::go!(sender(c1, N));
            receiver(&c, &dummy, N);
            join(h);
            assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
        });
    }
}

// https://github.com/golang/go/blob/master/test/chan/select4.go
/// Test that a select does not evaluate the destination of a receive case it does not
/// choose (Go's `case *f() = <-c1:`). A Rust arm has no destination to evaluate; what is
/// left is that the ready case wins over the one that cannot proceed, with its value.
mod select4 {
    use super::*;

    /// No goroutines in Go's test: on the test thread.
    #[test]
    fn main() {
        let (c_tx, c) = bounded(1);
        let (_c1_tx, c1) = bounded::<i32>(0);
        c_tx.send(42).unwrap();
        select! {
            recv(c1) -> _ => panic!("BUG: called f"),
            recv(c) -> v => assert_eq!(v, Ok(42), "BUG: {v:?}"),
        }
    }
}

// https://github.com/golang/go/blob/master/test/chan/select6.go
/// Issue 2075: a bug in select corrupts channel queues of failed cases if there are
/// multiple waiters on those channels and the select is the last in the queue. If further
/// waits are made on the channel without draining it first then those waiters will never
/// wake up. In the code below c1 is such a channel.
mod select6 {
    use super::*;

    /// On the default runtime, with Go's `main` on the test thread.
    #[test]
    fn main() {
        let (c1, c1_rx) = bounded::<bool>(0);
        let (c2, c2_rx) = bounded::<bool>(0);
        let (c3, c3_rx) = bounded::<bool>(0);
        let r1 = c1_rx.clone();
        let a = gpm::go!(move || {
            r1.recv().unwrap();
        });
        let r1 = c1_rx.clone();
        let b = gpm::go!(move || {
            select! {
                recv(r1) -> _ => panic!("dummy"),
                recv(c2_rx) -> _ => c3.send(true).unwrap(),
            }
            r1.recv().unwrap();
        });
        let c = gpm::go!(move || c2.send(true).unwrap());
        c3_rx.recv().unwrap();
        c1.send(true).unwrap();
        c1.send(true).unwrap();
        join_all([a, b, c]);
    }
}

// https://github.com/golang/go/blob/master/test/chan/select7.go
/// Test select when discarding a value.
mod select7 {
    use super::*;

    fn recv1(c: Receiver<i32>) {
        c.recv().unwrap();
    }

    fn recv2(c: Receiver<i32>) {
        select! {
            recv(c) -> v => {
                v.unwrap();
            }
        }
    }

    fn recv3(c: Receiver<i32>) {
        let (_c2_tx, c2) = bounded::<i32>(0);
        select! {
            recv(c) -> v => {
                v.unwrap();
            }
            recv(c2) -> _ => panic!("c2 has no sender"),
        }
    }

    fn send1(recv: fn(Receiver<i32>)) {
        let (c, r) = bounded(0);
        let h = gpm::go!(recv(r));
        gpm::yield_now();
        c.send(1).unwrap();
        join(h);
    }

    fn send2(recv: fn(Receiver<i32>)) {
        let (c, r) = bounded(0);
        let h = gpm::go!(recv(r));
        gpm::yield_now();
        select! {
            send(c, 1) -> res => res.unwrap(),
        }
        join(h);
    }

    fn send3(recv: fn(Receiver<i32>)) {
        let (c, r) = bounded(0);
        let h = gpm::go!(recv(r));
        gpm::yield_now();
        let (c2, _c2_rx) = bounded(0);
        select! {
            send(c, 1) -> res => res.unwrap(),
            send(c2, 1) -> _ => panic!("c2 has no receiver"),
        }
        join(h);
    }

    fn run() {
        send1(recv1);
        send2(recv1);
        send3(recv1);
        send1(recv2);
        send2(recv2);
        send3(recv2);
        send1(recv3);
        send2(recv3);
        send3(recv3);
    }

    /// On one P the receiver is parked before the send (after the Gosched), every time.
    #[test]
    fn main_one_p() {
        runtime(1).block_on(run);
    }

    #[test]
    fn main_two_ps() {
        runtime(2).block_on(run);
    }
}

// https://github.com/golang/go/blob/master/test/chan/sieve1.go
/// Generate primes up to 100 using channels, checking the results. This sieve consists of
/// a linear chain of divisibility filters, equivalent to trial-dividing each n by all
/// primes p ≤ n.
///
/// Go leaves its goroutines blocked when `main` returns. Here the chain is taken down
/// instead: once `main` drops `primes`, Sieve's send fails and it returns, dropping the
/// end of the chain; each filter's next send then fails, and so on up to Generate. Sieve
/// joins them all, so the teardown is checked too.
mod sieve1 {
    use super::*;

    /// Send the sequence 2, 3, 4, ... to channel 'ch' (until nobody receives).
    fn generate(ch: Sender<i32>) {
        for i in 2.. {
            if ch.send(i).is_err() {
                return;
            }
        }
    }

    /// Copy the values from channel 'in' to channel 'out', removing those divisible by
    /// 'prime'.
    fn filter(inp: Receiver<i32>, out: Sender<i32>, prime: i32) {
        for i in &inp {
            if i % prime != 0 && out.send(i).is_err() {
                return;
            }
        }
    }

    /// The prime sieve: Daisy-chain Filter processes together.
    fn sieve(primes: Sender<i32>) {
        let (tx, mut ch) = bounded(0); // Create a new channel.
        let mut hs = vec![gpm::go!(generate(tx))]; // Start Generate() as a subprocess.
        loop {
            // Note that ch is different on each iteration.
            let prime = ch.recv().unwrap();
            if primes.send(prime).is_err() {
                break;
            }
            let (tx1, ch1) = bounded(0);
            hs.push(gpm::go!(filter(ch, tx1, prime)));
            ch = ch1;
        }
        drop(ch);
        join_all(hs);
    }

    #[test]
    fn main() {
        runtime(2).block_on(|| {
            let (primes, primes_rx) = bounded(0);
            let h = gpm::go!(sieve(primes));
            let a = [
                2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79,
                83, 89, 97,
            ];
            for want in a {
                let x = primes_rx.recv().unwrap();
                assert_eq!(x, want, "{x} != {want}");
            }
            drop(primes_rx);
            join(h);
        });
    }
}

// https://github.com/golang/go/blob/master/test/chan/zerosize.go
/// Making channels of a zero-sized type should not panic.
mod zerosize {
    use super::*;

    #[test]
    fn main() {
        let _ = bounded::<[u8; 0]>(0);
        let _ = bounded::<[u8; 0]>(1);
        let _ = bounded::<()>(0);
        let _ = bounded::<()>(1);

        // Beyond Go: zero-sized messages also get through, buffered and by rendezvous.
        let (tx, rx) = bounded::<()>(1);
        tx.send(()).unwrap();
        assert_eq!(rx.try_recv(), Ok(()));
        let (tx, rx) = bounded::<[u8; 0]>(0);
        let h = gpm::go!(move || tx.send([]).unwrap());
        assert_eq!(rx.recv(), Ok([]));
        join(h);
    }
}

// https://github.com/golang/go/blob/master/src/runtime/chan_test.go
mod chan_test {
    use super::*;

    /// Go's TestChan, for capacities `0..caps` (Go: 200, or 20 with -short).
    fn test_chan(caps: usize) {
        for cap in 0..caps {
            {
                // Ensure that receive from empty chan blocks.
                let (tx, rx) = bounded::<i32>(cap);
                let recv1 = Arc::new(AtomicBool::new(false));
                let (c, flag) = (rx.clone(), recv1.clone());
                let h1 = gpm::go!(move || {
                    let _ = c.recv();
                    flag.store(true, SeqCst);
                });
                let recv2 = Arc::new(AtomicBool::new(false));
                let (c, flag) = (rx.clone(), recv2.clone());
                let h2 = gpm::go!(move || {
                    let _ = c.recv();
                    flag.store(true, SeqCst);
                });
                settle();
                assert!(
                    !recv1.load(SeqCst) && !recv2.load(SeqCst),
                    "chan[{cap}]: receive from empty chan"
                );
                // Ensure that non-blocking receive does not block.
                select! {
                    recv(rx) -> _ => panic!("chan[{cap}]: receive from empty chan"),
                    default => {}
                }
                assert_eq!(
                    rx.try_recv(),
                    Err(TryRecvError::Empty),
                    "chan[{cap}]: receive from empty chan"
                );
                tx.send(0).unwrap();
                tx.send(0).unwrap();
                join_all([h1, h2]);
                // Beyond Go: both receives completed.
                assert!(recv1.load(SeqCst) && recv2.load(SeqCst));
            }

            {
                // Ensure that send to full chan blocks.
                let (tx, rx) = bounded::<i32>(cap);
                for i in 0..cap {
                    tx.send(i as i32).unwrap();
                }
                let sent = Arc::new(AtomicU32::new(0));
                let (c, flag) = (tx.clone(), sent.clone());
                let h = gpm::go!(move || {
                    c.send(0).unwrap();
                    flag.store(1, SeqCst);
                });
                settle();
                assert_eq!(sent.load(SeqCst), 0, "chan[{cap}]: send to full chan");
                // Ensure that non-blocking send does not block.
                select! {
                    send(tx, 0) -> _ => panic!("chan[{cap}]: send to full chan"),
                    default => {}
                }
                rx.recv().unwrap();
                join(h);
            }

            {
                // Ensure that we receive 0 from closed chan.
                let (tx, rx) = bounded::<i32>(cap);
                for i in 0..cap {
                    tx.send(i as i32).unwrap();
                }
                drop(tx); // close(c)
                for i in 0..cap {
                    let v = rx.recv();
                    assert_eq!(v, Ok(i as i32), "chan[{cap}]: received {v:?}, expected {i}");
                }
                assert_eq!(rx.recv(), Err(RecvError), "chan[{cap}]: expected closed");
                assert_eq!(
                    rx.try_recv(),
                    Err(TryRecvError::Disconnected),
                    "chan[{cap}]: expected closed"
                );
            }

            {
                // Ensure that close unblocks receive.
                let (tx, rx) = bounded::<i32>(cap);
                let (done_tx, done) = bounded(0);
                let h = gpm::go!(move || {
                    let r = rx.recv();
                    done_tx.send(r == Err(RecvError)).unwrap();
                });
                settle();
                drop(tx); // close(c)
                assert!(
                    done.recv().unwrap(),
                    "chan[{cap}]: received non zero from closed chan"
                );
                join(h);
            }

            {
                // Send 100 integers,
                // ensure that we receive them non-corrupted in FIFO order.
                let (tx, rx) = bounded::<i32>(cap);
                let c = tx.clone();
                let h = gpm::go!(move || {
                    for i in 0..100 {
                        c.send(i).unwrap();
                    }
                });
                for i in 0..100 {
                    let v = rx.recv();
                    assert_eq!(v, Ok(i), "chan[{cap}]: received {v:?}, expected {i}");
                }
                join(h);

                // Same, but using recv2 (here: the receiving iterator).
                let c = tx.clone();
                let h = gpm::go!(move || {
                    for i in 0..100 {
                        c.send(i).unwrap();
                    }
                });
                for (i, v) in rx.iter().take(100).enumerate() {
                    assert_eq!(v, i as i32, "chan[{cap}]: received {v}, expected {i}");
                }
                join(h);

                // Send 1000 integers in 4 goroutines,
                // ensure that we receive what we send.
                const P: usize = 4;
                const L: i32 = 1000;
                let mut hs = Vec::new();
                for _ in 0..P {
                    let c = tx.clone();
                    hs.push(gpm::go!(move || {
                        for i in 0..L {
                            c.send(i).unwrap();
                        }
                    }));
                }
                let (done_tx, done) = bounded::<HashMap<i32, usize>>(0);
                for _ in 0..P {
                    let (c, done_tx) = (rx.clone(), done_tx.clone());
                    hs.push(gpm::go!(move || {
                        let mut recv = HashMap::new();
                        for _ in 0..L {
                            let v = c.recv().unwrap();
                            *recv.entry(v).or_insert(0) += 1;
                        }
                        done_tx.send(recv).unwrap();
                    }));
                }
                let mut recv = HashMap::new();
                for _ in 0..P {
                    for (k, v) in done.recv().unwrap() {
                        *recv.entry(k).or_insert(0) += v;
                    }
                }
                assert_eq!(
                    recv.len(),
                    L as usize,
                    "chan[{cap}]: received {} values, expected {L}",
                    recv.len()
                );
                for v in recv.values() {
                    assert_eq!(*v, P, "chan[{cap}]: received {v} values, expected {P}");
                }
                join_all(hs);
            }

            {
                // Test len/cap.
                let (tx, rx) = bounded::<i32>(cap);
                assert_eq!(
                    (rx.len(), rx.capacity()),
                    (0, Some(cap)),
                    "chan[{cap}]: bad len/cap"
                );
                for i in 0..cap {
                    tx.send(i as i32).unwrap();
                }
                assert_eq!(
                    (rx.len(), rx.capacity()),
                    (cap, Some(cap)),
                    "chan[{cap}]: bad len/cap"
                );
                // Beyond Go: the sending side agrees.
                assert_eq!((tx.len(), tx.capacity()), (cap, Some(cap)));
            }
        }
    }

    /// On one P, [`settle`] really lets the goroutines reach their blocking operations.
    #[test]
    fn test_chan_one_p() {
        runtime(1).block_on(|| test_chan(200));
    }

    /// Go runs TestChan with GOMAXPROCS(4); two Ps here.
    #[test]
    fn test_chan_two_ps() {
        runtime(2).block_on(|| test_chan(200));
    }

    #[test]
    fn test_nonblock_recv_race() {
        const N: usize = 10_000; // Go's count (100 with -short)
        runtime(2).block_on(|| {
            for _ in 0..N {
                let (tx, rx) = bounded(1);
                tx.send(1).unwrap();
                let c = rx.clone();
                let h = gpm::go!(move || {
                    select! {
                        recv(c) -> _ => {}
                        default => panic!("chan is not ready"),
                    }
                });
                drop(tx); // close(c)
                let _ = rx.recv();
                join(h);
            }
        });
    }

    /// This test checks that select acts on the state of the channels at one moment in
    /// the execution, not over a smeared time window. In the test, one goroutine does:
    ///
    /// ```text
    /// create c1, c2
    /// make c1 ready for receiving
    /// create second goroutine
    /// make c2 ready for receiving
    /// make c1 no longer ready for receiving (if possible)
    /// ```
    ///
    /// The second goroutine does a non-blocking select receiving from c1 and c2. From the
    /// time the second goroutine is created, at least one of c1 and c2 is always ready for
    /// receiving, so the select in the second goroutine must always receive from one or the
    /// other. It must never execute the default case.
    #[test]
    fn test_nonblock_select_race() {
        const N: usize = 100_000; // Go's count (1,000 with -short)
        runtime(2).block_on(|| {
            let (done_tx, done) = bounded(1);
            for _ in 0..N {
                let (c1_tx, c1) = bounded(1);
                let (c2_tx, c2) = bounded(1);
                c1_tx.send(1).unwrap();
                let (r1, r2, d) = (c1.clone(), c2.clone(), done_tx.clone());
                let h = gpm::go!(move || {
                    select! {
                        recv(r1) -> _ => {}
                        recv(r2) -> _ => {}
                        default => {
                            d.send(false).unwrap();
                            return;
                        }
                    }
                    d.send(true).unwrap();
                });
                c2_tx.send(1).unwrap();
                select! {
                    recv(c1) -> _ => {}
                    default => {}
                }
                assert!(done.recv().unwrap(), "no chan is ready");
                join(h);
            }
        });
    }

    /// Same as TestNonblockSelectRace, but close(c2) replaces c2 <- 1.
    #[test]
    fn test_nonblock_select_race2() {
        const N: usize = 100_000; // Go's count (1,000 with -short)
        runtime(2).block_on(|| {
            let (done_tx, done) = bounded(1);
            for _ in 0..N {
                let (c1_tx, c1) = bounded(1);
                let (c2_tx, c2) = bounded::<i32>(0);
                c1_tx.send(1).unwrap();
                let (r1, r2, d) = (c1.clone(), c2.clone(), done_tx.clone());
                let h = gpm::go!(move || {
                    select! {
                        recv(r1) -> _ => {}
                        recv(r2) -> _ => {}
                        default => {
                            d.send(false).unwrap();
                            return;
                        }
                    }
                    d.send(true).unwrap();
                });
                drop(c2_tx); // close(c2)
                select! {
                    recv(c1) -> _ => {}
                    default => {}
                }
                assert!(done.recv().unwrap(), "no chan is ready");
                join(h);
            }
        });
    }

    #[test]
    fn test_self_select() {
        // Ensure that send/recv on the same chan in select
        // does not crash nor deadlock.
        // runtime.GOMAXPROCS(2)
        runtime(2).block_on(|| {
            for cap in [0, 10] {
                let (tx, rx) = bounded::<usize>(cap);
                let mut wg = Vec::new();
                for p in 0..2 {
                    let (tx, rx) = (tx.clone(), rx.clone());
                    wg.push(gpm::go!(move || {
                        for i in 0..1000 {
                            if p == 0 || i % 2 == 0 {
                                select! {
                                    send(tx, p) -> r => r.unwrap(),
                                    recv(rx) -> v => {
                                        let v = v.unwrap();
                                        assert!(!(cap == 0 && v == p), "self receive");
                                    }
                                }
                            } else {
                                select! {
                                    recv(rx) -> v => {
                                        let v = v.unwrap();
                                        assert!(!(cap == 0 && v == p), "self receive");
                                    }
                                    send(tx, p) -> r => r.unwrap(),
                                }
                            }
                        }
                    }));
                }
                join_all(wg);
            }
        });
    }

    #[test]
    fn test_select_stress() {
        const N: usize = 100_000; // Go's count (10,000 with -short)
        runtime(2).block_on(|| {
            let (c, r): (Vec<Sender<i32>>, Vec<Receiver<i32>>) =
                [0, 0, 2, 3].into_iter().map(bounded).unzip();
            // There are 4 goroutines that send N values on each of the chans,
            // + 4 goroutines that receive N values on each of the chans,
            // + 1 goroutine that sends N values on each of the chans in a single select,
            // + 1 goroutine that receives N values on each of the chans in a single select.
            // All these sends, receives and selects interact chaotically at runtime,
            // but we are careful that this whole construct does not deadlock.
            let mut wg = Vec::new();
            for k in 0..4 {
                let c = c[k].clone();
                wg.push(gpm::go!(move || {
                    for _ in 0..N {
                        c.send(0).unwrap();
                    }
                }));
                let r = r[k].clone();
                wg.push(gpm::go!(move || {
                    for _ in 0..N {
                        r.recv().unwrap();
                    }
                }));
            }
            let c1: Vec<Option<Sender<i32>>> = c.iter().cloned().map(Some).collect();
            wg.push(gpm::go!(move || {
                let mut c1 = c1;
                let nil = NilSend::new();
                let mut n = [0; 4];
                for _ in 0..4 * N {
                    let k = select! {
                        send(or_nil(&c1[3], &nil), 0) -> r => { r.unwrap(); 3 }
                        send(or_nil(&c1[2], &nil), 0) -> r => { r.unwrap(); 2 }
                        send(or_nil(&c1[0], &nil), 0) -> r => { r.unwrap(); 0 }
                        send(or_nil(&c1[1], &nil), 0) -> r => { r.unwrap(); 1 }
                    };
                    n[k] += 1;
                    if n[k] == N {
                        c1[k] = None;
                    }
                }
                // Beyond Go: N on each.
                assert_eq!(n, [N; 4]);
            }));
            let r1: Vec<Option<Receiver<i32>>> = r.iter().cloned().map(Some).collect();
            wg.push(gpm::go!(move || {
                let mut r1 = r1;
                let nil = never();
                let mut n = [0; 4];
                for _ in 0..4 * N {
                    let k = select! {
                        recv(r1[0].as_ref().unwrap_or(&nil)) -> v => { v.unwrap(); 0 }
                        recv(r1[1].as_ref().unwrap_or(&nil)) -> v => { v.unwrap(); 1 }
                        recv(r1[2].as_ref().unwrap_or(&nil)) -> v => { v.unwrap(); 2 }
                        recv(r1[3].as_ref().unwrap_or(&nil)) -> v => { v.unwrap(); 3 }
                    };
                    n[k] += 1;
                    if n[k] == N {
                        r1[k] = None;
                    }
                }
                assert_eq!(n, [N; 4]);
            }));
            join_all(wg);
        });
    }

    /// On the default runtime, with Go's test body on the test thread.
    #[test]
    fn test_select_fairness() {
        const TRIALS: usize = 10_000;
        let (c1_tx, c1) = bounded::<u8>(TRIALS + 1);
        let (c2_tx, c2) = bounded::<u8>(TRIALS + 1);
        for _ in 0..TRIALS + 1 {
            c1_tx.send(1).unwrap();
            c2_tx.send(2).unwrap();
        }
        let (_c3_tx, c3) = bounded::<u8>(0);
        let (_c4_tx, c4) = bounded::<u8>(0);
        let (out_tx, out) = bounded::<u8>(0);
        let (done_tx, done) = bounded::<u8>(0);
        let wg = gpm::go!(move || loop {
            let b = select! {
                recv(c3) -> m => m.unwrap(),
                recv(c4) -> m => m.unwrap(),
                recv(c1) -> m => m.unwrap(),
                recv(c2) -> m => m.unwrap(),
            };
            select! {
                send(out_tx, b) -> r => r.unwrap(),
                recv(done) -> _ => return,
            }
        });
        let (mut cnt1, mut cnt2) = (0usize, 0usize);
        for _ in 0..TRIALS {
            match out.recv() {
                Ok(1) => cnt1 += 1,
                Ok(2) => cnt2 += 1,
                b => panic!("unexpected value {b:?} on channel"),
            }
        }
        // If the select in the goroutine is fair,
        // cnt1 and cnt2 should be about the same value.
        // See if we're more than 10 sigma away from the expected value.
        // 10 sigma is a lot, but we're ok with some systematic bias as
        // long as it isn't too severe.
        let mean = TRIALS as f64 * 0.5;
        let variance = TRIALS as f64 * 0.5 * (1.0 - 0.5);
        let stddev = variance.sqrt();
        assert!(
            (cnt1 as f64 - mean).abs() <= 10.0 * stddev,
            "unfair select: in {TRIALS} trials, results were {cnt1}, {cnt2}"
        );
        drop(done_tx); // close(done)
        join(wg);
    }

    /// No goroutines in Go's test: on the test thread. The channel is full, so (beyond
    /// Go) neither select may send.
    #[test]
    fn test_chan_send_interface() {
        struct Mt;
        let (c, _r) = bounded::<Box<dyn std::any::Any>>(1);
        c.send(Box::new(Mt)).unwrap();
        select! {
            send(c, Box::new(Mt)) -> _ => panic!("sent to a full channel"),
            default => {}
        }
        select! {
            send(c, Box::new(Mt)) -> _ => panic!("sent to a full channel"),
            send(c, Box::new(Mt)) -> _ => panic!("sent to a full channel"),
            default => {}
        }
    }

    fn pseudo_random_send() {
        let n = 100;
        for cap in [0, n] {
            let (c, r) = bounded::<i32>(cap);
            // Go's goroutine fills `l` and unlocks a mutex the test then waits on: here it
            // returns `l` to the join.
            let h = gpm::go!(move || {
                let mut l = vec![0; n];
                for x in l.iter_mut() {
                    gpm::yield_now();
                    *x = r.recv().unwrap();
                }
                l
            });
            for _ in 0..n {
                select! {
                    send(c, 1) -> res => res.unwrap(),
                    send(c, 0) -> res => res.unwrap(),
                }
            }
            let l = join(h);
            let mut n0 = 0;
            let mut n1 = 0;
            for i in l {
                n0 += (i + 1) % 2;
                n1 += i;
            }
            assert!(
                n0 > n as i32 / 10 && n1 > n as i32 / 10,
                "Want pseudorandom, got {n0} zeros and {n1} ones (chan cap {cap})"
            );
        }
    }

    /// On one P, with capacity 0, every send waits in the queue before the receiver comes
    /// (it yields first): the choice between the two cases is made while listing them.
    #[test]
    fn test_pseudo_random_send_one_p() {
        runtime(1).block_on(pseudo_random_send);
    }

    #[test]
    fn test_pseudo_random_send_two_ps() {
        runtime(2).block_on(pseudo_random_send);
    }

    #[test]
    fn test_multi_consumer() {
        const NWORK: usize = 23;
        const NITER: usize = 271_828;
        const PN: [i64; 10] = [2, 3, 7, 11, 13, 17, 19, 23, 27, 31];

        runtime(2).block_on(|| {
            let (q_tx, q) = bounded::<i64>(NWORK * 3);
            let (r_tx, r) = bounded::<i64>(NWORK * 3);

            // workers
            let mut wg = Vec::new();
            for w in 0..NWORK {
                let (q, r_tx) = (q.clone(), r_tx.clone());
                wg.push(gpm::go!(move || {
                    for v in &q {
                        // mess with the fifo-ish nature of range
                        if PN[w % PN.len()] == v {
                            gpm::yield_now();
                        }
                        r_tx.send(v).unwrap();
                    }
                }));
            }
            drop(q);

            // feeder & closer
            let feeder = gpm::go!(move || {
                let mut expect = 0;
                for i in 0..NITER {
                    let v = PN[i % PN.len()];
                    expect += v;
                    q_tx.send(v).unwrap();
                }
                drop(q_tx); // close(q): no more work
                join_all(wg); // wg.Wait(): workers done
                drop(r_tx); // close(r): ... so there can be no more results
                expect
            });

            // consume & check
            let mut n = 0;
            let mut s = 0;
            for v in &r {
                n += 1;
                s += v;
            }
            let expect = join(feeder);
            assert!(
                n == NITER && s == expect,
                "Expected sum {expect} (got {s}) from {NITER} iter (saw {n})"
            );
        });
    }

    /// This test makes sure we can queue a G on the same channel multiple times. On one
    /// P, where [`settle`] does what Go's sleeps are for: A is queued on c (twice) before
    /// B is, and B before d is sent on.
    #[test]
    fn test_select_duplicate_channel() {
        runtime(1).block_on(|| {
            let (c, c_rx) = bounded::<i32>(0);
            let (d, d_rx) = bounded::<i32>(0);
            let (e, e_rx) = bounded::<i32>(0);

            // goroutine A
            let c_a = c_rx.clone();
            let a = gpm::go!(move || {
                let got = select! {
                    recv(c_a) -> v => ('c', v),
                    recv(c_a) -> v => ('c', v),
                    recv(d_rx) -> v => ('d', v),
                };
                e.send(9).unwrap();
                got
            });
            settle(); // make sure goroutine A gets queued first on c

            // goroutine B
            let b = gpm::go!(move || c_rx.recv());
            settle(); // make sure goroutine B gets queued on c before continuing

            d.send(7).unwrap(); // wake up A, it dequeues itself from c. This operation used to corrupt c.recvq.
            e_rx.recv().unwrap(); // A tells us it's done
            c.send(8).unwrap(); // wake up B. This operation used to fail because c.recvq was corrupted (it tries to wake up an already running G instead of B)

            // Beyond Go: who got what.
            assert_eq!(join(a), ('d', Ok(7)));
            assert_eq!(join(b), Ok(8));
        });
    }
}

// https://github.com/golang/go/blob/master/test/ken/chan.go
/// Test communication operations including select.
///
/// Go's `Chan` is one struct shared by a sending and a receiving goroutine, each using its
/// own fields (`sc`, `sv` and `rc`, `rv`); here it is split into those two halves, and
/// each goroutine owns the half it uses. Setting `sc` or `rc` to nil drops that handle.
/// Go's `wait()` yields until the count of running goroutines is 0; here it joins them and
/// then checks that count.
mod ken_chan {
    use super::*;

    /// Every channel carries the values `base .. base + 76`; then the next is `END`.
    const END: i32 = 10_000;

    /// Go's globals shared by the goroutines (the counts under their locks, and the
    /// deterministic "random" numbers).
    #[derive(Default)]
    struct Shared {
        randx: Mutex<i32>,
        nproc: Mutex<i32>,
        totr: AtomicU32,
        tots: AtomicU32,
    }

    impl Shared {
        fn nrand(&self, n: i32) -> i32 {
            let mut randx = self.randx.lock().unwrap();
            *randx += 10007;
            if *randx >= 1_000_000 {
                *randx -= 1_000_000;
            }
            *randx % n
        }

        fn change_nproc(&self, adjust: i32) -> i32 {
            let mut nproc = self.nproc.lock().unwrap();
            *nproc += adjust;
            *nproc
        }
    }

    /// The sending half of a `Chan`: the channel (nil once done) and the next value.
    struct SendHalf {
        sc: Option<Sender<i32>>,
        sv: i32,
    }

    /// The receiving half of a `Chan`: the channel (nil once done) and the next value.
    struct RecvHalf {
        rc: Option<Receiver<i32>>,
        rv: i32,
    }

    fn expect(v: i32, v0: i32) -> i32 {
        if v == v0 {
            if v % 100 == 75 {
                return END;
            }
            return v + 1;
        }
        panic!("got {v} expected {}", v0 + 1);
    }

    impl SendHalf {
        /// Go's `nc`: nil, so never ready.
        fn nil() -> SendHalf {
            SendHalf { sc: None, sv: 0 }
        }

        /// Go's `(*Chan).send`, after a value was sent: true when this half is done.
        fn send(&mut self, sh: &Shared) -> bool {
            sh.tots.fetch_add(1, SeqCst);
            self.sv = expect(self.sv, self.sv);
            if self.sv == END {
                self.sc = None;
                return true;
            }
            false
        }
    }

    impl RecvHalf {
        /// Go's `nc`: nil, so never ready.
        fn nil() -> RecvHalf {
            RecvHalf { rc: None, rv: 0 }
        }

        /// Go's `(*Chan).recv`, after `v` was received: true when this half is done.
        fn recv(&mut self, v: i32, sh: &Shared) -> bool {
            sh.totr.fetch_add(1, SeqCst);
            self.rv = expect(self.rv, v);
            if self.rv == END {
                self.rc = None;
                return true;
            }
            false
        }
    }

    fn send(mut c: SendHalf, sh: Arc<Shared>) {
        loop {
            for _ in 0..=sh.nrand(10) {
                gpm::yield_now();
            }
            c.sc.as_ref().unwrap().send(c.sv).unwrap();
            if c.send(&sh) {
                break;
            }
        }
        sh.change_nproc(-1);
    }

    fn recv(mut c: RecvHalf, sh: Arc<Shared>) {
        loop {
            for _ in 0..=sh.nrand(10) {
                gpm::yield_now();
            }
            let v = c.rc.as_ref().unwrap().recv().unwrap();
            if c.recv(v, &sh) {
                break;
            }
        }
        sh.change_nproc(-1);
    }

    fn sel(r: [RecvHalf; 4], s: [SendHalf; 4], sh: Arc<Shared>) {
        let (mut r, mut s) = (r, s);
        let nil_r = never();
        let nil_s = NilSend::new();

        // local chans running
        let mut a = r.iter().filter(|c| c.rc.is_some()).count()
            + s.iter().filter(|c| c.sc.is_some()).count();

        enum Op {
            Recv(usize, i32),
            Send(usize),
        }
        loop {
            for _ in 0..=sh.nrand(5) {
                gpm::yield_now();
            }
            let rc = |i: usize| r[i].rc.as_ref().unwrap_or(&nil_r);
            let sc = |i: usize| or_nil(&s[i].sc, &nil_s);
            let op = select! {
                recv(rc(0)) -> v => Op::Recv(0, v.unwrap()),
                recv(rc(1)) -> v => Op::Recv(1, v.unwrap()),
                recv(rc(2)) -> v => Op::Recv(2, v.unwrap()),
                recv(rc(3)) -> v => Op::Recv(3, v.unwrap()),
                send(sc(0), s[0].sv) -> res => { res.unwrap(); Op::Send(0) }
                send(sc(1), s[1].sv) -> res => { res.unwrap(); Op::Send(1) }
                send(sc(2), s[2].sv) -> res => { res.unwrap(); Op::Send(2) }
                send(sc(3), s[3].sv) -> res => { res.unwrap(); Op::Send(3) }
            };
            let finished = match op {
                Op::Recv(i, v) => r[i].recv(v, &sh),
                Op::Send(i) => s[i].send(&sh),
            };
            if finished {
                a -= 1;
            }
            if a == 0 {
                break;
            }
        }
        sh.change_nproc(-1);
    }

    /// What `mkchan` made: each channel's two halves, taken by the goroutines.
    struct Chans {
        s: Vec<Option<SendHalf>>,
        r: Vec<Option<RecvHalf>>,
    }

    impl Chans {
        fn s(&mut self, i: usize) -> SendHalf {
            self.s[i].take().expect("send half given out twice")
        }

        fn r(&mut self, i: usize) -> RecvHalf {
            self.r[i].take().expect("receive half given out twice")
        }

        fn ss(&mut self, is: [usize; 4]) -> [SendHalf; 4] {
            is.map(|i| self.s(i))
        }

        fn rs(&mut self, is: [usize; 4]) -> [RecvHalf; 4] {
            is.map(|i| self.r(i))
        }
    }

    fn nc_s() -> [SendHalf; 4] {
        [(); 4].map(|_| SendHalf::nil())
    }

    fn nc_r() -> [RecvHalf; 4] {
        [(); 4].map(|_| RecvHalf::nil())
    }

    /// The state of Go's `main`: the shared counts, `cval`, and the goroutines started
    /// since the last `wait`.
    struct Ken {
        sh: Arc<Shared>,
        cval: i32,
        running: Vec<JoinHandle<()>>,
    }

    impl Ken {
        fn go(&mut self, f: impl FnOnce(Arc<Shared>) + Send + 'static) {
            let sh = self.sh.clone();
            self.running.push(gpm::go!(move || f(sh)));
        }

        fn change_nproc(&self, adjust: i32) -> i32 {
            self.sh.change_nproc(adjust)
        }

        fn mkchan(&mut self, c: usize, n: usize) -> Chans {
            let mut chans = Chans {
                s: Vec::new(),
                r: Vec::new(),
            };
            for _ in 0..n {
                self.cval += 100;
                let (sc, rc) = bounded(c);
                chans.s.push(Some(SendHalf {
                    sc: Some(sc),
                    sv: self.cval,
                }));
                chans.r.push(Some(RecvHalf {
                    rc: Some(rc),
                    rv: self.cval,
                }));
            }
            chans
        }

        /// direct send to direct recv
        fn test1(&mut self, s: SendHalf, r: RecvHalf) {
            self.change_nproc(2);
            self.go(move |sh| send(s, sh));
            self.go(move |sh| recv(r, sh));
        }

        /// direct send to select recv
        fn test2(&mut self, c: usize) {
            let mut ca = self.mkchan(c, 4);

            self.change_nproc(4);
            for i in 0..4 {
                let s = ca.s(i);
                self.go(move |sh| send(s, sh));
            }

            self.change_nproc(1);
            let r = ca.rs([0, 1, 2, 3]);
            self.go(move |sh| sel(r, nc_s(), sh));
        }

        /// select send to direct recv
        fn test3(&mut self, c: usize) {
            let mut ca = self.mkchan(c, 4);

            self.change_nproc(4);
            for i in 0..4 {
                let r = ca.r(i);
                self.go(move |sh| recv(r, sh));
            }

            self.change_nproc(1);
            let s = ca.ss([0, 1, 2, 3]);
            self.go(move |sh| sel(nc_r(), s, sh));
        }

        /// select send to select recv
        fn test4(&mut self, c: usize) {
            let mut ca = self.mkchan(c, 4);

            self.change_nproc(2);
            let s = ca.ss([0, 1, 2, 3]);
            self.go(move |sh| sel(nc_r(), s, sh));
            let r = ca.rs([0, 1, 2, 3]);
            self.go(move |sh| sel(r, nc_s(), sh));
        }

        fn test5(&mut self, c: usize) {
            let mut ca = self.mkchan(c, 8);

            self.change_nproc(2);
            let (r, s) = (ca.rs([4, 5, 6, 7]), ca.ss([0, 1, 2, 3]));
            self.go(move |sh| sel(r, s, sh));
            let (r, s) = (ca.rs([0, 1, 2, 3]), ca.ss([4, 5, 6, 7]));
            self.go(move |sh| sel(r, s, sh));
        }

        fn test6(&mut self, c: usize) {
            let mut ca = self.mkchan(c, 12);

            self.change_nproc(4);
            for i in 4..8 {
                let s = ca.s(i);
                self.go(move |sh| send(s, sh));
            }

            self.change_nproc(4);
            for i in 8..12 {
                let r = ca.r(i);
                self.go(move |sh| recv(r, sh));
            }

            self.change_nproc(2);
            let (r, s) = (ca.rs([4, 5, 6, 7]), ca.ss([0, 1, 2, 3]));
            self.go(move |sh| sel(r, s, sh));
            let (r, s) = (ca.rs([0, 1, 2, 3]), ca.ss([8, 9, 10, 11]));
            self.go(move |sh| sel(r, s, sh));
        }

        /// wait for outstanding tests to finish
        fn wait(&mut self) {
            join_all(self.running.drain(..));
            assert_eq!(self.change_nproc(0), 0);
        }

        /// run all tests with specified buffer size
        fn tests(&mut self, c: usize) {
            let mut ca = self.mkchan(c, 4);
            for i in 0..4 {
                let (s, r) = (ca.s(i), ca.r(i));
                self.test1(s, r);
            }
            self.wait();

            self.test2(c);
            self.wait();

            self.test3(c);
            self.wait();

            self.test4(c);
            self.wait();

            self.test5(c);
            self.wait();

            self.test6(c);
            self.wait();
        }
    }

    /// run all test with 4 buffer sizes
    fn run() {
        let mut ken = Ken {
            sh: Arc::new(Shared::default()),
            cval: 0,
            running: Vec::new(),
        };
        ken.tests(0);
        ken.tests(1);
        ken.tests(10);
        ken.tests(100);

        #[rustfmt::skip]
        let t = 4 * // buffer sizes
            (4 * 4 + // tests 1,2,3,4 channels
                8 + // test 5 channels
                12) * // test 6 channels
            76; // sends/recvs on a channel
        let (tots, totr) = (ken.sh.tots.load(SeqCst), ken.sh.totr.load(SeqCst));
        assert!(tots == t && totr == t, "tots={tots} totr={totr} sb={t}");
    }

    #[test]
    fn main_one_p() {
        runtime(1).block_on(run);
    }

    #[test]
    fn main_two_ps() {
        runtime(2).block_on(run);
    }
}

/// The port's own checks of the [`NilSend`] and [`settle`] helpers the tests rely on.
mod helpers {
    use super::*;

    #[test]
    fn nil_send_never_proceeds() {
        let nil = NilSend::<i32>::new();
        select! {
            send(nil.tx, 1) -> _ => panic!("sent on a nil channel"),
            recv(never::<i32>()) -> _ => panic!("received from a nil channel"),
            default => {}
        }
    }

    /// On one P, after `settle` a goroutine just started has parked in its receive.
    #[test]
    fn settle_lets_a_goroutine_park_on_one_p() {
        runtime(1).block_on(|| {
            let started = Arc::new(AtomicI32::new(0));
            let (tx, rx) = bounded::<i32>(0);
            let s = started.clone();
            let h = gpm::go!(move || {
                s.store(1, SeqCst);
                rx.recv().unwrap()
            });
            settle();
            assert_eq!(started.load(SeqCst), 1);
            // The receiver waits, so a non-blocking send goes through.
            assert_eq!(tx.try_send(5), Ok(()));
            assert_eq!(join(h), 5);
        });
    }
}
