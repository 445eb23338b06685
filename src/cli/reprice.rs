//! `reprice`: price the ledger's cost lines of whole UTC days again with
//! the price table now on disk (`reprice::run`), print the difference per
//! day and model ID, and unless `--dry-run` rewrite them; `--history` lists
//! the re-prices the ledger recorded. Parses and prints only.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use chrono::NaiveDate;

use super::args::RepriceArgs;
use super::reprice_print;
use super::CliError;
use crate::app::AppError;
use crate::clock::Clock;
use crate::config::{Loaded, StoreKind};
use crate::pricing::PointPricer;
use crate::reprice::{self, RepriceError, Request, Window};

pub fn run(
    config: &Path,
    args: &RepriceArgs,
    clock: &dyn Clock,
    out: &mut dyn Write,
) -> Result<ExitCode, CliError> {
    let Some(loaded) = super::load_reporting(config, clock.now())? else { return Ok(ExitCode::FAILURE) };
    super::require_ledger(&loaded)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    if args.history {
        let store = runtime.block_on(crate::app::open_backend(&loaded))?;
        let records = runtime.block_on(store.reprice_records()).map_err(AppError::from)?;
        reprice_print::history(out, &records, args.format)?;
        return Ok(ExitCode::SUCCESS);
    }
    let window = window(args, clock.now().date_naive())?;
    let pricer = PointPricer::from_config(&loaded);
    let request = Request {
        window,
        apply: !args.dry_run,
        by: args.by.clone().unwrap_or_else(default_by),
        force: args.force,
        now: clock.now(),
        table_sha256: loaded.price_table_sha256.clone(),
        pricer: &pricer,
        attribute_regions: attribute_regions(&loaded),
    };
    let report = runtime.block_on(async {
        let store = crate::app::open_backend(&loaded).await?;
        reprice::run(store.as_ref(), &request).await.map_err(|e| explain(e, &loaded))
    })?;
    reprice_print::report(out, &report, &loaded.price_table_path, args.format)?;
    Ok(ExitCode::SUCCESS)
}

/// `--from` and `--to` as whole UTC days, `--to` included and not after today.
fn window(args: &RepriceArgs, today: NaiveDate) -> Result<Window, CliError> {
    let day = |arg: &'static str, text: Option<&str>| {
        let text = text.ok_or(CliError::Argument { arg, reason: "is required".into() })?;
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| CliError::Argument {
            arg,
            reason: format!("`{text}` is not a UTC day like 2026-03-01"),
        })
    };
    let (from, to) = (day("from", args.from.as_deref())?, day("to", args.to.as_deref())?);
    if to < from {
        return Err(CliError::Argument {
            arg: "to",
            reason: format!("{to} is before --from {from} (--to is the last day, included)"),
        });
    }
    if to > today {
        return Err(CliError::Argument {
            arg: "to",
            reason: format!("{to} is after today ({today} UTC): the ledger has no minute of it yet"),
        });
    }
    Ok(Window { from, to })
}

/// The regions whose shares the daemon splits (CloudTrail or invocation logs on).
fn attribute_regions(loaded: &Loaded) -> Vec<String> {
    let sources = &loaded.config.sources;
    match sources.cloudtrail.enabled || sources.invocation_logs.enabled() {
        true => loaded.config.monitor.regions.clone(),
        false => Vec::new(),
    }
}

/// `$USER@hostname`, what the audit names when `--by` is not given.
fn default_by() -> String {
    let user =
        std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{user}@{host}")
}

/// Errors that name the setting or the argument behind them.
fn explain(e: RepriceError, loaded: &Loaded) -> CliError {
    match e {
        RepriceError::BeforeHorizon { .. } => {
            let why = match loaded.config.store.kind {
                StoreKind::Sqlite => {
                    "older minutes are folded into hourly rollups, which do not keep the price entry and \
                     minute each line was priced at (store.sqlite_minute_retention_days)"
                }
                StoreKind::Dynamodb => {
                    "older minute rows expire by TTL, and re-writing an expired row would count it twice \
                     (store.dynamodb_minute_retention_days)"
                }
            };
            CliError::Argument { arg: "from", reason: format!("{e}: {why}") }
        }
        RepriceError::TableDiffers { .. } => {
            CliError::Reprice(format!("{e} ({} is the file applied)", loaded.price_table_path.display()))
        }
        RepriceError::Store(s) => CliError::App(AppError::Store(s)),
        other => CliError::Reprice(other.to_string()),
    }
}
