//! Property tests (proptest):
//! - every model a request or response carries round-trips through JSON, on values generated
//!   from the spec's own schemas (one generic generator, not one strategy per type), and every
//!   operation's decoder accepts every success body the spec allows;
//! - the purge body never serialises to more than one key, whatever it holds;
//! - the models' timestamps accept, and read, exactly what chrono's own `Deserialize` does,
//!   though they take its RFC 3339 parser first;
//! - the validators accept exactly what the documented rules accept: each rule is written
//!   again here, independently, from `../shared/reference/cloudflare-api-facts.md` (and the
//!   spec where the facts are silent), and compared with `validate::check` on generated strings.

use std::collections::BTreeSet;
use std::net::IpAddr;

use cf_cache_client::types::{self, PurgeFileWithHeaders, PurgeRequest};
use cf_cache_client::{__fuzz, validate};
use cf_cache_tests::workspace_root;
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------------------------
// Values shaped by the spec

fn spec() -> &'static Value {
    static SPEC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(workspace_root().join("spec/cloudflare-cache.yaml"))
            .unwrap_or_else(|e| panic!("spec must be readable: {e}"));
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("spec must parse: {e}"))
    })
}

fn component(name: &str) -> &'static Value {
    spec()
        .pointer(&format!("/components/schemas/{name}"))
        .unwrap_or_else(|| panic!("no schema {name}"))
}

fn resolve(schema: &'static Value) -> &'static Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(target) => {
            let pointer = target
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("local $ref: {target}"));
            resolve(
                spec()
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling {target}")),
            )
        }
        None => schema,
    }
}

fn text(chars: &str, len: std::ops::RangeInclusive<usize>) -> BoxedStrategy<String> {
    proptest::string::string_regex(&format!("{chars}{{{},{}}}", len.start(), len.end()))
        .unwrap_or_else(|e| panic!("regex {chars}: {e}"))
        .boxed()
}

fn hostname() -> BoxedStrategy<String> {
    prop::collection::vec("[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", 1..4)
        .prop_map(|labels| labels.join("."))
        .boxed()
}

fn date_time() -> BoxedStrategy<Value> {
    use chrono::SecondsFormat::{AutoSi, Millis, Nanos, Secs};
    // Any instant from 1970 to 2100, with an offset and a fraction as the API may write them.
    (
        0i64..4_102_444_800,
        0u32..1_000_000_000,
        -14i32 * 60..=14 * 60,
        0usize..4,
    )
        .prop_map(|(secs, nanos, offset_minutes, style)| {
            let format = [Secs, Millis, Nanos, AutoSi][style];
            let nanos = match format {
                Secs => 0,
                Millis => nanos - nanos % 1_000_000,
                _ => nanos,
            };
            let (Some(utc), Some(offset)) = (
                chrono::DateTime::from_timestamp(secs, nanos),
                chrono::FixedOffset::east_opt(offset_minutes * 60),
            ) else {
                return json!("1970-01-01T00:00:00Z");
            };
            json!(utc.with_timezone(&offset).to_rfc3339_opts(format, style % 2 == 0))
        })
        .boxed()
}

fn ip_text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|b| IpAddr::from(b).to_string()),
        any::<[u8; 16]>().prop_map(|b| IpAddr::from(b).to_string()),
        any::<[u16; 8]>().prop_map(|g| IpAddr::from(g.map(|x| x % 3)).to_string()),
    ]
    .boxed()
}

fn string_for(schema: &Value) -> BoxedStrategy<Value> {
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = schema
        .get("maxLength")
        .and_then(Value::as_u64)
        .map_or(24, |m| (m as usize).min(24));
    let strings = match schema.get("format").and_then(Value::as_str) {
        Some("date-time") => return date_time(),
        Some("ip") => ip_text(),
        Some("http-url") => (
            prop_oneof!["http", "https", "HTTPS"],
            hostname(),
            text("[a-z0-9/._-]", 0..=20),
        )
            .prop_map(|(scheme, host, path)| format!("{scheme}://{host}/{path}"))
            .boxed(),
        Some("hostname") => hostname(),
        Some("url-prefix") => (hostname(), prop::collection::vec("[a-z0-9._-]{0,6}", 0..5))
            .prop_map(|(host, segments)| segments.iter().fold(host, |acc, s| format!("{acc}/{s}")))
            .boxed(),
        Some("cache-tag") => text("[!-~]", min.max(1)..=max.max(1)),
        _ => text("\\PC", min..=max.max(min)),
    };
    strings.prop_map(Value::String).boxed()
}

/// Values the schema allows, nested at most `depth` references deep. String enums sometimes
/// get an unlisted value: the SDK promises to keep those.
fn json_for(schema: &'static Value, depth: u32) -> BoxedStrategy<Value> {
    let schema = resolve(schema);
    let value = json_for_resolved(schema, depth);
    if schema.get("nullable") == Some(&Value::Bool(true)) {
        prop_oneof![1 => Just(Value::Null), 4 => value].boxed()
    } else {
        value
    }
}

fn json_for_resolved(schema: &'static Value, depth: u32) -> BoxedStrategy<Value> {
    if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
        let options: Vec<BoxedStrategy<Value>> = branches.iter().map(|b| json_for(b, depth)).collect();
        return proptest::strategy::Union::new(options).boxed();
    }
    if let Some(listed) = schema.get("enum").and_then(Value::as_array) {
        let listed: Vec<Value> = listed.iter().filter(|v| !v.is_null()).cloned().collect();
        let pick = proptest::sample::select(listed).boxed();
        return if schema.get("type").and_then(Value::as_str) == Some("string") {
            prop_oneof![4 => pick, 1 => "[A-Z][a-z-]{0,10}".prop_map(Value::String)].boxed()
        } else {
            pick
        };
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => string_for(schema),
        Some("integer") => {
            let min = schema.get("minimum").and_then(Value::as_i64).unwrap_or(i64::MIN);
            let max = schema.get("maximum").and_then(Value::as_i64).unwrap_or(i64::MAX);
            (min..=max).prop_map(Value::from).boxed()
        }
        Some("number") => any::<i32>().prop_map(|n| json!(f64::from(n) / 4.0)).boxed(),
        Some("boolean") => any::<bool>().prop_map(Value::Bool).boxed(),
        Some("array") => {
            let items = schema
                .get("items")
                .map_or_else(|| Just(json!("x")).boxed(), |s| json_for(s, depth));
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
            let max = schema
                .get("maxItems")
                .and_then(Value::as_u64)
                .map_or(4, |m| (m as usize).min(4));
            let unique = schema.get("uniqueItems") == Some(&Value::Bool(true));
            prop::collection::vec(items, min..=max.max(min))
                .prop_map(move |mut items| {
                    if unique {
                        let mut seen = BTreeSet::new();
                        items.retain(|v| seen.insert(v.to_string()));
                    }
                    Value::Array(items)
                })
                .boxed()
        }
        _ => object_for(schema, depth),
    }
}

fn object_for(schema: &'static Value, depth: u32) -> BoxedStrategy<Value> {
    let required: BTreeSet<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields: Vec<BoxedStrategy<Option<(String, Value)>>> = Vec::new();
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            let value = json_for(property, depth.saturating_sub(1));
            let name = name.clone();
            fields.push(if required.contains(name.as_str()) {
                value.prop_map(move |v| Some((name.clone(), v))).boxed()
            } else if depth == 0 {
                Just(None).boxed()
            } else {
                proptest::option::of(value.prop_map(move |v| (name.clone(), v))).boxed()
            });
        }
    }
    let extra = match schema.get("additionalProperties") {
        Some(Value::Bool(false)) => Just(Vec::new()).boxed(),
        Some(extra @ Value::Object(_)) => prop::collection::vec(
            (
                "[A-Za-z][A-Za-z0-9-]{0,10}",
                json_for(extra, depth.saturating_sub(1)),
            ),
            0..3,
        )
        .boxed(),
        // A free-form object (the Reserve Clear body): any small JSON object.
        _ if schema.get("properties").is_none() => prop::collection::vec(
            (
                "[a-z]{1,6}",
                prop_oneof![
                    any::<bool>().prop_map(Value::Bool),
                    "\\PC{0,5}".prop_map(Value::String)
                ],
            ),
            0..3,
        )
        .boxed(),
        _ => Just(Vec::new()).boxed(),
    };
    (fields, extra)
        .prop_map(|(fields, extra)| {
            let mut object = Map::new();
            for (k, v) in extra {
                object.insert(k, v);
            }
            for (k, v) in fields.into_iter().flatten() {
                object.insert(k, v);
            }
            Value::Object(object)
        })
        .boxed()
}

/// The JSON a model writes for `value`, compared with what it read: an absent field, a `null`
/// one and an empty map (`headers: {}`, which models leave out) say the same, and so do two
/// spellings of one instant.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null() && v.as_object().is_none_or(|m| !m.is_empty()))
                .map(|(k, v)| (k.clone(), canonical(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(at) => json!(
                at.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
            ),
            Err(_) => value.clone(),
        },
        other => other.clone(),
    }
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    json: &Value,
) -> Result<(), TestCaseError> {
    let model: T = serde_json::from_value(json.clone())
        .map_err(|e| TestCaseError::fail(format!("the model refuses what the spec allows: {e}\n{json}")))?;
    let written = serde_json::to_value(&model).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(
        canonical(&written),
        canonical(json),
        "JSON changed in a round trip"
    );
    let again: T = serde_json::from_value(written).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(again, model, "value changed in a round trip");
    Ok(())
}

/// Component schemas with a model, each checked by its own proptest.
macro_rules! round_trips {
    ($($ty:ident),* $(,)?) => {
        const MODELS: &[&str] = &[$(stringify!($ty)),*];
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(96))]
            $(
                #[test]
                #[allow(non_snake_case)]
                fn $ty(json in json_for(component(stringify!($ty)), 3)) {
                    round_trip::<types::$ty>(&json)?;
                }
            )*
        }
    };
}

mod models {
    use super::*;

    round_trips!(
        CacheReserveSetting,
        CacheReserveUpdate,
        CloudVendor,
        OriginCloudRegion,
        OriginCloudRegionBatchDeleteRequest,
        OriginCloudRegionBatchFailure,
        OriginCloudRegionBatchResult,
        OriginCloudRegionBatchSuccess,
        OriginCloudRegionBatchUpsertRequest,
        OriginCloudRegionDeleted,
        OriginCloudRegionRequest,
        PurgeFileWithHeaders,
        PurgeRequest,
        PurgeResult,
        RegionalTieredCacheSetting,
        RegionalTieredCacheUpdate,
        ReserveClearRequest,
        ReserveClearState,
        ReserveClearStatus,
        SmartTieredCacheDeleted,
        SmartTieredCacheSetting,
        SmartTieredCacheUpdate,
        SupportedCloudRegion,
        SupportedCloudRegions,
        ToggleValue,
        VariantMimeTypes,
        VariantsDeleted,
        VariantsSetting,
        VariantsUpdate,
        VariantsValue,
    );

    #[test]
    fn every_model_with_a_component_schema_is_round_tripped() {
        let generated =
            std::fs::read_to_string(workspace_root().join("crates/cf-cache-types/src/generated.rs"))
                .unwrap_or_else(|e| panic!("generated models are readable: {e}"));
        let schemas = spec()["components"]["schemas"]
            .as_object()
            .map(|m| m.keys().cloned().collect::<BTreeSet<_>>())
            .unwrap_or_default();
        let models: BTreeSet<String> = generated
            .lines()
            .filter_map(|l| {
                l.strip_prefix("pub struct ")
                    .or_else(|| l.strip_prefix("pub enum "))
            })
            .filter_map(|rest| rest.split(|c: char| !c.is_alphanumeric()).next())
            .map(str::to_string)
            .filter(|name| schemas.contains(name))
            .collect();
        let covered: BTreeSet<String> = MODELS.iter().map(|s| s.to_string()).collect();
        assert_eq!(models, covered, "add new models to round_trips!");
    }
}

/// Each operation's 200 body as the spec describes it.
fn success_bodies() -> Vec<(String, &'static Value)> {
    let mut out = Vec::new();
    for item in spec()["paths"].as_object().into_iter().flat_map(|m| m.values()) {
        for op in item.as_object().into_iter().flat_map(|m| m.values()) {
            let (Some(id), Some(schema)) = (
                op.get("operationId").and_then(Value::as_str),
                op.pointer("/responses/200/content/application~1json/schema"),
            ) else {
                continue;
            };
            out.push((id.to_string(), schema));
        }
    }
    out
}

/// An envelope schema (`allOf` of the common part and the result) as one object schema.
fn merged(schema: &'static Value) -> Value {
    let schema = resolve(schema);
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut parts = vec![schema];
    parts.extend(
        schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(resolve),
    );
    for part in parts {
        if let Some(p) = part.get("properties").and_then(Value::as_object) {
            properties.extend(p.clone());
        }
        if let Some(r) = part.get("required").and_then(Value::as_array) {
            required.extend(r.iter().cloned());
        }
    }
    json!({"type": "object", "properties": properties, "required": required})
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_operation_decodes_every_success_body_the_spec_allows(
        (operation, body) in proptest::sample::select(success_bodies()).prop_flat_map(|(id, schema)| {
            let schema: &'static Value = Box::leak(Box::new(merged(schema)));
            (Just(id), json_for(schema, 3))
        })
    ) {
        let bytes = serde_json::to_vec(&body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let outcomes = __fuzz::decode_all(200, &[], &bytes);
        let outcome = outcomes.iter().find(|(op, _)| *op == operation)
            .ok_or_else(|| TestCaseError::fail(format!("{operation} is not decoded")))?;
        prop_assert!(outcome.1.is_ok(), "{operation}: {:?}\n{body}", outcome.1);
    }
}

// ---------------------------------------------------------------------------------------------
// The purge body

fn any_purge_request() -> impl Strategy<Value = PurgeRequest> {
    let strings = || prop::collection::vec("\\PC{0,12}", 0..4);
    let with_headers = prop::collection::vec(
        (
            "\\PC{0,12}",
            prop::collection::hash_map("\\PC{0,6}", "\\PC{0,6}", 0..3),
        )
            .prop_map(|(url, headers)| PurgeFileWithHeaders { url, headers }),
        0..4,
    );
    prop_oneof![
        Just(PurgeRequest::Everything),
        strings().prop_map(PurgeRequest::Files),
        with_headers.prop_map(PurgeRequest::FilesWithHeaders),
        strings().prop_map(PurgeRequest::Tags),
        strings().prop_map(PurgeRequest::Hosts),
        strings().prop_map(PurgeRequest::Prefixes),
    ]
}

proptest! {
    #[test]
    fn the_purge_body_always_serialises_to_exactly_one_key(body in any_purge_request()) {
        let json = serde_json::to_value(&body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let object = json.as_object().ok_or_else(|| TestCaseError::fail("not an object"))?;
        prop_assert_eq!(object.len(), 1, "{}", json);
        let key = object.keys().next().map(String::as_str);
        let expected = match body {
            PurgeRequest::Everything => "purge_everything",
            PurgeRequest::Files(_) | PurgeRequest::FilesWithHeaders(_) => "files",
            PurgeRequest::Tags(_) => "tags",
            PurgeRequest::Hosts(_) => "hosts",
            PurgeRequest::Prefixes(_) => "prefixes",
        };
        prop_assert_eq!(key, Some(expected));
        // What goes out reads back as a body that writes the same JSON.
        let back: PurgeRequest = serde_json::from_value(json.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(serde_json::to_value(&back).ok(), Some(json));
    }
}

// ---------------------------------------------------------------------------------------------
// Reference predicates, written from the documented rules

mod reference {
    /// Tags: "printable ASCII, no spaces, <= 1,024 chars"; the spec adds at least one.
    pub fn tag(s: &str) -> bool {
        let n = s.chars().count();
        (1..=1024).contains(&n) && s.bytes().all(|b| (0x21..=0x7e).contains(&b)) && s.is_ascii()
    }

    /// Hosts: "bare hostnames" (RFC 1123): dot-separated labels of letters, digits and
    /// hyphens, 1 to 63 long, no hyphen at either end; at most 253 characters, one final dot
    /// allowed (the root).
    pub fn host(s: &str) -> bool {
        let name = match s.as_bytes().last() {
            Some(b'.') => &s[..s.len() - 1],
            _ => s,
        };
        if name.is_empty() || name.len() > 253 {
            return false;
        }
        name.split('.').all(|label| {
            let bytes = label.as_bytes();
            (1..=63).contains(&bytes.len())
                && bytes[0] != b'-'
                && bytes[bytes.len() - 1] != b'-'
                && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        })
    }

    /// Prefixes: "host + path, no scheme/query/fragment, <= 31 path separators"; being URL
    /// text, no whitespace or control characters either.
    pub fn prefix(s: &str) -> bool {
        let host = s.split('/').next().unwrap_or("");
        !host.is_empty()
            && !s.contains("://")
            && !s.contains(['?', '#'])
            && s.matches('/').count() <= 31
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
    }

    /// Files: "full URLs with scheme" (http or https: what Cloudflare caches), a host, no
    /// whitespace. "No wildcards" means `*` is not expanded, not that it is refused: it is a
    /// legal URL character, so it is accepted and purges that literal URL.
    pub fn file(s: &str) -> bool {
        let lower = s.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        let Some(rest) = rest else { return false };
        let host_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        host_len > 0 && !s.chars().any(|c| c.is_whitespace() || c.is_control())
    }

    /// Path identifiers (`zone_id`, `environment_id`): at most 32 characters (the spec), one
    /// path segment (README: never `.`/`..`, `/`, `?`, `#`; nor `\`, which some servers read
    /// as `/`, nor whitespace or control characters, which cannot travel unescaped).
    pub fn identifier(s: &str) -> bool {
        let n = s.chars().count();
        (1..=32).contains(&n)
            && s != "."
            && s != ".."
            && !s
                .chars()
                .any(|c| matches!(c, '/' | '?' | '#' | '\\') || c.is_whitespace() || c.is_control())
    }

    /// IPv4 (RFC 791 dotted quad; decimal octets 0 to 255, no leading zeros, which some
    /// parsers read as octal) or IPv6 (RFC 4291 text form: eight groups of 1 to 4 hex digits,
    /// one `::` for a run of zero groups, an IPv4 tail for the last two). No zone index.
    pub fn ip(s: &str) -> bool {
        ipv4(s) || ipv6(s)
    }

    fn ipv4(s: &str) -> bool {
        let parts: Vec<&str> = s.split('.').collect();
        parts.len() == 4
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.len() <= 3
                    && p.bytes().all(|b| b.is_ascii_digit())
                    && (p.len() == 1 || !p.starts_with('0'))
                    && p.parse::<u16>().is_ok_and(|n| n <= 255)
            })
    }

    fn ipv6(s: &str) -> bool {
        let (head, tail, compressed) = match s.split_once("::") {
            Some((h, t)) if !t.contains("::") => (h, t, true),
            Some(_) => return false,
            None => (s, "", false),
        };
        let groups = |part: &str| -> Option<usize> {
            if part.is_empty() {
                return Some(0);
            }
            let pieces: Vec<&str> = part.split(':').collect();
            let mut count = 0;
            for (i, piece) in pieces.iter().enumerate() {
                if i == pieces.len() - 1 && piece.contains('.') {
                    if !ipv4(piece) {
                        return None;
                    }
                    count += 2;
                } else if (1..=4).contains(&piece.len()) && piece.bytes().all(|b| b.is_ascii_hexdigit()) {
                    count += 1;
                } else {
                    return None;
                }
            }
            Some(count)
        };
        // An IPv4 tail may only end the address.
        if compressed && head.contains('.') {
            return false;
        }
        match (groups(head), groups(tail), compressed) {
            (Some(h), Some(t), true) => h + t <= 7,
            (Some(h), _, false) => h == 8,
            _ => false,
        }
    }
}

/// Strings near the rules' edges: the alphabet mixes the characters the rules care about
/// with ordinary ones, and lengths straddle the limits.
fn edgy(alphabet: &'static str, max: usize) -> BoxedStrategy<String> {
    prop_oneof![
        4 => text(alphabet, 0..=max),
        1 => text("\\PC", 0..=max),
        1 => text(".", 0..=8),
    ]
    .boxed()
}

fn single(body: PurgeRequest) -> bool {
    validate::check(&body).is_ok()
}

/// The generated check of one item of the list `key` (`validate::items`) answers exactly as
/// `validate::check` on a body holding only that item: same verdict, same field, same reason.
fn item_agrees(
    key: &str,
    item: Result<(), cf_cache_client::InvalidRequest>,
    body: &PurgeRequest,
) -> Result<(), TestCaseError> {
    let split = |r: Result<(), cf_cache_client::InvalidRequest>| r.map_err(|e| (e.field, e.reason));
    prop_assert_eq!(split(item), split(validate::check(body)), "{}", key);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn tags_are_accepted_exactly_by_the_documented_rule(
        s in prop_oneof![edgy("[a-zA-Z0-9 :/!~\\t\u{e9}\u{7f}-]", 12), text("[!-~]", 1020..=1030)]
    ) {
        prop_assert_eq!(single(PurgeRequest::Tags(vec![s.clone()])), reference::tag(&s), "{:?}", s);
        item_agrees("tags", validate::items::purge_request_tags(&s), &PurgeRequest::Tags(vec![s.clone()]))?;
    }

    #[test]
    fn hosts_are_accepted_exactly_by_the_documented_rule(
        s in prop_oneof![
            edgy("[a-z0-9.\\-_ /:\u{fc}]", 14),
            (1usize..70, 1usize..6).prop_map(|(n, k)| vec!["a".repeat(n); k].join(".")),
        ]
    ) {
        prop_assert_eq!(single(PurgeRequest::Hosts(vec![s.clone()])), reference::host(&s), "{:?}", s);
        item_agrees("hosts", validate::items::purge_request_hosts(&s), &PurgeRequest::Hosts(vec![s.clone()]))?;
    }

    #[test]
    fn prefixes_are_accepted_exactly_by_the_documented_rule(
        s in prop_oneof![
            edgy("[a-z./:?# \\t]", 14),
            (0usize..40).prop_map(|n| format!("example.com{}", "/a".repeat(n))),
        ]
    ) {
        prop_assert_eq!(single(PurgeRequest::Prefixes(vec![s.clone()])), reference::prefix(&s), "{:?}", s);
        item_agrees("prefixes", validate::items::purge_request_prefixes(&s), &PurgeRequest::Prefixes(vec![s.clone()]))?;
    }

    #[test]
    fn file_urls_are_accepted_exactly_by_the_documented_rule(
        s in prop_oneof![
            edgy("[a-zA-Z:/.?#* ]", 16),
            ("(https?|HTTP|ftp|http:/|)://", "[a-z./?#* \\n]{0,10}").prop_map(|(a, b)| format!("{a}{b}")),
        ]
    ) {
        prop_assert_eq!(single(PurgeRequest::Files(vec![s.clone()])), reference::file(&s), "{:?}", s);
        let file = PurgeFileWithHeaders { url: s.clone(), headers: Default::default() };
        let with_headers = PurgeRequest::FilesWithHeaders(vec![file.clone()]);
        prop_assert_eq!(single(with_headers.clone()), reference::file(&s), "{:?} with headers", s);
        item_agrees("files", validate::items::purge_request_files(&s), &PurgeRequest::Files(vec![s.clone()]))?;
        item_agrees("files", validate::items::purge_request_files_with_headers(&file), &with_headers)?;
    }

    #[test]
    fn identifiers_are_accepted_exactly_by_the_documented_rule(
        s in prop_oneof![edgy("[a-f0-9./?#\\\\ %]", 34), Just(".".to_string()), Just("..".to_string())]
    ) {
        for (operation, param, outcome) in __fuzz::check_path_params(&s) {
            if param == "zone_id" || param == "environment_id" {
                prop_assert_eq!(outcome.is_ok(), reference::identifier(&s), "{}.{} {:?}", operation, param, s);
            }
        }
    }

    #[test]
    fn ip_addresses_parse_exactly_by_the_documented_rule(
        s in prop_oneof![
            edgy("[0-9a-fA-F:.%]", 24),
            ip_text(),
            ip_text().prop_map(|ip| ip.to_uppercase()),
            (any::<[u8; 4]>(), 0usize..4).prop_map(|(b, i)| {
                let mut parts: Vec<String> = b.iter().map(u8::to_string).collect();
                parts[i] = format!("0{}", parts[i]);
                parts.join(".")
            }),
        ]
    ) {
        let parsed = s.parse::<IpAddr>();
        prop_assert_eq!(parsed.is_ok(), reference::ip(&s), "{:?}", s);
        let through_serde: Result<types::OriginCloudRegionBatchDeleteRequest, _> = serde_json::from_value(json!([s]));
        prop_assert_eq!(through_serde.is_ok(), parsed.is_ok(), "serde and FromStr agree on {:?}", s);
    }

    #[test]
    fn list_sizes_follow_the_per_request_caps(n in 0usize..=520, form in 0u8..3) {
        let items = vec!["a".to_string(); n];
        let (body, cap) = match form {
            0 => (PurgeRequest::Tags(items), 100),
            1 => (PurgeRequest::Hosts(items), 100),
            _ => (PurgeRequest::Files(vec!["https://example.com/".to_string(); n]), 500),
        };
        prop_assert_eq!(single(body), (1..=cap).contains(&n), "{} items", n);
    }
}

#[test]
fn the_reference_rules_say_what_the_facts_say() {
    assert!(reference::tag("release:2026/11") && !reference::tag("a b") && !reference::tag(""));
    assert!(
        reference::host("www.example.com") && reference::host("example.com.") && !reference::host("a_b.com")
    );
    assert!(reference::prefix("www.example.com/foo") && !reference::prefix("https://www.example.com/foo"));
    assert!(reference::file("https://example.com/*") && !reference::file("example.com/a"));
    assert!(reference::identifier("023e105f4ecef8ad9ca31a8372d0c353") && !reference::identifier(".."));
    assert!(reference::ip("::ffff:192.0.2.1") && reference::ip("2001:db8::1") && !reference::ip("01.2.3.4"));
    assert!(!reference::ip("1::2::3") && !reference::ip("fe80::1%eth0") && reference::ip("::"));
}

// ---------------------------------------------------------------------------------------------
// Timestamps: the models take chrono's RFC 3339 parser first (`emit/timestamps.rs`); what they
// accept, and the instant they read, must stay exactly what `DateTime`'s own `Deserialize` gives.

/// RFC 3339 as the API writes it, the looser forms only chrono's relaxed parser takes (a space
/// or `t` for `T`, `UTC`, an offset without its colon, spaces between parts) and near-misses.
fn timestamp_text() -> BoxedStrategy<String> {
    let strict = date_time().prop_map(|v| v.as_str().map(str::to_string).unwrap_or_default());
    prop_oneof![
        strict.clone(),
        (strict, 0usize..6).prop_map(|(s, loosen)| match loosen {
            0 => s.replacen('T', " ", 1),
            1 => s.replacen('T', "t", 1),
            2 => s.replace('Z', " UTC").replace("+00:00", "UTC"),
            3 => s.replace("+0", "+0 ").replace(":00", "00"),
            4 => s.replacen('-', " - ", 1),
            _ => s.replacen(':', "", 1),
        }),
        "[0-9T:.+ Zzt-]{0,32}",
    ]
    .boxed()
}

proptest! {
    #[test]
    fn optional_timestamps_decode_as_chrono_decodes_them(text in timestamp_text()) {
        let ours = serde_json::from_value::<types::CacheReserveSetting>(json!({
            "editable": true, "id": "cache_reserve", "value": "on", "modified_on": text,
        }))
        .map(|setting| setting.modified_on);
        let chrono = serde_json::from_value::<chrono::DateTime<chrono::Utc>>(json!(text)).map(Some);
        prop_assert_eq!(ours.ok(), chrono.ok(), "{:?}", text);
    }

    #[test]
    fn required_timestamps_decode_as_chrono_decodes_them(text in timestamp_text()) {
        let ours = serde_json::from_value::<types::ReserveClearStatus>(json!({
            "id": "cache_reserve_clear", "state": "In-progress", "start_ts": text,
        }))
        .map(|status| status.start_ts);
        let chrono = serde_json::from_value::<chrono::DateTime<chrono::Utc>>(json!(text));
        prop_assert_eq!(ours.ok(), chrono.ok(), "{:?}", text);
    }
}

#[test]
fn an_absent_or_null_optional_timestamp_is_none() {
    for body in [
        json!({"editable": true, "id": "cache_reserve", "value": "on"}),
        json!({"editable": true, "id": "cache_reserve", "value": "on", "modified_on": null}),
    ] {
        let setting: types::CacheReserveSetting =
            serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(setting.modified_on, None, "{body}");
    }
}

#[test]
fn text_only_the_relaxed_parser_takes_still_decodes() {
    for text in [
        "2024-01-02T03:04:05 UTC",
        "2024-01-02T03:04:05+0000",
        "2024-01-02T03:04:05 +00:00",
    ] {
        assert!(
            chrono::DateTime::parse_from_rfc3339(text).is_err(),
            "{text} is RFC 3339"
        );
        let status: types::ReserveClearStatus = serde_json::from_value(json!({
            "id": "cache_reserve_clear", "state": "In-progress", "start_ts": text,
        }))
        .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(status.start_ts.timestamp(), 1_704_164_645, "{text}");
    }
}

#[test]
fn a_timestamp_in_neither_form_is_refused() {
    let refused = serde_json::from_str::<types::CacheReserveSetting>(
        r#"{"editable": true, "id": "cache_reserve", "value": "on", "modified_on": "yesterday"}"#,
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(refused.contains("input contains invalid characters"), "{refused}");
}
