//! How names in the spec become Rust identifiers: deterministic, never dropped, and the same
//! rules progenitor and typify apply, so the names we compute match the items they emit.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// `purge-cache`, `PurgeCache`, `purge cache` -> `purge_cache`; keywords get a trailing `_`.
pub fn snake_ident(input: &str) -> String {
    let out = to_ident_case(input, ToSnakeCase::to_snake_case);
    if typify::accept_as_ident(&out) {
        out
    } else {
        format!("{out}_")
    }
}

/// `cache_cache-reserve`, `cache reserve` -> `CacheCacheReserve`. A name that is a keyword
/// even in Pascal case (`Self`) gets a `Schema` suffix.
pub fn pascal_ident(input: &str) -> String {
    let out = to_ident_case(input, ToUpperCamelCase::to_upper_camel_case);
    if typify::accept_as_ident(&out) {
        out
    } else {
        format!("{out}Schema")
    }
}

fn to_ident_case(input: &str, case: fn(&str) -> String) -> String {
    let dashed: String = input
        .replace('\'', "")
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '_' { c } else { '-' })
        .collect();
    let out = case(&dashed);
    match out.chars().next() {
        None => case("x"),
        // An identifier cannot start with a digit; a letter prefix keeps it a plain name.
        Some(c) if c.is_ascii_digit() => format!("{}{out}", case("n")),
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
}
