//! progenitor's request-building client, trimmed for life as a private module of the client
//! crate: no `api-version` header (Cloudflare does not use it), no constructor that panics,
//! no prelude, and the models read from the types crate.

use syn::visit_mut::{self, VisitMut};

/// Turns progenitor's client items into the `raw` module.
pub fn emit(items: Vec<syn::Item>) -> syn::File {
    let mut items: Vec<syn::Item> = items.into_iter().filter_map(trim_item).collect();
    items.insert(0, syn::parse_quote!(use crate::types;));
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
            imp.items.retain(|i| !matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == "new"));
            Some(syn::Item::Impl(imp))
        }
        other => Some(other),
    }
}

struct DropApiVersionHeader;

impl VisitMut for DropApiVersionHeader {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        block.stmts.retain(|stmt| {
            let text = quote::ToTokens::to_token_stream(stmt).to_string();
            !text.contains("\"api-version\"")
        });
        visit_mut::visit_block_mut(self, block);
    }
}
