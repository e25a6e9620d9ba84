//! Every input that ever crashed a fuzz target, replayed through the same harness on stable
//! Rust: `tests/fuzz_regressions/<target>/<name>`. The seed corpora in `fuzz/seeds/` are
//! replayed too, so the harness's invariants hold on the inputs fuzzing starts from.

use std::path::Path;

use cf_cache_fuzz_harness::TARGETS;
use cf_cache_tests::workspace_root;

fn replay(dir: &Path, run: fn(&[u8])) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut count = 0;
    for entry in entries.flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
        println!("replaying {}", entry.path().display());
        run(&bytes);
        count += 1;
    }
    count
}

#[test]
fn saved_crashes_no_longer_crash() {
    let root = workspace_root().join("tests/fuzz_regressions");
    for entry in std::fs::read_dir(&root).expect("regression dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() {
            assert!(
                TARGETS.iter().any(|(target, _)| *target == name),
                "tests/fuzz_regressions/{name} is not a fuzz target"
            );
        }
    }
    let replayed: usize = TARGETS
        .iter()
        .map(|(name, run)| replay(&root.join(name), *run))
        .sum();
    println!("{replayed} saved crashes replayed");
}

#[test]
fn seed_corpora_hold_every_invariant() {
    for (name, run) in TARGETS {
        let count = replay(&workspace_root().join("fuzz/seeds").join(name), run);
        assert!(count > 0, "fuzz/seeds/{name} has seeds");
    }
}
