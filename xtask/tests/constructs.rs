//! Constructs Cloudflare's published spec uses and ours does not (`tests/specs/`): they
//! generate with nothing left out, colliding names are told apart by the documented rule with
//! the wire names kept, non-JSON bodies are callable, and what comes out compiles.

use std::path::{Path, PathBuf};

fn spec(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/specs")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn generated(name: &str) -> xtask::Generation {
    xtask::generate_with(&spec(name), name, xtask::Options::default())
        .unwrap_or_else(|e| panic!("{name} generates without skipping anything: {e}"))
}

fn file<'g>(generation: &'g xtask::Generation, path: &str) -> &'g str {
    generation
        .files
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.contents.as_str())
        .unwrap_or_else(|| panic!("{path} generated"))
}

fn assert_contains(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} missing");
    }
}

#[test]
fn specs_that_regen_once_refused_now_generate_everything() {
    for name in [
        "operation_ids_collide_after_case.yaml",
        "schema_names_collide.yaml",
        "property_names_collide.yaml",
        "parameter_names_collide.yaml",
        "parameter_named_body.yaml",
        "multipart_body.yaml",
        "success_bodies_differ.yaml",
        "constructs.yaml",
    ] {
        let generation = generated(name);
        assert!(generation.skipped.is_empty(), "{name}: {:?}", generation.skipped);
        for f in &generation.files {
            syn::parse_file(&f.contents).unwrap_or_else(|e| panic!("{name}: {} is not Rust: {e}", f.path));
        }
    }
}

#[test]
fn colliding_fields_are_spelled_out_and_keep_their_wire_names() {
    let types = generated("constructs.yaml");
    let types = file(&types, xtask::TYPES_FILE);
    assert_contains(
        types,
        &[
            "#[serde(rename = \"<=1y\")]\n    pub lt_eq_1y: f64,",
            "#[serde(rename = \">1y\"",
            "pub gt_1y:",
            "pub total:",
        ],
    );
    assert!(!types.contains("#!"), "no placeholder survives");
}

#[test]
fn colliding_schemas_fields_and_enum_values_get_suffixes_from_their_own_text() {
    let generation = generated("constructs.yaml");
    let types = file(&generation, xtask::TYPES_FILE);
    // `rate-plan` and `rate_plan` are both `RatePlan`: each gets a hash of its wire name.
    assert!(
        !types.contains("pub struct RatePlan {"),
        "neither keeps the bare name"
    );
    assert_eq!(types.matches("pub struct RatePlan").count(), 2);
    // `fooBar` and `foo_bar` are both `foo_bar`; the serde names stay. A property called
    // `default` is a property, not the keyword.
    assert_contains(
        types,
        &["rename = \"fooBar\"", "rename = \"foo_bar\"", "pub default:"],
    );
    // `>=`, `<=`, `>`, `<`, `==` would all be `X`.
    assert_contains(
        types,
        &["GtEq,", "LtEq,", "Gt,", "Lt,", "EqEq,", "\">=\" => Self::GtEq"],
    );
}

#[test]
fn colliding_operations_and_parameters_are_told_apart_and_sent_under_their_wire_names() {
    let generation = generated("constructs.yaml");
    let operations = file(&generation, xtask::OPERATIONS_FILE);
    let raw = file(&generation, xtask::RAW_CLIENT_FILE);
    // `ttl-summary` and `ttlSummary` are both `ttl_summary`; each has its `_with_meta` twin.
    assert_eq!(operations.matches("pub async fn ttl_summary_").count(), 4);
    assert!(!operations.contains("pub async fn ttl_summary("));
    // `id` in the path and in the query; `httpProtocol` (query) and `http_protocol` (header).
    assert_contains(
        operations,
        &[
            "id_path: &str",
            "id_query: Option<&str>",
            "http_protocol_query:",
            "http_protocol_header:",
        ],
    );
    assert_contains(
        raw,
        &[
            "QueryParam::new(\"id\", &id_query)",
            "QueryParam::new(\"httpProtocol\"",
            "\"http_protocol\"",
        ],
    );
    assert!(
        !raw.contains("#!") && !raw.contains("#$"),
        "no placeholder survives"
    );
}

#[test]
fn non_json_bodies_are_bytes_with_their_content_type_and_come_back_as_bytes() {
    let generation = generated("constructs.yaml");
    let operations = file(&generation, xtask::OPERATIONS_FILE);
    assert_contains(
        operations,
        &[
            "pub async fn upload_script(\n        &self,\n        name: &str,\n        body: crate::RawBody,\n    )",
            "pub async fn put_file(&self, body: crate::RawBody)",
            ".upload_script(name, &content_type, bytes)",
            "`application/javascript`, `multipart/form-data`",
            "pub async fn download_script(&self, name: &str) -> crate::Result<::bytes::Bytes>",
            "pub async fn export_zone(&self, zone_id: &str) -> crate::Result<::bytes::Bytes>",
            "crate::runtime::decode::bytes,",
        ],
    );
    // The spec's own `Content-Type` parameter is the one the body carries.
    assert!(!operations.contains("content_type: &str"));
    // Three operations, each with its `_with_meta` twin and its request builder.
    assert_eq!(operations.matches("body: crate::RawBody").count(), 9);
}

#[test]
fn several_success_bodies_become_one_of_them() {
    let generation = generated("constructs.yaml");
    let operations = file(&generation, xtask::OPERATIONS_FILE);
    assert_contains(
        operations,
        &[
            "-> crate::Result<types::PostReportResult>",
            "crate::runtime::decode::enveloped::<types::PostReportResult>",
        ],
    );
    let types = file(&generation, xtask::TYPES_FILE);
    assert_contains(types, &["pub enum PostReportResult", "#[serde(untagged)]"]);
}

#[test]
fn a_nullable_union_is_an_optional_union_not_two_types_of_one_name() {
    let generation = generated("constructs.yaml");
    let types = file(&generation, xtask::TYPES_FILE);
    assert_contains(
        types,
        &[
            "pub struct Maybe(pub ::std::option::Option<MaybeInner>);",
            "pub enum MaybeInner {",
        ],
    );
}

#[test]
fn a_comma_separated_list_parameter_is_passed_as_its_text() {
    let generation = generated("constructs.yaml");
    let operations = file(&generation, xtask::OPERATIONS_FILE);
    assert_contains(operations, &["ids: Option<&str>"]);
}

#[test]
fn a_date_time_parameter_is_a_chrono_time_the_runtime_knows() {
    // The compile test below proves the client crate can name it: chrono is its dependency.
    let generation = generated("constructs.yaml");
    let operations = file(&generation, xtask::OPERATIONS_FILE);
    assert_contains(
        operations,
        &["since: Option<&::chrono::DateTime<::chrono::offset::Utc>>"],
    );
}

#[test]
fn generation_is_deterministic() {
    let once = generated("constructs.yaml").files;
    let twice = generated("constructs.yaml").files;
    assert_eq!(once, twice);
}

#[test]
fn a_collision_keeps_its_names_when_unrelated_parts_of_the_spec_change() {
    let names = |bytes: &[u8]| {
        let generation = xtask::generate_with(bytes, "s.yaml", xtask::Options::default()).expect("generates");
        let types = file(&generation, xtask::TYPES_FILE).to_string();
        let mut found: Vec<String> = types
            .lines()
            .filter_map(|l| l.trim().strip_prefix("pub struct RatePlan"))
            .map(str::to_string)
            .collect();
        found.sort();
        found
    };
    let original = spec("constructs.yaml");
    let text = String::from_utf8(original.clone()).expect("utf-8");
    // An unrelated schema (sorting before and after), an unrelated operation.
    let changed = text
        .replace(
            "components:\n  schemas:\n",
            "components:\n  schemas:\n    aaa_first: {type: object, properties: {a: {type: string}}}\n    zzz_last: {type: object, properties: {z: {type: string}}}\n",
        )
        .replace(
            "paths:\n",
            "paths:\n  /aaa:\n    get:\n      operationId: aaa\n      responses: {\"200\": {description: ok, content: {application/json: {schema: {$ref: \"#/components/schemas/aaa_first\"}}}}}\n",
        );
    assert_ne!(changed, text);
    assert_eq!(names(&original), names(changed.as_bytes()));
}

#[test]
fn what_regen_cannot_generate_is_skipped_and_listed_only_when_asked() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed_specs");
    for (file, class) in [
        ("style_matrix.yaml", "parameter style"),
        ("style_deep_object.yaml", "parameter style"),
        ("cookie_parameter.yaml", "parameter location"),
        ("parameter_with_content.yaml", "parameter content"),
    ] {
        let bytes = std::fs::read(dir.join(file)).expect("corpus file");
        assert!(
            xtask::generate(&bytes, file).is_err(),
            "{file} is refused without the flag"
        );
        let options = xtask::Options {
            skip_unsupported: true,
        };
        let generation = xtask::generate_with(&bytes, file, options).expect("skipping generates the rest");
        assert_eq!(generation.skipped.len(), 1, "{file}");
        assert_eq!(generation.skipped[0].class, class, "{file}");
        assert!(generation.skipped[0].route.starts_with("GET /things"), "{file}");
        assert_eq!(generation.operations, 0);
        let listing = xtask::surface::skipped_listing(&generation.skipped);
        assert!(
            listing.contains(class) && listing.contains(&generation.skipped[0].operation),
            "{listing}"
        );
    }
}

#[test]
fn request_rules_become_plain_checks_through_every_shape() {
    let generation = generated("constructs.yaml");
    let checks = file(&generation, xtask::CHECKS_FILE);
    assert_contains(
        checks,
        &[
            // typify's untagged union: its object form by field, its string form by value
            "types::Action::Object { redirect: field_0, .. } => {",
            "types::Action::String(value) => {",
            "crate::validate::leaf::max_length(at, value, 8u64)?;",
            // a list of lists
            "for (i, value) in value.iter().enumerate() {\n                let at = at.index(i);\n                crate::validate::leaf::min_items(at, value.len(), 1u64)?;",
            // an optional list is left out of the JSON when empty, so empty passes
            "if !::std::vec::Vec::is_empty(value) {",
            // recursion goes through the box to the model's own check
            "let value = &**value;\n                    crate::validate::Validate::check_at(value, at)?;",
            "&crate::generated::checks::PATTERN_2,",
            "crate::validate::leaf::Format::Uri",
            // both members of an allOf apply to the one struct typify merged them into
            "let at = at.key(\"label\");",
            "crate::validate::leaf::minimum(at, *value, 1f64, false)?;",
        ],
    );
    // A map's values and a nullable value without a bound are not looked into.
    assert!(!checks.contains("10u64"), "map values are not checked");
    let operations = file(&generation, xtask::OPERATIONS_FILE);
    assert_contains(
        operations,
        &[
            "crate::validate::leaf::minimum(at, *value, 0f64, true)?;",
            "crate::validate::leaf::maximum(at, *value, 50f64, false)?;",
            // a parameter's pattern is the one static the body checks use too
            "&crate::generated::checks::PATTERN_1,",
            "let at = crate::validate::Field::BODY;\n            let value = body;\n            crate::validate::Validate::check_at(value, at)?;",
        ],
    );
    let limits = file(&generation, xtask::LIMITS_FILE);
    assert_contains(
        limits,
        &[
            "pub const RULE_SET_MATRIX_MAX_ITEMS: usize = 4usize;",
            "pub const RULE_SET_MATRIX_ITEMS_MIN_ITEMS: usize = 1usize;",
            "pub const RULE_SET_MATRIX_ITEMS_MAXIMUM: i64 = 9i64;",
            "pub const PER_PAGE_MAXIMUM: i64 = 50i64;",
            "pub const RATIO_MAXIMUM: f64 = 1f64;",
            "(exclusive: the bound itself is refused)",
            // operations disagree on `zone_id`: named after the one that bounds it
            "pub const PUT_RULES_ZONE_ID_MAX_LENGTH: usize = 32usize;",
        ],
    );
}

/// The crates generated from `constructs.yaml` compile with the hand-written runtime.
#[test]
fn what_the_constructs_generate_compiles() {
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let generation = generated("constructs.yaml");
    let mut scratch = xtask::try_spec::Scratch::under(&root);
    scratch.workspace = root.join("target/try-spec/constructs-workspace");
    scratch
        .build(&root, &generation.files)
        .expect("scratch workspace");
    let (compiled, _, stderr) = scratch.check().expect("cargo runs");
    assert!(compiled, "{stderr}");
}
