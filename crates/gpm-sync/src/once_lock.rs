//! `OnceLock<T>`: a cell written once, through a [`Once`].

use std::fmt;
use std::mem::MaybeUninit;

use crate::once::Once;
use crate::sync::UnsafeCell;

/// A value initialised once (`std::sync::OnceLock`): racing initialisers are serialised
/// by a gpm [`Once`], so while one runs its closure the others wait (a goroutine parks, a
/// thread blocks) and then all see its value. No poisoning: if the initialiser panics the
/// cell stays empty and the next caller tries its own.
///
/// ```
/// static CONFIG: gpm_sync::OnceLock<String> = gpm_sync::OnceLock::new();
/// assert_eq!(CONFIG.get(), None);
/// assert_eq!(CONFIG.get_or_init(|| "ready".to_string()), "ready");
/// assert_eq!(CONFIG.set("again".to_string()), Err("again".to_string()));
/// ```
pub struct OnceLock<T> {
    once: Once,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the value is written once, by the one caller the `Once` lets run, before the
// `Once` completes (`Release`); it is read only after seeing it complete (`Acquire`). Any
// thread can write it (`T: Send`) and all share `&T` afterwards (`T: Sync`).
unsafe impl<T: Send + Sync> Sync for OnceLock<T> {}
// SAFETY: moving the cell moves the value (`T: Send`).
unsafe impl<T: Send> Send for OnceLock<T> {}

impl<T> OnceLock<T> {
    /// An empty cell.
    ///
    /// ```
    /// let cell: gpm_sync::OnceLock<u32> = gpm_sync::OnceLock::new();
    /// assert_eq!(cell.get(), None);
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> OnceLock<T> {
        OnceLock {
            once: Once::new(),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// An empty cell.
    #[cfg(loom)]
    pub fn new() -> OnceLock<T> {
        OnceLock {
            once: Once::new(),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// The value, if it has been set.
    ///
    /// ```
    /// let cell = gpm_sync::OnceLock::new();
    /// assert_eq!(cell.get(), None);
    /// cell.set(7).unwrap();
    /// assert_eq!(cell.get(), Some(&7));
    /// ```
    pub fn get(&self) -> Option<&T> {
        if self.once.is_completed() {
            // SAFETY: completed, so the value was written and is never written again.
            Some(self.value.with(|p| unsafe { (*p).assume_init_ref() }))
        } else {
            None
        }
    }

    /// The value, if it has been set, through an exclusive borrow.
    ///
    /// ```
    /// let mut cell = gpm_sync::OnceLock::from(1);
    /// *cell.get_mut().unwrap() += 1;
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        if self.once.is_completed() {
            // SAFETY: completed, so the value was written; `&mut self` is exclusive.
            Some(unsafe { self.value.get_mut().assume_init_mut() })
        } else {
            None
        }
    }

    /// Sets the value if the cell is empty; otherwise gives `value` back.
    ///
    /// ```
    /// let cell = gpm_sync::OnceLock::new();
    /// assert_eq!(cell.set("first"), Ok(()));
    /// assert_eq!(cell.set("second"), Err("second")); // already set: the value comes back
    /// assert_eq!(cell.get(), Some(&"first"));
    /// ```
    pub fn set(&self, value: T) -> Result<(), T> {
        let mut value = Some(value);
        self.get_or_init(|| value.take().expect("taken once"));
        match value {
            None => Ok(()),
            Some(v) => Err(v),
        }
    }

    /// The value, initialised with `f` if the cell is empty. If several callers race, one
    /// `f` runs and the others wait for its value.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let cell = Arc::new(gpm_sync::OnceLock::new());
    /// let hs: Vec<_> = (0..4)
    ///     .map(|i| {
    ///         let cell = cell.clone();
    ///         std::thread::spawn(move || *cell.get_or_init(|| i))
    ///     })
    ///     .collect();
    /// let seen: Vec<i32> = hs.into_iter().map(|h| h.join().unwrap()).collect();
    /// assert!(seen.iter().all(|&v| v == seen[0])); // one initialiser won; all see its value
    /// ```
    pub fn get_or_init(&self, f: impl FnOnce() -> T) -> &T {
        if let Some(v) = self.get() {
            return v;
        }
        self.once.call_once(|| {
            let v = f();
            // SAFETY: the `Once` runs one closure at a time and none after completion, and
            // nobody reads the value before completion.
            self.value.with_mut(|p| unsafe { (*p).write(v) });
        });
        self.get().expect("initialised by call_once")
    }

    /// Empties the cell, returning the value it held.
    ///
    /// ```
    /// let mut cell = gpm_sync::OnceLock::from(String::from("v"));
    /// assert_eq!(cell.take().as_deref(), Some("v"));
    /// assert_eq!(cell.get(), None); // empty again: it can be set anew
    /// cell.set(String::from("w")).unwrap();
    /// ```
    pub fn take(&mut self) -> Option<T> {
        if !self.once.is_completed() {
            return None;
        }
        let old = std::mem::take(self);
        old.into_inner()
    }

    /// Consumes the cell, returning the value it held.
    ///
    /// ```
    /// let cell = gpm_sync::OnceLock::new();
    /// cell.set(3).unwrap();
    /// assert_eq!(cell.into_inner(), Some(3));
    /// assert_eq!(gpm_sync::OnceLock::<i32>::new().into_inner(), None);
    /// ```
    pub fn into_inner(self) -> Option<T> {
        let done = self.once.is_completed();
        let me = std::mem::ManuallyDrop::new(self);
        // SAFETY: `me` is never used or dropped again; we move the value out once.
        let cell = unsafe { std::ptr::read(&me.value) };
        // SAFETY: as above, for the `Once` (it owns a lock and a list, freed here).
        drop(unsafe { std::ptr::read(&me.once) });
        // SAFETY: completed, so the value was written.
        done.then(|| unsafe { cell.into_inner().assume_init() })
    }
}

impl<T> Drop for OnceLock<T> {
    fn drop(&mut self) {
        if self.once.is_completed() {
            // SAFETY: completed, so the value was written; this is its only drop.
            unsafe { self.value.get_mut().assume_init_drop() };
        }
    }
}

impl<T> Default for OnceLock<T> {
    fn default() -> OnceLock<T> {
        OnceLock::new()
    }
}

impl<T> From<T> for OnceLock<T> {
    fn from(value: T) -> OnceLock<T> {
        let cell = OnceLock::new();
        let _ = cell.set(value);
        cell
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_tuple("OnceLock");
        match self.get() {
            Some(v) => d.field(v),
            None => d.field(&format_args!("<uninit>")),
        };
        d.finish()
    }
}
