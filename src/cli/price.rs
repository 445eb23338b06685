//! `price`: one usage of one model, priced exactly with the entry in force.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::args::PriceArgs;
use super::{CliError, EXIT_UNPRICED};
use crate::clock::Clock;
use crate::money::{display_rate, display_usd, exact};
use crate::pricing::{PriceOptions, PriceOutcome, Priced, Pricer, TokenType, Usage};

pub fn run(
    config: &Path,
    args: &PriceArgs,
    clock: &dyn Clock,
    out: &mut dyn Write,
) -> Result<ExitCode, CliError> {
    let loaded = crate::config::load(config, clock.now())?;
    let at = match &args.at {
        Some(text) => parse_instant(text)?,
        None => clock.now(),
    };
    let region = match &args.region {
        Some(r) if crate::names::is_region(r) => r.clone(),
        Some(r) => {
            return Err(CliError::Argument {
                arg: "region",
                reason: format!("`{r}` is not an AWS region name"),
            })
        }
        None => crate::names::arn_region(&args.model)
            .map(str::to_string)
            .unwrap_or_else(|| loaded.config.monitor.regions[0].clone()),
    };
    let usage = usage(args);
    let opts = PriceOptions { batch: args.batch, long_context: args.long_context };
    let pricer = Pricer::new(&loaded.prices, &loaded.config.pricing.application_profiles);
    match pricer.price(&args.model, &region, at, &usage, opts)? {
        PriceOutcome::Priced(p) if args.json => writeln!(out, "{}", priced_json(&p))?,
        PriceOutcome::Priced(p) => write_table(out, &p, &region, at)?,
        PriceOutcome::Unpriced { model_id, reason } => {
            if args.json {
                let body = json!({"model_id": model_id, "unpriced": true, "reason": reason.to_string()});
                writeln!(out, "{body}")?;
            }
            eprintln!("error: `{model_id}` is unpriced: {reason}");
            return Ok(ExitCode::from(EXIT_UNPRICED));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn usage(args: &PriceArgs) -> Usage {
    Usage::new()
        .with(TokenType::Input, args.input)
        .with(TokenType::Output, args.output)
        .with(TokenType::CacheRead, args.cache_read)
        .with(TokenType::CacheWrite5m, args.cache_write)
        .with(TokenType::CacheWrite1h, args.cache_write_1h)
}

/// RFC 3339 instant, or a plain date meaning midnight UTC.
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, CliError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| CliError::Argument {
            arg: "at",
            reason: format!("`{text}` is neither RFC 3339 (2026-03-13T00:00:00Z) nor a date (2026-03-13)"),
        })
}

/// The `price --json` contract (README, "`price`"): money as
/// decimal strings, so no consumer ever sees a rounded float.
pub fn priced_json(p: &Priced<'_>) -> serde_json::Value {
    let lines: Vec<_> = p
        .cost
        .lines
        .iter()
        .map(|l| {
            json!({
                "token_type": l.token_type.as_str(),
                "tokens": l.tokens,
                "usd_per_million": exact(l.usd_per_million),
                "usd": exact(l.usd),
            })
        })
        .collect();
    json!({
        "model_id": p.resolved.model_id,
        "resolved_model": p.resolved.model,
        "price_entry": p.entry.id,
        "lines": lines,
        "total_usd": exact(p.cost.total_usd),
    })
}

fn write_table(out: &mut dyn Write, p: &Priced<'_>, region: &str, at: DateTime<Utc>) -> std::io::Result<()> {
    let r = &p.resolved;
    writeln!(out, "model      {}", r.model_id)?;
    let tier = if r.tier.is_standard() { String::new() } else { format!(", `{}` tier", r.tier) };
    writeln!(out, "resolved   {} ({}), {} via {}{tier}", r.model, r.name, r.endpoint, r.form.as_str())?;
    writeln!(
        out,
        "priced     {} in {region} at {}",
        p.entry.id,
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )?;
    writeln!(out, "source     {} (checked {})", p.entry.source, p.entry.checked)?;
    writeln!(out)?;
    writeln!(out, "{:<16} {:>15} {:>12} {:>14}", "token type", "tokens", "USD / 1M", "USD")?;
    for l in &p.cost.lines {
        writeln!(
            out,
            "{:<16} {:>15} {:>12} {:>14}",
            l.token_type.as_str(),
            l.tokens,
            display_rate(l.usd_per_million),
            display_usd(l.usd)
        )?;
    }
    writeln!(out, "{:<16} {:>15} {:>12} {:>14}", "total", "", "", display_usd(p.cost.total_usd))?;
    writeln!(
        out,
        "\nexact total: {} USD (displayed amounts are rounded to the cent, half away from zero)",
        exact(p.cost.total_usd)
    )
}
