//! `report --reconcile`: the ledger against the bill, per UTC day (Cost
//! Explorer's days), from what the daemon stored — no AWS call. Per day:
//! whether the bill is final, the ledger and billed totals, the net and
//! gross drift against the tolerance; per region × model × token type the
//! two costs and their drift; every billed line that cannot be placed, every
//! ledger token without a price, and every billed rate that differs from the
//! table. As a table, CSV or JSON.

use std::io::Write;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::args::ReportFormat;
use super::report::csv_field;
use super::CliError;
use crate::app::AppError;
use crate::collector::bill_days;
use crate::collector::bill_job::{compare_days, Reconciled};
use crate::config::Loaded;
use crate::pricing::PointPricer;
use crate::reconcile::coverage::BillCoverage;
use crate::reconcile::Tolerance;

/// Days most a report covers (Cost Explorer keeps daily data about 14 months).
const MAX_DAYS: i64 = 400;

/// `[from, to]` in UTC days: the arguments, else the lookback up to yesterday.
pub fn window(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    now: chrono::DateTime<chrono::Utc>,
    lookback_days: u32,
) -> Result<(NaiveDate, NaiveDate), CliError> {
    let yesterday = now.date_naive() - Duration::days(1);
    let to = to.unwrap_or(yesterday);
    let from = from.unwrap_or(to - Duration::days(i64::from(lookback_days.max(1)) - 1));
    if to < from {
        return Err(CliError::Argument { arg: "to", reason: format!("{to} is before --from {from}") });
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(CliError::Argument { arg: "from", reason: format!("at most {MAX_DAYS} days at once") });
    }
    Ok((from, to))
}

/// Days `[from, to]` (UTC), every one with a stored bill compared.
pub async fn run(
    loaded: &Loaded,
    (from, to): (NaiveDate, NaiveDate),
    format: ReportFormat,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let ce = &loaded.config.sources.cost_explorer;
    let store = crate::app::open_backend(loaded).await?;
    let days: Vec<NaiveDate> = (0..=(to - from).num_days()).map(|n| from + Duration::days(n)).collect();
    let stored = bill_days::load(store.as_ref(), &days).await.map_err(AppError::from)?;
    let pricer = PointPricer::from_config(loaded);
    let coverage = BillCoverage {
        linked: ce.linked_accounts.clone(),
        primary: crate::config::accounts::configured_primary(&loaded.config),
    };
    let found = compare_days(
        store.as_ref(),
        &pricer,
        ce.rate_tolerance_ratio.0,
        &coverage,
        stored.into_values().collect(),
    )
    .await
    .map_err(|e| AppError::Setup(e.to_string()))?;
    let tolerance = Tolerance { usd: ce.tolerance_usd.0, ratio: ce.tolerance_ratio.0 };
    match format {
        ReportFormat::Table => table(out, &found, tolerance, days.len())?,
        ReportFormat::Csv => csv(out, &found)?,
        ReportFormat::Json => {
            writeln!(out, "{}", Value::Array(found.iter().map(|r| to_json(r, tolerance)).collect()))?
        }
    }
    Ok(())
}

fn state(r: &Reconciled) -> String {
    let b = &r.bill;
    let state = if b.frozen { "final" } else { "settling" };
    let estimated = if b.estimated { ", estimated" } else { "" };
    format!("{state} ({} read{}{estimated})", b.reads, if b.reads == 1 { "" } else { "s" })
}

fn ratio(r: Option<Decimal>) -> String {
    r.map(|r| format!("{}%", (r * Decimal::from(100)).round_dp(2))).unwrap_or_else(|| "-".into())
}

fn table(out: &mut dyn Write, days: &[Reconciled], t: Tolerance, asked: usize) -> std::io::Result<()> {
    writeln!(
        out,
        "{} of {asked} days have a bill; tolerance ${} or {}%",
        days.len(),
        t.usd,
        t.ratio * Decimal::from(100)
    )?;
    for r in days {
        let d = &r.drift;
        let verdict = if d.exceeds(t) { "BEYOND TOLERANCE" } else { "within tolerance" };
        writeln!(out)?;
        writeln!(
            out,
            "{}  {}  ledger ${}  billed ${}  net {}  gross {}  {verdict}",
            d.day,
            state(r),
            d.ledger_usd(),
            d.billed_usd(),
            d.net(),
            d.gross()
        )?;
        writeln!(
            out,
            "  {:<14} {:<22} {:<12} {:>14} {:>14} {:>12} {:>9}  presence",
            "region", "model", "token_type", "ledger_usd", "billed_usd", "drift_usd", "drift"
        )?;
        for (k, row) in &d.rows {
            writeln!(
                out,
                "  {:<14} {:<22} {:<12} {:>14} {:>14} {:>12} {:>9}  {}",
                k.region,
                k.model,
                k.token_type,
                row.ledger_usd,
                row.billed_usd,
                row.drift(),
                ratio(row.ratio()),
                row.presence()
            )?;
        }
        for u in &d.unmapped {
            writeln!(
                out,
                "  unmapped: {} / {}  ${}  ({})",
                u.line.service, u.line.usage_type, u.line.usd, u.reason
            )?;
        }
        for u in &d.unpriced {
            writeln!(
                out,
                "  unpriced in the ledger: {} {} {}  {} tokens",
                u.region, u.model_id, u.token_type, u.tokens
            )?;
        }
        for s in d.stale_rates() {
            writeln!(
                out,
                "  stale rate: {} {} {} billed ${}/M vs table ${}/M ({}, {})",
                s.key.region,
                s.key.model,
                s.key.token_type,
                s.billed_per_million,
                s.table_per_million,
                s.entry,
                s.usage_type
            )?;
        }
    }
    Ok(())
}

const CSV_HEADER: &str =
    "day,final,kind,region,model,token_type,usage_type,ledger_usd,billed_usd,drift_usd,drift_ratio,detail";

fn csv(out: &mut dyn Write, days: &[Reconciled]) -> std::io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    for r in days {
        let (day, fin) = (r.bill.day, r.bill.frozen);
        for (k, row) in &r.drift.rows {
            let drift_ratio = row.ratio().map(|x| x.to_string()).unwrap_or_default();
            let types = csv_field(&row.usage_types.join(" "));
            writeln!(
                out,
                "{day},{fin},{},{},{},{},{types},{},{},{},{drift_ratio},",
                row.presence(),
                csv_field(&k.region),
                csv_field(&k.model),
                k.token_type,
                row.ledger_usd,
                row.billed_usd,
                row.drift()
            )?;
        }
        for u in &r.drift.unmapped {
            let types = csv_field(&u.line.usage_type);
            writeln!(
                out,
                "{day},{fin},unmapped,,{},,{types},,{},,,{}",
                csv_field(&u.line.service),
                u.line.usd,
                csv_field(u.reason)
            )?;
        }
        for u in &r.drift.unpriced {
            writeln!(
                out,
                "{day},{fin},unpriced,{},{},{},,,,,,{} tokens",
                csv_field(&u.region),
                csv_field(&u.model_id),
                u.token_type,
                u.tokens
            )?;
        }
        for s in r.drift.stale_rates() {
            let k = &s.key;
            writeln!(
                out,
                "{day},{fin},stale_rate,{},{},{},{},,,,{},billed {}/M vs table {}/M ({})",
                csv_field(&k.region),
                csv_field(&k.model),
                k.token_type,
                csv_field(&s.usage_type),
                s.ratio(),
                s.billed_per_million,
                s.table_per_million,
                csv_field(&s.entry)
            )?;
        }
    }
    Ok(())
}

fn to_json(r: &Reconciled, t: Tolerance) -> Value {
    let d = &r.drift;
    let rows: Vec<Value> = d
        .rows
        .iter()
        .map(|(k, row)| {
            json!({
                "region": k.region, "model": k.model, "token_type": k.token_type,
                "ledger_usd": row.ledger_usd.to_string(), "ledger_tokens": row.ledger_tokens,
                "billed_usd": row.billed_usd.to_string(), "billed_quantity": row.billed_quantity.to_string(),
                "drift_usd": row.drift().to_string(), "drift_ratio": row.ratio().map(|x| x.to_string()),
                "presence": row.presence(), "usage_types": row.usage_types,
            })
        })
        .collect();
    let unmapped: Vec<Value> = d
        .unmapped
        .iter()
        .map(|u| {
            json!({
                "service": u.line.service, "usage_type": u.line.usage_type, "usd": u.line.usd.to_string(),
                "quantity": u.line.quantity.to_string(), "reason": u.reason,
            })
        })
        .collect();
    let unpriced: Vec<Value> = d
        .unpriced
        .iter()
        .map(|u| {
            json!({
                "region": u.region, "model_id": u.model_id, "token_type": u.token_type, "tokens": u.tokens,
            })
        })
        .collect();
    let rates: Vec<Value> = d.rates.iter().map(|s| json!({
        "region": s.key.region, "model": s.key.model, "token_type": s.key.token_type, "usage_type": s.usage_type,
        "billed_usd_per_million": s.billed_per_million.to_string(), "table_usd_per_million": s.table_per_million.to_string(),
        "entry": s.entry, "unit_tokens": s.unit_tokens.to_string(), "ratio": s.ratio().to_string(), "stale": s.stale,
    })).collect();
    json!({
        "day": d.day.to_string(), "final": r.bill.frozen, "estimated": r.bill.estimated, "reads": r.bill.reads,
        "last_read": r.bill.last_read.to_rfc3339(), "ledger_usd": d.ledger_usd().to_string(),
        "billed_usd": d.billed_usd().to_string(), "net_drift_usd": d.net().to_string(),
        "gross_drift_usd": d.gross().to_string(), "beyond_tolerance": d.exceeds(t),
        "rows": rows, "unmapped": unmapped, "unpriced": unpriced, "rates": rates,
    })
}
