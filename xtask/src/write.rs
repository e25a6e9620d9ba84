//! Stage 5: put the files on disk, or (with `--check`) say which ones are stale. Writing is
//! all or nothing: every file is staged beside its target first, and only then are they
//! renamed into place.

use std::fs;
use std::path::{Path, PathBuf};

use crate::GeneratedFile;

/// Files whose committed text differs from `files` (missing files count as differing).
pub fn stale(root: &Path, files: &[GeneratedFile]) -> Vec<String> {
    files
        .iter()
        .filter(|f| {
            let on_disk = fs::read_to_string(root.join(&f.path)).ok();
            on_disk.map(|text| normalise_newlines(&text)) != Some(normalise_newlines(&f.contents))
        })
        .map(|f| f.path.clone())
        .collect()
}

/// Writes the stale files under `root` and returns their paths; on any error nothing changes.
pub fn write(root: &Path, files: &[GeneratedFile]) -> std::io::Result<Vec<String>> {
    let changed = stale(root, files);
    let targets: Vec<(&GeneratedFile, PathBuf, PathBuf)> = files
        .iter()
        .filter(|f| changed.contains(&f.path))
        .map(|f| {
            let target = root.join(&f.path);
            // Beside the target under its full name plus a suffix, so no two files (`a.rs`,
            // `a.toml`) ever share a staging name.
            let mut staged = target.clone().into_os_string();
            staged.push(".regen-tmp");
            let staged = PathBuf::from(staged);
            (f, target, staged)
        })
        .collect();

    let staged = targets.iter().try_for_each(|(f, target, staged)| {
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(staged, &f.contents)
    });
    if let Err(e) = staged {
        for (_, _, staged) in &targets {
            let _ = fs::remove_file(staged);
        }
        return Err(e);
    }
    for (_, target, staged) in &targets {
        fs::rename(staged, target)?;
    }
    Ok(changed)
}

fn normalise_newlines(text: &str) -> String {
    text.replace("\r\n", "\n")
}
