//! A goroutine's task (its closure and its result slot, kept in the goroutine's G record and
//! shared with the `JoinHandle`) and the handle through which the result, or the panic,
//! reaches whoever joins it: parking a goroutine or blocking a thread while it waits. Under
//! `cfg(loom)` a handle joins a loom thread instead (see `crate::loom`), and the task
//! machinery is unused.
#![cfg_attr(loom, allow(dead_code, unused_imports))]

use std::any::Any;
use std::cell::UnsafeCell;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::thread;

use gpm_g::block::Waiter;
use gpm_g::oneshot::{Completed, Oneshot};
use gpm_g::{Entry, EntryRef, GId};

/// A goroutine's unique id.
///
/// ```
/// let h = gpm::go!(|| gpm::current_id().unwrap());
/// let id: gpm::GoroutineId = h.id();
/// assert_eq!(h.join().unwrap(), id); // the goroutine sees the id its handle reports
/// assert_ne!(gpm::go!(|| ()).id(), id); // ids are unique
/// println!("goroutine {id}"); // `Display`: the number
/// ```
pub type GoroutineId = GId;

/// Where a goroutine leaves its result: a lock-free one-shot slot (`gpm_g::oneshot`) with
/// room for the one waiter, the joiner. Its producer is the goroutine's [`Task`], which
/// completes it once (from `run`, its `Completion` guard, or `cancel`, and the scheduler
/// calls one of `run` and `cancel`, once); its consumer is the one [`JoinHandle`], which
/// owns it and so never makes two calls at once.
pub(crate) struct Packet<T> {
    slot: Oneshot<thread::Result<T>, Waiter>,
}

impl<T> Packet<T> {
    /// Delivers the goroutine's result.
    ///
    /// # Safety
    /// Called by the packet's task, once (see [`Packet`]).
    unsafe fn complete(&self, r: thread::Result<T>) {
        // SAFETY: our caller is the one producer, completing once.
        match unsafe { self.slot.complete(r) } {
            Completed::Stored => {}
            Completed::Wake(w) => w.wake(),
            // Detached: the result goes nowhere, and is dropped here.
            Completed::Unwanted(r) => drop(r),
        }
    }

    /// Delivers "ended without finishing".
    ///
    /// # Safety
    /// As for [`Packet::complete`].
    unsafe fn unfinished(&self, id: GId) {
        let msg = format!(
            "gpm: goroutine {id} ended without finishing: its runtime shut down, or its stack \
             could not be allocated"
        );
        // SAFETY: our caller's promise.
        unsafe { self.complete(Err(Box::new(msg))) };
    }

    /// The handle is gone: drops a result already delivered (on the dropping thread, as
    /// std's `JoinHandle` does) and lets one delivered later be dropped by its goroutine.
    fn detach(&self) {
        // SAFETY: only the handle detaches, as it drops, after any other call of its own.
        let (result, waiter) = unsafe { self.slot.close() };
        drop(waiter);
        drop(result);
    }
}

/// A goroutine's closure and result slot.
pub(crate) struct Task<F, T> {
    id: GId,
    pub(crate) packet: Packet<T>,
    f: UnsafeCell<Option<F>>,
}

// SAFETY: `f` is taken exactly once, by `run` or `cancel`, which the scheduler calls at
// most once between them and only from the one thread that owns the G at that moment; the
// result slot is a `Oneshot`, `Sync` itself. `F: Send` because the closure moves to that
// thread.
unsafe impl<F: Send, T: Send> Sync for Task<F, T> {}

impl<F, T> Task<F, T> {
    pub(crate) fn new(id: GId, f: F) -> Task<F, T> {
        Task {
            id,
            packet: Packet {
                slot: Oneshot::new(),
            },
            f: UnsafeCell::new(Some(f)),
        }
    }

    fn take_f(&self) -> Option<F> {
        // SAFETY: see the `Sync` impl: only the single caller of `run`/`cancel` gets here.
        unsafe { (*self.f.get()).take() }
    }
}

/// Delivers "ended without finishing" if dropped before `complete`: the goroutine was
/// unwound at runtime shutdown.
struct Completion<'a, T>(Option<&'a Packet<T>>, GId);

impl<T> Drop for Completion<'_, T> {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            // SAFETY: the task's run armed this guard and disarms it before completing
            // itself, so the packet is completed once.
            unsafe { p.unfinished(self.1) };
        }
    }
}

impl<F, T> Entry for Task<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn run(&self) {
        let f = self.take_f().expect("gpm: goroutine started twice");
        let mut done = Completion(Some(&self.packet), self.id);
        let r = panic::catch_unwind(AssertUnwindSafe(f));
        if gpm_g::shutting_down() {
            // A forced unwind at runtime shutdown: let it through to the G's root; dropping
            // `done` on the way tells the joiner.
            if let Err(payload) = r {
                panic::resume_unwind(payload);
            }
        }
        let packet = done.0.take().expect("completion armed");
        // For a detached goroutine this drops the result (or the panic payload) here, at the
        // goroutine's root; a panic in that drop has nowhere to go. std aborts in the same
        // case ("thread result panicked on drop").
        // SAFETY: the guard is disarmed, and `run` runs once (the closure was there).
        let delivered =
            panic::catch_unwind(AssertUnwindSafe(move || unsafe { packet.complete(r) }));
        if delivered.is_err() {
            eprintln!("gpm: a goroutine's result panicked on drop; aborting");
            std::process::abort();
        }
    }

    fn cancel(&self) {
        let f = self.take_f();
        // SAFETY: the scheduler cancels a task instead of running it, once.
        unsafe { self.packet.unfinished(self.id) };
        drop(f);
    }
}

/// An owned permission to join a goroutine (wait for it to finish and take its result).
/// Dropping it detaches the goroutine, as with `std::thread::JoinHandle`.
///
/// The result waits in the goroutine's record, so a handle keeps that record (272
/// bytes) until it is joined or dropped, even after its runtime is gone; a goroutine whose
/// handle was dropped frees its record for reuse as it ends.
///
/// ```
/// let h: gpm::JoinHandle<Vec<u32>> = gpm::go!(|| (1..=3).collect());
/// assert_eq!(h.join().unwrap(), [1, 2, 3]);
/// // Dropping a handle detaches the goroutine; it runs to completion all the same.
/// let (tx, rx) = gpm::bounded(1);
/// drop(gpm::go!(move || tx.send("detached").unwrap()));
/// assert_eq!(rx.recv(), Ok("detached"));
/// ```
pub struct JoinHandle<T> {
    #[cfg(not(loom))]
    pub(crate) packet: EntryRef<Packet<T>>,
    #[cfg(loom)]
    pub(crate) thread: crate::loom::Thread<T>,
    pub(crate) id: GId,
}

impl<T> JoinHandle<T> {
    /// Waits for the goroutine to finish. Inside a goroutine this parks only the caller;
    /// outside it blocks the thread. A panic in the goroutine comes back as `Err(payload)`,
    /// exactly like `std::thread::JoinHandle::join`.
    ///
    /// ```
    /// let ok = gpm::go!(|| 1);
    /// assert_eq!(ok.join().unwrap(), 1);
    /// // A panic is caught at the goroutine's boundary and comes back as `Err(payload)`.
    /// let bad = gpm::go!(|| -> u32 { panic!("oops") });
    /// let payload = bad.join().unwrap_err();
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"oops"));
    /// ```
    pub fn join(self) -> thread::Result<T> {
        #[cfg(loom)]
        return self.thread.join();
        #[cfg(not(loom))]
        match self.join_watched(|| None) {
            Ok(r) => r,
            Err(never) => unreachable!("{never}"),
        }
    }

    /// Like [`JoinHandle::join`], but a thread (not a goroutine) waiting here gives up with
    /// `Err(report)` once `verdict` returns one; whoever makes the verdict unparks the
    /// thread. `block_on` waits this way for sysmon's deadlock report.
    #[cfg(not(loom))]
    pub(crate) fn join_watched(
        self,
        verdict: impl Fn() -> Option<String>,
    ) -> Result<thread::Result<T>, String> {
        let in_g = gpm_g::in_goroutine();
        let slot = &self.packet.slot;
        loop {
            // SAFETY: the handle is the packet's one consumer, and owning itself, it makes one
            // call on the slot at a time; it closes the slot only when dropped.
            if let Some(r) = unsafe { slot.try_take() } {
                return Ok(r);
            }
            if in_g {
                if gpm_g::shutting_down() {
                    let msg: Box<dyn Any + Send> =
                        Box::new("gpm: join interrupted by runtime shutdown");
                    return Ok(Err(msg));
                }
                // Registered from the park hook, once the goroutine is off its stack; a
                // result that came first cancels the park.
                // SAFETY: as for `try_take` above.
                gpm_g::park(|g| unsafe { slot.register(|| Waiter::G(g.clone())) });
            } else {
                // SAFETY: as for `try_take` above.
                if !unsafe { slot.register(|| Waiter::Thread(thread::current())) } {
                    continue;
                }
                if let Some(report) = verdict() {
                    return Err(report);
                }
                thread::park();
            }
        }
    }

    /// True once the goroutine has finished (its result is ready).
    ///
    /// ```
    /// let (tx, rx) = gpm::bounded::<()>(0);
    /// let h = gpm::go!(move || rx.recv().is_err());
    /// assert!(!h.is_finished()); // it waits for the channel to close
    /// drop(tx);
    /// while !h.is_finished() {
    ///     gpm::yield_now();
    /// }
    /// assert!(h.join().unwrap());
    /// ```
    pub fn is_finished(&self) -> bool {
        #[cfg(loom)]
        return self.thread.is_finished();
        #[cfg(not(loom))]
        self.packet.slot.is_done()
    }

    /// The goroutine's id.
    ///
    /// ```
    /// let a = gpm::go!(|| ());
    /// let b = gpm::go!(|| ());
    /// assert_ne!(a.id(), b.id());
    /// a.join().unwrap();
    /// b.join().unwrap();
    /// ```
    pub fn id(&self) -> GoroutineId {
        self.id
    }
}

#[cfg(not(loom))]
impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.packet.detach();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("id", &self.id).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A goroutine that captures a channel end and two words (skynet's nodes, a worker with
    /// its queue) keeps its task inside its G record, so its spawn makes no allocation of
    /// its own (see `gpm_g::task`).
    #[test]
    fn a_small_task_fits_inside_the_g_record() {
        fn task_size<F: FnOnce() -> T, T>(_: &F) -> usize {
            size_of::<Task<F, T>>()
        }
        let (tx, _rx) = gpm_chan::bounded::<u64>(0);
        let (a, b) = (1u64, 2u64);
        let f = move || {
            let _ = (&tx, a, b);
        };
        assert!(
            task_size(&f) <= gpm_g::INLINE_BYTES,
            "{} bytes",
            task_size(&f)
        );
    }
}
