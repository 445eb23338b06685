//! `report --by <metadata key>` on a seeded request ledger: spend per end
//! user, exact in CSV and JSON, local days, requests without the key under
//! `(none)`, unpriced requests without dollars, and a clear refusal of a key
//! that is not configured.

use std::path::Path;

use super::{run, stderr, stdout};

fn seed(dir: &Path) -> String {
    use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
    use bedrock_cost_monitor::ledger::{RequestBatch, Store};
    use bedrock_cost_monitor::records::{RequestCost, RequestPricing, RequestTokens};
    use chrono::TimeZone;
    use rust_decimal::Decimal;
    use std::collections::BTreeMap;
    use std::str::FromStr;

    let data = dir.join("data");
    let request = |id: &str, minute, user: Option<&str>, usd: Option<&str>| RequestCost {
        request_id: id.into(),
        minute,
        region: "us-east-1".into(),
        model_id: "global.anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
        principal: "arn:aws:iam::111122223333:role/app".into(),
        dimensions: user
            .map(|u| BTreeMap::from([("user_id".to_string(), u.to_string())]))
            .unwrap_or_default(),
        tokens: RequestTokens { input: 1_000, output: 100, ..RequestTokens::default() },
        pricing: match usd {
            Some(usd) => RequestPricing::Priced {
                model: "claude-sonnet-4-5".into(),
                price_entry: "claude-sonnet-4-5:global:2025-09-29".into(),
                usd: Decimal::from_str(usd).unwrap(),
                long_context: false,
                ttl_assumed: false,
            },
            None => RequestPricing::Unpriced { reason: "unknown".into() },
        },
    };
    let day1 = chrono::Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    let day2 = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
    let requests = vec![
        request("a", day1, Some("u-1"), Some("0.0045")),
        request("b", day1, Some("u-1"), Some("0.0000001")),
        request("c", day2, Some("u-2"), Some("1.5")),
        request("d", day2, None, Some("0.25")),
        request("e", day2, Some("u-2"), None),
    ];
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = SqliteStore::open(&data).unwrap();
        let batch = RequestBatch::of("us-east-1", requests);
        store.write_requests(&batch).await.unwrap();
    });
    let prices = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/prices.toml");
    std::fs::copy(prices, dir.join("prices.toml")).unwrap();
    let cfg = dir.join("monitor.toml");
    let text = format!(
        "[monitor]\ndata_dir = \"{}\"\n[sources.invocation_logs]\nmetadata_keys = [\"user_id\", \"tenant\"]\n",
        data.display()
    );
    std::fs::write(&cfg, text).unwrap();
    cfg.to_str().unwrap().to_string()
}

#[test]
fn spend_per_user_is_exact_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = seed(dir.path());
    let range = ["--from", "2026-11-24", "--to", "2026-11-25"];
    let csv =
        run(&[&["report", "--config", &cfg, "--by", "user_id", "--format", "csv"][..], &range[..]].concat());
    assert!(csv.status.success(), "{}", stderr(&csv));
    assert_eq!(
        stdout(&csv),
        "user_id,requests,tokens,unpriced_requests,usd\n\
         (none),1,1100,0,0.25\n\
         u-1,2,2200,0,0.0045001\n\
         u-2,2,2200,1,1.5\n"
    );
    let json =
        run(&[&["report", "--config", &cfg, "--by", "day,user_id", "--format", "json"][..], &range[..]]
            .concat());
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["total"]["usd"], "1.7545001");
    assert_eq!(v["rows"][0]["day"], "2026-11-24");
    assert_eq!(v["rows"][0]["user_id"], "u-1");
    assert_eq!(v["rows"].as_array().unwrap().len(), 3);
    let table = run(&[&["report", "--config", &cfg, "--by", "user_id"][..], &range[..]].concat());
    let text = stdout(&table);
    assert!(text.contains("u-2") && text.contains("1.50"), "{text}");
    assert!(text.contains("1 requests have no price"), "{text}");
}

#[test]
fn an_unknown_grouping_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = seed(dir.path());
    let out = run(&["report", "--config", &cfg, "--by", "user_id,colour"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("`colour` is neither one of month, day, model, region, principal nor a configured metadata key (user_id, tenant)"), "{}", stderr(&out));
}
