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

/// Renames the properties of every object under `value` whose fields would collide.
pub(super) fn separate_fields(value: &mut Value, placeholders: &mut Placeholders) {
    walk_mut(value, &mut |_, node| {
        if let Some(Value::Object(properties)) = node.get_mut("properties") {
            separate(properties, placeholders);
        }
        Next::Descend
    });
}

fn separate(properties: &mut Map<String, Value>, placeholders: &mut Placeholders) {
    let wires: Vec<&str> = properties.keys().map(String::as_str).collect();
    let idents = distinct(&wires, field_ident, &[]);
    let renamed: Vec<(String, String)> = idents
        .into_iter()
        .filter(|(wire, ident)| field_ident(wire) != *ident)
        .collect();
    if renamed.is_empty() {
        return;
    }
    for (wire, ident) in renamed {
        if let Some(schema) = properties.remove(&wire) {
            properties.insert(placeholders.add(&ident, &wire), schema);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn colliding_properties_get_placeholders_that_become_the_chosen_fields() {
        let mut schema = json!({"type": "object", "properties": {"<=1y": {}, ">1y": {}, "total": {}}});
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
    }
}
