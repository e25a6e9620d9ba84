//! Path parameters in the raw client: progenitor writes each as
//! `encode_path(&value.to_string())` inside the URL's `format!`, which builds two strings per
//! parameter (the `to_string`, then the encoded copy). The runtime's `encode_path` takes any
//! `Display` and percent-encodes it while the URL is written, so the call becomes
//! `encode_path(value)` and progenitor's function is no longer imported. The encoding (the
//! set of escaped bytes) is the same.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use syn::visit_mut::{self, VisitMut};

/// Rewrites the calls in every macro of `file` and imports the runtime's `encode_path`
/// instead of progenitor's.
pub fn rewrite(file: &mut syn::File) {
    let mut calls = Calls::default();
    calls.visit_file_mut(file);
    if calls.rewritten > 0 {
        for item in &mut file.items {
            if let syn::Item::Use(u) = item {
                drop_import(&mut u.tree, "encode_path");
            }
        }
        file.items
            .retain(|item| !matches!(item, syn::Item::Use(u) if is_empty_group(&u.tree)));
        file.items.insert(
            0,
            syn::parse_quote!(
                use crate::runtime::encode_path;
            ),
        );
    }
}

#[derive(Default)]
struct Calls {
    rewritten: usize,
}

impl VisitMut for Calls {
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        mac.tokens = self.tokens(std::mem::take(&mut mac.tokens));
        visit_mut::visit_macro_mut(self, mac);
    }
}

impl Calls {
    /// `encode_path ( & NAME . to_string ( ) )` becomes `encode_path ( NAME )`, at any depth.
    fn tokens(&mut self, tokens: TokenStream) -> TokenStream {
        let mut out: Vec<TokenTree> = Vec::new();
        for token in tokens {
            let token = match token {
                TokenTree::Group(g) => {
                    let after_call = matches!(out.last(), Some(TokenTree::Ident(i)) if i == "encode_path");
                    match value_of_to_string(&g) {
                        Some(name) if after_call && g.delimiter() == Delimiter::Parenthesis => {
                            self.rewritten += 1;
                            let mut call = Group::new(Delimiter::Parenthesis, TokenTree::from(name).into());
                            call.set_span(g.span());
                            TokenTree::Group(call)
                        }
                        _ => {
                            let mut inner = Group::new(g.delimiter(), self.tokens(g.stream()));
                            inner.set_span(g.span());
                            TokenTree::Group(inner)
                        }
                    }
                }
                other => other,
            };
            out.push(token);
        }
        out.into_iter().collect()
    }
}

/// `NAME` when `group` holds exactly `& NAME . to_string ( )`.
fn value_of_to_string(group: &Group) -> Option<proc_macro2::Ident> {
    let tokens: Vec<TokenTree> = group.stream().into_iter().collect();
    match tokens.as_slice() {
        [
            TokenTree::Punct(amp),
            TokenTree::Ident(name),
            TokenTree::Punct(dot),
            TokenTree::Ident(method),
            TokenTree::Group(args),
        ] if amp.as_char() == '&'
            && dot.as_char() == '.'
            && method == "to_string"
            && args.delimiter() == Delimiter::Parenthesis
            && args.stream().is_empty() =>
        {
            Some(name.clone())
        }
        _ => None,
    }
}

/// Removes `name` from a `use a::{b, name, c}` tree.
fn drop_import(tree: &mut syn::UseTree, name: &str) {
    match tree {
        syn::UseTree::Path(p) => drop_import(&mut p.tree, name),
        syn::UseTree::Group(g) => {
            g.items = std::mem::take(&mut g.items)
                .into_iter()
                .filter(|t| !matches!(t, syn::UseTree::Name(n) if n.ident == name))
                .collect();
            for t in &mut g.items {
                drop_import(t, name);
            }
        }
        _ => {}
    }
}

fn is_empty_group(tree: &syn::UseTree) -> bool {
    match tree {
        syn::UseTree::Path(p) => is_empty_group(&p.tree),
        syn::UseTree::Group(g) => g.items.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    use super::*;

    fn rewritten(file: syn::File) -> String {
        let mut file = file;
        rewrite(&mut file);
        file.to_token_stream().to_string()
    }

    #[test]
    fn calls_lose_the_to_string_and_the_import_switches() {
        let out = rewritten(syn::parse_quote! {
            use progenitor_client::{encode_path, ClientHooks};
            fn f(zone_id: &str) -> String {
                format!("{}/zones/{}/x", base, encode_path(&zone_id.to_string()))
            }
        });
        assert!(out.contains("encode_path (zone_id)"), "{out}");
        assert!(!out.contains("to_string"), "{out}");
        assert!(out.contains("use crate :: runtime :: encode_path ;"), "{out}");
        assert!(
            out.contains("use progenitor_client :: { ClientHooks } ;"),
            "{out}"
        );
    }

    #[test]
    fn other_shapes_are_left_alone() {
        let out = rewritten(syn::parse_quote! {
            use progenitor_client::{encode_path, ClientHooks};
            fn f(zone_id: &str) -> String {
                format!("{}", encode_path(&zone_id.to_uppercase()))
            }
        });
        assert!(out.contains("encode_path (& zone_id . to_uppercase ())"), "{out}");
        assert!(
            out.contains("use progenitor_client :: { encode_path , ClientHooks } ;"),
            "{out}"
        );
    }
}
