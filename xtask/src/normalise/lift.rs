//! The last pass before progenitor: validation keywords lifted out of the types (they became
//! rules) and closedness dropped, so a model reads what the server sends.

use serde_json::{Map, Value, json};

use super::SCHEMA_REF;
use super::walk::{Next, walk_mut};
use crate::naming::short_hash;

/// Schema keywords that become runtime validation rather than Rust types: typify would turn
/// them into newtypes that also reject out-of-range values coming *from* the server.
const LIFTED_KEYWORDS: [&str; 13] = [
    "maxLength",
    "minLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
];
/// Formats typify maps to types we want; any other format is read as a plain string.
const KEPT_FORMATS: [&str; 7] = ["date-time", "date", "ip", "ipv4", "ipv6", "int32", "int64"];

/// Removes the validation keywords (they become runtime checks) and closedness (a tolerant
/// reader keeps working when the server adds fields), recursively through the schema.
pub(super) fn lift_constraints(schema: &mut Value) {
    walk_mut(schema, &mut |_, node| {
        let Some(map) = node.as_object_mut() else {
            return Next::Descend;
        };
        for key in LIFTED_KEYWORDS {
            map.remove(key);
        }
        // A default is the server's business: a field it leaves out decodes as `None`, and a
        // default that does not fit its schema (Cloudflare's spec has dozens: `"true"` for a
        // boolean) cannot stop typify.
        map.remove("default");
        if map.get("additionalProperties") == Some(&Value::Bool(false)) {
            map.remove("additionalProperties");
        }
        if let Some(format) = map.get("format").and_then(Value::as_str)
            && !KEPT_FORMATS.contains(&format)
        {
            map.remove("format");
        }
        Next::Descend
    });
}

/// Components that are a nullable `oneOf`/`anyOf` become a nullable reference to the union
/// itself, under `{name}Inner`: typify names the union and its `Option` wrapper alike
/// otherwise, and the two definitions clash.
pub(super) fn split_nullable_unions(schemas: &mut Map<String, Value>) {
    let names: Vec<String> = schemas
        .iter()
        .filter(|(_, s)| {
            s.get("nullable") == Some(&Value::Bool(true))
                && (s.get("oneOf").is_some() || s.get("anyOf").is_some())
        })
        .map(|(name, _)| name.clone())
        .collect();
    for name in names {
        let mut inner_name = format!("{name}Inner");
        while schemas.contains_key(&inner_name) {
            inner_name = format!("{inner_name} {}", short_hash(&name));
            inner_name = crate::naming::pascal_ident(&inner_name);
        }
        let Some(mut inner) = schemas.remove(&name) else {
            continue;
        };
        let description = inner.get("description").cloned();
        if let Some(map) = inner.as_object_mut() {
            map.remove("nullable");
        }
        let mut outer = json!({"nullable": true, "allOf": [{"$ref": format!("{SCHEMA_REF}{inner_name}")}]});
        if let (Some(d), Some(map)) = (description, outer.as_object_mut()) {
            map.insert("description".into(), d);
        }
        schemas.insert(inner_name, inner);
        schemas.insert(name, outer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lifting_removes_validation_keywords_but_keeps_property_names() {
        let mut schema = json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "pattern": {"type": "string", "maxLength": 32, "pattern": "^a$"},
                "ids": {"type": "array", "maxItems": 100, "items": {"type": "string", "format": "uri", "minLength": 1}},
                "at": {"type": "string", "format": "date-time"}
            }
        });
        lift_constraints(&mut schema);
        assert_eq!(
            schema,
            json!({
                "type": "object",
                "properties": {
                    "pattern": {"type": "string"},
                    "ids": {"type": "array", "items": {"type": "string"}},
                    "at": {"type": "string", "format": "date-time"}
                }
            })
        );
    }
}
