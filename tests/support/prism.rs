//! A real Prism mock server (Stoplight's OpenAPI mock) serving `spec/cloudflare-cache.yaml`.
//!
//! Prism is an npm package pinned in the workspace's `package.json`/`package-lock.json`. The
//! first [`Prism::start`] in a process installs it with `npm ci` when `node_modules/` is missing
//! or holds another version, then every call starts a fresh `prism mock` on a free loopback
//! port. There is no skipping: without Node.js and npm, or when the install fails, the caller
//! panics with a message saying what to do.
//!
//! Prism runs with `--errors`: a request the spec does not allow is answered with an error
//! status (401 for missing credentials, 422 for a bad body or query) instead of a mocked
//! success, and a response that does not match its schema (an example or a generated body) is
//! replaced by a 500 problem. A request can ask for a response generated from the schema instead
//! of the spec's example with `Prefer: dynamic=true, seed=<text>`; the same seed always yields
//! the same body.
//!
//! Installation is serialised inside one process by a `OnceLock`. Across processes it is not:
//! only one test binary (`conformance`) uses Prism, and cargo runs test binaries one at a time.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crate::workspace_root;

/// How long Prism may take from spawn to accepting connections.
const STARTUP_DEADLINE: Duration = Duration::from_secs(60);
/// How many free ports to try when another process grabs the chosen one first.
const PORT_ATTEMPTS: usize = 3;
/// The npm package that provides the `prism` command.
const PACKAGE: &str = "@stoplight/prism-cli";
/// The oldest Node.js major version the pinned Prism (and its faker dependency) runs on.
const MIN_NODE_MAJOR: u64 = 20;

/// A running `prism mock` child process, killed when dropped.
pub struct Prism {
    child: Child,
    base_url: String,
    output: Arc<Output>,
}

impl std::fmt::Debug for Prism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prism")
            .field("pid", &self.child.id())
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Prism {
    /// Installs Prism if needed and starts `prism mock --errors` against the workspace spec on
    /// `127.0.0.1`, returning once the port accepts connections.
    ///
    /// # Panics
    ///
    /// When Node.js or npm is missing, the install fails, or Prism exits or stays silent past
    /// the startup deadline; the message includes Prism's own output.
    pub fn start() -> Self {
        Self::start_with_spec(&workspace_root().join("spec/cloudflare-cache.yaml"))
    }

    /// Like [`Prism::start`], but serving the OpenAPI document at `spec` (for tests that need a
    /// deliberately broken copy of the spec).
    ///
    /// # Panics
    ///
    /// As [`Prism::start`].
    pub fn start_with_spec(spec: &Path) -> Self {
        let cli = ensure_installed();
        let mut last_failure = String::new();
        for _ in 0..PORT_ATTEMPTS {
            match Self::spawn_on_free_port(&cli, spec) {
                Ok(prism) => return prism,
                // Someone else bound the port between our probe and Prism's bind: try another.
                Err(Failure::PortTaken(output)) => last_failure = output,
                Err(Failure::Fatal(message)) => panic!("{message}"),
            }
        }
        panic!(
            "Prism could not bind a free port in {PORT_ATTEMPTS} attempts; its last output:\n{last_failure}"
        )
    }

    /// `http://127.0.0.1:<port>`, the base URL to point clients at.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Everything Prism has printed so far (stdout and stderr, one entry per line).
    pub fn output(&self) -> Vec<String> {
        self.output.lines().clone()
    }

    /// The lines Prism has printed so far that contain `needle`.
    pub fn lines_containing(&self, needle: &str) -> Vec<String> {
        self.output
            .lines()
            .iter()
            .filter(|line| line.contains(needle))
            .cloned()
            .collect()
    }

    /// Waits until at least `count` printed lines contain `needle` or `timeout` passes, and
    /// returns how many do. Prism logs a request before answering it, but the line reaches us
    /// through a pipe, possibly after the response: this closes that gap without sleeping.
    pub fn wait_for_lines(&self, needle: &str, count: usize, timeout: Duration) -> usize {
        let matching = |lines: &Vec<String>| lines.iter().filter(|line| line.contains(needle)).count();
        let lines = self.output.lines();
        let (lines, _) = self
            .output
            .grew
            .wait_timeout_while(lines, timeout, |lines| matching(lines) < count)
            .unwrap_or_else(PoisonError::into_inner);
        matching(&lines)
    }

    fn spawn_on_free_port(cli: &Path, spec: &Path) -> Result<Self, Failure> {
        let port = free_port().map_err(|e| Failure::Fatal(format!("no free loopback port: {e}")))?;
        let root = workspace_root();
        let mut child = Command::new("node")
            .arg(cli)
            .arg("mock")
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--errors"])
            .arg(spec)
            .current_dir(&root)
            .env("NO_COLOR", "1")
            .env("FORCE_COLOR", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Failure::Fatal(format!("could not run `node {}`: {e}", cli.display())))?;
        let output = Arc::new(Output::default());
        if let Some(stdout) = child.stdout.take() {
            output.collect(stdout);
        }
        if let Some(stderr) = child.stderr.take() {
            output.collect(stderr);
        }
        // From here on, dropping `prism` (on any error) kills the child.
        let mut prism = Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            output,
        };
        prism.wait_until_listening(port)?;
        Ok(prism)
    }

    /// Waits until this Prism says it listens on `port`, exits, or the deadline passes. A
    /// connection to the port is no proof: the tests of one binary start their Prisms side by
    /// side, and one that lost the port to another would see that one accept, then die.
    fn wait_until_listening(&mut self, port: u16) -> Result<(), Failure> {
        let listening = format!("Prism is listening on http://127.0.0.1:{port}");
        let deadline = Instant::now() + STARTUP_DEADLINE;
        loop {
            if self.output.lines().iter().any(|line| line.contains(&listening)) {
                return Ok(());
            }
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    // Let the reader threads drain what Prism printed before it died.
                    self.output.wait_for_eof(Duration::from_secs(5));
                    let output = self.output.lines().join("\n");
                    return Err(if output.contains("EADDRINUSE") {
                        Failure::PortTaken(output)
                    } else {
                        Failure::Fatal(format!(
                            "Prism exited ({status}) before listening on port {port}. Its output:\n{output}"
                        ))
                    });
                }
                Ok(None) => {}
                Err(e) => return Err(Failure::Fatal(format!("could not check on Prism: {e}"))),
            }
            if Instant::now() >= deadline {
                let output = self.output.lines().join("\n");
                return Err(Failure::Fatal(format!(
                    "Prism did not accept connections on port {port} within {STARTUP_DEADLINE:?}. \
                     Its output so far:\n{output}"
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        // Already gone is fine; anything else leaves nothing to do in a destructor either.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Why one start attempt failed.
enum Failure {
    /// Prism lost the race for its port; its output.
    PortTaken(String),
    /// Anything else, as the message to panic with.
    Fatal(String),
}

/// Prism's stdout and stderr, line by line, filled by one reader thread per stream.
#[derive(Default)]
struct Output {
    lines: Mutex<Vec<String>>,
    grew: Condvar,
    open_streams: Mutex<usize>,
    closed: Condvar,
}

impl Output {
    fn lines(&self) -> MutexGuard<'_, Vec<String>> {
        self.lines.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads `stream` to its end on a new thread, appending each line.
    fn collect(self: &Arc<Self>, stream: impl Read + Send + 'static) {
        *self.open_streams.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        let output = Arc::clone(self);
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                output.lines().push(line);
                output.grew.notify_all();
            }
            *output.open_streams.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
            output.closed.notify_all();
        });
    }

    /// Waits (at most `timeout`) for both streams to reach their end.
    fn wait_for_eof(&self, timeout: Duration) {
        let open = self.open_streams.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self.closed.wait_timeout_while(open, timeout, |open| *open > 0);
    }
}

/// A port on 127.0.0.1 that was free a moment ago, and never handed out before in this
/// process: the kernel may offer a port again as soon as its probe is closed, to another test
/// starting its own Prism.
fn free_port() -> std::io::Result<u16> {
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    // Probes stay bound until a new port turns up, so the kernel cannot offer one twice.
    let mut probes = Vec::new();
    loop {
        let probe = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = probe.local_addr()?.port();
        if HANDED_OUT
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(port)
        {
            return Ok(port);
        }
        probes.push(probe);
    }
}

/// The path of Prism's CLI script, installing the pinned version first if needed. Runs the
/// install at most once per process; every caller gets the same answer (or the same panic).
fn ensure_installed() -> PathBuf {
    static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match INSTALLED.get_or_init(install) {
        Ok(cli) => cli.clone(),
        Err(message) => panic!("{message}"),
    }
}

fn install() -> Result<PathBuf, String> {
    let root = workspace_root();
    let node = check_node()?;
    let pinned = pinned_version(&root)?;
    let package_dir = root.join("node_modules").join(PACKAGE);
    let bin = root.join("node_modules/.bin/prism");
    let installed = installed_version(&package_dir);
    if !bin.exists() || installed.as_deref() != Some(pinned.as_str()) {
        run_npm_ci(&root, &pinned, installed.as_deref())?;
    }
    let installed = installed_version(&package_dir);
    if !bin.exists() || installed.as_deref() != Some(pinned.as_str()) {
        return Err(format!(
            "`npm ci` finished but {} is not {PACKAGE} {pinned} (found {installed:?}); \
             delete node_modules/ and run `npm ci` in {} to see why",
            bin.display(),
            root.display()
        ));
    }
    let cli = package_dir.join("dist/index.js");
    if !cli.is_file() {
        return Err(format!(
            "{PACKAGE} {pinned} is installed but {} is missing; delete node_modules/ and re-run",
            cli.display()
        ));
    }
    eprintln!("prism: using {PACKAGE} {pinned} on Node.js {node}");
    Ok(cli)
}

/// Node's version (`v20.19.0`), or an error saying to install Node.
fn check_node() -> Result<String, String> {
    let output = Command::new("node").arg("--version").output().map_err(|e| {
        format!(
            "node not found ({e}): install Node.js {MIN_NODE_MAJOR}.19+ with npm and put `node` on \
             PATH to run the Prism conformance test"
        )
    })?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let major = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|major| major.parse::<u64>().ok());
    match major {
        Some(major) if output.status.success() && major >= MIN_NODE_MAJOR => Ok(version),
        _ => Err(format!(
            "`node --version` said {version:?} ({}): the Prism conformance test needs Node.js \
             {MIN_NODE_MAJOR}.19+",
            output.status
        )),
    }
}

/// The exact version `package.json` pins Prism to.
fn pinned_version(root: &Path) -> Result<String, String> {
    let path = root.join("package.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    match manifest["devDependencies"][PACKAGE].as_str() {
        Some(version) if version.chars().all(|c| c.is_ascii_digit() || c == '.') => Ok(version.to_string()),
        Some(range) => Err(format!(
            "{} must pin {PACKAGE} to an exact version, not {range:?}",
            path.display()
        )),
        None => Err(format!(
            "{} has no devDependencies entry for {PACKAGE}",
            path.display()
        )),
    }
}

/// The version of the package installed in `package_dir`, if any.
fn installed_version(package_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(package_dir.join("package.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    manifest["version"].as_str().map(str::to_string)
}

/// `npm ci` in the workspace root: installs exactly what `package-lock.json` lists. Install
/// scripts are skipped; Prism needs none (the only one in its tree is a telemetry ping).
fn run_npm_ci(root: &Path, pinned: &str, installed: Option<&str>) -> Result<(), String> {
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    eprintln!(
        "prism: installing {PACKAGE} {pinned} with `npm ci` in {} (found {installed:?})",
        root.display()
    );
    let started = Instant::now();
    let output = Command::new(npm)
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "npm not found ({e}): install Node.js {MIN_NODE_MAJOR}.19+ with npm to run the Prism \
                 conformance test"
            )
        })?;
    if !output.status.success() {
        return Err(format!(
            "`npm ci` in {} failed ({}). It needs the npm registry (or a mirror set in .npmrc).\n\
             stdout:\n{}\nstderr:\n{}",
            root.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    eprintln!("prism: installed in {:.1?}", started.elapsed());
    Ok(())
}
