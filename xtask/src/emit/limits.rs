//! `generated/limits.rs`: the bounds the spec states on requests (`maxItems`, `maxLength`,
//! `maximum` and their lower twins) as public constants, so code built on the client (the
//! batchers' chunk sizes, the pager's page size) reads them instead of restating them.
//!
//! A constant is named after where the bound sits: the component, then the properties down to
//! it (`items` for a list's items), then the keyword, with a property that repeats the end of
//! the name before it left out: `PurgeFiles.files` `maxItems` is `PURGE_FILES_MAX_ITEMS`,
//! `PurgeTags.tags[]` `maxLength` is `PURGE_TAGS_ITEMS_MAX_LENGTH`. A parameter's bound is
//! named after the parameter (`PER_PAGE_MAXIMUM`), or after operation and parameter when
//! operations disagree on it. Names that still collide are told apart by `naming::distinct`.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::error::{GenError, Result};
use crate::model::{ApiModel, Rule};
use crate::naming::{distinct, snake_ident};

/// One bound: where it is (wire path segments, then the keyword) and its value.
struct Limit {
    wire: String,
    doc: String,
    value: TokenStream,
}

/// Emits the limits of the components in `components` (those a request can carry) and of
/// every parameter.
pub fn emit(model: &ApiModel, components: &std::collections::BTreeSet<&str>) -> Result<syn::File> {
    let mut limits = Vec::new();
    for rule in model
        .rules
        .iter()
        .filter(|r| components.contains(r.name.as_str()))
    {
        let place = format!("`{}`", rule.name);
        collect(&rule.rule, &mut vec![rule.name.clone()], &place, &mut limits);
    }
    let mut by_name: BTreeMap<&str, Vec<(&str, &str, &Rule)>> = BTreeMap::new();
    for op in &model.operations {
        for p in &op.params {
            by_name
                .entry(&p.api_name)
                .or_default()
                .push((&op.name, &p.api_name, &p.rule));
        }
    }
    for (name, users) in by_name {
        if users.iter().all(|(_, _, rule)| *rule == users[0].2) {
            let place = format!("the parameter `{name}`");
            collect(users[0].2, &mut vec![name.to_string()], &place, &mut limits);
        } else {
            for (op, param, rule) in users {
                let place = format!("the parameter `{param}` of `{op}`");
                collect(
                    rule,
                    &mut vec![op.to_string(), param.to_string()],
                    &place,
                    &mut limits,
                );
            }
        }
    }
    let wires: Vec<&str> = limits.iter().map(|l| l.wire.as_str()).collect();
    let names = distinct(&wires, limit_ident, &[]);
    let mut items: Vec<(String, TokenStream)> = limits
        .iter()
        .map(|l| {
            let name = names
                .get(&l.wire)
                .cloned()
                .unwrap_or_else(|| limit_ident(&l.wire));
            let ident = format_ident!("{}", name);
            let (doc, value) = (&l.doc, &l.value);
            (
                name,
                quote! {
                    #[doc = #doc]
                    pub const #ident: #value;
                },
            )
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let items = items.into_iter().map(|(_, tokens)| tokens);
    let tokens = quote!(#(#items)*);
    syn::parse2(tokens).map_err(|e| GenError::at("limits", format!("internal: emitted invalid Rust: {e}")))
}

/// The bounds `rule` states at `path`, and below it through objects and lists. References to
/// components stop the walk (a component's bounds are its own constants), as do unions.
fn collect(rule: &Rule, path: &mut Vec<String>, place: &str, out: &mut Vec<Limit>) {
    let mut push = |keyword: &str, value: TokenStream, exclusive: bool| {
        let mut wire = path.join("/");
        wire.push('/');
        wire.push_str(keyword);
        let at = if path.len() > 1 && !place.starts_with("the parameter") {
            format!("`{}`", dotted(path))
        } else {
            place.to_string()
        };
        out.push(Limit {
            wire,
            doc: if exclusive {
                format!(
                    " `{keyword}` of {at} (exclusive: the bound itself is refused), as the spec states it."
                )
            } else {
                format!(" `{keyword}` of {at}, as the spec states it.")
            },
            value,
        });
    };
    let count = |n: &u64| {
        let n = usize::try_from(*n).unwrap_or(usize::MAX);
        quote!(usize = #n)
    };
    match rule {
        Rule::String {
            min_length,
            max_length,
            ..
        } => {
            if let Some(n) = min_length {
                push("minLength", count(n), false);
            }
            if let Some(n) = max_length {
                push("maxLength", count(n), false);
            }
        }
        Rule::Number {
            minimum,
            maximum,
            integer,
            exclusive_minimum,
            exclusive_maximum,
        } => {
            let number = |n: f64| {
                // Bounds of integers are integers; one that is not stays an `f64`.
                if *integer && n.fract() == 0.0 && n.abs() < 9.0e15 {
                    let n = n as i64;
                    quote!(i64 = #n)
                } else {
                    quote!(f64 = #n)
                }
            };
            if let Some(n) = minimum {
                push("minimum", number(*n), *exclusive_minimum);
            }
            if let Some(n) = maximum {
                push("maximum", number(*n), *exclusive_maximum);
            }
        }
        Rule::Array {
            min_items,
            max_items,
            items,
        } => {
            if let Some(n) = min_items {
                push("minItems", count(n), false);
            }
            if let Some(n) = max_items {
                push("maxItems", count(n), false);
            }
            path.push("items".into());
            collect(items, path, place, out);
            path.pop();
        }
        Rule::Object { properties } => {
            for p in properties {
                path.push(p.name.clone());
                collect(&p.rule, path, place, out);
                path.pop();
            }
        }
        Rule::Nullable(inner) => collect(inner, path, place, out),
        Rule::Any | Rule::Named(_) | Rule::AllOf(_) | Rule::OneOf(_) | Rule::AnyOf(_) => {}
    }
}

/// `PurgeTags`, `tags`, `items` -> `PurgeTags.tags[]`.
fn dotted(path: &[String]) -> String {
    let mut out = String::new();
    for (i, segment) in path.iter().enumerate() {
        match (i, segment.as_str()) {
            (0, _) => out.push_str(segment),
            (_, "items") => out.push_str("[]"),
            _ => {
                out.push('.');
                out.push_str(segment);
            }
        }
    }
    out
}

/// `PurgeFiles/files/maxItems` -> `PURGE_FILES_MAX_ITEMS`: each segment in upper snake case,
/// a segment that repeats the end of the name so far left out.
fn limit_ident(wire: &str) -> String {
    let mut name = String::new();
    for segment in wire.split('/') {
        let upper = snake_ident(segment).trim_end_matches('_').to_uppercase();
        if upper.is_empty() || name == upper || name.ends_with(&format!("_{upper}")) {
            continue;
        }
        if !name.is_empty() {
            name.push('_');
        }
        name.push_str(&upper);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_leave_out_a_property_that_repeats_its_component() {
        assert_eq!(limit_ident("PurgeFiles/files/maxItems"), "PURGE_FILES_MAX_ITEMS");
        assert_eq!(
            limit_ident("PurgeTags/tags/items/maxLength"),
            "PURGE_TAGS_ITEMS_MAX_LENGTH"
        );
        assert_eq!(limit_ident("per_page/maximum"), "PER_PAGE_MAXIMUM");
        assert_eq!(
            limit_ident("OriginCloudRegionBatchUpsertRequest/maxItems"),
            "ORIGIN_CLOUD_REGION_BATCH_UPSERT_REQUEST_MAX_ITEMS"
        );
    }

    #[test]
    fn places_read_as_paths() {
        let path: Vec<String> = ["PurgeTags", "tags", "items"].map(String::from).to_vec();
        assert_eq!(dotted(&path), "PurgeTags.tags[]");
    }
}
