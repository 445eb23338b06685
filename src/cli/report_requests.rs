//! `report --by <metadata key>`: spend of the logged requests (the model
//! invocation logs), grouped by day, month, model, region, principal and any
//! configured `requestMetadata` key, as a table, CSV or JSON. Each request
//! was priced on its own, so these amounts are exact per request; requests
//! without the key are reported under `(none)`.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::json;

use super::args::ReportFormat;
use super::CliError;
use crate::app::AppError;
use crate::budgets::period::local_days;
use crate::config::Loaded;
use crate::money::{display_usd, exact};
use crate::records::RequestSum;

/// What a request key is made of.
const FIXED: [&str; 5] = ["month", "day", "model", "region", "principal"];
const NONE: &str = "(none)";

/// Whether `--by` names a configured metadata key, which only the request
/// report can group by.
pub fn wants(by: &str, loaded: &Loaded) -> bool {
    let keys = &loaded.config.sources.invocation_logs.metadata_keys;
    by.split(',').map(str::trim).any(|d| keys.iter().any(|k| k == d))
}

#[derive(Default)]
struct Totals {
    requests: u64,
    tokens: u64,
    unpriced_requests: u64,
    usd: Decimal,
}

type Rows = BTreeMap<Vec<String>, Totals>;

pub async fn run(
    loaded: &Loaded,
    by: &str,
    (from, to, tz): (NaiveDate, NaiveDate, Tz),
    format: ReportFormat,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let keys = &loaded.config.sources.invocation_logs.metadata_keys;
    let dims: Vec<String> = by.split(',').map(|d| d.trim().to_string()).filter(|d| !d.is_empty()).collect();
    if let Some(bad) = dims.iter().find(|d| !FIXED.contains(&d.as_str()) && !keys.contains(d)) {
        return Err(CliError::Argument {
            arg: "by",
            reason: format!(
                "`{bad}` is neither one of {} nor a configured metadata key ({})",
                FIXED.join(", "),
                keys.join(", ")
            ),
        });
    }
    let store = crate::app::open_backend(loaded).await?;
    let mut rows = Rows::new();
    let mut total = Totals::default();
    for (day, start, end) in local_days(from, to, tz) {
        for sum in store.request_sums(start, end).await.map_err(AppError::from)? {
            let key = dims.iter().map(|d| key_text(&sum, day, d)).collect();
            add(rows.entry(key).or_default(), &sum)?;
            add(&mut total, &sum)?;
        }
    }
    match format {
        ReportFormat::Table => table(out, &dims, &rows, &total, (from, to, tz))?,
        ReportFormat::Csv => csv(out, &dims, &rows)?,
        ReportFormat::Json => writeln!(out, "{}", to_json(&dims, &rows, &total, from, to))?,
    }
    Ok(())
}

fn key_text(s: &RequestSum, day: NaiveDate, d: &str) -> String {
    match d {
        "month" => format!("{}-{:02}", day.year(), day.month()),
        "day" => day.to_string(),
        "model" => s.model.clone().unwrap_or_else(|| s.model_id.clone()),
        "region" => s.region.clone(),
        "principal" => s.principal.clone(),
        key => s.dimensions.get(key).cloned().unwrap_or_else(|| NONE.to_string()),
    }
}

fn add(t: &mut Totals, s: &RequestSum) -> Result<(), CliError> {
    t.requests += s.requests;
    t.tokens += s.tokens.total();
    if s.model.is_none() {
        t.unpriced_requests += s.requests;
    }
    t.usd = t.usd.checked_add(s.usd).ok_or_else(|| CliError::Argument {
        arg: "from",
        reason: "the spend of this window overflows exact arithmetic".into(),
    })?;
    Ok(())
}

fn table(
    out: &mut dyn Write,
    dims: &[String],
    rows: &Rows,
    total: &Totals,
    (from, to, tz): (NaiveDate, NaiveDate, Tz),
) -> std::io::Result<()> {
    writeln!(
        out,
        "logged requests {from} to {to} ({tz}), each priced on its own; USD rounded to the cent\n"
    )?;
    let widths: Vec<usize> = dims
        .iter()
        .enumerate()
        .map(|(i, d)| rows.keys().map(|k| k[i].len()).max().unwrap_or(0).max(d.len()))
        .collect();
    let mut header = String::new();
    for (d, w) in dims.iter().zip(&widths) {
        header.push_str(&format!("{d:<w$}  "));
    }
    writeln!(out, "{header}{:>10} {:>14} {:>14}", "requests", "tokens", "USD")?;
    for (key, t) in rows {
        let mut line = String::new();
        for (k, w) in key.iter().zip(&widths) {
            line.push_str(&format!("{k:<w$}  "));
        }
        writeln!(out, "{line}{:>10} {:>14} {:>14}", t.requests, t.tokens, display_usd(t.usd))?;
    }
    let pad: usize = widths.iter().map(|w| w + 2).sum();
    writeln!(
        out,
        "{:<pad$}{:>10} {:>14} {:>14}",
        "total",
        total.requests,
        total.tokens,
        display_usd(total.usd)
    )?;
    if total.unpriced_requests > 0 {
        writeln!(
            out,
            "\n{} requests have no price: USD counts priced requests only",
            total.unpriced_requests
        )?;
    }
    Ok(())
}

fn csv(out: &mut dyn Write, dims: &[String], rows: &Rows) -> std::io::Result<()> {
    writeln!(out, "{},requests,tokens,unpriced_requests,usd", dims.join(","))?;
    for (key, t) in rows {
        let key: Vec<String> = key.iter().map(|k| super::report::csv_field(k)).collect();
        writeln!(
            out,
            "{},{},{},{},{}",
            key.join(","),
            t.requests,
            t.tokens,
            t.unpriced_requests,
            exact(t.usd)
        )?;
    }
    Ok(())
}

fn to_json(
    dims: &[String],
    rows: &Rows,
    total: &Totals,
    from: NaiveDate,
    to: NaiveDate,
) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|(key, t)| {
            let mut row = serde_json::Map::new();
            for (d, k) in dims.iter().zip(key) {
                row.insert(d.clone(), json!(k));
            }
            row.insert("requests".into(), json!(t.requests));
            row.insert("tokens".into(), json!(t.tokens));
            row.insert("unpriced_requests".into(), json!(t.unpriced_requests));
            row.insert("usd".into(), json!(exact(t.usd)));
            serde_json::Value::Object(row)
        })
        .collect();
    json!({
        "from": from.to_string(),
        "to": to.to_string(),
        "source": "invocation_logs",
        "rows": rows,
        "total": { "requests": total.requests, "tokens": total.tokens, "usd": exact(total.usd) },
    })
}
