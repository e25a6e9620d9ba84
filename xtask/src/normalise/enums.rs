//! String enums: component-level ones registered as they are, inline ones hoisted into
//! components named after where they sit, so each becomes one open Rust enum.

use serde_json::{Value, json};

use super::walk::{Step, pointer, walk};
use super::{Normaliser, SCHEMA_REF, description_of};
use crate::model::StringEnum;
use crate::naming::pascal_ident;

impl Normaliser<'_> {
    /// Registers every string enum: component-level ones as they are, inline ones hoisted into
    /// components named after where they sit (`ReserveClearStatus.state` -> `ReserveClearStatusState`).
    pub(super) fn hoist_string_enums(&mut self) -> Vec<StringEnum> {
        let mut enums = Vec::new();
        let names: Vec<String> = self.schemas.keys().cloned().collect();
        for name in names {
            let Some(slot) = self.schemas.get_mut(&name) else {
                continue;
            };
            if let Some(values) = string_enum_values(slot) {
                enums.push(StringEnum {
                    description: description_of(slot),
                    name,
                    values,
                });
                continue;
            }
            // Taken out (its name stays taken) so hoisting can insert beside it.
            let mut schema = std::mem::take(slot);
            for (wanted, at) in inline_enums(&schema, &name) {
                let Some(node) = schema.pointer_mut(&at) else {
                    continue;
                };
                let enum_schema = node.take();
                let description = description_of(&enum_schema);
                let values = string_enum_values(&enum_schema).unwrap_or_default();
                let origin = format!("{name}{at}");
                let hoisted = self.insert_unique(wanted, &origin, enum_schema.clone());
                *node = reference_to(&enum_schema, &hoisted);
                enums.push(StringEnum {
                    description,
                    name: hoisted,
                    values,
                });
            }
            self.schemas.insert(name, schema);
        }
        // The order the types file lists them in.
        enums.sort_by(|a, b| a.name.cmp(&b.name));
        enums
    }
}

/// The listed values if `schema` is a string enum (nulls are dropped: they mean "nullable").
pub(super) fn string_enum_values(schema: &Value) -> Option<Vec<String>> {
    let listed = schema.get("enum")?.as_array()?;
    let declared = schema.get("type").and_then(Value::as_str);
    if !matches!(declared, None | Some("string")) {
        return None;
    }
    let mut values = Vec::new();
    for value in listed {
        match value {
            Value::String(s) => {
                if !values.contains(s) {
                    values.push(s.clone());
                }
            }
            Value::Null => {}
            _ => return None,
        }
    }
    (!values.is_empty()).then_some(values)
}

/// The inline string enums of the component `name`, each with the name it is hoisted under
/// and its JSON pointer inside the component. Only enums reached through schema structure
/// (properties, items, map values, combinator members) are named after where they sit.
fn inline_enums(schema: &Value, name: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    walk(schema, &mut |path, node| {
        if path.is_empty()
            || !node.contains_key("enum")
            || string_enum_values(&Value::Object(node.clone())).is_none()
        {
            return;
        }
        if let Some(wanted) = name_at(schema, name, path) {
            found.push((wanted, pointer("", path)));
        }
    });
    found
}

/// `ReserveClearStatus` + `/properties/state` -> `ReserveClearStatusState`; `None` when the
/// path leaves schema structure.
fn name_at(root: &Value, name: &str, path: &[Step<'_>]) -> Option<String> {
    let mut out = name.to_string();
    let mut i = 0;
    while i < path.len() {
        match (path[i], path.get(i + 1)) {
            (Step::Key("properties"), Some(Step::Name(property))) => {
                out.push_str(&pascal_ident(property));
                i += 2;
            }
            (Step::Key("items"), _) => {
                out.push_str("Item");
                i += 1;
            }
            (Step::Key("additionalProperties"), _) => {
                out.push_str("Value");
                i += 1;
            }
            (Step::Key("allOf" | "oneOf" | "anyOf"), Some(Step::Index(member))) => {
                let members = root
                    .pointer(&pointer("", &path[..=i]))
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                if members != 1 {
                    out.push_str(&format!("Variant{member}"));
                }
                i += 2;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// What replaces a hoisted enum: a reference, kept nullable (with its description) if the
/// inline schema was.
fn reference_to(target: &Value, component: &str) -> Value {
    let nullable = target.get("nullable").and_then(Value::as_bool) == Some(true)
        || target
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|v| v.contains(&Value::Null));
    let reference = json!({"$ref": format!("{SCHEMA_REF}{component}")});
    if !nullable {
        return reference;
    }
    let mut wrapped = json!({"nullable": true, "allOf": [reference]});
    if let (Some(d), Some(obj)) = (target.get("description"), wrapped.as_object_mut()) {
        obj.insert("description".into(), d.clone());
    }
    wrapped
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_enums_drop_null_and_reject_mixed_types() {
        assert_eq!(
            string_enum_values(&json!({"type": "string", "enum": ["on", "off", null]})),
            Some(vec!["on".into(), "off".into()])
        );
        assert_eq!(string_enum_values(&json!({"enum": [1, "a"]})), None);
        assert_eq!(
            string_enum_values(&json!({"type": "boolean", "enum": [true]})),
            None
        );
    }
}
