//! References: every `$ref` checked to point inside the document without looping, and
//! component schemas given their Rust names with every reference rewritten to match.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::walk::{Next, pointer, walk, walk_mut};
use super::{SCHEMA_REF, escape, unescape};
use crate::error::{GenError, Result};
use crate::naming::{distinct, pascal_ident};

/// Every `$ref` must point inside the document, and no chain of pure references may loop.
pub(super) fn check_refs(doc: &Value, spec_name: &str) -> Result<()> {
    let refs = collect_refs_with_place(doc);
    for (place, target) in &refs {
        let mut seen = vec![target.clone()];
        let mut current = target.clone();
        loop {
            let Some(pointer) = current.strip_prefix('#') else {
                return Err(GenError::at(
                    format!("{spec_name}: {place}"),
                    format!("external $ref `{current}` is not supported; inline it into the spec"),
                ));
            };
            let Some(found) = doc.pointer(pointer) else {
                return Err(GenError::at(
                    format!("{spec_name}: {place}"),
                    format!("$ref `{current}` points at nothing (dangling reference)"),
                ));
            };
            match found.get("$ref").and_then(Value::as_str) {
                Some(next) if seen.iter().any(|s| s == next) => {
                    seen.push(next.to_string());
                    return Err(GenError::at(
                        format!("{spec_name}: {place}"),
                        format!("circular $ref chain: {}", seen.join(" -> ")),
                    ));
                }
                Some(next) => {
                    seen.push(next.to_string());
                    current = next.to_string();
                }
                None => break,
            }
        }
    }
    Ok(())
}

/// Every `$ref` under `value` with the JSON pointer of the object holding it.
fn collect_refs_with_place(value: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(value, &mut |path, node| {
        if let Some(Value::String(target)) = node.get("$ref") {
            out.push((pointer("#", path), target.clone()));
        }
    });
    out
}

/// Gives every component schema its Rust name (colliding ones told apart by
/// [`distinct`]'s rule) and rewrites the references to match.
pub(super) fn rename_schemas(mut doc: Value) -> Value {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return doc;
    };
    let old: Vec<&str> = schemas.keys().map(String::as_str).collect();
    let names = distinct(&old, pascal_ident, &[]);
    let mut renames = BTreeMap::new();
    let mut renamed = Map::new();
    for (old, schema) in std::mem::take(schemas) {
        let new = names.get(&old).cloned().unwrap_or_else(|| pascal_ident(&old));
        renames.insert(
            format!("{SCHEMA_REF}{}", escape(&old)),
            format!("{SCHEMA_REF}{new}"),
        );
        renamed.insert(new, schema);
    }
    *schemas = renamed;
    rewrite_refs(&mut doc, &renames);
    doc
}

pub(super) fn rewrite_refs(value: &mut Value, renames: &BTreeMap<String, String>) {
    walk_mut(value, &mut |_, node| {
        if let Some(Value::String(target)) = node.get_mut("$ref")
            && let Some(new) = renames.get(target.as_str())
        {
            *target = new.clone();
        }
        Next::Descend
    });
}

/// The component schemas `value` refers to, by name.
pub(super) fn collect_schema_refs(value: &Value, out: &mut Vec<String>) {
    walk(value, &mut |_, node| {
        if let Some(Value::String(target)) = node.get("$ref")
            && let Some(name) = target.strip_prefix(SCHEMA_REF)
        {
            out.push(unescape(name));
        }
    });
}
