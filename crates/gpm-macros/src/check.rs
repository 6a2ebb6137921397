//! What a function must look like to be run by `#[gpm::main]` or `#[gpm::test]`: not
//! `async`, not `const`, no arguments, no generics, and (for tests) no second `#[test]`.

use syn::spanned::Spanned;
use syn::ItemFn;

use crate::Kind;

/// Checks `f`'s signature; every problem is reported at the tokens that cause it.
pub(crate) fn signature(kind: Kind, f: &ItemFn) -> syn::Result<()> {
    let sig = &f.sig;
    let mut errors: Vec<syn::Error> = Vec::new();
    if let Some(token) = &sig.asyncness {
        let msg = format!(
            "{kind}: `async fn` is not supported; gpm runs plain blocking code as a \
             goroutine, so remove `async`"
        );
        errors.push(syn::Error::new(token.span(), msg));
    }
    if let Some(token) = &sig.constness {
        let msg = format!("{kind}: a `const fn` cannot start a runtime; remove `const`");
        errors.push(syn::Error::new(token.span(), msg));
    }
    if !sig.inputs.is_empty() || sig.variadic.is_some() {
        let what = if kind == Kind::Main {
            "`main`"
        } else {
            "a test"
        };
        let msg = format!("{kind}: the function must take no arguments, as {what} does");
        errors.push(syn::Error::new_spanned(&sig.inputs, msg));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let msg = format!("{kind}: the function must not be generic");
        errors.push(syn::Error::new_spanned(&sig.generics, msg));
    }
    if kind == Kind::Test {
        for attr in &f.attrs {
            if attr.path().is_ident("test") {
                let msg = "gpm::test: remove this `#[test]`; `#[gpm::test]` adds it";
                errors.push(syn::Error::new_spanned(attr, msg));
            }
        }
    }
    let mut errors = errors.into_iter();
    match errors.next() {
        None => Ok(()),
        Some(mut first) => {
            errors.for_each(|e| first.combine(e));
            Err(first)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: Kind, f: ItemFn) -> String {
        crate::messages(signature(kind, &f))
    }

    #[test]
    fn accepts_plain_functions() {
        signature(
            Kind::Main,
            &syn::parse_quote!(
                fn main() {}
            ),
        )
        .unwrap();
        signature(
            Kind::Main,
            &syn::parse_quote!(
                pub fn main() -> Result<(), E> {
                    Ok(())
                }
            ),
        )
        .unwrap();
        signature(
            Kind::Test,
            &syn::parse_quote!(
                #[should_panic]
                #[ignore]
                fn t() {}
            ),
        )
        .unwrap();
    }

    #[test]
    fn rejects_async_const_arguments_generics_and_a_second_test_attribute() {
        assert_eq!(
            err(
                Kind::Main,
                syn::parse_quote!(
                    async fn main() {}
                )
            ),
            "gpm::main: `async fn` is not supported; gpm runs plain blocking code as a \
             goroutine, so remove `async`"
        );
        assert_eq!(
            err(
                Kind::Test,
                syn::parse_quote!(
                    const fn t() {}
                )
            ),
            "gpm::test: a `const fn` cannot start a runtime; remove `const`"
        );
        assert_eq!(
            err(
                Kind::Main,
                syn::parse_quote!(
                    fn main(n: u32) {}
                )
            ),
            "gpm::main: the function must take no arguments, as `main` does"
        );
        assert_eq!(
            err(
                Kind::Test,
                syn::parse_quote!(
                    fn t(n: u32) {}
                )
            ),
            "gpm::test: the function must take no arguments, as a test does"
        );
        assert_eq!(
            err(
                Kind::Main,
                syn::parse_quote!(
                    fn main<T>() {}
                )
            ),
            "gpm::main: the function must not be generic"
        );
        assert_eq!(
            err(
                Kind::Test,
                syn::parse_quote!(
                    #[test]
                    fn t() {}
                )
            ),
            "gpm::test: remove this `#[test]`; `#[gpm::test]` adds it"
        );
        assert_eq!(
            err(
                Kind::Main,
                syn::parse_quote!(
                    async fn main(x: u8) {}
                )
            ),
            "gpm::main: `async fn` is not supported; gpm runs plain blocking code as a \
             goroutine, so remove `async` | \
             gpm::main: the function must take no arguments, as `main` does"
        );
    }
}
