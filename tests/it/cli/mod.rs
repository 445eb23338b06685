//! The binary as users call it: `price`, `check-config` and `report`, output
//! and exit status, and the commands each build offers. Also run against the
//! build without the `demo` feature, which is what the release image ships.
//! `report.rs`: `report` on a seeded ledger, in every format and with `--bounds`.
//! `report_requests.rs`: `report --by user_id` on a seeded request ledger.
//! `report_alerts.rs`: `report --alerts` on a seeded outbox.
//! `reprice.rs`: `reprice` on a ledger priced with an older table.

mod report;
mod report_alerts;
mod report_requests;
mod reprice;

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bedrock-cost-monitor"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("BCM_CONFIG")
        .output()
        .expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The commands `--help` lists, in the order it lists them.
fn commands() -> Vec<String> {
    let help = stdout(&run(&["--help"]));
    let listed = help.lines().skip_while(|l| !l.starts_with("Commands:")).skip(1);
    listed
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect()
}

#[test]
fn every_build_offers_the_operational_commands() {
    let listed = commands();
    for command in ["price", "check-config", "report", "reprice", "run", "create-table", "healthcheck"] {
        assert!(listed.iter().any(|c| c == command), "`{command}` missing from {listed:?}");
    }
    assert_eq!(listed.iter().any(|c| c == "demo"), cfg!(feature = "demo"), "{listed:?}");
}

#[test]
fn create_table_refuses_a_config_without_a_table() {
    let o = run(&["create-table", "--config", "config/example.toml"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("store.kind is not \"dynamodb\": there is no table to create"),
        "{}",
        stderr(&o)
    );
}

#[cfg(not(feature = "demo"))]
#[test]
fn demo_says_it_is_not_in_a_build_without_the_feature() {
    let o = run(&["demo", "--duration", "1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("`demo` is not in this build"), "{}", stderr(&o));
    assert!(stderr(&o).contains("cargo run --release -- demo"), "{}", stderr(&o));
}

#[test]
fn price_json_is_the_documented_contract() {
    let o = run(&[
        "price",
        "--model",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "--input",
        "1200000",
        "--output",
        "350000",
        "--cache-read",
        "800000",
        "--at",
        "2026-11-25",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // 1.2M × 3.30 + 0.35M × 16.50 + 0.8M × 0.33 = 3.96 + 5.775 + 0.264
    let want = r#"{"model_id":"us.anthropic.claude-sonnet-4-5-20250929-v1:0","resolved_model":"claude-sonnet-4-5","price_entry":"claude-sonnet-4-5:regional:2025-09-29","lines":[{"token_type":"input","tokens":1200000,"usd_per_million":"3.3","usd":"3.96"},{"token_type":"output","tokens":350000,"usd_per_million":"16.5","usd":"5.775"},{"token_type":"cache_read","tokens":800000,"usd_per_million":"0.33","usd":"0.264"}],"total_usd":"9.999"}"#;
    assert_eq!(stdout(&o).trim(), want);
}

#[test]
fn price_table_shows_rounded_and_exact_amounts() {
    let o = run(&[
        "price",
        "--model",
        "global.anthropic.claude-opus-4-5-20251101-v1:0",
        "--input",
        "1000",
        "--cache-write-1h",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    // 1,000 × 5 / 10⁶ + 3 × 10 / 10⁶ = 0.005 + 0.00003
    assert!(out.contains("claude-opus-4-5:global:2025-11-24"), "{out}");
    assert!(out.contains("exact total: 0.00503 USD"), "{out}");
    assert!(out.contains("cache_write_1h"), "{out}");
}

#[test]
fn region_and_time_select_the_entry() {
    let o = run(&[
        "price",
        "--model",
        "global.anthropic.claude-sonnet-4-6",
        "--input",
        "300000",
        "--long-context",
        "--at",
        "2026-03-12T23:59:59Z",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(r#""total_usd":"1.8""#), "{}", stdout(&o));
    let after = run(&[
        "price",
        "--model",
        "global.anthropic.claude-sonnet-4-6",
        "--input",
        "300000",
        "--long-context",
        "--at",
        "2026-03-13T00:00:00Z",
    ]);
    assert!(!after.status.success());
    assert!(stderr(&after).contains("has no long-context tier"), "{}", stderr(&after));
    let bad_region = run(&[
        "price",
        "--model",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "--region",
        "atlantis",
        "--input",
        "1",
    ]);
    assert!(
        stderr(&bad_region).contains("--region: `atlantis` is not an AWS region name"),
        "{}",
        stderr(&bad_region)
    );
}

#[test]
fn unpriced_model_exits_3_with_a_clear_message() {
    let o = run(&["price", "--model", "anthropic.claude-opus-9-20300101-v1:0", "--input", "5", "--json"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("`anthropic.claude-opus-9-20300101-v1:0` is unpriced"), "{}", stderr(&o));
    assert!(stdout(&o).contains(r#""unpriced":true"#), "{}", stdout(&o));
}

#[test]
fn a_tiered_id_is_unpriced_with_the_reason() {
    let o = run(&[
        "price",
        "--model",
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0+priority",
        "--input",
        "5",
    ]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains(
            "error: `global.anthropic.claude-sonnet-4-5-20250929-v1:0+priority` is unpriced: no price for the \
             `priority` tier of Claude Sonnet 4.5 in the table (add a [[price]] with tier = \"priority\")"
        ),
        "{err}"
    );
    let gov = run(&[
        "price",
        "--model",
        "us-gov.anthropic.claude-haiku-4-5-20251001-v1:0",
        "--input",
        "5",
        "--json",
    ]);
    assert_eq!(gov.status.code(), Some(3));
    assert!(stdout(&gov).contains("no GovCloud price for Claude Haiku 4.5"), "{}", stdout(&gov));
}

#[test]
fn check_config_summarises_a_valid_config() {
    let o = run(&["check-config", "--config", "config/example.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "regions      us-east-1, us-west-2",
        "accounts     one: the own credentials read usage and write the store and alerts",
        "claude-sonnet-4-5      Claude Sonnet 4.5: anthropic.claude-sonnet-4-5, anthropic.claude-sonnet-4-5-*",
        "    govcloud             3.60 / 18.00 / 0.36 / 4.50 / 7.20, long-context tier above 200000 prompt tokens",
        "    global               4.00 / 20.00 / 0.20 / 5.00 / 8.00",
        "not listed, so unpriced: other service tiers (priority, flex, reserved, …)",
        "claude-monthly",
        "opus-daily",
        "cloudwatch        0 */15 * * * *",
        "digest",
        "compaction        0 17 4 * * *",
        "minute rows kept 35 days, then folded into hourly rollups",
        "invocation   logs off (no sources.invocation_logs.regions)",
        "invocation_logs   disabled",
        "http         0.0.0.0:9470 (/metrics, /healthz, /readyz; timeouts: head 5 s, request 10 s, idle 30 s; \
         128 connections, 32 per client; 16384 bytes a request)",
        "api          127.0.0.1:9471 (/api/v1; no token; unknown model: deny; stale after 2700 s: fail_open)",
    ] {
        assert!(out.contains(needle), "missing `{needle}` in\n{out}");
    }
    // Three next run times per job.
    assert!(out.contains("cloudwatch_detail 0 5 */2 * * *"), "{out}");
    let cloudwatch = out.lines().find(|l| l.trim_start().starts_with("cloudwatch ")).unwrap();
    assert_eq!(cloudwatch.matches(", ").count(), 2, "{cloudwatch}");
}

#[test]
fn check_config_refuses_a_broken_config_with_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let prices = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/prices.toml");
    std::fs::copy(prices, dir.path().join("prices.toml")).unwrap();
    let cfg = dir.path().join("monitor.toml");
    std::fs::write(&cfg, "[monitor]\nregions = []\n\n[sources.cloudwatch]\nschedule = \"never\"\n").unwrap();
    let o = run(&["check-config", "--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("monitor.toml:5: sources.cloudwatch.schedule: invalid cron expression `never`"),
        "{err}"
    );

    std::fs::write(&cfg, "[monitor]\nregions = []\n").unwrap();
    let o = run(&["check-config", "--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("monitor.toml:2: monitor.regions: needs at least one AWS region"),
        "{}",
        stderr(&o)
    );

    let missing = run(&["check-config", "--config", "/nonexistent/monitor.toml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("/nonexistent/monitor.toml: cannot read"), "{}", stderr(&missing));
}
