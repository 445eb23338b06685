//! What the demo prints: steps, the spend by model, where to look next.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::inbox::Inbox;
use super::DemoError;
use crate::clock::Clock;
use crate::ledger::report::{aggregate, Dimension, GroupBy, SpendReport};
use crate::ledger::sqlite::SqliteStore;
use crate::ledger::{StatusStore, Store};
use crate::money::display_usd;

pub fn step(text: &str) {
    println!("==> {text}");
}

pub fn detail(text: &str) {
    println!("    {text}");
}

/// Waits until the first collection has succeeded (`/readyz`), at most two minutes.
pub async fn wait_ready(url: &str) {
    let readyz = format!("{url}/readyz");
    for _ in 0..240 {
        if crate::telemetry::probe::probe(&readyz, Duration::from_secs(2)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    detail("the daemon is not ready yet; see its log above");
}

async fn spend_by_model(data_dir: &Path, now: DateTime<Utc>) -> Result<SpendReport, DemoError> {
    spend_by(data_dir, &[Dimension::Model, Dimension::Region], now).await
}

async fn spend_by(data_dir: &Path, dims: &[Dimension], now: DateTime<Utc>) -> Result<SpendReport, DemoError> {
    let store = SqliteStore::open(data_dir)?;
    // The last six hours, as the heading says (the ledger also holds the
    // earlier hour the demo reconciles with its bill).
    let lines = store.cost_lines(now - chrono::Duration::hours(super::workload::HISTORY_HOURS), now).await?;
    aggregate(&lines, GroupBy::new(dims.iter().copied()), chrono_tz::UTC)
        .map_err(|e| DemoError::Setup(e.to_string()))
}

/// Tokens and dollars by type (cache reads and writes under AWS's metric
/// names) and by project (bedrock-mantle projects; `default` is bedrock-runtime).
async fn breakdowns(data_dir: &Path, now: DateTime<Utc>) -> Result<(), DemoError> {
    let by_type = spend_by(data_dir, &[Dimension::TokenType], now).await?;
    let parts: Vec<String> = by_type
        .rows
        .iter()
        .map(|r| {
            let t = r.key.token_type.map(|t| t.to_string()).unwrap_or_default();
            format!("{t} {} tokens", r.spend.tokens)
        })
        .collect();
    detail(&format!("By token type: {}", parts.join(", ")));
    let by_project = spend_by(data_dir, &[Dimension::Project], now).await?;
    let parts: Vec<String> = by_project
        .rows
        .iter()
        .map(|r| format!("{} {} USD", r.key.project.as_deref().unwrap_or("-"), display_usd(r.spend.usd)))
        .collect();
    detail(&format!(
        "By project (bedrock-mantle projects; bedrock-runtime is `default`): {}",
        parts.join(", ")
    ));
    let by_account = spend_by(data_dir, &[Dimension::Account], now).await?;
    if by_account.rows.len() > 1 {
        let parts: Vec<String> = by_account
            .rows
            .iter()
            .map(|r| format!("{} {} USD", r.key.account.as_deref().unwrap_or("-"), display_usd(r.spend.usd)))
            .collect();
        detail(&format!(
            "By account (each read through its own role, a shard of its own): {}",
            parts.join(", ")
        ));
    }
    Ok(())
}

/// Alerts that reached the finance inbox since the last call, one line each.
/// Prints what reached the inbox since the last call; returns their kinds.
pub async fn alerts(inbox: &Inbox) -> Result<Vec<String>, DemoError> {
    let mut kinds = Vec::new();
    for m in inbox.drain().await? {
        let kind = m.body["kind"].as_str().unwrap_or("?");
        detail(&format!("ALERT  {kind:<24} {}", m.subject));
        kinds.push(kind.to_string());
    }
    Ok(kinds)
}

/// Alarm messages that woke the daemon's usage collection, all regions
/// (`bedrock_monitor_wakeups_total{outcome="alarm"}`); 0 when unreadable.
pub async fn wakeups_counted(url: &str) -> f64 {
    let metrics = format!("{url}/metrics");
    let Ok(answer) =
        crate::telemetry::probe::request("GET", &metrics, &[], &[], Duration::from_secs(5)).await
    else {
        return 0.0;
    };
    answer
        .body_text()
        .lines()
        .filter(|l| l.starts_with("bedrock_monitor_wakeups_total{") && l.contains("outcome=\"alarm\""))
        .filter_map(|l| l.rsplit_once(' ').and_then(|(_, v)| v.trim().parse::<f64>().ok()))
        .sum()
}

/// Spend per caller (CloudTrail), largest first; cost older than the
/// CloudTrail history is `unattributed`, shown, not dropped.
async fn principals(data_dir: &Path) -> Result<(), DemoError> {
    let store = SqliteStore::open(data_dir)?;
    let mut by: std::collections::BTreeMap<String, rust_decimal::Decimal> = Default::default();
    for p in store.principal_totals().await? {
        *by.entry(p.principal).or_default() += p.usd;
    }
    let mut rows: Vec<_> = by.into_iter().collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    println!("    Spend by caller (from CloudTrail; cost before its history is unattributed):");
    for (principal, usd) in rows {
        println!("    {principal:<58} {:>14}", display_usd(usd));
    }
    Ok(())
}

/// Spend per end user of the app today, from the invocation logs (each
/// request priced on its own).
async fn users(data_dir: &Path, now: DateTime<Utc>) -> Result<(), DemoError> {
    let store = SqliteStore::open(data_dir)?;
    let mut by: std::collections::BTreeMap<(String, String), (u64, rust_decimal::Decimal)> =
        Default::default();
    for s in store.request_sums(now - chrono::Duration::days(1), now).await? {
        let get = |k: &str| s.dimensions.get(k).cloned().unwrap_or_else(|| "-".into());
        let e = by.entry((get("user_id"), get("tenant"))).or_default();
        e.0 += s.requests;
        e.1 += s.usd;
    }
    let mut rows: Vec<_> = by.into_iter().collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1 .1));
    println!(
        "    Spend by end user (model invocation logs, {}; each request priced on its own):",
        super::logs::REGION
    );
    println!("    {:<14} {:<10} {:>10} {:>14}", "user_id", "tenant", "requests", "USD");
    for ((user, tenant), (requests, usd)) in rows {
        println!("    {user:<14} {tenant:<10} {requests:>10} {:>14}", display_usd(usd));
    }
    Ok(())
}

async fn budgets(data_dir: &Path) -> Result<(), DemoError> {
    let store = SqliteStore::open(data_dir)?;
    for s in store.budget_statuses().await? {
        let forecast = s.forecast_usd.map(display_usd).unwrap_or_else(|| "-".into());
        let who = match (&s.principal, &s.metadata) {
            (Some(p), _) => format!(" [{}]", p.rsplit('/').next().unwrap_or(p)),
            (None, Some(m)) => format!(" [{}={}]", m.key, m.value),
            (None, None) => String::new(),
        };
        detail(&format!(
            "budget {}{who}: {} of {} USD ({}%, {}), forecast {} USD by the end of the {}",
            s.budget,
            display_usd(s.spend_usd),
            display_usd(s.limit_usd),
            (s.utilization * rust_decimal::Decimal::from(100)).round_dp(1),
            s.state.as_str(),
            forecast,
            s.period.kind
        ));
    }
    Ok(())
}

/// Where the daemon serves: its metrics port and its API port.
pub struct Urls<'a> {
    pub metrics: &'a str,
    pub api: &'a str,
}

pub async fn summary(
    data_dir: &Path,
    urls: &Urls<'_>,
    inbox: &Inbox,
    spike: Option<DateTime<Utc>>,
    clock: &dyn Clock,
) -> Result<(), DemoError> {
    let report = spend_by_model(data_dir, clock.now()).await?;
    println!();
    println!("    Spend so far (last 6 hours of simulated traffic), exact to the cent:");
    // The unknown model's `unpriced:<model ID>` is longer than any priced key.
    let w =
        report.rows.iter().filter_map(|r| r.key.model.as_deref()).map(str::len).max().unwrap_or(0).max(22);
    println!("    {:<w$} {:<10} {:>14} {:>14}", "model", "region", "tokens", "USD");
    for row in &report.rows {
        let model = row.key.model.as_deref().unwrap_or("-");
        let region = row.key.region.as_deref().unwrap_or("-");
        if row.spend.unpriced_tokens > 0 {
            println!("    {model:<w$} {region:<10} {:>14} {:>14}", row.spend.unpriced_tokens, "UNPRICED");
        } else {
            println!(
                "    {model:<w$} {region:<10} {:>14} {:>14}",
                row.spend.tokens,
                display_usd(row.spend.usd)
            );
        }
    }
    println!(
        "    {:<w$} {:<10} {:>14} {:>14}",
        "total",
        "",
        report.total.tokens,
        display_usd(report.total.usd)
    );
    breakdowns(data_dir, clock.now()).await?;
    println!();
    principals(data_dir).await?;
    println!();
    users(data_dir, clock.now()).await?;
    println!();
    budgets(data_dir).await?;
    println!();
    println!("    Alerts received by the SQS queue subscribed to the SNS topic (what finance gets):");
    alerts(inbox).await?;
    println!();
    println!("    The unknown model is counted, never priced at $0: see bedrock_unpriced_tokens_total.");
    let Urls { metrics: url, api } = *urls;
    println!(
        "    Prometheus metrics:  {url}/metrics   (try: curl -s {url}/metrics | grep bedrock_cost_usd_total)"
    );
    println!("    Readiness:           {url}/readyz");
    println!("    Budgets:             {api}/api/v1/budgets   (the API's own port, loopback only)");
    println!(
        "    May the app call?    {api}/api/v1/decision?principal=arn:aws:iam::111122223333:role/dashboard-server-task&model=us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    );
    println!("    May this user call?  {api}/api/v1/decision?user_id=u-anna&model=claude-sonnet-4-5");
    println!(
        "    Spend per user:      BCM_DATA_DIR={} bedrock-cost-monitor report --config config/demo.toml --by user_id,tenant",
        data_dir.display()
    );
    if let Some(at) = spike {
        println!(
            "    At {} a runaway loop (batch user svc-reindex) starts calling Sonnet: watch the burn-rate, threshold and per-user alerts arrive.",
            at.format("%H:%M UTC")
        );
        println!(
            "    Usage is polled every 15 minutes; the runaway's first minute puts a wake-up alarm in ALARM (the demo plays CloudWatch's evaluation), which wakes the collection at once."
        );
    }
    println!("    New minutes arrive live every minute; press Ctrl-C to stop.");
    println!();
    Ok(())
}

pub async fn spend_line(data_dir: &Path, clock: &dyn Clock) -> Result<(), DemoError> {
    let report = spend_by_model(data_dir, clock.now()).await?;
    detail(&format!(
        "{}  total {} USD over {} tokens ({} unpriced tokens)",
        clock.now().format("%H:%M:%S"),
        display_usd(report.total.usd),
        report.total.tokens,
        report.total.unpriced_tokens
    ));
    Ok(())
}
