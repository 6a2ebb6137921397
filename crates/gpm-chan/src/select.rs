//! The select engine behind `select!` and [`Select`](crate::Select): wait on several
//! channel operations at once and complete exactly one.
//!
//! ```text
//! loop {
//!   1. in a random order, try every arm without waiting; the first that can
//!      complete (or whose channel is disconnected) wins       -> done
//!      deadline passed                                        -> none
//!      default arm: once listed everywhere (2.) with nothing ready -> none
//!   2. take one context and list it, as operation i, in the wait queue of every arm i;
//!      an arm that turns out ready while being listed aborts the wait
//!   3. wait, until a peer selects one operation, a deadline (the select's timeout, or an
//!      after/tick channel's due time) passes, or the wait was aborted
//!   4. unlist everywhere; if operation i was selected, complete it (take the message a
//!      sender handed over, or try arm i again)                -> done, or back to 1
//! }
//! ```
//!
//! Fairness: the order of step 1 is a fresh uniform shuffle each round, so among arms
//! that are ready together each is chosen with equal probability (Go's `pollorder`).
//! Exactly one arm is completed because a context can be claimed only once.
//!
//! An arm is a small object on the select's stack ([`RecvArm`], [`SendArm`]). A receive
//! arm keeps the message it took; a send arm keeps a *claim* (a reserved ring slot, a
//! claimed parked receiver) until its message expression has been evaluated, because, as
//! in crossbeam, that expression is evaluated only once its arm is chosen. If the
//! expression panics (or the goroutine is unwound at shutdown) the claim is given back by
//! [`Pending`]'s destructor.

use std::time::Instant;

use crate::chan::{Receiver, SendClaim, Sender};
use crate::context::{Context, Selected};
use crate::err::{RecvError, SendError, TryRecvError};
use crate::timer;

/// One select operation, as the engine drives it. Implemented by [`RecvArm`] and
/// [`SendArm`]; public only for the expansion of `select!`.
#[doc(hidden)]
pub trait Arm {
    /// Tries to complete (or commit to) the operation now.
    fn try_select(&mut self) -> bool;
    /// Lists the operation as `oper` of `cx`; true if it turned out ready (then `cx`'s wait
    /// has been aborted).
    fn register(&mut self, oper: usize, cx: &Context) -> bool;
    /// Unlists it (a no-op if a peer already removed the entry).
    fn unregister(&mut self, oper: usize, cx: &Context);
    /// The operation was selected through `cx`: take what was handed over, or try again.
    fn accept(&mut self, cx: &Context) -> bool;
    /// When the operation may become ready by itself (time channels).
    fn due(&self) -> Option<Instant>;
    /// The goroutine is being unwound at runtime shutdown: complete as disconnected.
    fn interrupt(&mut self);
    /// Gives back a claim that will not be completed.
    fn abandon(&mut self);
    /// The channel handle this arm was made from, and whether it sends.
    fn handle(&self) -> (*const (), bool);
    /// A fresh arm on the same channel handle (for `Clone` of a dynamic `Select`).
    fn fresh<'s>(&self) -> Box<dyn Arm + 's>
    where
        Self: 's;
}

/// A `select!` receive arm.
#[doc(hidden)]
pub struct RecvArm<'a, T> {
    r: &'a Receiver<T>,
    got: Option<Result<T, RecvError>>,
}

impl<'a, T> RecvArm<'a, T> {
    pub fn new(r: &'a Receiver<T>) -> Self {
        RecvArm { r, got: None }
    }

    /// The result of the chosen arm.
    pub fn result(&mut self) -> Result<T, RecvError> {
        self.got.take().expect("gpm: select arm completed twice")
    }
}

impl<T> Arm for RecvArm<'_, T> {
    fn try_select(&mut self) -> bool {
        if self.got.is_some() {
            return true;
        }
        self.got = match self.r.try_recv() {
            Ok(m) => Some(Ok(m)),
            Err(TryRecvError::Disconnected) => Some(Err(RecvError)),
            Err(TryRecvError::Empty) => None,
        };
        self.got.is_some()
    }

    fn register(&mut self, oper: usize, cx: &Context) -> bool {
        self.r.register(oper, cx)
    }

    fn unregister(&mut self, oper: usize, cx: &Context) {
        self.r.unregister(oper, cx);
    }

    fn accept(&mut self, cx: &Context) -> bool {
        // SAFETY: the engine calls `accept` on the arm whose operation was selected, after
        // the wait ended, with the context it listed through this arm's receiver.
        if let Some(m) = unsafe { self.r.take_handed(cx) } {
            self.got = Some(Ok(m));
            return true;
        }
        self.try_select()
    }

    fn due(&self) -> Option<Instant> {
        self.r.due()
    }

    fn interrupt(&mut self) {
        self.got.get_or_insert(Err(RecvError));
    }

    fn abandon(&mut self) {}

    fn handle(&self) -> (*const (), bool) {
        ((self.r as *const Receiver<T>).cast(), false)
    }

    fn fresh<'s>(&self) -> Box<dyn Arm + 's>
    where
        Self: 's,
    {
        Box::new(RecvArm::new(self.r))
    }
}

/// A `select!` send arm.
#[doc(hidden)]
pub struct SendArm<'a, T> {
    s: &'a Sender<T>,
    claim: SendClaim,
}

impl<'a, T> SendArm<'a, T> {
    pub fn new(s: &'a Sender<T>) -> Self {
        SendArm {
            s,
            claim: SendClaim::None,
        }
    }

    /// The chosen arm's claim, to be completed with the message.
    pub fn pending(&mut self) -> Pending<'a, T> {
        Pending {
            s: self.s,
            claim: std::mem::replace(&mut self.claim, SendClaim::None),
        }
    }
}

/// A chosen send arm waiting for its message. Dropping it unsent gives the claim back.
#[doc(hidden)]
pub struct Pending<'a, T> {
    s: &'a Sender<T>,
    claim: SendClaim,
}

impl<T> Pending<'_, T> {
    pub fn send(mut self, msg: T) -> Result<(), SendError<T>> {
        let claim = std::mem::replace(&mut self.claim, SendClaim::None);
        self.s.complete(claim, msg)
    }
}

impl<T> Drop for Pending<'_, T> {
    fn drop(&mut self) {
        let claim = std::mem::replace(&mut self.claim, SendClaim::None);
        self.s.abandon(claim);
    }
}

impl<T> Arm for SendArm<'_, T> {
    fn try_select(&mut self) -> bool {
        if matches!(self.claim, SendClaim::None) {
            self.claim = self.s.claim();
        }
        !matches!(self.claim, SendClaim::None)
    }

    fn register(&mut self, oper: usize, cx: &Context) -> bool {
        self.s.register(oper, cx)
    }

    fn unregister(&mut self, oper: usize, cx: &Context) {
        self.s.unregister(oper, cx);
    }

    fn accept(&mut self, _cx: &Context) -> bool {
        // A send arm's entry carries nothing: being selected means "try again".
        self.try_select()
    }

    fn due(&self) -> Option<Instant> {
        None
    }

    fn interrupt(&mut self) {
        self.abandon();
        self.claim = SendClaim::Disconnected;
    }

    fn abandon(&mut self) {
        let claim = std::mem::replace(&mut self.claim, SendClaim::None);
        self.s.abandon(claim);
    }

    fn handle(&self) -> (*const (), bool) {
        ((self.s as *const Sender<T>).cast(), true)
    }

    fn fresh<'s>(&self) -> Box<dyn Arm + 's>
    where
        Self: 's,
    {
        Box::new(SendArm::new(self.s))
    }
}

/// How long a select may wait.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum Timeout {
    /// Not at all (`default =>`).
    Now,
    /// Until this instant (`default(timeout) =>`).
    At(Instant),
    /// For ever.
    Never,
}

/// The most arms whose order is shuffled in a buffer on the stack.
const STACK_ARMS: usize = 32;

/// Runs a select over `arms`; returns the index of the arm that completed, or `None` if
/// none could before the timeout. `biased` tries the arms in order instead of shuffled.
#[doc(hidden)]
pub fn select(arms: &mut [&mut dyn Arm], timeout: Timeout, biased: bool) -> Option<usize> {
    let n = arms.len();
    let mut buf = [0usize; STACK_ARMS];
    let mut heap = Vec::new();
    let order: &mut [usize] = if n <= STACK_ARMS {
        &mut buf[..n]
    } else {
        heap.resize(n, 0);
        &mut heap
    };
    for (i, o) in order.iter_mut().enumerate() {
        *o = i;
    }
    // With `default`, the answer "nothing is ready" must hold at one instant, not arm by arm
    // (Go's `select` locks every channel for it; `TestNonblockSelectRace2` fails otherwise):
    // arm 1 may look not ready, then arm 2 too, because a peer made arm 1 not ready and arm
    // 2 ready in between. So before answering "none", the select lists itself on every arm,
    // each re-checking as it is listed, and withdraws at once: once listed everywhere with
    // nothing ready, every arm was not ready at that moment, since any event making one
    // ready would have claimed the listed context instead.
    let mut listed_everywhere = false;
    loop {
        if !biased {
            shuffle(order);
        }
        for &i in order.iter() {
            if arms[i].try_select() {
                return Some(i);
            }
        }
        let limit = match timeout {
            Timeout::Now if listed_everywhere => return None,
            Timeout::Now => Some(crate::sync::now()),
            Timeout::At(d) if crate::sync::now() >= d => return None,
            Timeout::At(d) => Some(d),
            Timeout::Never => None,
        };
        if gpm_g::shutting_down() {
            // Unwinding at shutdown: nothing will complete; report the first arm as
            // disconnected rather than wait for ever.
            return match timeout {
                Timeout::Never if n > 0 => {
                    arms[order[0]].interrupt();
                    Some(order[0])
                }
                _ => None,
            };
        }
        let deadline = arms.iter().filter_map(|a| a.due()).chain(limit).min();
        let won = Context::with(|cx| {
            let mut listed = 0;
            listed_everywhere = true;
            for &i in order.iter() {
                listed += 1;
                if arms[i].register(i, cx) {
                    listed_everywhere = false;
                    break;
                }
            }
            let mut unlist = |cx: &Context| {
                for &i in &order[..listed] {
                    arms[i].unregister(i, cx);
                }
            };
            let sel = cx.wait_listed(deadline, &mut unlist);
            unlist(cx);
            match sel {
                Selected::Operation(i) => arms[i].accept(cx).then_some(i),
                _ => None,
            }
        });
        if won.is_some() {
            return won;
        }
    }
}

/// A uniform random permutation (Fisher-Yates). Under loom the order stays fixed, since a
/// model must make the same choices every time it is replayed.
fn shuffle(order: &mut [usize]) {
    #[cfg(not(loom))]
    for i in (1..order.len()).rev() {
        order.swap(i, fastrand::usize(..=i));
    }
    #[cfg(loom)]
    let _ = order;
}

/// `select! {}`: waits for ever, like Go's `select {}`.
///
/// # Panics
/// When the calling goroutine is being unwound by its runtime's shutdown, since it can
/// neither wait nor return.
#[doc(hidden)]
pub fn block_forever() -> ! {
    timer::sleep_until(None);
    panic!("gpm: `select! {{}}` interrupted by runtime shutdown");
}
