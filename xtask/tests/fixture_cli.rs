//! `cargo xtask fixture` through the real binary, on sources other than Cloudflare's spec (that
//! one is in `../shared`, which only CI has: `.ci/run` runs the `--check` against it). Nothing
//! here writes the committed fixture.

use std::process::{Command, Output};

fn fixture(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("fixture")
        .args(args)
        .output()
        .expect("xtask runs")
}

#[test]
fn check_fails_naming_the_rebuild_when_the_source_gives_another_fixture() {
    let temp = tempfile::tempdir().expect("temp dir");
    let source = temp.path().join("other.json");
    std::fs::write(
        &source,
        r#"{"openapi": "3.0.3", "info": {"title": "T", "version": "1"}, "paths": {}}"#,
    )
    .expect("write source");
    let output = fixture(&["--from", source.to_str().expect("utf-8 path"), "--check"]);
    assert_eq!(output.status.code(), Some(1));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("tests/fixtures/cloudflare-upstream-cache.json differs from what other.json gives"),
        "{message}"
    );
    assert!(message.contains("run `cargo xtask fixture --from"), "{message}");
}

#[test]
fn a_source_that_is_not_openapi_is_refused() {
    let temp = tempfile::tempdir().expect("temp dir");
    let source = temp.path().join("notes.yaml");
    std::fs::write(&source, "just: notes\n").expect("write source");
    let output = fixture(&["--from", source.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("notes.yaml: not an OpenAPI document"),
        "{message}"
    );
}

#[test]
fn a_missing_source_is_a_usage_error() {
    let output = fixture(&["--check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("fixture needs --from PATH"));
}
