//! `cargo xtask vendor DIR` and `cargo xtask regen --vendored DIR` through the real binary: the
//! vendored manifests inherit nothing, `--check` is the drift gate for hand edits and for a
//! spec regenerated into the copy. (`tests/vendoring.rs` builds such a copy in a foreign
//! workspace.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn vendored() -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("third_party/cf-cache");
    let written = xtask(&["vendor", path(&dir)]);
    assert!(written.status.success(), "vendor fails: {}", stderr(&written));
    (temp, dir)
}

fn path(dir: &Path) -> &str {
    dir.to_str().expect("utf-8 temp path")
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn vendored_manifests_inherit_nothing_and_keep_features_and_lints() {
    let (_temp, dir) = vendored();
    for krate in ["cf-cache-types", "cf-cache-client", "cf-cache-ext"] {
        let manifest = read(dir.join(krate).join("Cargo.toml"));
        let inherited: Vec<&str> = manifest
            .lines()
            .filter(|l| !l.starts_with('#') && l.contains("workspace"))
            .collect();
        assert!(inherited.is_empty(), "{krate} still inherits: {inherited:?}");
        assert!(
            manifest.contains("rust-version = \"1.88\""),
            "{krate}:\n{manifest}"
        );
        assert!(
            manifest.contains("[lints.rust]\nmissing_docs = \"warn\""),
            "{krate}:\n{manifest}"
        );
    }
    let client = read(dir.join("cf-cache-client/Cargo.toml"));
    assert!(client.contains("cf-cache-types = { path = \"../cf-cache-types\", version = \"0.1.0\" }"));
    assert!(client.contains("native-tls = [\"reqwest/native-tls\"]"));
    assert!(
        client.contains(
            "tokio = { version = \"1.50\", features = [\"time\", \"macros\", \"rt-multi-thread\"] }"
        )
    );
}

#[test]
fn vendored_crates_carry_their_readme_and_license_files() {
    let (_temp, dir) = vendored();
    for krate in ["cf-cache-types", "cf-cache-client", "cf-cache-ext"] {
        assert!(read(dir.join(krate).join("README.md")).starts_with(&format!("# {krate}\n")));
        assert!(read(dir.join(krate).join("LICENSE-MIT")).starts_with("MIT License"));
        assert!(read(dir.join(krate).join("LICENSE-APACHE")).contains("Version 2.0, January 2004"));
        let link = std::fs::symlink_metadata(dir.join(krate).join("LICENSE-MIT")).expect("license file");
        assert!(
            link.is_file(),
            "{krate}: a vendored license is a file, not a link into cf-cache"
        );
    }
}

#[test]
fn check_names_hand_edits_and_stray_files_and_vendoring_again_undoes_them() {
    let (_temp, dir) = vendored();
    let clean = xtask(&["vendor", path(&dir), "--check"]);
    assert!(clean.status.success(), "fresh copy drifted: {}", stderr(&clean));

    let lib = dir.join("cf-cache-client/src/lib.rs");
    std::fs::write(&lib, read(lib.clone()) + "// patched here\n").expect("edit");
    std::fs::write(dir.join("cf-cache-ext/src/leftover.rs"), "").expect("stray file");
    let drifted = xtask(&["vendor", path(&dir), "--check"]);
    assert_eq!(drifted.status.code(), Some(1));
    let message = stderr(&drifted);
    assert!(
        message.contains("differs: cf-cache-client/src/lib.rs"),
        "{message}"
    );
    assert!(
        message.contains("not in cf-cache: cf-cache-ext/src/leftover.rs"),
        "{message}"
    );

    let again = xtask(&["vendor", path(&dir)]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(!dir.join("cf-cache-ext/src/leftover.rs").exists());
    assert!(xtask(&["vendor", path(&dir), "--check"]).status.success());
}

#[test]
fn a_spec_regenerated_into_the_copy_is_what_the_gates_compare_against() {
    let (temp, dir) = vendored();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // Any change to the spec's bytes changes every generated file (their headers hash it).
    let spec = temp.path().join("monorepo-spec.yaml");
    std::fs::write(
        &spec,
        read(root.join("spec/cloudflare-cache.yaml")) + "# the monorepo's copy\n",
    )
    .expect("spec copy");

    let stale = xtask(&[
        "regen",
        "--vendored",
        path(&dir),
        "--spec",
        path(&spec),
        "--check",
    ]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        stderr(&stale).contains("  cf-cache-types/src/generated.rs"),
        "{}",
        stderr(&stale)
    );

    let regen = xtask(&["regen", "--vendored", path(&dir), "--spec", path(&spec)]);
    assert!(regen.status.success(), "{}", stderr(&regen));
    assert!(
        !dir.join("crates").exists(),
        "regen wrote outside the vendored layout"
    );
    let fresh = xtask(&[
        "regen",
        "--vendored",
        path(&dir),
        "--spec",
        path(&spec),
        "--check",
    ]);
    assert!(fresh.status.success(), "{}", stderr(&fresh));
    let whole = xtask(&["vendor", path(&dir), "--spec", path(&spec), "--check"]);
    assert!(whole.status.success(), "{}", stderr(&whole));

    // Against cf-cache's own spec, only the generated files differ.
    let ours = xtask(&["vendor", path(&dir), "--check"]);
    let message = stderr(&ours);
    let differ: Vec<&str> = message.lines().filter(|l| l.contains("differs: ")).collect();
    let spec_bytes = std::fs::read(root.join(xtask::DEFAULT_SPEC)).expect("our spec");
    let generated = xtask::generate(&spec_bytes, xtask::DEFAULT_SPEC).expect("our spec generates");
    assert_eq!(differ.len(), generated.len(), "{message}");
    assert!(differ.iter().all(|l| l.contains("/generated")), "{message}");
}

#[test]
fn vendoring_onto_the_crates_it_copies_is_refused() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
    let refused = xtask(&["vendor", path(&crates)]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("pick a directory outside it"),
        "{}",
        stderr(&refused)
    );
}
