//! `regen [--check] [--skip-unsupported] [--spec PATH] [--out DIR | --vendored DIR]`: the
//! generated files of cf-cache-types and cf-cache-client, from the spec.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use xtask::surface::{Surface, skipped_listing};
use xtask::{DEFAULT_SPEC, OPERATIONS_FILE, Options, TYPES_FILE, generate_with, vendor, write};

use super::{display_name, workspace_root};

/// Parses `args` and regenerates.
pub fn run(args: &[String]) -> Result<ExitCode, String> {
    parse(args).map(|args| regen(&args))
}

struct Args {
    check: bool,
    spec: PathBuf,
    out: PathBuf,
    /// `out` holds crates laid out by `cargo xtask vendor`, not this workspace's `crates/`.
    vendored: bool,
    options: Options,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let root = workspace_root();
    let mut iter = args.iter().cloned();
    let mut parsed = Args {
        check: false,
        spec: root.join(DEFAULT_SPEC),
        out: root,
        vendored: false,
        options: Options::default(),
    };
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--check" => parsed.check = true,
            "--skip-unsupported" => parsed.options.skip_unsupported = true,
            "--spec" => parsed.spec = iter.next().ok_or("--spec needs a path")?.into(),
            "--out" => parsed.out = iter.next().ok_or("--out needs a directory")?.into(),
            "--vendored" => {
                parsed.out = iter.next().ok_or("--vendored needs a directory")?.into();
                parsed.vendored = true;
            }
            "-h" | "--help" => return Err("help requested".into()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(parsed)
}

fn regen(args: &Args) -> ExitCode {
    let started = Instant::now();
    let bytes = match std::fs::read(&args.spec) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read spec {}: {e}", args.spec.display());
            return ExitCode::FAILURE;
        }
    };
    let spec_name = display_name(&args.spec, &workspace_root());
    let (files, skipped) = match generate_with(&bytes, &spec_name, args.options) {
        Ok(generation) => (generation.files, generation.skipped),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", skipped_listing(&skipped));
    let place = |path: &str| match args.vendored {
        true => vendor::relocate(path),
        false => path.to_string(),
    };
    let files: Vec<_> = files
        .into_iter()
        .map(|f| xtask::GeneratedFile {
            path: place(&f.path),
            ..f
        })
        .collect();

    if args.check {
        let stale = write::stale(&args.out, &files);
        if stale.is_empty() {
            println!("generated code is up to date ({} files)", files.len());
            return ExitCode::SUCCESS;
        }
        eprintln!("error: generated code is stale; run `cargo xtask regen`:");
        for path in stale {
            eprintln!("  {path}");
        }
        return ExitCode::FAILURE;
    }

    let read = |path: &str| std::fs::read_to_string(args.out.join(place(path))).ok();
    let before = Surface::read(read(OPERATIONS_FILE).as_deref(), read(TYPES_FILE).as_deref());
    let changed = match write::write(&args.out, &files) {
        Ok(changed) => changed,
        Err(e) => {
            eprintln!("error: writing generated files failed, nothing was changed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let contents = |path: &str| {
        let path = place(path);
        files.iter().find(|f| f.path == path).map(|f| f.contents.as_str())
    };
    let after = Surface::read(contents(OPERATIONS_FILE), contents(TYPES_FILE));

    println!("regenerated from {spec_name} in {:.2?}", started.elapsed());
    if changed.is_empty() {
        println!("no file changed");
    }
    for path in &changed {
        println!("  wrote {path}");
    }
    match before.diff(&after) {
        Some(summary) => print!("API surface:\n{summary}"),
        None => println!("API surface unchanged"),
    }
    ExitCode::SUCCESS
}
