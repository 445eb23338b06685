//! The daemon's `monitor.toml` for a test, written into the test's
//! directory: both regions, UTC, the emulator as the AWS endpoint, the data
//! directory beside the file and the shipped price table. The in-process
//! daemon loads it (`TestConfig::load`); the binary's tests pass its path.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bedrock_cost_monitor::clock::{Clock, SystemClock};
use bedrock_cost_monitor::config::{self, Loaded};

use crate::helpers::repo_root;
use crate::helpers::workload::{EAST, WEST};

/// The drain deadline of [`TestConfig::scheduled`] (`monitor.shutdown_deadline_secs`).
pub const SHUTDOWN_DEADLINE_SECS: u64 = 5;

/// What a test's `monitor.toml` says; see [`TestConfig::driven`] and
/// [`TestConfig::scheduled`] for the two starting points.
#[derive(Clone)]
pub struct TestConfig {
    dir: PathBuf,
    endpoint: String,
    assume_role: Option<String>,
    shutdown_deadline_secs: Option<u64>,
    max_attempts: Option<u32>,
    listen_port: Option<u16>,
    cloudwatch: String,
    cloudtrail: String,
    topic: Option<String>,
    alerts: String,
    digest: bool,
    api: String,
    extra: String,
}

impl TestConfig {
    /// For a daemon whose jobs the test runs itself: one retry per AWS call,
    /// CloudWatch minutes restated for 10 minutes and 3 hours backfilled,
    /// CloudTrail off, no alert topic, no digest.
    pub fn driven(dir: &Path, endpoint: &str) -> TestConfig {
        TestConfig {
            dir: dir.to_path_buf(),
            endpoint: endpoint.to_string(),
            assume_role: None,
            shutdown_deadline_secs: None,
            max_attempts: Some(2),
            listen_port: None,
            cloudwatch: "restatement_minutes = 10\nbackfill_hours = 3\n".into(),
            cloudtrail: "enabled = false\n".into(),
            topic: None,
            alerts: String::new(),
            digest: false,
            // Any free port: tests run side by side (in-process daemons get theirs handed in).
            api: "listen = \"127.0.0.1:0\"\n".into(),
            extra: String::new(),
        }
    }

    /// For the binary on its own schedule, shaped like config/demo.toml:
    /// HTTP on `port`, CloudWatch every 2 seconds, a 5-second drain, the
    /// SDK's default retries.
    pub fn scheduled(dir: &Path, endpoint: &str, port: u16) -> TestConfig {
        TestConfig {
            shutdown_deadline_secs: Some(SHUTDOWN_DEADLINE_SECS),
            max_attempts: None,
            listen_port: Some(port),
            cloudwatch: "schedule = \"*/2 * * * * *\"\nrestatement_minutes = 10\nbackfill_hours = 3\n".into(),
            ..TestConfig::driven(dir, endpoint)
        }
    }

    /// Attempts per AWS call (`aws.max_attempts`).
    pub fn max_attempts(mut self, attempts: u32) -> TestConfig {
        self.max_attempts = Some(attempts);
        self
    }

    /// Monitors the account of this role (`aws.assume_role_arn`).
    pub fn assume_role(mut self, arn: &str) -> TestConfig {
        self.assume_role = Some(arn.to_string());
        self
    }

    /// The keys of `[sources.cloudwatch]`, replacing the starting point's.
    pub fn cloudwatch(mut self, keys: &str) -> TestConfig {
        self.cloudwatch = keys.to_string();
        self
    }

    /// The keys of `[sources.cloudtrail]`, replacing `enabled = false`.
    pub fn cloudtrail(mut self, keys: &str) -> TestConfig {
        self.cloudtrail = keys.to_string();
        self
    }

    /// Alerts go to this SNS topic.
    pub fn topic(mut self, arn: &str) -> TestConfig {
        self.topic = Some(arn.to_string());
        self
    }

    /// More keys of `[alerts]` (after the topic).
    pub fn alerts(mut self, keys: &str) -> TestConfig {
        self.alerts = keys.to_string();
        self
    }

    /// Whether the daily digest job is on.
    pub fn digest(mut self, enabled: bool) -> TestConfig {
        self.digest = enabled;
        self
    }

    /// The keys of `[api]`, replacing `listen = "127.0.0.1:0"`.
    pub fn api(mut self, keys: &str) -> TestConfig {
        self.api = keys.to_string();
        self
    }

    /// More TOML after the rest: budgets, `[store]`, `[replicas]`, …
    pub fn extra(mut self, toml: &str) -> TestConfig {
        self.extra = toml.to_string();
        self
    }

    /// The ledger's directory (`monitor.data_dir`).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Writes `monitor.toml` into the directory; returns its path.
    pub fn write(&self) -> PathBuf {
        let path = self.dir.join("monitor.toml");
        std::fs::write(&path, self.text()).unwrap();
        path
    }

    /// Writes the file and loads it as `run` would, with no environment overrides.
    pub fn load(&self) -> Loaded {
        let path = self.write();
        config::load_with_env(&path, &|_| None, SystemClock.now()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn text(&self) -> String {
        let mut t = String::new();
        let data = self.data_dir().display().to_string();
        writeln!(t, "[monitor]\nregions = [\"{EAST}\", \"{WEST}\"]\ntimezone = \"UTC\"\ndata_dir = {data:?}")
            .unwrap();
        if let Some(secs) = self.shutdown_deadline_secs {
            writeln!(t, "shutdown_deadline_secs = {secs}").unwrap();
        }
        writeln!(t, "\n[aws]\nendpoint_url = {:?}", self.endpoint).unwrap();
        if let Some(role) = &self.assume_role {
            writeln!(t, "assume_role_arn = {role:?}").unwrap();
        }
        if let Some(attempts) = self.max_attempts {
            writeln!(t, "max_attempts = {attempts}").unwrap();
        }
        if let Some(port) = self.listen_port {
            writeln!(t, "\n[http]\nlisten = \"127.0.0.1:{port}\"").unwrap();
        }
        writeln!(t, "\n[api]\n{}", self.api).unwrap();
        writeln!(t, "\n[sources.cloudwatch]\n{}\n[sources.cloudtrail]\n{}", self.cloudwatch, self.cloudtrail)
            .unwrap();
        writeln!(t, "[alerts]").unwrap();
        if let Some(arn) = &self.topic {
            writeln!(t, "sns_topic_arn = {arn:?}").unwrap();
        }
        writeln!(t, "{}", self.alerts).unwrap();
        writeln!(t, "\n[alerts.digest]\nenabled = {}", self.digest).unwrap();
        let prices = repo_root().join("config/prices.toml").display().to_string();
        writeln!(t, "\n[pricing]\ntable = {prices:?}\ncache_write_ttl = \"5m\"\n\n{}", self.extra).unwrap();
        t
    }
}
