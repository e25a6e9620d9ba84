//! `percall CLIENT OPERATION CALLS`: makes CALLS calls of one kind, for instruction counting
//! under `valgrind --tool=callgrind`. CLIENT is `sdk` or `baseline`, OPERATION `purge` (30
//! URLs) or `get` (`get_cache_reserve`). The loopback server runs on its own thread; the client
//! on a current-thread runtime on the main thread, so with `--separate-threads=yes` the main
//! thread's count is the client's own work. One warm-up call opens the connection first; two
//! runs with different CALLS give the cost of one call as the difference over the extra calls.

use std::process::ExitCode;

use cf_cache_benches::baseline::Baseline;
use cf_cache_benches::server::Server;
use cf_cache_benches::{PURGE_URLS, TOKEN, ZONE, per_call_handler, sdk_client, urls};
use cf_cache_client::types::PurgeRequest;

const USAGE: &str = "usage: percall sdk|baseline purge|get CALLS";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
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
