//! How `reprice` prints: the difference per UTC day and model ID with a
//! total row (table rounded to the cent; CSV and JSON exact), and the
//! recorded re-prices for `--history`. Prints only.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::args::ReportFormat;
use super::report::csv_field;
use crate::ledger::RepriceRecord;
use crate::money::{display_usd, exact};
use crate::reprice::{Report, Row};

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn signed(d: Decimal) -> String {
    if d.is_sign_positive() && !d.is_zero() {
        format!("+{}", display_usd(d))
    } else {
        display_usd(d)
    }
}

/// A USD cell; tokens that are all unpriced have no amount, which is not $0.
fn cell(usd: Decimal, unpriced: u64, tokens: u64) -> String {
    if tokens > 0 && unpriced == tokens {
        "unpriced".into()
    } else {
        display_usd(usd)
    }
}

fn short(sha: Option<&str>) -> String {
    sha.map_or_else(|| "unknown".to_string(), |s| s.chars().take(12).collect())
}

pub fn report(out: &mut dyn Write, r: &Report, table: &Path, format: ReportFormat) -> std::io::Result<()> {
    match format {
        ReportFormat::Table => text(out, r, table),
        ReportFormat::Csv => csv(out, r),
        ReportFormat::Json => writeln!(out, "{}", to_json(r, table)),
    }
}

fn window_line(r: &Report) -> String {
    format!(
        "UTC days {} through {} (--to included): [{}, {})",
        r.window.from,
        r.window.to,
        time(r.window.start()),
        time(r.window.end())
    )
}

fn leader_line(r: &Report) -> String {
    match &r.in_use {
        None => "not recorded (no leader of this version has started on this ledger)".into(),
        Some(f) if f.sha256 == r.table_after => {
            format!("the same (leader {}, since {})", f.holder, time(f.since))
        }
        Some(f) => {
            format!("ANOTHER table, sha256 {} (leader {}, since {})", f.sha256, f.holder, time(f.since))
        }
    }
}

fn text(out: &mut dyn Write, r: &Report, table: &Path) -> std::io::Result<()> {
    let mode = if r.applied { "applied" } else { "dry run, nothing written" };
    writeln!(out, "re-price ({mode}) of {}", window_line(r))?;
    writeln!(out, "price table:   {} (sha256 {})", table.display(), r.table_after)?;
    writeln!(out, "priced before: {}", r.table_before.as_deref().unwrap_or("unknown"))?;
    writeln!(out, "leader's table: {}", leader_line(r))?;
    writeln!(out, "USD rounded to the cent (CSV and JSON are exact)\n")?;
    let rows: Vec<&Row> = r.rows().collect();
    let model = |row: &Row| row.model.clone().unwrap_or_else(|| "unpriced".into());
    let mw = rows.iter().map(|x| model(x).len()).max().unwrap_or(0).max(5);
    let iw = rows.iter().map(|x| x.model_id.len()).max().unwrap_or(0).max(8);
    writeln!(
        out,
        "{:<10}  {:<mw$}  {:<iw$}  {:>13}  {:>14}  {:>12}  {:>12}  {:>12}  {:>15}  {:>15}",
        "day",
        "model",
        "model ID",
        "lines changed",
        "tokens",
        "old USD",
        "new USD",
        "difference",
        "newly priced",
        "newly unpriced"
    )?;
    for row in &rows {
        writeln!(
            out,
            "{:<10}  {:<mw$}  {:<iw$}  {:>13}  {:>14}  {:>12}  {:>12}  {:>12}  {:>15}  {:>15}",
            row.day.to_string(),
            model(row),
            row.model_id,
            format!("{}/{}", row.changed, row.lines),
            row.tokens,
            cell(row.old_usd, row.unpriced_before(), row.tokens),
            cell(row.new_usd, row.unpriced, row.tokens),
            signed(row.difference()),
            row.became_priced,
            row.became_unpriced
        )?;
    }
    let t = r.total();
    writeln!(
        out,
        "{:<w$}  {:>13}  {:>14}  {:>12}  {:>12}  {:>12}  {:>15}  {:>15}",
        "total (every line of the window)",
        format!("{}/{}", t.changed, t.lines),
        t.tokens,
        display_usd(t.old_usd),
        display_usd(t.new_usd),
        signed(t.difference()),
        t.became_priced,
        t.became_unpriced,
        w = 10 + 2 + mw + 2 + iw
    )?;
    notes(out, r, &t)
}

fn notes(out: &mut dyn Write, r: &Report, t: &Row) -> std::io::Result<()> {
    writeln!(out)?;
    if t.became_priced > 0 {
        writeln!(out, "{} tokens that had no price are priced now (in new USD).", t.became_priced)?;
    }
    if t.became_unpriced > 0 {
        writeln!(
            out,
            "{} tokens priced before have no price in this table: new USD leaves them out.",
            t.became_unpriced
        )?;
    }
    if t.unpriced > 0 {
        writeln!(out, "{} tokens of the window stay unpriced.", t.unpriced)?;
    }
    if t.changed == 0 {
        return writeln!(out, "No line changes: the ledger already matches this table.");
    }
    if !r.applied {
        return writeln!(out, "Dry run: nothing was written. Run it again without --dry-run to apply.");
    }
    let days = r.days.iter().filter(|d| d.stats.is_some()).count();
    let already: usize = r.days.iter().filter_map(|d| d.stats).map(|s| s.already).sum();
    writeln!(
        out,
        "Applied: {} lines rewritten in {days} day(s), each day with its totals, rollups and audit record.",
        t.changed - already.min(t.changed)
    )?;
    if already > 0 {
        writeln!(out, "{already} lines were already at the new price (an earlier, interrupted run).")?;
    }
    if r.forced {
        writeln!(
            out,
            "Forced: the leader still prices recent minutes with its own table; restart it with this one."
        )?;
    }
    writeln!(
        out,
        "Budgets: the leader re-evaluates the open periods after its next usage collection; alerts of \
         periods already closed are not sent again."
    )
}

const CSV_HEADER: &str = "day,model,model_id,lines,changed,tokens,old_usd,new_usd,difference_usd,\
became_priced_tokens,became_unpriced_tokens,unpriced_tokens";

fn csv_row(day: &str, r: &Row) -> String {
    [
        csv_field(day),
        csv_field(r.model.as_deref().unwrap_or("")),
        csv_field(&r.model_id),
        r.lines.to_string(),
        r.changed.to_string(),
        r.tokens.to_string(),
        exact(r.old_usd),
        exact(r.new_usd),
        exact(r.difference()),
        r.became_priced.to_string(),
        r.became_unpriced.to_string(),
        r.unpriced.to_string(),
    ]
    .join(",")
}

fn csv(out: &mut dyn Write, r: &Report) -> std::io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    for row in r.rows() {
        writeln!(out, "{}", csv_row(&row.day.to_string(), row))?;
    }
    writeln!(out, "{}", csv_row("total", &r.total()))
}

fn row_json(r: &Row) -> Value {
    json!({
        "day": r.day.to_string(), "model": r.model, "model_id": r.model_id,
        "lines": r.lines, "changed": r.changed, "tokens": r.tokens,
        "old_usd": exact(r.old_usd), "new_usd": exact(r.new_usd), "difference_usd": exact(r.difference()),
        "became_priced_tokens": r.became_priced, "became_unpriced_tokens": r.became_unpriced,
        "unpriced_tokens": r.unpriced,
    })
}

fn to_json(r: &Report, table: &Path) -> Value {
    let mut total = row_json(&r.total());
    if let Some(m) = total.as_object_mut() {
        for k in ["day", "model", "model_id"] {
            m.remove(k);
        }
    }
    let days: Vec<Value> = r
        .days
        .iter()
        .map(|d| {
            let t = d.diff.total();
            json!({
                "day": d.diff.day.to_string(), "lines": t.lines, "changed": t.changed,
                "old_usd": exact(t.old_usd), "new_usd": exact(t.new_usd),
                "rewritten": d.stats.map(|s| s.rewritten), "already": d.stats.map(|s| s.already),
            })
        })
        .collect();
    json!({
        "window": { "from": r.window.from.to_string(), "to": r.window.to.to_string(), "to_included": true,
                    "start": time(r.window.start()), "end": time(r.window.end()) },
        "applied": r.applied,
        "forced": r.forced,
        "price_table": { "path": table.display().to_string(), "sha256": r.table_after,
                         "before_sha256": r.table_before },
        "leader_table": r.in_use.as_ref().map(|f| json!({ "sha256": f.sha256, "holder": f.holder, "since": time(f.since) })),
        "rows": r.rows().map(row_json).collect::<Vec<_>>(),
        "total": total,
        "days": days,
    })
}

/// The recorded re-prices: one line per run in the table, one per day in CSV and JSON.
pub fn history(out: &mut dyn Write, records: &[RepriceRecord], format: ReportFormat) -> std::io::Result<()> {
    match format {
        ReportFormat::Table => history_table(out, records),
        ReportFormat::Csv => {
            writeln!(out, "at,by,from,to,day,table_before,table_after,forced,lines,old_usd,new_usd,became_priced,became_unpriced")?;
            for r in records {
                let fields = [
                    time(r.at),
                    csv_field(&r.by),
                    time(r.from),
                    time(r.to),
                    r.day.to_string(),
                    r.table_before.clone().unwrap_or_default(),
                    r.table_after.clone(),
                    r.forced.to_string(),
                    r.lines.to_string(),
                    exact(r.old_usd),
                    exact(r.new_usd),
                    r.became_priced.to_string(),
                    r.became_unpriced.to_string(),
                ];
                writeln!(out, "{}", fields.join(","))?;
            }
            Ok(())
        }
        ReportFormat::Json => {
            let list: Vec<Value> =
                records.iter().map(|r| serde_json::to_value(r).unwrap_or(Value::Null)).collect();
            writeln!(out, "{}", Value::Array(list))
        }
    }
}

fn history_table(out: &mut dyn Write, records: &[RepriceRecord]) -> std::io::Result<()> {
    if records.is_empty() {
        return writeln!(out, "no re-price recorded in this ledger");
    }
    let mut runs: BTreeMap<(DateTime<Utc>, &str), Vec<&RepriceRecord>> = BTreeMap::new();
    for r in records {
        runs.entry((r.at, &r.by)).or_default().push(r);
    }
    writeln!(
        out,
        "{:<20}  {:<24}  {:<23}  {:>4}  {:>7}  {:>12}  {:>12}  {:>12}  {:<27}",
        "at (UTC)",
        "by",
        "UTC days applied",
        "days",
        "lines",
        "old USD",
        "new USD",
        "difference",
        "table before -> after"
    )?;
    for ((at, by), days) in runs {
        let (first, last) = (days[0].day, days[days.len() - 1].day);
        let old: Decimal = days.iter().map(|d| d.old_usd).sum();
        let new: Decimal = days.iter().map(|d| d.new_usd).sum();
        let lines: usize = days.iter().map(|d| d.lines).sum();
        let forced = if days.iter().any(|d| d.forced) { " (forced)" } else { "" };
        writeln!(
            out,
            "{:<20}  {:<24}  {:<23}  {:>4}  {:>7}  {:>12}  {:>12}  {:>12}  {} -> {}{forced}",
            time(at),
            by,
            format!("{first} .. {last}"),
            days.len(),
            lines,
            display_usd(old),
            display_usd(new),
            signed(new - old),
            short(days[0].table_before.as_deref()),
            short(Some(&days[0].table_after))
        )?;
    }
    Ok(())
}
