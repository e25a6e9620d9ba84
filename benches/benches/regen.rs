//! Regen time: `xtask::generate` (load, normalise, emit, format; everything but the writes) on
//! the committed spec and on synthetic specs of 250, 1,000 and 2,000 operations. Each size runs
//! once to warm up, then `RUNS` times; the median run is reported with its per-stage split,
//! the process CPU time and the load average, and the 2,000-operation time as a ratio of the
//! 1,000-operation one (linear growth is 2.0).
//!
//! A plain `main` rather than criterion: one 2,000-operation run takes seconds, and a handful
//! of runs says what there is to say.

use std::time::{Duration, Instant};

use cf_cache_benches::{load_average, synth};
use cpu_time::ProcessTime;
use xtask::StageTimes;

const RUNS: usize = 5;
const SIZES: [usize; 3] = [250, 1_000, 2_000];

/// One timed run: wall time, CPU time of the process, and the stages.
struct Run {
    wall: Duration,
    cpu: Duration,
    stages: StageTimes,
}

fn spec_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/cloudflare-cache.yaml")
}

/// The median of `RUNS` runs (by wall time) and the generated line count.
fn median_run(bytes: &[u8], name: &str) -> (Run, usize) {
    let files = xtask::generate(bytes, name).expect("the spec generates");
    let lines = files.iter().map(|f| f.contents.lines().count()).sum();
    drop(files);
    let mut runs: Vec<Run> = (0..RUNS)
        .map(|_| {
            let cpu = ProcessTime::now();
            let started = Instant::now();
            let (files, stages) = xtask::generate_timed(bytes, name).expect("the spec generates");
            let wall = started.elapsed();
            let cpu = cpu.elapsed();
            drop(std::hint::black_box(files));
            Run { wall, cpu, stages }
        })
        .collect();
    runs.sort_by_key(|r| r.wall);
    (runs.swap_remove(RUNS / 2), lines)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let spec = std::fs::read_to_string(spec_path()).expect("the committed spec is readable");
    let committed_ops = {
        let value: serde_json::Value = serde_yaml::from_str(&spec).expect("the spec parses");
        synth::operation_count(&value)
    };
    println!("regen: xtask::generate, median of {RUNS} runs after one warm-up (times in ms)");
    println!(
        "{:<16} {:>5} {:>9} {:>9} | {:>8} {:>9} {:>8} {:>8} | {:>7} {:>5}",
        "spec", "ops", "wall", "cpu", "load", "normalise", "emit", "format", "lines", "loadavg"
    );
    let mut cases = vec![("committed".to_string(), committed_ops, spec.clone().into_bytes())];
    for ops in SIZES {
        let text = synth::replicate(&spec, ops);
        let made: serde_json::Value = serde_yaml::from_str(&text).expect("the synthetic spec parses");
        assert_eq!(synth::operation_count(&made), ops, "synthetic spec size");
        cases.push((format!("synthetic-{ops}"), ops, text.into_bytes()));
    }
    let mut walls = Vec::new();
    for (label, ops, bytes) in &cases {
        let (run, lines) = median_run(bytes, &format!("{label}.yaml"));
        let loadavg = load_average().map_or("?".to_string(), |l| format!("{l:.2}"));
        let s = run.stages;
        println!(
            "{label:<16} {ops:>5} {:>9.1} {:>9.1} | {:>8.1} {:>9.1} {:>8.1} {:>8.1} | {lines:>7} {loadavg:>5}",
            ms(run.wall),
            ms(run.cpu),
            ms(s.load),
            ms(s.normalise),
            ms(s.emit),
            ms(s.format),
        );
        walls.push((*ops, run.wall, run.cpu));
    }
    let find = |ops: usize| walls.iter().find(|(o, _, _)| *o == ops);
    if let (Some((_, w1, c1)), Some((_, w2, c2))) = (find(1_000), find(2_000)) {
        println!(
            "growth 1,000 -> 2,000 operations: {:.2}x wall, {:.2}x cpu (linear = 2.00, target <= 2.20)",
            w2.as_secs_f64() / w1.as_secs_f64(),
            c2.as_secs_f64() / c1.as_secs_f64()
        );
    }
}
