//! `report --alerts` on a seeded outbox: every delivery state, newest first,
//! with attempts and last errors, in every format.

use std::path::Path;

use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::{FailedAttempt, Outbox};
use chrono::{DateTime, Utc};

use super::{run, stderr, stdout};
use crate::helpers::store_contract::coord::entry;
use crate::helpers::store_contract::t;

fn at(m: u32) -> DateTime<Utc> {
    t(m)
}

/// Three alerts: published, uncertain (timed out, retry pending) and parked.
fn seed(dir: &Path) -> String {
    let data = dir.join("data");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = SqliteStore::open(&data).unwrap();
        for (key, m) in [("sent", 0), ("unsure", 1), ("dead", 2)] {
            assert!(store.claim_alert(&entry(key, m)).await.unwrap());
        }
        store.mark_alert_published("sent", at(0)).await.unwrap();
        let timed_out =
            FailedAttempt { error: "SNS Publish failed: timeout", retry_at: at(5), uncertain: true };
        store.mark_alert_failed("unsure", &timed_out).await.unwrap();
        store
            .park_alert("dead", "SNS Publish failed: InvalidParameter: Message too long", at(3))
            .await
            .unwrap();
    });
    let cfg = dir.join("monitor.toml");
    std::fs::write(&cfg, format!("[monitor]\ndata_dir = \"{}\"\n", data.display())).unwrap();
    let prices = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/prices.toml");
    std::fs::copy(prices, dir.join("prices.toml")).unwrap();
    cfg.to_str().unwrap().to_string()
}

#[test]
fn report_alerts_lists_every_delivery_state_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = seed(dir.path());
    let table = run(&["report", "--config", &cfg, "--alerts"]);
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    assert!(text.starts_with("3 alerts: 1 published, 0 pending, 1 uncertain, 1 parked\n"), "{text}");
    let order: Vec<_> =
        ["parked", "uncertain", "published"].iter().map(|s| text.find(&format!("  {s} ")).unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "newest first:\n{text}");
    assert!(text.contains("! SNS Publish failed: InvalidParameter: Message too long"), "{text}");

    let csv = stdout(&run(&["report", "--config", &cfg, "--alerts", "--format", "csv"]));
    assert_eq!(
        csv.lines().nth(1),
        Some(
            "2026-03-01T10:02:00Z,parked,1,,2026-03-01T10:03:00Z,,budget.threshold,dead,Budget dead crossed 80%,\
             SNS Publish failed: InvalidParameter: Message too long"
        ),
        "{csv}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["report", "--config", &cfg, "--alerts", "--format", "json"])))
            .unwrap();
    let unsure = &json["alerts"][1];
    assert_eq!(
        (unsure["state"].as_str(), unsure["attempts"].as_u64(), unsure["retry_at"].as_str()),
        (Some("uncertain"), Some(1), Some("2026-03-01T10:05:00Z"))
    );
    assert_eq!(json["alerts"][2]["body"]["dedupe_key"], "sent", "the message as published");
}

#[test]
fn report_alerts_refuses_spend_options() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = seed(dir.path());
    let out = run(&["report", "--config", &cfg, "--alerts", "--by", "model"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("cannot be used with"), "{}", stderr(&out));
}
