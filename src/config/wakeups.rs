//! The `[wakeups]` section: CloudWatch alarms that wake the usage collection
//! between its ticks, through an SNS topic and an SQS queue, and its checks.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::budget::Usd;
use super::schedule::CronSchedule;
use super::types::{default_schedule, Config};
use crate::diag::{FieldPath, Finding};
use crate::names::{is_arn_of, is_region};

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WakeupsSection {
    /// Off by default: it needs the queue, the topics and their permissions
    /// (deploy/terraform creates them).
    pub enabled: bool,
    /// The SQS queue the alarm topics deliver to; long-polled by the leader.
    pub queue_url: Option<String>,
    /// Per monitored region, the SNS topic its alarms notify: a CloudWatch
    /// alarm's SNS action must be a topic of the alarm's own region.
    pub topic_arns: BTreeMap<String, String>,
    /// Every alarm the daemon keeps is named `<prefix><region>-<n>`; alarms
    /// with this prefix that it no longer wants are deleted. The IAM policy
    /// is scoped to it.
    pub alarm_prefix: String,
    /// USD per hour (at one minute's pace) that wakes the daemon; default:
    /// the lowest `burn_rate.min_usd_per_hour` of the budgets covering the region.
    pub usd_per_hour: Option<Usd>,
    /// At most one woken collection per this many seconds (60..=3600).
    pub min_gap_secs: u64,
    /// After an ALARM message the region is collected at most every
    /// `min_gap_secs` for this many minutes, or until the OK message, so a
    /// burn-rate window that fills up slowly still alerts promptly. 0..=120.
    pub hot_minutes: u32,
    /// When the alarms are reconciled with the models listed and the budgets.
    pub reconcile_schedule: CronSchedule,
    /// Messages older than this are deleted without waking anything: polling
    /// has collected those minutes since. 1..=1440.
    pub max_message_age_minutes: u32,
}

impl Default for WakeupsSection {
    fn default() -> Self {
        WakeupsSection {
            enabled: false,
            queue_url: None,
            topic_arns: BTreeMap::new(),
            alarm_prefix: "bedrock-cost-monitor-wake-".into(),
            usd_per_hour: None,
            min_gap_secs: 60,
            hot_minutes: 15,
            reconcile_schedule: default_schedule("0 3/15 * * * *"),
            max_message_age_minutes: 30,
        }
    }
}

pub(super) fn check(c: &Config, out: &mut Vec<Finding>) {
    let w = &c.wakeups;
    let path = FieldPath::root().key("wakeups");
    if !(60..=3600).contains(&w.min_gap_secs) {
        out.push(Finding::error(
            path.key("min_gap_secs"),
            format!("{} must be between 60 and 3600 (one extra collection a minute at most)", w.min_gap_secs),
        ));
    }
    if w.hot_minutes > 120 {
        out.push(Finding::error(path.key("hot_minutes"), format!("{} must be at most 120", w.hot_minutes)));
    }
    if !(1..=1440).contains(&w.max_message_age_minutes) {
        out.push(Finding::error(
            path.key("max_message_age_minutes"),
            format!("{} must be between 1 and 1440", w.max_message_age_minutes),
        ));
    }
    let name_ok = |p: &str| p.chars().all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch));
    if w.alarm_prefix.is_empty() || w.alarm_prefix.len() > 200 || !name_ok(&w.alarm_prefix) {
        out.push(Finding::error(
            path.key("alarm_prefix"),
            "1 to 200 characters of letters, digits, `-`, `_` or `.`: every alarm with it belongs to the daemon",
        ));
    }
    for (region, arn) in &w.topic_arns {
        let topic = path.key("topic_arns").key(region);
        if !is_region(region) {
            out.push(Finding::error(topic, format!("`{region}` is not an AWS region name")));
        } else if !is_arn_of(arn, "sns") || arn.split(':').nth(3) != Some(region.as_str()) {
            out.push(Finding::error(
                topic,
                format!(
                    "`{arn}` is not an SNS topic ARN in {region}: an alarm notifies topics of its own region"
                ),
            ));
        }
    }
    if !w.enabled {
        return;
    }
    if w.queue_url.as_deref().is_none_or(|u| !u.starts_with("https://") && !u.starts_with("http://")) {
        out.push(Finding::error(path.key("queue_url"), "required when wakeups.enabled: the SQS queue URL"));
    }
    if !c.sources.cloudwatch.enabled {
        out.push(Finding::error(
            path.key("enabled"),
            "wake-ups run the CloudWatch usage collection: enable it",
        ));
    }
    let threshold = w.usd_per_hour.map(|u| u.0);
    if threshold.is_some_and(|t| t <= rust_decimal::Decimal::ZERO) {
        out.push(Finding::error(path.key("usd_per_hour"), "must be above 0"));
    }
    check_account(c, &path, out);
    for region in &c.monitor.regions {
        if !w.topic_arns.contains_key(region) {
            out.push(Finding::error(
                path.key("topic_arns"),
                format!("no topic for monitored region {region}: its alarms would notify nobody"),
            ));
        }
        if crate::wakeups::threshold(threshold, &c.budgets, region).is_none() {
            out.push(Finding::error(
                path.key("usd_per_hour"),
                format!("no threshold for {region}: set it, or give a budget covering it a burn_rate"),
            ));
        }
    }
}

/// With `aws.assume_role_arn` the alarms live in the monitored account,
/// and an alarm notifies only a topic of its own account here: a topic of
/// another account would need CloudWatch to publish across accounts, which
/// the daemon does not set up or check, so it is refused rather than left
/// silently deaf. The topic's deliveries to the queue may cross accounts
/// (SNS to SQS, admitted by the queue's policy).
fn check_account(c: &Config, path: &FieldPath, out: &mut Vec<Finding>) {
    let Some(role) = c.aws.assume_role_arn.as_deref() else { return };
    let Some(account) = role.split(':').nth(4).filter(|a| !a.is_empty()) else { return };
    for (region, arn) in &c.wakeups.topic_arns {
        let topic_account = arn.split(':').nth(4).unwrap_or_default();
        if topic_account != account {
            out.push(Finding::error(
                path.key("topic_arns").key(region),
                format!(
                    "`{arn}` is in account {topic_account}, but with aws.assume_role_arn the alarms live in the \
                     monitored account {account} and notify only topics there: create the topic in {account} \
                     (its policy admitting cloudwatch.amazonaws.com for the alarm prefix) and subscribe the \
                     wake-up queue to it (the queue's policy admitting that topic); see README, wake-ups"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(toml_text: &str) -> Vec<String> {
        let c: Config = toml::from_str(toml_text).unwrap();
        let mut out = Vec::new();
        check(&c, &mut out);
        out.iter().map(|f| format!("{:?}: {}", f.path, f.reason)).collect()
    }

    #[test]
    fn on_it_needs_a_queue_a_topic_per_region_and_a_threshold() {
        let found =
            findings("[monitor]\nregions = [\"us-east-1\", \"eu-west-1\"]\n[wakeups]\nenabled = true\n");
        let all = found.join("\n");
        assert!(all.contains("queue_url"), "{all}");
        assert!(all.contains("no topic for monitored region eu-west-1"), "{all}");
        assert!(all.contains("no threshold for us-east-1"), "{all}");
    }

    #[test]
    fn a_topic_of_another_region_is_refused_and_a_burn_rate_floor_is_a_threshold() {
        let found = findings(
            "[monitor]\nregions = [\"us-east-1\"]\n[wakeups]\nenabled = true\n\
             queue_url = \"https://sqs.us-east-1.amazonaws.com/1/q\"\n\
             topic_arns = { \"us-east-1\" = \"arn:aws:sns:us-west-2:1:t\" }\n\
             [[budgets]]\nname = \"b\"\nperiod = \"day\"\nlimit_usd = \"10\"\n\
             [budgets.burn_rate]\nmin_usd_per_hour = \"5\"\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("not an SNS topic ARN in us-east-1"), "{found:?}");
    }

    #[test]
    fn with_an_assumed_role_a_topic_outside_the_monitored_account_is_refused() {
        let config = |topic_account: &str| {
            format!(
                "[monitor]\nregions = [\"us-east-1\"]\n\
                 [aws]\nassume_role_arn = \"arn:aws:iam::210987654321:role/read\"\n\
                 [wakeups]\nenabled = true\nusd_per_hour = \"5\"\n\
                 queue_url = \"https://sqs.us-east-1.amazonaws.com/123456789012/q\"\n\
                 topic_arns = {{ \"us-east-1\" = \"arn:aws:sns:us-east-1:{topic_account}:t\" }}\n"
            )
        };
        let own = findings(&config("123456789012"));
        assert_eq!(own.len(), 1, "{own:?}");
        assert!(own[0].contains("topic_arns") && own[0].contains("us-east-1"), "{own:?}");
        assert!(own[0].contains("monitored account 210987654321"), "{own:?}");
        assert!(findings(&config("210987654321")).is_empty());
    }
}
