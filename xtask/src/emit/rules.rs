//! The client's validation rules as static data: one `static` per component a request can
//! carry, per constrained parameter and per inline request body, plus a `Validate` impl per
//! request model so callers (and `cf-cache-ext`'s batchers) can check values the way the
//! client does before sending.

use std::collections::{BTreeMap, BTreeSet};

use heck::ToShoutySnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::constraints::CHECKED_FORMATS;
use crate::constraints::named_in;
use crate::error::{GenError, Result};
use crate::model::{ApiModel, NamedRule, Operation, Rule};

/// Where the façade finds each operation's rules: `None` when nothing needs checking.
#[derive(Default)]
pub struct RuleRefs {
    /// (operation, parameter argument) -> static name.
    pub params: BTreeMap<(String, String), syn::Ident>,
    /// operation -> static name of its body rule.
    pub bodies: BTreeMap<String, syn::Ident>,
}

/// Emits `generated/rules.rs` and tells the façade which statics to use.
pub fn emit(model: &ApiModel) -> Result<(syn::File, RuleRefs)> {
    let named: BTreeMap<&str, &Rule> = model.rules.iter().map(|r| (r.name.as_str(), &r.rule)).collect();
    let mut out = Emitter {
        named: &named,
        patterns: Vec::new(),
    };
    let used = used_components(model, &out);
    let mut statics = Vec::new();
    let mut impls = Vec::new();
    for rule in model.rules.iter().filter(|r| used.contains(r.name.as_str())) {
        let ident = static_ident(&rule.name);
        let value = out.rule(&rule.rule);
        let doc = if rule.has_type {
            format!(" Rule of [`{0}`](crate::types::{0}).", rule.name)
        } else {
            format!(" Rule of the spec's `{}` schema.", rule.name)
        };
        statics.push(quote! {
            #[doc = #doc]
            pub(crate) static #ident: Rule = #value;
        });
        if rule.has_type && is_model_rule(&rule.rule) {
            let ty = format_ident!("{}", rule.name);
            impls.push(quote! {
                impl crate::validate::Validate for crate::types::#ty {
                    fn rule() -> &'static Rule {
                        &#ident
                    }
                }
            });
        }
    }

    let mut refs = RuleRefs::default();
    for (ident, rule, users) in param_rules(&model.operations, &out) {
        let value = out.rule(rule);
        let names: Vec<String> = users.iter().map(|(op, p)| format!("`{p}` of `{op}`")).collect();
        let doc = format!(" Rule of the parameter {}.", names.join(", "));
        statics.push(quote! {
            #[doc = #doc]
            pub(crate) static #ident: Rule = #value;
        });
        for user in users {
            refs.params.insert(user, ident.clone());
        }
    }
    for op in &model.operations {
        let Some(body) = &op.body else { continue };
        if !out.checks_anything(body, 0) {
            continue;
        }
        let ident = match body {
            Rule::Named(name) => static_ident(name),
            inline => {
                let ident = format_ident!("BODY_{}", op.name.to_shouty_snake_case());
                let value = out.rule(inline);
                let doc = format!(" Rule of the request body of `{}`.", op.name);
                statics.push(quote! {
                    #[doc = #doc]
                    pub(crate) static #ident: Rule = #value;
                });
                ident
            }
        };
        refs.bodies.insert(op.name.clone(), ident);
    }

    let patterns = out.patterns.iter().enumerate().map(|(i, source)| {
        let ident = pattern_ident(i);
        quote! { static #ident: Pattern = Pattern::new(#source); }
    });
    let uses_patterns = (!out.patterns.is_empty()).then(|| {
        quote!(
            use crate::validate::Pattern;
        )
    });
    let tokens = quote! {
        #[allow(unused_imports, reason = "which rule kinds appear depends on the spec")]
        use crate::validate::{Format, Property, Rule};
        #uses_patterns

        #(#statics)*
        #(#patterns)*
        #(#impls)*
    };
    let file = syn::parse2(tokens)
        .map_err(|e| GenError::at("rules", format!("internal: emitted invalid Rust: {e}")))?;
    Ok((file, refs))
}

/// Components whose static something refers to: a `Validate` impl, a constrained parameter
/// or body, or another used component.
fn used_components<'m>(model: &'m ApiModel, out: &Emitter<'_>) -> BTreeSet<&'m str> {
    let mut pending: Vec<String> = Vec::new();
    for rule in &model.rules {
        if rule.has_type && is_model_rule(&rule.rule) {
            pending.push(rule.name.clone());
        }
    }
    for op in &model.operations {
        for param in op.params.iter().filter(|p| out.checks_anything(&p.rule, 0)) {
            named_in(&param.rule, &mut pending);
        }
        if let Some(body) = op.body.as_ref().filter(|b| out.checks_anything(b, 0)) {
            named_in(body, &mut pending);
        }
    }
    let by_name: BTreeMap<&str, &'m NamedRule> = model.rules.iter().map(|r| (r.name.as_str(), r)).collect();
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

/// One parameter static: its name, its rule, and the (operation, argument) pairs using it.
type ParamStatic<'m> = (syn::Ident, &'m Rule, Vec<(String, String)>);

/// Distinct rules of constrained parameters: one static per wire name when every operation
/// agrees on its rule (the usual case, e.g. `zone_id`), one per operation otherwise.
fn param_rules<'m>(operations: &'m [Operation], out: &Emitter<'_>) -> Vec<ParamStatic<'m>> {
    let mut by_name: BTreeMap<&str, Vec<(&Operation, &str, &Rule)>> = BTreeMap::new();
    for op in operations {
        for param in &op.params {
            if out.checks_anything(&param.rule, 0) {
                by_name
                    .entry(&param.api_name)
                    .or_default()
                    .push((op, &param.ident, &param.rule));
            }
        }
    }
    let mut result = Vec::new();
    for (name, users) in by_name {
        let shouty = name.to_shouty_snake_case();
        if users.iter().all(|(_, _, rule)| *rule == users[0].2) {
            let keys = users
                .iter()
                .map(|(op, ident, _)| (op.name.clone(), ident.to_string()))
                .collect();
            result.push((format_ident!("PARAM_{}", shouty), users[0].2, keys));
        } else {
            for (op, ident, rule) in users {
                // Named after the argument: one operation may use a wire name twice (`id` in
                // the path and in the query).
                let static_name = format_ident!(
                    "PARAM_{}_{}",
                    op.name.to_shouty_snake_case(),
                    ident.to_shouty_snake_case()
                );
                result.push((static_name, rule, vec![(op.name.clone(), ident.to_string())]));
            }
        }
    }
    result
}

/// Rules worth a `Validate` impl: structured models, not plain strings or enums.
fn is_model_rule(rule: &Rule) -> bool {
    matches!(
        rule,
        Rule::Object { .. } | Rule::Array { .. } | Rule::OneOf(_) | Rule::AnyOf(_) | Rule::AllOf(_)
    )
}

fn static_ident(component: &str) -> syn::Ident {
    format_ident!("{}", component.to_shouty_snake_case())
}

fn pattern_ident(index: usize) -> syn::Ident {
    format_ident!("PATTERN_{}", index + 1)
}

struct Emitter<'m> {
    named: &'m BTreeMap<&'m str, &'m Rule>,
    /// Pattern sources in order of first use; each becomes one compiled-once static.
    patterns: Vec<String>,
}

impl Emitter<'_> {
    fn rule(&mut self, rule: &Rule) -> TokenStream {
        match rule {
            Rule::Any => quote!(Rule::Any),
            Rule::String {
                min_length,
                max_length,
                pattern,
                format,
            } => {
                let min_length = option(min_length.map(|n| quote!(#n)));
                let max_length = option(max_length.map(|n| quote!(#n)));
                let pattern = option(pattern.as_ref().map(|p| {
                    let ident = pattern_ident(self.pattern_index(p));
                    quote!(&#ident)
                }));
                let format = option(format.as_deref().and_then(format_tokens));
                quote! {
                    Rule::String { min_length: #min_length, max_length: #max_length, pattern: #pattern, format: #format }
                }
            }
            Rule::Number {
                minimum,
                maximum,
                exclusive_minimum,
                exclusive_maximum,
            } => {
                let minimum = option(minimum.map(|n| quote!(#n)));
                let maximum = option(maximum.map(|n| quote!(#n)));
                quote! {
                    Rule::Number {
                        minimum: #minimum,
                        maximum: #maximum,
                        exclusive_minimum: #exclusive_minimum,
                        exclusive_maximum: #exclusive_maximum,
                    }
                }
            }
            Rule::Array {
                min_items,
                max_items,
                items,
            } => {
                let min_items = option(min_items.map(|n| quote!(#n)));
                let max_items = option(max_items.map(|n| quote!(#n)));
                let items = self.reference(items);
                quote!(Rule::Array { min_items: #min_items, max_items: #max_items, items: #items })
            }
            Rule::Object { properties } => {
                let props: Vec<TokenStream> = properties
                    .iter()
                    .map(|p| {
                        let name = &p.name;
                        let required = p.required;
                        let rule = self.reference(&p.rule);
                        quote!(Property { name: #name, required: #required, rule: #rule })
                    })
                    .collect();
                quote!(Rule::Object { properties: &[#(#props),*] })
            }
            Rule::AllOf(members) => {
                let members = self.references(members);
                quote!(Rule::AllOf { members: &[#(#members),*] })
            }
            Rule::OneOf(members) => {
                let members = self.references(members);
                quote!(Rule::OneOf { members: &[#(#members),*] })
            }
            Rule::AnyOf(members) => {
                let members = self.references(members);
                quote!(Rule::AnyOf { members: &[#(#members),*] })
            }
            Rule::Nullable(inner) => {
                let inner = self.reference(inner);
                quote!(Rule::Nullable { inner: #inner })
            }
            Rule::Named(name) => {
                let ident = static_ident(name);
                quote!(#ident)
            }
        }
    }

    /// A `&'static Rule`: the component's static, or a nested literal.
    fn reference(&mut self, rule: &Rule) -> TokenStream {
        match rule {
            Rule::Named(name) => {
                let ident = static_ident(name);
                quote!(&#ident)
            }
            other => {
                let value = self.rule(other);
                quote!(&#value)
            }
        }
    }

    fn references(&mut self, rules: &[Rule]) -> Vec<TokenStream> {
        rules.iter().map(|r| self.reference(r)).collect()
    }

    fn pattern_index(&mut self, source: &str) -> usize {
        match self.patterns.iter().position(|p| p == source) {
            Some(i) => i,
            None => {
                self.patterns.push(source.to_string());
                self.patterns.len() - 1
            }
        }
    }

    /// Whether `rule` can ever refuse a value of the right Rust type; `depth` bounds the
    /// walk through (possibly recursive) components.
    fn checks_anything(&self, rule: &Rule, depth: usize) -> bool {
        if depth > 32 {
            return true;
        }
        match rule {
            Rule::Any => false,
            Rule::String {
                min_length,
                max_length,
                pattern,
                format,
            } => min_length.is_some() || max_length.is_some() || pattern.is_some() || format.is_some(),
            Rule::Number { minimum, maximum, .. } => minimum.is_some() || maximum.is_some(),
            Rule::Array {
                min_items,
                max_items,
                items,
            } => min_items.is_some() || max_items.is_some() || self.checks_anything(items, depth + 1),
            Rule::Object { properties } => properties
                .iter()
                .any(|p| self.checks_anything(&p.rule, depth + 1)),
            // Choosing among members is itself a check.
            Rule::OneOf(_) | Rule::AnyOf(_) => true,
            Rule::AllOf(members) => members.iter().any(|m| self.checks_anything(m, depth + 1)),
            Rule::Nullable(inner) => self.checks_anything(inner, depth + 1),
            Rule::Named(name) => self
                .named
                .get(name.as_str())
                .is_some_and(|r| self.checks_anything(r, depth + 1)),
        }
    }
}

fn option(value: Option<TokenStream>) -> TokenStream {
    match value {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

/// `constraints` keeps only checked formats, so the lookup finds one.
fn format_tokens(format: &str) -> Option<TokenStream> {
    CHECKED_FORMATS
        .iter()
        .find(|(name, _)| *name == format)
        .map(|(_, variant)| {
            let variant = format_ident!("{}", variant);
            quote!(Format::#variant)
        })
}
