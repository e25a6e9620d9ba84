//! A real `redis-server` for the fleet tests, on a free loopback port, with no persistence and
//! its files in a directory of its own; stopped (and the directory removed) when dropped.
//!
//! The first [`RedisServer::start`] in a process runs `scripts/redis-server.sh`, which installs
//! Debian's `redis-server` when none is on PATH. There is no skipping: when it cannot be
//! installed or does not start, the caller panics with a message saying why.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use crate::workspace_root;

/// How many free ports to try when another process grabs the chosen one first.
const PORT_ATTEMPTS: usize = 3;

/// A running `redis-server`, killed when dropped.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// Installs Redis if needed and starts a server, returning once it accepts connections.
    ///
    /// # Panics
    ///
    /// When Redis cannot be installed, or the server exits before it is ready; the message
    /// includes the server's own output.
    pub fn start() -> Self {
        let mut last = String::new();
        for _ in 0..PORT_ATTEMPTS {
            match Self::spawn(free_port()) {
                Ok(server) => return server,
                // Someone else bound the port between our probe and the server's bind.
                Err(output) => last = output,
            }
        }
        panic!("redis-server found no free port in {PORT_ATTEMPTS} attempts:\n{last}");
    }

    /// Like [`RedisServer::start`], on `port`: a Redis coming back where it was.
    ///
    /// # Panics
    ///
    /// As [`RedisServer::start`], and when the port is taken.
    pub fn start_on(port: u16) -> Self {
        Self::spawn(port).unwrap_or_else(|output| panic!("port {port} is taken:\n{output}"))
    }

    /// A server on `port`, or its output when the port was taken.
    fn spawn(port: u16) -> Result<Self, String> {
        let binary = installed();
        let dir = std::env::temp_dir().join(format!("cf-cache-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let port_arg = port.to_string();
        let mut child = Command::new(binary)
            .args([
                "--port",
                &port_arg,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(["--daemonize", "no", "--loglevel", "notice", "--dir"])
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        let mut output = String::new();
        if let Some(log) = child.stdout.take() {
            let mut lines = BufReader::new(log).lines();
            // Redis says when it is ready; reading its log waits exactly that long.
            let ready = lines.by_ref().map_while(Result::ok).any(|line| {
                output.push_str(&line);
                output.push('\n');
                line.contains("Ready to accept connections")
            });
            if ready {
                // The rest of the log is read (and dropped) so the server never blocks on it.
                std::thread::spawn(move || lines.for_each(drop));
                return Ok(Self { child, port, dir });
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&dir);
        if output.contains("Address already in use") {
            Err(output)
        } else {
            panic!("redis-server exited before it was ready:\n{output}");
        }
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port nothing listens on (for a Redis that is not there).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

/// The `redis-server` binary, installed by the project's script when missing.
fn installed() -> &'static str {
    static BINARY: OnceLock<String> = OnceLock::new();
    BINARY.get_or_init(|| {
        let script = workspace_root().join("scripts/redis-server.sh");
        let out = Command::new("bash")
            .arg(&script)
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() || path.is_empty() {
            panic!(
                "redis-server is needed by the fleet tests and {} could not provide it (see above)",
                script.display()
            );
        }
        path
    })
}
