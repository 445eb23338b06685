//! `report`: spend from the ledger for finance, by month, day, model,
//! region, principal and token type, as a table, CSV or JSON. Money in CSV
//! and JSON is exact. Reads each local day's sums from the configured store
//! (SQLite file or DynamoDB table), never every minute's line.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use serde_json::json;

use super::args::{ReportArgs, ReportFormat};
use super::report_bounds::{self, RowBounds};
use super::CliError;
use crate::app::AppError;
use crate::budgets::period::local_days;
use crate::clock::Clock;
use crate::ledger::report::{Dimension, GroupBy, SpendReport, SpendRow};
use crate::money::{display_usd, exact};

pub fn run(
    config: &Path,
    args: &ReportArgs,
    clock: &dyn Clock,
    out: &mut dyn Write,
) -> Result<ExitCode, CliError> {
    let Some(loaded) = super::load_reporting(config, clock.now())? else { return Ok(ExitCode::FAILURE) };
    let tz = loaded.config.monitor.timezone.0;
    let today = clock.now().with_timezone(&tz).date_naive();
    let from = date_arg("from", args.from.as_deref())?.unwrap_or_else(|| today.with_day(1).unwrap_or(today));
    let to = date_arg("to", args.to.as_deref())?.unwrap_or(today);
    if to < from {
        return Err(CliError::Argument { arg: "to", reason: format!("{to} is before --from {from}") });
    }
    if super::report_requests::wants(&args.by, &loaded) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(super::report_requests::run(&loaded, &args.by, (from, to, tz), args.format, out))?;
        return Ok(ExitCode::SUCCESS);
    }
    let group_by: GroupBy = args.by.parse().map_err(|e: crate::ledger::report::ReportError| {
        CliError::Argument { arg: "by", reason: e.to_string() }
    })?;
    super::require_ledger(&loaded)?;
    if args.reconcile {
        let lookback = loaded.config.sources.cost_explorer.lookback_days;
        let from_arg = date_arg("from", args.from.as_deref())?;
        let window = super::report_reconcile::window(
            from_arg,
            date_arg("to", args.to.as_deref())?,
            clock.now(),
            lookback,
        )?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(super::report_reconcile::run(&loaded, window, args.format, out))?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.alerts {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(super::report_alerts::run(&loaded, args.format, out))?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.bounds {
        report_bounds::check(group_by)?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let report = runtime.block_on(read(&loaded, group_by, from, to, tz))?;
    let bounds = match args.bounds {
        true => Some(runtime.block_on(report_bounds::read(
            &loaded,
            &report,
            group_by,
            &local_days(from, to, tz),
        ))?),
        false => None,
    };
    let b = bounds.as_ref();
    match args.format {
        ReportFormat::Table => table(out, &report, b, group_by, from, to, tz)?,
        ReportFormat::Csv => csv(out, &report, b, group_by)?,
        ReportFormat::Json => writeln!(out, "{}", to_json(&report, b, group_by, from, to, tz))?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn read(
    loaded: &crate::config::Loaded,
    group_by: GroupBy,
    from: NaiveDate,
    to: NaiveDate,
    tz: Tz,
) -> Result<SpendReport, CliError> {
    let store = crate::app::open_backend(loaded).await?;
    let by = |e: crate::ledger::report::ReportError| CliError::Argument { arg: "by", reason: e.to_string() };
    // Every local day is summed by the store (from its hourly rollups, plus
    // the minutes of partial hours), then grouped: a month is a few hundred
    // rows whatever the traffic, never every minute's line in memory.
    let mut principal_days = Vec::new();
    let mut cost_days = Vec::new();
    for (day, start, end) in local_days(from, to, tz) {
        if group_by.contains(Dimension::Principal) {
            principal_days.push((day, store.principal_sums(start, end).await.map_err(AppError::from)?));
        } else {
            cost_days.push((day, store.cost_sums(start, end).await.map_err(AppError::from)?));
        }
    }
    if group_by.contains(Dimension::Principal) {
        return crate::ledger::report_principal::aggregate(&principal_days, group_by).map_err(by);
    }
    crate::ledger::report_days::aggregate(&cost_days, group_by).map_err(by)
}

fn date_arg(arg: &'static str, text: Option<&str>) -> Result<Option<NaiveDate>, CliError> {
    text.map(|t| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map_err(|_| CliError::Argument { arg, reason: format!("`{t}` is not a date like 2026-11-01") })
    })
    .transpose()
}

fn dims(group_by: GroupBy) -> Vec<Dimension> {
    Dimension::ALL.into_iter().filter(|d| group_by.contains(*d)).collect()
}

fn key_text(row: &SpendRow, d: Dimension) -> String {
    let k = &row.key;
    match d {
        Dimension::Month => k.month.clone(),
        Dimension::Day => k.day.map(|x| x.to_string()),
        Dimension::Model => k.model.clone(),
        Dimension::Account => k.account.clone(),
        Dimension::Region => k.region.clone(),
        Dimension::Principal => k.principal.clone(),
        Dimension::TokenType => k.token_type.map(|t| t.to_string()),
        Dimension::Project => k.project.clone(),
    }
    .unwrap_or_default()
}

fn table(
    out: &mut dyn Write,
    r: &SpendReport,
    bounds: Option<&RowBounds>,
    g: GroupBy,
    from: NaiveDate,
    to: NaiveDate,
    tz: Tz,
) -> std::io::Result<()> {
    writeln!(out, "spend {from} to {to} ({tz}), USD rounded to the cent (CSV and JSON are exact)\n")?;
    let dims = dims(g);
    let widths: Vec<usize> = dims
        .iter()
        .map(|d| r.rows.iter().map(|row| key_text(row, *d).len()).max().unwrap_or(0).max(d.as_str().len()))
        .collect();
    let mut header = String::new();
    for (d, w) in dims.iter().zip(&widths) {
        header.push_str(&format!("{:<w$}  ", d.as_str()));
    }
    if r.by_principal {
        return principal_table(out, r, &dims, &widths, &header);
    }
    let extra = |b: Option<&report_bounds::Bounds>| match b {
        Some(b) => {
            let (lc, ttl) = report_bounds::table_cells(b);
            format!(" {lc:>14} {ttl:>18}")
        }
        None => String::new(),
    };
    let head = if bounds.is_some() { format!(" {:>14} {:>18}", "long ctx", "TTL") } else { String::new() };
    writeln!(out, "{header}{:>16} {:>16} {:>14}{head}", "tokens", "unpriced tokens", "USD")?;
    for (i, row) in r.rows.iter().enumerate() {
        let mut line = String::new();
        for (d, w) in dims.iter().zip(&widths) {
            line.push_str(&format!("{:<w$}  ", key_text(row, *d)));
        }
        let usd = priced_usd(row).map_or_else(|| "unpriced".to_string(), display_usd);
        let more = extra(bounds.and_then(|b| b.rows.get(i)));
        writeln!(out, "{line}{:>16} {:>16} {usd:>14}{more}", row.spend.tokens, row.spend.unpriced_tokens)?;
    }
    let pad: usize = widths.iter().map(|w| w + 2).sum();
    writeln!(
        out,
        "{:<pad$}{:>16} {:>16} {:>14}{}",
        "total",
        r.total.tokens,
        r.total.unpriced_tokens,
        display_usd(r.total.usd),
        extra(bounds.map(|b| &b.total))
    )?;
    if bounds.is_some() {
        writeln!(out, "\n{}", report_bounds::TABLE_NOTE)?;
    }
    if r.total.unpriced_tokens > 0 {
        writeln!(out, "\n{} tokens have no price: USD counts priced tokens only", r.total.unpriced_tokens)?;
    }
    Ok(())
}

/// A row of unpriced tokens only has no price, which is not $0: `None`.
fn priced_usd(row: &SpendRow) -> Option<rust_decimal::Decimal> {
    let unpriced_only = row.spend.tokens > 0 && row.spend.unpriced_tokens == row.spend.tokens;
    (!unpriced_only).then_some(row.spend.usd)
}

/// Shares carry dollars, not tokens: only the USD column.
fn principal_table(
    out: &mut dyn Write,
    r: &SpendReport,
    dims: &[Dimension],
    widths: &[usize],
    header: &str,
) -> std::io::Result<()> {
    writeln!(out, "{header}{:>14}", "USD")?;
    for row in &r.rows {
        let mut line = String::new();
        for (d, w) in dims.iter().zip(widths) {
            line.push_str(&format!("{:<w$}  ", key_text(row, *d)));
        }
        writeln!(out, "{line}{:>14}", display_usd(row.spend.usd))?;
    }
    let pad: usize = widths.iter().map(|w| w + 2).sum();
    writeln!(out, "{:<pad$}{:>14}", "total", display_usd(r.total.usd))
}

fn csv(out: &mut dyn Write, r: &SpendReport, bounds: Option<&RowBounds>, g: GroupBy) -> std::io::Result<()> {
    let dims = dims(g);
    let mut header: Vec<&str> = dims.iter().map(|d| d.as_str()).collect();
    if !r.by_principal {
        header.extend(["tokens", "unpriced_tokens"]);
    }
    header.push("usd");
    if bounds.is_some() {
        header.extend(report_bounds::CSV_HEADER);
    }
    writeln!(out, "{}", header.join(","))?;
    for (i, row) in r.rows.iter().enumerate() {
        let mut fields: Vec<String> = dims.iter().map(|d| csv_field(&key_text(row, *d))).collect();
        if !r.by_principal {
            fields.extend([row.spend.tokens.to_string(), row.spend.unpriced_tokens.to_string()]);
        }
        // Unpriced tokens only: an empty field, never "0".
        fields.push(priced_usd(row).map(exact).unwrap_or_default());
        if let Some(b) = bounds.and_then(|b| b.rows.get(i)) {
            fields.extend(report_bounds::csv_fields(b));
        }
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

/// RFC 4180: quote fields holding a comma, quote or line break (model IDs may hold `:`, never `,`).
pub(super) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn to_json(
    r: &SpendReport,
    bounds: Option<&RowBounds>,
    g: GroupBy,
    from: NaiveDate,
    to: NaiveDate,
    tz: Tz,
) -> serde_json::Value {
    let dims = dims(g);
    let rows: Vec<_> = r
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut obj = serde_json::Map::new();
            for d in &dims {
                obj.insert(d.as_str().into(), json!(key_text(row, *d)));
            }
            if !r.by_principal {
                obj.insert("tokens".into(), json!(row.spend.tokens));
                obj.insert("unpriced_tokens".into(), json!(row.spend.unpriced_tokens));
            }
            // Unpriced tokens only: null, never "0".
            obj.insert("usd".into(), priced_usd(row).map_or(serde_json::Value::Null, |u| json!(exact(u))));
            if let Some(b) = bounds.and_then(|b| b.rows.get(i)) {
                obj.insert("bounds".into(), report_bounds::json(b));
            }
            serde_json::Value::Object(obj)
        })
        .collect();
    let mut doc = json!({
        "from": from.to_string(),
        "to": to.to_string(),
        "timezone": tz.to_string(),
        "rows": rows,
        "total": if r.by_principal {
            json!({"usd": exact(r.total.usd)})
        } else {
            json!({"tokens": r.total.tokens, "unpriced_tokens": r.total.unpriced_tokens, "usd": exact(r.total.usd)})
        },
    });
    if let Some(b) = bounds {
        doc["total"]["bounds"] = report_bounds::json(&b.total);
    }
    doc
}
