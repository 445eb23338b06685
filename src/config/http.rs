//! The two listeners' sections: `[http]` (`/metrics`, `/healthz`,
//! `/readyz`, reachable from outside the task) and `[api]` (the enforcement
//! API, loopback by default), each with its `limits`, and the API's token,
//! unknown-model and staleness settings.
//!
//! Only types, defaults and the token's reading (one file or variable, at
//! load). Range checks are in `validate.rs`; the rules that use the
//! behaviours are in `budgets::decision`.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::schedule::CronSchedule;
use crate::diag::{FieldPath, Finding};

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSection {
    pub listen: SocketAddr,
    pub limits: ListenerLimits,
}

impl Default for HttpSection {
    fn default() -> Self {
        HttpSection { listen: SocketAddr::from(([0, 0, 0, 0], 9470)), limits: ListenerLimits::default() }
    }
}

/// What one listener grants a client. The same defaults suit both: a scrape
/// or a decision is one small GET answered in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListenerLimits {
    /// A request's head must arrive within this; an idle keep-alive
    /// connection waiting for its next request is closed after it too.
    pub header_read_timeout_secs: u64,
    /// A handler's answer must be ready within this (else 408).
    pub request_timeout_secs: u64,
    /// A connection on which no byte moves either way for this long (a
    /// stalled body, an answer the client stops reading) is closed.
    pub idle_timeout_secs: u64,
    /// Connections served at once; the next waits in the kernel's queue.
    pub max_connections: usize,
    /// Connections one client address may hold; more are closed on accept,
    /// so one client cannot fill every slot nor the queue before the others.
    pub max_connections_per_client: usize,
    /// The largest request head and the largest body (431 and 413 beyond).
    pub max_request_bytes: usize,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        ListenerLimits {
            header_read_timeout_secs: 5,
            request_timeout_secs: 10,
            idle_timeout_secs: 30,
            max_connections: 128,
            max_connections_per_client: 32,
            max_request_bytes: 16 * 1024,
        }
    }
}

impl ListenerLimits {
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }
}

/// What the decision answers for a model that resolves to no price-table
/// key: no budget can count its cost, so no budget can stop it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownModel {
    #[default]
    Deny,
    Allow,
}

/// What the decision answers when the status it rests on is stale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnStale {
    /// Allow: a monitor that cannot collect must not stop the application.
    #[default]
    FailOpen,
    /// Deny until the statuses are fresh again.
    FailClosed,
}

impl UnknownModel {
    pub fn as_str(self) -> &'static str {
        match self {
            UnknownModel::Allow => "allow",
            UnknownModel::Deny => "deny",
        }
    }
}

impl OnStale {
    pub fn as_str(self) -> &'static str {
        match self {
            OnStale::FailOpen => "fail_open",
            OnStale::FailClosed => "fail_closed",
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiSection {
    /// Loopback by default: the application's container shares the task's
    /// network namespace, nothing outside the task should reach the API.
    pub listen: SocketAddr,
    /// Requests must carry `Authorization: Bearer <token>`, the token read
    /// from this file (relative to the config file) at start.
    pub token_file: Option<String>,
    /// …or from this environment variable (one of the two at most).
    pub token_env: Option<String>,
    pub unknown_model: UnknownModel,
    /// A status evaluated longer ago than this is stale; default three
    /// intervals of `sources.cloudwatch.schedule`, whose runs evaluate budgets.
    pub stale_after_secs: Option<u64>,
    pub on_stale: OnStale,
    pub limits: ListenerLimits,
}

impl Default for ApiSection {
    fn default() -> Self {
        ApiSection {
            listen: SocketAddr::from(([127, 0, 0, 1], 9471)),
            token_file: None,
            token_env: None,
            unknown_model: UnknownModel::default(),
            stale_after_secs: None,
            on_stale: OnStale::default(),
            limits: ListenerLimits::default(),
        }
    }
}

impl ApiSection {
    /// The configured age, or three gaps between runs of `usage` (the
    /// schedule after which the leader evaluates), so one missed or slow run
    /// is not yet stale.
    pub fn stale_after(&self, usage: &CronSchedule, tz: Tz, now: DateTime<Utc>) -> Duration {
        if let Some(secs) = self.stale_after_secs {
            return Duration::from_secs(secs);
        }
        let runs = usage.next_runs(now, &tz, 2);
        let gap = match runs.as_slice() {
            [a, b] => b.signed_duration_since(a).to_std().unwrap_or(Duration::from_secs(3600)),
            _ => Duration::from_secs(3600),
        };
        gap * 3
    }
}

/// The ranges of both listeners and how the API's address relates to the
/// metrics one.
pub(super) fn check(c: &super::Config, out: &mut Vec<Finding>) {
    let root = FieldPath::root();
    limits(&c.http.limits, &root.key("http").key("limits"), out);
    limits(&c.api.limits, &root.key("api").key("limits"), out);
    let api = root.key("api");
    if c.api.listen == c.http.listen && c.api.listen.port() != 0 {
        out.push(Finding::error(api.key("listen"), "must differ from http.listen: the API has its own port"));
    }
    let open = c.api.token_file.is_none() && c.api.token_env.is_none();
    if !c.api.listen.ip().is_loopback() && open {
        out.push(Finding::warning(
            api.key("listen"),
            format!("{} is reachable from outside the task and no token is required", c.api.listen),
        ));
    }
    if c.api.stale_after_secs == Some(0) {
        out.push(Finding::error(api.key("stale_after_secs"), "must be greater than 0"));
    }
}

fn limits(l: &ListenerLimits, at: &FieldPath, out: &mut Vec<Finding>) {
    let mut within = |key: &str, value: usize, lo: usize, hi: usize, why: &str| {
        if !(lo..=hi).contains(&value) {
            out.push(Finding::error(at.key(key), format!("{value} must be between {lo} and {hi}{why}")));
        }
    };
    let secs = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    within("header_read_timeout_secs", secs(l.header_read_timeout_secs), 1, 300, "");
    within("request_timeout_secs", secs(l.request_timeout_secs), 1, 300, "");
    // An answer being prepared moves no byte: the idle timer must outlast it.
    let why = " (at least request_timeout_secs: no byte moves while an answer is prepared)";
    within("idle_timeout_secs", secs(l.idle_timeout_secs), secs(l.request_timeout_secs), 3600, why);
    within("max_connections", l.max_connections, 1, 65_536, "");
    within(
        "max_connections_per_client",
        l.max_connections_per_client,
        1,
        l.max_connections,
        " (max_connections)",
    );
    // hyper's read buffer has a floor of 8 KiB.
    within("max_request_bytes", l.max_request_bytes, 8192, 1 << 20, "");
}

/// The API's bearer token. Its `Debug` hides it, so no log line or error
/// built from the configuration can show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl ApiToken {
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<hidden>)")
    }
}

/// Reads the token `api` names, from `token_file` (relative to `base`) or
/// the variable `token_env`: `None` when neither is set; a finding on the
/// field when it cannot be read, is empty or cannot travel in a header.
pub fn read_token(
    api: &ApiSection,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<ApiToken>, Finding> {
    let at = FieldPath::root().key("api");
    let (field, text) = match (&api.token_file, &api.token_env) {
        (Some(_), Some(_)) => {
            return Err(Finding::error(at.key("token_env"), "set token_file or token_env, not both"))
        }
        (None, None) => return Ok(None),
        (Some(file), None) => {
            let path = base.join(file);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                Finding::error(at.key("token_file"), format!("cannot read {}: {e}", path.display()))
            })?;
            (("token_file", path.display().to_string()), text)
        }
        (None, Some(var)) => {
            let text = env(var).ok_or_else(|| {
                Finding::error(at.key("token_env"), format!("environment variable {var} is not set"))
            })?;
            (("token_env", format!("environment variable {var}")), text)
        }
    };
    let ((key, source), token) = (field, text.trim());
    if token.is_empty() {
        return Err(Finding::error(at.key(key), format!("{source} holds an empty token")));
    }
    // RFC 6750's token68 is visible ASCII; anything else would never match a header.
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Finding::error(
            at.key(key),
            format!("the token in {source} has a space, control or non-ASCII character"),
        ));
    }
    Ok(Some(ApiToken(token.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(file: Option<&str>, var: Option<&str>) -> ApiSection {
        ApiSection {
            token_file: file.map(Into::into),
            token_env: var.map(Into::into),
            ..ApiSection::default()
        }
    }

    #[test]
    fn the_token_comes_from_one_file_or_variable_and_must_be_usable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "s3cr3t-token\n").unwrap();
        std::fs::write(dir.path().join("blank"), " \n").unwrap();
        std::fs::write(dir.path().join("spaced"), "two words").unwrap();
        let env = |k: &str| match k {
            "TOKEN" => Some("from-env".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        let read = |file, var| read_token(&api(file, var), dir.path(), &env);
        assert_eq!(read(None, None).unwrap(), None);
        assert_eq!(read(Some("token"), None).unwrap().unwrap().as_bytes(), b"s3cr3t-token");
        assert_eq!(read(None, Some("TOKEN")).unwrap().unwrap().as_bytes(), b"from-env");
        let cases = [
            (read(Some("missing"), None), "api.token_file", "cannot read"),
            (read(Some("blank"), None), "api.token_file", "empty token"),
            (read(Some("spaced"), None), "api.token_file", "space, control"),
            (read(None, Some("UNSET")), "api.token_env", "UNSET is not set"),
            (read(None, Some("EMPTY")), "api.token_env", "empty token"),
            (read(Some("token"), Some("TOKEN")), "api.token_env", "not both"),
        ];
        for (result, field, reason) in cases {
            let finding = result.unwrap_err();
            assert_eq!(finding.path.to_string(), field);
            assert!(finding.reason.contains(reason), "{}", finding.reason);
        }
        assert_eq!(format!("{:?}", read(Some("token"), None).unwrap()), "Some(ApiToken(<hidden>))");
    }

    #[test]
    fn staleness_defaults_to_three_runs_of_the_usage_schedule() {
        let now = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z").unwrap().to_utc();
        let every_15 = CronSchedule::every_secs(900).unwrap();
        let tz = chrono_tz::UTC;
        assert_eq!(ApiSection::default().stale_after(&every_15, tz, now), Duration::from_secs(2700));
        let fixed = ApiSection { stale_after_secs: Some(90), ..ApiSection::default() };
        assert_eq!(fixed.stale_after(&every_15, tz, now), Duration::from_secs(90));
    }
}
