//! Walks a request value (as JSON) against its [`Rule`] and reports the first violation.
//!
//! Values are checked in their wire form, so a rule written against JSON property names
//! applies whatever Rust names typify chose, and enums of forms (the purge body) are checked
//! by the same `oneOf` logic the spec describes.

use serde_json::Value;

use super::formats;
use super::rule::Rule;

/// Why a value is refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Violation {
    /// Path from the root, e.g. `body.files[3]`.
    pub field: String,
    /// What is wrong.
    pub reason: String,
    /// A wrong shape (missing property, wrong JSON type) rather than a broken limit: when
    /// no member of a `oneOf` fits, a broken limit says more about what the caller meant.
    pub shape: bool,
}

/// Checks `value` against `rule`; `field` names the root in the report.
pub(super) fn walk(rule: &Rule, value: &Value, field: &mut String) -> Result<(), Violation> {
    let refuse = |field: &String, reason: String, shape: bool| {
        Err(Violation {
            field: field.clone(),
            reason,
            shape,
        })
    };
    match rule {
        Rule::Any => Ok(()),
        Rule::String {
            min_length,
            max_length,
            pattern,
            format,
        } => {
            let Some(text) = value.as_str() else {
                return refuse(field, format!("expected a string, found {}", kind(value)), true);
            };
            let chars = text.chars().count() as u64;
            if let Some(min) = min_length
                && chars < *min
            {
                return refuse(
                    field,
                    format!("{} is shorter than {min} characters", preview(text)),
                    false,
                );
            }
            if let Some(max) = max_length
                && chars > *max
            {
                return refuse(
                    field,
                    format!(
                        "{} is {chars} characters long; at most {max} allowed",
                        preview(text)
                    ),
                    false,
                );
            }
            if let Some(format) = format
                && let Err(reason) = formats::check(*format, text)
            {
                return refuse(field, format!("{} {reason}", preview(text)), false);
            }
            if let Some(pattern) = pattern
                && !pattern.is_match(text)
            {
                return refuse(
                    field,
                    format!(
                        "{} does not match the pattern `{}`",
                        preview(text),
                        pattern.source()
                    ),
                    false,
                );
            }
            Ok(())
        }
        Rule::Number {
            minimum,
            maximum,
            exclusive_minimum,
            exclusive_maximum,
        } => {
            let Some(n) = value.as_f64() else {
                return refuse(field, format!("expected a number, found {}", kind(value)), true);
            };
            if let Some(min) = minimum
                && (n < *min || (*exclusive_minimum && n == *min))
            {
                let bound = if *exclusive_minimum {
                    "more than"
                } else {
                    "at least"
                };
                return refuse(field, format!("is {value}; must be {bound} {min}"), false);
            }
            if let Some(max) = maximum
                && (n > *max || (*exclusive_maximum && n == *max))
            {
                let bound = if *exclusive_maximum {
                    "less than"
                } else {
                    "at most"
                };
                return refuse(field, format!("is {value}; must be {bound} {max}"), false);
            }
            Ok(())
        }
        Rule::Array {
            min_items,
            max_items,
            items,
        } => {
            let Some(list) = value.as_array() else {
                return refuse(field, format!("expected an array, found {}", kind(value)), true);
            };
            let len = list.len() as u64;
            if let Some(min) = min_items
                && len < *min
            {
                return refuse(field, format!("has {len} items; at least {min} required"), false);
            }
            if let Some(max) = max_items
                && len > *max
            {
                return refuse(
                    field,
                    format!("has {len} items; at most {max} per request (split larger sets into batches)"),
                    false,
                );
            }
            let root = field.len();
            for (i, item) in list.iter().enumerate() {
                field.push_str(&format!("[{i}]"));
                let checked = walk(items, item, field);
                field.truncate(root);
                checked?;
            }
            Ok(())
        }
        Rule::Object { properties } => {
            let Some(object) = value.as_object() else {
                return refuse(field, format!("expected an object, found {}", kind(value)), true);
            };
            let root = field.len();
            for property in *properties {
                match object.get(property.name) {
                    Some(Value::Null) if !property.required => {}
                    Some(member) => {
                        field.push('.');
                        field.push_str(property.name);
                        let checked = walk(property.rule, member, field);
                        field.truncate(root);
                        checked?;
                    }
                    None if property.required => {
                        return refuse(field, format!("has no `{}`", property.name), true);
                    }
                    None => {}
                }
            }
            Ok(())
        }
        Rule::AllOf { members } => members.iter().try_for_each(|m| walk(m, value, field)),
        Rule::OneOf { members } | Rule::AnyOf { members } => {
            let mut best: Option<Violation> = None;
            for member in *members {
                match walk(member, value, field) {
                    Ok(()) => return Ok(()),
                    Err(v) => {
                        if best.as_ref().is_none_or(|b| better(&v, b)) {
                            best = Some(v);
                        }
                    }
                }
            }
            match best {
                Some(v) => Err(v),
                None => Ok(()),
            }
        }
        Rule::Nullable { inner } => match value {
            Value::Null => Ok(()),
            other => walk(inner, other, field),
        },
    }
}

/// Whether `a` explains a failed `oneOf` better than `b`: a broken limit beats a wrong shape,
/// then the deeper place wins (it got further into the value).
fn better(a: &Violation, b: &Violation) -> bool {
    match (a.shape, b.shape) {
        (false, true) => true,
        (true, false) => false,
        _ => a.field.len() > b.field.len(),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The value quoted for a message, cut short so a 10 kB tag does not flood a log.
fn preview(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}...", &text[..cut]),
        None => format!("{text:?}"),
    }
}
