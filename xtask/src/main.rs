//! `cargo xtask regen [--check] [--skip-unsupported] [--spec PATH] [--out DIR | --vendored DIR]`,
//! `cargo xtask try-spec PATH [--skip-unsupported]`, `cargo xtask vendor DIR [--check] [--spec PATH]`,
//! `cargo xtask fixture --from PATH [--check]`
//!
//! This file only picks the command; each one parses its own arguments and runs in
//! `cmd/<command>.rs`, over the library's stages.

mod cmd;

use std::process::ExitCode;

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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => return usage_error("missing command"),
    };
    let run = match command {
        "regen" => cmd::regen::run(rest),
        "try-spec" => cmd::try_spec::run(rest),
        "vendor" => cmd::vendor::run(rest),
        "fixture" => cmd::fixture::run(rest),
        other => Err(format!("unknown command `{other}`")),
    };
    run.unwrap_or_else(|message| usage_error(&message))
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\n{USAGE}");
    ExitCode::from(2)
}
