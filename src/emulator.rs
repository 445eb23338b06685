//! Local AWS emulator: launches `tests/emulator/gateway.py` (moto plus a gateway that
//! adds CloudWatch RPCv2-CBOR, CloudWatch metric data held to CloudWatch's own matching
//! rules, CloudTrail `LookupEvents`, Organizations `ListAccounts` as AWS documents it,
//! fault and odd-data injection and a request log) and drives its JSON control API
//! under `/_emulator/`.
//!
//! Used by the integration tests and by the `demo` command.
//!
//! Owns: finding the emulator virtualenv, spawning the gateway, waiting for its ready
//! line, killing it on drop, and SDK configuration that points at it with dummy
//! credentials.
//!
//! Must not: install anything (that is `tests/emulator/setup.sh`), read real AWS
//! credentials, or send anything anywhere but the loopback gateway it started.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

mod faults;

pub use faults::{Fault, FaultKind, RequestRecord};

use crate::telemetry::probe::{self, ProbeError};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatch::config::Credentials;
use serde::Deserialize;
use serde_json::{json, Value};

/// Environment variable overriding the virtualenv location (same as `setup.sh`).
pub const VENV_ENV: &str = "BCM_EMULATOR_VENV";
/// The command, relative to the repository root, that creates the virtualenv.
pub const SETUP_COMMAND: &str = "tests/emulator/setup.sh";
/// Default virtualenv location, relative to the repository root.
pub const DEFAULT_VENV: &str = ".venv/emulator";
/// Dummy access key id signed into every request sent through [`Emulator::sdk_config`].
pub const ACCESS_KEY_ID: &str = "AKIDBCMEMULATOR";

const GATEWAY_SCRIPT: &str = "tests/emulator/gateway.py";
const SECRET_ACCESS_KEY: &str = "bcm-emulator-secret";
/// Importing moto takes a few seconds; a loaded CI machine may need many more.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const CONTROL_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything that can go wrong starting or driving the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error(
        "emulator virtualenv not found at {}: run `{SETUP_COMMAND}` first (or set {VENV_ENV})",
        venv.display()
    )]
    VenvMissing { venv: PathBuf },
    #[error("emulator gateway script not found at {}", path.display())]
    ScriptMissing { path: PathBuf },
    #[error("cannot start the emulator gateway {}: {source}", program.display())]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("emulator gateway did not report ready within {0:?}")]
    ReadyTimeout(Duration),
    #[error(
        "emulator gateway exited before it was ready ({0}); see its stderr above, and re-run \
         `{SETUP_COMMAND}` if a Python module is missing"
    )]
    EarlyExit(String),
    #[error("emulator gateway printed an invalid ready line {line:?}: {reason}")]
    BadReadyLine { line: String, reason: String },
    #[error("emulator control request {request} failed: {source}")]
    ControlIo {
        request: String,
        #[source]
        source: std::io::Error,
    },
    #[error("emulator control request {request} timed out after {timeout:?}")]
    ControlTimeout { request: String, timeout: Duration },
    #[error("emulator control request {request} answered HTTP {status}: {body}")]
    ControlStatus { request: String, status: u16, body: String },
    #[error("emulator control request {request} got an unreadable answer: {reason}")]
    ControlResponse { request: String, reason: String },
}

#[derive(Deserialize)]
struct ReadyLine {
    gateway: String,
    moto: String,
    pid: u32,
}

/// A running emulator. Dropping it kills the gateway process.
///
/// Holds no async-runtime resources, so one instance can be shared by tests that each
/// run their own Tokio runtime.
#[derive(Debug)]
pub struct Emulator {
    gateway_url: String,
    moto_url: String,
    control_addr: SocketAddr,
    process: GatewayProcess,
}

impl Emulator {
    /// Starts the emulator from the virtualenv in `$BCM_EMULATOR_VENV` or
    /// `<repo_root>/.venv/emulator`.
    pub async fn start(repo_root: &Path) -> Result<Self, EmulatorError> {
        Self::start_with_venv(repo_root, &venv_path(repo_root)).await
    }

    /// Starts the emulator with the Python of an explicit virtualenv.
    pub async fn start_with_venv(repo_root: &Path, venv: &Path) -> Result<Self, EmulatorError> {
        let python = venv.join("bin").join("python");
        if !python.is_file() {
            return Err(EmulatorError::VenvMissing { venv: venv.to_path_buf() });
        }
        let script = repo_root.join(GATEWAY_SCRIPT);
        if !script.is_file() {
            return Err(EmulatorError::ScriptMissing { path: script });
        }
        let mut child = Command::new(&python)
            .arg(&script)
            .current_dir(repo_root)
            // The gateway exits at stdin EOF: if this process dies, so does the gateway.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|source| EmulatorError::Spawn { program: python.clone(), source })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let mut process = GatewayProcess { child, stdin };

        let line = match stdout {
            Some(stdout) => read_ready_line(stdout, &mut process).await?,
            None => return Err(EmulatorError::EarlyExit("no stdout pipe".into())),
        };
        let ready: ReadyLine = serde_json::from_str(&line)
            .map_err(|err| EmulatorError::BadReadyLine { line: line.clone(), reason: err.to_string() })?;
        let control_addr = ready
            .gateway
            .strip_prefix("http://")
            .and_then(|addr| addr.parse::<SocketAddr>().ok())
            .ok_or_else(|| EmulatorError::BadReadyLine {
                line: line.clone(),
                reason: "gateway is not http://IP:PORT".into(),
            })?;
        if ready.pid != process.child.id() {
            return Err(EmulatorError::BadReadyLine {
                line,
                reason: format!("pid is not the spawned child's {}", process.child.id()),
            });
        }
        Ok(Self { gateway_url: ready.gateway, moto_url: ready.moto, control_addr, process })
    }

    /// The URL every AWS SDK client must use as its endpoint.
    pub fn endpoint_url(&self) -> &str {
        &self.gateway_url
    }

    /// moto's own URL, for debugging only (it lacks the gateway's translations).
    pub fn moto_url(&self) -> &str {
        &self.moto_url
    }

    /// Process id of the gateway (moto runs inside it).
    pub fn pid(&self) -> u32 {
        self.process.child.id()
    }

    /// SDK configuration for `region` aimed at the emulator, with dummy static
    /// credentials so real ones are never looked up.
    pub async fn sdk_config(&self, region: &str) -> SdkConfig {
        let credentials = Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "bcm-emulator");
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(self.gateway_url.as_str())
            .region(Region::new(region.to_owned()))
            .credentials_provider(credentials)
            .load()
            .await
    }

    pub async fn health(&self) -> Result<(), EmulatorError> {
        self.control("GET", "/_emulator/health", None).await.map(drop)
    }

    /// Wipes moto, metric data, seeded CloudTrail events, fault rules, rate windows and
    /// the log.
    pub async fn reset(&self) -> Result<(), EmulatorError> {
        self.control("POST", "/_emulator/reset", None).await.map(drop)
    }

    /// Adds raw CloudTrail records (as in a trail file) to the default account's event
    /// history of their `awsRegion`; an `eventID` seen before is overwritten. Returns
    /// how many were stored.
    pub async fn seed_cloudtrail(&self, events: &[Value]) -> Result<usize, EmulatorError> {
        self.seed_cloudtrail_in(None, events).await
    }

    /// [`Emulator::seed_cloudtrail`] into `account`'s event history (`None`: the
    /// default account): each account sees, and is throttled on, its own.
    pub async fn seed_cloudtrail_in(
        &self,
        account: Option<&str>,
        events: &[Value],
    ) -> Result<usize, EmulatorError> {
        let path = "/_emulator/cloudtrail/events";
        let mut body = json!({ "events": events });
        if let Some(account) = account {
            body["account"] = json!(account);
        }
        let answer = self.control("POST", path, Some(&body)).await?;
        answer["stored"].as_u64().and_then(|n| usize::try_from(n).ok()).ok_or_else(|| {
            EmulatorError::ControlResponse {
                request: format!("POST {path}"),
                reason: format!("no \"stored\" count in {answer}"),
            }
        })
    }

    /// Sets the bill of the days `lines` name (each line: `day`, `service`,
    /// `usage_type`, `usd`, `quantity` as decimal strings, optional `unit`,
    /// `estimated`), replacing what those days had, and of the days listed
    /// in `days` (emptied); Cost Explorer then answers from it.
    pub async fn seed_bill(&self, lines: &[Value], days: &[&str]) -> Result<(), EmulatorError> {
        let body = json!({ "lines": lines, "days": days });
        self.control("POST", "/_emulator/ce/lines", Some(&body)).await.map(drop)
    }

    /// Cost Explorer settings: `{"enabled": false}` refuses the account,
    /// `{"page_size": 3}` pages every 3 groups.
    pub async fn cost_explorer_settings(&self, settings: &Value) -> Result<(), EmulatorError> {
        self.control("POST", "/_emulator/ce/settings", Some(settings)).await.map(drop)
    }

    /// Organizations settings: `{"empty_page_first": true}` makes the first
    /// page of every `ListAccounts` listing empty, with a `NextToken`, as
    /// AWS documents it may be.
    pub async fn organizations_settings(&self, settings: &Value) -> Result<(), EmulatorError> {
        self.control("POST", "/_emulator/organizations/settings", Some(settings)).await.map(drop)
    }

    /// The request log, optionally only for one service (`cloudtrail`, `cloudwatch`, ...).
    pub async fn requests(&self, service: Option<&str>) -> Result<Vec<RequestRecord>, EmulatorError> {
        let path = match service {
            Some(service) => format!("/_emulator/requests?service={}", query_escape(service)),
            None => "/_emulator/requests".to_owned(),
        };
        let answer = self.control("GET", &path, None).await?;
        serde_json::from_value(answer).map_err(|err| EmulatorError::ControlResponse {
            request: format!("GET {path}"),
            reason: err.to_string(),
        })
    }

    /// Adds a fault rule; the gateway answers HTTP 400 ([`EmulatorError::ControlStatus`])
    /// to a rule it cannot apply, such as a data kind on another service.
    pub async fn inject_fault(&self, fault: &Fault) -> Result<(), EmulatorError> {
        self.control("POST", "/_emulator/faults", Some(&fault.to_json())).await.map(drop)
    }

    pub async fn clear_faults(&self) -> Result<(), EmulatorError> {
        self.control("DELETE", "/_emulator/faults", None).await.map(drop)
    }

    async fn control(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, EmulatorError> {
        let request = format!("{method} {path}");
        let url = format!("http://{}{path}", self.control_addr);
        let payload = body.map(Value::to_string).unwrap_or_default();
        let headers = [("Accept", "application/json"), ("Content-Type", "application/json")];
        let answer = probe::request(method, &url, &headers, payload.as_bytes(), CONTROL_TIMEOUT)
            .await
            .map_err(|e| match e {
                ProbeError::Timeout { .. } => {
                    EmulatorError::ControlTimeout { request: request.clone(), timeout: CONTROL_TIMEOUT }
                }
                ProbeError::Io { source, .. } => {
                    EmulatorError::ControlIo { request: request.clone(), source }
                }
                other => {
                    EmulatorError::ControlResponse { request: request.clone(), reason: other.to_string() }
                }
            })?;
        if !answer.is_success() {
            return Err(EmulatorError::ControlStatus {
                request,
                status: answer.status,
                body: answer.body_text(),
            });
        }
        serde_json::from_slice(&answer.body).map_err(|err| EmulatorError::ControlResponse {
            request,
            reason: format!("body is not JSON: {err}"),
        })
    }
}

/// The virtualenv [`Emulator::start`] uses: `$BCM_EMULATOR_VENV`, else
/// `<repo_root>/.venv/emulator`.
pub fn venv_path(repo_root: &Path) -> PathBuf {
    match std::env::var_os(VENV_ENV) {
        Some(venv) if !venv.is_empty() => PathBuf::from(venv),
        _ => repo_root.join(DEFAULT_VENV),
    }
}

/// The gateway child process; killed when dropped, including on start-up errors.
#[derive(Debug)]
struct GatewayProcess {
    child: Child,
    /// Never written: held open because EOF on it tells the gateway to exit.
    stdin: Option<ChildStdin>,
}

impl GatewayProcess {
    fn exit_description(&mut self) -> String {
        match self.child.try_wait() {
            Ok(Some(status)) => status.to_string(),
            Ok(None) => "stdout closed".to_owned(),
            Err(err) => format!("status unknown: {err}"),
        }
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        // The process may already be gone; nothing useful can be done about errors here.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for the gateway's single ready line. Pipe reads block, so a helper thread
/// reads and the caller only awaits with a timeout.
async fn read_ready_line(
    stdout: std::process::ChildStdout,
    process: &mut GatewayProcess,
) -> Result<String, EmulatorError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    #[expect(
        clippy::disallowed_methods,
        reason = "a pipe read blocks and the harness runs on any runtime: one short-lived thread reads the ready line"
    )]
    let reader = std::thread::Builder::new().name("bcm-emulator-ready".into()).spawn(move || {
        let mut line = String::new();
        let result = BufReader::new(stdout).read_line(&mut line).map(|_| line);
        // The receiver is gone only if start-up already failed.
        let _ = tx.send(result);
    });
    if let Err(err) = reader {
        return Err(EmulatorError::EarlyExit(format!("cannot start reader thread: {err}")));
    }
    match tokio::time::timeout(READY_TIMEOUT, rx).await {
        Err(_) => Err(EmulatorError::ReadyTimeout(READY_TIMEOUT)),
        Ok(Err(_)) => Err(EmulatorError::EarlyExit("ready-line reader thread died".into())),
        Ok(Ok(Err(err))) => Err(EmulatorError::EarlyExit(format!("reading stdout failed: {err}"))),
        Ok(Ok(Ok(line))) if line.trim().is_empty() => {
            // EOF before the line: give the process a moment to report its status.
            tokio::time::sleep(Duration::from_millis(100)).await;
            Err(EmulatorError::EarlyExit(process.exit_description()))
        }
        Ok(Ok(Ok(line))) => Ok(line.trim().to_owned()),
    }
}

/// Percent-encodes a query value (service names are plain, but be safe).
fn query_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_rules_serialise_like_the_control_api_expects() {
        let fault = Fault::new("cloudwatch", FaultKind::ServerError { status: 503 })
            .operation("GetMetricData")
            .count(1);
        assert_eq!(
            fault.to_json(),
            json!({"service": "cloudwatch", "kind": "server_error", "status": 503,
                   "operation": "GetMetricData", "count": 1})
        );
        let fault = Fault::new("sns", FaultKind::Latency(Duration::from_millis(250)));
        assert_eq!(fault.to_json(), json!({"service": "sns", "kind": "latency", "latency_ms": 250}));
    }

    #[test]
    fn data_rules_serialise_with_their_matchers_and_special_values() {
        let fault = Fault::metric_data(FaultKind::PartialData { next_token: false })
            .metric_name("InputTokenCount")
            .dimension_value("anthropic.claude-3-haiku-20240307-v1:0")
            .count(2);
        assert_eq!(
            fault.to_json(),
            json!({"service": "cloudwatch", "operation": "GetMetricData", "kind": "partial_data",
                   "next_token": false, "metric_name": "InputTokenCount",
                   "dimension_value": "anthropic.claude-3-haiku-20240307-v1:0", "count": 2})
        );
        let value = |v: f64| Fault::metric_data(FaultKind::MetricValue(v)).to_json()["value"].clone();
        assert_eq!(value(f64::NAN), json!("NaN"));
        assert_eq!(value(f64::INFINITY), json!("Infinity"));
        assert_eq!(value(f64::NEG_INFINITY), json!("-Infinity"));
        assert_eq!(value(-2.5), json!(-2.5));
        let fault = Fault::metric_data(FaultKind::PartialData { next_token: true });
        assert_eq!(
            fault.to_json(),
            json!({"service": "cloudwatch", "operation": "GetMetricData", "kind": "partial_data",
                   "next_token": true})
        );
    }

    #[test]
    fn escapes_query_values() {
        assert_eq!(query_escape("cloud trail&x"), "cloud%20trail%26x");
    }
}
