//! The code `#[gpm::main]` and `#[gpm::test]` put in place of the function: build a
//! runtime from the options, run the body on it with `block_on`, hand back the result.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemFn, ReturnType, Type};

use crate::options::Options;
use crate::Kind;

/// Rewrites `f` (already checked) to run its body as a goroutine of a fresh runtime.
///
/// A function returning `()` keeps its signature and its body runs as
/// `rt.block_on(move || body)`. Any other return type `R` (a `Result` whose error is not
/// `Send`, such as `Box<dyn Error>`, included) is reported inside the goroutine through
/// `std::process::Termination` and the function returns the `ExitCode` that gives: the
/// value itself never crosses threads, only the exit code does.
pub(crate) fn function(kind: Kind, opts: Options, mut f: ItemFn) -> TokenStream {
    let runtime = runtime(kind, &opts);
    let block = &f.block;
    let body = match &f.sig.output {
        ReturnType::Type(_, ty) if !is_unit(ty) => {
            let out = quote! {
                let body = move || -> #ty #block;
                #runtime.block_on(move || ::std::process::Termination::report(body()))
            };
            f.sig.output = syn::parse_quote!(-> ::std::process::ExitCode);
            out
        }
        _ => quote! { #runtime.block_on(move || #block) },
    };
    f.block = syn::parse_quote!({ #body });
    let test = match kind {
        Kind::Main => quote!(),
        Kind::Test => quote!(#[::std::prelude::v1::test]),
    };
    quote! { #test #f }
}

/// `::gpm::Runtime::builder().procs(..).stack_size(..).build()`, panicking with the
/// builder's error.
fn runtime(kind: Kind, opts: &Options) -> TokenStream {
    let procs = opts.procs.as_ref().map(|e| quote!(.procs(#e)));
    let stack_size = opts.stack_size.as_ref().map(|e| quote!(.stack_size(#e)));
    let msg = format!("{kind}: failed to build the runtime: {{}}");
    quote! {
        ::gpm::Runtime::builder() #procs #stack_size .build()
            .unwrap_or_else(|e| ::std::panic!(#msg, e))
    }
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expansion with whitespace removed (`quote!` prints `||` as `| |` when it
    /// comes from two tokens).
    fn expand(kind: Kind, opts: Options, f: ItemFn) -> String {
        squash(function(kind, opts, f))
    }

    fn squash(t: TokenStream) -> String {
        t.to_string().split_whitespace().collect()
    }

    #[test]
    fn main_returning_unit_keeps_its_signature() {
        let opts = Options {
            procs: Some(syn::parse_quote!(2)),
            stack_size: None,
        };
        let got = expand(
            Kind::Main,
            opts,
            syn::parse_quote!(
                fn main() {
                    work();
                }
            ),
        );
        let want = quote! {
            fn main() {
                ::gpm::Runtime::builder().procs(2).build()
                    .unwrap_or_else(|e| ::std::panic!("gpm::main: failed to build the runtime: {}", e))
                    .block_on(move || { work(); })
            }
        };
        assert_eq!(got, squash(want));
    }

    #[test]
    fn test_returning_a_result_reports_it_inside_the_goroutine() {
        let opts = Options {
            procs: None,
            stack_size: Some(syn::parse_quote!(1 << 16)),
        };
        let f = syn::parse_quote!(
            #[ignore]
            fn t() -> Result<(), E> {
                Ok(())
            }
        );
        let got = expand(Kind::Test, opts, f);
        let want = quote! {
            #[::std::prelude::v1::test]
            #[ignore]
            fn t() -> ::std::process::ExitCode {
                let body = move || -> Result<(), E> { Ok(()) };
                ::gpm::Runtime::builder().stack_size(1 << 16).build()
                    .unwrap_or_else(|e| ::std::panic!("gpm::test: failed to build the runtime: {}", e))
                    .block_on(move || ::std::process::Termination::report(body()))
            }
        };
        assert_eq!(got, squash(want));
    }
}
