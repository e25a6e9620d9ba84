//! Reads the validation keywords of request schemas (`maxLength`, `pattern`, `minimum`,
//! `maxItems`, `format`, ...) into [`Rule`] trees before `normalise` lifts them out of the
//! types. The runtime checks requests against these rules before sending, so every limit is
//! written once, in the spec.

use serde_json::Value;

use crate::error::{GenError, Result};
use crate::model::{Property, Rule};

const SCHEMA_REF: &str = "#/components/schemas/";

/// String formats the runtime checks, with the runtime's `validate::leaf::Format` variant for each.
/// Formats typify turns into types (`ip`, `date-time`, ...) are enforced by those types; any
/// other format is descriptive only.
pub const CHECKED_FORMATS: [(&str, &str); 5] = [
    ("uri", "Uri"),
    ("http-url", "HttpUrl"),
    ("hostname", "Hostname"),
    ("cache-tag", "CacheTag"),
    ("url-prefix", "UrlPrefix"),
];

/// The rule `schema` states. `$ref`s to component schemas become [`Rule::Named`]; `place`
/// names the schema in errors (a pattern our regex engine cannot compile, say).
pub fn rule_of(schema: &Value, place: &str) -> Result<Rule> {
    let Some(map) = schema.as_object() else {
        return Ok(Rule::Any);
    };
    if let Some(target) = map.get("$ref").and_then(Value::as_str) {
        return Ok(match target.strip_prefix(SCHEMA_REF) {
            Some(name) => Rule::Named(name.to_string()),
            None => Rule::Any,
        });
    }
    let rule = if let Some(members) = map.get("allOf").and_then(Value::as_array) {
        combine(members, place, "allOf", Rule::AllOf)?
    } else if let Some(members) = map.get("oneOf").and_then(Value::as_array) {
        combine(members, place, "oneOf", Rule::OneOf)?
    } else if let Some(members) = map.get("anyOf").and_then(Value::as_array) {
        combine(members, place, "anyOf", Rule::AnyOf)?
    } else {
        match map.get("type").and_then(Value::as_str) {
            Some("string") => string_rule(map, place)?,
            Some(kind @ ("integer" | "number")) => Rule::Number {
                minimum: map.get("minimum").and_then(Value::as_f64),
                maximum: map.get("maximum").and_then(Value::as_f64),
                exclusive_minimum: map.get("exclusiveMinimum") == Some(&Value::Bool(true)),
                exclusive_maximum: map.get("exclusiveMaximum") == Some(&Value::Bool(true)),
                integer: kind == "integer",
            },
            Some("array") => Rule::Array {
                min_items: map.get("minItems").and_then(Value::as_u64),
                max_items: map.get("maxItems").and_then(Value::as_u64),
                items: Box::new(match map.get("items") {
                    Some(items) => rule_of(items, &format!("{place}/items"))?,
                    None => Rule::Any,
                }),
            },
            Some("object") | None if map.contains_key("properties") => object_rule(map, place)?,
            _ => Rule::Any,
        }
    };
    Ok(
        if map.get("nullable") == Some(&Value::Bool(true)) && rule != Rule::Any {
            Rule::Nullable(Box::new(rule))
        } else {
            rule
        },
    )
}

fn combine(members: &[Value], place: &str, keyword: &str, make: fn(Vec<Rule>) -> Rule) -> Result<Rule> {
    let rules = members
        .iter()
        .enumerate()
        .map(|(i, m)| rule_of(m, &format!("{place}/{keyword}/{i}")))
        .collect::<Result<Vec<_>>>()?;
    Ok(if rules.iter().all(|r| *r == Rule::Any) {
        Rule::Any
    } else {
        make(rules)
    })
}

fn string_rule(map: &serde_json::Map<String, Value>, place: &str) -> Result<Rule> {
    let pattern = match map.get("pattern").and_then(Value::as_str) {
        Some(pattern) => {
            // The runtime compiles patterns with regex-lite; refuse here what it cannot read.
            regex_lite::Regex::new(pattern).map_err(|e| {
                GenError::at(
                    format!("{place}/pattern"),
                    format!("pattern `{pattern}` is not supported (must compile as a Rust regex): {e}"),
                )
            })?;
            Some(pattern.to_string())
        }
        None => None,
    };
    let format = map
        .get("format")
        .and_then(Value::as_str)
        .filter(|f| CHECKED_FORMATS.iter().any(|(name, _)| name == f))
        .map(str::to_string);
    Ok(Rule::String {
        min_length: map.get("minLength").and_then(Value::as_u64),
        max_length: map.get("maxLength").and_then(Value::as_u64),
        pattern,
        format,
    })
}

fn object_rule(map: &serde_json::Map<String, Value>, place: &str) -> Result<Rule> {
    let required: Vec<&str> = map
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut properties = Vec::new();
    if let Some(Value::Object(props)) = map.get("properties") {
        for (name, schema) in props {
            properties.push(Property {
                name: name.clone(),
                required: required.contains(&name.as_str()),
                rule: rule_of(schema, &format!("{place}/properties/{name}"))?,
            });
        }
    }
    Ok(Rule::Object { properties })
}

/// Component names `rule` refers to, directly or through nested rules.
pub fn named_in(rule: &Rule, out: &mut Vec<String>) {
    match rule {
        Rule::Named(name) => out.push(name.clone()),
        Rule::Array { items, .. } => named_in(items, out),
        Rule::Object { properties } => properties.iter().for_each(|p| named_in(&p.rule, out)),
        Rule::AllOf(rules) | Rule::OneOf(rules) | Rule::AnyOf(rules) => {
            rules.iter().for_each(|r| named_in(r, out))
        }
        Rule::Nullable(inner) => named_in(inner, out),
        Rule::Any | Rule::String { .. } | Rule::Number { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_keywords_and_checked_formats_are_read() {
        let rule = rule_of(
            &json!({"type": "string", "maxLength": 1024, "minLength": 1, "format": "cache-tag", "pattern": "^a"}),
            "#/x",
        )
        .expect("valid");
        assert_eq!(
            rule,
            Rule::String {
                min_length: Some(1),
                max_length: Some(1024),
                pattern: Some("^a".into()),
                format: Some("cache-tag".into()),
            }
        );
        let typed = rule_of(&json!({"type": "string", "format": "date-time"}), "#/x").expect("valid");
        assert_eq!(
            typed,
            Rule::String {
                min_length: None,
                max_length: None,
                pattern: None,
                format: None
            },
            "formats typify enforces as types are not checked twice"
        );
    }

    #[test]
    fn arrays_objects_and_refs_nest() {
        let rule = rule_of(
            &json!({"type": "object", "required": ["files"], "properties": {
                "files": {"type": "array", "maxItems": 500, "items": {"$ref": "#/components/schemas/Url"}}
            }}),
            "#/x",
        )
        .expect("valid");
        assert_eq!(
            rule,
            Rule::Object {
                properties: vec![Property {
                    name: "files".into(),
                    required: true,
                    rule: Rule::Array {
                        min_items: None,
                        max_items: Some(500),
                        items: Box::new(Rule::Named("Url".into())),
                    },
                }]
            }
        );
        let mut names = Vec::new();
        named_in(&rule, &mut names);
        assert_eq!(names, ["Url"]);
    }

    #[test]
    fn a_pattern_the_runtime_cannot_compile_is_refused_with_its_place() {
        let err = rule_of(
            &json!({"type": "string", "pattern": "(?<=a)b"}),
            "#/components/schemas/X",
        )
        .expect_err("look-behind is not supported");
        let text = err.to_string();
        assert!(text.contains("#/components/schemas/X/pattern"), "{text}");
        assert!(text.contains("(?<=a)b"), "{text}");
    }
}
