//! `cargo xtask try-spec`: what a maintainer runs on a new spec before regenerating. The
//! crates generated from it go into a scratch workspace beside this repository's hand-written
//! runtime, and `cargo check` says whether they compile, without touching the real crates.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::GeneratedFile;

/// The crates the scratch workspace holds: the generated files go into their copies.
const CRATES: [&str; 2] = ["cf-cache-types", "cf-cache-client"];

/// Where the scratch workspace and its build live, under the repository's `target/`: the
/// target directory persists, so dependencies compile once across runs.
pub struct Scratch {
    /// The workspace root.
    pub workspace: PathBuf,
    /// Its `CARGO_TARGET_DIR`.
    pub target: PathBuf,
}

impl Scratch {
    /// The scratch locations of the repository at `root`.
    pub fn under(root: &Path) -> Self {
        let base = root.join("target").join("try-spec");
        Self {
            workspace: base.join("workspace"),
            target: base.join("target"),
        }
    }

    /// Rebuilds the workspace: the SDK crates of `root` (their generated folders left out),
    /// then `files` on top, a manifest listing only those crates, and `root`'s lockfile.
    pub fn build(&self, root: &Path, files: &[GeneratedFile]) -> std::io::Result<()> {
        if self.workspace.exists() {
            std::fs::remove_dir_all(&self.workspace)?;
        }
        for krate in CRATES {
            let from = root.join("crates").join(krate);
            copy_tree(
                &from,
                &self.workspace.join("crates").join(krate),
                &from.join("src/generated"),
            )?;
        }
        for file in files {
            let target = self.workspace.join(&file.path);
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(target, &file.contents)?;
        }
        let manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
        std::fs::write(
            self.workspace.join("Cargo.toml"),
            only_members(&manifest, &CRATES),
        )?;
        std::fs::copy(root.join("Cargo.lock"), self.workspace.join("Cargo.lock"))?;
        Ok(())
    }

    /// Runs `cargo check` on the workspace: whether it compiled, how long it took and what
    /// the compiler said.
    pub fn check(&self) -> std::io::Result<(bool, Duration, String)> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let started = Instant::now();
        let output = Command::new(cargo)
            .args(["check", "--quiet", "--workspace"])
            .current_dir(&self.workspace)
            .env("CARGO_TARGET_DIR", &self.target)
            .output()?;
        Ok((
            output.status.success(),
            started.elapsed(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ))
    }
}

fn copy_tree(from: &Path, to: &Path, skip: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        if path == skip {
            continue;
        }
        let Some(name) = path.file_name() else { continue };
        let target = to.join(name);
        if path.is_dir() {
            copy_tree(&path, &target, skip)?;
        } else {
            std::fs::copy(&path, &target)?;
        }
    }
    Ok(())
}

/// `manifest` with its workspace `members = [..]` replaced by `members`.
fn only_members(manifest: &str, members: &[&str]) -> String {
    let listed: Vec<String> = members.iter().map(|m| format!("\"crates/{m}\"")).collect();
    match manifest.find("members = [") {
        Some(start) => match manifest[start..].find(']') {
            Some(len) => format!(
                "{}members = [{}{}",
                &manifest[..start],
                listed.join(", "),
                &manifest[start + len..]
            ),
            None => manifest.to_string(),
        },
        None => manifest.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scratch_manifest_lists_only_the_sdk_crates() {
        let manifest = "[workspace]\nmembers = [\n  \"a\",\n  \"b\",\n]\nexclude = [\"fuzz\"]\n";
        assert_eq!(
            only_members(manifest, &CRATES),
            "[workspace]\nmembers = [\"crates/cf-cache-types\", \"crates/cf-cache-client\"]\nexclude = [\"fuzz\"]\n"
        );
    }
}
