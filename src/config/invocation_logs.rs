//! The `[sources.invocation_logs]` section: where each region's model
//! invocation logs are delivered, which `requestMetadata` keys become
//! dimensions, and how far behind the watermark each run re-reads. Its
//! cross-field checks live here too, beside the fields they check.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::schedule::CronSchedule;
use super::types::{default_schedule, Config};
use crate::diag::{FieldPath, Finding};
use crate::names::is_region;

/// Off unless a region is listed: invocation logging is off by default in
/// every account, and each region delivers to its own destination.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InvocationLogsSource {
    pub schedule: CronSchedule,
    /// Minutes behind the watermark re-read every run, so records delivered
    /// late are still counted (once: by their `requestId`).
    pub lookback_minutes: u32,
    /// How far back the first run reads.
    pub backfill_hours: u32,
    /// `requestMetadata` keys kept as dimensions (e.g. `user_id`, `tenant`);
    /// every other key, and the prompt and completion, are never stored.
    pub metadata_keys: Vec<String>,
    /// Region → where its logs are delivered.
    pub regions: BTreeMap<String, LogDestination>,
    /// The cross-check alerts when the logs' tokens of a settled hour part
    /// from CloudWatch's by more than this percentage...
    pub drift_tolerance_pct: u32,
    /// ...and by at least this many tokens (a quiet hour is not an outage).
    pub drift_min_tokens: u64,
}

/// One region's delivery destination: a log group or an S3 bucket (both
/// carry the same records; one is read).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogDestination {
    /// The CloudWatch Logs group named in the region's logging configuration.
    pub log_group: Option<String>,
    /// The S3 bucket named in the region's logging configuration.
    pub s3_bucket: Option<String>,
    /// Its key prefix (`""`, or ending in `/`).
    #[serde(default)]
    pub s3_prefix: String,
    /// The account in the delivery path `AWSLogs/<account>/…`: the account
    /// whose Bedrock calls are logged.
    pub account_id: Option<String>,
}

impl Default for InvocationLogsSource {
    fn default() -> Self {
        InvocationLogsSource {
            schedule: default_schedule("30 */5 * * * *"),
            lookback_minutes: 30,
            backfill_hours: 24,
            metadata_keys: Vec::new(),
            regions: BTreeMap::new(),
            drift_tolerance_pct: 2,
            drift_min_tokens: 10_000,
        }
    }
}

impl InvocationLogsSource {
    pub fn enabled(&self) -> bool {
        !self.regions.is_empty()
    }

    /// Regions with a CloudWatch Logs group, and the group.
    pub fn log_groups(&self) -> impl Iterator<Item = (&str, &str)> {
        self.regions.iter().filter_map(|(r, d)| Some((r.as_str(), d.log_group.as_deref()?)))
    }

    /// Regions read from S3: (region, bucket, prefix, account).
    pub fn s3_destinations(&self) -> impl Iterator<Item = (&str, &str, &str, &str)> {
        self.regions.iter().filter_map(|(r, d)| {
            Some((r.as_str(), d.s3_bucket.as_deref()?, d.s3_prefix.as_str(), d.account_id.as_deref()?))
        })
    }
}

/// `requestMetadata` limits from the Bedrock runtime API: keys of 1 to 256
/// characters, at most 16 items per request.
const MAX_KEY_CHARS: usize = 256;
const MAX_ITEMS: usize = 16;

pub(super) fn check(c: &Config, path: &FieldPath, out: &mut Vec<Finding>) {
    budgets(c, out);
    let logs = &c.sources.invocation_logs;
    if logs.lookback_minutes == 0 || logs.lookback_minutes > 24 * 60 {
        out.push(Finding::error(path.key("lookback_minutes"), "must be between 1 and 1440"));
    }
    if !(1..=100).contains(&logs.drift_tolerance_pct) {
        out.push(Finding::error(path.key("drift_tolerance_pct"), "must be between 1 and 100"));
    }
    if !logs.enabled() {
        return;
    }
    for (region, dest) in &logs.regions {
        let at = path.key("regions").key(region);
        if !is_region(region) {
            out.push(Finding::error(at.clone(), format!("`{region}` is not an AWS region name")));
        } else if !c.monitor.regions.contains(region) {
            out.push(Finding::error(at.clone(), format!("`{region}` is not in monitor.regions")));
        }
        destination(dest, &at, out);
    }
    let keys = path.key("metadata_keys");
    if logs.metadata_keys.len() > MAX_ITEMS {
        out.push(Finding::error(
            keys.clone(),
            format!("at most {MAX_ITEMS} keys: a request carries no more"),
        ));
    }
    for k in &logs.metadata_keys {
        if k.is_empty() || k.chars().count() > MAX_KEY_CHARS {
            out.push(Finding::error(
                keys.clone(),
                format!("key `{k}` must have 1 to {MAX_KEY_CHARS} characters"),
            ));
        }
    }
}

/// Budgets on `requestMetadata` read the logged requests: their keys must be
/// kept, and the source on; the spend of other sources cannot be mixed in.
fn budgets(c: &Config, out: &mut Vec<Finding>) {
    let logs = &c.sources.invocation_logs;
    for (i, b) in c.budgets.iter().enumerate() {
        let at = FieldPath::root().key("budgets").index(i);
        let keys = b
            .metadata
            .keys()
            .map(|k| (at.key("metadata").key(k), k))
            .chain(b.per_metadata.iter().map(|k| (at.key("per_metadata"), k)));
        let mut any = false;
        for (field, key) in keys {
            any = true;
            if !logs.metadata_keys.contains(key) {
                out.push(Finding::error(
                    field,
                    format!(
                        "`{key}` is not in sources.invocation_logs.metadata_keys: add it there to keep it"
                    ),
                ));
            }
        }
        if !any {
            continue;
        }
        if !logs.enabled() {
            out.push(Finding::error(
                at.clone(),
                "metadata budgets need sources.invocation_logs.regions (the logged requests)",
            ));
        }
        if b.per_principal && b.per_metadata.is_some() {
            out.push(Finding::error(
                at.key("per_metadata"),
                "cannot be combined with per_principal: choose one subject",
            ));
        }
        if !b.projects.is_empty() {
            out.push(Finding::error(
                at.key("projects"),
                "bedrock-mantle calls are not in the invocation logs: a metadata budget cannot filter on projects",
            ));
        }
    }
}

/// Exactly one destination per region, each well formed.
fn destination(dest: &LogDestination, at: &FieldPath, out: &mut Vec<Finding>) {
    match (dest.log_group.as_deref(), dest.s3_bucket.as_deref()) {
        (None, None) => out.push(Finding::error(
            at.key("log_group"),
            "required: the log group (or s3_bucket) the region delivers to",
        )),
        (Some(_), Some(_)) => out.push(Finding::error(
            at.key("s3_bucket"),
            "choose one of log_group and s3_bucket: both carry the same records",
        )),
        (Some(g), None) if !valid_log_group(g) => out.push(Finding::error(
            at.key("log_group"),
            format!("`{g}` is not a log group name (1-512 of a-z A-Z 0-9 _ - / . #)"),
        )),
        (None, Some(b)) => s3(dest, b, at, out),
        (Some(_), None) => {}
    }
}

fn s3(dest: &LogDestination, bucket: &str, at: &FieldPath, out: &mut Vec<Finding>) {
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-".contains(c));
    if !bucket_ok {
        out.push(Finding::error(at.key("s3_bucket"), format!("`{bucket}` is not an S3 bucket name")));
    }
    if !dest.s3_prefix.is_empty() && !dest.s3_prefix.ends_with('/') {
        out.push(Finding::error(
            at.key("s3_prefix"),
            "must be empty or end with `/`, as the logging configuration's key prefix",
        ));
    }
    let account_ok =
        dest.account_id.as_deref().is_some_and(|a| a.len() == 12 && a.chars().all(|c| c.is_ascii_digit()));
    if !account_ok {
        out.push(Finding::error(
            at.key("account_id"),
            "required with s3_bucket: the 12-digit account in the delivery path",
        ));
    }
}

/// CloudWatch Logs' rule for log group names.
fn valid_log_group(name: &str) -> bool {
    (1..=512).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-/.#".contains(c))
}

#[cfg(test)]
mod tests {
    use super::valid_log_group;

    #[test]
    fn log_group_names() {
        for (name, ok) in [
            ("bedrock-invocation-logs", true),
            ("/aws/bedrock/model-invocations", true),
            ("", false),
            ("has space", false),
            (&"x".repeat(513), false),
        ] {
            assert_eq!(valid_log_group(name), ok, "{name}");
        }
    }
}
