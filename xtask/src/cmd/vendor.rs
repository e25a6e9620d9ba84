//! `vendor DIR [--check] [--spec PATH]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xtask::vendor;

use super::{display_name, workspace_root};

/// Parses `args` and vendors the SDK crates, self-contained, for another workspace.
pub fn run(args: &[String]) -> Result<ExitCode, String> {
    let (mut dir, mut check, mut spec) = (None, false, None);
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--spec" => match iter.next() {
                Some(path) => spec = Some(PathBuf::from(path)),
                None => return Err("--spec needs a path".into()),
            },
            other if other.starts_with('-') => return Err(format!("unknown argument `{other}`")),
            other if dir.is_none() => dir = Some(PathBuf::from(other)),
            other => return Err(format!("one directory only (`{other}`)")),
        }
    }
    let Some(dir) = dir else {
        return Err("vendor needs a directory".into());
    };
    Ok(vendor_into(&dir, check, spec.as_deref()))
}

/// Vendors the SDK crates into `dir`, or with `check` only compares them.
fn vendor_into(dir: &Path, check: bool, spec: Option<&Path>) -> ExitCode {
    let root = workspace_root();
    let spec = match spec.map(|path| std::fs::read(path).map(|bytes| (bytes, display_name(path, &root)))) {
        None => None,
        Some(Ok(read)) => Some(read),
        Some(Err(e)) => {
            eprintln!("error: cannot read spec: {e}");
            return ExitCode::FAILURE;
        }
    };
    let spec = spec
        .as_ref()
        .map(|(bytes, name)| (bytes.as_slice(), name.as_str()));
    let drift = match vendor::vendor(&root, dir, spec, check) {
        Ok(drift) => drift,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        if drift.is_clean() {
            println!("{} is up to date ({} files)", dir.display(), drift.files);
            return ExitCode::SUCCESS;
        }
        eprintln!(
            "error: the vendored crates under {} have drifted; run `cargo xtask vendor`:",
            dir.display()
        );
        drift
            .differ
            .iter()
            .for_each(|path| eprintln!("  differs: {path}"));
        drift
            .extra
            .iter()
            .for_each(|path| eprintln!("  not in cf-cache: {path}"));
        return ExitCode::FAILURE;
    }
    println!(
        "vendored {} into {}: {} files, {} written, {} removed",
        vendor::SDK_CRATES.join(", "),
        dir.display(),
        drift.files,
        drift.differ.len(),
        drift.extra.len()
    );
    ExitCode::SUCCESS
}
