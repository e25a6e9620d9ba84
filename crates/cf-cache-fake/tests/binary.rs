//! The standalone binary: it prints its base URL, serves the API on the real clock, never
//! logs a credential, and stops cleanly on Ctrl-C (SIGINT).

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

const TOKEN: &str = "binary-test-token-5f3a";

/// One HTTP/1.1 request; the whole answer as text.
async fn http(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("the fake must accept connections: {e}"));
    stream
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("the request must go out: {e}"));
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .unwrap_or_else(|e| panic!("the answer must arrive: {e}"));
    answer
}

/// Starts the binary with `args` (and a token); returns it and the address it serves on.
async fn start(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cf-cache-fake"))
        .args(["--listen", "127.0.0.1:0", "--plan", "free"])
        .args(args)
        .args(["--token", TOKEN])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("the binary must start: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout is piped"));
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .await
        .unwrap_or_else(|e| panic!("the binary must print its URL: {e}"));
    let base = first
        .trim()
        .strip_prefix("cf-cache-fake serving on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"));
    let addr = base
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/client/v4"))
        .unwrap_or_else(|| panic!("unexpected base URL: {base}"));
    (child, addr.to_string())
}

/// A purge request of `body`, with the token.
fn purge(addr: &str, body: &str) -> String {
    format!(
        "POST /client/v4/zones/z1/purge_cache HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Ctrl-C (SIGINT), then the binary's output once it stopped.
async fn interrupt(child: Child) -> std::process::Output {
    let pid = child.id().unwrap_or_else(|| panic!("the binary must be running"));
    let interrupted = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .await;
    assert!(interrupted.is_ok_and(|s| s.success()));
    child
        .wait_with_output()
        .await
        .unwrap_or_else(|e| panic!("the binary must stop: {e}"))
}

#[cfg(unix)]
#[tokio::test]
async fn the_binary_serves_until_ctrl_c_and_never_logs_the_token() {
    let (child, addr) = start(&["--reserve-clear-duration", "2s", "--log"]).await;
    let addr = addr.as_str();
    let answer = http(addr, &purge(addr, "{\"tags\":[\"release\"]}")).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("ratelimit-policy: \"default\";q=1200;w=300"),
        "{answer}"
    );
    let anonymous = format!(
        "GET /client/v4/zones/z1/cache/variants HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    assert!(http(addr, &anonymous).await.starts_with("HTTP/1.1 401"));

    let output = interrupt(child).await;
    assert!(output.status.success(), "{output:?}");
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("POST /client/v4/zones/z1/purge_cache -> 200"),
        "{log}"
    );
    assert!(log.contains("stopped after 2 requests"), "{log}");
    assert!(!log.contains(TOKEN), "{log}");
}

#[cfg(unix)]
#[tokio::test]
async fn on_ctrl_c_the_binary_writes_its_report_with_every_url_purged() {
    let report = std::env::temp_dir().join(format!("cf-cache-fake-report-{}.json", std::process::id()));
    let path = report.to_string_lossy().into_owned();
    let (child, addr) = start(&["--report", &path]).await;
    let body = "{\"files\":[\"https://example.com/b\",\"https://example.com/a\"]}";
    assert!(http(&addr, &purge(&addr, body)).await.starts_with("HTTP/1.1 200"));
    assert!(interrupt(child).await.status.success());
    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("the report must be written: {e}"));
    let _ = std::fs::remove_file(&report);
    let summary: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("the report must be JSON: {e}: {text}"));
    assert_eq!(summary["requests"], 1, "{summary}");
    assert_eq!(summary["rate_limited"], 0, "{summary}");
    assert_eq!(
        summary["purged"]["urls"],
        serde_json::json!(["https://example.com/a", "https://example.com/b"]),
        "{summary}"
    );
}
