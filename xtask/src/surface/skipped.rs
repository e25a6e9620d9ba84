//! The part of the regen report that lists what `--skip-unsupported` left out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The operations `--skip-unsupported` left out, grouped by class, each with its reason
/// (empty when none were).
pub fn skipped_listing(skipped: &[crate::Skipped]) -> String {
    let mut out = String::new();
    if skipped.is_empty() {
        return out;
    }
    let mut by_class: BTreeMap<&str, Vec<&crate::Skipped>> = BTreeMap::new();
    for s in skipped {
        by_class.entry(s.class).or_default().push(s);
    }
    let _ = writeln!(out, "skipped operations ({}), by class:", skipped.len());
    for (class, ops) in by_class {
        let _ = writeln!(out, "  {class} ({}):", ops.len());
        for op in ops {
            let _ = writeln!(out, "    {} ({}): {}", op.operation, op.route, op.reason);
        }
    }
    out
}
