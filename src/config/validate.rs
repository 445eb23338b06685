//! Cross-field checks that types alone cannot express. Produces findings at
//! field paths; `load.rs` turns them into `file:line: field: reason`.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::types::Config;
use crate::diag::{FieldPath, Finding};
use crate::names::{is_arn_of, is_region};
use crate::pricing::{PriceTable, Resolution, Resolver};

/// `now` is the instant schedules must still fire after.
pub fn config(c: &Config, now: DateTime<Utc>) -> Vec<Finding> {
    let mut out = Vec::new();
    let root = FieldPath::root();
    regions(&c.monitor.regions, &root.key("monitor").key("regions"), true, &mut out);
    if c.monitor.shutdown_deadline_secs == 0 || c.monitor.shutdown_deadline_secs >= 30 {
        out.push(Finding::error(
            root.key("monitor").key("shutdown_deadline_secs"),
            "must be between 1 and 29: ECS kills the container 30 s after SIGTERM by default",
        ));
    }
    aws(c, &root.key("aws"), &mut out);
    super::store::check(c, &root.key("store"), &mut out);
    if let Some(arn) = &c.alerts.sns_topic_arn {
        if !is_arn_of(arn, "sns") {
            out.push(Finding::error(
                root.key("alerts").key("sns_topic_arn"),
                format!("`{arn}` is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)"),
            ));
        }
    }
    super::http::check(c, &mut out);
    sources(c, &root.key("sources"), &mut out);
    schedules(c, now, &mut out);
    budgets(c, &mut out);
    alerts_and_replicas(c, &mut out);
    super::wakeups::check(c, &mut out);
    super::accounts::check(c, &mut out);
    out
}

/// Every schedule must have a run after `now`, enabled or not: a job turned
/// on later would otherwise never run.
fn schedules(c: &Config, now: DateTime<Utc>, out: &mut Vec<Finding>) {
    let root = FieldPath::root();
    let (cw, ct) = (root.key("sources").key("cloudwatch"), root.key("sources").key("cloudtrail"));
    let all = [
        (cw.key("schedule"), &c.sources.cloudwatch.schedule),
        (cw.key("detail_schedule"), &c.sources.cloudwatch.detail_schedule),
        (ct.key("schedule"), &c.sources.cloudtrail.schedule),
        (root.key("sources").key("invocation_logs").key("schedule"), &c.sources.invocation_logs.schedule),
        (root.key("sources").key("cost_explorer").key("schedule"), &c.sources.cost_explorer.schedule),
        (root.key("alerts").key("digest").key("schedule"), &c.alerts.digest.schedule),
        (root.key("store").key("sqlite_compaction_schedule"), &c.store.sqlite_compaction_schedule),
        (root.key("wakeups").key("reconcile_schedule"), &c.wakeups.reconcile_schedule),
    ];
    for (path, schedule) in all {
        if !schedule.fires_after(now) {
            out.push(Finding::error(path, format!("cron expression `{schedule}` never fires again")));
        }
    }
}

/// `value` must lie in `range`; else an error naming the range.
fn within(
    out: &mut Vec<Finding>,
    path: FieldPath,
    value: u64,
    range: std::ops::RangeInclusive<u64>,
    why: &str,
) {
    if !range.contains(&value) {
        let (lo, hi) = (range.start(), range.end());
        out.push(Finding::error(path, format!("{value} must be between {lo} and {hi}{why}")));
    }
}

fn alerts_and_replicas(c: &Config, out: &mut Vec<Finding>) {
    let root = FieldPath::root();
    let a = root.key("alerts");
    within(out, a.key("stalled_after_minutes"), c.alerts.stalled_after_minutes.into(), 1..=10_080, "");
    within(out, a.key("max_publish_attempts"), c.alerts.max_publish_attempts.into(), 1..=1000, "");
    for (name, spike) in [("access_denied", &c.alerts.access_denied), ("throttling", &c.alerts.throttling)] {
        within(out, a.key(name).key("window_minutes"), spike.window_minutes.into(), 1..=1440, "");
        within(out, a.key(name).key("threshold"), spike.threshold, 1..=u64::MAX, "");
    }
    let r = root.key("replicas");
    within(out, r.key("lease_secs"), c.replicas.lease_secs, 3..=600, "");
    if let Err(e) = super::schedule::CronSchedule::every_secs(c.replicas.follower_refresh_secs) {
        out.push(Finding::error(r.key("follower_refresh_secs"), e));
    }
    if c.replicas.holder_id.as_deref().is_some_and(|h| h.trim().is_empty()) {
        out.push(Finding::error(
            r.key("holder_id"),
            "must not be empty (leave it out for <hostname>-<pid>-<random>)",
        ));
    }
    if c.replicas.share_shards && c.store.kind == super::StoreKind::Sqlite {
        out.push(Finding::warning(
            r.key("share_shards"),
            "has no effect with store.kind = \"sqlite\": one process holds every shard",
        ));
    }
    let m = &c.metrics;
    for (field, top) in [
        ("top_principals", m.top_principals),
        ("top_model_ids", m.top_model_ids),
        ("top_metadata_values", m.top_metadata_values),
    ] {
        let top = u64::try_from(top).unwrap_or(u64::MAX);
        within(out, root.key("metrics").key(field), top, 1..=1000, " (it bounds label cardinality)");
    }
}

pub(super) fn regions(list: &[String], path: &FieldPath, required: bool, out: &mut Vec<Finding>) {
    if required && list.is_empty() {
        out.push(Finding::error(path.clone(), "needs at least one AWS region"));
    }
    let mut seen = BTreeSet::new();
    for (i, r) in list.iter().enumerate() {
        if !is_region(r) {
            out.push(Finding::error(path.index(i), format!("`{r}` is not an AWS region name")));
        } else if !seen.insert(r) {
            out.push(Finding::error(path.index(i), format!("region `{r}` is listed twice")));
        }
    }
}

fn aws(c: &Config, path: &FieldPath, out: &mut Vec<Finding>) {
    if let Some(url) = &c.aws.endpoint_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            out.push(Finding::error(path.key("endpoint_url"), format!("`{url}` is not an http(s) URL")));
        }
    }
    if let Some(arn) = &c.aws.assume_role_arn {
        if !is_arn_of(arn, "iam") || !arn.contains(":role/") {
            out.push(Finding::error(
                path.key("assume_role_arn"),
                format!("`{arn}` is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"),
            ));
        }
    } else if c.aws.assume_role_external_id.is_some() {
        out.push(Finding::error(path.key("assume_role_external_id"), "needs aws.assume_role_arn"));
    }
    if c.aws.operation_timeout_secs == 0 {
        out.push(Finding::error(path.key("operation_timeout_secs"), "must be greater than 0"));
    }
    if c.aws.attempt_timeout_secs == 0 || c.aws.attempt_timeout_secs > c.aws.operation_timeout_secs {
        out.push(Finding::error(
            path.key("attempt_timeout_secs"),
            "must be greater than 0 and at most operation_timeout_secs",
        ));
    }
    if !(1..=10).contains(&c.aws.max_attempts) {
        out.push(Finding::error(path.key("max_attempts"), "must be between 1 and 10"));
    }
}

fn sources(c: &Config, path: &FieldPath, out: &mut Vec<Finding>) {
    let cw = &c.sources.cloudwatch;
    let cw_path = path.key("cloudwatch");
    if !(1..=1440).contains(&cw.restatement_minutes) {
        out.push(Finding::error(cw_path.key("restatement_minutes"), "must be between 1 and 1440"));
    }
    // CloudWatch keeps 1-minute datapoints for 15 days.
    if !(1..=360).contains(&cw.backfill_hours) {
        out.push(Finding::error(
            cw_path.key("backfill_hours"),
            "must be between 1 and 360 (CloudWatch keeps 1-minute data for 15 days)",
        ));
    }
    check_cache_names(cw, &cw_path, out);
    // Deeper than the 15 days CloudWatch keeps 1-minute data reads nothing.
    if cw.deep_restatement_hours > 360 {
        out.push(Finding::error(cw_path.key("deep_restatement_hours"), "must be between 0 and 360"));
    }
    let ct = &c.sources.cloudtrail;
    let ct_path = path.key("cloudtrail");
    if !(1..=1440).contains(&ct.overlap_minutes) {
        out.push(Finding::error(ct_path.key("overlap_minutes"), "must be between 1 and 1440"));
    }
    // LookupEvents reaches back 90 days.
    if !(1..=2160).contains(&ct.backfill_hours) {
        out.push(Finding::error(ct_path.key("backfill_hours"), "must be between 1 and 2160 (90 days)"));
    }
    if ct.enabled && ct.event_names.is_empty() {
        out.push(Finding::error(ct_path.key("event_names"), "needs at least one event name"));
    }
    super::invocation_logs::check(c, &path.key("invocation_logs"), out);
    super::cost_explorer::check(c, &path.key("cost_explorer"), out);
}

fn budgets(c: &Config, out: &mut Vec<Finding>) {
    let mut names = BTreeSet::new();
    for (i, b) in c.budgets.iter().enumerate() {
        let path = FieldPath::root().key("budgets").index(i);
        if b.name.trim().is_empty() {
            out.push(Finding::error(path.key("name"), "must not be empty"));
        } else if !names.insert(b.name.as_str()) {
            out.push(Finding::error(path.key("name"), format!("budget `{}` is defined twice", b.name)));
        }
        if b.limit_usd.0 <= Decimal::ZERO {
            out.push(Finding::error(
                path.key("limit_usd"),
                format!("{} must be greater than 0", b.limit_usd.0),
            ));
        }
        if b.thresholds_pct.is_empty() {
            out.push(Finding::error(path.key("thresholds_pct"), "needs at least one threshold"));
        }
        let mut last = 0;
        for (j, t) in b.thresholds_pct.iter().enumerate() {
            if !(1..=1000).contains(t) || *t <= last {
                out.push(Finding::error(
                    path.key("thresholds_pct").index(j),
                    format!("{t}: thresholds must be increasing percentages between 1 and 1000"),
                ));
            }
            last = *t;
        }
        regions(&b.regions, &path.key("regions"), false, out);
        for (j, a) in b.accounts.iter().enumerate() {
            if !crate::shard::is_account_id(a) {
                out.push(Finding::error(
                    path.key("accounts").index(j),
                    format!("`{a}` is not a 12-digit account ID"),
                ));
            }
        }
        if b.per_principal && !c.sources.cloudtrail.enabled {
            out.push(Finding::error(path.key("per_principal"), "needs sources.cloudtrail.enabled = true"));
        }
        if !b.principals.is_empty() && !c.sources.cloudtrail.enabled {
            out.push(Finding::error(
                path.key("principals"),
                "principal filters need sources.cloudtrail.enabled = true (principals come from CloudTrail)",
            ));
        }
        for (field, list) in [("principals", &b.principals), ("projects", &b.projects)] {
            for (j, p) in list.iter().enumerate() {
                if p.trim().is_empty() {
                    out.push(Finding::error(path.key(field).index(j), "must not be empty"));
                }
            }
        }
        budget_tuning(b, &path, out);
    }
}

fn budget_tuning(b: &crate::config::BudgetConfig, path: &FieldPath, out: &mut Vec<Finding>) {
    within(out, path.key("forecast_lookback_hours"), b.forecast_lookback_hours.into(), 1..=744, "");
    if let Some(w) = b.warn_at_pct {
        within(out, path.key("warn_at_pct"), w.into(), 1..=1000, "");
    }
    let Some(br) = &b.burn_rate else { return };
    let p = path.key("burn_rate");
    within(out, p.key("short_minutes"), br.short_minutes.into(), 1..=1440, "");
    within(out, p.key("long_hours"), br.long_hours.into(), 1..=720, "");
    if u64::from(br.long_hours) * 60 <= u64::from(br.short_minutes) {
        out.push(Finding::error(p.key("long_hours"), "the long window must be longer than short_minutes"));
    }
    if br.factor.0 <= Decimal::ONE {
        out.push(Finding::error(p.key("factor"), format!("{} must be greater than 1", br.factor.0)));
    }
    if br.min_usd_per_hour.0 < Decimal::ZERO {
        out.push(Finding::error(
            p.key("min_usd_per_hour"),
            format!("{} must not be negative", br.min_usd_per_hour.0),
        ));
    }
}

/// Checks that refer to the price table: model keys and profile targets.
pub fn against_prices(c: &Config, table: &PriceTable) -> Vec<Finding> {
    let mut out = Vec::new();
    let pricing = FieldPath::root().key("pricing");
    for model in c.pricing.cache_write_ttl_by_model.keys() {
        if table.catalog().get(model).is_none() {
            out.push(Finding::error(
                pricing.key("cache_write_ttl_by_model").key(model.clone()),
                format!("`{model}` is not a model key of the price table"),
            ));
        }
    }
    let none = Default::default();
    let resolver = Resolver::new(table.catalog(), &none);
    for (profile, target) in &c.pricing.application_profiles {
        // A profile has no tier of its own; each call's suffix says which tier served it.
        if let Ok((_, tier)) = crate::pricing::tier::split_tier(target) {
            if !tier.is_standard() {
                out.push(Finding::error(
                    pricing.key("application_profiles").key(profile.clone()),
                    format!("target `{target}` has a `+{tier}` suffix: the tier belongs to each call, not the profile"),
                ));
                continue;
            }
        }
        if let Resolution::Unpriced { reason, .. } = resolver.resolve(target) {
            out.push(Finding::error(
                pricing.key("application_profiles").key(profile.clone()),
                format!("target `{target}` cannot be priced: {reason}"),
            ));
        }
    }
    for (i, b) in c.budgets.iter().enumerate() {
        for (j, m) in b.models.iter().enumerate() {
            let known = table.catalog().get(m).is_some() || m.contains('*') || m.contains('.');
            if !known {
                out.push(Finding::error(
                    FieldPath::root().key("budgets").index(i).key("models").index(j),
                    format!("`{m}` is neither a model key of the price table nor a model-ID pattern"),
                ));
            }
        }
    }
    out
}

fn check_cache_names(cw: &crate::config::types::CloudWatchSource, path: &FieldPath, out: &mut Vec<Finding>) {
    for (field, list) in
        [("cache_read_metrics", &cw.cache_read_metrics), ("cache_write_metrics", &cw.cache_write_metrics)]
    {
        if list.is_empty() {
            out.push(Finding::error(path.key(field), "must name at least one CloudWatch metric"));
        }
        for (i, name) in list.iter().enumerate() {
            if name.trim().is_empty() {
                out.push(Finding::error(path.key(field).index(i), "must name a CloudWatch metric"));
            }
        }
    }
    for (field, name) in
        [("cache_read_metric", &cw.cache_read_metric), ("cache_write_metric", &cw.cache_write_metric)]
    {
        match name {
            Some(n) if n.trim().is_empty() => {
                out.push(Finding::error(path.key(field), "must name a CloudWatch metric"))
            }
            Some(_) => out.push(Finding::warning(
                path.key(field),
                format!("deprecated: use `{field}s`, a list (both documented spellings are read by default)"),
            )),
            None => {}
        }
    }
    let (read, write) = cw.cache_metric_names();
    if let Some(shared) = read.iter().find(|n| write.contains(n)) {
        out.push(Finding::error(
            path.key("cache_write_metrics"),
            format!("`{shared}` is also a cache-read name: one metric cannot be both"),
        ));
    }
}
