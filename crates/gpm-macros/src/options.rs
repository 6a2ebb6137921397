//! The options of `#[gpm::main(...)]` and `#[gpm::test(...)]`: `procs = EXPR` and
//! `stack_size = EXPR`, each at most once, parsed into the builder calls they stand for.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Meta, Token};

use crate::Kind;

/// The options given to one attribute, as the expressions to hand to the
/// `RuntimeBuilder` methods of the same names.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) procs: Option<Expr>,
    pub(crate) stack_size: Option<Expr>,
}

const EXPECTED: &str = "expected `procs` or `stack_size`";

/// Parses the attribute's arguments; every problem found is reported, each at its span.
pub(crate) fn parse(kind: Kind, args: TokenStream) -> syn::Result<Options> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    let mut opts = Options::default();
    let mut errors: Option<syn::Error> = None;
    let mut fail = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    for meta in metas {
        let name = path_name(meta.path());
        let slot = match name.as_str() {
            "procs" => &mut opts.procs,
            "stack_size" => &mut opts.stack_size,
            _ => {
                let msg = format!("{kind}: unknown option `{name}`; {EXPECTED}");
                fail(syn::Error::new_spanned(meta.path(), msg));
                continue;
            }
        };
        if slot.is_some() {
            let msg = format!("{kind}: option `{name}` is given twice");
            fail(syn::Error::new_spanned(&meta, msg));
            continue;
        }
        match meta {
            Meta::NameValue(nv) => *slot = Some(nv.value),
            other => {
                let msg = format!("{kind}: option `{name}` needs a value: `{name} = ...`");
                fail(syn::Error::new_spanned(other, msg));
            }
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(opts),
    }
}

/// The path as written (`procs`, `a::b`), for messages.
fn path_name(path: &syn::Path) -> String {
    let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let lead = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };
    format!("{lead}{}", segs.join("::"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn err(args: TokenStream) -> String {
        crate::messages(parse(Kind::Main, args))
    }

    #[test]
    fn accepts_both_options_with_any_expression() {
        let o = parse(Kind::Main, quote!(procs = 1 + 1, stack_size = 64 * 1024,)).unwrap();
        let (p, s) = (o.procs.unwrap(), o.stack_size.unwrap());
        assert_eq!(quote!(#p).to_string(), "1 + 1");
        assert_eq!(quote!(#s).to_string(), "64 * 1024");
        let none = parse(Kind::Test, quote!()).unwrap();
        assert!(none.procs.is_none() && none.stack_size.is_none());
    }

    #[test]
    fn rejects_unknown_duplicated_and_valueless_options() {
        assert_eq!(
            err(quote!(foo = 1)),
            "gpm::main: unknown option `foo`; expected `procs` or `stack_size`"
        );
        assert_eq!(
            err(quote!(procs = 1, procs = 2)),
            "gpm::main: option `procs` is given twice"
        );
        assert_eq!(
            err(quote!(procs)),
            "gpm::main: option `procs` needs a value: `procs = ...`"
        );
        assert_eq!(
            err(quote!(stack_size(4))),
            "gpm::main: option `stack_size` needs a value: `stack_size = ...`"
        );
        assert_eq!(
            err(quote!(a::b = 1, flavor = 2)),
            "gpm::main: unknown option `a::b`; expected `procs` or `stack_size` | \
             gpm::main: unknown option `flavor`; expected `procs` or `stack_size`"
        );
    }
}
