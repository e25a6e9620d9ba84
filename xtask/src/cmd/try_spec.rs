//! `try-spec PATH [--skip-unsupported]`: generate from any spec into a scratch workspace and
//! `cargo check` it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use xtask::surface::skipped_listing;
use xtask::{Options, generate_with};

use super::{display_name, workspace_root};

/// Parses `args` and tries the spec.
pub fn run(args: &[String]) -> Result<ExitCode, String> {
    parse(args).map(|(spec, options)| try_spec(&spec, options))
}

fn parse(args: &[String]) -> Result<(PathBuf, Options), String> {
    let mut spec = None;
    let mut options = Options::default();
    for arg in args {
        match arg.as_str() {
            "--skip-unsupported" => options.skip_unsupported = true,
            "-h" | "--help" => return Err("help requested".into()),
            other if other.starts_with("--") => return Err(format!("unknown argument `{other}`")),
            path if spec.is_none() => spec = Some(PathBuf::from(path)),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    Ok((spec.ok_or("try-spec needs the path of a spec")?, options))
}

/// Generates from `spec` into the scratch workspace, checks that it compiles and reports.
fn try_spec(spec: &Path, options: Options) -> ExitCode {
    let root = workspace_root();
    let bytes = match std::fs::read(spec) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read spec {}: {e}", spec.display());
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let generation = match generate_with(&bytes, &display_name(spec, &root), options) {
        Ok(generation) => generation,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!(
                "try-spec: generation failed (with --skip-unsupported, unsupported operations are left out)"
            );
            return ExitCode::FAILURE;
        }
    };
    let lines: usize = generation.files.iter().map(|f| f.contents.lines().count()).sum();
    let t = generation.times;
    println!(
        "generated {} lines in {:.1?} ({} files; load {:.1?}, normalise {:.1?}, emit {:.1?}, format {:.1?})",
        lines,
        started.elapsed(),
        generation.files.len(),
        t.load,
        t.normalise,
        t.emit,
        t.format
    );
    for (kind, count) in &generation.kinds {
        println!("  {kind}: {count}");
    }
    print!("{}", skipped_listing(&generation.skipped));
    let (generated, skipped) = (generation.operations, generation.skipped.len());
    let total = generated + skipped;
    let scratch = xtask::try_spec::Scratch::under(&root);
    if let Err(e) = scratch.build(&root, &generation.files) {
        eprintln!(
            "error: cannot build the scratch workspace {}: {e}",
            scratch.workspace.display()
        );
        return ExitCode::FAILURE;
    }
    println!(
        "cargo check in {} (target {})",
        scratch.workspace.display(),
        scratch.target.display()
    );
    match scratch.check() {
        Ok((true, took, _)) => {
            println!(
                "try-spec: {generated}/{total} operations generated, {skipped} skipped, compiled in {:.0} s",
                took.as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Ok((false, took, stderr)) => {
            eprintln!("{}", compiler_errors(&stderr, 300));
            println!(
                "try-spec: {generated}/{total} operations generated, {skipped} skipped, did not compile ({:.0} s)",
                took.as_secs_f64()
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: cannot run cargo check: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The compiler's error messages in `stderr` (warnings left out), at most `max_lines` lines.
fn compiler_errors(stderr: &str, max_lines: usize) -> String {
    let mut out = Vec::new();
    let mut in_error = false;
    for line in stderr.lines() {
        if line.starts_with("error") {
            in_error = true;
        } else if line.starts_with("warning") {
            in_error = false;
        }
        if in_error {
            out.push(line);
        }
    }
    let errors = out.iter().filter(|l| l.starts_with("error")).count();
    let shown = out.len().min(max_lines);
    format!(
        "{}\n({errors} error lines; {shown} of {} lines shown)",
        out[..shown].join("\n"),
        out.len()
    )
}
