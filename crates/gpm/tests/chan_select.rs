//! `gpm::select!` and the dynamic `gpm::chan::Select`, held to crossbeam-channel 0.5's
//! contract with Go's semantics.
//!
//! Covered here: fairness among ready arms (with bounds whose false-failure probability is
//! computed below, each under 1e-9); the same channel in two arms (recv+recv, and send+recv
//! on one rendezvous channel, which must never pair with itself but must pair with another
//! select doing the same); send arms on full, empty and rendezvous channels; `default` and
//! `default(timeout)`; disconnected arms ready with their error; `after`/`at`/`tick`/
//! `never` arms; selects on threads and inside goroutines (one and two Ps); a send arm's
//! message expression evaluated only when its arm is chosen, and a panicking one leaving
//! the channel intact; `select!` syntax forms and its 32-arm maximum; the dynamic `Select`
//! (`send`, `recv`, `remove`, `try_select`, `select`, `select_timeout`, `select_deadline`,
//! more than 32 operations, a `SelectedOperation` dropped or misused without completing);
//! and `Drop`-counted messages when a runtime is dropped under goroutines parked in
//! selects. The plain channel API is tested in `chan_api.rs`.
//!
//! Nothing here sleeps to wait for another party: a test that needs a peer to be parked
//! polls its state (a goroutine's G state, a thread's `/proc` state) until it is. Timeouts
//! appear only where the timeout itself is tested, and only lower bounds are asserted.
//!
//! The helpers this file shares with `chan_api.rs` (runtimes, polling, waiters,
//! `Drop`-counted messages, the channel flavors) are in `common/mod.rs`; this file makes
//! its channels with `Flavor::make_small` (a `Many` channel holds 4).

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gpm::chan::{
    after, at, bounded, never, tick, unbounded, Receiver, RecvError, Select, SelectTimeoutError,
    SendError, Sender, TryRecvError, TrySelectError, TrySendError,
};
use gpm::select;

mod common;

use common::*;

// ---------------------------------------------------------------------------------------
// Fairness
//
// Among arms ready together, each is chosen with equal probability (a fresh uniform
// shuffle per select). Over N rounds the count of one arm is Binomial(N, p). The bounds
// below are wide enough that a correct implementation fails them with probability below
// 1e-9 (Hoeffding: P(|X/N - p| >= t) <= 2 exp(-2 N t^2); Chernoff for small p).
// ---------------------------------------------------------------------------------------

const ROUNDS: u32 = 10_000;

/// Two always-ready arms, N = 10,000, each within 40%..60% (t = 0.1):
/// P(false failure) <= 2 * 2 exp(-200) < 1e-86.
fn assert_half(a: u32, b: u32, what: &str) {
    assert_eq!(a + b, ROUNDS, "{what}: rounds");
    let (lo, hi) = (ROUNDS * 4 / 10, ROUNDS * 6 / 10);
    assert!(
        (lo..=hi).contains(&a) && (lo..=hi).contains(&b),
        "{what}: unfair split {a}/{b} over {ROUNDS} rounds"
    );
}

#[test]
fn fairness_two_ready_recv_arms() {
    in_every_context(|| {
        let (_t1, r1) = filled(ROUNDS);
        let (_t2, r2) = filled(ROUNDS);
        let (mut a, mut b) = (0, 0);
        let (mut next1, mut next2) = (0, 0);
        for _ in 0..ROUNDS {
            select! {
                recv(r1) -> m => {
                    assert_eq!(m, Ok(next1));
                    next1 += 1;
                    a += 1;
                }
                recv(r2) -> m => {
                    assert_eq!(m, Ok(next2));
                    next2 += 1;
                    b += 1;
                }
            }
        }
        assert_half(a, b, "two recv arms");
        assert_eq!(r1.len() + r2.len(), ROUNDS as usize);
    });
}

#[test]
fn fairness_three_ready_arms() {
    // Three arms, each within 25%..42% (t >= 0.083): P <= 3 * 2 exp(-2 * 10^4 * 0.0069)
    // = 6 exp(-138) < 1e-58.
    in_every_context(|| {
        let (_t1, r1) = filled(ROUNDS);
        let (_t2, r2) = filled(ROUNDS);
        let (t3, _r3) = unbounded::<u32>();
        let mut n = [0u32; 3];
        for _ in 0..ROUNDS {
            select! {
                recv(r1) -> m => { m.unwrap(); n[0] += 1; }
                recv(r2) -> m => { m.unwrap(); n[1] += 1; }
                send(t3, 7) -> r => { r.unwrap(); n[2] += 1; }
            }
        }
        assert_eq!(n.iter().sum::<u32>(), ROUNDS);
        for (i, &c) in n.iter().enumerate() {
            assert!(
                (ROUNDS / 4..=ROUNDS * 42 / 100).contains(&c),
                "arm {i} chosen {c} times of {ROUNDS}: {n:?}"
            );
        }
    });
}

#[test]
fn fairness_send_and_recv_arms() {
    in_every_context(|| {
        let (_t1, r1) = filled(ROUNDS);
        let (t2, r2) = unbounded::<u32>();
        let (mut a, mut b) = (0, 0);
        for i in 0..ROUNDS {
            select! {
                recv(r1) -> m => { m.unwrap(); a += 1; }
                send(t2, i) -> r => { r.unwrap(); b += 1; }
            }
        }
        assert_half(a, b, "a recv and a send arm");
        assert_eq!(r2.len(), b as usize);
    });
}

#[test]
fn fairness_same_receiver_in_two_arms() {
    in_every_context(|| {
        let (_tx, rx) = filled(ROUNDS);
        let (mut a, mut b) = (0, 0);
        for i in 0..ROUNDS {
            select! {
                recv(rx) -> m => { assert_eq!(m, Ok(i)); a += 1; }
                recv(rx) -> m => { assert_eq!(m, Ok(i)); b += 1; }
            }
        }
        assert_half(a, b, "one receiver in two arms");
        assert!(rx.is_empty());
    });
}

#[test]
fn fairness_disconnected_arms() {
    in_every_context(|| {
        let (_, r1) = bounded::<u8>(1);
        let (_, r2) = unbounded::<u8>();
        let (mut a, mut b) = (0, 0);
        for _ in 0..ROUNDS {
            select! {
                recv(r1) -> m => { assert_eq!(m, Err(RecvError)); a += 1; }
                recv(r2) -> m => { assert_eq!(m, Err(RecvError)); b += 1; }
            }
        }
        assert_half(a, b, "two disconnected arms");
    });
}

#[test]
fn fairness_ready_vs_disconnected_arm() {
    in_every_context(|| {
        let (_t1, r1) = filled(ROUNDS);
        let (t2, r2) = bounded::<u32>(0);
        drop(r2);
        let (mut a, mut b) = (0, 0);
        for i in 0..ROUNDS {
            select! {
                recv(r1) -> m => { m.unwrap(); a += 1; }
                send(t2, i) -> r => { assert_eq!(r, Err(SendError(i))); b += 1; }
            }
        }
        assert_half(a, b, "a ready arm and a disconnected send arm");
    });
}

#[test]
fn fairness_dynamic_select_with_40_operations() {
    // 40 always-ready send operations (more than the 32 shuffled on the stack), 20,000
    // rounds: each count is Binomial(20000, 1/40), mean 500. Chernoff: P(X <= 250) <=
    // exp(-500 * 0.5^2 / 2) = e^-62.5, P(X >= 750) <= exp(-500 * 0.5^2 / 2.5) = e^-50;
    // over 40 operations P < 40 * 2 e^-50 < 1e-19.
    in_every_context(|| {
        const OPS: usize = 40;
        const N: usize = 20_000;
        let chans: Vec<(Sender<usize>, Receiver<usize>)> = (0..OPS).map(|_| unbounded()).collect();
        let mut sel = Select::new();
        for (i, (tx, _)) in chans.iter().enumerate() {
            assert_eq!(sel.send(tx), i);
        }
        let mut n = [0usize; OPS];
        for round in 0..N {
            let oper = sel.select();
            let i = oper.index();
            oper.send(&chans[i].0, round).unwrap();
            n[i] += 1;
        }
        for (i, &c) in n.iter().enumerate() {
            assert!(
                (250..=750).contains(&c),
                "operation {i} chosen {c} times: {n:?}"
            );
            assert_eq!(chans[i].1.len(), c);
        }
    });
}

// ---------------------------------------------------------------------------------------
// One channel in two arms
// ---------------------------------------------------------------------------------------

#[test]
fn same_receiver_twice_takes_each_message_once() {
    in_every_context(|| {
        for f in FLAVORS {
            let (tx, rx) = f.make_small::<u32>();
            let h = peer(move || {
                for i in 0..300 {
                    tx.send(i).unwrap();
                }
            });
            let mut got = vec![];
            for _ in 0..300 {
                select! {
                    recv(rx) -> m => got.push(m.unwrap()),
                    recv(rx) -> m => got.push(m.unwrap()),
                }
            }
            h.join();
            assert_eq!(got, (0..300).collect::<Vec<_>>(), "{f:?}");
            assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        }
    });
}

#[test]
fn rendezvous_send_and_recv_arms_never_pair_with_themselves() {
    in_every_context(|| {
        let (tx, rx) = bounded::<u32>(0);
        let evals = Cell::new(0);
        for _ in 0..100 {
            let r = select! {
                send(tx, { evals.set(evals.get() + 1); 1 }) -> _ => "send",
                recv(rx) -> _ => "recv",
                default => "default",
            };
            assert_eq!(r, "default");
        }
        let t0 = Instant::now();
        let r = select! {
            recv(rx) -> _ => "recv",
            send(tx, { evals.set(evals.get() + 1); 2 }) -> _ => "send",
            default(T50) => "timeout",
        };
        assert_eq!(r, "timeout");
        assert_at_least(t0, T50, "select! default(50ms)");
        assert_eq!(evals.get(), 0);
        // The dynamic Select too.
        let mut sel = Select::new();
        sel.send(&tx);
        sel.recv(&rx);
        assert!(sel.try_select().is_err());
        let t0 = Instant::now();
        assert!(sel.select_timeout(T50).is_err());
        assert_at_least(t0, T50, "Select::select_timeout");
    });
}

#[test]
fn rendezvous_send_and_recv_arms_pair_with_another_select() {
    // Two peers each select { send, recv } on one rendezvous channel: every completion
    // pairs one peer's send with the other's receive, so both finish the same number of
    // rounds and each receives exactly what the other sent, in order.
    in_every_context(|| {
        const R: usize = 500;
        let (tx, rx) = bounded::<(usize, usize)>(0);
        let side = |id: usize, tx: Sender<(usize, usize)>, rx: Receiver<(usize, usize)>| {
            move || {
                let mut sent = vec![];
                let mut got = vec![];
                for _ in 0..R {
                    select! {
                        send(tx, (id, sent.len())) -> r => { r.unwrap(); sent.push((id, sent.len())); }
                        recv(rx) -> m => got.push(m.unwrap()),
                    }
                }
                (sent, got)
            }
        };
        let a = peer(side(0, tx.clone(), rx.clone()));
        let b = peer(side(1, tx, rx));
        let (a_sent, a_got) = a.join();
        let (b_sent, b_got) = b.join();
        assert_eq!(a_sent.len() + a_got.len(), R);
        assert_eq!(a_got, b_sent, "peer 0 received exactly peer 1's sends");
        assert_eq!(b_got, a_sent, "peer 1 received exactly peer 0's sends");
    });
}

#[test]
fn buffered_send_and_recv_arms_on_one_channel() {
    in_every_context(|| {
        // bounded(1): empty, only the send arm is ready; full, only the receive arm.
        let (tx, rx) = bounded::<u32>(1);
        for i in 0..100 {
            let sent = select! {
                send(tx, i) -> r => { r.unwrap(); true }
                recv(rx) -> _ => false,
            };
            assert!(sent, "round {i}: the channel was empty");
            let got = select! {
                send(tx, 1000) -> _ => None,
                recv(rx) -> m => Some(m.unwrap()),
            };
            assert_eq!(got, Some(i), "round {i}: the channel was full");
        }
        // bounded(2) holding one: both ready, chosen evenly.
        let (tx, rx) = bounded::<u32>(2);
        tx.send(0).unwrap();
        let (mut s, mut r) = (0, 0);
        for _ in 0..ROUNDS {
            select! {
                send(tx, 1) -> res => {
                    res.unwrap();
                    s += 1;
                    assert_eq!(rx.try_recv(), Ok(0));
                    assert_eq!(rx.try_recv(), Ok(1));
                }
                recv(rx) -> m => {
                    assert_eq!(m, Ok(0));
                    r += 1;
                }
            }
            // Back to one message.
            tx.try_send(0).unwrap();
            assert_eq!(rx.len(), 1);
        }
        assert_half(s, r, "send and recv on one half-full channel");
    });
}

// ---------------------------------------------------------------------------------------
// Send arms, recv arms and peers
// ---------------------------------------------------------------------------------------

#[test]
fn send_arm_on_full_and_empty_channels() {
    in_every_context(|| {
        let evals = Cell::new(0);
        let msg = |v: u32| {
            evals.set(evals.get() + 1);
            v
        };
        // Full bounded, rendezvous without receiver: not ready.
        let (full, _rf) = bounded::<u32>(1);
        full.send(0).unwrap();
        let (zero, rz) = bounded::<u32>(0);
        let r = select! {
            send(full, msg(1)) -> _ => "full",
            send(zero, msg(2)) -> _ => "zero",
            default => "default",
        };
        assert_eq!((r, evals.get()), ("default", 0));
        // Room, and an unbounded channel: ready.
        let (room, rr) = bounded::<u32>(2);
        select! {
            send(room, msg(3)) -> r => r.unwrap(),
            default => panic!("bounded(2) had room"),
        }
        assert_eq!(rr.try_recv(), Ok(3));
        let (u, ru) = unbounded::<u32>();
        select! {
            send(u, msg(4)) -> r => r.unwrap(),
            send(full, msg(5)) -> _ => panic!("full"),
        }
        assert_eq!(ru.try_recv(), Ok(4));
        assert_eq!(evals.get(), 2);
        // A rendezvous send arm with a parked receiver: ready at once.
        let r = rz.clone();
        let w = Waiter::new(How::Peer, move || r.recv());
        w.wait_parked();
        select! {
            send(zero, msg(6)) -> r => r.unwrap(),
            default => panic!("a receiver was parked"),
        }
        assert_eq!(w.join(), Ok(6));
        assert_eq!(evals.get(), 3);
    });
}

#[test]
fn parked_select_send_arm_completes_when_room_comes() {
    in_every_context(|| {
        for f in [Flavor::Zero, Flavor::One, Flavor::Many] {
            let (tx, rx) = f.make_small::<u32>();
            for i in 0..f.room_small() as u32 {
                tx.send(i).unwrap();
            }
            let s = tx.clone();
            let w = Waiter::new(How::Peer, move || {
                select! {
                    send(s, 99) -> r => r.map(|_| "sent"),
                    recv(never::<u32>()) -> _ => unreachable!(),
                }
            });
            w.wait_parked();
            let mut got = vec![];
            for _ in 0..=f.room_small() {
                got.push(rx.recv().unwrap());
            }
            assert_eq!(w.join(), Ok("sent"), "{f:?}");
            let expect: Vec<u32> = (0..f.room_small() as u32).chain([99]).collect();
            assert_eq!(got, expect, "{f:?}");
        }
    });
}

#[test]
fn parked_select_recv_arm_completes_when_a_message_comes() {
    in_every_context(|| {
        for f in FLAVORS {
            let (tx, rx) = f.make_small::<u32>();
            let (_other_tx, other_rx) = f.make_small::<u32>();
            let r = rx.clone();
            let w = Waiter::new(How::Peer, move || {
                select! {
                    recv(other_rx) -> _ => unreachable!(),
                    recv(r) -> m => m,
                }
            });
            w.wait_parked();
            tx.send(42).unwrap();
            assert_eq!(w.join(), Ok(42), "{f:?}");
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        }
    });
}

#[test]
fn select_to_select_rendezvous() {
    in_every_context(|| {
        const N: u32 = 1000;
        let (tx, rx) = bounded::<u32>(0);
        let sender = peer(move || {
            for i in 0..N {
                select! {
                    send(tx, i) -> r => r.unwrap(),
                    recv(never::<()>()) -> _ => unreachable!(),
                }
            }
        });
        let mut got = vec![];
        for _ in 0..N {
            select! {
                recv(rx) -> m => got.push(m.unwrap()),
                recv(never::<()>()) -> _ => unreachable!(),
            }
        }
        sender.join();
        assert_eq!(got, (0..N).collect::<Vec<_>>());
        select! {
            recv(rx) -> m => assert_eq!(m, Err(RecvError)),
            default => panic!("the sender is gone: the arm is ready"),
        }
    });
}

#[test]
fn select_between_goroutines_and_threads() {
    // Producers select over two channels, consumers select over both; half of each are
    // goroutines, half threads, on one and two Ps. Exact totals.
    for procs in [1, 2] {
        let rt = runtime(procs);
        const K: u64 = 2000;
        let (t1, r1) = bounded::<u64>(0);
        let (t2, r2) = bounded::<u64>(3);
        let mut producers = vec![];
        for p in 0..4u64 {
            let (t1, t2) = (t1.clone(), t2.clone());
            let body = move || {
                for i in 0..K {
                    let v = p * K + i;
                    select! {
                        send(t1, v) -> r => r.unwrap(),
                        send(t2, v) -> r => r.unwrap(),
                    }
                }
            };
            producers.push(if p % 2 == 0 {
                Handle::G(rt.spawn(body))
            } else {
                Handle::T(thread::spawn(body))
            });
        }
        drop((t1, t2));
        let mut consumers = vec![];
        for c in 0..4 {
            let (r1, r2) = (r1.clone(), r2.clone());
            let body = move || {
                let mut got = vec![];
                let (mut open1, mut open2) = (true, true);
                while open1 || open2 {
                    select! {
                        recv(if open1 { r1.clone() } else { never() }) -> m => match m {
                            Ok(v) => got.push(v),
                            Err(_) => open1 = false,
                        },
                        recv(if open2 { r2.clone() } else { never() }) -> m => match m {
                            Ok(v) => got.push(v),
                            Err(_) => open2 = false,
                        },
                        default(Duration::from_secs(20)) => panic!("consumer stalled"),
                    }
                }
                got
            };
            consumers.push(if c % 2 == 1 {
                Handle::G(rt.spawn(body))
            } else {
                Handle::T(thread::spawn(body))
            });
        }
        drop((r1, r2));
        for p in producers {
            p.join();
        }
        let mut all: Vec<u64> = consumers.into_iter().flat_map(|c| c.join()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..4 * K).collect::<Vec<_>>(), "procs {procs}");
    }
}

// ---------------------------------------------------------------------------------------
// default and default(timeout)
// ---------------------------------------------------------------------------------------

#[test]
fn default_arm() {
    in_every_context(|| {
        let (tx, rx) = unbounded::<u32>();
        // Nothing ready: default.
        let r = select! {
            recv(rx) -> _ => 1,
            default => 2,
        };
        assert_eq!(r, 2);
        // Something ready: never default.
        for i in 0..100 {
            tx.send(i).unwrap();
            let r = select! {
                recv(rx) -> m => m.unwrap(),
                default => u32::MAX,
            };
            assert_eq!(r, i);
        }
        // Only a default.
        assert_eq!(select! { default => 3 }, 3);
        // default(0) behaves like default.
        let r = select! {
            recv(rx) -> _ => 1,
            default(Duration::ZERO) => 4,
        };
        assert_eq!(r, 4);
    });
}

#[test]
fn default_timeout_arm() {
    in_every_context(|| {
        let (tx, rx) = bounded::<u32>(0);
        let t0 = Instant::now();
        let r = select! {
            recv(rx) -> _ => "recv",
            default(T50) => "timeout",
        };
        assert_eq!(r, "timeout");
        assert_at_least(t0, T50, "default(50ms)");
        let t0 = Instant::now();
        assert_eq!(select! { default(T50) => 5 }, 5);
        assert_at_least(t0, T50, "a select of only default(50ms)");
        // An arm that becomes ready while the select waits wins over its long timeout,
        // and over a timeout the clock cannot express (which means "wait for ever").
        for timeout in [LONG, Duration::MAX] {
            let r = rx.clone();
            let w = Waiter::new(How::Peer, move || {
                select! {
                    recv(r) -> m => Some(m),
                    default(timeout) => None,
                }
            });
            w.wait_parked();
            tx.send(8).unwrap();
            assert_eq!(w.join(), Some(Ok(8)), "default({timeout:?})");
        }
        // A ready arm is taken even with a zero timeout.
        let (t2, r2) = filled(1);
        let r = select! {
            recv(r2) -> m => m.unwrap(),
            default(Duration::ZERO) => 99,
        };
        assert_eq!(r, 0);
        drop(t2);
    });
}

// ---------------------------------------------------------------------------------------
// Disconnected arms
// ---------------------------------------------------------------------------------------

#[test]
fn disconnected_arms_are_ready_with_their_error() {
    in_every_context(|| {
        for f in FLAVORS {
            // Receive: buffered messages first, then the error; chosen over a never arm,
            // with no default.
            let (tx, rx) = f.make_small::<u32>();
            for i in 0..f.room_small() as u32 {
                tx.send(i).unwrap();
            }
            drop(tx);
            for i in 0..f.room_small() as u32 {
                select! {
                    recv(never::<u32>()) -> _ => unreachable!(),
                    recv(rx) -> m => assert_eq!(m, Ok(i)),
                }
            }
            for _ in 0..3 {
                select! {
                    recv(never::<u32>()) -> _ => unreachable!(),
                    recv(rx) -> m => assert_eq!(m, Err(RecvError), "{f:?}"),
                }
            }
            // Send: the message comes back, evaluated once.
            let (tx, rx) = f.make_small::<u32>();
            drop(rx);
            let evals = Cell::new(0);
            select! {
                recv(never::<u32>()) -> _ => unreachable!(),
                send(tx, { evals.set(evals.get() + 1); 11 }) -> r => assert_eq!(r, Err(SendError(11))),
            }
            assert_eq!(evals.get(), 1);
        }
    });
}

#[test]
fn parked_select_woken_by_disconnect() {
    in_every_context(|| {
        for f in FLAVORS {
            // Receive arms: the last sender of one channel goes.
            let (t1, r1) = f.make_small::<u32>();
            let (_t2, r2) = f.make_small::<u32>();
            let w = Waiter::new(How::Peer, move || {
                select! {
                    recv(r1) -> m => (1, m),
                    recv(r2) -> m => (2, m),
                }
            });
            w.wait_parked();
            drop(t1);
            assert_eq!(w.join(), (1, Err(RecvError)), "{f:?}");

            // A send arm waiting for room: the last receiver goes.
            if f != Flavor::Unbounded {
                let t = Tracker::new(f.room_small() + 1);
                let (tx, rx) = f.make_small::<D>();
                for i in 0..f.room_small() {
                    tx.send(t.item(i)).unwrap();
                }
                let (t_, tx_) = (t.clone(), tx.clone());
                let w = Waiter::new(How::Peer, move || {
                    select! {
                        send(tx_, t_.item(f.room_small())) -> r => r.map_err(|e| e.into_inner().id),
                        recv(never::<()>()) -> _ => unreachable!(),
                    }
                });
                w.wait_parked();
                drop(rx);
                assert_eq!(
                    w.join(),
                    Err(f.room_small()),
                    "{f:?}: the send arm's message back"
                );
                drop(tx);
                t.check();
                assert_eq!(t.made(), f.room_small() + 1);
            }
        }
    });
}

// ---------------------------------------------------------------------------------------
// Time channels in arms
// ---------------------------------------------------------------------------------------

#[test]
fn after_at_tick_never_arms() {
    in_every_context(|| {
        let (_tx, rx) = bounded::<u32>(0);
        // after: chosen once due, with its instant.
        let start = Instant::now();
        let t = select! {
            recv(rx) -> _ => panic!("nothing was sent"),
            recv(after(T50)) -> t => t.unwrap(),
        };
        assert!(t >= start + T50);
        assert_at_least(start, T50, "an after(50ms) arm");
        // at in the past: ready at once.
        let when = Instant::now();
        let t = select! {
            recv(rx) -> _ => panic!("nothing was sent"),
            recv(at(when)) -> t => t.unwrap(),
        };
        assert_eq!(t, when);
        // A channel arm that becomes ready first wins over after(1h).
        let (tx2, rx2) = bounded::<u32>(0);
        let w = Waiter::new(How::Peer, move || {
            select! {
                recv(rx2) -> m => Some(m.unwrap()),
                recv(after(LONG)) -> _ => None,
            }
        });
        w.wait_parked();
        tx2.send(3).unwrap();
        assert_eq!(w.join(), Some(3));
        // tick: several deliveries in a loop, on the period's grid.
        let p = Duration::from_millis(10);
        let tk = tick(p);
        let mut ticks = vec![];
        while ticks.len() < 3 {
            select! {
                recv(rx) -> _ => panic!("nothing was sent"),
                recv(tk) -> t => ticks.push(t.unwrap()),
            }
        }
        assert!(ticks[0] < ticks[1] && ticks[1] < ticks[2]);
        assert_eq!((ticks[2] - ticks[0]).as_nanos() % p.as_nanos(), 0);
        // never: never chosen.
        for _ in 0..100 {
            let r = select! {
                recv(never::<u32>()) -> _ => "never",
                default => "default",
            };
            assert_eq!(r, "default");
        }
        let t0 = Instant::now();
        let r = select! {
            recv(never::<u32>()) -> _ => "never",
            recv(never::<String>()) -> _ => "never",
            default(T50) => "timeout",
        };
        assert_eq!(r, "timeout");
        assert_at_least(t0, T50, "never arms with default(50ms)");
        // A spent after channel is not ready again.
        let a = after(Duration::ZERO);
        select! {
            recv(a) -> t => assert!(t.is_ok()),
            default(LONG) => panic!("after(0) is due"),
        }
        let r = select! {
            recv(a) -> _ => "again",
            default(T50) => "spent",
        };
        assert_eq!(r, "spent");
    });
}

// ---------------------------------------------------------------------------------------
// The send arm's message expression
// ---------------------------------------------------------------------------------------

#[test]
fn message_expression_evaluated_only_when_chosen() {
    in_every_context(|| {
        let (_t1, r1) = filled(ROUNDS);
        let (t2, r2) = unbounded::<u32>();
        let evals = Cell::new(0u32);
        let mut chosen = 0;
        for i in 0..ROUNDS {
            select! {
                recv(r1) -> m => { m.unwrap(); }
                send(t2, { evals.set(evals.get() + 1); i }) -> r => { r.unwrap(); chosen += 1; }
            }
        }
        assert_eq!(
            evals.get(),
            chosen,
            "one evaluation per time the send arm was chosen"
        );
        assert_eq!(r2.len() as u32, chosen);
        assert!(chosen > 0 && chosen < ROUNDS);
        // Not chosen because not ready.
        let (full, _rf) = bounded::<u32>(1);
        full.send(0).unwrap();
        let before = evals.get();
        for _ in 0..100 {
            select! {
                send(full, { evals.set(evals.get() + 1); 1 }) -> _ => panic!("full"),
                default => {}
            }
        }
        assert_eq!(evals.get(), before);
        // The channel expression is evaluated exactly once per select.
        let chan_evals = Cell::new(0);
        let (t3, r3) = filled(1);
        select! {
            recv({ chan_evals.set(chan_evals.get() + 1); r3.clone() }) -> m => assert_eq!(m, Ok(0)),
        }
        assert_eq!(chan_evals.get(), 1);
        drop(t3);
    });
}

/// A message expression that panics.
fn boom<T>() -> T {
    panic!("boom")
}

/// A message expression that panics while holding a value with a destructor.
fn boom_holding<T>(held: D) -> T {
    let _held = held;
    panic!("boom")
}

/// A send arm whose message expression panics must leave its channel as it was: nothing
/// in it, nothing reserved, other parties undisturbed.
#[test]
fn panicking_message_expression_leaves_the_channel_intact() {
    let mut problems = vec![];
    for f in [Flavor::One, Flavor::Many, Flavor::Unbounded] {
        let (tx, rx) = f.make_small::<u32>();
        let r = panic::catch_unwind(AssertUnwindSafe(|| {
            select! {
                send(tx, boom()) -> _ => {}
            }
        }));
        assert!(panic_message(r.unwrap_err()).contains("boom"));
        problems.extend(untouched(
            f,
            &tx,
            &rx,
            "after a panicking message expression",
        ));
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// What differs from a fresh, empty channel of flavor `f` (observed, then restored).
fn untouched(f: Flavor, tx: &Sender<u32>, rx: &Receiver<u32>, when: &str) -> Vec<String> {
    let mut p = vec![];
    // len() itself is under test here, separately from is_empty().
    let (rlen, tlen) = (rx.len(), tx.len());
    if rlen + tlen > 0 {
        p.push(format!("{f:?} {when}: len() is {rlen} (nothing was sent)"));
    }
    if !rx.is_empty() {
        p.push(format!("{f:?} {when}: is_empty() is false"));
    }
    if tx.is_full() {
        p.push(format!("{f:?} {when}: is_full() is true"));
    }
    // The whole capacity must be there.
    let mut sent = 0;
    for i in 0..f.room_small() as u32 {
        match tx.try_send(i) {
            Ok(()) => sent += 1,
            Err(e) => {
                p.push(format!(
                    "{f:?} {when}: try_send #{i} of {} failed: {e}",
                    f.room_small()
                ));
                break;
            }
        }
    }
    if f != Flavor::Unbounded && sent == f.room_small() && tx.try_send(100).is_ok() {
        p.push(format!("{f:?} {when}: more than the capacity fits"));
    }
    let got: Vec<u32> = rx.try_iter().collect();
    if got != (0..sent as u32).collect::<Vec<_>>() {
        p.push(format!(
            "{f:?} {when}: received {got:?} after sending 0..{sent}"
        ));
    }
    p
}

#[test]
fn panicking_message_expression_with_parked_receiver() {
    in_every_context(|| {
        for f in [Flavor::Zero, Flavor::One, Flavor::Many, Flavor::Unbounded] {
            let (tx, rx) = f.make_small::<u32>();
            let r = rx.clone();
            let w = Waiter::new(How::Peer, move || r.recv());
            w.wait_parked();
            let p = panic::catch_unwind(AssertUnwindSafe(|| {
                select! {
                    send(tx, boom()) -> _ => {}
                }
            }));
            assert!(p.is_err());
            // The receiver neither got an error nor was lost: a later send reaches it.
            tx.send(9).unwrap();
            assert_eq!(w.join(), Ok(9), "{f:?}");
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty), "{f:?}");
            // And the channel works both ways afterwards.
            if f == Flavor::Zero {
                assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
            } else {
                tx.send(10).unwrap();
                assert_eq!(rx.recv(), Ok(10));
            }
        }
    });
}

#[test]
fn panicking_message_expression_drops_its_partial_value_once() {
    let t = Tracker::new(2);
    let (tx, rx) = bounded::<D>(1);
    let r = panic::catch_unwind(AssertUnwindSafe(|| {
        select! {
            send(tx, boom_holding(t.item(0))) -> _ => {}
        }
    }));
    assert!(r.is_err());
    assert_eq!(t.dropped(), 1);
    tx.try_send(t.item(1)).unwrap();
    assert_eq!(rx.try_recv().map(|d| d.id), Ok(1));
    t.check();
}

// ---------------------------------------------------------------------------------------
// select! syntax and limits
// ---------------------------------------------------------------------------------------

#[test]
fn select_macro_syntax_forms() {
    let (tx, rx) = unbounded::<u32>();
    tx.send(1).unwrap();
    // Block body without a trailing comma, then an expression body with one.
    let v = select! {
        recv(rx) -> m => { m.unwrap() + 1 }
        default => 0,
    };
    assert_eq!(v, 2);
    // Expression bodies, the last without a comma; a trailing comma inside the arm.
    tx.send(2).unwrap();
    let v = select! {
        recv(rx,) -> m => m.unwrap(),
        send(tx, 5,) -> _ => 100
    };
    assert!(v == 2 || v == 100);
    while rx.try_recv().is_ok() {}
    // `_` and `mut` patterns; a temporary channel expression kept alive for the select.
    tx.send(3).unwrap();
    select! {
        recv(rx) -> mut m => {
            m = m.map(|x| x * 10);
            assert_eq!(m, Ok(30));
        }
    }
    select! {
        recv(after(Duration::ZERO)) -> _ => {}
    }
    // A trailing comma after a block body, and default(timeout) with a trailing comma.
    let v = select! {
        recv(rx) -> _ => { 1 },
        default(Duration::ZERO,) => { 2 },
    };
    assert_eq!(v, 2);
}

#[test]
fn select_macro_with_32_arms() {
    in_every_context(|| {
        let chans: Vec<(Sender<usize>, Receiver<usize>)> = (0..32).map(|_| bounded(1)).collect();
        let rs: Vec<Receiver<usize>> = chans.iter().map(|(_, r)| r.clone()).collect();
        for k in [0, 13, 31] {
            chans[k].0.send(k * 10).unwrap();
            let got = select! {
                recv(rs[0]) -> m => (0, m.unwrap()),
                recv(rs[1]) -> m => (1, m.unwrap()),
                recv(rs[2]) -> m => (2, m.unwrap()),
                recv(rs[3]) -> m => (3, m.unwrap()),
                recv(rs[4]) -> m => (4, m.unwrap()),
                recv(rs[5]) -> m => (5, m.unwrap()),
                recv(rs[6]) -> m => (6, m.unwrap()),
                recv(rs[7]) -> m => (7, m.unwrap()),
                recv(rs[8]) -> m => (8, m.unwrap()),
                recv(rs[9]) -> m => (9, m.unwrap()),
                recv(rs[10]) -> m => (10, m.unwrap()),
                recv(rs[11]) -> m => (11, m.unwrap()),
                recv(rs[12]) -> m => (12, m.unwrap()),
                recv(rs[13]) -> m => (13, m.unwrap()),
                recv(rs[14]) -> m => (14, m.unwrap()),
                recv(rs[15]) -> m => (15, m.unwrap()),
                recv(rs[16]) -> m => (16, m.unwrap()),
                recv(rs[17]) -> m => (17, m.unwrap()),
                recv(rs[18]) -> m => (18, m.unwrap()),
                recv(rs[19]) -> m => (19, m.unwrap()),
                recv(rs[20]) -> m => (20, m.unwrap()),
                recv(rs[21]) -> m => (21, m.unwrap()),
                recv(rs[22]) -> m => (22, m.unwrap()),
                recv(rs[23]) -> m => (23, m.unwrap()),
                recv(rs[24]) -> m => (24, m.unwrap()),
                recv(rs[25]) -> m => (25, m.unwrap()),
                recv(rs[26]) -> m => (26, m.unwrap()),
                recv(rs[27]) -> m => (27, m.unwrap()),
                recv(rs[28]) -> m => (28, m.unwrap()),
                recv(rs[29]) -> m => (29, m.unwrap()),
                recv(rs[30]) -> m => (30, m.unwrap()),
                recv(rs[31]) -> m => (31, m.unwrap()),
            };
            assert_eq!(got, (k, k * 10));
        }
    });
}

// ---------------------------------------------------------------------------------------
// The dynamic Select
// ---------------------------------------------------------------------------------------

#[test]
fn dynamic_select_basics() {
    in_every_context(|| {
        let (t1, r1) = unbounded::<u32>();
        let (t2, r2) = bounded::<u32>(1);
        let (t3, r3) = bounded::<String>(0);
        let mut sel = Select::new();
        assert_eq!(sel.recv(&r1), 0);
        assert_eq!(sel.send(&t2), 1);
        assert_eq!(sel.recv(&r3), 2);
        assert!(format!("{sel:?}").starts_with("Select"));
        // Only the send on t2 is ready.
        let oper = sel.select();
        assert_eq!(oper.index(), 1);
        assert!(format!("{oper:?}").contains('1'));
        assert_eq!(oper.send(&t2, 7), Ok(()));
        assert_eq!(r2.try_recv(), Ok(7));
        // Now make r1 the only ready one (fill t2).
        t2.send(8).unwrap();
        t1.send(5).unwrap();
        let oper = sel.select();
        assert_eq!(oper.index(), 0);
        assert_eq!(oper.recv(&r1), Ok(5));
        // A rendezvous receive with a parked sender.
        let s = t3.clone();
        let w = Waiter::new(How::Peer, move || s.send("hi".to_string()));
        w.wait_parked();
        let oper = sel.select();
        assert_eq!(oper.index(), 2);
        assert_eq!(oper.recv(&r3), Ok("hi".to_string()));
        assert_eq!(w.join(), Ok(()));
        // try_select: nothing ready.
        assert!(matches!(sel.try_select(), Err(TrySelectError)));
        t1.send(6).unwrap();
        let oper = sel.try_select().unwrap();
        assert_eq!(oper.index(), 0);
        assert_eq!(oper.recv(&r1), Ok(6));
        // Disconnected operations are ready with their error.
        drop(t1);
        let oper = sel.select();
        assert_eq!(oper.index(), 0);
        assert_eq!(oper.recv(&r1), Err(RecvError));
        drop(r2);
        let mut sel2 = Select::default();
        sel2.send(&t2);
        let oper = sel2.select();
        assert_eq!(oper.send(&t2, 9), Err(SendError(9)));
    });
}

#[test]
fn dynamic_select_timeouts_and_deadlines() {
    in_every_context(|| {
        let (tx, rx) = bounded::<u32>(0);
        let mut sel = Select::new();
        sel.recv(&rx);
        let t0 = Instant::now();
        assert!(matches!(sel.select_timeout(T50), Err(SelectTimeoutError)));
        assert_at_least(t0, T50, "Select::select_timeout");
        let d = Instant::now() + T50;
        assert!(sel.select_deadline(d).is_err());
        assert!(Instant::now() >= d);
        assert!(sel.select_deadline(Instant::now()).is_err());
        assert!(sel.select_timeout(Duration::ZERO).is_err());
        drop(sel);
        // Ready: no wait even at a passed deadline.
        let (t2, r2) = filled(2);
        let mut sel = Select::new();
        sel.recv(&r2);
        let oper = sel.select_deadline(Instant::now()).unwrap();
        assert_eq!(oper.recv(&r2), Ok(0));
        let oper = sel.select_timeout(Duration::ZERO).unwrap();
        assert_eq!(oper.recv(&r2), Ok(1));
        drop((sel, t2));
        // Woken before a long (or unrepresentable) timeout.
        for timeout in [LONG, Duration::MAX] {
            let r = rx.clone();
            let w = Waiter::new(How::Peer, move || {
                let mut sel = Select::new();
                sel.recv(&r);
                let oper = sel.select_timeout(timeout).unwrap();
                oper.recv(&r)
            });
            w.wait_parked();
            tx.send(4).unwrap();
            assert_eq!(w.join(), Ok(4), "select_timeout({timeout:?})");
        }
        // An empty Select times out (it has nothing to wait for).
        let mut empty = Select::new();
        assert!(empty.try_select().is_err());
        let t0 = Instant::now();
        assert!(empty.select_timeout(T50).is_err());
        assert_at_least(t0, T50, "an empty Select's select_timeout");
    });
}

#[test]
fn dynamic_select_remove() {
    let (t1, r1) = filled(3);
    let (_t2, r2) = unbounded::<u32>();
    let mut sel = Select::new();
    let a = sel.recv(&r1);
    let b = sel.recv(&r2);
    assert_eq!((a, b), (0, 1));
    sel.remove(a);
    // The removed operation is never chosen, though its channel is ready.
    assert!(sel.try_select().is_err());
    assert_eq!(r1.len(), 3);
    // Indices are not reused.
    let c = sel.recv(&r1);
    assert_eq!(c, 2);
    let oper = sel.select();
    assert_eq!(oper.index(), c);
    assert_eq!(oper.recv(&r1), Ok(0));
    // Removing what is not there panics.
    let p = panic::catch_unwind(AssertUnwindSafe(|| sel.remove(a)));
    assert!(panic_message(p.unwrap_err()).contains("no operation"));
    let p = panic::catch_unwind(AssertUnwindSafe(|| sel.remove(77)));
    assert!(p.is_err());
    // The Select still works after those panics.
    let oper = sel.select();
    assert_eq!(oper.recv(&r1), Ok(1));
    sel.remove(b);
    sel.remove(c);
    assert!(sel.try_select().is_err());
    drop(t1);
}

#[test]
fn dynamic_select_remove_in_a_loop_until_all_disconnected() {
    // crossbeam's idiom: select, and remove an operation once its channel is done.
    in_every_context(|| {
        let chans: Vec<(Sender<u32>, Receiver<u32>)> = (0..5).map(|_| bounded(2)).collect();
        let rs: Vec<Receiver<u32>> = chans.iter().map(|(_, r)| r.clone()).collect();
        let producers: Vec<_> = chans
            .into_iter()
            .enumerate()
            .map(|(i, (tx, _))| {
                peer(move || {
                    for k in 0..100 {
                        tx.send(i as u32 * 1000 + k).unwrap();
                    }
                })
            })
            .collect();
        let mut sel = Select::new();
        for r in &rs {
            sel.recv(r);
        }
        let mut per = vec![vec![]; 5];
        let mut open = 5;
        while open > 0 {
            let oper = sel.select();
            let i = oper.index();
            match oper.recv(&rs[i]) {
                Ok(v) => per[i].push(v),
                Err(RecvError) => {
                    sel.remove(i);
                    open -= 1;
                }
            }
        }
        for p in producers {
            p.join();
        }
        for (i, v) in per.iter().enumerate() {
            let expect: Vec<u32> = (0..100).map(|k| i as u32 * 1000 + k).collect();
            assert_eq!(v, &expect, "channel {i}");
        }
    });
}

#[test]
fn dynamic_select_more_than_32_operations() {
    in_every_context(|| {
        for n in [32, 33, 64, 100] {
            let chans: Vec<(Sender<usize>, Receiver<usize>)> = (0..n).map(|_| bounded(1)).collect();
            // Half receives (empty channels), half sends (full channels): none ready.
            let mut sel = Select::new();
            for (i, (tx, rx)) in chans.iter().enumerate() {
                if i % 2 == 0 {
                    assert_eq!(sel.recv(rx), i);
                } else {
                    tx.send(0).unwrap();
                    assert_eq!(sel.send(tx), i);
                }
            }
            assert!(sel.try_select().is_err(), "{n} operations, none ready");
            for k in [0, 1, 31, 32, n - 2, n - 1] {
                if k >= n {
                    continue;
                }
                if k % 2 == 0 {
                    chans[k].0.send(k).unwrap();
                } else {
                    assert_eq!(chans[k].1.recv(), Ok(0));
                }
                let oper = sel.select();
                assert_eq!(oper.index(), k, "{n} operations");
                if k % 2 == 0 {
                    assert_eq!(oper.recv(&chans[k].1), Ok(k));
                } else {
                    assert_eq!(oper.send(&chans[k].0, 0), Ok(()));
                }
                assert!(sel.try_select().is_err());
            }
            // With a timeout, and a peer that makes the last operation ready.
            let t0 = Instant::now();
            assert!(sel.select_timeout(T50).is_err());
            assert_at_least(t0, T50, "select_timeout over many operations");
        }
    });
}

#[test]
fn dropped_selected_recv_keeps_the_message() {
    in_every_context(|| {
        let (tx, rx) = unbounded::<u32>();
        tx.send(1).unwrap();
        let mut sel = Select::new();
        let i = sel.recv(&rx);
        let oper = sel.select();
        assert_eq!(oper.index(), i);
        drop(oper);
        // The message left the channel but is kept for the next select.
        assert_eq!(rx.len(), 0);
        tx.send(2).unwrap();
        let oper = sel.try_select().unwrap();
        assert_eq!(oper.recv(&rx), Ok(1));
        let oper = sel.try_select().unwrap();
        assert_eq!(oper.recv(&rx), Ok(2));
        assert!(sel.try_select().is_err());
    });
}

#[test]
fn dropped_selected_recv_message_dropped_once_with_the_select() {
    let t = Tracker::new(1);
    let (tx, rx) = unbounded::<D>();
    tx.send(t.item(0)).unwrap();
    let mut sel = Select::new();
    sel.recv(&rx);
    drop(sel.select());
    assert_eq!(t.dropped(), 0);
    drop(sel);
    assert_eq!(t.dropped(), 1, "the kept message goes with the Select");
    drop((tx, rx));
    t.check();
}

/// A chosen send that is dropped unfinished must give its slot back: the channel must
/// look and behave as if nothing had happened.
#[test]
fn dropped_selected_send_gives_the_slot_back() {
    let mut problems = vec![];
    for f in [Flavor::One, Flavor::Many, Flavor::Unbounded] {
        let (tx, rx) = f.make_small::<u32>();
        let mut sel = Select::new();
        sel.send(&tx);
        drop(sel.select());
        drop(sel);
        problems.extend(untouched(f, &tx, &rx, "after a dropped SelectedOperation"));
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn dropped_selected_send_to_a_parked_receiver() {
    in_every_context(|| {
        for f in FLAVORS {
            let (tx, rx) = f.make_small::<u32>();
            let r = rx.clone();
            let w = Waiter::new(How::Peer, move || r.recv());
            w.wait_parked();
            {
                let mut sel = Select::new();
                sel.send(&tx);
                let oper = sel.select();
                assert_eq!(oper.index(), 0);
                drop(oper);
            }
            // The receiver was not completed with anything; a real send reaches it.
            tx.send(5).unwrap();
            assert_eq!(w.join(), Ok(5), "{f:?}");
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty), "{f:?}");
        }
    });
}

#[test]
fn selected_operation_with_the_wrong_handle_panics_and_keeps_the_message() {
    let (tx, rx) = unbounded::<u32>();
    let (_tx2, rx2) = unbounded::<u32>();
    tx.send(3).unwrap();
    let mut sel = Select::new();
    sel.recv(&rx);
    let p = panic::catch_unwind(AssertUnwindSafe(|| {
        let oper = sel.select();
        let _ = oper.recv(&rx2);
    }));
    assert!(panic_message(p.unwrap_err()).contains("different channel handle"));
    // A clone is a different handle too (the check is by handle, as in crossbeam).
    let rx_clone = rx.clone();
    let p = panic::catch_unwind(AssertUnwindSafe(|| {
        let oper = sel.select();
        let _ = oper.recv(&rx_clone);
    }));
    assert!(p.is_err());
    // A receive checked against a send handle panics as well.
    let p = panic::catch_unwind(AssertUnwindSafe(|| {
        let oper = sel.select();
        let _ = oper.send(&tx, 1);
    }));
    assert!(p.is_err());
    // The message was kept through all that.
    let oper = sel.select();
    assert_eq!(oper.recv(&rx), Ok(3));
    assert!(sel.try_select().is_err());
}

#[test]
fn dynamic_select_same_receiver_twice_and_reuse() {
    in_every_context(|| {
        let (tx, rx) = unbounded::<u32>();
        let (tx2, rx2) = bounded::<u32>(0);
        let mut sel = Select::new();
        sel.recv(&rx);
        sel.recv(&rx);
        sel.recv(&rx2);
        let h = peer(move || {
            for i in 0..500 {
                if i % 2 == 0 {
                    tx.send(i).unwrap();
                } else {
                    tx2.send(i).unwrap();
                }
            }
        });
        let mut got = vec![];
        while got.len() < 500 {
            let oper = sel.select();
            let i = oper.index();
            let v = match i {
                0 | 1 => oper.recv(&rx),
                _ => oper.recv(&rx2),
            };
            match v {
                Ok(v) => got.push(v),
                // Once the peer has sent its last odd number and gone, the rendezvous
                // channel is disconnected, hence ready, while evens are still buffered.
                Err(_) => assert_eq!(i, 2, "the unbounded channel still holds values"),
            }
        }
        h.join();
        let evens: Vec<u32> = got.iter().copied().filter(|v| v % 2 == 0).collect();
        let odds: Vec<u32> = got.iter().copied().filter(|v| v % 2 == 1).collect();
        assert_eq!(evens, (0..500).step_by(2).collect::<Vec<_>>());
        assert_eq!(odds, (1..500).step_by(2).collect::<Vec<_>>());
    });
}

// ---------------------------------------------------------------------------------------
// Runtime shutdown under parked selects
// ---------------------------------------------------------------------------------------

#[test]
fn runtime_dropped_under_parked_selects_one_p() {
    runtime_dropped_under_parked_selects(1);
}

#[test]
fn runtime_dropped_under_parked_selects_two_p() {
    runtime_dropped_under_parked_selects(2);
}

fn runtime_dropped_under_parked_selects(procs: usize) {
    let t = Tracker::new(8);
    let rt = runtime(procs);
    let (tz, rz) = bounded::<D>(0);
    let (tz2, rz2) = bounded::<D>(0);
    let (tb, rb) = bounded::<D>(1);
    tb.send(t.item(0)).unwrap();
    let (_tu, ru) = unbounded::<D>();
    let on = How::On(&rt);
    let mut ws: Vec<Waiter<()>> = vec![];
    {
        let (tz, ru, d) = (tz.clone(), ru.clone(), t.item(1));
        let t = t.clone();
        ws.push(Waiter::new(on, move || {
            select! {
                send(tz, t.item(7)) -> _ => {}
                recv(ru) -> _ => {}
            }
            drop(d);
        }));
    }
    {
        let (tb, rz, d) = (tb.clone(), rz2.clone(), t.item(2));
        let t = t.clone();
        ws.push(Waiter::new(on, move || {
            select! {
                send(tb, t.item(6)) -> _ => {}
                recv(rz) -> _ => {}
                recv(after(LONG)) -> _ => {}
            }
            drop(d);
        }));
    }
    {
        let (ru, rz, d) = (ru.clone(), rz2.clone(), t.item(3));
        ws.push(Waiter::new(on, move || {
            let mut sel = Select::new();
            sel.recv(&ru);
            sel.recv(&rz);
            let _ = sel.select_timeout(LONG).map(|o| o.index());
            drop(d);
        }));
    }
    {
        ws.push(Waiter::new(on, move || select! {}));
    }
    for w in &ws {
        w.wait_parked();
    }
    drop(rt);
    for w in ws {
        assert!(w.join_result().is_err());
    }
    // The values held on the stacks were dropped by the unwinding; the message
    // expressions were never evaluated; the buffered message is intact.
    assert_eq!(t.made(), 4);
    assert_eq!(t.dropped(), 3);
    assert_eq!(rb.try_recv().map(|d| d.id), Ok(0));
    drop((tz, rz, tz2, rz2, tb, rb, ru));
    t.check();
}

/// A goroutine parked in a select receive arm is unwound at runtime shutdown; a message
/// sent afterwards must reach a live receiver, not the dead select.
#[test]
fn unwound_select_receiver_does_not_take_messages() {
    for f in FLAVORS {
        let rt = runtime(1);
        let (tx, rx) = f.make_small::<u32>();
        let r = rx.clone();
        let w = Waiter::new(How::On(&rt), move || {
            select! {
                recv(r) -> _ => {}
                recv(never::<()>()) -> _ => {}
            }
        });
        w.wait_parked();
        drop(rt);
        assert!(w.join_result().is_err());
        if f == Flavor::Zero {
            assert_eq!(
                tx.try_send(7),
                Err(TrySendError::Full(7)),
                "a rendezvous try_send completed with a select unwound at shutdown"
            );
        } else {
            tx.send(7).unwrap();
            assert_eq!(
                rx.try_recv(),
                Ok(7),
                "{f:?}: a message sent after the select's runtime was dropped vanished"
            );
        }
    }
}

/// A goroutine parked in a select send arm is unwound at runtime shutdown; room made
/// afterwards must wake a live parked sender.
#[test]
fn unwound_select_sender_does_not_take_wakeups() {
    for f in [Flavor::One, Flavor::Many] {
        let rt = runtime(1);
        let (tx, rx) = f.make_small::<u32>();
        for i in 0..f.room_small() as u32 {
            tx.send(i).unwrap();
        }
        let s = tx.clone();
        let w = Waiter::new(How::On(&rt), move || {
            select! {
                send(s, 100) -> _ => {}
                recv(never::<()>()) -> _ => {}
            }
        });
        w.wait_parked();
        drop(rt);
        assert!(w.join_result().is_err());
        let done = Arc::new(AtomicUsize::new(0));
        let (s, d) = (tx.clone(), done.clone());
        let live = Waiter::new(How::Thread, move || {
            let r = s.send(200);
            d.store(1, SeqCst);
            r
        });
        live.wait_parked();
        assert_eq!(rx.recv(), Ok(0));
        assert!(
            eventually(Duration::from_secs(10), || done.load(SeqCst) == 1),
            "{f:?}: room was made but the live parked sender was never woken"
        );
        assert_eq!(live.join(), Ok(()));
    }
}

#[test]
#[should_panic(expected = "no operations have been added to `Select`")]
fn a_dynamic_select_without_operations_panics_like_crossbeam() {
    // `select! {}` waits for ever (Go's `select {}`); the dynamic `Select` follows crossbeam.
    let mut empty = Select::new();
    drop(empty.select());
}

#[test]
fn macro_binds_channel_expressions_like_crossbeam() {
    // Temporaries inside a channel expression live for the whole select (Go's nil-channel
    // idiom), blocks may yield references, and `default()` is `default`.
    let (tx, rx) = unbounded::<i32>();
    tx.send(1).unwrap();
    let maybe: Option<&Receiver<i32>> = std::hint::black_box(None);
    let got = select! {
        recv(maybe.unwrap_or(&never())) -> _ => 0,
        recv({ std::hint::black_box(()); &rx }) -> m => m.unwrap(),
    };
    assert_eq!(got, 1);
    let got = select! {
        recv(rx) -> _ => 0,
        default() => 2,
    };
    assert_eq!(got, 2);
}

#[test]
fn select_biased_takes_the_first_ready_arm() {
    let (t1, r1) = unbounded::<i32>();
    let (t2, r2) = unbounded::<i32>();
    for i in 0..100 {
        t1.send(i).unwrap();
        t2.send(i).unwrap();
    }
    for i in 0..100 {
        gpm::chan::select_biased! {
            recv(r1) -> m => assert_eq!(m, Ok(i)),
            recv(r2) -> _ => panic!("the second arm was chosen while the first was ready"),
        }
    }
    let mut sel = Select::new_biased();
    let a = sel.recv(&r1);
    let b = sel.recv(&r2);
    let mut copy = sel.clone();
    let op = copy.select();
    assert_eq!(op.index(), b, "only the second is ready");
    assert_eq!(op.recv(&r2), Ok(0));
    t1.send(7).unwrap();
    let op = sel.select();
    assert_eq!(op.index(), a, "both ready: the first added wins");
    assert_eq!(op.recv(&r1), Ok(7));
    assert_eq!(format!("{sel:?}"), "Select { .. }");
}
