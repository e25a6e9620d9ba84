//! `cargo xtask regen [--check] [--skip-unsupported] [--spec PATH] [--out DIR | --vendored DIR]`,
//! `cargo xtask try-spec PATH [--skip-unsupported]`, `cargo xtask vendor DIR [--check] [--spec PATH]`,
//! `cargo xtask fixture --from PATH [--check]`

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use xtask::surface::{Surface, skipped_listing};
use xtask::{DEFAULT_SPEC, OPERATIONS_FILE, Options, TYPES_FILE, fixture, generate_with, vendor, write};

const USAGE: &str =
    "usage: cargo xtask regen [--check] [--skip-unsupported] [--spec PATH] [--out DIR | --vendored DIR]

  regen               regenerate cf-cache-types and cf-cache-client from the spec
  --check             write nothing; fail listing every generated file that is stale
  --skip-unsupported  leave out (and list) operations the generator cannot handle
  --spec PATH         read this spec instead of spec/cloudflare-cache.yaml
  --out DIR           write under DIR instead of the workspace root (same relative paths)
  --vendored DIR      write into the crates `cargo xtask vendor DIR` put there

usage: cargo xtask try-spec PATH [--skip-unsupported]

  try-spec       generate from PATH into a scratch workspace and `cargo check` it

usage: cargo xtask vendor DIR [--check] [--spec PATH]

  vendor         write cf-cache-types, cf-cache-client and cf-cache-ext under DIR with
                 self-contained manifests, for another workspace (README: Vendoring)
  --check        write nothing; fail listing every file under DIR that differs
  --spec PATH    generate the crates' generated files from this spec

usage: cargo xtask fixture --from PATH [--check]

  fixture        rebuild tests/fixtures/cloudflare-upstream-cache.json from Cloudflare's
                 published cache spec at PATH, prose removed (tests/fixtures/README.md)
  --check        write nothing; fail if the committed fixture differs";

struct Args {
    check: bool,
    spec: PathBuf,
    out: PathBuf,
    /// `out` holds crates laid out by `cargo xtask vendor`, not this workspace's `crates/`.
    vendored: bool,
    options: Options,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("fixture") => return fixture_command(&args[1..]),
        Some("vendor") => return vendor_command(&args[1..]),
        Some("try-spec") => {
            return match parse_try_spec(&args[1..]) {
                Ok((spec, options)) => try_spec(&spec, options),
                Err(message) => usage_error(&message),
            };
        }
        _ => {}
    }
    match parse_args(args) {
        Ok(args) => regen(&args),
        Err(message) => usage_error(&message),
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

/// `vendor DIR [--check] [--spec PATH]`: the SDK crates, self-contained, for another workspace.
fn vendor_command(args: &[String]) -> ExitCode {
    let (mut dir, mut check, mut spec) = (None, false, None);
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--spec" => match iter.next() {
                Some(path) => spec = Some(PathBuf::from(path)),
                None => return usage_error("--spec needs a path"),
            },
            other if other.starts_with('-') => return usage_error(&format!("unknown argument `{other}`")),
            other if dir.is_none() => dir = Some(PathBuf::from(other)),
            other => return usage_error(&format!("one directory only (`{other}`)")),
        }
    }
    let Some(dir) = dir else {
        return usage_error("vendor needs a directory");
    };
    let root = workspace_root();
    let spec = match spec.map(|path| std::fs::read(&path).map(|bytes| (bytes, display_name(&path, &root)))) {
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
    let drift = match vendor::vendor(&root, &dir, spec, check) {
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

fn parse_try_spec(args: &[String]) -> Result<(PathBuf, Options), String> {
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
