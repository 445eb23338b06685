use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::DateTime;
use rust_decimal::Decimal;

use super::*;
use crate::records::RequestTokens;

fn total(user: Option<&str>, usd: &str) -> RequestSum {
    RequestSum {
        minute: DateTime::UNIX_EPOCH,
        region: "us-east-1".into(),
        model_id: "m".into(),
        model: Some("claude-sonnet-4-5".into()),
        principal: "p".into(),
        dimensions: user
            .map(|u| BTreeMap::from([("user_id".to_string(), u.to_string())]))
            .unwrap_or_default(),
        requests: 1,
        tokens: RequestTokens::default(),
        usd: Decimal::from_str(usd).unwrap(),
        long_context: 0,
        ttl_assumed: 0,
    }
}

fn samples(snapshot: &Snapshot) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for family in render(snapshot).iter().filter(|f| f.name() == COST.0) {
        for m in family.get_metric() {
            let value = m.get_label().iter().find(|l| l.name() == "value").unwrap().value().to_string();
            out.insert(value, m.get_counter().value());
        }
    }
    out
}

#[test]
fn kept_values_stay_and_no_counter_decreases() {
    let keys = vec!["user_id".to_string()];
    let mut kept = Kept::new();
    let mut totals =
        vec![total(Some("a"), "5"), total(Some("b"), "3"), total(Some("c"), "1"), total(None, "2")];
    keep_more(&mut kept, &keys, &totals, 2);
    let mut snap =
        Snapshot { request_totals: totals.clone(), metadata_kept: kept.clone(), ..Snapshot::default() };
    let first = samples(&snap);
    assert_eq!(
        first,
        BTreeMap::from([("a".into(), 5.0), ("b".into(), 3.0), ("other".into(), 1.0), ("none".into(), 2.0)])
    );

    // "c" becomes the biggest spender: it does not displace a kept value,
    // so "other" only grows.
    totals[2] = total(Some("c"), "100");
    keep_more(&mut kept, &keys, &totals, 2);
    snap.request_totals = totals;
    snap.metadata_kept = kept;
    let second = samples(&snap);
    for (value, before) in &first {
        assert!(second[value] >= *before, "{value} decreased: {before} -> {}", second[value]);
    }
    assert_eq!(second["other"], 100.0);
}

#[test]
fn room_left_is_filled_by_new_values() {
    let keys = vec!["user_id".to_string()];
    let mut kept = Kept::new();
    keep_more(&mut kept, &keys, &[total(Some("a"), "1")], 3);
    keep_more(&mut kept, &keys, &[total(Some("a"), "1"), total(Some("z"), "9"), total(Some("y"), "9")], 3);
    let values: Vec<&str> = kept["user_id"].iter().map(String::as_str).collect();
    assert_eq!(values, vec!["a", "y", "z"]);
}
