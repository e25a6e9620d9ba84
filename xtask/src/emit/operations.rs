//! The public facade: two methods per operation on `crate::Client`, `x` and `x_with_meta`,
//! and a private `x_request` both call to check the arguments and build the request with the
//! raw progenitor method. Each sends it through the runtime's `send` and decodes the answer,
//! so the caller gets the typed `result` (or a page of them), with the answer's metadata for
//! `x_with_meta`, or a `crate::Error` they can match on.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::visit_mut::{self, VisitMut};

use super::checks::Checks;
use crate::error::{GenError, Result};
use crate::model::{ApiModel, Operation, ParamLocation, ResultShape};

/// Emits the facade from the model, the raw client's method signatures and the checks.
pub fn emit(raw: &syn::File, model: &ApiModel, checks: &mut Checks<'_, '_>) -> Result<syn::File> {
    let signatures = raw_signatures(raw);
    let types_path = quote!(types);
    let mut methods = Vec::new();
    let mut names = BTreeMap::new();
    for op in &model.operations {
        for name in [op.name.clone(), with_meta(&op.name), request_fn(&op.name)] {
            if let Some(other) = names.insert(name.clone(), &op.spec_id) {
                return Err(GenError::at(
                    format!("operation {}", op.spec_id),
                    format!("its method `{name}` would clash with one of operation {other}"),
                ));
            }
        }
        let sig = signatures.get(&op.name).ok_or_else(|| {
            GenError::at(
                format!("operation {}", op.spec_id),
                "internal: progenitor emitted no method for it",
            )
        })?;
        methods.push(method(op, sig, &types_path, checks));
    }
    let fuzzing = fuzzing_entries(model, &signatures, &types_path, checks);
    let tokens = quote! {
        use crate::types;

        impl crate::Client {
            #(#methods)*
        }

        #fuzzing
    };
    syn::parse2(tokens)
        .map_err(|e| GenError::at("operations", format!("internal: emitted invalid Rust: {e}")))
}

/// Method name -> the parameters after `&self`, with progenitor's `'a` lifetimes elided.
fn raw_signatures(raw: &syn::File) -> BTreeMap<String, Vec<syn::FnArg>> {
    let mut out = BTreeMap::new();
    for item in &raw.items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        for inner in &imp.items {
            let syn::ImplItem::Fn(f) = inner else { continue };
            // The builders take `&self`; the constructor does not.
            if f.sig.receiver().is_none() {
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

/// The name of the operation `name`'s twin that also returns the answer's metadata.
fn with_meta(name: &str) -> String {
    format!("{name}_with_meta")
}

/// The name of the private method that checks `name`'s arguments and builds its request.
fn request_fn(name: &str) -> String {
    format!("{name}_request")
}

fn method(
    op: &Operation,
    args: &[syn::FnArg],
    types_path: &TokenStream,
    checks: &mut Checks<'_, '_>,
) -> TokenStream {
    let name = format_ident!("{}", op.name);
    let meta_name = format_ident!("{}", with_meta(&op.name));
    let request_name = format_ident!("{}", request_fn(&op.name));
    let raw = RawBody::of(op);
    let raw_args: Vec<TokenStream> = args
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(t) => Some(t.pat.as_ref()),
            syn::FnArg::Receiver(_) => None,
        })
        .map(|pat| match &raw {
            Some(raw) if raw.is_body(pat) => quote!(bytes),
            Some(raw) if raw.is_content_type(pat) => quote!(&content_type),
            _ => quote!(#pat),
        })
        .collect();
    // A raw body arrives as one `RawBody` (bytes and their media type) in place of
    // progenitor's generic body and `content-type` header arguments.
    let checks = checks.inputs(op, args);
    let (args, unpack): (Vec<syn::FnArg>, TokenStream) = match &raw {
        Some(raw) => (
            args.iter()
                .filter(|a| !matches!(a, syn::FnArg::Typed(t) if raw.is_body(&t.pat) || raw.is_content_type(&t.pat)))
                .cloned()
                .chain([syn::parse_quote!(body: crate::RawBody)])
                .collect(),
            quote! { let (content_type, bytes) = body.into_parts(); },
        ),
        None => (args.to_vec(), quote!()),
    };
    let arg_names: Vec<&syn::Pat> = args
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(t) => Some(t.pat.as_ref()),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let (ret, decoder, _) = decoder(&op.result, types_path);
    let docs = method_docs(op);
    let meta_docs = [
        format!(" [`{0}`](Self::{0}), also handing back the answer's", op.name),
        " [metadata](crate::ResponseMeta): status, `cf-ray`, rate-limit headers, the".to_string(),
        " envelope's `messages` and the attempts taken.".to_string(),
    ];
    let request_doc = format!(" Checks the arguments of `{}` and builds its request.", op.name);
    let (operation, method, path) = (&op.name, &op.method, &op.path);
    quote! {
        #(#[doc = #docs])*
        pub async fn #name(&self, #(#args),*) -> crate::Result<#ret> {
            let request = self.#request_name(#(#arg_names),*)?;
            crate::runtime::decode::value(self.send(request).await?, #decoder)
        }
        #(#[doc = #meta_docs])*
        pub async fn #meta_name(&self, #(#args),*) -> crate::Result<crate::WithMeta<#ret>> {
            let request = self.#request_name(#(#arg_names),*)?;
            crate::runtime::decode::with_meta(self.send(request).await?, #decoder)
        }
        #[doc = #request_doc]
        fn #request_name(&self, #(#args),*) -> crate::Result<crate::runtime::Prepared> {
            #(#checks)*
            #unpack
            let request = self.raw.#name(#(#raw_args),*).map_err(crate::runtime::build_error)?;
            Ok(crate::runtime::Prepared {
                request,
                route: &crate::runtime::Route { operation: #operation, method: #method, path: #path },
            })
        }
    }
}

/// How an operation's success is decoded: the type it returns, the runtime function, and
/// that function's type argument (`None` for `empty`, which has none).
fn decoder(
    result: &ResultShape,
    types_path: &TokenStream,
) -> (TokenStream, TokenStream, Option<TokenStream>) {
    match result {
        ResultShape::Empty => (quote!(()), quote!(crate::runtime::decode::empty), None),
        ResultShape::Bytes => (
            quote!(::bytes::Bytes),
            quote!(crate::runtime::decode::bytes),
            None,
        ),
        ResultShape::Bare(t) => {
            let t = t.tokens(types_path);
            (t.clone(), quote!(crate::runtime::decode::bare), Some(t))
        }
        ResultShape::Enveloped(t) => {
            let t = t.tokens(types_path);
            (t.clone(), quote!(crate::runtime::decode::enveloped), Some(t))
        }
        ResultShape::Paged { item } => {
            let t = item.tokens(types_path);
            (
                quote!(crate::Page<#t>),
                quote!(crate::runtime::decode::paged),
                Some(t),
            )
        }
    }
}

/// Entry points for the fuzz targets, compiled only with the client's `fuzzing` feature: every
/// operation's decoder on one response, and every path-parameter check on one value. They
/// reach the real runtime without a network, and stay complete as operations come and go.
fn fuzzing_entries(
    model: &ApiModel,
    signatures: &BTreeMap<String, Vec<syn::FnArg>>,
    types_path: &TokenStream,
    checks: &mut Checks<'_, '_>,
) -> TokenStream {
    let decoders = model.operations.iter().map(|op| {
        let name = &op.name;
        let (_, decoder, generic) = decoder(&op.result, types_path);
        let generic = generic.map(|t| quote!(::<#t>));
        quote! { (#name, crate::runtime::decode::value(answer(), #decoder #generic).map(drop)) }
    });
    let mut entries = Vec::new();
    for op in &model.operations {
        let args = signatures.get(&op.name).map(Vec::as_slice).unwrap_or_default();
        for (param, check) in checks.path_params(op, args) {
            let name = &op.name;
            entries.push(quote! { (#name, #param, #check) });
        }
    }
    quote! {
        /// Every operation's decoder applied to an answer made by `answer`, in operation order.
        #[cfg(feature = "fuzzing")]
        #[allow(unused_mut, unused_variables, reason = "a spec may have no operations")]
        pub(crate) fn decode_as_every_operation<'c>(
            mut answer: impl FnMut() -> crate::runtime::Answer<'c>,
        ) -> ::std::vec::Vec<(&'static str, crate::Result<()>)> {
            ::std::vec::Vec::from([#(#decoders),*])
        }

        /// Every operation's check of each path parameter, given `value`: (operation,
        /// parameter, outcome).
        #[cfg(feature = "fuzzing")]
        #[allow(unused_variables, reason = "a spec may have no path parameters")]
        pub(crate) fn check_every_path_param(
            value: &str,
        ) -> ::std::vec::Vec<(&'static str, &'static str, crate::Result<()>)> {
            ::std::vec::Vec::from([#(#entries),*])
        }
    }
}

/// The arguments progenitor gives an operation with a raw body, which the facade replaces.
struct RawBody<'a> {
    /// The `content-type` header parameter's argument.
    content_type: &'a str,
}

impl<'a> RawBody<'a> {
    fn of(op: &'a Operation) -> Option<Self> {
        op.raw_body.as_ref()?;
        let content_type = op
            .params
            .iter()
            .find(|p| p.location == ParamLocation::Header && p.api_name == "content-type")?;
        Some(Self {
            content_type: &content_type.ident,
        })
    }

    fn is_body(&self, pat: &syn::Pat) -> bool {
        matches!(pat, syn::Pat::Ident(p) if p.ident == "body")
    }

    fn is_content_type(&self, pat: &syn::Pat) -> bool {
        matches!(pat, syn::Pat::Ident(p) if p.ident == self.content_type)
    }
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
    if let Some(media) = &op.raw_body {
        let listed: Vec<String> = media.iter().map(|m| format!("`{m}`")).collect();
        lines.push(format!(
            "The body is sent as given, with its content type (the spec lists {}).",
            listed.join(", ")
        ));
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
