//! The demo's bill: an hour of an earlier day's simulated traffic is published
//! to CloudWatch before the daemon starts (it collects it with the rest),
//! and Cost Explorer on the emulator is given the bill AWS would send for
//! it, spelled as Marketplace lines are — except that one model's prompt
//! caches were written with the 1-hour TTL while the configuration prices
//! cache writes at 5 minutes. Once the daemon is ready the demo reconciles
//! that day and prints the small drift that results, and why.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::print;
use super::workload::Publisher;
use super::DemoError;
use crate::aws::AwsConfig;
use crate::clock::{floor_minute, Clock};
use crate::collector::bill_job::BillJob;
use crate::config::Loaded;
use crate::emulator::Emulator;
use crate::pricing::{PointPricer, TokenType};
use crate::records::{LinePricing, MetricPoint};
use crate::sources::cost_explorer::client::CostExplorerSource;
use crate::sources::cost_explorer::usage_type::code_of_region;

/// The billed hour of the day (UTC).
const HOUR: u32 = 13;

/// The billed hour `[start, end)`: on the day before the six hours of
/// history begin, so that the day holds nothing else (at most 41 hours
/// back: within the demo's 42-hour backfill).
pub fn hour(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let history_start = now - Duration::hours(super::workload::HISTORY_HOURS);
    let day = history_start.date_naive() - Duration::days(1);
    let start = Utc.from_utc_datetime(&day.and_hms_opt(HOUR, 0, 0).unwrap_or_default());
    (start, start + Duration::hours(1))
}

/// The billed day, what the demo billed differently from the ledger (for
/// the explanation), and the reconciliation that will compare them.
pub struct Billed {
    pub day: NaiveDate,
    job: BillJob,
    /// The model whose cache writes were billed at the 1-hour rate.
    pub one_hour_model: Option<String>,
}

/// Publishes yesterday's hour and gives Cost Explorer its bill.
pub async fn prepare(
    emulator: &Emulator,
    publisher: &Publisher,
    loaded: &Loaded,
    clock: Arc<dyn Clock>,
) -> Result<Billed, DemoError> {
    let (start, end) = hour(floor_minute(clock.now()));
    let data = publisher.data(start, end);
    publisher.publish(&data).await?;
    let points: Vec<MetricPoint> = data
        .into_iter()
        .map(|d| MetricPoint {
            region: d.region,
            model_id: d.model_id,
            metric: d.metric,
            minute: d.minute,
            sum: d.sum,
            count: d.count,
        })
        .collect();
    let pricer = PointPricer::from_config(loaded);
    // Per (region, model, global?, token type): tokens and the ledger's dollars.
    let mut sums: BTreeMap<(String, String, bool, TokenType), (u64, Decimal)> = BTreeMap::new();
    for line in pricer.lines(&points) {
        let LinePricing::Priced { model, usd, .. } = &line.pricing else { continue };
        let global = line.model_id.starts_with("global.");
        let e = sums.entry((line.region.clone(), model.clone(), global, line.token_type)).or_default();
        e.0 += line.tokens;
        e.1 += usd;
    }
    let one_hour_model = sums.keys().find(|k| k.3 == TokenType::CacheWrite5m).map(|k| k.1.clone());
    let mut lines = Vec::new();
    for ((region, model, global, token_type), (tokens, usd)) in &sums {
        let mut usd = *usd;
        if Some(model) == one_hour_model.as_ref() && *token_type == TokenType::CacheWrite5m {
            // Billed at the 1-hour rate: twice the input price instead of 1.25 times.
            usd = usd / Decimal::new(125, 2) * Decimal::from(2);
        }
        lines.extend(line(&pricer, start.date_naive(), region, model, *global, *token_type, *tokens, usd));
    }
    emulator.seed_bill(&lines, &[]).await?;
    let day = start.date_naive();
    print::detail(&format!(
        "and an hour of {day} (13:00-14:00 UTC) with its bill in Cost Explorer, to reconcile once collected"
    ));
    Ok(Billed { day, job: reconciler(emulator, loaded, clock).await?, one_hour_model })
}

/// One Marketplace line as the bill spells it.
#[expect(clippy::too_many_arguments, reason = "one bill line's fields")]
fn line(
    pricer: &PointPricer,
    day: NaiveDate,
    region: &str,
    model: &str,
    global: bool,
    t: TokenType,
    tokens: u64,
    usd: Decimal,
) -> Option<Value> {
    let code = code_of_region(region)?;
    let name = &pricer.table.catalog().get(model)?.name;
    let kind = match t {
        TokenType::Input => "InputTokenCount",
        TokenType::Output => "OutputTokenCount",
        TokenType::CacheRead => "CacheReadInputTokenCount",
        TokenType::CacheWrite5m | TokenType::CacheWrite1h => "CacheWriteInputTokenCount",
    };
    let global = if global { "_Global" } else { "" };
    Some(json!({
        "day": day.to_string(),
        "service": format!("{name} (Amazon Bedrock Edition)"),
        "usage_type": format!("{code}-MP:{code}_{kind}{global}-Units"),
        // The bill's amounts carry ten decimals, as Cost Explorer's do.
        "usd": usd.round_dp(10).to_string(),
        "quantity": tokens.to_string(),
    }))
}

/// The reconciliation the demo runs itself, on its own handle of the ledger.
async fn reconciler(
    emulator: &Emulator,
    loaded: &Loaded,
    clock: Arc<dyn Clock>,
) -> Result<BillJob, DemoError> {
    let credentials = emulator.sdk_config("us-east-1").await.credentials_provider();
    let aws = AwsConfig::load(&loaded.config.aws, "us-east-1", credentials).await;
    let mut config = loaded.config.sources.cost_explorer.clone();
    // The billed day is yesterday or the day before.
    config.lookback_days = 2;
    let job = BillJob {
        source: Arc::new(CostExplorerSource::connect(aws.monitored())),
        store: crate::app::open_backend(loaded).await?,
        clock,
        pricer: Arc::new(PointPricer::from_config(loaded)),
        coverage: crate::reconcile::coverage::BillCoverage {
            linked: config.linked_accounts.clone(),
            primary: crate::config::accounts::configured_primary(&loaded.config),
        },
        config,
    };
    Ok(job)
}

/// Reconciles the billed day once the daemon (serving at `url`) has
/// collected it, and prints it.
pub async fn reconcile(billed: &Billed, url: &str) -> Result<(), DemoError> {
    print::wait_ready(url).await;
    let report = billed.job.run_once().await.map_err(|e| DemoError::Setup(e.to_string()))?;
    let Some(day) = report.days.iter().find(|r| r.bill.day == billed.day) else {
        print::detail(&format!("reconciliation: no bill for {}", billed.day));
        return Ok(());
    };
    let d = &day.drift;
    let sign = if d.net().is_sign_negative() { "-" } else { "+" };
    print::step(&format!(
        "reconciled {} with the bill (Cost Explorer, {} requests): ledger ${:.2}, billed ${:.2}, drift {sign}${:.2}",
        billed.day,
        report.requests.total(),
        d.ledger_usd(),
        d.billed_usd(),
        d.net().abs()
    ));
    for (k, r) in d.biggest(3) {
        print::detail(&format!(
            "{} {} {}: ledger ${:.4}, billed ${:.4}",
            k.region, k.model, k.token_type, r.ledger_usd, r.billed_usd
        ));
    }
    if let Some(model) = &billed.one_hour_model {
        print::detail(&format!(
            "why: the application writes {model}'s prompt caches with the 1-hour TTL; the ledger prices cache writes \
             at pricing.cache_write_ttl = \"5m\". Fix: pricing.cache_write_ttl_by_model.\"{model}\" = \"1h\""
        ));
    }
    for s in d.stale_rates().take(2) {
        print::detail(&format!(
            "stale rate: {} {} billed ${:.4}/M, table ${}/M ({})",
            s.key.model, s.key.token_type, s.billed_per_million, s.table_per_million, s.entry
        ));
    }
    print::detail(
        "report --reconcile prints every row; the alert bill.drift fires for a day beyond tolerance",
    );
    Ok(())
}
