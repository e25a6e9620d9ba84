//! String enums: component-level ones registered as they are, inline ones hoisted into
//! components named after where they sit, so each becomes one open Rust enum.

use serde_json::{Value, json};

use super::{Normaliser, SCHEMA_REF, description_of};
use crate::model::StringEnum;
use crate::naming::pascal_ident;

impl Normaliser<'_> {
    /// Registers every string enum: component-level ones as they are, inline ones hoisted into
    /// components named after where they sit (`ReserveClearStatus.state` -> `ReserveClearStatusState`).
    pub(super) fn hoist_string_enums(&mut self) -> Vec<StringEnum> {
        let mut enums = Vec::new();
        // Components are visited in name order, so when two hoisted enums want one name the
        // suffixes (`wanted2`, ...) go the same way on every run.
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
            let mut found = Vec::new();
            hoist_inline_enums(&mut schema, &name, true, &mut found);
            for (wanted, enum_schema, slot) in found {
                let description = description_of(&enum_schema);
                let values = string_enum_values(&enum_schema).unwrap_or_default();
                let hoisted = self.insert_unique(wanted, enum_schema);
                set_slot(&mut schema, &slot, &hoisted);
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

/// A path to a nested schema slot, so a hoisted schema can be swapped for its reference.
type Slot = Vec<String>;

pub(super) fn hoist_inline_enums(schema: &mut Value, context: &str, top: bool, found: &mut Vec<(String, Value, Slot)>) {
    walk_children(schema, context, Vec::new(), top, found);
}

pub(super) fn walk_children(
    schema: &Value,
    context: &str,
    slot: Slot,
    top: bool,
    found: &mut Vec<(String, Value, Slot)>,
) {
    if !top && string_enum_values(schema).is_some() {
        found.push((context.to_string(), schema.clone(), slot));
        return;
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (key, child) in props {
            let mut s = slot.clone();
            s.extend(["properties".to_string(), key.clone()]);
            walk_children(child, &format!("{context}{}", pascal_ident(key)), s, false, found);
        }
    }
    if let Some(items) = schema.get("items") {
        let mut s = slot.clone();
        s.push("items".into());
        walk_children(items, &format!("{context}Item"), s, false, found);
    }
    if let Some(extra) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        let mut s = slot.clone();
        s.push("additionalProperties".into());
        walk_children(extra, &format!("{context}Value"), s, false, found);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(members) = schema.get(key).and_then(Value::as_array) {
            for (i, member) in members.iter().enumerate() {
                let mut s = slot.clone();
                s.extend([key.to_string(), i.to_string()]);
                let name = if members.len() == 1 {
                    context.to_string()
                } else {
                    format!("{context}Variant{i}")
                };
                walk_children(member, &name, s, false, found);
            }
        }
    }
}

pub(super) fn set_slot(schema: &mut Value, slot: &Slot, component: &str) {
    let mut target = schema;
    for step in slot {
        target = match target {
            Value::Array(items) => match step.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(next) => next,
                None => return,
            },
            Value::Object(map) => match map.get_mut(step) {
                Some(next) => next,
                None => return,
            },
            _ => return,
        };
    }
    let nullable = target.get("nullable").and_then(Value::as_bool) == Some(true)
        || target
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|v| v.contains(&Value::Null));
    let description = target.get("description").cloned();
    let reference = json!({"$ref": format!("{SCHEMA_REF}{component}")});
    *target = if nullable {
        json!({"nullable": true, "allOf": [reference]})
    } else {
        reference
    };
    if let (Some(d), Some(obj)) = (description, target.as_object_mut())
        && nullable
    {
        obj.insert("description".into(), d);
    }
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
