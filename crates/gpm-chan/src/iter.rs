//! Iterating over a [`Receiver`]: `for msg in &rx` receives until the channel is
//! disconnected and empty, like Go's `for v := range ch`.

use std::iter::FusedIterator;

use crate::chan::Receiver;

/// A blocking iterator over messages, from [`Receiver::iter`] or `&Receiver`.
#[derive(Debug)]
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

/// A non-blocking iterator over the messages there now, from [`Receiver::try_iter`].
#[derive(Debug)]
pub struct TryIter<'a, T> {
    rx: &'a Receiver<T>,
}

/// A blocking iterator that owns its receiver, from `Receiver::into_iter`.
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
