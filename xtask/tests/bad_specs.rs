//! A spec the generator cannot handle stops `cargo xtask regen` with exit code 1 and a message
//! naming the place, and leaves every generated file as it was.

use std::path::Path;

mod support;

const GOOD_OPERATION: &str = r##"
openapi: 3.0.3
info: {title: T, version: "1"}
paths:
  /zones/{zone_id}/thing:
    get:
      operationId: get_thing
      parameters:
        - {name: zone_id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Thing"}}}}
components:
  schemas:
    Thing: {type: object, properties: {id: {type: string}}}
"##;

struct Outcome {
    code: Option<i32>,
    stderr: String,
}

/// Runs regen on `spec` writing into a scratch root seeded with a sentinel generated file.
fn regen(spec: &[u8]) -> (Outcome, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec_path = dir.path().join("spec.yaml");
    std::fs::write(&spec_path, spec).expect("write spec");
    let sentinel = dir.path().join(xtask::TYPES_FILE);
    std::fs::create_dir_all(sentinel.parent().expect("parent")).expect("mkdir");
    std::fs::write(&sentinel, "// committed generated file\n").expect("write sentinel");
    let output = support::regen_into(&spec_path, dir.path(), &[]);
    let outcome = Outcome {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    (outcome, dir)
}

fn assert_refused(spec: &str, expected: &[&str]) {
    let (outcome, dir) = regen(spec.as_bytes());
    assert_eq!(outcome.code, Some(1), "exit code; stderr: {}", outcome.stderr);
    assert!(
        !outcome.stderr.contains("panicked"),
        "no panic: {}",
        outcome.stderr
    );
    for needle in expected {
        assert!(
            outcome.stderr.contains(needle),
            "stderr should mention {needle:?}: {}",
            outcome.stderr
        );
    }
    assert_untouched(dir.path());
}

fn assert_untouched(root: &Path) {
    let sentinel = std::fs::read_to_string(root.join(xtask::TYPES_FILE)).expect("sentinel still there");
    assert_eq!(sentinel, "// committed generated file\n");
    assert!(
        !root.join(xtask::OPERATIONS_FILE).exists(),
        "no other generated file appeared"
    );
}

#[test]
fn a_good_spec_writes_the_files() {
    let (outcome, dir) = regen(GOOD_OPERATION.as_bytes());
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    let ops = std::fs::read_to_string(dir.path().join(xtask::OPERATIONS_FILE)).expect("written");
    assert!(ops.contains("pub async fn get_thing("));
}

#[test]
fn invalid_yaml_names_the_line() {
    assert_refused(
        "openapi: 3.0.3\ninfo: {title: T\npaths: {}\n",
        &["spec.yaml:", "invalid YAML"],
    );
}

#[test]
fn a_dangling_ref_names_where_it_is_used() {
    let spec = GOOD_OPERATION.replace("#/components/schemas/Thing\"}", "#/components/schemas/Nope\"}");
    assert_refused(
        &spec,
        &[
            "#/paths/~1zones~1{zone_id}~1thing/get",
            "#/components/schemas/Nope",
            "dangling",
        ],
    );
}

#[test]
fn a_duplicate_operation_id_names_both_operations() {
    let spec = GOOD_OPERATION.replace(
        "components:",
        "  /other:\n    get:\n      operationId: get_thing\n      responses: {\"200\": {description: ok}}\ncomponents:",
    );
    assert_refused(
        &spec,
        &["operationId `get_thing`", "already used by GET /other", "unique"],
    );
}

#[test]
fn openapi_3_1_is_refused_with_the_version() {
    assert_refused(
        &GOOD_OPERATION.replace("3.0.3", "3.1.0"),
        &["OpenAPI 3.1.0 is not supported"],
    );
}

#[test]
fn an_unsupported_parameter_style_names_the_parameter() {
    let spec = GOOD_OPERATION.replace(
        "required: true, schema: {type: string}}",
        "required: true, style: matrix, schema: {type: string}}",
    );
    assert_refused(&spec, &["parameter `zone_id`", "style `matrix`"]);
}

#[test]
fn non_utf8_bytes_are_refused_with_the_line() {
    let mut spec = GOOD_OPERATION.as_bytes().to_vec();
    spec.extend_from_slice(b"\n# \xff\xfe\n");
    let (outcome, dir) = regen(&spec);
    assert_eq!(outcome.code, Some(1));
    assert!(outcome.stderr.contains("not valid UTF-8"), "{}", outcome.stderr);
    assert_untouched(dir.path());
}

#[test]
fn check_mode_lists_stale_files_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec_path = dir.path().join("spec.yaml");
    std::fs::write(&spec_path, GOOD_OPERATION).expect("write spec");
    let output = support::regen_into(&spec_path, dir.path(), &["--check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("cargo xtask regen") && stderr.contains(xtask::OPERATIONS_FILE),
        "{stderr}"
    );
    assert!(!dir.path().join(xtask::OPERATIONS_FILE).exists());
}
