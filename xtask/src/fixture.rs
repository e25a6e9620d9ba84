//! `cargo xtask fixture`: Cloudflare's published cache spec with its prose removed, so the
//! tests can run the generator on a real-world spec without `../shared` beside the checkout.
//!
//! Kept: the structure (paths, operations, parameters, request bodies, responses, schemas and
//! their types, formats, constraints, `$ref`s, enums, defaults, example data, security). Removed:
//! Cloudflare's words (`description`, `summary`, `title`, `externalDocs`, and vendor extensions
//! holding free text). A Response Object's `description` is required by OpenAPI, so it stays,
//! empty. The output is byte-for-byte a function of the input.

use serde_yaml::{Mapping, Value};
use sha2::{Digest, Sha256};

use crate::error::{GenError, Result};

/// Where the fixture is committed, relative to the workspace root.
pub const FIXTURE_FILE: &str = "tests/fixtures/cloudflare-upstream-cache.json";

/// The `info` key under which the fixture records where it came from.
pub const PROVENANCE_KEY: &str = "x-cf-cache-fixture";

/// Keys whose values are Cloudflare's prose wherever they are an OpenAPI keyword.
const PROSE_KEYS: &[&str] = &["description", "summary", "title", "externalDocs"];

/// Keywords whose values map names (of properties, paths, status codes, media types...) to
/// OpenAPI objects: the names are structure, only the objects below them are stripped.
const NAME_MAP_KEYS: &[&str] = &[
    "paths",
    "properties",
    "patternProperties",
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
    "content",
    "encoding",
    "variables",
];

/// Keywords whose values are data (of the API, not about it): copied as they are.
const DATA_KEYS: &[&str] = &[
    "example", "default", "enum", "const", "value", "required", "security", "mapping",
];

/// Builds the fixture's text from the upstream spec `source` (JSON or YAML), named
/// `source_name` in the provenance record.
pub fn build(source: &[u8], source_name: &str) -> Result<String> {
    let mut doc: Value = serde_yaml::from_slice(source)
        .map_err(|e| GenError::at(source_name, format!("not a JSON or YAML document: {e}")))?;
    if doc.get("openapi").is_none() || doc.get("paths").is_none() {
        return Err(GenError::at(
            source_name,
            "not an OpenAPI document (no `openapi` or `paths`)",
        ));
    }
    strip(&mut doc);
    let Some(Value::Mapping(info)) = doc.get_mut("info") else {
        return Err(GenError::at(source_name, "no `info` object"));
    };
    let license = info
        .get("license")
        .and_then(|license| license.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("not stated")
        .to_string();
    let mut provenance = Mapping::new();
    provenance.insert("source".into(), source_name.into());
    provenance.insert("source-sha256".into(), sha256_hex(source).into());
    provenance.insert("license".into(), license.into());
    provenance.insert("rebuild".into(), "cargo xtask fixture --from PATH".into());
    info.insert(PROVENANCE_KEY.into(), Value::Mapping(provenance));
    let mut text = serde_json::to_string_pretty(&doc)
        .map_err(|e| GenError::at(source_name, format!("cannot be written as JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// Removes the prose from an OpenAPI document in place (see the module docs for what is kept).
pub fn strip(doc: &mut Value) {
    if let Value::Mapping(root) = doc {
        strip_object(root, false);
    }
}

/// Strips an OpenAPI object: drops its prose keys, then each keyword's value by its kind.
/// `response` marks a Response Object, whose required `description` is kept, emptied.
fn strip_object(object: &mut Mapping, response: bool) {
    object.retain(|key, value| match key.as_str() {
        Some("description") => response,
        Some(k) if PROSE_KEYS.contains(&k) => false,
        Some(k) if k.starts_with("x-") => {
            strip_extension(value);
            !has_free_text(value)
        }
        _ => true,
    });
    if let Some(description) = object.get_mut("description") {
        *description = Value::String(String::new());
    }
    for (key, child) in object.iter_mut() {
        match key.as_str() {
            Some("info") => strip_info(child),
            Some(k) if DATA_KEYS.contains(&k) || k.starts_with("x-") => {}
            Some(k) if NAME_MAP_KEYS.contains(&k) => match child {
                Value::Mapping(names) => {
                    let responses = k == "responses";
                    for (_, named) in names.iter_mut() {
                        if let Value::Mapping(named) = named {
                            strip_object(named, responses);
                        }
                    }
                }
                // A parameter list; any other list here (3.1's `examples`) is data.
                Value::Sequence(_) if k == "parameters" => strip_value(child),
                _ => {}
            },
            _ => strip_value(child),
        }
    }
}

/// The document's name, version and license identify it: only its prose goes.
fn strip_info(info: &mut Value) {
    if let Value::Mapping(info) = info {
        info.retain(|k, _| !matches!(k.as_str(), Some("description" | "summary")));
    }
}

/// A keyword's value that is neither data nor a map of names: an object or a list of them
/// (`items`, `allOf`, `servers`, a parameter list...).
fn strip_value(value: &mut Value) {
    match value {
        Value::Mapping(object) => strip_object(object, false),
        Value::Sequence(items) => items.iter_mut().for_each(strip_value),
        _ => {}
    }
}

/// Inside a vendor extension, prose keys go wherever they are.
fn strip_extension(value: &mut Value) {
    match value {
        Value::Mapping(map) => {
            map.retain(|k, _| !k.as_str().is_some_and(|k| PROSE_KEYS.contains(&k)));
            map.iter_mut().for_each(|(_, v)| strip_extension(v));
        }
        Value::Sequence(items) => items.iter_mut().for_each(strip_extension),
        _ => {}
    }
}

/// Whether a vendor extension still holds free text: a string with whitespace in it (an
/// identifier, a date or a flag has none). Such an extension is dropped whole.
fn has_free_text(value: &Value) -> bool {
    match value {
        Value::String(s) => s.chars().any(char::is_whitespace),
        Value::Mapping(map) => map.iter().any(|(k, v)| has_free_text(k) || has_free_text(v)),
        Value::Sequence(items) => items.iter().any(has_free_text),
        Value::Tagged(tagged) => has_free_text(&tagged.value),
        _ => false,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripped(yaml: &str) -> Value {
        let mut doc: Value = serde_yaml::from_str(yaml).expect("test yaml");
        strip(&mut doc);
        doc
    }

    const SPEC: &str = r##"
openapi: 3.0.3
info: {title: Cloudflare API, version: "4", description: Welcome., license: {name: BSD-3-Clause}}
servers: [{url: "https://api.example.com", description: Client API}]
paths:
  /things/{id}:
    summary: Things.
    get:
      operationId: get-thing
      summary: Get a thing
      description: Long words.
      tags: [Things]
      x-cfPlanAvailability: {free: true, pro: false}
      x-forge-require-confirmation: This deletes things.
      x-cfDeprecation: {description: Use v2., eol: "2026-10-01", id: thing_v1}
      parameters:
        - {name: id, in: path, required: true, description: The id., schema: {type: string, maxLength: 32, title: Id}}
      responses:
        "200":
          description: The thing.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/thing"}
              examples:
                One: {summary: One thing, value: {description: kept, title: kept too}}
        "4XX": {$ref: "#/components/responses/failure"}
components:
  responses:
    failure: {description: It failed.}
  schemas:
    thing:
      title: Thing
      description: A thing.
      type: object
      required: [description]
      example: {description: an example, summary: data}
      properties:
        description: {type: string, description: The thing's description., pattern: "^[a-z]+$"}
        summary: {type: string, enum: [a, b], default: a}
        title: {type: integer, minimum: 1, maximum: 10, description: Whole words.}
        state: {allOf: [{$ref: "#/components/schemas/state"}, {description: Why.}]}
"##;

    #[test]
    fn prose_goes_and_structure_stays() {
        let doc = stripped(SPEC);
        let expected: Value = serde_yaml::from_str(
            r##"
openapi: 3.0.3
info: {title: Cloudflare API, version: "4", license: {name: BSD-3-Clause}}
servers: [{url: "https://api.example.com"}]
paths:
  /things/{id}:
    get:
      operationId: get-thing
      tags: [Things]
      x-cfPlanAvailability: {free: true, pro: false}
      x-cfDeprecation: {eol: "2026-10-01", id: thing_v1}
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, maxLength: 32}}
      responses:
        "200":
          description: ""
          content:
            application/json:
              schema: {$ref: "#/components/schemas/thing"}
              examples:
                One: {value: {description: kept, title: kept too}}
        "4XX": {$ref: "#/components/responses/failure"}
components:
  responses:
    failure: {description: ""}
  schemas:
    thing:
      type: object
      required: [description]
      example: {description: an example, summary: data}
      properties:
        description: {type: string, pattern: "^[a-z]+$"}
        summary: {type: string, enum: [a, b], default: a}
        title: {type: integer, minimum: 1, maximum: 10}
        state: {allOf: [{$ref: "#/components/schemas/state"}, {}]}
"##,
        )
        .expect("expected yaml");
        assert_eq!(doc, expected);
    }

    #[test]
    fn stripping_twice_changes_nothing() {
        let once = stripped(SPEC);
        let mut twice = once.clone();
        strip(&mut twice);
        assert_eq!(once, twice);
    }

    #[test]
    fn build_records_the_source_and_its_license() {
        let text = build(SPEC.as_bytes(), "upstream.yaml").expect("builds");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
        let provenance = &doc["info"][PROVENANCE_KEY];
        assert_eq!(provenance["source"], "upstream.yaml");
        assert_eq!(provenance["license"], "BSD-3-Clause");
        assert_eq!(provenance["source-sha256"].as_str().map(str::len), Some(64));
        assert_eq!(build(SPEC.as_bytes(), "upstream.yaml").as_ref(), Ok(&text));
    }

    #[test]
    fn build_refuses_what_is_not_an_openapi_document() {
        let error = build(b"just: yaml", "x.yaml").expect_err("refused");
        assert!(error.message.contains("not an OpenAPI document"), "{error}");
        let error = build(b"{ not json", "x.json").expect_err("refused");
        assert!(error.message.contains("not a JSON or YAML document"), "{error}");
    }
}
