//! `cargo xtask regen [--check] [--spec PATH] [--out DIR]`, `cargo xtask fixture --from PATH`

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use xtask::surface::Surface;
use xtask::{DEFAULT_SPEC, OPERATIONS_FILE, TYPES_FILE, fixture, generate, write};

const USAGE: &str = "usage: cargo xtask regen [--check] [--spec PATH] [--out DIR]

  regen          regenerate cf-cache-types and cf-cache-client from the spec
  --check        write nothing; fail listing every generated file that is stale
  --spec PATH    read this spec instead of spec/cloudflare-cache.yaml
  --out DIR      write under DIR instead of the workspace root (same relative paths)

usage: cargo xtask fixture --from PATH [--check]

  fixture        rebuild tests/fixtures/cloudflare-upstream-cache.json from Cloudflare's
                 published cache spec at PATH, prose removed (tests/fixtures/README.md)
  --check        write nothing; fail if the committed fixture differs";

struct Args {
    check: bool,
    spec: PathBuf,
    out: PathBuf,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("fixture") {
        return fixture_command(&args[1..]);
    }
    match parse_args(args) {
        Ok(args) => regen(&args),
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

fn parse_args(args: Vec<String>) -> Result<Args, String> {
    let root = workspace_root();
    let mut iter = args.into_iter();
    match iter.next().as_deref() {
        Some("regen") => {}
        Some(other) => return Err(format!("unknown command `{other}`")),
        None => return Err("missing command".into()),
    }
    let mut parsed = Args {
        check: false,
        spec: root.join(DEFAULT_SPEC),
        out: root,
    };
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--check" => parsed.check = true,
            "--spec" => parsed.spec = iter.next().ok_or("--spec needs a path")?.into(),
            "--out" => parsed.out = iter.next().ok_or("--out needs a directory")?.into(),
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
    let files = match generate(&bytes, &spec_name) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };

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

    let read = |path: &str| std::fs::read_to_string(args.out.join(path)).ok();
    let before = Surface::read(read(OPERATIONS_FILE).as_deref(), read(TYPES_FILE).as_deref());
    let changed = match write::write(&args.out, &files) {
        Ok(changed) => changed,
        Err(e) => {
            eprintln!("error: writing generated files failed, nothing was changed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let contents = |path: &str| files.iter().find(|f| f.path == path).map(|f| f.contents.as_str());
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

/// The spec path relative to the workspace root when it is inside it, for stable headers.
fn display_name(spec: &Path, root: &Path) -> String {
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

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\n{USAGE}");
    ExitCode::from(2)
}

/// `fixture --from PATH [--check]`: the prose-free copy of Cloudflare's spec the tests use.
fn fixture_command(args: &[String]) -> ExitCode {
    let (mut from, mut check) = (None, false);
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--from" => match iter.next() {
                Some(path) => from = Some(PathBuf::from(path)),
                None => return usage_error("--from needs a path"),
            },
            "--check" => check = true,
            other => return usage_error(&format!("unknown argument `{other}`")),
        }
    }
    let Some(from) = from else {
        return usage_error("fixture needs --from PATH (Cloudflare's cache spec)");
    };
    let source = match std::fs::read(&from) {
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
    let target = workspace_root().join(fixture::FIXTURE_FILE);
    let committed = std::fs::read_to_string(&target).ok();
    let fresh = committed.as_deref().map(|t| t.replace("\r\n", "\n")) == Some(text.clone());
    if check {
        if fresh {
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
    if fresh {
        println!("{} unchanged", fixture::FIXTURE_FILE);
        return ExitCode::SUCCESS;
    }
    let written = target
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&target, &text));
    match written {
        Ok(()) => {
            println!(
                "wrote {} ({} bytes) from {name}",
                fixture::FIXTURE_FILE,
                text.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", target.display());
            ExitCode::FAILURE
        }
    }
}
