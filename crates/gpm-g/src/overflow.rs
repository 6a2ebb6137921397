//! Stack overflow reporting for goroutines.
//!
//! std turns a hit on a thread's guard page into `thread '<name>' has overflowed its stack`
//! and an abort. gpm does the same for goroutines: a hit on the guard page of the goroutine
//! running on the faulting thread prints
//!
//! ```text
//! goroutine <id> (<name>) has overflowed its stack
//! fatal runtime error: stack overflow, aborting
//! ```
//!
//! (`<unnamed>` when the goroutine has no name) to stderr and aborts the process, instead of
//! a bare `SIGSEGV` or, worse, silent corruption of whatever lies below the stack.
//!
//! # How
//!
//! * [`install`] (once per process) installs a `SIGSEGV` and `SIGBUS` handler with
//!   `SA_SIGINFO | SA_ONSTACK`, remembering the handlers that were there before (std installs
//!   its own for thread stack overflows).
//! * The handler must run on an alternate signal stack, because the stack that overflowed has
//!   no room left. std gives its own threads one; [`ensure_altstack`] gives the calling thread
//!   one if it has none. Worker threads call it when they start.
//! * The scheduler tells the handler which goroutine runs on the thread with
//!   [`set_running`]: one thread-local store per context switch (null when none runs).
//! * The handler compares the fault address with the running goroutine's guard page
//!   (recorded by [`Running::set_stack`]). On a match it writes the message with
//!   `write(2)` (async-signal-safe: no allocation, no locks, the id formatted by hand into a
//!   buffer on the signal stack) and calls `abort()`. Otherwise it hands the signal to the
//!   previous handler: a previous `SIG_DFL` or `SIG_IGN` is restored as `SIG_DFL` and the
//!   handler returns, so the faulting instruction runs again and kills the process the default
//!   way (core dump, `SIGSEGV` exit status); a previous handler function is called, as an
//!   `sa_sigaction` if it was installed with `SA_SIGINFO`, as a plain `sa_handler` otherwise.
//! * Stacks without a guard page (canary stacks, see [`crate::stack`]) are checked by the
//!   scheduler at every switch out; it calls [`report_overflow`] when the canary is broken.

use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Once, OnceLock};

use crate::stack::{self, Stack};

/// What the signal handler needs to know about the goroutine running on this thread: its
/// id, its name and where its stack's guard page (or canary word) is.
///
/// The G record holds its goroutine's id and name here, once, and the scheduler passes a
/// pointer to it to [`set_running`] when it switches the goroutine in. The id and the name
/// change only through `&mut` (a record being reused); the stack is recorded, with one
/// relaxed store, when the goroutine first runs. `repr(C)` keeps the stack word, which every
/// switch out reads, first.
#[repr(C)]
#[derive(Debug)]
pub struct Running {
    /// The stack, as one word: 0 before the goroutine has one; the lowest address of its
    /// guard page (`Stack::guard_range().0`, page-aligned) for a stack with one; the address
    /// of its canary word with [`CANARY_TAG`] set for a stack without (an aligned word, so
    /// bit 0 is free).
    stack: AtomicUsize,
    id: u64,
    name: Option<Box<str>>,
}

/// Bit 0 of [`Running::stack`]: set when it holds a canary word's address.
const CANARY_TAG: usize = 1;

impl Running {
    /// The record of goroutine `id` named `name`, which has no stack yet.
    pub fn new(id: u64, name: Option<Box<str>>) -> Running {
        Running {
            stack: AtomicUsize::new(0),
            id,
            name,
        }
    }

    /// Records the stack the goroutine runs on: its guard page, or its canary word.
    pub fn set_stack(&self, stack: &Stack) {
        let word = match (stack.guard_range(), stack.canary_addr()) {
            (Some((lo, _)), _) => lo,
            (None, Some(canary)) => canary | CANARY_TAG,
            (None, None) => 0,
        };
        self.stack.store(word, Ordering::Relaxed);
    }

    /// The goroutine's id.
    #[inline]
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The goroutine's name, if it has one.
    #[inline]
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The address of the canary word of the goroutine's stack, if it has a stack without a
    /// guard page.
    #[inline]
    pub fn canary(&self) -> Option<usize> {
        let word = self.stack.load(Ordering::Relaxed);
        (word & CANARY_TAG != 0).then_some(word & !CANARY_TAG)
    }

    /// Whether `addr` lies in the guard page of the goroutine's stack. Async-signal-safe:
    /// two loads (the page size was read when the stack was made).
    fn guards(&self, addr: usize) -> bool {
        let lo = self.stack.load(Ordering::Relaxed);
        lo != 0 && lo & CANARY_TAG == 0 && lo <= addr && addr - lo < stack::known_page_size()
    }
}

thread_local! {
    /// The goroutine running on this thread, or null.
    ///
    /// Read from the signal handler. A `thread_local!` with a `const` initializer and a type
    /// without `Drop` needs no lazy initialization and no destructor registration, so on
    /// Linux an access is a plain `%fs`-relative load or store (initial-exec TLS when gpm is
    /// linked into an executable, as Rust code is by default; a `dlopen`ed cdylib would go
    /// through `__tls_get_addr`, which is fine in practice too once the thread has touched
    /// its TLS block, as every worker does by calling `set_running`). That makes it fine to
    /// read in a signal handler on stable Rust, without `#[thread_local]`. An `AtomicPtr`
    /// (relaxed) instead of a `Cell` costs nothing more (a plain `mov` on x86-64) and makes the
    /// handler's read formally race-free against the interrupted thread's store.
    static RUNNING: AtomicPtr<Running> = const { AtomicPtr::new(ptr::null_mut()) };
}

/// Tells the overflow handler which goroutine now runs on this thread (null: none). Called on
/// every context switch, in and out; one thread-local store.
///
/// `r` must stay valid (and its fields unchanged) until the next `set_running` on this thread.
#[inline]
pub fn set_running(r: *const Running) {
    RUNNING.with(|c| c.store(r.cast_mut(), Ordering::Relaxed));
}

/// What [`set_running`] last recorded on this thread (null if nothing runs).
#[inline]
pub fn running() -> *const Running {
    RUNNING.with(|c| c.load(Ordering::Relaxed))
}

/// The signals the handler takes: stack overflow shows up as `SIGSEGV` on Linux, but std
/// handles `SIGBUS` too (other platforms), and so do we.
const SIGNALS: [libc::c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];

/// The actions that were installed before ours, in the order of [`SIGNALS`].
static PREVIOUS: OnceLock<[libc::sigaction; 2]> = OnceLock::new();

/// Installs the goroutine stack overflow handler for `SIGSEGV` and `SIGBUS`, process-wide.
/// Idempotent: only the first call does anything. Also calls [`ensure_altstack`] for the
/// calling thread (every call).
///
/// Call it before the first goroutine runs. Handlers installed later by someone else replace
/// ours (unless they chain to it).
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: an all-zero `sigaction` is a valid value (SIG_DFL, empty mask, no flags).
        let mut prev: [libc::sigaction; 2] = unsafe { std::mem::zeroed() };
        for (sig, prev) in SIGNALS.iter().zip(prev.iter_mut()) {
            // SAFETY: queries the current action into a valid out-pointer.
            let rc = unsafe { libc::sigaction(*sig, ptr::null(), prev) };
            assert_eq!(rc, 0, "sigaction({sig}) query failed");
        }
        // Saved before our handler goes in, so the handler always finds them.
        let _ = PREVIOUS.set(prev);
        for sig in SIGNALS {
            // SAFETY: as above, all-zero is a valid `sigaction`.
            let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
            action.sa_sigaction = handler as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            // SAFETY: `sa_mask` is a valid sigset_t to initialize; `handler` has the
            // `SA_SIGINFO` signature and only does async-signal-safe things.
            let rc = unsafe {
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(sig, &action, ptr::null_mut())
            };
            assert_eq!(rc, 0, "sigaction({sig}) failed");
        }
    });
    ensure_altstack();
}

/// The `SIGSEGV`/`SIGBUS` handler.
extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    if !info.is_null() {
        // SAFETY: with SA_SIGINFO the kernel passes a valid siginfo_t; `si_addr` is the
        // fault address for the kernel-generated (si_code > 0) SIGSEGV/SIGBUS we look at.
        let (code, addr) = unsafe { ((*info).si_code, (*info).si_addr() as usize) };
        let running = RUNNING.with(|c| c.load(Ordering::Relaxed));
        // si_code <= 0: sent by kill/tgkill/sigqueue, si_addr means nothing.
        if code > 0 && !running.is_null() {
            // SAFETY: `set_running` requires the pointer to stay valid until it is replaced,
            // and only this thread replaces it (not while this handler runs on it). The id
            // and name are not changed while the goroutine may run (that takes `&mut`).
            let r = unsafe { &*running };
            if r.guards(addr) {
                write_message(r.id, r.name.as_deref().map(str::as_bytes));
                // SAFETY: abort is async-signal-safe.
                unsafe { libc::abort() };
            }
        }
    }
    chain(sig, info, ctx);
}

/// Hands a fault that is not a goroutine stack overflow to whatever handled `sig` before us.
fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let idx = if sig == libc::SIGBUS { 1 } else { 0 };
    let Some(prev) = PREVIOUS.get().map(|p| p[idx]) else {
        reset_default(sig);
        return;
    };
    let h = prev.sa_sigaction;
    if h == libc::SIG_DFL || h == libc::SIG_IGN {
        // A synchronous fault cannot be ignored: with SIG_DFL back in place, returning runs
        // the faulting instruction again and the kernel kills the process the default way.
        reset_default(sig);
        return;
    }
    if prev.sa_flags & libc::SA_RESETHAND != 0 {
        reset_default(sig);
    }
    if prev.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: a handler installed with SA_SIGINFO has this signature; we pass it the
        // kernel's own arguments.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute::<libc::sighandler_t, _>(h) };
        f(sig, info, ctx);
    } else {
        // SAFETY: a handler installed without SA_SIGINFO is a plain `void (*)(int)`.
        let f: extern "C" fn(libc::c_int) =
            unsafe { std::mem::transmute::<libc::sighandler_t, _>(h) };
        f(sig);
    }
}

/// Puts `SIG_DFL` back for `sig` (async-signal-safe).
fn reset_default(sig: libc::c_int) {
    // SAFETY: all-zero is a valid `sigaction` whose handler is SIG_DFL; sigaction is
    // async-signal-safe.
    unsafe {
        let action: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, &action, ptr::null_mut());
    }
}

/// Prints `goroutine <id> (<name>) has overflowed its stack` (and std's `fatal runtime
/// error` line) to stderr and aborts. For the scheduler when it finds a broken canary; the
/// signal handler prints the same for guard page hits.
pub fn report_overflow(id: u64, name: Option<&str>) -> ! {
    write_message(id, name.map(str::as_bytes));
    std::process::abort()
}

/// Writes the overflow message with `write(2)` only: no allocation, no locks.
fn write_message(id: u64, name: Option<&[u8]>) {
    let mut out = Out {
        buf: [0; 256],
        len: 0,
    };
    let mut digits = [0u8; 20];
    out.push(b"goroutine ");
    out.push(format_u64(id, &mut digits));
    out.push(b" (");
    out.push(name.unwrap_or(b"<unnamed>"));
    out.push(b") has overflowed its stack\nfatal runtime error: stack overflow, aborting\n");
    out.flush();
}

/// Formats `n` in decimal into the end of `buf`.
fn format_u64(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// A small buffer on the (signal) stack so that the message normally leaves in one
/// `write(2)` and does not interleave with other threads' output.
struct Out {
    buf: [u8; 256],
    len: usize,
}

impl Out {
    fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.len == self.buf.len() {
                self.flush();
            }
            let n = bytes.len().min(self.buf.len() - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
            self.len += n;
            bytes = &bytes[n..];
        }
    }

    fn flush(&mut self) {
        let mut rest = &self.buf[..self.len];
        while !rest.is_empty() {
            // SAFETY: writes initialized bytes from a live buffer; write is
            // async-signal-safe.
            let n = unsafe { libc::write(libc::STDERR_FILENO, rest.as_ptr().cast(), rest.len()) };
            if n > 0 {
                rest = &rest[n as usize..];
            } else if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            } else {
                break;
            }
        }
        self.len = 0;
    }
}

/// Gives the calling thread an alternate signal stack if it has none, so that the overflow
/// handler can run when the goroutine's stack is full. std's threads (and the main thread of
/// a Rust program) already have one; threads made by other means (or after std chose not to
/// install its handler) may not. Call it at the start of every worker thread; cheap when one
/// is already there (one `sigaltstack` query).
///
/// The alternate stack (64 KiB, or more if the platform's `SIGSTKSZ` / `AT_MINSIGSTKSZ` ask for
/// it, plus a guard page) is freed when the thread exits, by a thread-local destructor that
/// first disables it (if it is still the thread's alternate stack). If the thread's
/// thread-locals are already being torn down when this is called, the stack is leaked.
pub fn ensure_altstack() {
    // SAFETY: all-zero is a valid `stack_t`.
    let mut cur: libc::stack_t = unsafe { std::mem::zeroed() };
    // SAFETY: queries the current alternate stack into a valid out-pointer.
    if unsafe { libc::sigaltstack(ptr::null(), &mut cur) } != 0
        || cur.ss_flags & libc::SS_DISABLE == 0
    {
        return;
    }
    // SAFETY: sysconf and getauxval have no preconditions.
    let (page, min) = unsafe {
        (
            libc::sysconf(libc::_SC_PAGESIZE).max(4096) as usize,
            libc::getauxval(libc::AT_MINSIGSTKSZ) as usize,
        )
    };
    let size = libc::SIGSTKSZ
        .max(min)
        .max(64 * 1024)
        .next_multiple_of(page);
    let len = size + page;
    // SAFETY: a fresh anonymous mapping, used only as this thread's signal stack.
    let map = unsafe {
        libc::mmap(
            ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
            -1,
            0,
        )
    };
    if map == libc::MAP_FAILED {
        return;
    }
    // A guard page below the signal stack: MADV_GUARD_INSTALL if the kernel has it, else
    // mprotect (one extra VMA per thread, which is affordable). Best effort.
    if !crate::stack::madv_guard_supported()
        // SAFETY: the first page of our own fresh mapping.
        || unsafe { libc::madvise(map, page, crate::stack::MADV_GUARD_INSTALL) } != 0
    {
        // SAFETY: the first page of our own fresh mapping.
        unsafe { libc::mprotect(map, page, libc::PROT_NONE) };
    }
    let new = libc::stack_t {
        // SAFETY: `page` is inside the mapping of `len = size + page` bytes.
        ss_sp: unsafe { map.cast::<u8>().add(page) }.cast(),
        ss_flags: 0,
        ss_size: size,
    };
    // SAFETY: `new` describes a live mapping of `size` bytes that stays mapped until this
    // thread's destructor disables it again.
    if unsafe { libc::sigaltstack(&new, ptr::null_mut()) } != 0 {
        // SAFETY: our mapping, not installed anywhere.
        unsafe { libc::munmap(map, len) };
        return;
    }
    let registered = ALTSTACK.try_with(|a| {
        let (old, old_len) = (a.map.replace(map.cast()), a.len.replace(len));
        a.sp.set(new.ss_sp.cast());
        if !old.is_null() {
            // SAFETY: an earlier stack of ours that someone disabled (we found SS_DISABLE
            // above), so it is no longer in use and nothing else refers to it.
            unsafe { libc::munmap(old.cast(), old_len) };
        }
    });
    // On failure (thread-locals already destroyed) the stack stays installed and is leaked.
    let _ = registered;
}

thread_local! {
    /// The alternate signal stack `ensure_altstack` made for this thread, freed at exit.
    static ALTSTACK: AltStack = const {
        AltStack {
            map: Cell::new(ptr::null_mut()),
            len: Cell::new(0),
            sp: Cell::new(ptr::null_mut()),
        }
    };
}

struct AltStack {
    /// The whole mapping (guard page first), null if none.
    map: Cell<*mut u8>,
    len: Cell<usize>,
    /// `ss_sp` as installed.
    sp: Cell<*mut u8>,
}

impl Drop for AltStack {
    fn drop(&mut self) {
        let map = self.map.get();
        if map.is_null() {
            return;
        }
        // SAFETY: all-zero is a valid `stack_t`.
        let mut cur: libc::stack_t = unsafe { std::mem::zeroed() };
        // SAFETY: queries the current alternate stack into a valid out-pointer.
        if unsafe { libc::sigaltstack(ptr::null(), &mut cur) } != 0
            || cur.ss_flags & libc::SS_ONSTACK != 0
        {
            return; // cannot tell, or running on it: leak it
        }
        if cur.ss_flags & libc::SS_DISABLE == 0 && cur.ss_sp.cast::<u8>() == self.sp.get() {
            let off = libc::stack_t {
                ss_sp: ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: 0,
            };
            // SAFETY: disabling the alternate stack has no memory preconditions.
            if unsafe { libc::sigaltstack(&off, ptr::null_mut()) } != 0 {
                return;
            }
        }
        // SAFETY: the mapping is ours and no longer this thread's alternate stack; nothing
        // else refers to it.
        unsafe { libc::munmap(map.cast(), self.len.get()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::Guard;

    /// The one stack word says where a stack's guard page is, or its canary word, and never
    /// both.
    #[test]
    fn the_stack_word_tells_guard_pages_from_canaries() {
        let r = Running::new(7, Some("seven".into()));
        assert_eq!((r.id(), r.name()), (7, Some("seven")));
        assert_eq!(r.canary(), None, "no stack yet");
        assert!(!r.guards(0) && !r.guards(usize::MAX));

        let canaried = Stack::with_guard(16 * 1024, Guard::Canary).unwrap();
        r.set_stack(&canaried);
        assert_eq!(r.canary(), canaried.canary_addr());
        assert!(r.canary().is_some());
        let at = r.canary().unwrap();
        assert!(
            [at - 1, at, at + 1, at + 8].iter().all(|&a| !r.guards(a)),
            "a canary stack has no guard page"
        );

        let guarded = Stack::with_guard(16 * 1024, Guard::Mprotect).unwrap();
        let (lo, hi) = guarded.guard_range().unwrap();
        r.set_stack(&guarded);
        assert_eq!(r.canary(), None);
        assert!(r.guards(lo) && r.guards(hi - 1));
        assert!(!r.guards(lo - 1) && !r.guards(hi));
    }
}
