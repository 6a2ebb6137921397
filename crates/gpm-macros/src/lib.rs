//! `#[gpm::main]` and `#[gpm::test]`: run a function's body as a goroutine of a fresh gpm
//! runtime, the way `#[tokio::main]` and `#[tokio::test]` run an `async` body on tokio.
//! Use them through the `gpm` crate, which re-exports both.
//!
//! ```
//! #[gpm::main(procs = 2)]
//! fn main() {
//!     let (tx, rx) = gpm::bounded(0);
//!     gpm::go!(move || tx.send(6 * 7).unwrap());
//!     assert_eq!(rx.recv().unwrap(), 42); // parks this goroutine, not the thread
//! }
//! ```
//!
//! becomes
//!
//! ```
//! fn main() {
//!     ::gpm::Runtime::builder()
//!         .procs(2)
//!         .build()
//!         .unwrap_or_else(|e| panic!("gpm::main: failed to build the runtime: {}", e))
//!         .block_on(move || {
//!             let (tx, rx) = gpm::bounded(0);
//!             gpm::go!(move || tx.send(6 * 7).unwrap());
//!             assert_eq!(rx.recv().unwrap(), 42);
//!         })
//! }
//! ```
//!
//! The body is a goroutine, so it may park (join, sleep, channels, sockets) without
//! holding up a thread, and a panic in it is resumed on the calling thread by `block_on`.
//! The runtime is dropped when the function returns, which unwinds any goroutine still
//! alive.
//!
//! # Options
//!
//! `procs = EXPR` and `stack_size = EXPR` call the [`RuntimeBuilder`] methods of the same
//! names with any expression of type `usize`; each may be given once. Left out, the
//! builder's defaults apply (`GPM_PROCS` or one P per CPU; 256 KiB stacks).
//!
//! # Return values
//!
//! `block_on` moves the body's value from the goroutine to the calling thread, so it must
//! be `Send`; the usual `fn main() -> Result<(), Box<dyn Error>>` is not. The macros
//! therefore treat a function returning anything but `()` specially: the body's value is
//! reported *inside the goroutine* with [`std::process::Termination::report`] (an `Err`
//! prints `Error: {err:?}` on stderr, as Rust's own `main` does), and only the resulting
//! [`std::process::ExitCode`] crosses threads, so the function's signature becomes
//! `-> ExitCode`. Any return type that `main` or `#[test]` accept works, `Send` or not; the
//! one thing lost is the value itself: code that calls the annotated function directly
//! gets an `ExitCode`, not the `Result`.
//!
//! # Errors
//!
//! An `async fn`, a `const fn`, a function with arguments or generics, an unknown or a
//! repeated option, and (for tests) a second `#[test]` are compile errors at the
//! offending tokens, for example
//! ``gpm::main: unknown option `foo`; expected `procs` or `stack_size` ``.
//!
//! [`RuntimeBuilder`]: https://docs.rs/gpm/latest/gpm/struct.RuntimeBuilder.html

// The expansion shown above is a `fn main` and nothing else, on purpose.
#![allow(clippy::needless_doctest_main)]

use proc_macro::TokenStream;
use quote::quote;
use syn::ItemFn;

mod check;
mod expand;
mod options;

/// For the unit tests: the messages of a rejected input, joined with ` | `.
#[cfg(test)]
fn messages<T>(r: syn::Result<T>) -> String {
    match r {
        Ok(_) => panic!("accepted"),
        Err(e) => e
            .into_iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join(" | "),
    }
}

/// Which attribute is expanding; its `Display` is the prefix of every error message.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Main => "gpm::main",
            Kind::Test => "gpm::test",
        })
    }
}

/// Runs the function's body as a goroutine of a new gpm runtime, blocking the thread
/// until it returns: `fn main() { body }` becomes
/// `fn main() { Runtime::builder().build().unwrap().block_on(move || body) }`.
///
/// Options: `procs = EXPR` (the number of Ps) and `stack_size = EXPR` (bytes per
/// goroutine stack). A body returning a value other than `()` (say
/// `Result<(), Box<dyn Error>>`) is reported inside the goroutine and the function
/// returns the resulting `std::process::ExitCode`; see the crate docs.
///
/// ```
/// #[gpm::main(procs = 2)]
/// fn main() {
///     let hs: Vec<_> = (0..100u64).map(|i| gpm::go!(move || i * 2)).collect();
///     let sum: u64 = hs.into_iter().map(|h| h.join().unwrap()).sum();
///     assert_eq!(sum, 9900);
///     assert_eq!(gpm::stats().ps.len(), 2);
/// }
/// ```
///
/// With `?`, and an error type that is not `Send`:
///
/// ```
/// use std::error::Error;
///
/// #[gpm::main(procs = 1, stack_size = 64 * 1024)]
/// fn main() -> Result<(), Box<dyn Error>> {
///     let n: u32 = "42".parse()?;
///     let doubled = gpm::go!(move || n * 2).join().map_err(|_| "the goroutine panicked")?;
///     assert_eq!(doubled, 84);
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    run(Kind::Main, args.into(), item.into()).into()
}

/// Makes the function a `#[test]` whose body runs as a goroutine of a fresh gpm runtime,
/// built for this test alone and dropped when it ends.
///
/// Other attributes (`#[should_panic]`, `#[ignore]`, ...) are kept, and a panic in the
/// body reaches the test harness, so `#[should_panic]` works. Options and return values
/// are as for [`macro@main`]; a test may return `Result<(), E>` for any `E: Debug`.
///
/// ```
/// #[gpm::test(procs = 2)]
/// fn ping_pong() {
///     let (tx, rx) = gpm::bounded(0);
///     let echo = gpm::go!(move || rx.recv().unwrap() + 1);
///     tx.send(41).unwrap();
///     assert_eq!(echo.join().unwrap(), 42);
/// }
/// # fn main() {} // doctests do not run `#[test]`s: this only shows the expansion compiles
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    run(Kind::Test, args.into(), item.into()).into()
}

/// Parses, checks and expands; on error, the errors alone (plus an empty `fn main` for a
/// failed `main`, so the crate reports only the real problem, not a missing `main`).
fn run(kind: Kind, args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> Tokens {
    let f: ItemFn = match syn::parse2(item) {
        Ok(f) => f,
        Err(e) => return e.to_compile_error(),
    };
    let opts = options::parse(kind, args);
    let sig = check::signature(kind, &f);
    match (opts, sig) {
        (Ok(opts), Ok(())) => expand::function(kind, opts, f),
        (opts, sig) => {
            let mut errors = opts.err().into_iter().chain(sig.err());
            let mut first = errors.next().expect("one of the two failed");
            errors.for_each(|e| first.combine(e));
            let error = first.to_compile_error();
            let stub = (kind == Kind::Main && f.sig.ident == "main").then(|| {
                quote!(
                    fn main() {}
                )
            });
            quote! { #error #stub }
        }
    }
}

type Tokens = proc_macro2::TokenStream;
