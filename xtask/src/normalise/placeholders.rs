//! Names progenitor and typify derive themselves (struct fields from property names, method
//! arguments from query and header parameter names) cannot be chosen through their settings.
//! Where two of them would collide, the spec handed to those tools carries a placeholder
//! instead of the wire name: the identifier we chose (see [`crate::naming::distinct`])
//! followed by punctuation that their identifier rule drops, so they derive exactly that
//! identifier. `emit::wire_names` then puts the wire name back into every string literal
//! (serde renames, query keys, header names) that holds a placeholder.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::walk::{Next, walk_mut};
use crate::naming::{distinct, field_ident};

/// Placeholders handed out so far, each with the wire name it stands for.
#[derive(Debug, Default)]
pub(super) struct Placeholders {
    wire: BTreeMap<String, String>,
}

/// Characters no identifier contains: a placeholder's tail, one per digit of its number.
const MARKS: [char; 10] = ['!', '$', '%', '&', '(', ')', '*', '+', ',', ';'];

impl Placeholders {
    /// A fresh placeholder that turns into `ident` and stands for `wire`.
    pub(super) fn add(&mut self, ident: &str, wire: &str) -> String {
        let number = self.wire.len().to_string();
        let tail: String = number.bytes().map(|d| MARKS[usize::from(d - b'0')]).collect();
        let placeholder = format!("{ident}#{tail}");
        self.wire.insert(placeholder.clone(), wire.to_string());
        placeholder
    }

    /// Placeholder -> wire name, for the emitters.
    pub(super) fn into_map(self) -> BTreeMap<String, String> {
        self.wire
    }
}

/// Renames the properties of every object under `value` whose fields would collide (and
/// their entries in `required`, which typify would otherwise read as further properties).
pub(super) fn separate_fields(value: &mut Value, placeholders: &mut Placeholders) {
    walk_mut(value, &mut |_, node| {
        if let Some(map) = node.as_object_mut() {
            separate(map, placeholders);
        }
        Next::Descend
    });
}

fn separate(object: &mut Map<String, Value>, placeholders: &mut Placeholders) {
    let Some(Value::Object(properties)) = object.get_mut("properties") else {
        return;
    };
    let wires: Vec<&str> = properties.keys().map(String::as_str).collect();
    let renamed: Vec<(String, String)> = distinct(&wires, field_ident, &[])
        .into_iter()
        .filter(|(wire, ident)| field_ident(wire) != *ident)
        .collect();
    let mut placed = Vec::new();
    for (wire, ident) in renamed {
        if let Some(schema) = properties.remove(&wire) {
            let placeholder = placeholders.add(&ident, &wire);
            properties.insert(placeholder.clone(), schema);
            placed.push((wire, placeholder));
        }
    }
    if let Some(Value::Array(required)) = object.get_mut("required") {
        for name in required.iter_mut() {
            if let Some((_, placeholder)) = placed.iter().find(|(wire, _)| name.as_str() == Some(wire)) {
                *name = Value::String(placeholder.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn colliding_properties_get_placeholders_that_become_the_chosen_fields() {
        let mut schema = json!({
            "type": "object",
            "required": ["<=1y", "total"],
            "properties": {"<=1y": {}, ">1y": {}, "total": {}}
        });
        let mut placeholders = Placeholders::default();
        separate_fields(&mut schema, &mut placeholders);
        let keys: Vec<&String> = schema["properties"]
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), 3);
        let map = placeholders.into_map();
        for (placeholder, wire) in &map {
            assert!(keys.contains(&placeholder), "{placeholder}");
            // typify's rule, applied to the placeholder, gives the chosen field.
            let expected = if wire == "<=1y" { "lt_eq_1y" } else { "gt_1y" };
            assert_eq!(field_ident(placeholder), expected);
        }
        assert_eq!(map.len(), 2);
        let required = &schema["required"];
        assert_eq!(required[1], "total");
        assert_eq!(
            map.get(required[0].as_str().unwrap_or_default())
                .map(String::as_str),
            Some("<=1y")
        );
    }
}
