//! `report --alerts`: the alert outbox as operators need it after an
//! incident: every alert still kept, newest first, with its delivery state
//! (pending, uncertain, published, parked), attempts, next try and last
//! error, as a table, CSV or JSON. Parked alerts (the dead letter) are the
//! ones finance never received; this is where they are read back.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use super::args::ReportFormat;
use super::report::csv_field;
use super::CliError;
use crate::app::AppError;
use crate::config::Loaded;
use crate::ledger::{Delivery, OutboxEntry};

/// Alerts listed at most (the outbox keeps published ones for a retention period).
const LIMIT: usize = 1000;

pub async fn run(loaded: &Loaded, format: ReportFormat, out: &mut dyn Write) -> Result<(), CliError> {
    let store = crate::app::open_backend(loaded).await?;
    let alerts = store.recent_alerts(LIMIT).await.map_err(AppError::from)?;
    match format {
        ReportFormat::Table => table(out, &alerts)?,
        ReportFormat::Csv => csv(out, &alerts)?,
        ReportFormat::Json => writeln!(out, "{}", to_json(&alerts))?,
    }
    Ok(())
}

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default()
}

/// When the entry reached its state: published or parked, else its next try.
fn when(e: &OutboxEntry) -> Option<DateTime<Utc>> {
    e.published_at.or(e.parked_at).or(e.retry_at)
}

fn table(out: &mut dyn Write, alerts: &[OutboxEntry]) -> std::io::Result<()> {
    let count = |d: Delivery| alerts.iter().filter(|e| e.delivery() == d).count();
    writeln!(
        out,
        "{} alerts: {} published, {} pending, {} uncertain, {} parked",
        alerts.len(),
        count(Delivery::Published),
        count(Delivery::Pending),
        count(Delivery::Uncertain),
        count(Delivery::Parked)
    )?;
    if alerts.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{:<20}  {:<9}  {:>8}  {:<20}  {:<24}  subject / last error",
        "created", "state", "attempts", "at", "kind"
    )?;
    for e in alerts {
        let at = time(when(e));
        let state = e.delivery().as_str();
        writeln!(
            out,
            "{:<20}  {state:<9}  {:>8}  {at:<20}  {:<24}  {}",
            time(Some(e.created_at)),
            e.attempts,
            e.kind,
            e.subject
        )?;
        if let (Some(error), false) = (&e.last_error, e.delivery() == Delivery::Published) {
            writeln!(out, "{:<90}  ! {error}", "")?;
        }
    }
    Ok(())
}

fn csv(out: &mut dyn Write, alerts: &[OutboxEntry]) -> std::io::Result<()> {
    writeln!(
        out,
        "created,state,attempts,published_at,parked_at,retry_at,kind,dedupe_key,subject,last_error"
    )?;
    for e in alerts {
        let fields = [
            time(Some(e.created_at)),
            e.delivery().as_str().to_string(),
            e.attempts.to_string(),
            time(e.published_at),
            time(e.parked_at),
            time(e.retry_at),
            e.kind.clone(),
            e.dedupe_key.clone(),
            e.subject.clone(),
            e.last_error.clone().unwrap_or_default(),
        ];
        writeln!(out, "{}", fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","))?;
    }
    Ok(())
}

fn to_json(alerts: &[OutboxEntry]) -> serde_json::Value {
    let rows: Vec<_> = alerts
        .iter()
        .map(|e| {
            json!({
                "created_at": time(Some(e.created_at)),
                "state": e.delivery().as_str(),
                "attempts": e.attempts,
                "published_at": e.published_at.map(|t| time(Some(t))),
                "parked_at": e.parked_at.map(|t| time(Some(t))),
                "retry_at": e.retry_at.map(|t| time(Some(t))),
                "kind": e.kind,
                "dedupe_key": e.dedupe_key,
                "subject": e.subject,
                "last_error": e.last_error,
                // The message exactly as it was (or will be) published.
                "body": serde_json::from_str::<serde_json::Value>(&e.body).unwrap_or_else(|_| json!(e.body)),
            })
        })
        .collect();
    json!({ "alerts": rows })
}
