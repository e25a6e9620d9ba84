//! How names in the spec become Rust identifiers: deterministic, never dropped, and always a
//! valid identifier whatever the spec says (keywords, leading digits, non-Latin scripts).
//!
//! Our names (operations, schemas, enum variants) are chosen here and handed to progenitor and
//! typify already valid, so they keep them. Names those tools choose themselves (struct fields,
//! method arguments) are predicted by [`field_ident`] and [`param_ident`], which mirror their
//! rules, so the code we emit beside theirs refers to the same items.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};
use sha2::{Digest, Sha256};
use unicode_ident::{is_xid_continue, is_xid_start};

/// Names that collide in one namespace (properties of one object, parameters of one
/// operation, schemas, operations, values of one enum) are told apart by one rule, which reads
/// nothing but each name's own wire text, so a name never moves when unrelated parts of the
/// spec change:
///
/// 1. A wire name whose identifier is unique keeps it.
/// 2. Every member of a colliding group is spelled out instead: the punctuation case
///    conversion drops becomes words (`<=1y` -> `lt_eq_1y`, `>1y` -> `gt_1y`, `*` -> `Star`).
/// 3. Members still colliding after that (`stream_liveInput` and `stream_live_input`) get the
///    first six hex digits of their wire name's SHA-256 appended (`StreamLiveInput3a9f0c`).
///
/// `reserved` names are taken by the generator itself (an open enum's `Unknown`); a wire name
/// landing on one counts as a collision. The wire name itself is kept for serde and the URL.
pub fn distinct(wires: &[&str], case: fn(&str) -> String, reserved: &[&str]) -> BTreeMap<String, String> {
    let mut groups: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for wire in wires {
        groups.entry(case(wire)).or_default().insert(wire);
    }
    let mut out = BTreeMap::new();
    let mut colliding = Vec::new();
    for (ident, members) in &groups {
        if members.len() == 1 && !reserved.contains(&ident.as_str()) {
            out.insert(
                members.iter().next().map_or_else(String::new, |w| w.to_string()),
                ident.clone(),
            );
        } else {
            colliding.extend(members.iter().copied());
        }
    }
    let taken = |ident: &str, out: &BTreeMap<String, String>| {
        reserved.contains(&ident) || out.values().any(|v| v == ident)
    };
    let spelled: Vec<(&str, String)> = colliding.iter().map(|w| (*w, case(&spell(w)))).collect();
    let mut unresolved = Vec::new();
    for (wire, ident) in &spelled {
        let twins = spelled.iter().filter(|(_, other)| other == ident).count();
        if twins == 1 && !taken(ident, &out) && !groups.contains_key(ident) {
            out.insert(wire.to_string(), ident.clone());
        } else {
            unresolved.push(*wire);
        }
    }
    for wire in unresolved {
        let ident = case(&format!("{} {}", case(wire), short_hash(wire)));
        out.insert(wire.to_string(), ident);
    }
    out
}

/// The first six hex digits of the SHA-256 of `text`: a suffix that depends on nothing else.
pub fn short_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(3)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `wire` with the punctuation that case conversion would drop spelled as words.
fn spell(wire: &str) -> String {
    let mut out = String::new();
    for c in wire.chars() {
        let word = match c {
            '<' => "lt",
            '>' => "gt",
            '=' => "eq",
            '!' => "not",
            '+' => "plus",
            '*' => "star",
            '/' => "slash",
            '\\' => "backslash",
            '@' => "at",
            '#' => "hash",
            '$' => "dollar",
            '%' => "percent",
            '&' => "and",
            '|' => "or",
            '~' => "tilde",
            '^' => "caret",
            '?' => "question",
            ':' => "colon",
            ',' => "comma",
            ';' => "semicolon",
            '(' | ')' => "paren",
            '[' | ']' => "bracket",
            '{' | '}' => "brace",
            '.' => "dot",
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push(' ');
        out.push_str(word);
        out.push(' ');
    }
    out
}

/// `purge-cache`, `PurgeCache`, `purge cache` -> `purge_cache`; keywords get a trailing `_`.
pub fn snake_ident(input: &str) -> String {
    let out = to_ident_case(input, ToSnakeCase::to_snake_case, "n");
    if typify::accept_as_ident(&out) {
        out
    } else {
        format!("{out}_")
    }
}

/// `cache_cache-reserve`, `cache reserve` -> `CacheCacheReserve`. A name that is a keyword
/// even in Pascal case (`Self`) gets a `Schema` suffix.
pub fn pascal_ident(input: &str) -> String {
    // Case conversion is not idempotent (`StreamMP4` -> `StreamMp4`), and typify converts the
    // names it is given once more: ours must already be what it would make of them.
    let once = to_ident_case(input, ToUpperCamelCase::to_upper_camel_case, "N");
    let out = to_ident_case(&once, ToUpperCamelCase::to_upper_camel_case, "N");
    if typify::accept_as_ident(&out) {
        out
    } else {
        format!("{out}Schema")
    }
}

/// The struct field typify makes of the property `input` (its `sanitize` in snake case).
pub fn field_ident(input: &str) -> String {
    tool_ident(input, "x")
}

/// The method argument progenitor makes of the parameter `input` (its `sanitize` in snake
/// case; it differs from typify's only in the prefix of a name that cannot start one).
pub fn param_ident(input: &str) -> String {
    tool_ident(input, "_")
}

fn tool_ident(input: &str, prefix: &str) -> String {
    let out = match input {
        "+1" => "plus1".to_string(),
        "-1" => "minus1".to_string(),
        _ => input
            .replace('\'', "")
            .replace(|c: char| !is_xid_continue(c), "-")
            .to_snake_case(),
    };
    let out = match out.chars().next() {
        None => "x".to_string(),
        Some(c) if is_xid_start(c) => out,
        Some(_) => format!("{prefix}{out}"),
    };
    if typify::accept_as_ident(&out) {
        out
    } else {
        format!("{out}_")
    }
}

fn to_ident_case(input: &str, case: fn(&str) -> String, prefix: &str) -> String {
    let dashed: String = input
        .replace('\'', "")
        .chars()
        .map(|c| if is_xid_continue(c) { c } else { '-' })
        .collect();
    let out = case(&dashed);
    match out.chars().next() {
        None => case("x"),
        // An identifier cannot start with a digit (or another character that only continues
        // one, such as U+0663 ARABIC-INDIC DIGIT THREE): a letter prefix keeps it a plain name.
        Some(c) if !is_xid_start(c) => format!("{prefix}{out}"),
        Some(_) => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_become_snake_identifiers() {
        assert_eq!(snake_ident("zone-purge"), "zone_purge");
        assert_eq!(
            snake_ident("origin-cloud-regions-v2-list"),
            "origin_cloud_regions_v2_list"
        );
        assert_eq!(snake_ident("purgeCache"), "purge_cache");
        assert_eq!(snake_ident("type"), "type_");
        assert_eq!(snake_ident("2fa"), "n2fa");
    }

    #[test]
    fn schema_names_become_pascal_identifiers() {
        assert_eq!(pascal_ident("cache_cache-reserve"), "CacheCacheReserve");
        assert_eq!(pascal_ident("ReserveClearStatus"), "ReserveClearStatus");
        assert_eq!(pascal_ident("Self"), "SelfSchema");
        assert_eq!(pascal_ident("3des"), "N3des");
        assert_eq!(pascal_ident("stream_m_p4_downloads"), "StreamMp4Downloads");
        assert_eq!(pascal_ident("StreamMp4Downloads"), "StreamMp4Downloads");
    }

    #[test]
    fn names_in_any_script_become_valid_identifiers() {
        for input in [
            "\u{663}abc",
            "x\u{b2}",
            "\u{e9}t\u{e9}",
            "",
            "--",
            "a b",
            "_",
            "\u{1f600}",
        ] {
            for ident in [
                snake_ident(input),
                pascal_ident(input),
                field_ident(input),
                param_ident(input),
            ] {
                assert!(
                    syn::parse_str::<syn::Ident>(&ident).is_ok(),
                    "{input:?} gave {ident:?}"
                );
            }
        }
        assert_eq!(pascal_ident("\u{663}abc"), "N\u{663}abc");
    }

    #[test]
    fn colliding_names_are_spelled_out_or_hashed_from_their_own_text() {
        let fields = distinct(&["<=1y", ">1y", "total"], field_ident, &[]);
        assert_eq!(fields["<=1y"], "lt_eq_1y");
        assert_eq!(fields[">1y"], "gt_1y");
        assert_eq!(fields["total"], "total");

        let schemas = distinct(
            &["stream_liveInput", "stream_live_input", "other"],
            pascal_ident,
            &[],
        );
        assert!(schemas["stream_liveInput"].starts_with("StreamLiveInput"));
        assert_ne!(schemas["stream_liveInput"], schemas["stream_live_input"]);
        assert_ne!(schemas["stream_liveInput"], "StreamLiveInput");
        assert_eq!(schemas["other"], "Other");

        // Stable: a name's identifier depends on its own text, not on what else is there.
        let more = distinct(
            &["zzz", "stream_live_input", "a", "stream_liveInput"],
            pascal_ident,
            &[],
        );
        assert_eq!(more["stream_liveInput"], schemas["stream_liveInput"]);

        let values = distinct(&["Unknown", "on"], pascal_ident, &["Unknown"]);
        assert_ne!(
            values["Unknown"], "Unknown",
            "the open variant's name is reserved"
        );
        assert_eq!(values["on"], "On");
    }

    #[test]
    fn field_and_argument_names_follow_typify_and_progenitor() {
        assert_eq!(field_ident("fooBar"), "foo_bar");
        assert_eq!(field_ident("type"), "type_");
        assert_eq!(field_ident("2fa"), "x2fa");
        assert_eq!(param_ident("2fa"), "_2fa");
        assert_eq!(param_ident("x-trace"), "x_trace");
        assert_eq!(param_ident("-1"), "minus1");
    }
}
