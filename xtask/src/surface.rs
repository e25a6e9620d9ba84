//! After a regen, what changed in the API surface: operations and types added, removed or
//! changed, so a maintainer sees the consequence of a spec edit without reading the diff.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quote::ToTokens;

/// Public items of one generation, by kind then name, with a comparable rendering each.
#[derive(Default, Debug, PartialEq)]
pub struct Surface {
    operations: BTreeMap<String, String>,
    types: BTreeMap<String, String>,
}

impl Surface {
    /// Reads the surface from the operations and types files' text (absent or unparsable
    /// files give an empty surface: everything then counts as added).
    pub fn read(operations: Option<&str>, types: Option<&str>) -> Self {
        let mut surface = Surface::default();
        if let Some(file) = operations.and_then(|t| syn::parse_file(t).ok()) {
            for item in file.items {
                let syn::Item::Impl(imp) = item else { continue };
                for inner in imp.items {
                    if let syn::ImplItem::Fn(f) = inner {
                        surface
                            .operations
                            .insert(f.sig.ident.to_string(), f.sig.to_token_stream().to_string());
                    }
                }
            }
        }
        if let Some(file) = types.and_then(|t| syn::parse_file(t).ok()) {
            for item in file.items {
                let (name, mut item) = match item {
                    syn::Item::Struct(s) => (s.ident.to_string(), syn::Item::Struct(s)),
                    syn::Item::Enum(e) => (e.ident.to_string(), syn::Item::Enum(e)),
                    _ => continue,
                };
                strip_docs(&mut item);
                surface.types.insert(name, item.to_token_stream().to_string());
            }
        }
        surface
    }

    /// A human summary of `self -> new`, or `None` when nothing public changed.
    pub fn diff(&self, new: &Surface) -> Option<String> {
        let mut out = String::new();
        describe("operation", &self.operations, &new.operations, &mut out);
        describe("type", &self.types, &new.types, &mut out);
        (!out.is_empty()).then_some(out)
    }
}

/// The operations `--skip-unsupported` left out, grouped by class, each with its reason
/// (empty when none were).
pub fn skipped_listing(skipped: &[crate::Skipped]) -> String {
    let mut out = String::new();
    if skipped.is_empty() {
        return out;
    }
    let mut by_class: BTreeMap<&str, Vec<&crate::Skipped>> = BTreeMap::new();
    for s in skipped {
        by_class.entry(s.class).or_default().push(s);
    }
    let _ = writeln!(out, "skipped operations ({}), by class:", skipped.len());
    for (class, ops) in by_class {
        let _ = writeln!(out, "  {class} ({}):", ops.len());
        for op in ops {
            let _ = writeln!(out, "    {} ({}): {}", op.operation, op.route, op.reason);
        }
    }
    out
}

fn describe(kind: &str, old: &BTreeMap<String, String>, new: &BTreeMap<String, String>, out: &mut String) {
    let added: Vec<&str> = new
        .keys()
        .filter(|k| !old.contains_key(*k))
        .map(String::as_str)
        .collect();
    let removed: Vec<&str> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .map(String::as_str)
        .collect();
    let changed: Vec<&str> = new
        .iter()
        .filter(|(k, v)| old.get(*k).is_some_and(|o| o != *v))
        .map(|(k, _)| k.as_str())
        .collect();
    for (label, names) in [("added", added), ("removed", removed), ("changed", changed)] {
        if !names.is_empty() {
            let _ = writeln!(out, "  {kind}s {label} ({}): {}", names.len(), names.join(", "));
        }
    }
}

fn strip_docs(item: &mut syn::Item) {
    let keep = |attrs: &mut Vec<syn::Attribute>| attrs.retain(|a| !a.path().is_ident("doc"));
    match item {
        syn::Item::Struct(s) => {
            keep(&mut s.attrs);
            s.fields.iter_mut().for_each(|f| keep(&mut f.attrs));
        }
        syn::Item::Enum(e) => {
            keep(&mut e.attrs);
            e.variants.iter_mut().for_each(|v| keep(&mut v.attrs));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_added_removed_and_changed_items_but_not_doc_edits() {
        let old = Surface::read(
            Some("impl Client { pub async fn a(&self) {} pub async fn b(&self) {} }"),
            Some("/// one\npub struct T { x: u8 } pub struct U;"),
        );
        let new = Surface::read(
            Some("impl Client { pub async fn a(&self, z: &str) {} pub async fn c(&self) {} }"),
            Some("/// two\npub struct T { x: u8 } pub enum V { A }"),
        );
        let diff = old.diff(&new).expect("something changed");
        assert_eq!(
            diff,
            "  operations added (1): c\n  operations removed (1): b\n  operations changed (1): a\n\
             \x20 types added (1): V\n  types removed (1): U\n"
        );
        assert_eq!(new.diff(&new), None);
    }
}
