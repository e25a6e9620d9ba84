//! `limits [--python PATH] [--redis-server PATH] JOB...`: purges URLs against the standalone
//! `cf-cache-fake` on the Free plan (its limits: a single-file bucket of 800 URLs refilled at
//! 800 per second, 30 URLs per request, 1,200 requests in any 5 minutes per token, then 429 +
//! 971 and a 5-minute block), through the `purge_on_deploy` example as a user runs it or
//! through a plain loop over the official Python SDK (`benches/limits/purge_loop.py`), and
//! prints the wall time beside the floor the limits allow, the requests the fake saw, its
//! 429s, and the URLs it never purged or purged twice.
//!
//! A JOB is `WHO:URLS` or `WHO:PxURLS[:redis]`: WHO is `ext` (the example) or `python`; `P`
//! processes of `URLS` URLs each start together and share the token (and the account's
//! purge bucket); `:redis` makes the example's processes share one budget through a
//! `redis-server` started for the job (`CLOUDFLARE_PACER_REDIS_URL`). Every job gets a fresh
//! fake, on a free loopback port. The binaries come from `$CARGO_TARGET_DIR/release`
//! (`cf-cache-fake`, `examples/purge_on_deploy` built with `--features redis`); files go to
//! `$CARGO_TARGET_DIR/limits/`, and each job's figures are appended there to
//! `results.jsonl`. `benches/run-all.sh limits` builds everything and runs the jobs of
//! BENCHMARKS.md section 6.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use cf_cache_fake::{Plan, WindowLimit};
use serde_json::{Value, json};

const TOKEN: &str = "limits-bench-token";
const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const ACCOUNT: &str = "limits-bench";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Ext,
    Python,
}

#[derive(Debug)]
struct Job {
    name: String,
    who: Who,
    processes: usize,
    urls: usize,
    redis: bool,
}

fn parse_job(text: &str) -> Result<Job, String> {
    let mut parts = text.split(':');
    let who = match parts.next() {
        Some("ext") => Who::Ext,
        Some("python") => Who::Python,
        _ => return Err(format!("{text}: a job starts with ext: or python:")),
    };
    let size = parts.next().ok_or_else(|| format!("{text}: no URL count"))?;
    let (processes, urls) = match size.split_once('x') {
        Some((p, n)) => (p.parse().ok(), n.parse().ok()),
        None => (Some(1), size.parse().ok()),
    };
    let (Some(processes), Some(urls)) = (processes, urls) else {
        return Err(format!("{text}: write URLS or PxURLS, e.g. 20000 or 3x8000"));
    };
    let redis = match parts.next() {
        None => false,
        Some("redis") if who == Who::Ext => true,
        Some(other) => {
            return Err(format!(
                "{text}: unknown suffix :{other} (only ext jobs take :redis)"
            ));
        }
    };
    if processes == 0 || urls == 0 {
        return Err(format!("{text}: counts must be at least 1"));
    }
    Ok(Job {
        name: text.to_string(),
        who,
        processes,
        urls,
        redis,
    })
}

/// The earliest time the last request can arrive at a server enforcing the Free plan's URL
/// bucket and the API-wide window, when `processes` x `urls` URLs go in chunks of the plan's
/// per-request cap, the processes' chunks interleaved, and both limits start full. Exact, in
/// nanoseconds: each request arrives as soon as the bucket holds its URLs (a GCRA: capacity
/// 800, one URL per 1.25 ms) and the window has room (request `k` no earlier than request
/// `k - 1200`, plus 5 minutes).
fn floor(processes: usize, urls: usize) -> Duration {
    let plan = Plan::Free.limits();
    let api = WindowLimit::API;
    let per_request = plan.urls_per_request;
    let interval = 1_000_000_000u128 / u128::from(plan.urls_per_second);
    let tolerance = interval * u128::from(plan.url_capacity);
    let window = api.window.as_nanos();
    let quota = api.quota as usize;
    let chunks_each = urls.div_ceil(per_request);
    let mut arrivals: Vec<u128> = Vec::with_capacity(processes * chunks_each);
    let mut tat = 0u128;
    for chunk in 0..chunks_each {
        let size = (urls - chunk * per_request).min(per_request) as u128;
        for _ in 0..processes {
            let cost = size * interval;
            let mut at = arrivals.last().copied().unwrap_or(0);
            at = at.max((tat + cost).saturating_sub(tolerance));
            if arrivals.len() >= quota {
                at = at.max(arrivals[arrivals.len() - quota] + window);
            }
            tat = tat.max(at) + cost;
            arrivals.push(at);
        }
    }
    let last = arrivals.last().copied().unwrap_or(0);
    Duration::from_nanos(u64::try_from(last).unwrap_or(u64::MAX))
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn url(process: usize, i: usize) -> String {
    format!("https://www.example.com/limits/p{process}/{i:06}/app.css")
}

/// Reads `child`'s stdout until a line containing `marker`; returns that line. The rest of
/// the output is drained on a thread so the child never blocks on a full pipe.
fn wait_for_line(child: &mut Child, marker: &str) -> Result<String, String> {
    let stdout = child.stdout.take().ok_or("stdout is not piped")?;
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.map_err(|e| e.to_string())?;
        if line.contains(marker) {
            std::thread::spawn(move || lines.for_each(drop));
            return Ok(line);
        }
    }
    Err(format!("the process ended before printing {marker:?}"))
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Sends SIGINT (the fake writes its report on Ctrl-C) and waits for the process to end.
fn interrupt(child: &mut Child) -> Result<(), String> {
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .map_err(|e| e.to_string())?;
    if !sent.success() {
        return Err("kill -INT failed".into());
    }
    child.wait().map(drop).map_err(|e| e.to_string())
}

/// A child process killed (and reaped) when dropped, so a job that fails half-way leaves
/// nothing running.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Tools {
    python: Option<PathBuf>,
    redis_server: PathBuf,
}

fn run(job: &Job, tools: &Tools, dir: &Path) -> Result<Value, String> {
    let release = target_dir().join("release");
    let slug: String = job
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut expected = HashSet::new();
    let mut lists = Vec::new();
    for p in 0..job.processes {
        let path = dir.join(format!("{slug}.urls.{p}"));
        let mut text = String::new();
        for i in 0..job.urls {
            let u = url(p, i);
            text.push_str(&u);
            text.push('\n');
            expected.insert(u);
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        lists.push(path);
    }

    let report_path = dir.join(format!("{slug}.fake.json"));
    let _ = std::fs::remove_file(&report_path);
    let fake_log = std::fs::File::create(dir.join(format!("{slug}.fake.log"))).map_err(|e| e.to_string())?;
    let mut fake = Reaped(
        Command::new(release.join("cf-cache-fake"))
            .args(["--listen", "127.0.0.1:0", "--plan", "free", "--report"])
            .arg(&report_path)
            .stdout(Stdio::piped())
            .stderr(fake_log)
            .spawn()
            .map_err(|e| {
                format!("cannot start cf-cache-fake (build it: cargo build --release -p cf-cache-fake): {e}")
            })?,
    );
    let line = wait_for_line(&mut fake.0, "serving on")?;
    let base_url = line
        .rsplit(' ')
        .next()
        .ok_or("no base URL in the fake's first line")?
        .to_string();

    let mut redis = None;
    let mut redis_url = None;
    if job.redis {
        let port = free_port()?;
        let mut server = Reaped(
            Command::new(&tools.redis_server)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
                .args(["--appendonly", "no", "--daemonize", "no", "--dir"])
                .arg(dir)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start redis-server: {e}"))?,
        );
        wait_for_line(&mut server.0, "Ready to accept connections")?;
        redis = Some(server);
        redis_url = Some(format!("redis://127.0.0.1:{port}/"));
    }

    let load_before = load_average();
    let started = Instant::now();
    let mut clients = Vec::new();
    for (p, list) in lists.iter().enumerate() {
        let mut command = match job.who {
            Who::Ext => Command::new(release.join("examples/purge_on_deploy")),
            Who::Python => {
                let python = tools.python.as_ref().ok_or("python jobs need --python PATH")?;
                let mut c = Command::new(python);
                c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("limits/purge_loop.py"));
                c
            }
        };
        let failed =
            std::fs::File::create(dir.join(format!("{slug}.failed.{p}"))).map_err(|e| e.to_string())?;
        let log = std::fs::File::create(dir.join(format!("{slug}.log.{p}"))).map_err(|e| e.to_string())?;
        command
            .arg(list)
            .env("CLOUDFLARE_API_TOKEN", TOKEN)
            .env("CLOUDFLARE_ZONE_ID", ZONE)
            .env("CLOUDFLARE_BASE_URL", &base_url)
            .env("CLOUDFLARE_PLAN", "free")
            .env_remove("CLOUDFLARE_REQUEST_BUDGET_PERCENT")
            .env_remove("CLOUDFLARE_PACER_REDIS_URL")
            .stdout(failed)
            .stderr(log);
        if let Some(url) = &redis_url {
            command
                .env("CLOUDFLARE_PACER_REDIS_URL", url)
                .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT);
        }
        clients.push(Reaped(
            command
                .spawn()
                .map_err(|e| format!("cannot start client {p}: {e}"))?,
        ));
    }
    let mut walls = Vec::new();
    for client in &mut clients {
        client.0.wait().map_err(|e| e.to_string())?;
        walls.push(started.elapsed());
    }
    let wall = walls.iter().copied().max().unwrap_or_default();
    let load_after = load_average();
    drop(redis);
    interrupt(&mut fake.0)?;

    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(&report_path).map_err(|e| format!("{}: {e}", report_path.display()))?,
    )
    .map_err(|e| format!("the fake's report: {e}"))?;
    let purged: HashSet<&str> = report["purged"]["urls"]
        .as_array()
        .map(|urls| urls.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let lost = expected.iter().filter(|u| !purged.contains(u.as_str())).count();
    let unexpected = purged.iter().filter(|u| !expected.contains(**u)).count();
    let floor = floor(job.processes, job.urls);
    let count = |v: &Value| v.as_u64().unwrap_or(0);
    Ok(json!({
        "job": job.name,
        "urls": job.processes * job.urls,
        "wall_secs": wall.as_secs_f64(),
        "process_walls_secs": walls.iter().map(Duration::as_secs_f64).collect::<Vec<_>>(),
        "floor_secs": floor.as_secs_f64(),
        "ratio": wall.as_secs_f64() / floor.as_secs_f64(),
        "requests": count(&report["requests"]),
        "rate_limited": count(&report["rate_limited"]),
        "rate_limited_971": count(&report["rate_limited_by_code"]["971"]),
        "rate_limited_1134": count(&report["rate_limited_by_code"]["1134"]),
        "status": report["status"],
        "lost": lost,
        "repeated": count(&report["purged"]["more_than_once"]),
        "unexpected": unexpected,
        "fake_span_secs": report["span_secs"],
        "load_before": load_before,
        "load_after": load_after,
        "client_summary": (0..job.processes)
            .map(|p| last_line(&dir.join(format!("{slug}.log.{p}"))))
            .collect::<Vec<_>>(),
    }))
}

fn n(value: &Value) -> u64 {
    value.as_u64().unwrap_or(0)
}

fn last_line(path: &Path) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.lines().rev().find(|l| !l.trim().is_empty()).map(str::to_string))
        .unwrap_or_default()
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut tools = Tools {
        python: None,
        redis_server: PathBuf::from("redis-server"),
    };
    let mut jobs = Vec::new();
    while let Some(arg) = args.next() {
        let parsed = match arg.as_str() {
            "--python" => args
                .next()
                .map(|p| tools.python = Some(p.into()))
                .ok_or("--python PATH"),
            "--redis-server" => args
                .next()
                .map(|p| tools.redis_server = p.into())
                .ok_or("--redis-server PATH"),
            _ => match parse_job(&arg) {
                Ok(job) => {
                    jobs.push(job);
                    Ok(())
                }
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(2);
                }
            },
        };
        if let Err(usage) = parsed {
            eprintln!("missing value: {usage}");
            return ExitCode::from(2);
        }
    }
    if jobs.is_empty() {
        eprintln!(
            "usage: limits [--python PATH] [--redis-server PATH] JOB...   (JOB: ext:20000, ext:3x8000:redis, python:100000, ...)"
        );
        return ExitCode::from(2);
    }
    let dir = target_dir().join("limits");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("{}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    println!(
        "{:<20} {:>9} {:>9} {:>7} {:>9} {:>15} {:>7} {:>9}  load (before -> after)",
        "job", "wall s", "floor s", "ratio", "requests", "429 (971/1134)", "lost", "repeated"
    );
    let mut failed = false;
    for job in &jobs {
        match run(job, &tools, &dir) {
            Ok(r) => {
                println!(
                    "{:<20} {:>9.1} {:>9.1} {:>7.3} {:>9} {:>15} {:>7} {:>9}  {} -> {}",
                    job.name,
                    r["wall_secs"].as_f64().unwrap_or(0.0),
                    r["floor_secs"].as_f64().unwrap_or(0.0),
                    r["ratio"].as_f64().unwrap_or(0.0),
                    n(&r["requests"]),
                    format!(
                        "{} ({}/{})",
                        n(&r["rate_limited"]),
                        n(&r["rate_limited_971"]),
                        n(&r["rate_limited_1134"])
                    ),
                    n(&r["lost"]),
                    n(&r["repeated"]),
                    r["load_before"].as_str().unwrap_or("?"),
                    r["load_after"].as_str().unwrap_or("?"),
                );
                for summary in r["client_summary"].as_array().into_iter().flatten() {
                    println!("    {}", summary.as_str().unwrap_or(""));
                }
                let appended = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.join("results.jsonl"))
                    .and_then(|mut f| writeln!(f, "{r}"));
                if let Err(e) = appended {
                    eprintln!("cannot append to results.jsonl: {e}");
                }
            }
            Err(e) => {
                eprintln!("{}: {e}", job.name);
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
