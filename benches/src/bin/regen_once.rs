//! `regen_once OPERATIONS`: runs `xtask::generate` once on a synthetic spec of OPERATIONS
//! operations (0: the committed spec) and prints the time. For profiling the generator under
//! `perf record` or `valgrind --tool=callgrind`; the regen bench does the timing proper.

use std::process::ExitCode;
use std::time::Instant;

use cf_cache_benches::synth;

fn main() -> ExitCode {
    let Some(ops) = std::env::args().nth(1).and_then(|a| a.parse::<usize>().ok()) else {
        eprintln!("usage: regen_once OPERATIONS   (0: the committed spec)");
        return ExitCode::from(2);
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/cloudflare-cache.yaml");
    let spec = std::fs::read_to_string(path).expect("the committed spec is readable");
    let bytes = if ops == 0 {
        spec
    } else {
        synth::replicate(&spec, ops)
    };
    let started = Instant::now();
    match xtask::generate(bytes.as_bytes(), "synthetic.yaml") {
        Ok(files) => {
            let lines: usize = files.iter().map(|f| f.contents.lines().count()).sum();
            println!("{ops} operations: {:.3?}, {lines} lines", started.elapsed());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
