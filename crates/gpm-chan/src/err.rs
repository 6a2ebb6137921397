//! The errors of channel operations: the same types, variants and messages as
//! crossbeam-channel's, so code moves between the two unchanged. Errors of a failed send
//! give the message back.

use std::error;
use std::fmt;

/// A `send` failed because every receiver is gone. The message is returned.
///
/// ```
/// let (tx, rx) = gpm_chan::unbounded();
/// drop(rx);
/// let err = tx.send(String::from("lost?")).unwrap_err();
/// assert_eq!(err.to_string(), "sending on a disconnected channel");
/// assert_eq!(err.0, "lost?"); // not lost: the message comes back
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

/// A `try_send` failed.
///
/// ```
/// use gpm_chan::{bounded, TrySendError};
///
/// let (tx, rx) = bounded(0);
/// match tx.try_send(1) {
///     Err(TrySendError::Full(msg)) => assert_eq!(msg, 1), // no receiver waiting
///     other => panic!("{other:?}"),
/// }
/// drop(rx);
/// assert!(matches!(tx.try_send(2), Err(TrySendError::Disconnected(2))));
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// The channel is full (a rendezvous channel: no receiver is waiting).
    Full(T),
    /// Every receiver is gone.
    Disconnected(T),
}

/// A `send_timeout` or `send_deadline` failed.
///
/// ```
/// use std::time::Duration;
/// use gpm_chan::{bounded, SendTimeoutError};
///
/// let (tx, rx) = bounded(0);
/// let r = tx.send_timeout('x', Duration::from_millis(1));
/// assert_eq!(r, Err(SendTimeoutError::Timeout('x')));
/// drop(rx);
/// let r = tx.send_timeout('y', Duration::from_millis(1));
/// assert_eq!(r, Err(SendTimeoutError::Disconnected('y')));
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum SendTimeoutError<T> {
    /// The deadline passed first.
    Timeout(T),
    /// Every receiver is gone.
    Disconnected(T),
}

/// A `recv` failed: the channel is empty and every sender is gone.
///
/// ```
/// let (tx, rx) = gpm_chan::unbounded::<i32>();
/// drop(tx); // Go's close(ch)
/// assert_eq!(rx.recv(), Err(gpm_chan::RecvError));
/// assert_eq!(
///     gpm_chan::RecvError.to_string(),
///     "receiving on an empty and disconnected channel"
/// );
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct RecvError;

/// A `try_recv` failed.
///
/// ```
/// use gpm_chan::{unbounded, TryRecvError};
///
/// let (tx, rx) = unbounded::<i32>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum TryRecvError {
    /// Nothing to receive right now.
    Empty,
    /// Empty, and every sender is gone.
    Disconnected,
}

/// A `recv_timeout` or `recv_deadline` failed.
///
/// ```
/// use std::time::Duration;
/// use gpm_chan::{unbounded, RecvTimeoutError};
///
/// let (tx, rx) = unbounded::<i32>();
/// assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
/// drop(tx);
/// assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Disconnected));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum RecvTimeoutError {
    /// The deadline passed first.
    Timeout,
    /// Empty, and every sender is gone.
    Disconnected,
}

/// `Select::try_select` found no operation ready.
///
/// ```
/// let (_tx, rx) = gpm_chan::unbounded::<i32>();
/// let mut sel = gpm_chan::Select::new();
/// sel.recv(&rx);
/// assert!(matches!(sel.try_select(), Err(gpm_chan::TrySelectError)));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct TrySelectError;

/// `Select::select_timeout` or `select_deadline` found no operation ready in time.
///
/// ```
/// use std::time::Duration;
///
/// let (_tx, rx) = gpm_chan::unbounded::<i32>();
/// let mut sel = gpm_chan::Select::new();
/// sel.recv(&rx);
/// let r = sel.select_timeout(Duration::from_millis(1));
/// assert!(matches!(r, Err(gpm_chan::SelectTimeoutError)));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct SelectTimeoutError;

macro_rules! opaque_debug {
    ($($t:ident),*) => {$(
        impl<T> fmt::Debug for $t<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    )*};
}
opaque_debug!(SendError, TrySendError, SendTimeoutError);

impl<T> SendError<T> {
    /// The message that could not be sent.
    ///
    /// ```
    /// let (tx, _) = gpm_chan::unbounded();
    /// let err = tx.send(vec![1, 2]).unwrap_err();
    /// assert_eq!(err.into_inner(), [1, 2]);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
    fn name(&self) -> &'static str {
        "SendError(..)"
    }
}

impl<T> TrySendError<T> {
    /// The message that could not be sent.
    ///
    /// ```
    /// let (tx, _rx) = gpm_chan::bounded(0);
    /// let err = tx.try_send(vec![1, 2]).unwrap_err(); // nobody is receiving
    /// assert_eq!(err.into_inner(), [1, 2]);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(m) | TrySendError::Disconnected(m) => m,
        }
    }
    /// True if the channel was full.
    ///
    /// ```
    /// let (tx, rx) = gpm_chan::bounded(0);
    /// assert!(tx.try_send(1).unwrap_err().is_full());
    /// drop(rx);
    /// assert!(!tx.try_send(1).unwrap_err().is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }
    /// True if every receiver was gone.
    ///
    /// ```
    /// let (tx, rx) = gpm_chan::bounded(0);
    /// assert!(!tx.try_send(1).unwrap_err().is_disconnected());
    /// drop(rx);
    /// assert!(tx.try_send(1).unwrap_err().is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, TrySendError::Disconnected(_))
    }
    fn name(&self) -> &'static str {
        match self {
            TrySendError::Full(_) => "Full(..)",
            TrySendError::Disconnected(_) => "Disconnected(..)",
        }
    }
}

impl<T> SendTimeoutError<T> {
    /// The message that could not be sent.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (tx, _rx) = gpm_chan::bounded(0);
    /// let err = tx.send_timeout("msg", Duration::from_millis(1)).unwrap_err();
    /// assert_eq!(err.into_inner(), "msg");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(m) | SendTimeoutError::Disconnected(m) => m,
        }
    }
    /// True if the deadline passed.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (tx, rx) = gpm_chan::bounded(0);
    /// assert!(tx.send_timeout(1, Duration::from_millis(1)).unwrap_err().is_timeout());
    /// drop(rx);
    /// assert!(!tx.send_timeout(1, Duration::from_millis(1)).unwrap_err().is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, SendTimeoutError::Timeout(_))
    }
    /// True if every receiver was gone.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (tx, rx) = gpm_chan::bounded(0);
    /// drop(rx);
    /// assert!(tx.send_timeout(1, Duration::from_secs(60)).unwrap_err().is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, SendTimeoutError::Disconnected(_))
    }
    fn name(&self) -> &'static str {
        match self {
            SendTimeoutError::Timeout(_) | SendTimeoutError::Disconnected(_) => {
                "SendTimeoutError(..)"
            }
        }
    }
}

impl TryRecvError {
    /// True if the channel was empty.
    ///
    /// ```
    /// let (tx, rx) = gpm_chan::unbounded::<i32>();
    /// assert!(rx.try_recv().unwrap_err().is_empty());
    /// drop(tx);
    /// assert!(!rx.try_recv().unwrap_err().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self, TryRecvError::Empty)
    }
    /// True if the channel was empty and every sender gone.
    ///
    /// ```
    /// let (tx, rx) = gpm_chan::unbounded::<i32>();
    /// assert!(!rx.try_recv().unwrap_err().is_disconnected());
    /// drop(tx);
    /// assert!(rx.try_recv().unwrap_err().is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, TryRecvError::Disconnected)
    }
}

impl RecvTimeoutError {
    /// True if the deadline passed.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (tx, rx) = gpm_chan::unbounded::<i32>();
    /// assert!(rx.recv_timeout(Duration::from_millis(1)).unwrap_err().is_timeout());
    /// drop(tx);
    /// assert!(!rx.recv_timeout(Duration::from_millis(1)).unwrap_err().is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, RecvTimeoutError::Timeout)
    }
    /// True if the channel was empty and every sender gone.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (tx, rx) = gpm_chan::unbounded::<i32>();
    /// drop(tx);
    /// assert!(rx.recv_timeout(Duration::from_secs(60)).unwrap_err().is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, RecvTimeoutError::Disconnected)
    }
}

macro_rules! display {
    ($t:ty, $self:ident => $msg:expr) => {
        impl<T> fmt::Display for $t {
            fn fmt(&$self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($msg)
            }
        }
        impl<T: Send> error::Error for $t {}
    };
    (plain $t:ty, $self:ident => $msg:expr) => {
        impl fmt::Display for $t {
            fn fmt(&$self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($msg)
            }
        }
        impl error::Error for $t {}
    };
}

display!(SendError<T>, self => "sending on a disconnected channel");
display!(TrySendError<T>, self => match self {
    TrySendError::Full(_) => "sending on a full channel",
    TrySendError::Disconnected(_) => "sending on a disconnected channel",
});
display!(SendTimeoutError<T>, self => match self {
    SendTimeoutError::Timeout(_) => "timed out waiting on send operation",
    SendTimeoutError::Disconnected(_) => "sending on a disconnected channel",
});
display!(plain RecvError, self => "receiving on an empty and disconnected channel");
display!(plain TryRecvError, self => match self {
    TryRecvError::Empty => "receiving on an empty channel",
    TryRecvError::Disconnected => "receiving on an empty and disconnected channel",
});
display!(plain RecvTimeoutError, self => match self {
    RecvTimeoutError::Timeout => "timed out waiting on receive operation",
    RecvTimeoutError::Disconnected => "channel is empty and disconnected",
});
display!(plain TrySelectError, self => "all operations in select would block");
display!(plain SelectTimeoutError, self => "timed out waiting on select");

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(e: SendError<T>) -> Self {
        TrySendError::Disconnected(e.0)
    }
}

impl<T> From<SendError<T>> for SendTimeoutError<T> {
    fn from(e: SendError<T>) -> Self {
        SendTimeoutError::Disconnected(e.0)
    }
}

impl From<RecvError> for TryRecvError {
    fn from(_: RecvError) -> Self {
        TryRecvError::Disconnected
    }
}

impl From<RecvError> for RecvTimeoutError {
    fn from(_: RecvError) -> Self {
        RecvTimeoutError::Disconnected
    }
}
