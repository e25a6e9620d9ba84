//! Synthetic specs for the regen benchmark: the committed cache spec replicated under renamed
//! paths, operations and components until it has the wanted number of operations.
//!
//! Copy 0 is the spec itself. Copy `i` moves every path `/zones/{zone_id}/rest` to
//! `/zones/{zone_id}/r{i}/rest`, suffixes every operationId with `_{i}` and every component
//! (schemas, parameters, responses) with `R{i}`, rewriting each `$ref` to match. The last copy
//! is cut short so the total is exact; components only it would have used are then unused,
//! as in a real spec that declares more than it needs.

use serde_json::{Map, Value};

/// Component sections whose entries are renamed per copy.
const RENAMED_SECTIONS: [&str; 3] = ["schemas", "parameters", "responses"];
/// HTTP methods a path item can hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Number of operations in `spec`.
pub fn operation_count(spec: &Value) -> usize {
    spec.get("paths")
        .and_then(Value::as_object)
        .map(|paths| {
            paths
                .values()
                .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
                .sum()
        })
        .unwrap_or(0)
}

/// A spec with exactly `operations` operations made from copies of `spec` (YAML or JSON
/// text), returned as YAML text.
pub fn replicate(spec: &str, operations: usize) -> String {
    let original: Value = serde_yaml::from_str(spec).expect("the spec parses");
    let per_copy = operation_count(&original);
    assert!(per_copy > 0, "the spec has no operations to replicate");
    let mut out = original.clone();
    let mut paths = Map::new();
    let mut sections: Vec<Map<String, Value>> = vec![Map::new(); RENAMED_SECTIONS.len()];
    let mut remaining = operations;
    let mut copy = 0;
    while remaining > 0 {
        let suffix = if copy == 0 {
            String::new()
        } else {
            format!("R{copy}")
        };
        let mut renamed = original.clone();
        rewrite_refs(&mut renamed, &suffix);
        for (section, out) in RENAMED_SECTIONS.iter().zip(&mut sections) {
            let Some(entries) = renamed
                .pointer(&format!("/components/{section}"))
                .and_then(Value::as_object)
            else {
                continue;
            };
            for (name, entry) in entries {
                out.insert(format!("{name}{suffix}"), entry.clone());
            }
        }
        let copy_paths = renamed
            .get("paths")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (path, item) in copy_paths {
            if remaining == 0 {
                break;
            }
            let mut item = item;
            let Some(map) = item.as_object_mut() else { continue };
            for method in METHODS {
                let Some(op) = map.get_mut(method) else { continue };
                if remaining == 0 {
                    map.remove(method);
                    continue;
                }
                remaining -= 1;
                if copy > 0
                    && let Some(Value::String(id)) = op.get_mut("operationId")
                {
                    id.push_str(&format!("_{copy}"));
                }
            }
            paths.insert(moved_path(&path, copy), item);
        }
        copy += 1;
    }
    out["paths"] = Value::Object(paths);
    for (section, entries) in RENAMED_SECTIONS.iter().zip(sections) {
        if out.pointer(&format!("/components/{section}")).is_some() {
            out["components"][*section] = Value::Object(entries);
        }
    }
    serde_yaml::to_string(&out).expect("a JSON value is valid YAML")
}

fn moved_path(path: &str, copy: usize) -> String {
    if copy == 0 {
        return path.to_string();
    }
    const ZONE: &str = "/zones/{zone_id}";
    match path.strip_prefix(ZONE) {
        Some(rest) => format!("{ZONE}/r{copy}{rest}"),
        None => format!("/r{copy}{path}"),
    }
}

/// Appends `suffix` to the name in every `#/components/{section}/NAME` reference.
fn rewrite_refs(value: &mut Value, suffix: &str) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => {
                        let renamed = RENAMED_SECTIONS
                            .iter()
                            .any(|s| target.starts_with(&format!("#/components/{s}/")));
                        if renamed {
                            target.push_str(suffix);
                        }
                    }
                    (_, child) => rewrite_refs(child, suffix),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, suffix)),
        _ => {}
    }
}
