//! Follows a zone's Cache Reserve Clear to completion, printing each status seen; with
//! `--start`, starts one first.
//!
//! ```sh
//! CLOUDFLARE_API_TOKEN=... CLOUDFLARE_ZONE_ID=... cargo run -p cf-cache-ext --example reserve_clear -- [--start [--turn-off]] [--smart-shield]
//! ```
//!
//! A clear deletes everything in the zone's Cache Reserve and cannot be undone, hence the
//! explicit `--start`. `--turn-off` lets it turn Cache Reserve off first when it is on;
//! `--smart-shield` uses the Smart Shield endpoints. Set `CLOUDFLARE_BASE_URL` to try it
//! against a local server.

mod common;

use std::error::Error;
use std::process::ExitCode;

use cf_cache_ext::cf_cache_client::Printable;
use cf_cache_ext::reserve_clear::{ClearEndpoint, Progress, ProgressEvent, ReserveClearWaiter};

#[tokio::main]
async fn main() -> ExitCode {
    common::report(run().await)
}

async fn run() -> Result<(), Box<dyn Error>> {
    let mut start = false;
    let mut turn_off = false;
    let mut endpoint = ClearEndpoint::Cache;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--start" => start = true,
            "--turn-off" => turn_off = true,
            "--smart-shield" => endpoint = ClearEndpoint::SmartShield,
            other => {
                return Err(
                    format!("unknown argument {other:?}; use --start, --turn-off, --smart-shield").into(),
                );
            }
        }
    }
    if turn_off && !start {
        return Err("--turn-off only applies with --start".into());
    }

    let (client, zone) = common::client_and_zone()?;
    let waiter = ReserveClearWaiter::builder(&client, zone)
        .endpoint(endpoint)
        .turn_off_cache_reserve(turn_off)
        .on_progress(print_progress)
        .build()?;
    let done = if start {
        waiter.start_and_wait().await?
    } else {
        waiter.wait().await?
    };
    match done.end_ts {
        Some(end) => println!("clear completed: started {}, ended {end}", done.start_ts),
        None => println!("clear completed: started {}", done.start_ts),
    }
    Ok(())
}

fn print_progress(progress: &Progress<'_>) {
    let minutes = progress.elapsed.as_secs() / 60;
    match &progress.event {
        ProgressEvent::Observed { poll, status } => {
            println!(
                "[{minutes:>4} min] poll {poll}: {} (started {})",
                Printable(status.state.as_str()),
                status.start_ts
            );
        }
        ProgressEvent::Resumed => println!("[{minutes:>4} min] a clear is already running; following it"),
        ProgressEvent::CacheReserveTurnedOff { previous } => {
            println!(
                "[{minutes:>4} min] Cache Reserve was {}; turned it off",
                Printable(previous.as_str())
            )
        }
        ProgressEvent::Started { status } => {
            println!("[{minutes:>4} min] clear started at {}", status.start_ts)
        }
        ProgressEvent::PollFailed {
            poll,
            consecutive_failures,
            error,
        } => eprintln!("[{minutes:>4} min] poll {poll} failed ({consecutive_failures} in a row): {error}"),
        other => println!("[{minutes:>4} min] {other:?}"),
    }
}
