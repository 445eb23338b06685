//! A real Prometheus for integration tests: Debian's `prometheus` binary on
//! a free loopback port with a generated configuration, its HTTP API, and
//! child processes that cannot outlive the test.
//!
//! Every child runs under a small `sh` watchdog that kills it when the
//! watchdog's stdin closes: dropping the handle (the test ended or panicked)
//! or the test process dying (even by SIGKILL) stops the child. Prometheus
//! itself comes from `tests/tools/setup.sh`.

pub mod promql;

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use bedrock_cost_monitor::telemetry::probe;
use serde_json::Value;

use super::free_port;

/// Where the tools come from, for error messages.
pub const SETUP_COMMAND: &str = "tests/tools/setup.sh";
/// Overrides the `prometheus` found on PATH.
pub const PROMETHEUS_ENV: &str = "BCM_PROMETHEUS";

const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `"$@"` in the background and kills it (SIGKILL) once stdin reaches
/// end of file; exits with the child's status. The child's stdin is closed.
const WATCHDOG: &str = r#"exec 3<&0
"$@" </dev/null &
child=$!
{ while read -r _ <&3; do :; done; kill -KILL "$child" 2>/dev/null; } &
wait "$child"
"#;

/// A child process under the watchdog; dropping it stops the process.
pub struct Guarded {
    name: String,
    wrapper: Child,
    stdin: Option<ChildStdin>,
    log: PathBuf,
}

impl Guarded {
    /// Spawns `program args…` from `cwd` with `env` added, output to `log`.
    pub fn spawn(name: &str, command: &mut Command, log: &Path) -> Guarded {
        let program = command.get_program().to_owned();
        let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
        let mut wrapper = Command::new("sh");
        wrapper.arg("-c").arg(WATCHDOG).arg("sh").arg(program).args(args);
        if let Some(dir) = command.get_current_dir() {
            wrapper.current_dir(dir);
        }
        for (key, value) in command.get_envs() {
            match value {
                Some(v) => wrapper.env(key, v),
                None => wrapper.env_remove(key),
            };
        }
        let out = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
        wrapper.stdin(Stdio::piped()).stdout(out.try_clone().unwrap()).stderr(out);
        let mut wrapper = wrapper.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdin = wrapper.stdin.take();
        Guarded { name: name.to_string(), wrapper, stdin, log: log.to_path_buf() }
    }

    /// The exit status if the process has ended.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.wrapper.try_wait().unwrap()
    }

    /// The last lines of the process's output, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(40);
        format!("--- last lines of {} ({}):\n{}", self.name, self.log.display(), lines[from..].join("\n"))
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        drop(self.stdin.take()); // the watchdog kills the child
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.wrapper.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.wrapper.kill();
        let _ = self.wrapper.wait();
    }
}

/// The `prometheus` binary: `$BCM_PROMETHEUS`, else the one on PATH.
pub fn binary() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(PROMETHEUS_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|dir| dir.join("prometheus")).find(|p| p.is_file()).ok_or_else(|| {
        format!(
            "`prometheus` not found on PATH: run `bash {SETUP_COMMAND}` (it installs Debian's prometheus \
             package), or set {PROMETHEUS_ENV} to the binary"
        )
    })
}

/// A running Prometheus with its API URL.
pub struct Prometheus {
    pub url: String,
    process: Guarded,
}

impl Prometheus {
    /// Starts `binary` with `config` (YAML text) and storage under `dir`,
    /// and waits until it is ready.
    pub async fn start(binary: &Path, config: &str, dir: &Path) -> Prometheus {
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config).unwrap();
        let port = free_port();
        let mut command = Command::new(binary);
        command
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .current_dir(dir);
        let mut process = Guarded::spawn("prometheus", &mut command, &dir.join("prometheus.log"));
        let url = format!("http://127.0.0.1:{port}");
        let ready = format!("{url}/-/ready");
        let started = Instant::now();
        loop {
            if let Some(status) = process.exited() {
                panic!("prometheus exited at start ({status})\n{}", process.log_tail());
            }
            if probe::probe(&ready, Duration::from_secs(2)).await.is_ok() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "prometheus not ready in 30 s\n{}",
                process.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Prometheus { url, process }
    }

    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }

    /// `data` of a successful API answer, or the error Prometheus gave.
    async fn api(&self, path: &str, form: &[(&str, &str)]) -> Result<Value, String> {
        let body =
            form.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        let headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")];
        let url = format!("{}{path}", self.url);
        let response = probe::request("POST", &url, &headers, body.as_bytes(), HTTP_TIMEOUT)
            .await
            .map_err(|e| e.to_string())?;
        let answer: Value = serde_json::from_slice(&response.body)
            .map_err(|e| format!("HTTP {}: not JSON ({e}): {}", response.status, response.body_text()))?;
        if answer["status"] == "success" {
            Ok(answer["data"].clone())
        } else {
            Err(format!("{}: {}", answer["errorType"], answer["error"]))
        }
    }

    /// An instant query: the number of series (1 for a scalar or string).
    pub async fn count(&self, expr: &str) -> Result<usize, String> {
        let data = self.api("/api/v1/query", &[("query", expr)]).await?;
        match data["resultType"].as_str() {
            Some("vector" | "matrix") => Ok(data["result"].as_array().map_or(0, Vec::len)),
            Some(_) => Ok(1),
            None => Err(format!("no resultType in {data}")),
        }
    }

    /// The value of the first sample of an instant query, if any.
    pub async fn value(&self, expr: &str) -> Result<Option<f64>, String> {
        let data = self.api("/api/v1/query", &[("query", expr)]).await?;
        let first = match data["resultType"].as_str() {
            Some("vector") => data["result"][0]["value"][1].clone(),
            Some("scalar") => data["result"][1].clone(),
            _ => Value::Null,
        };
        Ok(first.as_str().and_then(|v| v.parse().ok()))
    }

    /// The values of `label` over the series matching `selector`.
    pub async fn label_values(&self, selector: &str, label: &str) -> Result<Vec<String>, String> {
        let data = self.api("/api/v1/series", &[("match[]", selector)]).await?;
        let mut values: Vec<String> = data
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|series| series[label].as_str().map(str::to_string))
            .collect();
        values.sort();
        values.dedup();
        Ok(values)
    }

    /// Every rule as Prometheus loaded it: (group, rule) JSON pairs.
    pub async fn rules(&self) -> Result<Vec<(String, Value)>, String> {
        let response = probe::request("GET", &format!("{}/api/v1/rules", self.url), &[], &[], HTTP_TIMEOUT)
            .await
            .map_err(|e| e.to_string())?;
        let answer: Value = serde_json::from_slice(&response.body).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for group in answer["data"]["groups"].as_array().into_iter().flatten() {
            let name = group["name"].as_str().unwrap_or_default().to_string();
            for rule in group["rules"].as_array().into_iter().flatten() {
                out.push((name.clone(), rule.clone()));
            }
        }
        Ok(out)
    }
}

/// `application/x-www-form-urlencoded` encoding of one key or value.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Polls `check` until it returns `Some`; `Err` names `what` after `limit`.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return Ok(value);
        }
        if started.elapsed() > limit {
            return Err(format!("timed out after {limit:?} waiting for {what}"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
