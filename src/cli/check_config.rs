//! `check-config`: validates the configuration and price table and prints
//! what the daemon would do with them. Exit status non-zero on any error.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::CliError;
use crate::clock::Clock;
use crate::config::{Config, CronSchedule, ListenerLimits, Loaded};
use crate::money::{display_rate, display_usd};
use crate::pricing::{PriceEntry, PriceTable, TokenType};

pub fn run(path: &Path, clock: &dyn Clock, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let now = clock.now();
    let Some(loaded) = super::load_reporting(path, now)? else { return Ok(ExitCode::FAILURE) };
    summary(&loaded, now, out)?;
    Ok(ExitCode::SUCCESS)
}

/// Which credentials read usage and which write: `aws/` gives the role
/// to the sources' clients only.
fn accounts_line(c: &Config) -> String {
    let primary = match &c.aws.assume_role_arn {
        Some(role) => format!(
            "usage read as {role} (CloudWatch, CloudTrail, invocation logs); store and alerts with the own credentials"
        ),
        None => "one: the own credentials read usage and write the store and alerts".to_string(),
    };
    let a = &c.accounts;
    if !a.multi() {
        return primary;
    }
    let mut more = Vec::new();
    if !a.members.is_empty() {
        let ids: Vec<&str> = a.members.iter().map(|m| m.id.as_str()).collect();
        more.push(format!("{} listed ({})", ids.len(), ids.join(", ")));
    }
    let org = &a.organizations;
    if org.enabled && org.restart_on_change {
        more.push(format!(
            "the organisation's active accounts, discovered at start and rechecked on `{}` (a change restarts the daemon)",
            org.recheck_schedule
        ));
    } else if org.enabled {
        more.push("the organisation's active accounts, discovered at start only".into());
    }
    format!(
        "primary {primary}; members: {} (role {}, at most {})",
        more.join(" + "),
        a.role_name,
        a.max_accounts
    )
}

fn summary(l: &Loaded, now: DateTime<Utc>, out: &mut dyn Write) -> std::io::Result<()> {
    let c = &l.config;
    writeln!(out, "config       {} (valid)", l.path.display())?;
    writeln!(
        out,
        "price table  {} ({} models, {} entries)",
        l.price_table_path.display(),
        l.prices.catalog().models().len(),
        l.prices.entries().len()
    )?;
    writeln!(out, "regions      {}", c.monitor.regions.join(", "))?;
    writeln!(out, "timezone     {}", c.monitor.timezone.0)?;
    writeln!(out, "store        {}", store_line(c))?;
    writeln!(out, "alerts       {}", c.alerts.sns_topic_arn.as_deref().unwrap_or("log only (no SNS topic)"))?;
    writeln!(out, "accounts     {}", accounts_line(c))?;
    writeln!(
        out,
        "http         {} (/metrics, /healthz, /readyz; {})",
        c.http.listen,
        limits_line(&c.http.limits)
    )?;
    writeln!(out, "api          {}", api_line(l, now))?;
    writeln!(out, "invocation   {}", logs_line(c))?;
    writeln!(
        out,
        "\nmodels priced at {} (USD per 1M tokens: input / output / cache read / cache write 5m / 1h)",
        now.format("%Y-%m-%d %H:%M UTC")
    )?;
    models(&l.prices, now, out)?;
    writeln!(out, "\nbudgets")?;
    budgets(c, out)?;
    writeln!(out, "\njobs (next three runs, {})", c.monitor.timezone.0)?;
    jobs(c, now, out)?;
    let warnings = l.warnings.warnings().count();
    writeln!(out, "\n{warnings} warning(s), 0 errors")
}

fn limits_line(l: &ListenerLimits) -> String {
    format!(
        "timeouts: head {} s, request {} s, idle {} s; {} connections, {} per client; {} bytes a request",
        l.header_read_timeout_secs,
        l.request_timeout_secs,
        l.idle_timeout_secs,
        l.max_connections,
        l.max_connections_per_client,
        l.max_request_bytes
    )
}

/// The API's address, who may call it, and what it does when it cannot vouch.
fn api_line(l: &Loaded, now: DateTime<Utc>) -> String {
    let api = &l.config.api;
    let token = match (&api.token_file, &api.token_env, &l.api_token) {
        (Some(file), _, Some(_)) => format!("bearer token from {file}"),
        (_, Some(var), Some(_)) => format!("bearer token from ${var}"),
        _ => "no token".to_string(),
    };
    let policy = crate::app::policy(l, now);
    format!(
        "{} (/api/v1; {token}; unknown model: {}; stale after {} s: {})\n             {}",
        api.listen,
        api.unknown_model.as_str(),
        policy.stale_after.num_seconds(),
        api.on_stale.as_str(),
        limits_line(&api.limits)
    )
}

/// Where each region's invocation logs are read from, and the kept keys.
fn logs_line(c: &Config) -> String {
    let logs = &c.sources.invocation_logs;
    if !logs.enabled() {
        return "logs off (no sources.invocation_logs.regions)".into();
    }
    let mut places: Vec<String> = logs.log_groups().map(|(r, g)| format!("{r}: log group {g}")).collect();
    places.extend(logs.s3_destinations().map(|(r, b, p, _)| format!("{r}: s3://{b}/{p}")));
    let keys = if logs.metadata_keys.is_empty() { "none".to_string() } else { logs.metadata_keys.join(", ") };
    format!("logs {}; requestMetadata keys kept: {keys}", places.join("; "))
}

fn store_line(c: &Config) -> String {
    match c.store.kind {
        crate::config::StoreKind::Sqlite => format!(
            "sqlite in {} (minute rows kept {} days, then folded into hourly rollups; published alerts \
             kept {} days)",
            c.monitor.data_dir.display(),
            c.store.sqlite_minute_retention_days,
            c.store.sqlite_published_alert_retention_days
        ),
        crate::config::StoreKind::Dynamodb => format!(
            "dynamodb table {} (replicas share it; lease {} s, renewed every {} s)",
            c.store.dynamodb_table.as_deref().unwrap_or("?"),
            c.replicas.lease_secs,
            c.replicas.renew_every().as_secs()
        ),
    }
}

/// Each model with its name and ID patterns, then every entry in force now,
/// labelled as in its entry ID (`scope[+tier][@region]`): what the table can
/// price, and by omission what it cannot.
fn models(table: &PriceTable, now: DateTime<Utc>, out: &mut dyn Write) -> std::io::Result<()> {
    for m in table.catalog().models() {
        writeln!(out, "  {:<22} {}: {}", m.key, m.name, m.patterns.join(", "))?;
        let mut entries: Vec<&PriceEntry> = table.in_force(&m.key, now).collect();
        entries.sort_by(|a, b| (&a.tier, a.scope, &a.region).cmp(&(&b.tier, b.scope, &b.region)));
        if entries.is_empty() {
            writeln!(out, "    no price in force (unpriced)")?;
        }
        for e in entries {
            let p = TokenType::ALL.map(|t| display_rate(e.prices.get(t))).join(" / ");
            let lc = e
                .long_context
                .as_ref()
                .map(|lc| format!(", long-context tier above {} prompt tokens", lc.above_prompt_tokens))
                .unwrap_or_default();
            writeln!(out, "    {:<20} {p}{lc}", e.label())?;
        }
    }
    writeln!(
        out,
        "  not listed, so unpriced: other service tiers (priority, flex, reserved, …), and GovCloud \
         where a model has no `govcloud` line"
    )
}

fn budgets(c: &Config, out: &mut dyn Write) -> std::io::Result<()> {
    if c.budgets.is_empty() {
        return writeln!(out, "  (none)");
    }
    for b in &c.budgets {
        let thresholds = b.thresholds_pct.iter().map(|t| format!("{t}%")).collect::<Vec<_>>().join("/");
        let mut scope = Vec::new();
        if !b.models.is_empty() {
            scope.push(format!("models {}", b.models.join(",")));
        }
        if !b.regions.is_empty() {
            scope.push(format!("regions {}", b.regions.join(",")));
        }
        if !b.accounts.is_empty() {
            scope.push(format!("accounts {}", b.accounts.join(",")));
        }
        if !b.principals.is_empty() {
            scope.push(format!("principals {}", b.principals.join(",")));
        }
        if b.per_principal {
            scope.push("per principal".into());
        }
        for (key, pattern) in &b.metadata {
            scope.push(format!("{key} {pattern}"));
        }
        if let Some(key) = &b.per_metadata {
            scope.push(format!("per {key}"));
        }
        let scope = if scope.is_empty() { "all spend".to_string() } else { scope.join("; ") };
        let tz = b.timezone.unwrap_or(c.monitor.timezone).0;
        let mut extras =
            vec![format!("{}, warn at {}%, {} at 100%", tz, b.warn_pct(), b.on_exceeded.as_str())];
        if b.forecast_alert {
            extras.push(format!("forecast alert ({} h lookback)", b.forecast_lookback_hours));
        }
        if let Some(br) = &b.burn_rate {
            extras.push(format!(
                "burn rate >= {}x the {} h rate over {} min, >= {} USD/h",
                br.factor.0, br.long_hours, br.short_minutes, br.min_usd_per_hour.0
            ));
        }
        writeln!(
            out,
            "  {:<22} {:<5} {:>12} USD  at {thresholds}  {}  [{scope}]\n  {:<22} {}",
            b.name,
            b.period.as_str(),
            display_usd(b.limit_usd.0),
            b.severity.as_str(),
            "",
            extras.join("; ")
        )?;
    }
    Ok(())
}

fn jobs(c: &Config, now: DateTime<Utc>, out: &mut dyn Write) -> std::io::Result<()> {
    let s = &c.sources;
    let every_minute = CronSchedule::every_secs(60).ok();
    let follower = CronSchedule::every_secs(c.replicas.follower_refresh_secs).ok();
    let mut list: Vec<(&str, bool, &CronSchedule)> = vec![
        ("cloudwatch", s.cloudwatch.enabled, &s.cloudwatch.schedule),
        (
            "cloudwatch_detail",
            s.cloudwatch.enabled && s.cloudwatch.detail_enabled,
            &s.cloudwatch.detail_schedule,
        ),
        ("cloudtrail", s.cloudtrail.enabled, &s.cloudtrail.schedule),
        ("invocation_logs", s.invocation_logs.enabled(), &s.invocation_logs.schedule),
        ("digest", c.alerts.digest.enabled, &c.alerts.digest.schedule),
        ("compaction", c.store.kind == crate::config::StoreKind::Sqlite, &c.store.sqlite_compaction_schedule),
    ];
    if let Some(m) = &every_minute {
        list.push(("alerts", true, m));
    }
    if let (Some(f), crate::config::StoreKind::Dynamodb) = (&follower, c.store.kind) {
        list.push(("follower_refresh", true, f));
    }
    for (name, enabled, schedule) in list {
        if !enabled {
            writeln!(out, "  {name:<17} disabled")?;
            continue;
        }
        let runs = schedule
            .next_runs(now, &c.monitor.timezone.0, 3)
            .iter()
            .map(|t| t.format("%Y-%m-%d %H:%M:%S %Z").to_string())
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(out, "  {name:<17} {:<16} {runs}", schedule.expression())?;
    }
    Ok(())
}
