//! `ratios [CRITERION_DIR]`: reads criterion's results (default `target/criterion`) and prints,
//! for every group with a `cf_cache` and a `baseline` benchmark, both estimates (criterion's
//! headline figure: the slope of its linear sampling, else the mean) and their ratio.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The time per iteration (ns, or the measurement's unit) of one benchmark, if it has run.
fn estimate(dir: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join("new/estimates.json")).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    ["/slope/point_estimate", "/mean/point_estimate"]
        .iter()
        .find_map(|at| estimates.pointer(at).and_then(serde_json::Value::as_f64))
}

fn main() -> ExitCode {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion"));
    let Ok(entries) = std::fs::read_dir(&root) else {
        eprintln!(
            "no criterion results under {}; run `cargo bench -p cf-cache-benches` first",
            root.display()
        );
        return ExitCode::FAILURE;
    };
    let mut groups: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    groups.sort();
    println!(
        "{:<32} {:>14} {:>14} {:>8}",
        "group", "cf_cache", "baseline", "ratio"
    );
    for group in groups {
        let (Some(sdk), Some(raw)) = (
            estimate(&group.join("cf_cache")),
            estimate(&group.join("baseline")),
        ) else {
            continue;
        };
        let name = group
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{name:<32} {:>12.2}µs {:>12.2}µs {:>7.3}x",
            sdk / 1e3,
            raw / 1e3,
            sdk / raw
        );
    }
    ExitCode::SUCCESS
}
