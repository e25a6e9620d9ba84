//! What changed between two surfaces, and which changes break callers.
//!
//! Breaking (code written against the old crates may stop compiling, or stop decoding what
//! it decoded): an operation removed; a parameter added, removed, retyped or moved (Rust has
//! no default arguments, so even an optional parameter changes every call); a result
//! retyped; a type removed or turned into another kind; a field removed or retyped; a field
//! made required; a required field added; any field added to a type callers build (request
//! bodies and what they hold: a struct literal must name every field); an enum value or
//! variant removed or retyped.
//!
//! Compatible: operations and types added; an optional field added to a type only the API
//! sends; enum values and variants added (an open enum already decoded a new value, as
//! `Unknown`). The generated types are not `#[non_exhaustive]`, so a `match` without a
//! wildcard arm, or a struct literal of a response type, still needs updating for those.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::{Field, Operation, Shape, Surface, Variant};

/// One change to the API surface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What changed: ``operation `purge_cache` ``, ``type `OriginCloudRegion` ``.
    pub subject: String,
    /// How: ``field `vendor` removed``.
    pub what: String,
    /// Whether callers may break (a major version bump is due).
    pub breaking: bool,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.what.as_str() {
            "added" | "removed" => write!(f, "{} {}", self.subject, self.what),
            what => write!(f, "{}: {what}", self.subject),
        }
    }
}

pub(super) fn changes(old: &Surface, new: &Surface) -> Vec<Change> {
    let mut out = Vec::new();
    for (name, change) in pair(&old.operations, &new.operations) {
        let subject = format!("operation `{name}`");
        match change {
            (None, Some(_)) => push(&mut out, &subject, "added".into(), false),
            (Some(_), None) => push(&mut out, &subject, "removed".into(), true),
            (Some(before), Some(after)) => operation(&subject, before, after, &mut out),
            (None, None) => {}
        }
    }
    let built = new.built_by_callers();
    for (name, change) in pair(&old.types, &new.types) {
        let subject = format!("type `{name}`");
        match change {
            (None, Some(_)) => push(&mut out, &subject, "added".into(), false),
            (Some(_), None) => push(&mut out, &subject, "removed".into(), true),
            (Some(before), Some(after)) => {
                shape(&subject, before, after, built.contains(name.as_str()), &mut out);
            }
            (None, None) => {}
        }
    }
    out
}

fn push(out: &mut Vec<Change>, subject: &str, what: String, breaking: bool) {
    out.push(Change {
        subject: subject.to_string(),
        what,
        breaking,
    });
}

/// A name's entry before and after.
type Sides<'a, T> = (Option<&'a T>, Option<&'a T>);

/// Every name of either map, with its entry on each side.
fn pair<'a, T>(
    old: &'a BTreeMap<String, T>,
    new: &'a BTreeMap<String, T>,
) -> Vec<(&'a String, Sides<'a, T>)> {
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    names
        .into_iter()
        .map(|name| (name, (old.get(name), new.get(name))))
        .collect()
}

fn operation(subject: &str, old: &Operation, new: &Operation, out: &mut Vec<Change>) {
    let before: BTreeMap<String, String> = old.params.iter().cloned().collect();
    let after: BTreeMap<String, String> = new.params.iter().cloned().collect();
    for (param, change) in pair(&before, &after) {
        match change {
            (None, Some(ty)) => push(
                out,
                subject,
                format!("parameter `{param}: {ty}` added (every call must pass it)"),
                true,
            ),
            (Some(ty), None) => push(out, subject, format!("parameter `{param}: {ty}` removed"), true),
            (Some(a), Some(b)) if a != b => {
                push(out, subject, format!("parameter `{param}`: {a} -> {b}"), true)
            }
            _ => {}
        }
    }
    let order = |params: &[(String, String)], keep: &BTreeMap<String, String>| -> Vec<String> {
        params
            .iter()
            .filter(|(p, _)| keep.contains_key(p))
            .map(|(p, _)| p.clone())
            .collect()
    };
    if order(&old.params, &after) != order(&new.params, &before) {
        push(out, subject, "parameters reordered".into(), true);
    }
    if old.result != new.result {
        push(
            out,
            subject,
            format!("result: {} -> {}", old.result, new.result),
            true,
        );
    }
}

fn shape(subject: &str, old: &Shape, new: &Shape, built: bool, out: &mut Vec<Change>) {
    match (old, new) {
        (Shape::Struct(before), Shape::Struct(after)) => fields(subject, before, after, built, out),
        (Shape::Tuple(before), Shape::Tuple(after)) if before != after => {
            push(out, subject, format!("contents: {before} -> {after}"), true);
        }
        (Shape::Tuple(_), Shape::Tuple(_)) => {}
        (
            Shape::Enum {
                variants: before,
                open: was_open,
            },
            Shape::Enum {
                variants: after,
                open,
            },
        ) => {
            variants(subject, before, after, *open, out);
            if *was_open && !*open {
                push(out, subject, "no longer keeps unknown values".into(), true);
            }
        }
        _ => push(out, subject, format!("{} -> {}", old.kind(), new.kind()), true),
    }
}

fn fields(
    subject: &str,
    old: &BTreeMap<String, Field>,
    new: &BTreeMap<String, Field>,
    built: bool,
    out: &mut Vec<Change>,
) {
    for (name, change) in pair(old, new) {
        match change {
            (None, Some(field)) => {
                let (note, breaking) = match (field.required, built) {
                    (true, _) => (", required", true),
                    (false, true) => (" (callers build this type: struct literals must name it)", true),
                    (false, false) => ("", false),
                };
                push(
                    out,
                    subject,
                    format!("field `{name}: {}` added{note}", field.ty),
                    breaking,
                );
            }
            (Some(_), None) => push(out, subject, format!("field `{name}` removed"), true),
            (Some(a), Some(b)) if a.ty != b.ty => {
                push(
                    out,
                    subject,
                    format!("field `{name}`: {} -> {}", a.ty, b.ty),
                    true,
                );
            }
            (Some(a), Some(b)) if a.required != b.required => {
                let (what, breaking) = match b.required {
                    true => ("now required", true),
                    false => ("now optional (defaults when absent)", false),
                };
                push(out, subject, format!("field `{name}` {what}"), breaking);
            }
            _ => {}
        }
    }
}

fn variants(
    subject: &str,
    old: &BTreeMap<String, Variant>,
    new: &BTreeMap<String, Variant>,
    open: bool,
    out: &mut Vec<Change>,
) {
    let kind = if open { "value" } else { "variant" };
    let label = |name: &str, v: &Variant| match &v.wire {
        Some(wire) if wire != name => format!("`{name}` (\"{wire}\")"),
        _ => format!("`{name}`{}", v.payload),
    };
    for (name, change) in pair(old, new) {
        match change {
            (None, Some(v)) => {
                let note = if open {
                    " (older versions decode it as `Unknown`)"
                } else {
                    ""
                };
                push(
                    out,
                    subject,
                    format!("{kind} {} added{note}", label(name, v)),
                    false,
                );
            }
            (Some(v), None) => push(out, subject, format!("{kind} {} removed", label(name, v)), true),
            (Some(a), Some(b)) if a != b => {
                push(
                    out,
                    subject,
                    format!("{kind} {} -> {}", label(name, a), label(name, b)),
                    true,
                );
            }
            _ => {}
        }
    }
}
