//! One module per `cargo xtask` command. Each `run` takes the arguments after the command's
//! name and returns the exit code, or `Err` with a message when the arguments are wrong (the
//! caller then prints the usage).

pub mod fixture;
pub mod regen;
pub mod try_spec;
pub mod vendor;

use std::path::{Path, PathBuf};

/// The workspace this xtask belongs to.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// The spec path relative to the workspace root when it is inside it, for stable headers.
pub fn display_name(spec: &Path, root: &Path) -> String {
    let absolute = spec.canonicalize().unwrap_or_else(|_| spec.to_path_buf());
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let shown = absolute
        .strip_prefix(&root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| {
            absolute
                .file_name()
                .map(PathBuf::from)
                .unwrap_or(absolute.clone())
        });
    shown.to_string_lossy().replace('\\', "/")
}
