//! Broken and hostile specs, through the real `cargo xtask regen` binary writing into a copy of
//! the workspace's `crates/` tree: each is refused with exit code 1 and a message naming the
//! place, and no file under `crates/` changes. Names that are legal in a spec but not in Rust
//! (keywords) are mapped, not refused: that spec generates. Constructs regen once refused and
//! now handles (colliding names, non-JSON bodies, several success bodies) are in
//! `tests/specs/`, tested by `constructs.rs`.
//!
//! The corpus is `tests/malformed_specs/*.yaml`; specs too big or too odd to commit (5 MB of
//! description, bytes that are not UTF-8, deep nesting) are made here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod support;

/// Corpus file -> what the error message must contain (besides the spec's name).
const CORPUS: [(&str, &[&str]); 19] = [
    ("invalid_yaml.yaml", &["invalid_yaml.yaml:3:1", "invalid YAML"]),
    ("empty.yaml", &["missing `openapi: 3.0.x` version field"]),
    ("not_a_mapping.yaml", &["missing `openapi: 3.0.x` version field"]),
    ("swagger_2.yaml", &["missing `openapi: 3.0.x` version field"]),
    ("openapi_3_1.yaml", &["openapi", "OpenAPI 3.1.0 is not supported"]),
    (
        "wrong_field_type.yaml",
        &["wrong_field_type.yaml:4:3", "not a valid OpenAPI 3.0 document"],
    ),
    (
        "yaml_alias_bomb.yaml",
        &["invalid YAML", "repetition limit exceeded"],
    ),
    (
        "dangling_ref.yaml",
        &[
            "#/paths/~1things/get/responses/200",
            "`#/components/schemas/Missing` points at nothing",
        ],
    ),
    (
        "external_ref.yaml",
        &[
            "#/paths/~1things/get",
            "external $ref `common.yaml#/Thing` is not supported",
        ],
    ),
    (
        "ref_cycle.yaml",
        &[
            "#/components/schemas/A",
            "circular $ref chain",
            "#/components/schemas/C",
        ],
    ),
    (
        "self_ref.yaml",
        &["#/components/schemas/Loop", "circular $ref chain"],
    ),
    (
        "path_item_ref.yaml",
        &["#/paths/~1things", "path item $ref is not supported"],
    ),
    (
        "duplicate_operation_ids.yaml",
        &[
            "#/paths/~1things/get",
            "already used by GET /other",
            "must be unique",
        ],
    ),
    (
        "missing_operation_id.yaml",
        &["#/paths/~1things/get", "operation has no operationId"],
    ),
    (
        "style_matrix.yaml",
        &[
            "parameter `id`",
            "style `matrix` (explode: false) is not supported",
        ],
    ),
    (
        "style_deep_object.yaml",
        &[
            "parameter `filter`",
            "style `deepObject` (explode: false) is not supported",
        ],
    ),
    (
        "cookie_parameter.yaml",
        &["parameter `session`", "parameters in `cookie` are not supported"],
    ),
    (
        "parameter_with_content.yaml",
        &["parameter `filter`", "described with `content`"],
    ),
    (
        "unsupported_pattern.yaml",
        &[
            "#/components/schemas/Thing/properties/code/pattern",
            "(?<=x)y",
            "not supported",
        ],
    ),
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed_specs")
}

/// A scratch root holding a copy of the workspace's `crates/` tree.
fn scratch() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("create dir");
        for entry in std::fs::read_dir(from).expect("read dir").flatten() {
            let (path, target) = (entry.path(), to.join(entry.file_name()));
            if path.is_dir() {
                copy(&path, &target);
            } else {
                std::fs::copy(&path, &target).expect("copy file");
            }
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    copy(&workspace_root().join("crates"), &dir.path().join("crates"));
    dir
}

/// Every file under `root`, by path relative to it, with its bytes.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read file");
                let relative = path.strip_prefix(root).map(Path::to_path_buf).unwrap_or(path);
                out.insert(relative, bytes);
            }
        }
    }
    out
}

struct Run {
    code: Option<i32>,
    stderr: String,
    scratch: tempfile::TempDir,
}

fn regen(spec: &Path) -> Run {
    let scratch = scratch();
    let output = support::regen_into(spec, scratch.path(), &[]);
    Run {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        scratch,
    }
}

/// Runs regen on `spec` and checks the refusal: exit code 1, one `error:` line naming the spec
/// and containing every `needle`, no panic, and an untouched `crates/` tree.
fn assert_refused(spec: &Path, needles: &[&str]) -> String {
    let before = snapshot(&workspace_root().join("crates"));
    let run = regen(spec);
    let name = spec.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    assert_eq!(run.code, Some(1), "{name}: exit code; stderr: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
    let message = run.stderr.trim();
    assert!(message.starts_with("error: "), "{name}: {message}");
    assert!(
        message.contains(name),
        "{name}: the message names the spec: {message}"
    );
    for needle in needles {
        assert!(
            message.contains(needle),
            "{name}: {needle:?} missing from {message}"
        );
    }
    assert!(
        snapshot(&run.scratch.path().join("crates")) == before,
        "{name}: a file under crates/ changed"
    );
    message.to_string()
}

#[test]
fn the_corpus_is_exactly_the_table() {
    let mut on_disk: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("corpus dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CORPUS.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "every corpus file has expectations, and only those"
    );
}

#[test]
fn every_corpus_spec_is_refused_with_its_place_and_nothing_changes() {
    for (file, needles) in CORPUS {
        let message = assert_refused(&corpus_dir().join(file), needles);
        println!("{file} -> {message}");
    }
}

/// Writes `bytes` as a spec in a temp dir and returns both (the dir must outlive the run).
fn spec_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write spec");
    (dir, path)
}

const SMALL: &str = "openapi: 3.0.3\ninfo: {title: T, version: \"1\"}\npaths:\n  /things:\n    get:\n      operationId: get_things\n      description: DESCRIPTION\n      responses: {\"200\": {description: ok}}\n";

#[test]
fn a_five_megabyte_description_is_refused_naming_it() {
    let huge = "lorem ipsum ".repeat(5 * 1024 * 1024 / 12);
    let (_dir, spec) = spec_file("huge.yaml", SMALL.replace("DESCRIPTION", &huge).as_bytes());
    let message = assert_refused(&spec, &["#/paths/~1things/get/description", "too long"]);
    assert!(message.len() < 1000, "the message does not quote the text");
}

#[test]
fn bytes_that_are_not_utf8_are_refused_with_their_line() {
    let mut bytes = SMALL.replace("DESCRIPTION", "caf\u{e9}").into_bytes();
    bytes.extend_from_slice(b"x-note: \"\xc3\x28\"\n");
    let (_dir, spec) = spec_file("latin.yaml", &bytes);
    assert_refused(&spec, &["latin.yaml:9", "not valid UTF-8"]);
}

#[test]
fn nesting_ten_thousand_deep_is_refused_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (_dir, spec) = spec_file(
        "deep.yaml",
        SMALL
            .replace("DESCRIPTION", "d\nx-deep: DEEP")
            .replace("DEEP", &deep)
            .as_bytes(),
    );
    assert_refused(&spec, &["invalid YAML", "recursion limit exceeded"]);
}

#[test]
fn rust_keywords_as_names_are_mapped_and_generate() {
    let spec = r##"
openapi: 3.0.3
info: {title: T, version: "1"}
paths:
  /zones/{zone_id}/things/{type}:
    get:
      operationId: match
      parameters:
        - {name: zone_id, in: path, required: true, schema: {type: string}}
        - {name: type, in: path, required: true, schema: {type: string}}
        - {name: fn, in: query, schema: {type: string}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Self"}}}}
components:
  schemas:
    Self:
      type: object
      required: [type]
      properties:
        type: {type: string}
        self: {type: integer}
        kind: {type: string, enum: [Self, type, "1", ""]}
"##;
    let (_dir, path) = spec_file("keywords.yaml", spec.as_bytes());
    let run = regen(&path);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let read = |file: &str| std::fs::read_to_string(run.scratch.path().join(file)).expect("written");
    let types = read(xtask::TYPES_FILE);
    let operations = read(xtask::OPERATIONS_FILE);
    for (needle, text) in [
        ("pub struct SelfSchema", &types),
        (
            "#[serde(rename = \"type\")]\n    pub type_: ::std::string::String",
            &types,
        ),
        ("#[serde(rename = \"self\"", &types),
        ("pub self_:", &types),
        ("SelfSchema,", &types),
        ("\"Self\" => Self::SelfSchema", &types),
        ("N1,", &types),
        ("pub async fn match_(", &operations),
        ("type_: &str", &operations),
        ("crate::validate::segment(\"type\", type_)", &operations),
        ("fn_: Option<&str>", &operations),
    ] {
        assert!(text.contains(needle), "{needle:?} missing");
    }
    for file in [
        xtask::TYPES_FILE,
        xtask::OPERATIONS_FILE,
        xtask::RAW_CLIENT_FILE,
        xtask::CHECKS_FILE,
        xtask::LIMITS_FILE,
    ] {
        syn::parse_file(&read(file)).unwrap_or_else(|e| panic!("{file} is not valid Rust: {e}"));
    }
}
