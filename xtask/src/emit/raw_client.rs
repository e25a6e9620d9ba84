//! progenitor's request-building client, trimmed for life as a private module of the client
//! crate: no `api-version` header (Cloudflare does not use it), no constructor that panics,
//! no prelude, and the models read from the types crate.

use syn::visit_mut::{self, VisitMut};

/// Turns progenitor's client items into the `raw` module.
pub fn emit(items: Vec<syn::Item>) -> syn::File {
    let mut items: Vec<syn::Item> = items.into_iter().filter_map(trim_item).collect();
    items.insert(
        0,
        syn::parse_quote!(
            use crate::types;
        ),
    );
    let mut file = syn::parse_quote!(#(#items)*);
    DropApiVersionHeader.visit_file_mut(&mut file);
    file
}

fn trim_item(item: syn::Item) -> Option<syn::Item> {
    match item {
        syn::Item::Mod(m) if m.ident == "prelude" => None,
        // The re-exports were for progenitor's public surface; ours is the facade.
        syn::Item::Use(mut u) if matches!(u.vis, syn::Visibility::Public(_)) => {
            u.vis = syn::Visibility::Inherited;
            Some(syn::Item::Use(u))
        }
        syn::Item::Impl(mut imp) => {
            // `Client::new` builds a reqwest client with `unwrap()`; the runtime builds its own
            // and calls `new_with_client`.
            imp.items
                .retain(|i| !matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == "new"));
            Some(syn::Item::Impl(imp))
        }
        other => Some(other),
    }
}

/// Removes the `api-version` header; when no other header parameter is left, the then-empty
/// header map goes too (`let mut header_map` and the `.headers(header_map)` call).
struct DropApiVersionHeader;

fn text_of(tokens: &impl quote::ToTokens) -> String {
    tokens.to_token_stream().to_string()
}

impl VisitMut for DropApiVersionHeader {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        block
            .stmts
            .retain(|stmt| !text_of(stmt).contains("\"api-version\""));
        let map_in_use = block
            .stmts
            .iter()
            .any(|s| text_of(s).contains("header_map . append"));
        if !map_in_use {
            block
                .stmts
                .retain(|s| !text_of(s).starts_with("let mut header_map"));
            DropEmptyHeaders.visit_block_mut(block);
        }
        visit_mut::visit_block_mut(self, block);
    }
}

struct DropEmptyHeaders;

impl VisitMut for DropEmptyHeaders {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::MethodCall(call) = expr
            && call.method == "headers"
            && text_of(&call.args) == "header_map"
        {
            *expr = (*call.receiver).clone();
        }
        visit_mut::visit_expr_mut(self, expr);
    }
}
