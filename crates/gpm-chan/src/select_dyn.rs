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
///
/// ```
/// use gpm_chan::{unbounded, Receiver, Select};
///
/// // Receive from whichever of n channels (n known only at run time) has a message.
/// let chans: Vec<_> = (0..5).map(|_| unbounded::<usize>()).collect();
/// chans[3].0.send(30).unwrap();
/// let receivers: Vec<&Receiver<usize>> = chans.iter().map(|(_, rx)| rx).collect();
/// let mut sel = Select::new();
/// for rx in &receivers {
///     sel.recv(rx);
/// }
/// let op = sel.select();
/// let i = op.index();
/// assert_eq!(i, 3);
/// assert_eq!(op.recv(receivers[i]), Ok(30));
/// ```
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
///
/// ```
/// use gpm_chan::{bounded, Select};
///
/// let (tx, rx) = bounded(1);
/// let mut sel = Select::new();
/// let send = sel.send(&tx);
/// let op = sel.select(); // a send on an empty bounded(1) channel is ready
/// assert_eq!(op.index(), send);
/// op.send(&tx, "hello").unwrap(); // the message is given only now
/// assert_eq!(rx.recv(), Ok("hello"));
/// ```
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
    ///
    /// ```
    /// use gpm_chan::{unbounded, Select};
    ///
    /// let (tx, rx) = unbounded::<i32>();
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// assert!(sel.try_select().is_err());
    /// tx.send(1).unwrap();
    /// let op = sel.try_select().unwrap();
    /// assert_eq!(op.recv(&rx), Ok(1));
    /// ```
    pub fn new() -> Select<'a> {
        Select {
            arms: Vec::new(),
            next: 0,
            biased: false,
        }
    }

    /// An empty set that, among operations ready together, chooses the one added first.
    ///
    /// ```
    /// use gpm_chan::{unbounded, Select};
    ///
    /// let (t1, r1) = unbounded();
    /// let (t2, r2) = unbounded();
    /// t1.send(1).unwrap();
    /// t2.send(2).unwrap();
    /// let mut sel = Select::new_biased();
    /// let first = sel.recv(&r1);
    /// sel.recv(&r2);
    /// for _ in 0..10 {
    ///     // Both are ready; the one added first always wins (`new` would pick at random).
    ///     let op = sel.select();
    ///     assert_eq!(op.index(), first);
    ///     let v = op.recv(&r1).unwrap();
    ///     t1.send(v).unwrap();
    /// }
    /// ```
    pub fn new_biased() -> Select<'a> {
        Select {
            biased: true,
            ..Select::new()
        }
    }

    /// Adds a send on `s`; returns the operation's index.
    ///
    /// ```
    /// use gpm_chan::{bounded, Select};
    ///
    /// let (tx, rx) = bounded(0);
    /// let t = std::thread::spawn(move || rx.recv().unwrap());
    /// let mut sel = Select::new();
    /// let i = sel.send(&tx);
    /// let op = sel.select(); // waits for the receiver of the rendezvous channel
    /// assert_eq!(op.index(), i);
    /// op.send(&tx, 42).unwrap();
    /// assert_eq!(t.join().unwrap(), 42);
    /// ```
    pub fn send<T>(&mut self, s: &'a Sender<T>) -> usize {
        self.add(Box::new(SendArm::new(s)))
    }

    /// Adds a receive on `r`; returns the operation's index.
    ///
    /// ```
    /// use gpm_chan::{unbounded, Select};
    ///
    /// let (tx, rx) = unbounded();
    /// let t = std::thread::spawn(move || tx.send("late").unwrap());
    /// let mut sel = Select::new();
    /// let i = sel.recv(&rx);
    /// let op = sel.select(); // waits for the thread's send
    /// assert_eq!(op.index(), i);
    /// assert_eq!(op.recv(&rx), Ok("late"));
    /// t.join().unwrap();
    /// ```
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
    ///
    /// ```
    /// use gpm_chan::{unbounded, Select};
    ///
    /// let (t1, r1) = unbounded();
    /// let (t2, r2) = unbounded();
    /// t1.send(1).unwrap();
    /// t2.send(2).unwrap();
    /// let mut sel = Select::new();
    /// let a = sel.recv(&r1);
    /// let b = sel.recv(&r2);
    /// sel.remove(a); // only `b` is left, although `r1` is ready too
    /// let op = sel.select();
    /// assert_eq!(op.index(), b);
    /// assert_eq!(op.recv(&r2), Ok(2));
    /// ```
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
    ///
    /// ```
    /// use gpm_chan::{bounded, Select};
    ///
    /// let (tx, rx) = bounded::<i32>(0);
    /// let mut sel = Select::new();
    /// sel.send(&tx);
    /// sel.recv(&rx);
    /// // A rendezvous channel with nobody waiting on the other side: nothing is ready.
    /// assert!(sel.try_select().is_err());
    /// ```
    pub fn try_select(&mut self) -> Result<SelectedOperation<'_, 'a>, TrySelectError> {
        self.run(Timeout::Now).ok_or(TrySelectError)
    }

    /// Waits until one operation can complete.
    ///
    /// # Panics
    /// If no operations have been added (as in crossbeam; `select! {}` waits for ever).
    ///
    /// ```
    /// use gpm_chan::{unbounded, Select};
    ///
    /// let (tx, rx) = unbounded();
    /// let (_quit_tx, quit) = unbounded::<()>();
    /// let t = std::thread::spawn(move || tx.send(5).unwrap());
    /// let mut sel = Select::new();
    /// let data = sel.recv(&rx);
    /// let stop = sel.recv(&quit);
    /// let op = sel.select(); // blocks until one of them is ready
    /// match op.index() {
    ///     i if i == data => assert_eq!(op.recv(&rx), Ok(5)),
    ///     i if i == stop => unreachable!(),
    ///     _ => unreachable!(),
    /// }
    /// t.join().unwrap();
    /// ```
    pub fn select(&mut self) -> SelectedOperation<'_, 'a> {
        assert!(
            !self.arms.is_empty(),
            "gpm: no operations have been added to `Select`"
        );
        self.run(Timeout::Never)
            .expect("gpm: a select without timeout always completes")
    }

    /// Like [`Select::select`], giving up after `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use gpm_chan::{unbounded, Select};
    ///
    /// let (tx, rx) = unbounded::<i32>();
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// assert!(sel.select_timeout(Duration::from_millis(1)).is_err());
    /// tx.send(1).unwrap();
    /// let op = sel.select_timeout(Duration::from_millis(1)).unwrap();
    /// assert_eq!(op.recv(&rx), Ok(1));
    /// ```
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
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use gpm_chan::{unbounded, Select};
    ///
    /// let (_tx, rx) = unbounded::<i32>();
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// let deadline = Instant::now() + Duration::from_millis(1);
    /// assert!(sel.select_deadline(deadline).is_err());
    /// assert!(Instant::now() >= deadline);
    /// ```
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
    ///
    /// ```
    /// use gpm_chan::{unbounded, Select};
    ///
    /// let (t1, r1) = unbounded::<i32>();
    /// let (_t2, r2) = unbounded::<i32>();
    /// t1.send(1).unwrap();
    /// let mut sel = Select::new();
    /// let _i2 = sel.recv(&r2);
    /// let i1 = sel.recv(&r1);
    /// let op = sel.select();
    /// assert_eq!(op.index(), i1); // the index `Select::recv` returned for `r1`
    /// op.recv(&r1).unwrap();
    /// ```
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
    ///
    /// ```
    /// use gpm_chan::{unbounded, Select};
    ///
    /// let (tx, rx) = unbounded();
    /// let mut sel = Select::new();
    /// sel.send(&tx);
    /// drop(rx);
    /// // A send to a channel whose receivers are gone is "ready": it fails at once.
    /// let op = sel.select();
    /// assert_eq!(op.send(&tx, 1).unwrap_err().into_inner(), 1);
    /// ```
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
    ///
    /// ```
    /// use gpm_chan::{unbounded, RecvError, Select};
    ///
    /// let (tx, rx) = unbounded::<i32>();
    /// drop(tx);
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// // A receive on a closed, empty channel is "ready": it fails at once.
    /// let op = sel.select();
    /// assert_eq!(op.recv(&rx), Err(RecvError));
    /// ```
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
