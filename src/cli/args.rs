//! Argument definitions (clap). Names and flags are a user contract: see README.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "bedrock-cost-monitor",
    version,
    about = "Exact, near-real-time cost of Claude on AWS Bedrock"
)]
pub struct Cli {
    /// Monitor configuration file.
    #[arg(long, global = true, env = "BCM_CONFIG", default_value = crate::config::DEFAULT_PATH)]
    pub config: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Price one usage of a model exactly, with the price in force at a time.
    Price(PriceArgs),
    /// Validate the configuration and price table and print a summary.
    CheckConfig,
    /// Spend from the ledger, by day, model, region and token type (for finance).
    Report(ReportArgs),
    /// Run the daemon: collect, price, keep the ledger, serve /metrics (until SIGTERM/SIGINT).
    Run,
    /// Price the ledger's cost lines of whole UTC days again with the price table now on disk, print the
    /// difference per day and model ID, and (without --dry-run) rewrite lines, totals and rollups.
    Reprice(RepriceArgs),
    /// The newcomer's first command: local AWS emulator, simulated Bedrock traffic, the daemon.
    // Kept, hidden, in builds without the `demo` feature, so asking for it
    // explains what is missing instead of "unrecognized subcommand".
    #[cfg_attr(not(feature = "demo"), command(hide = true))]
    Demo {
        /// Stop after this many seconds (default: run until Ctrl-C).
        #[arg(long = "duration")]
        duration_secs: Option<u64>,
    },
    /// Create the DynamoDB table of `store.dynamodb_table` with the key schema and TTL the ledger needs,
    /// if it is missing (for trials and the local emulator; production tables come from Terraform).
    CreateTable,
    /// Exit 0 when the local daemon is ready (for the ECS container health check).
    Healthcheck {
        /// Readiness URL (default: /readyz on the configured port over loopback).
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct PriceArgs {
    /// Model ID as passed to Bedrock: base ID, inference profile (us., eu., global., …) or ARN.
    #[arg(long)]
    pub model: String,
    /// AWS region the call was made in (default: the ARN's region, else the first configured region).
    #[arg(long)]
    pub region: Option<String>,
    /// Price in force at this time: RFC 3339 (2026-03-13T00:00:00Z) or a date (midnight UTC). Default: now.
    #[arg(long)]
    pub at: Option<String>,
    /// Input tokens (excluding cache reads and writes).
    #[arg(long, default_value_t = 0)]
    pub input: u64,
    /// Output tokens.
    #[arg(long, default_value_t = 0)]
    pub output: u64,
    /// Cache read tokens.
    #[arg(long, default_value_t = 0)]
    pub cache_read: u64,
    /// Cache write tokens at the 5-minute TTL.
    #[arg(long, default_value_t = 0)]
    pub cache_write: u64,
    /// Cache write tokens at the 1-hour TTL.
    #[arg(long = "cache-write-1h", default_value_t = 0)]
    pub cache_write_1h: u64,
    /// Batch inference (the batch discount applies).
    #[arg(long)]
    pub batch: bool,
    /// The usage belongs to requests above the model's long-context threshold.
    #[arg(long)]
    pub long_context: bool,
    /// Print JSON with money as exact decimal strings.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// First day, in the configured timezone (default: the first of this month).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, inclusive (default: today).
    #[arg(long)]
    pub to: Option<String>,
    /// Group by any of month, day, model, account, region, project, principal, token_type (comma-separated; empty =
    /// one total). `principal` reports the attributed shares (CloudTrail) and cannot be combined with token_type.
    /// A configured `sources.invocation_logs.metadata_keys` key (e.g. user_id) reports the logged requests instead,
    /// by month, day, model, region, principal and metadata keys.
    #[arg(long, default_value = "day,model")]
    pub by: String,
    /// Add what CloudWatch's per-minute sums leave uncertain: the most the long-context tier could add
    /// (and the minutes where some request certainly was long), and the cost range of the other cache-write TTL.
    #[arg(long)]
    pub bounds: bool,
    /// List the alert outbox instead of spend: every alert kept, newest first, with its delivery state
    /// (pending, uncertain: may have reached SNS, published, parked: given up on), attempts and last error.
    #[arg(long, conflicts_with_all = ["from", "to", "by", "bounds"])]
    pub alerts: bool,
    /// Compare the ledger with the bill (Cost Explorer, as the daemon stored it) per UTC day: drift per region,
    /// model and token type, unmapped billed lines, unpriced tokens, stale rates. --from/--to are UTC days
    /// (default: the configured lookback, up to yesterday).
    #[arg(long, conflicts_with_all = ["by", "bounds", "alerts"])]
    pub reconcile: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct RepriceArgs {
    /// First UTC day to re-price (2026-03-01).
    #[arg(long, required_unless_present = "history")]
    pub from: Option<String>,
    /// Last UTC day to re-price, inclusive (2026-03-31).
    #[arg(long, required_unless_present = "history")]
    pub to: Option<String>,
    /// Print what would change and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Who re-prices, for the audit record (default: $USER@hostname).
    #[arg(long)]
    pub by: Option<String>,
    /// Apply even though the running leader prices with another price table (its re-reads of recent
    /// minutes will price them with its own table again).
    #[arg(long)]
    pub force: bool,
    /// List the re-prices recorded in the ledger instead (who, when, window, tables, per-day totals).
    #[arg(long, conflicts_with_all = ["from", "to", "dry_run", "by", "force"])]
    pub history: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Csv,
    Json,
}
