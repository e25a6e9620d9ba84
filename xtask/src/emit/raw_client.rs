//! progenitor's request-building client, trimmed for life as a private module of the client
//! crate: no `api-version` header (Cloudflare does not use it), no constructor that panics,
//! no prelude, the models read from the types crate, and path parameters encoded without
//! intermediate strings (`path_segments`).

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
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
    // Items straight into an empty file: no round trip through tokens and the parser.
    let mut file: syn::File = syn::parse_quote!();
    file.items = items;
    DropApiVersionHeader.visit_file_mut(&mut file);
    ReturnResponse.visit_file_mut(&mut file);
    super::path_segments::rewrite(&mut file);
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

/// Success arms hand back the `reqwest::Response` itself instead of wrapping it in
/// progenitor's `ResponseValue<ByteStream>` (a copy of the headers and a boxed stream over a
/// body the runtime has already read into memory): `ResponseValue<ByteStream>` becomes
/// `reqwest::Response` in signatures and `ResponseValue::stream(response)` becomes `response`.
struct ReturnResponse;

fn is_path(path: &syn::Path, segments: &[&str]) -> bool {
    path.segments.len() == segments.len()
        && path
            .segments
            .iter()
            .zip(segments)
            .all(|(s, want)| s.ident == want)
}

impl VisitMut for ReturnResponse {
    fn visit_type_mut(&mut self, ty: &mut syn::Type) {
        if let syn::Type::Path(p) = ty
            && p.qself.is_none()
            && is_path(&p.path, &["ResponseValue"])
            && let syn::PathArguments::AngleBracketed(args) = &p.path.segments[0].arguments
            && args.args.len() == 1
            && matches!(&args.args[0], syn::GenericArgument::Type(syn::Type::Path(inner)) if inner.path.is_ident("ByteStream"))
        {
            *ty = syn::parse_quote!(reqwest::Response);
            return;
        }
        visit_mut::visit_type_mut(self, ty);
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::Call(call) = expr
            && call.args.len() == 1
            && matches!(call.func.as_ref(), syn::Expr::Path(f) if is_path(&f.path, &["ResponseValue", "stream"]))
        {
            *expr = call.args[0].clone();
        }
        visit_mut::visit_expr_mut(self, expr);
    }
}

/// Removes the `api-version` header; when no other header parameter is left, the then-empty
/// header map goes too (`let mut header_map` and the `.headers(header_map)` call).
struct DropApiVersionHeader;

/// Whether `tokens`, at any depth, hold the string literal `literal` (given with its quotes).
fn has_literal(tokens: TokenStream, literal: &str) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Literal(l) => l.to_string() == literal,
        TokenTree::Group(g) => has_literal(g.stream(), literal),
        _ => false,
    })
}

/// Whether `tokens`, at any depth, hold the method call `receiver.method`.
fn has_call(tokens: TokenStream, receiver: &str, method: &str) -> bool {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    tokens.windows(3).any(|w| match w {
        [TokenTree::Ident(r), TokenTree::Punct(dot), TokenTree::Ident(m)] => {
            dot.as_char() == '.' && r == receiver && m == method
        }
        _ => false,
    }) || tokens.iter().any(|t| match t {
        TokenTree::Group(g) => has_call(g.stream(), receiver, method),
        _ => false,
    })
}

/// Whether `stmt` is `let mut NAME = ..`.
fn declares(stmt: &syn::Stmt, name: &str) -> bool {
    matches!(stmt, syn::Stmt::Local(local)
        if matches!(&local.pat, syn::Pat::Ident(p) if p.mutability.is_some() && p.ident == name))
}

impl VisitMut for DropApiVersionHeader {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        block
            .stmts
            .retain(|stmt| !has_literal(stmt.to_token_stream(), "\"api-version\""));
        let map_in_use = block
            .stmts
            .iter()
            .any(|s| has_call(s.to_token_stream(), "header_map", "append"));
        if !map_in_use {
            block.stmts.retain(|s| !declares(s, "header_map"));
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
            && call.args.len() == 1
            && matches!(&call.args[0], syn::Expr::Path(p) if p.path.is_ident("header_map"))
        {
            *expr = (*call.receiver).clone();
        }
        visit_mut::visit_expr_mut(self, expr);
    }
}
