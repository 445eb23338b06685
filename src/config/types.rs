//! The typed monitor configuration. Every section rejects unknown fields and
//! every default is written here once (and documented in config/example.toml).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};

use super::budget::BudgetConfig;
pub use super::http::{ApiSection, HttpSection, ListenerLimits, OnStale, UnknownModel};
pub use super::replicas::{renew_every, ReplicasSection};
use super::schedule::CronSchedule;
pub use super::store::{StoreKind, StoreSection};

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub monitor: MonitorSection,
    #[serde(default)]
    pub aws: AwsSection,
    #[serde(default)]
    pub http: HttpSection,
    #[serde(default)]
    pub api: ApiSection,
    #[serde(default)]
    pub store: StoreSection,
    #[serde(default)]
    pub sources: SourcesSection,
    #[serde(default)]
    pub pricing: PricingSection,
    #[serde(default)]
    pub alerts: AlertsSection,
    #[serde(default)]
    pub budgets: Vec<BudgetConfig>,
    #[serde(default)]
    pub replicas: ReplicasSection,
    #[serde(default)]
    pub metrics: MetricsSection,
    #[serde(default)]
    pub wakeups: super::wakeups::WakeupsSection,
    #[serde(default)]
    pub accounts: super::accounts::AccountsSection,
}

/// Shape of what `/metrics` exports.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// At most this many principals keep their label (sticky for the life of
    /// the process); the others are folded into `other`.
    pub top_principals: usize,
    /// At most this many model IDs keep their `model_id` label on every
    /// `bedrock_*` family (sticky likewise); the others are `other`.
    pub top_model_ids: usize,
    /// Per `requestMetadata` key, at most this many values keep their own
    /// label; the rest are `value="other"`.
    pub top_metadata_values: usize,
}

impl Default for MetricsSection {
    fn default() -> Self {
        MetricsSection { top_principals: 20, top_model_ids: 50, top_metadata_values: 20 }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MonitorSection {
    pub regions: Vec<String>,
    pub timezone: Timezone,
    pub data_dir: PathBuf,
    /// Seconds to drain after SIGTERM; below ECS's 30 s stop timeout.
    pub shutdown_deadline_secs: u64,
}

impl Default for MonitorSection {
    fn default() -> Self {
        MonitorSection {
            regions: vec!["us-east-1".into()],
            timezone: Timezone(chrono_tz::UTC),
            data_dir: PathBuf::from("data"),
            shutdown_deadline_secs: 20,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AwsSection {
    /// Overrides every service endpoint (an emulator); the standard
    /// `AWS_ENDPOINT_URL*` variables apply when this is unset.
    pub endpoint_url: Option<String>,
    pub operation_timeout_secs: u64,
    pub attempt_timeout_secs: u64,
    pub max_attempts: u32,
    /// Monitor another account: the sources' clients (CloudWatch, CloudTrail,
    /// CloudWatch Logs, S3) assume this role with the default chain's
    /// credentials; the store and the alert sink keep the daemon's own.
    pub assume_role_arn: Option<String>,
    /// The external ID the role's trust policy asks for, if any.
    pub assume_role_external_id: Option<String>,
}

impl Default for AwsSection {
    fn default() -> Self {
        AwsSection {
            assume_role_arn: None,
            assume_role_external_id: None,
            endpoint_url: None,
            operation_timeout_secs: 30,
            attempt_timeout_secs: 10,
            max_attempts: 3,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesSection {
    pub cloudwatch: CloudWatchSource,
    pub cloudtrail: CloudTrailSource,
    pub mantle: MantleSource,
    pub invocation_logs: super::invocation_logs::InvocationLogsSource,
    pub cost_explorer: super::cost_explorer::CostExplorerSource,
}

/// Usage of the bedrock-mantle endpoint (Anthropic Messages API, Chat
/// Completions, Responses), published to `AWS/BedrockMantle` only. Collected
/// on the CloudWatch usage schedule, with its restatement and backfill.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MantleSource {
    /// On by default: without it, mantle usage is missing from every total.
    /// With no mantle traffic it costs one ListMetrics call per region an hour.
    pub enabled: bool,
}

impl Default for MantleSource {
    fn default() -> Self {
        MantleSource { enabled: true }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CloudWatchSource {
    pub enabled: bool,
    /// Usage metrics (tokens, invocations): what cost and budgets need.
    pub schedule: CronSchedule,
    /// Operational metrics (latency, time to first token, errors, throttles,
    /// quota usage): less urgent, fetched less often because every metric
    /// requested is billed.
    pub detail_enabled: bool,
    pub detail_schedule: CronSchedule,
    /// Trailing minutes re-read every run, so late datapoints converge.
    pub restatement_minutes: u32,
    /// History fetched on first start (CloudWatch keeps 1-minute data 15 days).
    pub backfill_hours: u32,
    /// Every CloudWatch name the prompt-cache read metric may be published
    /// under, most trusted first. AWS's metric tables document
    /// `CacheReadInputTokens`; `CacheReadInputTokenCount` (the invocation-log
    /// field name) appears in third-party dashboards. Both are read; when both
    /// carry the same minute, the first is counted and the other reported.
    pub cache_read_metrics: Vec<String>,
    /// The same for cache writes.
    pub cache_write_metrics: Vec<String>,
    /// Older single-name settings, still accepted: the name is tried first.
    pub cache_read_metric: Option<String>,
    pub cache_write_metric: Option<String>,
    /// Once per UTC hour (the first run whose window crosses an hour, judged
    /// from the stored watermark, so restarts change nothing) the last this
    /// many hours are re-read, so datapoints later than the restatement window
    /// still count, and what changes there is reported as restated. 0 = off.
    pub deep_restatement_hours: u32,
}

impl CloudWatchSource {
    /// The read names, then the write names, each with a legacy single name first.
    pub fn cache_metric_names(&self) -> (Vec<String>, Vec<String>) {
        let merge = |legacy: &Option<String>, list: &[String]| {
            let mut out: Vec<String> = legacy.iter().cloned().collect();
            out.extend(list.iter().filter(|n| Some(*n) != legacy.as_ref()).cloned());
            out
        };
        (
            merge(&self.cache_read_metric, &self.cache_read_metrics),
            merge(&self.cache_write_metric, &self.cache_write_metrics),
        )
    }
}

impl Default for CloudWatchSource {
    fn default() -> Self {
        CloudWatchSource {
            enabled: true,
            schedule: default_schedule("0 */15 * * * *"),
            detail_enabled: true,
            detail_schedule: default_schedule("0 5 */2 * * *"),
            restatement_minutes: 20,
            backfill_hours: 24,
            cache_read_metrics: vec!["CacheReadInputTokens".into(), "CacheReadInputTokenCount".into()],
            cache_write_metrics: vec!["CacheWriteInputTokens".into(), "CacheWriteInputTokenCount".into()],
            cache_read_metric: None,
            cache_write_metric: None,
            deep_restatement_hours: 3,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CloudTrailSource {
    pub enabled: bool,
    pub schedule: CronSchedule,
    /// Trailing minutes re-read every run: events arrive late, up to ~15 min.
    pub overlap_minutes: u32,
    pub backfill_hours: u32,
    pub event_names: Vec<String>,
}

impl Default for CloudTrailSource {
    fn default() -> Self {
        CloudTrailSource {
            enabled: true,
            schedule: default_schedule("0 */5 * * * *"),
            overlap_minutes: 20,
            backfill_hours: 24,
            event_names: ["InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream"]
                .map(String::from)
                .to_vec(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum CacheTtl {
    #[default]
    #[serde(rename = "5m")]
    FiveMinutes,
    #[serde(rename = "1h")]
    OneHour,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PricingSection {
    /// Price table path, relative to this config file's directory.
    pub table: PathBuf,
    pub cache_write_ttl: CacheTtl,
    pub cache_write_ttl_by_model: BTreeMap<String, CacheTtl>,
    /// Application inference profile ARN or ID → the model ID it was created from.
    pub application_profiles: BTreeMap<String, String>,
}

impl Default for PricingSection {
    fn default() -> Self {
        PricingSection {
            table: PathBuf::from("prices.toml"),
            cache_write_ttl: CacheTtl::FiveMinutes,
            cache_write_ttl_by_model: BTreeMap::new(),
            application_profiles: BTreeMap::new(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsSection {
    /// Without a topic, alerts are written to the log as the same JSON.
    pub sns_topic_arn: Option<String>,
    pub digest: DigestSection,
    /// `pricing.unpriced_model` on the first sight of a model ID the price table does not know.
    pub unpriced_model: bool,
    /// `collector.stalled` when a region's data is more than this behind
    /// what its collection schedule should have gathered.
    pub stalled_after_minutes: u32,
    /// Attempts an alert gets before it is parked (the dead letter).
    pub max_publish_attempts: u32,
    /// `bedrock.access_denied` when AccessDenied errors in a region reach
    /// `threshold` within `window_minutes` (CloudTrail).
    pub access_denied: SpikeSection,
    /// `bedrock.throttling`, the same for ThrottlingException.
    pub throttling: SpikeSection,
}

impl Default for AlertsSection {
    fn default() -> Self {
        AlertsSection {
            sns_topic_arn: None,
            digest: DigestSection::default(),
            unpriced_model: true,
            stalled_after_minutes: 60,
            max_publish_attempts: 20,
            access_denied: SpikeSection { enabled: true, window_minutes: 15, threshold: 10 },
            throttling: SpikeSection { enabled: true, window_minutes: 15, threshold: 50 },
        }
    }
}

/// An error-rate alert: at least `threshold` errors within `window_minutes`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeSection {
    #[serde(default = "enabled")]
    pub enabled: bool,
    pub window_minutes: u32,
    pub threshold: u64,
}

fn enabled() -> bool {
    true
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DigestSection {
    pub enabled: bool,
    /// Evaluated in `monitor.timezone`.
    pub schedule: CronSchedule,
}

impl Default for DigestSection {
    fn default() -> Self {
        DigestSection { enabled: true, schedule: default_schedule("0 0 8 * * *") }
    }
}

pub(super) fn default_schedule(expr: &str) -> CronSchedule {
    // Defaults are literals covered by `defaults_are_valid` below.
    expr.parse().unwrap_or_else(|e| panic!("built-in schedule: {e}"))
}

/// An IANA timezone such as `Europe/Berlin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timezone(pub chrono_tz::Tz);

impl Default for Timezone {
    fn default() -> Self {
        Timezone(chrono_tz::UTC)
    }
}

impl<'de> Deserialize<'de> for Timezone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<chrono_tz::Tz>().map(Timezone).map_err(|_| {
            serde::de::Error::custom(format!("unknown IANA timezone `{s}` (e.g. UTC, Europe/Berlin)"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let _ = CloudWatchSource::default();
        let _ = CloudTrailSource::default();
        let _ = DigestSection::default();
        let _ = super::super::accounts::OrganizationsSection::default();
    }
}
