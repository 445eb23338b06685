//! The two listeners against the real daemon: the API on its own port (not
//! on the metrics port, and the metrics not on it), its bearer token, and
//! the limits every listener has — a flood of idle connections on the API
//! port and slowloris connections on the metrics port leave a `/metrics`
//! scrape answered, and are cut by the header-read timeout; one client
//! holds at most its share of the slots; oversized requests are refused.
//!
//! The flooding client connects from 127.0.0.2 (any 127/8 address is
//! loopback on Linux), so the daemon tells it from the scraper on 127.0.0.1.
//! Timings are bounds, generous enough for a loaded machine.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::telemetry::probe::{request, HttpResponse};
use chrono::{TimeZone, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
use crate::helpers::emulator;

const TIMEOUT: Duration = Duration::from_secs(5);
/// Limits small enough to exhaust in a test: 8 slots, 4 per client, heads within 1 s.
const LIMITS: &str = "header_read_timeout_secs = 1\nrequest_timeout_secs = 2\nidle_timeout_secs = 3\n\
                      max_connections = 8\nmax_connections_per_client = 4\n";

async fn start(emu: &emulator::EmulatorGuard, dir: &std::path::Path, api: &str) -> TestDaemon {
    let config = TestConfig::driven(dir, emu.endpoint_url())
        .api(&format!("listen = \"127.0.0.1:0\"\n{api}\n[api.limits]\n{LIMITS}"))
        .extra(&format!("[http.limits]\n{LIMITS}"));
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 5, 12, 10, 30, 0).unwrap()));
    TestDaemon::spawn(emu, DaemonOptions::new(config.load(), clock).http()).await
}

async fn get(url: &str, headers: &[(&str, &str)]) -> HttpResponse {
    request("GET", url, headers, &[], TIMEOUT).await.unwrap()
}

fn addr(base: &str) -> SocketAddr {
    base.trim_start_matches("http://").parse().unwrap()
}

/// A connection from the flooding client's address.
async fn connect_from_other_client(to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Whether the daemon closes `stream` within `bound` (EOF or reset), reading
/// and discarding whatever it answers first.
async fn closed_within(stream: &mut TcpStream, bound: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(bound, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn the_api_has_its_own_port_and_the_metrics_port_does_not_serve_it() {
    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let daemon = start(&emu, dir.path(), "").await;
    let (metrics, api) = (daemon.base(), daemon.api_base());
    assert_ne!(metrics, api);
    assert_eq!(get(&format!("{api}/api/v1/budgets"), &[]).await.status, 200);
    assert_eq!(get(&format!("{api}/api/v1/decision?model=claude-3-haiku"), &[]).await.status, 200);
    for path in ["/api/v1/budgets", "/api/v1/decision?model=claude-3-haiku"] {
        assert_eq!(get(&format!("{metrics}{path}"), &[]).await.status, 404, "{path} on the metrics port");
    }
    for path in ["/metrics", "/healthz", "/readyz"] {
        assert_eq!(get(&format!("{api}{path}"), &[]).await.status, 404, "{path} on the API port");
    }
    assert_eq!(get(&format!("{metrics}/metrics"), &[]).await.status, 200);
    daemon.shutdown().await;
}

#[tokio::test]
async fn a_configured_token_is_required_by_the_api_only() {
    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("api-token"), "t0ken-for-tests\n").unwrap();
    let daemon = start(&emu, dir.path(), "token_file = \"api-token\"").await;
    let url = format!("{}/api/v1/decision?model=claude-3-haiku", daemon.api_base());
    // (Authorization header, status, challenge)
    let cases = [
        (None, 401, "Bearer realm=\"bedrock-cost-monitor\""),
        (Some("Bearer wrong-token"), 401, "Bearer realm=\"bedrock-cost-monitor\", error=\"invalid_token\""),
        (
            Some("Basic dDBrZW4tZm9yLXRlc3Rz"),
            401,
            "Bearer realm=\"bedrock-cost-monitor\", error=\"invalid_token\"",
        ),
        (Some("Bearer t0ken-for-tests"), 200, ""),
        (Some("bearer t0ken-for-tests"), 200, ""),
    ];
    for (authorization, status, challenge) in cases {
        let headers: Vec<(&str, &str)> = authorization.iter().map(|a| ("Authorization", *a)).collect();
        let answer = get(&url, &headers).await;
        assert_eq!(answer.status, status, "{authorization:?}: {}", answer.body_text());
        if status == 401 {
            assert_eq!(answer.header("www-authenticate"), Some(challenge), "{authorization:?}");
            assert!(answer.body_text().contains("\"error\":\"unauthorized\""), "{}", answer.body_text());
        }
    }
    // The metrics port asks for no token.
    assert_eq!(get(&format!("{}/metrics", daemon.base()), &[]).await.status, 200);
    daemon.shutdown().await;
}

#[tokio::test]
async fn floods_and_slow_clients_neither_starve_scrapes_nor_keep_their_slots() {
    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let daemon = start(&emu, dir.path(), "").await;
    let (metrics, api) = (addr(daemon.base()), addr(daemon.api_base()));
    // Twenty idle connections to the API port, twenty slowloris heads to the metrics port.
    let mut idle = Vec::new();
    let mut slow = Vec::new();
    for _ in 0..20 {
        idle.push(connect_from_other_client(api).await);
        let mut s = connect_from_other_client(metrics).await;
        let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n").await;
        slow.push(s);
    }
    // Past its share, the flooding client's connections are closed at once.
    let mut refused = 0;
    for s in slow.iter_mut().skip(4) {
        refused += usize::from(closed_within(s, Duration::from_secs(2)).await);
    }
    assert_eq!(refused, 16, "one client holds at most max_connections_per_client slots");
    // The scraper still gets /metrics, promptly, and the API answers its own client.
    let started = Instant::now();
    let scrape = get(&format!("{}/metrics", daemon.base()), &[]).await;
    assert_eq!(scrape.status, 200);
    assert!(started.elapsed() < Duration::from_secs(3), "scrape took {:?}", started.elapsed());
    let decision = get(&format!("{}/api/v1/decision", daemon.api_base()), &[]).await;
    assert_eq!(decision.status, 200);
    // The held ones, trickling a header every 300 ms, are cut by the 1 s head timeout.
    let started = Instant::now();
    for s in slow.iter_mut().take(4) {
        for _ in 0..3 {
            let _ = s.write_all(b"X-Slow: 1\r\n").await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    for (name, list) in [("slowloris", &mut slow), ("idle", &mut idle)] {
        for s in list.iter_mut().take(4) {
            assert!(closed_within(s, Duration::from_secs(10)).await, "a held {name} connection was not cut");
        }
    }
    assert!(started.elapsed() < Duration::from_secs(15));
    daemon.shutdown().await;
}

/// Writes `bytes` and reads the answer until the daemon closes, tolerating
/// a reset: it may close before reading all that was sent.
async fn exchange(to: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(to).await.unwrap();
    let _ = stream.write_all(bytes).await;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            answer.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(TIMEOUT, read).await.expect("the daemon answers and closes");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn oversized_heads_and_bodies_are_refused() {
    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let daemon = start(&emu, dir.path(), "").await;
    let big = "x".repeat(20_000);
    let head = format!("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n");
    let answer = exchange(addr(daemon.base()), head.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "a head past max_request_bytes: {answer}");
    // Refused on its announced length, before any of it is read.
    let head =
        "GET /api/v1/decision HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 20000\r\n\r\n";
    let answer = exchange(addr(daemon.api_base()), head.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "a body past max_request_bytes: {answer}");
    daemon.shutdown().await;
}
