//! Regen time: `xtask::generate` (load, normalise, emit, format; everything but the writes) on
//! the committed spec and on synthetic specs of 250, 1,000 and 2,000 operations. Each size runs
//! once to warm up; then `RUNS` rounds each run every size once, so a change in the machine's
//! load falls on all sizes alike. The median run of each size is reported with its per-stage
//! split, the process CPU time and the load average; growth is the 2,000-operation time over
//! the 1,000-operation one (linear is 2.0), as the median of the rounds' own ratios.
//!
//! A plain `main` rather than criterion: one 2,000-operation run takes seconds, and a handful
//! of runs says what there is to say.

use std::time::{Duration, Instant};

use cf_cache_benches::{load_average, synth};
use cpu_time::ProcessTime;
use xtask::StageTimes;

const RUNS: usize = 7;
const SIZES: [usize; 3] = [250, 1_000, 2_000];

/// One timed run: wall time, CPU time of the process, and the stages.
#[derive(Clone, Copy)]
struct Run {
    wall: Duration,
    cpu: Duration,
    stages: StageTimes,
}

fn spec_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/cloudflare-cache.yaml")
}

/// One run of `generate` on `bytes`, timed.
fn timed_run(bytes: &[u8], name: &str) -> Run {
    let cpu = ProcessTime::now();
    let started = Instant::now();
    let (files, stages) = xtask::generate_timed(bytes, name).expect("the spec generates");
    let wall = started.elapsed();
    let cpu = cpu.elapsed();
    drop(std::hint::black_box(files));
    Run { wall, cpu, stages }
}

/// The generated line count, from the warm-up run.
fn warm_up(bytes: &[u8], name: &str) -> usize {
    let files = xtask::generate(bytes, name).expect("the spec generates");
    files.iter().map(|f| f.contents.lines().count()).sum()
}

fn median<T: Copy, K: Ord>(values: &[T], key: impl Fn(&T) -> K) -> T {
    let mut sorted = values.to_vec();
    sorted.sort_by_key(key);
    sorted[sorted.len() / 2]
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
    println!("regen: xtask::generate, median of {RUNS} interleaved rounds after one warm-up (times in ms)");
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
    let lines: Vec<usize> = cases
        .iter()
        .map(|(label, _, bytes)| warm_up(bytes, &format!("{label}.yaml")))
        .collect();
    let mut runs: Vec<Vec<Run>> = cases.iter().map(|_| Vec::new()).collect();
    for _ in 0..RUNS {
        for ((label, _, bytes), runs) in cases.iter().zip(&mut runs) {
            runs.push(timed_run(bytes, &format!("{label}.yaml")));
        }
    }
    let loadavg = load_average().map_or("?".to_string(), |l| format!("{l:.2}"));
    for (((label, ops, _), runs), lines) in cases.iter().zip(&runs).zip(&lines) {
        let run = median(runs, |r| r.wall);
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
    }
    let of = |ops: usize| cases.iter().position(|(_, o, _)| *o == ops).map(|i| &runs[i]);
    if let (Some(small), Some(large)) = (of(1_000), of(2_000)) {
        let ratios = |time: fn(&Run) -> Duration| -> Vec<f64> {
            small
                .iter()
                .zip(large)
                .map(|(a, b)| time(b).as_secs_f64() / time(a).as_secs_f64())
                .collect()
        };
        let mid = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let wall = ratios(|r| r.wall);
        let (low, high) = wall
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
        println!(
            "growth 1,000 -> 2,000 operations (median of {RUNS} rounds): {:.2}x wall ({low:.2}x to {high:.2}x), {:.2}x cpu (linear = 2.00, target <= 2.20)",
            mid(wall.clone()),
            mid(ratios(|r| r.cpu)),
        );
    }
}
