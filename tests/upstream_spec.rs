//! The generator also handles Cloudflare's own published spec (allOf-wrapped envelopes, 4XX
//! failure envelopes, the anyOf purge body), and what it makes from it compiles.
//!
//! The spec is read from the committed fixture (`tests/fixtures/`: Cloudflare's cache spec
//! with its prose removed, rebuilt by `cargo xtask fixture`), so this runs on any clone.
//! `.ci/run` checks the fixture against the upstream file in `../shared`.

use cf_cache_tests::{scratch_target_dir, workspace_root};
use xtask::try_spec::Scratch;

fn fixture_bytes() -> Vec<u8> {
    let path = workspace_root().join(xtask::fixture::FIXTURE_FILE);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{} must be readable: {e}", path.display()))
}

fn upstream_files() -> Vec<xtask::GeneratedFile> {
    xtask::generate(&fixture_bytes(), "cloudflare-upstream-cache.json")
        .unwrap_or_else(|e| panic!("upstream spec must generate: {e}"))
}

#[test]
fn the_fixture_holds_no_prose_and_says_where_it_came_from() {
    let fixture: serde_yaml::Value =
        serde_yaml::from_slice(&fixture_bytes()).unwrap_or_else(|e| panic!("fixture must parse: {e}"));
    let mut stripped = fixture.clone();
    xtask::fixture::strip(&mut stripped);
    assert!(
        stripped == fixture,
        "the fixture holds text `fixture::strip` removes"
    );
    let provenance = &fixture["info"][xtask::fixture::PROVENANCE_KEY];
    assert_eq!(
        provenance["source"].as_str(),
        Some("cloudflare-upstream-cache.openapi.json")
    );
    assert_eq!(provenance["license"].as_str(), Some("BSD-3-Clause"));
}

#[test]
fn upstream_spec_generates_every_operation() {
    let files = upstream_files();
    let operations = files
        .iter()
        .find(|f| f.path == xtask::OPERATIONS_FILE)
        .expect("operations file");
    // Each operation also has its `_with_meta` twin.
    let count = operations.contents.matches("pub async fn ").count();
    let twins = operations.contents.matches("_with_meta(").count();
    assert_eq!(count - twins, 34, "Cloudflare's spec has 34 cache operations");
    assert_eq!(twins, 34, "each with its `_with_meta` twin");
    assert!(operations.contents.contains("pub async fn zone_purge("));
    assert!(
        operations
            .contents
            .contains("pub async fn origin_cloud_regions_v2_list(")
    );
}

/// Builds a scratch workspace (`target/<name>`) holding the two SDK crates with the
/// hand-written parts copied from this repository and the generated parts from `files`, as
/// `cargo xtask try-spec` does, and runs `cargo check` on it; panics with the compiler's
/// output if it fails.
fn assert_compiles(name: &str, files: &[xtask::GeneratedFile], what: &str) {
    let root = workspace_root();
    let scratch = Scratch {
        workspace: root.join("target").join(name),
        target: scratch_target_dir(),
    };
    scratch
        .build(&root, files)
        .expect("the scratch workspace is written");
    let (compiled, _, stderr) = scratch.check().expect("cargo runs");
    assert!(compiled, "crates generated from {what} do not compile:\n{stderr}");
}

#[test]
fn crates_generated_from_the_upstream_spec_compile() {
    assert_compiles("upstream-spec-check", &upstream_files(), "the upstream spec");
}

/// Names a spec may use but Rust may not: keyword operation, parameter, property and schema
/// names, enum values that are keywords, digits or empty. They are mapped, never dropped, and
/// what comes out compiles.
const KEYWORD_SPEC: &str = r##"
openapi: 3.0.3
info: {title: T, version: "1"}
paths:
  /zones/{zone_id}/things/{type}:
    get:
      operationId: match
      parameters:
        - {name: zone_id, in: path, required: true, schema: {type: string, maxLength: 32}}
        - {name: type, in: path, required: true, schema: {type: string}}
        - {name: fn, in: query, schema: {type: string, maxLength: 4}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Self"}}}}
    put:
      operationId: struct
      parameters:
        - {name: zone_id, in: path, required: true, schema: {type: string}}
        - {name: type, in: path, required: true, schema: {type: string}}
      requestBody:
        content: {application/json: {schema: {$ref: "#/components/schemas/Self"}}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Self"}}}}
components:
  schemas:
    Self:
      type: object
      required: [type]
      properties:
        type: {type: string, maxLength: 8}
        self: {type: integer}
        "2fa": {type: boolean}
        kind: {type: string, enum: [Self, type, "1", "", Unknown]}
"##;

#[test]
fn crates_generated_from_a_spec_of_rust_keywords_compile() {
    let files = xtask::generate(KEYWORD_SPEC.as_bytes(), "keywords.yaml")
        .unwrap_or_else(|e| panic!("keyword names are mapped, not refused: {e}"));
    assert_compiles("keyword-spec-check", &files, "a spec of Rust keywords");
}
