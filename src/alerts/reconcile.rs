//! The `bill.drift` alert: a closed day whose ledger and bill part by more
//! than the tolerance, once per day, naming the biggest contributors, the
//! unmapped billed lines and the stale rates. Pure.

use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::kind::AlertKind;
use super::message::AlertMessage;
use crate::reconcile::{DayDrift, Tolerance};

/// Contributors, unmapped lines and stale rates listed at most.
const LISTED: usize = 5;

pub fn bill_drift_alert(
    d: &DayDrift,
    t: Tolerance,
    final_bill: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> AlertMessage {
    let key = format!("bill.drift:{}", d.day);
    let subject = format!("Ledger and bill differ by {} on {} (net {})", usd(d.gross()), d.day, usd(d.net()));
    let biggest: Vec<Value> = d
        .biggest(LISTED)
        .into_iter()
        .map(|(k, r)| {
            json!({
                "region": k.region, "model": k.model, "token_type": k.token_type,
                "ledger_usd": r.ledger_usd.to_string(), "billed_usd": r.billed_usd.to_string(),
                "drift_usd": r.drift().to_string(), "presence": r.presence(),
            })
        })
        .collect();
    let unmapped: Vec<Value> = d
        .unmapped
        .iter()
        .take(LISTED)
        .map(|u| json!({ "service": u.line.service, "usage_type": u.line.usage_type, "usd": u.line.usd.to_string(), "reason": u.reason }))
        .collect();
    let stale: Vec<Value> = d
        .stale_rates()
        .take(LISTED)
        .map(|r| {
            json!({
                "region": r.key.region, "model": r.key.model, "token_type": r.key.token_type,
                "usage_type": r.usage_type, "billed_usd_per_million": r.billed_per_million.to_string(),
                "table_usd_per_million": r.table_per_million.to_string(), "entry": r.entry,
            })
        })
        .collect();
    AlertMessage::new(AlertKind::BILL_DRIFT, "warning", key, &subject, now)
        .with("day", json!(d.day.to_string()))
        .with("final", json!(final_bill))
        .with("ledger_usd", json!(d.ledger_usd().to_string()))
        .with("billed_usd", json!(d.billed_usd().to_string()))
        .with("net_drift_usd", json!(d.net().to_string()))
        .with("gross_drift_usd", json!(d.gross().to_string()))
        .with("tolerance", json!({ "usd": t.usd.to_string(), "ratio": t.ratio.to_string() }))
        .with("biggest", json!(biggest))
        .with("unmapped", json!(unmapped))
        .with("unmapped_usd", json!(d.unmapped_usd().to_string()))
        .with("stale_rates", json!(stale))
        .with("action", json!(action(d)))
}

/// `$2.50`, `-$2.50`: cents for a subject line (the body keeps every digit).
fn usd(x: Decimal) -> String {
    let sign = if x.is_sign_negative() && !x.is_zero() { "-" } else { "" };
    format!("{sign}${:.2}", x.abs())
}

/// What to do, from what the drift is made of.
fn action(d: &DayDrift) -> &'static str {
    if d.stale_rates().next().is_some() {
        "the bill's rates differ from the price table: correct config/prices.toml, restart the daemon, \
         then `reprice` the affected days"
    } else if d.unmapped_usd() > Decimal::ZERO {
        "billed lines the monitor cannot place: add the model to the price table or report the usage type; \
         `report --reconcile` lists them"
    } else {
        "usage the ledger and the bill count differently: `report --reconcile --day` shows each region, model \
         and token type; billed_only rows are usage the monitor does not read"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::{Key, Row};
    use chrono::{NaiveDate, TimeZone, Utc};
    use std::collections::BTreeMap;

    #[test]
    fn one_alert_per_day_naming_the_biggest_row() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let key = Key { region: "us-east-1".into(), model: "claude-sonnet-4-6".into(), token_type: "output" };
        let row = Row {
            ledger_usd: d("10"),
            ledger_tokens: 1,
            billed_usd: d("12.5"),
            billed_quantity: d("1"),
            usage_types: vec!["x".into()],
        };
        let day = DayDrift {
            day: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            rows: BTreeMap::from([(key, row)]),
            unmapped: vec![],
            unpriced: vec![],
            rates: vec![],
        };
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 6, 0, 0).unwrap();
        let m = bill_drift_alert(&day, Tolerance { usd: d("1"), ratio: d("0.01") }, true, now);
        assert_eq!(m.dedupe_key, "bill.drift:2026-12-01");
        assert_eq!(m.subject, "Ledger and bill differ by $2.50 on 2026-12-01 (net -$2.50)");
        assert_eq!(m.fields["biggest"][0]["drift_usd"], "-2.5");
        assert_eq!(m.fields["net_drift_usd"], "-2.5");
    }
}
