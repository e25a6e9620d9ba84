//! The one structural walk over the document (or any part of it). It knows the two things
//! every pass needs and must agree on: which keys hold data rather than schema (their insides
//! are never read as schema), and which keys hold maps of names (a property called `default`
//! or `example` is a property, not a keyword).

use serde_json::{Map, Value};

/// Keys whose values are data: examples, defaults, enum values and extensions (`x-*`).
const DATA_KEYS: [&str; 4] = ["example", "examples", "default", "enum"];

/// Keys whose values map names (properties, paths, status codes, media types, ...) to nodes.
const NAME_MAPS: [&str; 12] = [
    "properties",
    "paths",
    "schemas",
    "responses",
    "parameters",
    "requestBodies",
    "headers",
    "content",
    "encoding",
    "links",
    "callbacks",
    "securitySchemes",
];

/// One step from a node to a child: a keyword, a name in a name map, or an array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step<'a> {
    /// A keyword (`items`, `allOf`, `requestBody`).
    Key(&'a str),
    /// An entry of a name map (a property name, a path, a status code).
    Name(&'a str),
    /// An array element.
    Index(usize),
}

/// What a visitor wants after seeing a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Go on into the node's children.
    Descend,
    /// Leave its children alone (the visitor replaced or consumed the node).
    Skip,
}

fn is_data(key: &str) -> bool {
    DATA_KEYS.contains(&key) || key.starts_with("x-")
}

/// Calls `visit` on every object node under `value` (itself included) with the steps that
/// lead to it, parents before children.
pub(super) fn walk<'v>(value: &'v Value, visit: &mut impl FnMut(&[Step<'v>], &'v Map<String, Value>)) {
    walk_from(value, &mut Vec::new(), visit);
}

fn walk_from<'v>(
    value: &'v Value,
    path: &mut Vec<Step<'v>>,
    visit: &mut impl FnMut(&[Step<'v>], &'v Map<String, Value>),
) {
    match value {
        Value::Object(map) => {
            visit(path, map);
            for (key, child) in map {
                if is_data(key) {
                    continue;
                }
                path.push(Step::Key(key));
                match child {
                    Value::Object(names) if NAME_MAPS.contains(&key.as_str()) => {
                        for (name, node) in names {
                            path.push(Step::Name(name));
                            walk_from(node, path, visit);
                            path.pop();
                        }
                    }
                    _ => walk_from(child, path, visit),
                }
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(Step::Index(i));
                walk_from(child, path, visit);
                path.pop();
            }
        }
        _ => {}
    }
}

/// [`walk`] with the right to change each node (and to stop the walk below it).
pub(super) fn walk_mut(value: &mut Value, visit: &mut impl FnMut(&[Step<'_>], &mut Value) -> Next) {
    walk_mut_from(value, &mut Vec::new(), visit);
}

fn walk_mut_from(
    value: &mut Value,
    path: &mut Vec<Step<'_>>,
    visit: &mut impl FnMut(&[Step<'_>], &mut Value) -> Next,
) {
    if value.is_object() && visit(path, value) == Next::Skip {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if is_data(key) {
                    continue;
                }
                let key: &str = key;
                if NAME_MAPS.contains(&key)
                    && let Value::Object(names) = child
                {
                    for (name, node) in names.iter_mut() {
                        let mut below = path.clone();
                        below.extend([Step::Key(key), Step::Name(name)]);
                        walk_mut_from(node, &mut below, visit);
                    }
                } else {
                    let mut below = path.clone();
                    below.push(Step::Key(key));
                    walk_mut_from(child, &mut below, visit);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                let mut below = path.clone();
                below.push(Step::Index(i));
                walk_mut_from(child, &mut below, visit);
            }
        }
        _ => {}
    }
}

/// The JSON pointer of `path` below `root` (`#` for the document).
pub(super) fn pointer(root: &str, path: &[Step<'_>]) -> String {
    let mut out = root.to_string();
    for step in path {
        out.push('/');
        match step {
            Step::Key(k) | Step::Name(k) => out.push_str(&super::escape(k)),
            Step::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn data_is_never_walked_and_names_are_never_keywords() {
        let doc = json!({
            "properties": {
                "default": {"$ref": "#/a"},
                "example": {"type": "object", "properties": {"enum": {"$ref": "#/b"}}}
            },
            "example": {"$ref": "#/data"},
            "default": {"$ref": "#/data"},
            "x-extra": {"$ref": "#/data"},
            "items": [{"$ref": "#/c"}]
        });
        let mut seen = Vec::new();
        walk(&doc, &mut |path, node| {
            if let Some(Value::String(target)) = node.get("$ref") {
                seen.push((pointer("#", path), target.clone()));
            }
        });
        assert_eq!(
            seen,
            [
                ("#/items/0".to_string(), "#/c".to_string()),
                ("#/properties/default".to_string(), "#/a".to_string()),
                (
                    "#/properties/example/properties/enum".to_string(),
                    "#/b".to_string()
                ),
            ]
        );
    }
}
