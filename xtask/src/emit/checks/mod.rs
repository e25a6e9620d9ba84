//! `generated/checks.rs`: the spec's validation rules as plain Rust. Each request model gets a
//! `Validate` impl, each list a request can carry a public function checking one of its items
//! (what the batchers call), and each operation the statements checking its parameters and
//! body before anything is sent (placed in the operation by `emit::operations`).

mod code;
mod shapes;

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::visit_mut::{self, VisitMut};

use crate::constraints::named_in;
use crate::error::{GenError, Result};
use crate::model::{ApiModel, Operation, Param, ParamLocation, Rule};
use crate::naming::{distinct, snake_ident};
use code::{Writer, checks_anything, mentions, pattern_ident};
use shapes::{Def, Index, Shape};

/// Writes the checks: the operations ask for theirs while they are emitted, then [`finish`]
/// writes the file with every pattern any of them used.
///
/// [`finish`]: Checks::finish
pub struct Checks<'m, 't> {
    writer: Writer<'m, 't>,
    /// Components with a model in the types crate and a `Validate` impl, by name.
    models: Vec<&'m str>,
}

impl<'m, 't> Checks<'m, 't>
where
    't: 'm,
{
    pub fn new(model: &'m ApiModel, index: &'m Index<'t>, named: &'m BTreeMap<&'m str, &'m Rule>) -> Self {
        let mut writer = Writer::new(index, named);
        let used = used_components(model, named);
        let models: Vec<&'m str> = model
            .rules
            .iter()
            .filter(|r| used.contains(r.name.as_str()) && r.has_type && is_model_rule(&r.rule))
            .filter(|r| index.contains(&r.name))
            .map(|r| r.name.as_str())
            .collect();
        writer.callable = models
            .iter()
            .filter(|name| named.get(*name).is_some_and(|r| writer.checks_anything(r, 0)))
            .map(|name| name.to_string())
            .collect();
        Self { writer, models }
    }

    /// Statements refusing bad input to `op` before anything is sent: each parameter against
    /// its rule and the body against its own. Path segments are always checked for what would
    /// leave them: `..` would otherwise be resolved by the URL parser and retarget the request
    /// (an environment purge becoming a zone purge).
    pub fn inputs(&mut self, op: &Operation, args: &[syn::FnArg]) -> Vec<TokenStream> {
        let mut out = Vec::new();
        for p in &op.params {
            let Some(ty) = arg_type(args, &p.ident) else {
                continue;
            };
            let ident = format_ident!("{}", p.ident);
            if let Some(path) = self.path_segment(p, ty, &quote!(#ident)) {
                out.push(quote! { #path?; });
            }
            if p.location == ParamLocation::Path && !is_str(ty) {
                // A typed path value: its text was checked above, or it cannot leave its segment.
                continue;
            }
            let name = &p.api_name;
            out.extend(self.block(&p.rule, ty, &ident, quote!(crate::validate::Field::Root(#name))));
        }
        if let (Some(rule), Some(ty)) = (&op.body, arg_type(args, "body")) {
            out.extend(self.block(
                rule,
                ty,
                &format_ident!("body"),
                quote!(crate::validate::Field::BODY),
            ));
        }
        out
    }

    /// The check of the argument `ident: ty` at `at`, in a block of its own.
    fn block(
        &mut self,
        rule: &Rule,
        ty: &syn::Type,
        ident: &syn::Ident,
        at: TokenStream,
    ) -> Option<TokenStream> {
        // `value` is a reference to the value: the argument itself when it is one.
        let (value, ty) = match ty {
            syn::Type::Reference(r) => (quote!(#ident), r.elem.as_ref()),
            other => (quote!(&#ident), other),
        };
        let body = self.writer.check(rule, ty);
        mentions(&body, "value").then(|| {
            quote! {
                {
                    let at = #at;
                    let value = #value;
                    #body
                }
            }
        })
    }

    /// Each path parameter's whole check on `value` (a `&str`), as an expression giving
    /// `crate::Result<()>`: for the fuzz targets, which feed every one arbitrary text.
    pub fn path_params(&mut self, op: &Operation, args: &[syn::FnArg]) -> Vec<(String, TokenStream)> {
        let str_ty: syn::Type = syn::parse_quote!(str);
        let mut out = Vec::new();
        for p in op.params.iter().filter(|p| p.location == ParamLocation::Path) {
            let Some(ty) = arg_type(args, &p.ident) else {
                continue;
            };
            let Some(segment) = self.path_segment(p, ty, &quote!(value)) else {
                continue;
            };
            // A typed argument is checked through its text, the rule left to its type.
            let rule = if is_str(ty) {
                self.writer.check(&p.rule, &str_ty)
            } else {
                quote!()
            };
            let name = &p.api_name;
            let expr = if mentions(&rule, "value") {
                quote! {
                    (|| -> crate::Result<()> {
                        #segment?;
                        let at = crate::validate::Field::Root(#name);
                        #rule
                        Ok(())
                    })()
                }
            } else {
                segment
            };
            out.push((p.api_name.clone(), expr));
        }
        out
    }

    /// The one-segment check of path parameter `p` (an expression), when it needs one: a
    /// `&str`, or a spec enum whose text (open variant included) must stay one segment. A
    /// typed value such as an IP address cannot leave its segment.
    fn path_segment(&self, p: &Param, ty: &syn::Type, value: &TokenStream) -> Option<TokenStream> {
        if p.location != ParamLocation::Path {
            return None;
        }
        let name = &p.api_name;
        if is_str(ty) {
            return Some(quote! { crate::validate::segment(#name, #value) });
        }
        matches!(p.rule, Rule::Named(_))
            .then(|| quote! { crate::validate::segment(#name, &#value.to_string()) })
    }

    /// `generated/checks.rs`.
    pub fn finish(mut self) -> Result<syn::File> {
        let mut impls = Vec::new();
        for name in self.models.clone() {
            let Some(rule) = self.writer.named.get(name).copied() else {
                continue;
            };
            let ident = format_ident!("{}", name);
            let ty: syn::Type = syn::parse_quote!(#ident);
            let body = self.writer.check(rule, &ty);
            let doc = format!(" The spec's rule for [`{name}`](crate::types::{name}).");
            let at = if mentions(&body, "at") {
                quote!(at)
            } else {
                quote!(_at)
            };
            let value = mentions(&body, "value").then(|| quote!(let value = self;));
            impls.push(quote! {
                #[doc = #doc]
                impl crate::validate::Validate for types::#ident {
                    fn check_at(&self, #at: crate::validate::Field<'_>) -> crate::validate::Checked {
                        #value
                        #body
                        Ok(())
                    }
                }
            });
        }
        let items = self.item_checks();
        let patterns = self.writer.patterns.iter().enumerate().map(|(i, source)| {
            let ident = pattern_ident(i);
            quote! { pub(crate) static #ident: crate::validate::leaf::Pattern = crate::validate::leaf::Pattern::new(#source); }
        });
        let tokens = quote! {
            #[allow(unused_imports, reason = "a spec may have no request models")]
            use crate::types;

            #(#impls)*
            #(#items)*
            #(#patterns)*
        };
        syn::parse2(tokens)
            .map_err(|e| GenError::at("checks", format!("internal: emitted invalid Rust: {e}")))
    }

    /// One public function per list a request body can carry: the lists of single-key union
    /// variants (a purge's `files`) and bodies that are a list (a region batch).
    fn item_checks(&mut self) -> Vec<TokenStream> {
        struct Item {
            wire: String,
            doc: String,
            item: syn::Type,
            body: TokenStream,
        }
        let mut found = Vec::new();
        for name in self.models.clone() {
            let Some(rule) = self.writer.named.get(name).copied() else {
                continue;
            };
            match self.writer.index.get(name) {
                Some(Def::Union(union)) => {
                    let members = match resolve_one_of(rule, self.writer.named) {
                        Some(members) => members,
                        None => continue,
                    };
                    for variant in &union.variants {
                        let Some(payload) = &variant.payload else { continue };
                        let Ok(list) = syn::parse2::<syn::Type>(payload.tokens(&quote!(types))) else {
                            continue;
                        };
                        let Shape::List(item) = self.writer.index.shape(&list) else {
                            continue;
                        };
                        let item = item.clone();
                        let body = self.writer.single_variant(&variant.key, members, &list);
                        let (u, v, key) = (name, &variant.name, &variant.key);
                        found.push(Item {
                            wire: format!("{u} {v}"),
                            doc: format!(
                                " Checks one item of a [`{u}::{v}`](crate::types::{u}::{v}) list as the client \
                                 checks a body holding only that item: a refusal names `body.{key}[0]`."
                            ),
                            item,
                            body,
                        });
                    }
                }
                Some(Def::Newtype(inner)) => {
                    let inner: syn::Type = (*inner).clone();
                    let Shape::List(item) = self.writer.index.shape(&inner) else {
                        continue;
                    };
                    let item = item.clone();
                    let body = self.writer.single_item(rule, &inner);
                    found.push(Item {
                        wire: name.to_string(),
                        doc: format!(
                            " Checks one item of a [`{name}`](crate::types::{name}) as the client checks a \
                             body holding only that item: a refusal names `body[0]`."
                        ),
                        item,
                        body,
                    });
                }
                _ => {}
            }
        }
        let wires: Vec<&str> = found.iter().map(|f| f.wire.as_str()).collect();
        let names = distinct(&wires, snake_ident, &[]);
        found
            .iter()
            .map(|f| {
                let name = format_ident!(
                    "{}",
                    names
                        .get(&f.wire)
                        .map_or_else(|| snake_ident(&f.wire), Clone::clone)
                );
                let item = match self.writer.index.shape(&f.item) {
                    Shape::Str => quote!(&str),
                    _ => {
                        let mut ty = f.item.clone();
                        Qualify(self.writer.index).visit_type_mut(&mut ty);
                        quote!(&#ty)
                    }
                };
                let (doc, body) = (&f.doc, &f.body);
                let value = if mentions(body, "value") {
                    quote!(value)
                } else {
                    quote!(_value)
                };
                let at = mentions(body, "at").then(|| quote!(let at = crate::validate::Field::BODY;));
                quote! {
                    #[doc = #doc]
                    pub fn #name(#value: #item) -> ::std::result::Result<(), crate::InvalidRequest> {
                        #at
                        #body
                        Ok(())
                    }
                }
            })
            .collect()
    }
}

/// Names of models in the types crate, written as they are there (bare), become `types::X`.
struct Qualify<'a, 't>(&'a Index<'t>);

impl VisitMut for Qualify<'_, '_> {
    fn visit_type_path_mut(&mut self, p: &mut syn::TypePath) {
        if p.qself.is_none()
            && p.path.leading_colon.is_none()
            && p.path.segments.len() == 1
            && self.0.contains(&p.path.segments[0].ident.to_string())
        {
            p.path
                .segments
                .insert(0, syn::PathSegment::from(format_ident!("types")));
        }
        visit_mut::visit_type_path_mut(self, p);
    }
}

/// The members of `rule` when it is (or names) a `oneOf`/`anyOf`.
fn resolve_one_of<'r>(rule: &'r Rule, named: &'r BTreeMap<&str, &Rule>) -> Option<&'r [Rule]> {
    let mut rule = rule;
    for _ in 0..8 {
        match rule {
            Rule::OneOf(members) | Rule::AnyOf(members) => return Some(members),
            Rule::Named(name) => rule = named.get(name.as_str())?,
            _ => return None,
        }
    }
    None
}

/// The type of the argument `name` in a raw client signature.
fn arg_type<'a>(args: &'a [syn::FnArg], name: &str) -> Option<&'a syn::Type> {
    args.iter().find_map(|a| match a {
        syn::FnArg::Typed(t) => match t.pat.as_ref() {
            syn::Pat::Ident(p) if p.ident == name => Some(t.ty.as_ref()),
            _ => None,
        },
        syn::FnArg::Receiver(_) => None,
    })
}

/// Whether `ty` is `&str`.
fn is_str(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Reference(r) if matches!(r.elem.as_ref(), syn::Type::Path(p) if p.path.is_ident("str")))
}

/// Rules worth a `Validate` impl: structured models, not plain strings or enums.
fn is_model_rule(rule: &Rule) -> bool {
    matches!(
        rule,
        Rule::Object { .. } | Rule::Array { .. } | Rule::OneOf(_) | Rule::AnyOf(_) | Rule::AllOf(_)
    )
}

/// Components a request can reach: every model with a `Validate` impl, and what constrained
/// parameters and bodies refer to.
pub fn used_components<'m>(model: &'m ApiModel, named: &BTreeMap<&str, &Rule>) -> BTreeSet<&'m str> {
    let mut pending: Vec<String> = Vec::new();
    for rule in &model.rules {
        if rule.has_type && is_model_rule(&rule.rule) {
            pending.push(rule.name.clone());
        }
    }
    for op in &model.operations {
        for param in op.params.iter().filter(|p| checks_anything(named, &p.rule, 0)) {
            named_in(&param.rule, &mut pending);
        }
        if let Some(body) = op.body.as_ref().filter(|b| checks_anything(named, b, 0)) {
            named_in(body, &mut pending);
        }
    }
    let by_name: BTreeMap<&str, &'m crate::model::NamedRule> =
        model.rules.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut used = BTreeSet::new();
    while let Some(name) = pending.pop() {
        let Some(rule) = by_name.get(name.as_str()) else {
            continue;
        };
        if used.insert(rule.name.as_str()) {
            named_in(&rule.rule, &mut pending);
        }
    }
    used
}

/// Builds the index of the types crate's models; kept apart so [`Checks`] can borrow it.
pub fn index<'t>(types: &'t syn::File, model: &'t ApiModel, types_crate: &str) -> Index<'t> {
    Index::new(types, model, types_crate)
}

/// Rules by component name.
pub fn named(model: &ApiModel) -> BTreeMap<&str, &Rule> {
    model.rules.iter().map(|r| (r.name.as_str(), &r.rule)).collect()
}
