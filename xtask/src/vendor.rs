//! `cargo xtask vendor DIR`: the three SDK crates as another workspace can hold them, each in
//! `DIR/<crate>` with a manifest that inherits nothing. What our manifests take from the
//! workspace (`[workspace.package]` fields, `[workspace.dependencies]` entries, `[workspace.lints]`)
//! is written into each crate's own manifest, and the dependencies between the three become
//! path dependencies on their siblings (with versions, so they stay publishable). Everything
//! else (sources, features, docs, license files) is copied as it is.
//!
//! `cargo xtask regen --vendored DIR` regenerates into such a copy: [`relocate`] maps the
//! generator's paths onto it.

use std::fs;
use std::path::{Path, PathBuf};

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

use crate::error::{GenError, Result};
use crate::{GeneratedFile, write};

/// The crates that are vendored, in dependency order: our folder names under `crates/`, which
/// are also their package names and their folder names under the vendor directory.
pub const SDK_CRATES: [&str; 3] = ["cf-cache-types", "cf-cache-client", "cf-cache-ext"];

/// Where the crates live in this repository, relative to the workspace root.
const CRATES_DIR: &str = "crates";

/// The first lines of every vendored manifest.
const HEADER: &str = "# Vendored from cf-cache by `cargo xtask vendor`: self-contained (nothing inherited from a\n\
                      # workspace). Refresh it with that command rather than editing it here.\n";

/// Dependency tables a manifest may have, at the top level or under `[target.'cfg'.*]`.
const DEPENDENCY_TABLES: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];

/// What [`vendor`] found under the vendor directory: files that differ from what cf-cache
/// gives (missing ones included) and files cf-cache does not have. After a write, this is what
/// it changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// How many files the three crates hold.
    pub files: usize,
    /// Paths (relative to the vendor directory) whose text differs or that are missing.
    pub differ: Vec<String>,
    /// Paths under the crates' folders that cf-cache does not have.
    pub extra: Vec<String>,
}

impl Drift {
    /// Whether the vendored copy is exactly what cf-cache gives.
    pub fn is_clean(&self) -> bool {
        self.differ.is_empty() && self.extra.is_empty()
    }
}

/// Vendors the SDK crates of the workspace at `root` into `dir` (or, with `check`, only
/// compares). With `spec` (its bytes and name), the generated files are generated from it
/// instead of copied, as `cargo xtask regen --vendored` would write them. Writing is all or
/// nothing for the files that change; files cf-cache does not have are then removed.
pub fn vendor(root: &Path, dir: &Path, spec: Option<(&[u8], &str)>, check: bool) -> Result<Drift> {
    let sources = root.join(CRATES_DIR).canonicalize().ok();
    if sources.is_some() && dir.canonicalize().ok() == sources {
        return Err(GenError::at(
            dir.display().to_string(),
            "this is where the crates are vendored from; pick a directory outside it",
        ));
    }
    let mut files = files(root)?;
    if let Some((bytes, name)) = spec {
        for file in crate::generate(bytes, name)? {
            let path = relocate(&file.path);
            if let Some(slot) = files.iter_mut().find(|f| f.path == path) {
                slot.contents = file.contents;
            }
        }
    }
    let drift = Drift {
        files: files.len(),
        differ: write::stale(dir, &files),
        extra: extra(dir, &files),
    };
    if !check {
        let place = || dir.display().to_string();
        write::write(dir, &files).map_err(|e| GenError::at(place(), format!("cannot write: {e}")))?;
        remove_extra(dir, &drift.extra).map_err(|e| GenError::at(place(), format!("cannot remove: {e}")))?;
    }
    Ok(drift)
}

/// Every file of the SDK crates under `root/crates/`, as it goes under the vendor directory:
/// paths relative to it (`cf-cache-client/src/lib.rs`), manifests made self-contained.
pub fn files(root: &Path) -> Result<Vec<GeneratedFile>> {
    let workspace_manifest = root.join("Cargo.toml");
    let workspace = parse(&read(&workspace_manifest)?, &workspace_manifest)?;
    let mut out = Vec::new();
    for krate in SDK_CRATES {
        let dir = root.join(CRATES_DIR).join(krate);
        for relative in list(&dir)? {
            let path = dir.join(&relative);
            let text = read(&path)?;
            let contents = if relative == "Cargo.toml" {
                standalone_manifest(&text, &workspace, &path)?
            } else {
                text
            };
            out.push(GeneratedFile {
                path: format!("{krate}/{relative}"),
                contents,
            });
        }
    }
    Ok(out)
}

/// Where a file the generator writes (`crates/cf-cache-types/src/generated.rs`) is in a
/// vendored copy (`cf-cache-types/src/generated.rs`).
pub fn relocate(path: &str) -> String {
    path.strip_prefix(CRATES_DIR)
        .and_then(|p| p.strip_prefix('/'))
        .unwrap_or(path)
        .to_string()
}

/// Files under `dir`'s crate folders that `files` does not hold: left over from an older
/// vendoring (a module since removed) or added by hand.
fn extra(dir: &Path, files: &[GeneratedFile]) -> Vec<String> {
    let mut extra = Vec::new();
    for krate in SDK_CRATES {
        // A crate folder not there yet holds nothing extra.
        let Ok(found) = list(&dir.join(krate)) else {
            continue;
        };
        extra.extend(
            found
                .into_iter()
                .map(|relative| format!("{krate}/{relative}"))
                .filter(|path| !files.iter().any(|f| &f.path == path)),
        );
    }
    extra
}

/// Removes the `extra` files under `dir`, and folders they leave empty.
fn remove_extra(dir: &Path, extra: &[String]) -> std::io::Result<()> {
    for path in extra {
        let path = dir.join(path);
        fs::remove_file(&path)?;
        let mut parent = path.parent();
        while let Some(folder) = parent.filter(|p| *p != dir) {
            // Fails, and stops the climb, at the first folder that still holds something.
            if fs::remove_dir(folder).is_err() {
                break;
            }
            parent = folder.parent();
        }
    }
    Ok(())
}

/// The files of a crate folder, relative to it with `/` separators, sorted; hidden entries
/// and build output are not part of a crate.
fn list(dir: &Path) -> Result<Vec<String>> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> std::io::Result<()> {
        let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<std::io::Result<_>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "target" {
                continue;
            }
            let relative = format!("{prefix}{name}");
            // `metadata` follows symbolic links: a linked license file is copied as a file.
            if fs::metadata(entry.path())?.is_dir() {
                walk(&entry.path(), &format!("{relative}/"), out)?;
            } else {
                out.push(relative);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out)
        .map_err(|e| GenError::at(dir.display().to_string(), format!("cannot list: {e}")))?;
    Ok(out)
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path)
        .map_err(|e| GenError::at(path.display().to_string(), format!("cannot read: {e}")))
}

fn parse(text: &str, path: &Path) -> Result<DocumentMut> {
    text.parse()
        .map_err(|e| GenError::at(path.display().to_string(), format!("not a valid manifest: {e}")))
}

/// `manifest` (of a crate in this workspace) with everything it inherits from `workspace`
/// written out.
fn standalone_manifest(manifest: &str, workspace: &DocumentMut, path: &Path) -> Result<String> {
    let place = path.display().to_string();
    let fail = |message: String| GenError::at(place.clone(), message);
    let mut doc = parse(manifest, path)?;
    let section = |name: &str| {
        workspace
            .get("workspace")
            .and_then(|w| w.get(name))
            .and_then(Item::as_table_like)
    };

    let package = doc
        .get_mut("package")
        .and_then(Item::as_table_mut)
        .ok_or_else(|| fail("no [package] table".into()))?;
    for (key, item) in package.iter_mut() {
        if inherits(item) {
            let value = section("package")
                .and_then(|p| p.get(key.get()))
                .and_then(Item::as_value)
                .ok_or_else(|| {
                    fail(format!(
                        "`{key}` is inherited but [workspace.package] has no `{key}`"
                    ))
                })?;
            *item = Item::Value(undecorated(value));
        }
    }
    package.decor_mut().set_prefix(HEADER);

    let mut tables: Vec<&mut Table> = Vec::new();
    let (top, targets): (Vec<_>, Vec<_>) = doc
        .iter_mut()
        .partition(|(key, _)| DEPENDENCY_TABLES.contains(&key.get()));
    tables.extend(top.into_iter().filter_map(|(_, item)| item.as_table_mut()));
    for (key, item) in targets {
        if key.get() != "target" {
            continue;
        }
        for (_, cfg) in item.as_table_mut().into_iter().flat_map(|t| t.iter_mut()) {
            for (kind, deps) in cfg.as_table_mut().into_iter().flat_map(|t| t.iter_mut()) {
                if DEPENDENCY_TABLES.contains(&kind.get()) {
                    tables.extend(deps.as_table_mut());
                }
            }
        }
    }
    let inherited_deps = section("dependencies");
    for deps in tables {
        for (name, item) in deps.iter_mut() {
            let spec = if inherits(item) {
                let base = inherited_deps.and_then(|d| d.get(name.get())).ok_or_else(|| {
                    fail(format!(
                        "`{name}` is inherited but [workspace.dependencies] has no `{name}`"
                    ))
                })?;
                let spec =
                    merge(base, item).ok_or_else(|| fail(format!("`{name}`: unreadable dependency")))?;
                sibling_path(spec, name.get(), &fail)?
            } else {
                // Only a dependency between our crates may be a path, and then the path to
                // its sibling is already right in the vendored layout.
                match item.as_table_like().and_then(|t| t.get("path")) {
                    Some(_) if !SDK_CRATES.contains(&name.get()) => {
                        return Err(fail(format!(
                            "`{name}` is a path dependency outside the SDK crates"
                        )));
                    }
                    _ => continue,
                }
            };
            *item = spec;
        }
    }

    if doc.get("lints").is_some_and(inherits) {
        let lints = section("lints")
            .ok_or_else(|| fail("`lints` is inherited but there is no [workspace.lints]".into()))?;
        let mut own = Table::new();
        own.set_implicit(true);
        for (tool, rules) in lints.iter() {
            let mut table = Table::new();
            for (lint, level) in rules.as_table_like().into_iter().flat_map(|t| t.iter()) {
                if let Some(level) = level.as_value() {
                    table.insert(lint, Item::Value(undecorated(level)));
                }
            }
            own.insert(tool, Item::Table(table));
        }
        doc.insert("lints", Item::Table(own));
    }
    Ok(doc.to_string())
}

/// Whether a manifest entry is `{ workspace = true }` (dotted or inline).
fn inherits(item: &Item) -> bool {
    item.as_table_like()
        .and_then(|t| t.get("workspace"))
        .and_then(Item::as_bool)
        == Some(true)
}

fn undecorated(value: &Value) -> Value {
    let mut value = value.clone();
    value.decor_mut().clear();
    value
}

/// A workspace dependency (`"1.2"` or a table) with the member's own keys (`features`
/// added to the workspace's, `optional`, ...) laid over it.
fn merge(base: &Item, local: &Item) -> Option<InlineTable> {
    let mut spec = match base.as_value()? {
        Value::String(version) => {
            let mut spec = InlineTable::new();
            spec.insert("version", Value::from(version.value().as_str()));
            spec
        }
        Value::InlineTable(table) => table.clone(),
        _ => return None,
    };
    for (key, value) in local.as_table_like()?.iter() {
        let Some(value) = value.as_value() else { continue };
        match key {
            "workspace" => {}
            "features" => {
                let features = spec
                    .entry("features")
                    .or_insert_with(|| Value::Array(Array::new()))
                    .as_array_mut()?;
                for feature in value.as_array()?.iter() {
                    if !features.iter().any(|f| f.as_str() == feature.as_str()) {
                        features.push_formatted(undecorated(feature));
                    }
                }
            }
            _ => {
                spec.insert(key, undecorated(value));
            }
        }
    }
    Some(spec)
}

/// The dependency as the vendored manifest writes it: a path into `crates/` becomes the
/// sibling folder; a bare version stays a bare version.
fn sibling_path(mut spec: InlineTable, name: &str, fail: &dyn Fn(String) -> GenError) -> Result<Item> {
    if let Some(path) = spec.get("path").and_then(Value::as_str) {
        let sibling = PathBuf::from(path)
            .strip_prefix(CRATES_DIR)
            .ok()
            .and_then(|p| p.to_str().map(str::to_string))
            .filter(|p| SDK_CRATES.contains(&p.as_str()))
            .ok_or_else(|| {
                fail(format!(
                    "`{name}` is a path dependency outside the SDK crates ({path})"
                ))
            })?;
        spec.insert("path", Value::from(format!("../{sibling}")));
    }
    // Comments beside the workspace's entry explain the workspace, not the vendored crate.
    spec.decor_mut().clear();
    for (_, value) in spec.iter_mut() {
        value.decor_mut().clear();
    }
    spec.fmt();
    match spec.get("version").and_then(Value::as_str) {
        Some(version) if spec.len() == 1 => Ok(Item::Value(Value::from(version))),
        _ => Ok(Item::Value(Value::InlineTable(spec))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKSPACE: &str = r#"
[workspace.package]
edition = "2024"
version = "0.1.0"

[workspace.dependencies]
serde = { version = "1", features = ["derive"] } # a comment that stays behind
libc = "0.2"
cf-cache-types = { path = "crates/cf-cache-types", version = "0.1.0" }
helper = { path = "tools/helper" }

[workspace.lints.rust]
unsafe_code = "forbid"
"#;

    fn standalone(manifest: &str) -> Result<String> {
        let workspace = parse(WORKSPACE, Path::new("Cargo.toml"))?;
        standalone_manifest(manifest, &workspace, Path::new("crates/x/Cargo.toml"))
    }

    #[test]
    fn target_specific_dependencies_are_written_out_too() {
        let text = standalone(
            "[package]\nname = \"x\"\nedition.workspace = true\n\n\
             [target.'cfg(unix)'.dependencies]\nlibc.workspace = true\n\
             serde = { workspace = true, optional = true, features = [\"rc\"] }\n",
        )
        .expect("vendors");
        assert!(text.contains("edition = \"2024\"\n"), "{text}");
        assert!(text.contains("libc = \"0.2\"\n"), "{text}");
        assert!(
            text.contains("serde = { version = \"1\", features = [\"derive\", \"rc\"], optional = true }\n"),
            "{text}"
        );
        assert!(!text.contains("comment"), "{text}");
    }

    #[test]
    fn a_path_dependency_outside_the_sdk_crates_is_refused() {
        let error = standalone("[package]\nname = \"x\"\n[dependencies]\nhelper.workspace = true\n")
            .expect_err("refused");
        assert!(
            error
                .message
                .contains("`helper` is a path dependency outside the SDK crates"),
            "{error}"
        );
    }

    #[test]
    fn inheriting_what_the_workspace_does_not_have_is_refused() {
        let error =
            standalone("[package]\nname = \"x\"\nrust-version.workspace = true\n").expect_err("refused");
        assert!(
            error
                .message
                .contains("[workspace.package] has no `rust-version`"),
            "{error}"
        );
    }

    #[test]
    fn generated_paths_move_out_of_crates() {
        assert_eq!(
            relocate("crates/cf-cache-types/src/generated.rs"),
            "cf-cache-types/src/generated.rs"
        );
        assert_eq!(relocate("elsewhere/file.rs"), "elsewhere/file.rs");
    }
}
