//! Purges the URLs a deploy changed: one URL per line, from a file or stdin.
//!
//! ```sh
//! export CLOUDFLARE_API_TOKEN=... CLOUDFLARE_ZONE_ID=...
//! git diff --name-only HEAD~1 | sed 's|^public/|https://www.example.com/|' \
//!     | cargo run -p cf-cache-ext --example purge_on_deploy
//! cargo run -p cf-cache-ext --example purge_on_deploy -- changed-urls.txt
//! ```
//!
//! Optional: `CLOUDFLARE_BASE_URL` (a local server, say), `CLOUDFLARE_PLAN` (`free`, `pro`,
//! `business` or `enterprise`; default `free`), `CLOUDFLARE_REQUEST_BUDGET_PERCENT` (the share
//! of the token's 1,200 requests per 5 minutes this run may use; default 100).
//!
//! A fleet (several machines purging for one account) shares one budget through Redis:
//! `CLOUDFLARE_PACER_REDIS_URL=redis://host:6379/` with `CLOUDFLARE_ACCOUNT_ID` (the keys'
//! name), built with `--features redis`. If Redis cannot be reached the run paces on its own
//! limits with a warning, or, with `CLOUDFLARE_PACER_REDIS_FALLBACK=fail`, sends nothing and
//! lists every URL as not purged.
//!
//! Progress and the summary go to stderr. URLs that could not be purged go to stdout, one per
//! line, so they can be fed straight back in: `... > retry.txt; cargo run ... -- retry.txt`.
//! Exits with failure when the run cannot start, the input cannot be read, or any URL was
//! not purged.

mod common;

use std::error::Error;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use cf_cache_ext::batch::{
    API_REQUEST_LIMIT, ItemFailure, Outcome, Pacer, Plan, PurgeBatcher, PurgeItem, PurgeTarget,
};
use cf_cache_ext::cf_cache_client::Client;
use futures::{Stream, stream};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// How often (in URLs) progress is reported.
const PROGRESS_EVERY: u64 = 1_000;

#[tokio::main]
async fn main() -> ExitCode {
    // The pacer's warnings (a fleet's Redis out of reach) go to stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .init();
    common::report(run().await)
}

async fn run() -> Result<(), Box<dyn Error>> {
    let (client, zone_id) = common::client_and_zone()?;
    let plan = plan_from_env()?;
    let pacer = pacer_from_env(&client, plan).await?;
    let input = open_input().await?;
    let batcher = PurgeBatcher::builder(client, PurgeTarget::PurgeZone { zone_id })
        .plan(plan)
        .pacer(pacer)
        .build()?;

    // A read error ends the input; it is reported at the end, after what was read is purged.
    let read_error = Mutex::new(None);
    let items = urls(input, &read_error);
    let started = Instant::now();
    let mut done = 0u64;
    let stats = batcher
        .run_with(items, |outcome| {
            done += 1;
            if let Outcome::Failed(failed) = outcome {
                report_failure(&failed.item, &failed.reason);
            }
            if done.is_multiple_of(PROGRESS_EVERY) {
                eprintln!("... {done} URLs done ({:.0?})", started.elapsed());
            }
        })
        .await;

    eprintln!(
        "purged {} of {} URLs in {:.1?}: {} requests, {} resent after rate limits, {} failed ({} invalid)",
        stats.succeeded,
        stats.items,
        started.elapsed(),
        stats.requests,
        stats.resends,
        stats.failed,
        stats.invalid,
    );
    if let Some(e) = read_error
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        return Err(format!("reading the URL list failed after {} URLs: {e}", stats.items).into());
    }
    if stats.failed > 0 {
        return Err(format!("{} URLs were not purged (listed on stdout)", stats.failed).into());
    }
    Ok(())
}

fn plan_from_env() -> Result<Plan, Box<dyn Error>> {
    let name = std::env::var("CLOUDFLARE_PLAN").unwrap_or_else(|_| "free".into());
    match name.trim().to_ascii_lowercase().as_str() {
        "free" => Ok(Plan::Free),
        "pro" => Ok(Plan::Pro),
        "business" => Ok(Plan::Business),
        "enterprise" => Ok(Plan::Enterprise),
        other => Err(format!("CLOUDFLARE_PLAN={other:?}: expected free, pro, business or enterprise").into()),
    }
}

/// The plan's buckets and the run's share of the request budget, shared through Redis when
/// `CLOUDFLARE_PACER_REDIS_URL` is set.
async fn pacer_from_env(client: &Client, plan: Plan) -> Result<Pacer, Box<dyn Error>> {
    let percent = match std::env::var("CLOUDFLARE_REQUEST_BUDGET_PERCENT") {
        Ok(text) => text.trim().parse::<u8>().ok(),
        Err(_) => Some(100),
    };
    let budget = percent
        .and_then(|p| API_REQUEST_LIMIT.share(p))
        .ok_or("CLOUDFLARE_REQUEST_BUDGET_PERCENT must be a whole number from 1 to 100")?;
    let pacer = Pacer::new(client.clock())
        .with_plan(&plan.limits())
        .with_request_limit(budget);
    let Some(url) = std::env::var("CLOUDFLARE_PACER_REDIS_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    else {
        return Ok(pacer);
    };
    with_fleet(pacer, url.trim()).await
}

#[cfg(feature = "redis")]
async fn with_fleet(pacer: Pacer, url: &str) -> Result<Pacer, Box<dyn Error>> {
    use cf_cache_ext::batch::{Fleet, FleetUnavailable};

    let account = std::env::var("CLOUDFLARE_ACCOUNT_ID").map_err(
        |_| "CLOUDFLARE_PACER_REDIS_URL needs CLOUDFLARE_ACCOUNT_ID: the fleet's budget is per account",
    )?;
    let then = match std::env::var("CLOUDFLARE_PACER_REDIS_FALLBACK")
        .as_deref()
        .map(str::trim)
    {
        Err(_) | Ok("local") => FleetUnavailable::PaceAlone,
        Ok("fail") => FleetUnavailable::Fail,
        Ok(other) => {
            return Err(format!("CLOUDFLARE_PACER_REDIS_FALLBACK={other:?}: expected local or fail").into());
        }
    };
    // The error names neither the URL nor its password; redis's messages do not quote them.
    let fleet = Fleet::connect(url, account.trim())
        .await
        .map_err(|e| format!("CLOUDFLARE_PACER_REDIS_URL or CLOUDFLARE_ACCOUNT_ID: {e}"))?;
    Ok(pacer.with_fleet(fleet.when_unavailable(then)))
}

#[cfg(not(feature = "redis"))]
async fn with_fleet(_: Pacer, _: &str) -> Result<Pacer, Box<dyn Error>> {
    Err(
        "CLOUDFLARE_PACER_REDIS_URL is set, but the example was built without Redis: add --features redis"
            .into(),
    )
}

/// The file named by the first argument, or stdin.
async fn open_input() -> Result<Box<dyn AsyncRead + Unpin + Send>, Box<dyn Error>> {
    match std::env::args_os().nth(1) {
        Some(path) => {
            let file = tokio::fs::File::open(&path)
                .await
                .map_err(|e| format!("cannot open {}: {e}", path.to_string_lossy()))?;
            Ok(Box::new(file))
        }
        None => Ok(Box::new(tokio::io::stdin())),
    }
}

/// One URL per non-blank line, read as the batcher asks for more; the first read error is
/// kept in `error` and ends the stream.
fn urls<'a>(
    input: Box<dyn AsyncRead + Unpin + Send>,
    error: &'a Mutex<Option<std::io::Error>>,
) -> impl Stream<Item = PurgeItem> + 'a {
    stream::unfold(BufReader::new(input).lines(), move |mut lines| async move {
        loop {
            match lines.next_line().await {
                Ok(Some(line)) if line.trim().is_empty() => continue,
                Ok(Some(line)) => return Some((PurgeItem::Url(line.trim().to_string()), lines)),
                Ok(None) => return None,
                Err(e) => {
                    *error.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e);
                    return None;
                }
            }
        }
    })
}

fn report_failure(item: &PurgeItem, reason: &ItemFailure) {
    if let PurgeItem::Url(url) = item {
        println!("{url}");
    }
    eprintln!("failed: {item:?}: {reason}");
}
