//! `JoinHandle`: the one-shot slot through which a goroutine's result (or panic) reaches
//! whoever joins it, parking a goroutine or blocking a thread while it waits.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::thread;

use gpm_g::block::Waiter;
use gpm_g::GId;
use parking_lot::Mutex;

/// A goroutine's unique id.
pub type GoroutineId = GId;

enum State<T> {
    Pending(Option<Waiter>),
    Done(thread::Result<T>),
    Taken,
}

/// Where a goroutine leaves its result.
pub(crate) struct Packet<T> {
    state: Mutex<State<T>>,
}

impl<T> Packet<T> {
    pub(crate) fn new() -> Arc<Packet<T>> {
        Arc::new(Packet {
            state: Mutex::new(State::Pending(None)),
        })
    }

    fn complete(&self, r: thread::Result<T>) {
        let waiter = {
            let mut s = self.state.lock();
            match std::mem::replace(&mut *s, State::Done(r)) {
                State::Pending(w) => w,
                _ => unreachable!("gpm: goroutine result delivered twice"),
            }
        };
        if let Some(w) = waiter {
            w.wake();
        }
    }
}

/// Owned by a goroutine's entry: delivers the result, or, if the goroutine is unwound at
/// runtime shutdown before it finishes, an error saying so.
pub(crate) struct Completion<T> {
    pub(crate) packet: Option<Arc<Packet<T>>>,
    pub(crate) id: GId,
}

impl<T> Completion<T> {
    pub(crate) fn complete(mut self, r: thread::Result<T>) {
        if let Some(p) = self.packet.take() {
            p.complete(r);
        }
    }
}

impl<T> Drop for Completion<T> {
    fn drop(&mut self) {
        if let Some(p) = self.packet.take() {
            let msg = format!(
                "gpm: goroutine {} ended without finishing: its runtime shut down, or its stack \
                 could not be allocated",
                self.id
            );
            p.complete(Err(Box::new(msg)));
        }
    }
}

/// An owned permission to join a goroutine (wait for it to finish and take its result).
/// Dropping it detaches the goroutine, as with `std::thread::JoinHandle`.
pub struct JoinHandle<T> {
    pub(crate) packet: Arc<Packet<T>>,
    pub(crate) id: GId,
}

impl<T> JoinHandle<T> {
    /// Waits for the goroutine to finish. Inside a goroutine this parks only the caller;
    /// outside it blocks the thread. A panic in the goroutine comes back as `Err(payload)`,
    /// exactly like `std::thread::JoinHandle::join`.
    pub fn join(self) -> thread::Result<T> {
        let in_g = gpm_g::in_goroutine();
        loop {
            let mut s = self.packet.state.lock();
            match &mut *s {
                State::Done(_) => {
                    let State::Done(r) = std::mem::replace(&mut *s, State::Taken) else {
                        unreachable!()
                    };
                    return r;
                }
                State::Taken => unreachable!("gpm: join called twice"),
                State::Pending(w) if in_g => {
                    if gpm_g::shutting_down() {
                        let msg: Box<dyn Any + Send> =
                            Box::new("gpm: join interrupted by runtime shutdown");
                        return Err(msg);
                    }
                    let _ = w;
                    gpm_g::park(move |g| {
                        if let State::Pending(w) = &mut *s {
                            *w = Some(Waiter::G(g.clone()));
                        }
                        drop(s);
                        true
                    });
                }
                State::Pending(w) => {
                    *w = Some(Waiter::Thread(thread::current()));
                    drop(s);
                    thread::park();
                }
            }
        }
    }

    /// True once the goroutine has finished (its result is ready).
    pub fn is_finished(&self) -> bool {
        matches!(*self.packet.state.lock(), State::Done(_))
    }

    /// The goroutine's id.
    pub fn id(&self) -> GoroutineId {
        self.id
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("id", &self.id).finish()
    }
}
