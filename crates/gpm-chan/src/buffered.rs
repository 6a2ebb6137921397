//! What the two lock-free buffered flavors (`array.rs`, `list.rs`) share: giving a message
//! straight to a parked receiver, and the blocking receive loop.

use std::time::Instant;

use crate::context::{Context, Selected};
use crate::err::{RecvTimeoutError, TryRecvError};
use crate::waitq::WaitQueue;

/// Gives `msg` to a parked receiver if `buffer_empty()` holds under the receivers' lock
/// (see "Handover" in `array.rs`); otherwise hands it back.
pub(crate) fn handover<T>(
    receivers: &WaitQueue,
    buffer_empty: impl Fn() -> bool,
    msg: T,
) -> Result<(), T> {
    if receivers.is_empty() {
        return Err(msg);
    }
    let claimed = {
        let mut waiting = receivers.lock();
        if !buffer_empty() {
            return Err(msg);
        }
        waiting.claim(None, |e| e.handover)
    };
    match claimed {
        Some(e) => {
            // SAFETY: we hold the claim; a receiver's entry of this channel takes a `T`.
            unsafe { e.cx.put(msg) };
            e.finish();
            Ok(())
        }
        None => Err(msg),
    }
}

/// A blocking receive: `try_recv` until it yields, parking in between. `register` lists
/// the caller's context in `receivers` and aborts its wait if a message or the disconnect
/// arrived meanwhile.
pub(crate) fn recv<T>(
    deadline: Option<Instant>,
    receivers: &WaitQueue,
    try_recv: impl Fn() -> Result<T, TryRecvError>,
    register: impl Fn(&Context) -> bool,
) -> Result<T, RecvTimeoutError> {
    loop {
        match try_recv() {
            Ok(m) => return Ok(m),
            Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
            Err(TryRecvError::Empty) => {}
        }
        if deadline.is_some_and(|d| crate::sync::now() >= d) {
            return Err(RecvTimeoutError::Timeout);
        }
        if gpm_g::shutting_down() {
            // Unwinding at shutdown: nobody will send.
            return Err(RecvTimeoutError::Disconnected);
        }
        let got = Context::with_plain(deadline, |cx| {
            register(cx);
            match cx.wait_listed(deadline, |cx| receivers.unregister(cx, 0)) {
                Selected::Aborted => {
                    receivers.unregister(cx, 0);
                    Some(None)
                }
                // SAFETY: we own `cx` and saw a final state; receivers of this channel are
                // handed `T`s. An empty payload means "try again".
                Selected::Operation(_) => Some(unsafe { cx.take::<T>() }),
                Selected::Disconnected => Some(None),
                Selected::Interrupted => None,
            }
        });
        match got {
            Some(Some(m)) => return Ok(m),
            Some(None) => {}
            None => return Err(RecvTimeoutError::Disconnected),
        }
    }
}
