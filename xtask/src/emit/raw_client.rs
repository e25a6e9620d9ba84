//! progenitor's request-building client, trimmed for life as a private module of the client
//! crate: no `api-version` header (Cloudflare does not use it), no constructor that panics,
//! no prelude, the models read from the types crate, and path parameters encoded without
//! intermediate strings (`path_segments`).
//!
//! Each operation method only builds: it is cut off after `.build()` and returns the
//! `reqwest::Request`, which the facade hands to the runtime's own `send`. progenitor's
//! `ClientHooks` (whose `exec` must return a `reqwest::Response` or a `reqwest::Error`) are not
//! called at all; see the client's `runtime` module for why.

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
    BuildOnly.visit_file_mut(&mut file);
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
        // The check that `ClientHooks` is implemented: the operations no longer call them.
        syn::Item::Const(c) if has_ident(c.to_token_stream(), "assert_client_hooks") => None,
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

/// Cuts each operation method after its request is built: the statements from
/// `let info = OperationInfo { .. }` on (the hooks, the send, the status match) go, and the
/// method, no longer async, returns the built request.
struct BuildOnly;

impl VisitMut for BuildOnly {
    fn visit_item_impl_mut(&mut self, imp: &mut syn::ItemImpl) {
        if imp.trait_.is_some() {
            return;
        }
        for item in &mut imp.items {
            let syn::ImplItem::Fn(f) = item else { continue };
            let Some(at) = f.block.stmts.iter().position(|s| declares_any(s, "info")) else {
                continue;
            };
            f.block.stmts.truncate(at);
            f.block
                .stmts
                .push(syn::Stmt::Expr(syn::parse_quote!(Ok(request)), None));
            f.sig.asyncness = None;
            for attr in &mut f.attrs {
                reword_send_doc(attr);
            }
            f.sig.output = syn::parse_quote!(-> Result<reqwest::Request, Error<()>>);
        }
    }
}

/// progenitor's "Sends a `GET` request to `/path`" becomes "Builds the `GET` request to
/// `/path`": the method no longer sends.
fn reword_send_doc(attr: &mut syn::Attribute) {
    if let syn::Meta::NameValue(doc) = &mut attr.meta
        && doc.path.is_ident("doc")
        && let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) = &mut doc.value
        && text.value().contains("Sends a `")
    {
        *text = syn::LitStr::new(&text.value().replace("Sends a `", "Builds the `"), text.span());
    }
}

/// Whether `stmt` is `let NAME = ..` (mutable or not).
fn declares_any(stmt: &syn::Stmt, name: &str) -> bool {
    matches!(stmt, syn::Stmt::Local(local) if matches!(&local.pat, syn::Pat::Ident(p) if p.ident == name))
}

/// Whether `tokens`, at any depth, hold the identifier `name`.
fn has_ident(tokens: TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(i) => i == name,
        TokenTree::Group(g) => has_ident(g.stream(), name),
        _ => false,
    })
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
