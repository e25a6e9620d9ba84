//! The SDK crates work where a monorepo puts them: `cargo xtask vendor` writes them into a
//! foreign workspace (edition 2021, resolver 2, its own `[workspace.package]`,
//! `[workspace.dependencies]` and `[workspace.lints]`, none of them ours), the workspace
//! builds, and a program in it talks to a loopback server through the vendored client and
//! its helpers.
//!
//! The foreign workspace's inherited settings are chosen so that a vendored manifest that
//! still inherited anything would fail to build: it has no `rust-version` (the error users saw),
//! and its `serde` has no `derive`.

use std::path::{Path, PathBuf};
use std::process::Command;

use cf_cache_tests::{TOKEN, ZONE, scratch_target_dir, spec_example, workspace_root};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ROOT_MANIFEST: &str = r#"[workspace]
resolver = "2"
members = ["apps/*", "third_party/cf-cache/*"]

[workspace.package]
edition = "2021"
version = "7.3.0"
license = "LicenseRef-Acme-Internal"
publish = false

[workspace.dependencies]
cf-cache-client = { path = "third_party/cf-cache/cf-cache-client" }
cf-cache-ext = { path = "third_party/cf-cache/cf-cache-ext" }
futures = "0.3"
serde = { version = "1", default-features = false }
tokio = { version = "1", features = ["macros", "rt"] }

[workspace.lints.rust]
missing_docs = "deny"
unsafe_code = "deny"

[workspace.lints.clippy]
pedantic = "deny"
"#;

const APP_MANIFEST: &str = r#"[package]
name = "purge-on-deploy"
edition.workspace = true
version.workspace = true
license.workspace = true
publish.workspace = true

[dependencies]
cf-cache-client.workspace = true
cf-cache-ext.workspace = true
futures.workspace = true
tokio.workspace = true

[lints]
workspace = true
"#;

/// Reads the API's base URL from its first argument; prints one line per call.
const APP_MAIN: &str = r#"//! Purges a tag and lists the zone's origin mappings, as a deploy step would.

use cf_cache_client::types::PurgeRequest;
use cf_cache_client::Client;
use cf_cache_ext::pagination::origin_cloud_regions;
use futures::TryStreamExt;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (base_url, token, zone) = (args.next(), args.next(), args.next());
    let (Some(base_url), Some(token), Some(zone)) = (base_url, token, zone) else {
        return Err("usage: purge-on-deploy BASE_URL TOKEN ZONE".into());
    };
    let client = Client::builder().api_token(token).base_url(base_url).build()?;

    let body = PurgeRequest::Tags(vec!["release-7.3.0".into()]);
    let accepted = client.purge_cache(&zone, &body).await?;
    println!("purge {}", accepted.id);

    let mappings: Vec<_> = origin_cloud_regions(&client, &zone).build()?.items().try_collect().await?;
    for mapping in mappings {
        println!("mapping {} {} {}", mapping.origin_ip, mapping.vendor, mapping.region);
    }
    Ok(())
}
"#;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dir");
    std::fs::write(path, text).expect("write file");
}

/// A fresh foreign workspace under `target/`, with the SDK crates vendored into it.
fn monorepo() -> PathBuf {
    let root = workspace_root();
    let monorepo = root.join("target/vendoring-check");
    let _ = std::fs::remove_dir_all(&monorepo);
    write(&monorepo.join("Cargo.toml"), ROOT_MANIFEST);
    write(&monorepo.join("apps/purge-on-deploy/Cargo.toml"), APP_MANIFEST);
    write(&monorepo.join("apps/purge-on-deploy/src/main.rs"), APP_MAIN);
    // Our lockfile, so the registry crates resolve to the versions this repository tests
    // (and are already downloaded: the build runs offline).
    std::fs::copy(root.join("Cargo.lock"), monorepo.join("Cargo.lock")).expect("copy lockfile");

    let vendored = monorepo.join("third_party/cf-cache");
    let written = xtask::vendor::vendor(&root, &vendored, None, false)
        .unwrap_or_else(|e| panic!("vendoring fails: {e}"));
    assert_eq!(written.differ.len(), written.files, "every file is new");
    let again =
        xtask::vendor::vendor(&root, &vendored, None, true).unwrap_or_else(|e| panic!("checking fails: {e}"));
    assert!(again.is_clean(), "a fresh copy has drifted: {again:?}");
    monorepo
}

fn cargo(monorepo: &Path, args: &[&str]) -> std::process::Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Command::new(cargo)
        .args(args)
        .current_dir(monorepo)
        .env("CARGO_TARGET_DIR", scratch_target_dir())
        .output()
        .expect("cargo runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn vendored_crates_build_in_a_foreign_workspace_and_talk_to_a_server() {
    let monorepo = monorepo();
    let built = cargo(&monorepo, &["build", "--quiet", "--offline", "--workspace"]);
    assert!(
        built.status.success(),
        "the foreign workspace does not build:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );

    let server = MockServer::start().await;
    let zone_path = |suffix: &str| format!("/zones/{ZONE}/{suffix}");
    Mock::given(method("POST"))
        .and(path(zone_path("purge_cache")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_json(serde_json::json!({"tags": ["release-7.3.0"]})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(spec_example("POST", "/zones/{zone_id}/purge_cache")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(zone_path("origin/cloud_regions")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(spec_example("GET", "/zones/{zone_id}/origin/cloud_regions")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let program = scratch_target_dir().join("debug/purge-on-deploy");
    let uri = server.uri();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&program)
            .args([uri.as_str(), TOKEN, ZONE])
            .output()
            .unwrap_or_else(|e| panic!("{} runs: {e}", program.display()))
    })
    .await
    .expect("the program's thread");
    assert!(
        output.status.success(),
        "the program failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "purge 023e105f4ecef8ad9ca31a8372d0c353\n\
         mapping 192.0.2.1 aws us-east-1\n\
         mapping 2001:db8::1 gcp us-central1\n"
    );
    server.verify().await;
}
