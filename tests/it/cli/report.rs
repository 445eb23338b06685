//! `report` on a seeded SQLite ledger: exact figures in every format, the
//! local-day and principal groupings, unpriced rows without an amount, and
//! `--bounds`.

use std::path::Path;

use super::{run, stderr, stdout};

/// A ledger with two priced lines and one unpriced line, and a config in
/// Asia/Tokyo pointing at it; returns the config path.
fn seed_ledger(dir: &Path) -> String {
    use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
    use bedrock_cost_monitor::ledger::{MinuteBatch, Store};
    use bedrock_cost_monitor::pricing::TokenType;
    use bedrock_cost_monitor::records::{CostLine, LinePricing, Source};
    use chrono::TimeZone;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    let data = dir.join("data");
    let line = |minute: chrono::DateTime<chrono::Utc>, model_id: &str, t, tokens, pricing| CostLine {
        region: "us-east-1".into(),
        model_id: model_id.into(),
        minute,
        token_type: t,
        tokens,
        pricing,
    };
    let priced = |usd: &str| LinePricing::Priced {
        model: "claude-sonnet-4-5".into(),
        price_entry: "claude-sonnet-4-5:regional:2025-09-29".into(),
        usd: Decimal::from_str(usd).unwrap(),
    };
    // 23:30 UTC on the 24th is already the 25th in Tokyo.
    let late = chrono::Utc.with_ymd_and_hms(2026, 11, 24, 23, 30, 0).unwrap();
    let early = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).unwrap();
    let lines = vec![
        line(late, "us.anthropic.claude-sonnet-4-5-20250929-v1:0", TokenType::Input, 1_000, priced("0.0033")),
        line(
            early,
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            TokenType::Output,
            2_000,
            priced("0.033"),
        ),
        line(
            early,
            "anthropic.claude-opus-9",
            TokenType::Input,
            500,
            LinePricing::Unpriced { reason: "unknown".into() },
        ),
    ];
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = SqliteStore::open(&data).unwrap();
        let batch = MinuteBatch {
            source: Source::CloudWatch,
            region: "us-east-1".into(),
            points: vec![],
            lines,
            watermark: None,
        };
        store.write(&batch).await.unwrap();
        seed_shares(&store, late, early).await;
    });
    let prices = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/prices.toml");
    std::fs::copy(prices, dir.join("prices.toml")).unwrap();
    let cfg = dir.join("monitor.toml");
    std::fs::write(
        &cfg,
        format!("[monitor]\ntimezone = \"Asia/Tokyo\"\ndata_dir = \"{}\"\n", data.display()),
    )
    .unwrap();
    cfg.to_str().unwrap().to_string()
}

/// CloudTrail matched the app's role for most of the seeded cost; the rest is unattributed.
async fn seed_shares(
    store: &bedrock_cost_monitor::ledger::sqlite::SqliteStore,
    late: chrono::DateTime<chrono::Utc>,
    early: chrono::DateTime<chrono::Utc>,
) {
    use bedrock_cost_monitor::ledger::{AttributionBatch, Store};
    use bedrock_cost_monitor::records::{Attribution, PrincipalCost};
    use rust_decimal::Decimal;
    use std::str::FromStr;
    let share = |minute, principal: &str, attribution, usd: &str| PrincipalCost {
        region: "us-east-1".into(),
        minute,
        model_id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
        model: "claude-sonnet-4-5".into(),
        principal: principal.into(),
        attribution,
        usd: Decimal::from_str(usd).unwrap(),
    };
    let shares = vec![
        share(late, "arn:aws:iam::111122223333:role/app", Attribution::Estimated, "0.002"),
        share(late, "unattributed", Attribution::Unattributed, "0.0013"),
        share(early, "arn:aws:iam::111122223333:role/app", Attribution::Exact, "0.033"),
    ];
    let from = late;
    let to = early + chrono::Duration::minutes(1);
    store
        .write_attribution(&AttributionBatch { region: "us-east-1".into(), from, to, shares })
        .await
        .unwrap();
}

/// `report` reads the seeded ledger back exactly, in every format.
#[test]
fn report_reads_the_ledger_exactly_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = seed_ledger(dir.path());
    let cfg = cfg.as_str();
    let day = ["--from", "2026-11-25", "--to", "2026-11-25"];
    let json = run(&[&["report", "--config", cfg], &day[..], &["--by", "day", "--format", "json"]].concat());
    assert!(json.status.success(), "{}", stderr(&json));
    assert_eq!(
        stdout(&json).trim(),
        r#"{"from":"2026-11-25","to":"2026-11-25","timezone":"Asia/Tokyo","rows":[{"day":"2026-11-25","tokens":3500,"unpriced_tokens":500,"usd":"0.0363"}],"total":{"tokens":3500,"unpriced_tokens":500,"usd":"0.0363"}}"#
    );
    let days = ["--from", "2026-11-24", "--to", "2026-11-26", "--by", "day", "--format", "csv"];
    assert_eq!(
        stdout(&run(&[&["report", "--config", cfg], &days[..]].concat())),
        "day,tokens,unpriced_tokens,usd\n2026-11-25,3500,500,0.0363\n",
        "each line in its one Tokyo day, none counted twice"
    );
    let csv = run(&[&["report", "--config", cfg], &day[..], &["--by", "model", "--format", "csv"]].concat());
    assert_eq!(
        stdout(&csv),
        "model,tokens,unpriced_tokens,usd\nclaude-sonnet-4-5,3000,0,0.0363\nunpriced:anthropic.claude-opus-9,500,500,\n",
        "unpriced tokens have no USD, not 0"
    );
    let by_model =
        run(&[&["report", "--config", cfg], &day[..], &["--by", "model", "--format", "json"]].concat());
    let rows: serde_json::Value = serde_json::from_str(stdout(&by_model).trim()).unwrap();
    assert_eq!(rows["rows"][1]["usd"], serde_json::Value::Null, "{rows}");
    assert_eq!(rows["rows"][0]["usd"], "0.0363", "{rows}");
    let table = run(&[&["report", "--config", cfg], &day[..], &["--by", "model"]].concat());
    let text = stdout(&table);
    assert!(text.contains("unpriced:anthropic.claude-opus-9") && text.contains("unpriced\n"), "{text}");
    assert!(text.contains("0.04"), "{text}");
    let by_principal =
        run(&[&["report", "--config", cfg], &day[..], &["--by", "principal", "--format", "csv"]].concat());
    assert!(by_principal.status.success(), "{}", stderr(&by_principal));
    assert_eq!(
        stdout(&by_principal),
        "principal,usd\narn:aws:iam::111122223333:role/app,0.035\nunattributed,0.0013\n",
        "shares of the Tokyo day, with the unattributed rest"
    );
    let bad = run(&["report", "--config", cfg, "--by", "principal,token_type"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("principal and token_type cannot be grouped together"), "{}", stderr(&bad));
    let unknown = run(&["report", "--config", cfg, "--by", "colour"]);
    assert!(stderr(&unknown).contains("unknown group-by dimension `colour`"), "{}", stderr(&unknown));
}

/// `report --bounds`: per row, the most the long-context tier could add and
/// the other cache-write TTL's range, from the minute's points (by hand:
/// Sonnet 4.5 global above 200K: input 3 → 6, output 15 → 22.50, 5-minute
/// writes 3.75 → 7.50; a 1-hour write costs 6).
#[test]
fn report_bounds_show_what_cloudwatch_cannot_say() {
    use bedrock_cost_monitor::bedrock::BedrockMetric;
    use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
    use bedrock_cost_monitor::ledger::{MinuteBatch, Store};
    use bedrock_cost_monitor::pricing::TokenType;
    use bedrock_cost_monitor::records::{CostLine, LinePricing, MetricPoint, Source};
    use chrono::TimeZone;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let id = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";
    let minute = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).unwrap();
    let point = |metric, sum: f64| MetricPoint {
        region: "us-east-1".into(),
        model_id: id.into(),
        metric,
        minute,
        sum,
        count: None,
    };
    let points = vec![
        point(BedrockMetric::Invocations, 1.0),
        point(BedrockMetric::InputTokenCount, 300_000.0),
        point(BedrockMetric::OutputTokenCount, 10_000.0),
        point(BedrockMetric::CacheWriteInputTokens, 100_000.0),
    ];
    let line = |token_type, tokens, usd: &str| CostLine {
        region: "us-east-1".into(),
        model_id: id.into(),
        minute,
        token_type,
        tokens,
        pricing: LinePricing::Priced {
            model: "claude-sonnet-4-5".into(),
            price_entry: "claude-sonnet-4-5:global:2025-09-29".into(),
            usd: usd.parse().unwrap(),
        },
    };
    let lines = vec![
        line(TokenType::Input, 300_000, "0.9"),
        line(TokenType::Output, 10_000, "0.15"),
        line(TokenType::CacheWrite5m, 100_000, "0.375"),
    ];
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let store = SqliteStore::open(&data).unwrap();
        let batch = MinuteBatch {
            source: Source::CloudWatch,
            region: "us-east-1".into(),
            points,
            lines,
            watermark: None,
        };
        store.write(&batch).await.unwrap();
    });
    let prices = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/prices.toml");
    std::fs::copy(prices, dir.path().join("prices.toml")).unwrap();
    let cfg = dir.path().join("monitor.toml");
    std::fs::write(
        &cfg,
        format!("[monitor]\ntimezone = \"Asia/Tokyo\"\ndata_dir = \"{}\"\n", data.display()),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let day = ["--from", "2026-11-25", "--to", "2026-11-25", "--by", "model", "--bounds"];
    let json = run(&[&["report", "--config", cfg], &day[..], &["--format", "json"]].concat());
    assert!(json.status.success(), "{}", stderr(&json));
    let doc: serde_json::Value = serde_json::from_str(stdout(&json).trim()).unwrap();
    // Long context: (6-3)*0.3 + (22.5-15)*0.01 + (7.5-3.75)*0.1 = 1.35, certain (400K over one call).
    // TTL: the writes at the 1-hour rate would cost (6-3.75)*0.1 = 0.225 more.
    let want = serde_json::json!({"long_context_max_extra_usd": "1.35", "long_context_certain_minutes": 1,
        "cache_ttl_low_usd": "0", "cache_ttl_high_usd": "0.225"});
    assert_eq!(doc["rows"][0]["bounds"], want, "{doc}");
    assert_eq!(doc["total"]["bounds"], want, "{doc}");
    let csv = run(&[&["report", "--config", cfg], &day[..], &["--format", "csv"]].concat());
    assert_eq!(
        stdout(&csv),
        "model,tokens,unpriced_tokens,usd,long_context_max_extra_usd,long_context_certain_minutes,cache_ttl_low_usd,cache_ttl_high_usd\nclaude-sonnet-4-5,410000,0,1.425,1.35,1,0,0.225\n"
    );
    let table = stdout(&run(&[&["report", "--config", cfg], &day[..]].concat()));
    assert!(table.contains("+≤1.35") && table.contains("0.00..+0.23"), "{table}");
    let refused = run(&["report", "--config", cfg, "--by", "principal", "--bounds"]);
    assert!(stderr(&refused).contains("cannot be combined with --by principal"), "{}", stderr(&refused));
}
