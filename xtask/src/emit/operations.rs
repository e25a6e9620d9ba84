//! The public facade: one method per operation on `crate::Client`. Each calls the raw
//! progenitor method and decodes the response through the hand-written runtime, so the caller
//! gets the typed `result` (or a page of them) or a `crate::Error` they can match on.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::visit_mut::{self, VisitMut};

use super::rules::RuleRefs;
use crate::error::{GenError, Result};
use crate::model::{ApiModel, Operation, ParamLocation, ResultShape, Rule};
use crate::naming::snake_ident;

/// Emits the facade from the model, the raw client's method signatures and the rule statics.
pub fn emit(raw: &syn::File, model: &ApiModel, rules: &RuleRefs) -> Result<syn::File> {
    let signatures = raw_signatures(raw);
    let types_path = quote!(types);
    let mut methods = Vec::new();
    for op in &model.operations {
        let sig = signatures.get(&op.name).ok_or_else(|| {
            GenError::at(
                format!("operation {}", op.spec_id),
                "internal: progenitor emitted no method for it",
            )
        })?;
        methods.push(method(op, sig, &types_path, rules));
    }
    let table = operation_table(model);
    let tokens = quote! {
        use crate::types;

        impl crate::Client {
            #(#methods)*
        }

        #table
    };
    syn::parse2(tokens)
        .map_err(|e| GenError::at("operations", format!("internal: emitted invalid Rust: {e}")))
}

/// Method name -> the parameters after `&self`, with progenitor's `'a` lifetimes elided.
fn raw_signatures(raw: &syn::File) -> BTreeMap<String, Vec<syn::FnArg>> {
    let mut out = BTreeMap::new();
    for item in &raw.items {
        let syn::Item::Impl(imp) = item else { continue };
        for inner in &imp.items {
            let syn::ImplItem::Fn(f) = inner else { continue };
            if f.sig.asyncness.is_none() {
                continue;
            }
            let mut args: Vec<syn::FnArg> = f
                .sig
                .inputs
                .iter()
                .filter(|a| matches!(a, syn::FnArg::Typed(_)))
                .cloned()
                .collect();
            for arg in &mut args {
                ElideLifetimes.visit_fn_arg_mut(arg);
            }
            out.insert(f.sig.ident.to_string(), args);
        }
    }
    out
}

struct ElideLifetimes;

impl VisitMut for ElideLifetimes {
    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        r.lifetime = None;
        visit_mut::visit_type_reference_mut(self, r);
    }
}

fn method(op: &Operation, args: &[syn::FnArg], types_path: &TokenStream, rules: &RuleRefs) -> TokenStream {
    let name = format_ident!("{}", op.name);
    let arg_names: Vec<TokenStream> = args
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(t) => Some(t.pat.as_ref()),
            syn::FnArg::Receiver(_) => None,
        })
        .map(|pat| quote!(#pat))
        .collect();
    let (ret, decode) = match &op.result {
        ResultShape::Empty => (quote!(()), quote!(crate::runtime::decode::empty(response).await)),
        ResultShape::Bare(t) => {
            let t = t.tokens(types_path);
            (t, quote!(crate::runtime::decode::bare(response).await))
        }
        ResultShape::Enveloped(t) => {
            let t = t.tokens(types_path);
            (t, quote!(crate::runtime::decode::enveloped(response).await))
        }
        ResultShape::Paged { item } => {
            let t = item.tokens(types_path);
            (
                quote!(crate::Page<#t>),
                quote!(crate::runtime::decode::paged(response).await),
            )
        }
    };
    let docs = method_docs(op);
    let checks = checks(op, args, rules);
    quote! {
        #(#[doc = #docs])*
        pub async fn #name(&self, #(#args),*) -> crate::Result<#ret> {
            #(#checks)*
            let response = self.raw.#name(#(#arg_names),*).await;
            #decode
        }
    }
}

/// Statements refusing bad input before anything is sent: each parameter against its rule and
/// the body against its own. Path segments are always checked for what would leave them:
/// `..` would otherwise be resolved by the URL parser and retarget the request (an
/// environment purge becoming a zone purge).
fn checks(op: &Operation, args: &[syn::FnArg], rules: &RuleRefs) -> Vec<TokenStream> {
    let mut out = Vec::new();
    for p in &op.params {
        let name = &p.api_name;
        let ident = format_ident!("{}", snake_ident(name));
        let rule = rules
            .params
            .get(&(op.name.clone(), name.clone()))
            .map(|r| quote!(&crate::generated::rules::#r));
        let is_str = args.iter().any(|a| is_str_arg(a, &ident));
        match (p.location, &p.rule) {
            (ParamLocation::Path, _) if is_str => {
                let rule = rule.map_or_else(|| quote!(None), |r| quote!(Some(#r)));
                out.push(quote! { crate::validate::path_param(#name, #ident, #rule)?; });
            }
            // A spec enum in the path: its text, open variant included, must stay one segment.
            (ParamLocation::Path, Rule::Named(_)) => {
                out.push(quote! { crate::validate::path_param(#name, &#ident.to_string(), None)?; });
            }
            _ => {
                if let Some(rule) = rule {
                    out.push(quote! { crate::validate::param(#name, &#ident, #rule)?; });
                }
            }
        }
    }
    if let Some(rule) = rules.bodies.get(&op.name) {
        out.push(quote! { crate::validate::body(body, &crate::generated::rules::#rule)?; });
    }
    out
}

/// Whether `arg` is `ident: &str`.
fn is_str_arg(arg: &syn::FnArg, ident: &syn::Ident) -> bool {
    let syn::FnArg::Typed(t) = arg else { return false };
    let syn::Pat::Ident(pat) = t.pat.as_ref() else {
        return false;
    };
    if pat.ident != *ident {
        return false;
    }
    matches!(t.ty.as_ref(), syn::Type::Reference(r) if matches!(r.elem.as_ref(), syn::Type::Path(p) if p.path.is_ident("str")))
}

fn method_docs(op: &Operation) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(summary) = &op.summary {
        lines.push(summary.trim().to_string());
    }
    if let Some(description) = &op.description {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.extend(description.trim().lines().map(str::to_string));
    }
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(format!(
        "`{} {}` (operation `{}`).",
        op.method, op.path, op.spec_id
    ));
    lines
        .into_iter()
        .map(|l| if l.is_empty() { l } else { format!(" {l}") })
        .collect()
}

/// Method and path template per operation, for tracing without the credentials or ids.
fn operation_table(model: &ApiModel) -> TokenStream {
    let mut ops: Vec<&Operation> = model.operations.iter().collect();
    ops.sort_by(|a, b| a.name.cmp(&b.name));
    let arms = ops.iter().map(|op| {
        let name = &op.name;
        let method = &op.method;
        let path = &op.path;
        quote! { #name => Some((#method, #path)), }
    });
    quote! {
        /// The HTTP method and path template of the operation `operation_id`.
        pub(crate) fn route(operation_id: &str) -> Option<(&'static str, &'static str)> {
            match operation_id {
                #(#arms)*
                _ => None,
            }
        }
    }
}
