//! `percall CLIENT OPERATION CALLS`: makes CALLS calls of one kind, for instruction counting
//! under `valgrind --tool=callgrind`. CLIENT is `sdk` or `baseline`, OPERATION `purge` (30
//! URLs) or `get` (`get_cache_reserve`). The loopback server runs on its own thread; the client
//! on a current-thread runtime on the main thread, so with `--separate-threads=yes` the main
//! thread's count is the client's own work. One warm-up call opens the connection first; two
//! runs with different CALLS give the cost of one call as the difference over the extra calls.
//!
//! `percall compare OPERATION ROUNDS` measures CPU time instead: the calling thread's CPU
//! time over blocks of 200 calls, SDK and baseline blocks alternating for ROUNDS rounds (so
//! a change in machine load hits both alike), and prints the median per call of each.

use std::process::ExitCode;
use std::time::Duration;

use cpu_time::ThreadTime;

use cf_cache_benches::baseline::Baseline;
use cf_cache_benches::server::Server;
use cf_cache_benches::{PURGE_URLS, TOKEN, ZONE, per_call_handler, sdk_client, urls};
use cf_cache_client::types::PurgeRequest;

const USAGE: &str = "usage: percall sdk|baseline purge|get CALLS | percall compare purge|get ROUNDS";
/// Calls per block in `compare`.
const BLOCK: u32 = 200;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [mode, operation, rounds] = args.as_slice()
        && mode == "compare"
    {
        return compare(operation, rounds.parse().unwrap_or(20));
    }
    let [client, operation, calls] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let Ok(calls) = calls.parse::<usize>() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let server = Server::start(per_call_handler());
    let files = urls(0, PURGE_URLS);
    let body = PurgeRequest::Files(files.clone());
    let outcome = rt.block_on(async {
        match (client.as_str(), operation.as_str()) {
            ("sdk", op) => {
                let sdk = sdk_client(server.url());
                for _ in 0..=calls {
                    match op {
                        "purge" => drop(sdk.purge_cache(ZONE, &body).await.map_err(|e| e.to_string())?),
                        "get" => drop(sdk.get_cache_reserve(ZONE).await.map_err(|e| e.to_string())?),
                        _ => return Err(USAGE.to_string()),
                    }
                }
                Ok(())
            }
            ("baseline", op) => {
                let raw = Baseline::new(server.url(), TOKEN);
                for _ in 0..=calls {
                    match op {
                        "purge" => drop(
                            raw.purge_files(ZONE, &files)
                                .await
                                .map_err(|e| format!("{e:?}"))?,
                        ),
                        "get" => drop(raw.get_cache_reserve(ZONE).await.map_err(|e| format!("{e:?}"))?),
                        _ => return Err(USAGE.to_string()),
                    }
                }
                Ok(())
            }
            _ => Err(USAGE.to_string()),
        }
    });
    match outcome {
        Ok(()) if server.requests() == calls as u64 + 1 => ExitCode::SUCCESS,
        Ok(()) => {
            eprintln!(
                "expected {} requests, the server saw {}",
                calls + 1,
                server.requests()
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Alternating blocks of SDK and baseline calls; prints the median thread CPU time per call.
fn compare(operation: &str, rounds: usize) -> ExitCode {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let server = Server::start(per_call_handler());
    let sdk = sdk_client(server.url());
    let raw = Baseline::new(server.url(), TOKEN);
    let files = urls(0, PURGE_URLS);
    let body = PurgeRequest::Files(files.clone());
    let purge = match operation {
        "purge" => true,
        "get" => false,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let block = |by_sdk: bool| {
        let started = ThreadTime::now();
        rt.block_on(async {
            for _ in 0..BLOCK {
                match (by_sdk, purge) {
                    (true, true) => drop(sdk.purge_cache(ZONE, &body).await.expect("purge")),
                    (true, false) => drop(sdk.get_cache_reserve(ZONE).await.expect("read")),
                    (false, true) => drop(raw.purge_files(ZONE, &files).await.expect("purge")),
                    (false, false) => drop(raw.get_cache_reserve(ZONE).await.expect("read")),
                }
            }
        });
        started.elapsed() / BLOCK
    };
    // Warm-up: connections, allocator, caches.
    block(true);
    block(false);
    let (mut by_sdk, mut by_hand): (Vec<Duration>, Vec<Duration>) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        by_sdk.push(block(true));
        by_hand.push(block(false));
    }
    by_sdk.sort();
    by_hand.sort();
    let (s, b) = (by_sdk[rounds / 2], by_hand[rounds / 2]);
    println!(
        "{operation:<8} thread CPU per call, median of {rounds} alternating blocks of {BLOCK}: \
         SDK {:.2} µs, baseline {:.2} µs, ratio {:.3}x",
        s.as_secs_f64() * 1e6,
        b.as_secs_f64() * 1e6,
        s.as_secs_f64() / b.as_secs_f64()
    );
    ExitCode::SUCCESS
}
