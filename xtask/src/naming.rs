//! How names in the spec become Rust identifiers: deterministic, never dropped, and always a
//! valid identifier whatever the spec says (keywords, leading digits, non-Latin scripts).
//!
//! Our names (operations, schemas, enum variants) are chosen here and handed to progenitor and
//! typify already valid, so they keep them. Names those tools choose themselves (struct fields,
//! method arguments) are predicted by [`field_ident`] and [`param_ident`], which mirror their
//! rules, so the code we emit beside theirs refers to the same items.

use heck::{ToSnakeCase, ToUpperCamelCase};
use unicode_ident::{is_xid_continue, is_xid_start};

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
    let out = to_ident_case(input, ToUpperCamelCase::to_upper_camel_case, "N");
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
    fn field_and_argument_names_follow_typify_and_progenitor() {
        assert_eq!(field_ident("fooBar"), "foo_bar");
        assert_eq!(field_ident("type"), "type_");
        assert_eq!(field_ident("2fa"), "x2fa");
        assert_eq!(param_ident("2fa"), "_2fa");
        assert_eq!(param_ident("x-trace"), "x_trace");
        assert_eq!(param_ident("-1"), "minus1");
    }
}
