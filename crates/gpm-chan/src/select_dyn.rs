//! [`Select`]: the select engine with a number of operations chosen at run time (crossbeam's
//! dynamic `Select`), for when `select!`'s fixed arms do not fit.
//!
//! ```
//! use gpm_chan::{unbounded, Select};
//!
//! let (tx1, rx1) = unbounded::<i32>();
//! let (tx2, rx2) = unbounded::<i32>();
//! tx2.send(20).unwrap();
//!
//! let mut sel = Select::new();
//! let op1 = sel.recv(&rx1);
//! let op2 = sel.recv(&rx2);
//! let oper = sel.select();
//! match oper.index() {
//!     i if i == op1 => unreachable!(),
//!     i if i == op2 => assert_eq!(oper.recv(&rx2), Ok(20)),
//!     _ => unreachable!(),
//! }
//! # drop(tx1);
//! ```

use std::fmt;
use std::time::{Duration, Instant};

use crate::chan::{deadline_after, Receiver, Sender};
use crate::err::{RecvError, SelectTimeoutError, SendError, TrySelectError};
use crate::select::{self, Arm, RecvArm, SendArm, Timeout};

/// A set of channel operations to wait on; one of them is completed per select.
pub struct Select<'a> {
    /// `(index, arm)` in the order added; indices are never reused.
    arms: Vec<(usize, Box<dyn Arm + 'a>)>,
    next: usize,
    biased: bool,
}

/// The operation a [`Select`] chose. Complete it with [`SelectedOperation::recv`] or
/// [`SelectedOperation::send`] on the same channel handle that was added. Dropped without
/// that, a send is given back, and a received message stays with the operation for the
/// next select, so nothing is lost.
pub struct SelectedOperation<'s, 'a> {
    sel: &'s mut Select<'a>,
    pos: usize,
    done: bool,
}

impl Default for Select<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Select<'a> {
    /// An empty set. Among operations ready together, one is chosen at random.
    pub fn new() -> Select<'a> {
        Select {
            arms: Vec::new(),
            next: 0,
            biased: false,
        }
    }

    /// An empty set that, among operations ready together, chooses the one added first.
    pub fn new_biased() -> Select<'a> {
        Select {
            biased: true,
            ..Select::new()
        }
    }

    /// Adds a send on `s`; returns the operation's index.
    pub fn send<T>(&mut self, s: &'a Sender<T>) -> usize {
        self.add(Box::new(SendArm::new(s)))
    }

    /// Adds a receive on `r`; returns the operation's index.
    pub fn recv<T>(&mut self, r: &'a Receiver<T>) -> usize {
        self.add(Box::new(RecvArm::new(r)))
    }

    fn add(&mut self, arm: Box<dyn Arm + 'a>) -> usize {
        let i = self.next;
        self.next += 1;
        self.arms.push((i, arm));
        i
    }

    /// Removes the operation with index `index`.
    ///
    /// # Panics
    /// If there is no such operation.
    pub fn remove(&mut self, index: usize) {
        let pos = self
            .arms
            .iter()
            .position(|(i, _)| *i == index)
            .expect("gpm: no operation with this index in the Select");
        let (_, mut arm) = self.arms.remove(pos);
        arm.abandon();
    }

    fn run(&mut self, timeout: Timeout) -> Option<SelectedOperation<'_, 'a>> {
        let mut arms: Vec<&mut dyn Arm> = self
            .arms
            .iter_mut()
            .map(|(_, a)| &mut **a as &mut dyn Arm)
            .collect();
        let pos = select::select(&mut arms, timeout, self.biased)?;
        Some(SelectedOperation {
            sel: self,
            pos,
            done: false,
        })
    }

    /// Completes one ready operation without waiting, if any is ready.
    pub fn try_select(&mut self) -> Result<SelectedOperation<'_, 'a>, TrySelectError> {
        self.run(Timeout::Now).ok_or(TrySelectError)
    }

    /// Waits until one operation can complete.
    ///
    /// # Panics
    /// If no operations have been added (as in crossbeam; `select! {}` waits for ever).
    pub fn select(&mut self) -> SelectedOperation<'_, 'a> {
        assert!(
            !self.arms.is_empty(),
            "gpm: no operations have been added to `Select`"
        );
        self.run(Timeout::Never)
            .expect("gpm: a select without timeout always completes")
    }

    /// Like [`Select::select`], giving up after `timeout`.
    pub fn select_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<SelectedOperation<'_, 'a>, SelectTimeoutError> {
        match deadline_after(timeout) {
            Some(d) => self.select_deadline(d),
            None => Ok(self.select()),
        }
    }

    /// Like [`Select::select`], giving up at `deadline`.
    pub fn select_deadline(
        &mut self,
        deadline: Instant,
    ) -> Result<SelectedOperation<'_, 'a>, SelectTimeoutError> {
        self.run(Timeout::At(deadline)).ok_or(SelectTimeoutError)
    }
}

impl<'a> Clone for Select<'a> {
    /// The same operations, with the same indices, none of them chosen yet.
    fn clone(&self) -> Select<'a> {
        Select {
            arms: self.arms.iter().map(|(i, a)| (*i, a.fresh())).collect(),
            next: self.next,
            biased: self.biased,
        }
    }
}

impl fmt::Debug for Select<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Select { .. }")
    }
}

impl<'a> SelectedOperation<'_, 'a> {
    /// The index of the chosen operation, as returned by [`Select::send`]/[`Select::recv`].
    pub fn index(&self) -> usize {
        self.sel.arms[self.pos].0
    }

    /// The chosen arm, checked to be the one made from the channel handle at `handle`.
    fn arm(&mut self, handle: *const (), sends: bool) -> &mut Box<dyn Arm + 'a> {
        let arm = &mut self.sel.arms[self.pos].1;
        assert!(
            arm.handle() == (handle, sends),
            "gpm: SelectedOperation completed with a different channel handle than the one selected"
        );
        arm
    }

    /// Completes a chosen send with `msg`, which must go to the `Sender` that was added.
    ///
    /// # Panics
    /// If `s` is not the handle of the chosen operation.
    pub fn send<T: 'a>(mut self, s: &Sender<T>, msg: T) -> Result<(), SendError<T>> {
        let arm = self.arm((s as *const Sender<T>).cast(), true);
        let arm = arm.as_mut() as *mut dyn Arm as *mut SendArm<'a, T>;
        self.done = true;
        // SAFETY: the chosen arm was made by `Select::send` from a `&'a Sender<U>` at the
        // address of `s` (checked above). That sender is borrowed for `'a`, so it is the same
        // live object as `s`, hence `U = T`, and the arm is a `SendArm<'a, T>`.
        unsafe { (*arm).pending().send(msg) }
    }

    /// Completes a chosen receive, which must be on the `Receiver` that was added.
    ///
    /// # Panics
    /// If `r` is not the handle of the chosen operation.
    pub fn recv<T: 'a>(mut self, r: &Receiver<T>) -> Result<T, RecvError> {
        let arm = self.arm((r as *const Receiver<T>).cast(), false);
        let arm = arm.as_mut() as *mut dyn Arm as *mut RecvArm<'a, T>;
        self.done = true;
        // SAFETY: as in `send`: the arm was made by `Select::recv` from the receiver at the
        // address of `r`, so it is a `RecvArm<'a, T>`.
        unsafe { (*arm).result() }
    }
}

impl Drop for SelectedOperation<'_, '_> {
    fn drop(&mut self) {
        if !self.done {
            self.sel.arms[self.pos].1.abandon();
        }
    }
}

impl fmt::Debug for SelectedOperation<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectedOperation")
            .field("index", &self.index())
            .finish()
    }
}
