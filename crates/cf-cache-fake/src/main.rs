//! `cf-cache-fake`: the fake Cloudflare as a standalone server on the real clock, so code in
//! any language (or on the official SDKs) can be tested against it. Serves until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use cf_cache_fake::{Config, FakeClock, FakeCloudflare, Faults, Plan, RetryAfter, WindowLimit};
use clap::Parser;

/// A stateful fake of Cloudflare's cache API (26 operations, plan limits, seeded faults).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Plan whose limits apply: free, pro, business or enterprise.
    #[arg(long, default_value = "free")]
    plan: Plan,
    /// URLs per purge request (default: 30 below Enterprise, 500 on Enterprise).
    #[arg(long)]
    urls_per_request: Option<usize>,
    /// Tags, hosts or prefixes per purge request (default 100).
    #[arg(long)]
    items_per_request: Option<usize>,
    /// Refill of the single-file bucket in URLs per second (default: the plan's).
    #[arg(long)]
    urls_per_second: Option<u32>,
    /// Size of the single-file bucket in URLs (default: one second of refill).
    #[arg(long)]
    url_bucket: Option<u32>,
    /// Refill of the tags/hosts/prefixes/everything bucket, COUNT/DURATION (e.g. 5/1m).
    #[arg(long, value_parser = refill)]
    bulk_refill: Option<(u32, Duration)>,
    /// Size of the tags/hosts/prefixes/everything bucket (default: the plan's).
    #[arg(long)]
    bulk_bucket: Option<u32>,
    /// How long a Cache Reserve Clear runs (e.g. 2s, 90m, 2h).
    #[arg(long, default_value = "2h", value_parser = duration)]
    reserve_clear_duration: Duration,
    /// API-wide requests per window per token or user (0: unlimited).
    #[arg(long, default_value_t = 1_200)]
    api_limit: u32,
    /// Length of the API-wide window.
    #[arg(long, default_value = "5m", value_parser = duration)]
    api_window: Duration,
    /// How long every request is refused once a request limit is exceeded.
    #[arg(long, default_value = "5m", value_parser = duration)]
    block: Duration,
    /// Requests per second per client IP (0: unlimited).
    #[arg(long, default_value_t = 200)]
    ip_limit: u32,
    /// Which 429s carry Retry-After: both, global (971), purge (1134) or none.
    #[arg(long, default_value = "both", value_parser = retry_after)]
    retry_after: RetryAfter,
    /// Accept only this API token (repeatable). Without --token or --key any credentials pass.
    #[arg(long = "token")]
    tokens: Vec<String>,
    /// Accept only this e-mail + Global API key pair, written EMAIL:KEY (repeatable).
    #[arg(long = "key", value_parser = email_key)]
    keys: Vec<(String, String)>,
    /// Origin cloud region mappings per zone.
    #[arg(long, default_value_t = 3_500)]
    max_mappings: usize,
    /// An environment id that refuses purge by URL (error 1136; repeatable).
    #[arg(long = "forbid-url-purge")]
    forbid_url_purge: Vec<String>,
    /// Serve only this zone id (repeatable; default: every zone id).
    #[arg(long = "zone")]
    zones: Vec<String>,
    /// Seed of the fault draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Extra latency per request: one duration, or a range MIN..MAX.
    #[arg(long, value_parser = latency)]
    latency: Option<(Duration, Duration)>,
    /// Share of requests answered 503.
    #[arg(long, default_value_t = 0.0)]
    server_error_rate: f64,
    /// Share answered 429 with error 971.
    #[arg(long, default_value_t = 0.0)]
    rate_limit_rate: f64,
    /// Share whose connection is dropped.
    #[arg(long, default_value_t = 0.0)]
    reset_rate: f64,
    /// Share answered with a truncated body.
    #[arg(long, default_value_t = 0.0)]
    truncate_rate: f64,
    /// Share answered 502 with an HTML page.
    #[arg(long, default_value_t = 0.0)]
    html_rate: f64,
    /// Resets and truncations happen after the request was applied (the answer is lost).
    #[arg(long)]
    lost_after_apply: bool,
    /// Print one line per request on stderr (never a header or credential).
    #[arg(long)]
    log: bool,
    /// On stopping, write what the fake saw to this file as JSON: requests by status, 429s by
    /// code, every distinct URL purged (`FakeCloudflare::report`).
    #[arg(long)]
    report: Option<PathBuf>,
}

/// `250ms`, `2s`, `1.5s`, `90m`, `2h`.
fn duration(text: &str) -> Result<Duration, String> {
    let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 2s, 250ms, 5m)"))?;
    let seconds = match unit {
        "ms" => value / 1_000.0,
        "s" | "" => value,
        "m" => value * 60.0,
        "h" => value * 3_600.0,
        _ => return Err(format!("unknown unit in `{text}` (ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("`{text}`: {e}"))
}

fn latency(text: &str) -> Result<(Duration, Duration), String> {
    match text.split_once("..") {
        Some((low, high)) => Ok((duration(low)?, duration(high)?)),
        None => duration(text).map(|d| (d, d)),
    }
}

fn refill(text: &str) -> Result<(u32, Duration), String> {
    let (count, per) = text.split_once('/').ok_or("write it COUNT/DURATION, e.g. 5/1m")?;
    let count = count
        .trim()
        .parse()
        .map_err(|_| format!("`{count}` is not a count"))?;
    Ok((count, duration(per)?))
}

fn retry_after(text: &str) -> Result<RetryAfter, String> {
    let (global, purge) = match text {
        "both" => (true, true),
        "global" => (true, false),
        "purge" => (false, true),
        "none" => (false, false),
        _ => return Err("one of both, global, purge or none".into()),
    };
    Ok(RetryAfter { global, purge })
}

fn email_key(text: &str) -> Result<(String, String), String> {
    text.split_once(':')
        .map(|(email, key)| (email.to_string(), key.to_string()))
        .ok_or_else(|| "write it EMAIL:KEY".to_string())
}

fn config(args: Args) -> Config {
    let mut limits = args.plan.limits();
    if let Some(per_second) = args.urls_per_second {
        limits.urls_per_second = per_second;
        limits.url_capacity = per_second;
    }
    limits.url_capacity = args.url_bucket.unwrap_or(limits.url_capacity);
    limits.bulk_refill = args.bulk_refill.unwrap_or(limits.bulk_refill);
    limits.bulk_capacity = args.bulk_bucket.unwrap_or(limits.bulk_capacity);
    limits.urls_per_request = args.urls_per_request.unwrap_or(limits.urls_per_request);
    limits.items_per_request = args.items_per_request.unwrap_or(limits.items_per_request);
    let mut config = Config::new()
        .listen(args.listen)
        .plan_limits(limits)
        .clock(FakeClock::system())
        .reserve_clear_duration(args.reserve_clear_duration)
        .retry_after(args.retry_after)
        .max_mappings(args.max_mappings)
        .log_requests(args.log)
        .api_limit((args.api_limit > 0).then_some(WindowLimit {
            quota: args.api_limit,
            window: args.api_window,
            block: args.block,
        }))
        .ip_limit((args.ip_limit > 0).then_some(WindowLimit {
            quota: args.ip_limit,
            window: Duration::from_secs(1),
            block: args.block,
        }))
        .faults(Faults {
            seed: args.seed,
            latency: args.latency,
            server_error_rate: args.server_error_rate,
            rate_limit_rate: args.rate_limit_rate,
            reset_rate: args.reset_rate,
            truncate_rate: args.truncate_rate,
            html_rate: args.html_rate,
            lost_after_apply: args.lost_after_apply,
        });
    for token in args.tokens {
        config = config.api_token(token);
    }
    for (email, key) in args.keys {
        config = config.api_key(email, key);
    }
    for env in args.forbid_url_purge {
        config = config.forbid_url_purge_in(env);
    }
    for zone in args.zones {
        config = config.zone(zone);
    }
    config
}

/// Ctrl-C (SIGINT) or, on Unix, SIGTERM, with the handlers installed when created.
struct Stop {
    #[cfg(unix)]
    signals: (tokio::signal::unix::Signal, tokio::signal::unix::Signal),
}

impl Stop {
    #[cfg(unix)]
    fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            signals: (signal(SignalKind::interrupt())?, signal(SignalKind::terminate())?),
        })
    }

    #[cfg(not(unix))]
    fn listen() -> std::io::Result<Self> {
        Ok(Self {})
    }

    #[cfg(unix)]
    async fn wait(mut self) {
        let (interrupt, terminate) = &mut self.signals;
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn wait(self) {
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("cf-cache-fake: cannot wait for Ctrl-C: {e}");
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let report = args.report.clone();
    // Listen for Ctrl-C before announcing the URL, so an interrupt right after it is caught.
    let stop = match Stop::listen() {
        Ok(stop) => stop,
        Err(e) => {
            eprintln!("cf-cache-fake: cannot listen for Ctrl-C: {e}");
            return ExitCode::FAILURE;
        }
    };
    let fake = match FakeCloudflare::start(config(args)).await {
        Ok(fake) => fake,
        Err(e) => {
            eprintln!("cf-cache-fake: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("cf-cache-fake serving on {}", fake.base_url());
    stop.wait().await;
    let (requests, limited, purged) = (fake.request_count(), fake.rate_limited(), fake.purged().len());
    let summary = report.map(|path| (path, fake.report()));
    fake.shutdown().await;
    eprintln!(
        "cf-cache-fake: stopped after {requests} requests ({limited} answered 429), {purged} items purged"
    );
    if let Some((path, summary)) = summary
        && let Err(e) = std::fs::write(&path, summary.to_string())
    {
        eprintln!(
            "cf-cache-fake: cannot write the report to {}: {e}",
            path.display()
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_written() {
        assert_eq!(duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(duration("1.5h"), Ok(Duration::from_secs(5_400)));
        assert!(duration("2 weeks").is_err());
        assert_eq!(
            latency("10ms..20ms"),
            Ok((Duration::from_millis(10), Duration::from_millis(20)))
        );
    }

    #[test]
    fn every_flag_parses() {
        let args = Args::try_parse_from([
            "cf-cache-fake",
            "--listen",
            "127.0.0.1:0",
            "--plan",
            "pro",
            "--urls-per-request",
            "100",
            "--items-per-request",
            "50",
            "--urls-per-second",
            "900",
            "--url-bucket",
            "1800",
            "--bulk-refill",
            "5/1m",
            "--bulk-bucket",
            "30",
            "--reserve-clear-duration",
            "2s",
            "--api-limit",
            "10",
            "--api-window",
            "1m",
            "--block",
            "0s",
            "--ip-limit",
            "0",
            "--retry-after",
            "none",
            "--token",
            "t",
            "--key",
            "a@b.c:k",
            "--max-mappings",
            "5",
            "--forbid-url-purge",
            "env",
            "--zone",
            "z",
            "--seed",
            "3",
            "--latency",
            "1ms..2ms",
            "--server-error-rate",
            "0.1",
            "--rate-limit-rate",
            "0.1",
            "--reset-rate",
            "0.1",
            "--truncate-rate",
            "0.1",
            "--html-rate",
            "0.1",
            "--lost-after-apply",
            "--log",
            "--report",
            "report.json",
        ]);
        let config = args.map(config);
        assert!(config.as_ref().is_ok_and(|c| c.check().is_ok()), "{config:?}");
        let text = format!("{config:?}");
        for set in [
            "url_capacity: 1800",
            "urls_per_second: 900",
            "bulk_capacity: 30",
            "items_per_request: 50",
        ] {
            assert!(text.contains(set), "{set} missing from {text}");
        }
        assert!(!text.contains("a@b.c"), "credentials must not show: {text}");
    }
}
