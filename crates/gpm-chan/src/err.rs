//! The errors of channel operations: the same types, variants and messages as
//! crossbeam-channel's, so code moves between the two unchanged. Errors of a failed send
//! give the message back.

use std::error;
use std::fmt;

/// A `send` failed because every receiver is gone. The message is returned.
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

/// A `try_send` failed.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// The channel is full (a rendezvous channel: no receiver is waiting).
    Full(T),
    /// Every receiver is gone.
    Disconnected(T),
}

/// A `send_timeout` or `send_deadline` failed.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum SendTimeoutError<T> {
    /// The deadline passed first.
    Timeout(T),
    /// Every receiver is gone.
    Disconnected(T),
}

/// A `recv` failed: the channel is empty and every sender is gone.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct RecvError;

/// A `try_recv` failed.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum TryRecvError {
    /// Nothing to receive right now.
    Empty,
    /// Empty, and every sender is gone.
    Disconnected,
}

/// A `recv_timeout` or `recv_deadline` failed.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum RecvTimeoutError {
    /// The deadline passed first.
    Timeout,
    /// Empty, and every sender is gone.
    Disconnected,
}

/// `Select::try_select` found no operation ready.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct TrySelectError;

/// `Select::select_timeout` or `select_deadline` found no operation ready in time.
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
    pub fn into_inner(self) -> T {
        self.0
    }
    fn name(&self) -> &'static str {
        "SendError(..)"
    }
}

impl<T> TrySendError<T> {
    /// The message that could not be sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(m) | TrySendError::Disconnected(m) => m,
        }
    }
    /// True if the channel was full.
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }
    /// True if every receiver was gone.
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
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(m) | SendTimeoutError::Disconnected(m) => m,
        }
    }
    /// True if the deadline passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, SendTimeoutError::Timeout(_))
    }
    /// True if every receiver was gone.
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
    pub fn is_empty(&self) -> bool {
        matches!(self, TryRecvError::Empty)
    }
    /// True if the channel was empty and every sender gone.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, TryRecvError::Disconnected)
    }
}

impl RecvTimeoutError {
    /// True if the deadline passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, RecvTimeoutError::Timeout)
    }
    /// True if the channel was empty and every sender gone.
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
