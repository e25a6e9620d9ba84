//! Puts wire names back where `normalise::placeholders` had to hand progenitor and typify a
//! placeholder (so that they would derive the identifier we chose): every string literal
//! holding a placeholder, in serde attributes, query keys and header names, becomes the wire
//! name again.

use std::collections::BTreeMap;

use proc_macro2::{Group, Literal, TokenStream, TokenTree};
use syn::visit_mut::{self, VisitMut};

/// Replaces every placeholder literal in `file`.
pub fn restore(file: &mut syn::File, wire_names: &BTreeMap<String, String>) {
    if !wire_names.is_empty() {
        Restore(wire_names).visit_file_mut(file);
    }
}

struct Restore<'a>(&'a BTreeMap<String, String>);

impl Restore<'_> {
    fn tokens(&self, tokens: TokenStream) -> TokenStream {
        tokens
            .into_iter()
            .map(|token| match token {
                TokenTree::Group(g) => {
                    let mut inner = Group::new(g.delimiter(), self.tokens(g.stream()));
                    inner.set_span(g.span());
                    TokenTree::Group(inner)
                }
                TokenTree::Literal(lit) => {
                    let wire = syn::parse_str::<syn::LitStr>(&lit.to_string())
                        .ok()
                        .and_then(|s| self.0.get(&s.value()));
                    match wire {
                        Some(wire) => TokenTree::Literal(Literal::string(wire)),
                        None => TokenTree::Literal(lit),
                    }
                }
                other => other,
            })
            .collect()
    }
}

impl VisitMut for Restore<'_> {
    fn visit_lit_str_mut(&mut self, lit: &mut syn::LitStr) {
        if let Some(wire) = self.0.get(&lit.value()) {
            *lit = syn::LitStr::new(wire, lit.span());
        }
    }

    fn visit_meta_list_mut(&mut self, list: &mut syn::MetaList) {
        list.tokens = self.tokens(std::mem::take(&mut list.tokens));
        visit_mut::visit_meta_list_mut(self, list);
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        mac.tokens = self.tokens(std::mem::take(&mut mac.tokens));
        visit_mut::visit_macro_mut(self, mac);
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    use super::*;

    #[test]
    fn placeholders_in_attributes_calls_and_macros_become_wire_names() {
        let mut file: syn::File = syn::parse_quote! {
            pub struct S {
                #[serde(rename = "lt_eq_1y#!")]
                pub lt_eq_1y: i64,
            }
            fn f() {
                q("page_size#$", 1);
                format!("{}", "page_size#$");
            }
        };
        let names = BTreeMap::from([
            ("lt_eq_1y#!".to_string(), "<=1y".to_string()),
            ("page_size#$".to_string(), "pageSize".to_string()),
        ]);
        restore(&mut file, &names);
        let text = file.to_token_stream().to_string();
        assert!(text.contains("rename = \"<=1y\""), "{text}");
        assert!(text.contains("q (\"pageSize\" , 1)"), "{text}");
        assert!(text.contains("format ! (\"{}\" , \"pageSize\")"), "{text}");
        assert!(!text.contains("#!") && !text.contains("#$"), "{text}");
    }
}
