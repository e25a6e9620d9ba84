//! `fixture --from PATH [--check]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xtask::{fixture, write};

use super::workspace_root;

/// Parses `args` and rebuilds the prose-free copy of Cloudflare's spec the tests use.
pub fn run(args: &[String]) -> Result<ExitCode, String> {
    let (mut from, mut check) = (None, false);
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--from" => match iter.next() {
                Some(path) => from = Some(PathBuf::from(path)),
                None => return Err("--from needs a path".into()),
            },
            "--check" => check = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let Some(from) = from else {
        return Err("fixture needs --from PATH (Cloudflare's cache spec)".into());
    };
    Ok(rebuild(&from, check))
}

/// Rebuilds the fixture from `from`, or with `check` only compares it.
fn rebuild(from: &Path, check: bool) -> ExitCode {
    let source = match std::fs::read(from) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", from.display());
            return ExitCode::FAILURE;
        }
    };
    // Only the file's name goes into the fixture, so where it was read from does not matter.
    let name = from.file_name().map_or_else(
        || from.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let text = match fixture::build(&source, &name) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let root = workspace_root();
    let file = [xtask::GeneratedFile {
        path: fixture::FIXTURE_FILE.to_string(),
        contents: text,
    }];
    if check {
        if write::stale(&root, &file).is_empty() {
            println!("{} is up to date with {name}", fixture::FIXTURE_FILE);
            return ExitCode::SUCCESS;
        }
        eprintln!(
            "error: {} differs from what {name} gives; run `cargo xtask fixture --from {}`",
            fixture::FIXTURE_FILE,
            from.display()
        );
        return ExitCode::FAILURE;
    }
    match write::write(&root, &file) {
        Ok(changed) if changed.is_empty() => println!("{} unchanged", fixture::FIXTURE_FILE),
        Ok(_) => println!("wrote {} from {name}", fixture::FIXTURE_FILE),
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", fixture::FIXTURE_FILE);
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
