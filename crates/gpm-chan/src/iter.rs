//! Iterating over a [`Receiver`]: `for msg in &rx` receives until the channel is
//! disconnected and empty, like Go's `for v := range ch`.

use std::iter::FusedIterator;

use crate::chan::Receiver;

/// A blocking iterator over messages, from [`Receiver::iter`] or `&Receiver`.
///
/// ```
/// let (tx, rx) = gpm_chan::unbounded();
/// let t = std::thread::spawn(move || (0..4).for_each(|i| tx.send(i).unwrap()));
/// let mut seen = Vec::new();
/// for v in &rx {
///     // `&rx` iterates like `rx.iter()`: blocks for each message, ends at the close
///     seen.push(v);
/// }
/// assert_eq!(seen, [0, 1, 2, 3]);
/// t.join().unwrap();
/// ```
#[derive(Debug)]
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

/// A non-blocking iterator over the messages there now, from [`Receiver::try_iter`].
///
/// ```
/// let (tx, rx) = gpm_chan::unbounded();
/// tx.send(1).unwrap();
/// let it: gpm_chan::TryIter<'_, i32> = rx.try_iter();
/// assert_eq!(it.collect::<Vec<_>>(), [1]); // stops at the first empty look
/// ```
#[derive(Debug)]
pub struct TryIter<'a, T> {
    rx: &'a Receiver<T>,
}

/// A blocking iterator that owns its receiver, from `Receiver::into_iter`.
///
/// ```
/// let (tx, rx) = gpm_chan::bounded(0);
/// let t = std::thread::spawn(move || {
///     let mut it: gpm_chan::IntoIter<u32> = rx.into_iter(); // owns the receiver
///     let first = it.next();
///     (first, it.count())
/// });
/// for i in 0..5 {
///     tx.send(i).unwrap();
/// }
/// drop(tx);
/// assert_eq!(t.join().unwrap(), (Some(0), 4));
/// ```
#[derive(Debug)]
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<'a, T> Iter<'a, T> {
    pub(crate) fn new(rx: &'a Receiver<T>) -> Self {
        Iter { rx }
    }
}

impl<'a, T> TryIter<'a, T> {
    pub(crate) fn new(rx: &'a Receiver<T>) -> Self {
        TryIter { rx }
    }
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<T> FusedIterator for Iter<'_, T> {}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<T> FusedIterator for IntoIter<T> {}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}
