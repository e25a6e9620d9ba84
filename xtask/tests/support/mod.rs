//! What the tests that run the `xtask` binary on a spec share.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `xtask regen FLAGS.. --spec SPEC --out OUT` and returns what it printed and its
/// status.
pub fn regen_into(spec: &Path, out: &Path, flags: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("regen")
        .args(flags)
        .arg("--spec")
        .arg(spec)
        .arg("--out")
        .arg(out)
        .output()
        .expect("xtask runs")
}
