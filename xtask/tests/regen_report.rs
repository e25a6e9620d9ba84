//! The regen report on spec edits: each edit of a small spec names what changed inside a type
//! or operation, and marks what breaks callers. The last test runs the real `regen` binary
//! twice, as a maintainer would after editing the spec.

use serde_yaml::Value;
use xtask::surface::Surface;

mod support;

const SPEC: &str = r##"
openapi: 3.0.3
info: {title: Mini, version: "1"}
paths:
  /zones/{zone_id}/jobs:
    get:
      operationId: list_jobs
      parameters:
        - {name: zone_id, in: path, required: true, schema: {type: string, maxLength: 32}}
        - {name: page, in: query, schema: {type: integer, minimum: 1}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                allOf:
                  - {$ref: "#/components/schemas/Envelope"}
                  - properties:
                      result: {type: array, items: {$ref: "#/components/schemas/Job"}}
    post:
      operationId: create_job
      parameters:
        - {name: zone_id, in: path, required: true, schema: {type: string, maxLength: 32}}
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/JobRequest"}}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                allOf:
                  - {$ref: "#/components/schemas/Envelope"}
                  - {properties: {result: {$ref: "#/components/schemas/Job"}}}
  /zones/{zone_id}/jobs/{job_id}:
    get:
      operationId: get_job
      parameters:
        - {name: zone_id, in: path, required: true, schema: {type: string, maxLength: 32}}
        - {name: job_id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                allOf:
                  - {$ref: "#/components/schemas/Envelope"}
                  - {properties: {result: {$ref: "#/components/schemas/Job"}}}
components:
  schemas:
    Envelope:
      type: object
      properties:
        success: {type: boolean}
        errors: {type: array, items: {type: object}}
        result: {nullable: true}
    JobRequest:
      type: object
      required: [name]
      properties:
        name: {type: string, maxLength: 64}
    Job:
      type: object
      required: [id, state]
      properties:
        id: {type: string, description: Job id.}
        state: {$ref: "#/components/schemas/JobState"}
        note: {type: string}
    JobState:
      type: string
      enum: [In-progress, Completed]
"##;

fn surface(spec: &Value) -> Surface {
    let text = serde_yaml::to_string(spec).expect("spec serialises");
    let files =
        xtask::generate(text.as_bytes(), "mini.yaml").unwrap_or_else(|e| panic!("spec generates: {e}"));
    let contents = |path: &str| files.iter().find(|f| f.path == path).map(|f| f.contents.as_str());
    Surface::read(contents(xtask::OPERATIONS_FILE), contents(xtask::TYPES_FILE))
}

fn base() -> Value {
    serde_yaml::from_str(SPEC).expect("test spec parses")
}

/// The report lines (`!` marks a breaking change) of `edit` applied to the spec.
fn report(edit: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut spec = base();
    edit(&mut spec);
    surface(&base())
        .changes(&surface(&spec))
        .iter()
        .map(|c| format!("{}{c}", if c.breaking { "! " } else { "  " }))
        .collect()
}

fn schema<'a>(spec: &'a mut Value, name: &str) -> &'a mut Value {
    &mut spec["components"]["schemas"][name]
}

fn push(list: &mut Value, item: Value) {
    match list {
        Value::Sequence(items) => items.push(item),
        other => panic!("not a list: {other:?}"),
    }
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("test yaml")
}

#[test]
fn an_enum_value_removed_breaks_callers() {
    let lines = report(|spec| schema(spec, "JobState")["enum"] = yaml("[In-progress]"));
    assert_eq!(lines, ["! type `JobState`: value `Completed` removed"]);
}

#[test]
fn an_enum_value_added_is_compatible_and_named_with_its_wire_text() {
    let lines = report(|spec| push(&mut schema(spec, "JobState")["enum"], yaml("Timed-out")));
    assert_eq!(
        lines,
        ["  type `JobState`: value `TimedOut` (\"Timed-out\") added (older versions decode it as `Unknown`)"]
    );
}

#[test]
fn an_optional_field_added_to_a_response_type_is_compatible() {
    let lines = report(|spec| schema(spec, "Job")["properties"]["owner"] = yaml("{type: string}"));
    assert_eq!(lines, ["  type `Job`: field `owner: Option<String>` added"]);
}

#[test]
fn a_required_field_added_breaks_callers() {
    let lines = report(|spec| {
        let job = schema(spec, "Job");
        job["properties"]["owner"] = yaml("{type: string}");
        push(&mut job["required"], yaml("owner"));
    });
    assert_eq!(lines, ["! type `Job`: field `owner: String` added, required"]);
}

#[test]
fn an_optional_field_added_to_a_request_body_breaks_struct_literals() {
    let lines = report(|spec| schema(spec, "JobRequest")["properties"]["priority"] = yaml("{type: integer}"));
    assert_eq!(
        lines,
        [
            "! type `JobRequest`: field `priority: Option<i64>` added (callers build this type: struct literals must name it)"
        ]
    );
}

#[test]
fn a_field_removed_or_retyped_breaks_callers() {
    let lines = report(|spec| {
        let job = schema(spec, "Job");
        job["properties"]["note"] = yaml("{type: integer}");
        if let Value::Mapping(properties) = &mut job["properties"] {
            properties.remove("id");
        }
        job["required"] = yaml("[state]");
    });
    assert_eq!(
        lines,
        [
            "! type `Job`: field `id` removed",
            "! type `Job`: field `note`: Option<String> -> Option<i64>",
        ]
    );
}

#[test]
fn a_query_parameter_added_breaks_every_call() {
    let lines = report(|spec| {
        let parameters = &mut spec["paths"]["/zones/{zone_id}/jobs"]["get"]["parameters"];
        push(
            parameters,
            yaml("{name: per_page, in: query, schema: {type: integer}}"),
        );
    });
    assert_eq!(
        lines,
        ["! operation `list_jobs`: parameter `per_page: Option<i64>` added (every call must pass it)"]
    );
}

#[test]
fn an_operation_removed_breaks_callers_and_one_added_does_not() {
    let lines = report(|spec| {
        let Value::Mapping(paths) = &mut spec["paths"] else {
            panic!("paths")
        };
        let item = paths.remove("/zones/{zone_id}/jobs/{job_id}").expect("path");
        let mut item = item;
        item["get"]["operationId"] = yaml("fetch_job");
        paths.insert("/zones/{zone_id}/job/{job_id}".into(), item);
    });
    assert_eq!(
        lines,
        ["  operation `fetch_job` added", "! operation `get_job` removed"]
    );
}

#[test]
fn a_description_edit_changes_nothing() {
    let lines = report(|spec| schema(spec, "Job")["properties"]["id"]["description"] = yaml("The job's id."));
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn regen_prints_breaking_changes_first_with_the_call_for_a_major_bump() {
    let temp = tempfile::tempdir().expect("temp dir");
    let spec = temp.path().join("spec.yaml");
    let regen = || support::regen_into(&spec, temp.path(), &[]);
    std::fs::write(&spec, SPEC).expect("write spec");
    assert!(regen().status.success());

    let mut edited = base();
    schema(&mut edited, "JobState")["enum"] = yaml("[In-progress, Completed, Failed]");
    schema(&mut edited, "Job")["properties"]["note"] = yaml("{type: boolean}");
    std::fs::write(&spec, serde_yaml::to_string(&edited).expect("yaml")).expect("write spec");
    let output = regen();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = stdout
        .split_once("API surface:\n")
        .map(|(_, r)| r)
        .expect("a report");
    assert_eq!(
        report,
        "  BREAKING (1): callers may stop compiling or decoding; a major version bump is due\n\
         \x20   - type `Job`: field `note`: Option<String> -> Option<bool>\n\
         \x20 compatible (1):\n\
         \x20   - type `JobState`: value `Failed` added (older versions decode it as `Unknown`)\n"
    );
}
