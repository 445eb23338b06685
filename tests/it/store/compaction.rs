//! Compaction of the SQLite ledger through its job: sixty days of minutes,
//! compacted at a 35-day retention, must leave every figure `report`,
//! budgets and `/metrics` read exactly as it was, to the last digit: all-time
//! totals, each local day's sums in timezones on and off the whole hour
//! (aggregated as `report` does), and each month as a budget sums it. The
//! old minutes must be gone and writes before the horizon refused.

use std::str::FromStr;
use std::sync::Arc;

use bedrock_cost_monitor::app::compact::CompactionJob;
use bedrock_cost_monitor::budgets::period::{bounds, local_days};
use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::config::Period;
use bedrock_cost_monitor::ledger::report::{Dimension, GroupBy, SpendReport};
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::{report_days, report_principal, AttributionBatch, Backend, CallBatch};
use bedrock_cost_monitor::ledger::{MinuteBatch, Retention, Store};
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::records::{Attribution, CallCount, CostLine, LinePricing, PrincipalCost, Source};
use bedrock_cost_monitor::scheduler::Job;
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

const R: &str = "us-east-1";
const DAYS: i64 = 60;
const MODELS: [&str; 2] = ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-haiku-4-5"];
const ZONES: [Tz; 3] = [chrono_tz::UTC, chrono_tz::Asia::Kolkata, chrono_tz::America::New_York];

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// A cost no two minutes share, with digits down to the 10th place.
fn cost(i: i64) -> Decimal {
    Decimal::from_str("0.0000012345").unwrap() * Decimal::from(i % 9973 + 1)
}

/// One day: a line per model and token type every 20 minutes (so both
/// halves of Kolkata's 18:30 UTC midnight hour have minutes), shares split
/// 3:7 between two roles, and a call count per minute.
async fn write_day(store: &SqliteStore, day: i64) {
    let from = start() + Duration::days(day);
    let (mut lines, mut shares, mut calls) = (Vec::new(), Vec::new(), Vec::new());
    for m in (0..1440).step_by(20) {
        let minute = from + Duration::minutes(m);
        for (k, model_id) in MODELS.iter().enumerate() {
            let i = day * 10_000 + m * 10 + k as i64;
            for (t, tt) in [TokenType::Input, TokenType::Output].into_iter().enumerate() {
                let usd = cost(i + t as i64);
                let pricing = LinePricing::Priced { model: "claude".into(), price_entry: "e".into(), usd };
                lines.push(CostLine {
                    region: R.into(),
                    model_id: (*model_id).into(),
                    minute,
                    token_type: tt,
                    tokens: (i % 977) as u64 + 1,
                    pricing,
                });
            }
            let usd = cost(i) + cost(i + 1);
            let a = usd * Decimal::from_str("0.3").unwrap();
            for (who, share) in [("arn:aws:iam::1:role/a", a), ("arn:aws:iam::1:role/b", usd - a)] {
                shares.push(PrincipalCost {
                    region: R.into(),
                    minute,
                    model_id: (*model_id).into(),
                    model: "claude".into(),
                    principal: who.into(),
                    attribution: Attribution::Exact,
                    usd: share,
                });
            }
            calls.push(CallCount {
                region: R.into(),
                minute,
                model_id: (*model_id).into(),
                principal: "arn:aws:iam::1:role/a".into(),
                error_code: None,
                calls: 2,
                input_tokens: None,
                output_tokens: None,
            });
        }
    }
    let to = from + Duration::days(1);
    let batch = MinuteBatch {
        source: Source::CloudWatch,
        region: R.into(),
        points: vec![],
        lines,
        watermark: Some(to),
    };
    store.write(&batch).await.unwrap();
    store.write_calls(&CallBatch { region: R.into(), from, to, calls, watermark: Some(to) }).await.unwrap();
    store.write_attribution(&AttributionBatch { region: R.into(), from, to, shares }).await.unwrap();
}

/// Everything the readers see: totals (`/metrics`), each day of every zone
/// as `report` groups it, each month as a monthly budget sums it.
#[derive(Debug, PartialEq)]
struct Figures {
    totals:
        (Vec<bedrock_cost_monitor::records::CostTotal>, Vec<bedrock_cost_monitor::records::PrincipalTotal>),
    calls: Vec<bedrock_cost_monitor::records::CallTotal>,
    reports: Vec<(SpendReport, SpendReport)>,
    months: Vec<Vec<bedrock_cost_monitor::records::CostTotal>>,
}

async fn figures(store: &dyn Backend) -> Figures {
    let by = GroupBy::new([Dimension::Day, Dimension::Model, Dimension::Region, Dimension::TokenType]);
    let by_principal = GroupBy::new([Dimension::Day, Dimension::Principal]);
    let (first, last) = (start().date_naive(), (start() + Duration::days(DAYS - 1)).date_naive());
    let mut reports = Vec::new();
    let mut months = Vec::new();
    for tz in ZONES {
        let (mut costs, mut shares) = (Vec::new(), Vec::new());
        for (day, from, to) in local_days(first, last, tz) {
            costs.push((day, store.cost_sums(from, to).await.unwrap()));
            shares.push((day, store.principal_sums(from, to).await.unwrap()));
        }
        reports.push((
            report_days::aggregate(&costs, by).unwrap(),
            report_principal::aggregate(&shares, by_principal).unwrap(),
        ));
        for at in [start() + Duration::days(15), start() + Duration::days(45)] {
            let (from, to) = bounds(Period::Month, tz, at);
            months.push(store.cost_sums(from, to).await.unwrap());
        }
    }
    Figures {
        totals: (store.cost_totals().await.unwrap(), store.principal_totals().await.unwrap()),
        calls: store.call_totals().await.unwrap(),
        reports,
        months,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sixty_days_compacted_keep_every_figure_to_the_last_digit() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    for day in 0..DAYS {
        write_day(&store, day).await;
    }
    let before = figures(&store).await;
    assert!(before.totals.0.iter().all(|t| t.usd > Decimal::ZERO));
    let now = start() + Duration::days(DAYS) + Duration::hours(4);
    let job = CompactionJob {
        store: Arc::new(store.clone()),
        clock: Arc::new(ManualClock::new(now)),
        retention: Retention { minutes: Duration::days(35), published_alerts: Duration::days(400) },
        writers: vec![(Source::CloudWatch, R.into()), (Source::CloudTrail, R.into())],
        timezones: ZONES.to_vec(),
        metrics: None,
    };
    job.run_once().await.unwrap();
    assert_eq!(figures(&store).await, before, "compaction changed a figure");

    // Only the hours holding Kolkata's midnight (18:00 UTC) keep minutes before the horizon.
    let horizon = Utc.with_ymd_and_hms(2026, 1, 26, 4, 0, 0).unwrap();
    let old = store.cost_lines(start(), horizon).await.unwrap();
    assert!(
        !old.is_empty() && old.iter().all(|l| l.minute.format("%H").to_string() == "18"),
        "{:?}",
        old.first()
    );
    assert!(store.call_counts(R, start(), horizon).await.unwrap().is_empty());
    assert!(!store.cost_lines(horizon, now).await.unwrap().is_empty(), "recent minutes stay");

    // A write reaching before the horizon would count a folded minute twice.
    let line = old[0].clone();
    let minute = line.minute - Duration::hours(1);
    let again = MinuteBatch {
        source: Source::CloudWatch,
        region: R.into(),
        points: vec![],
        lines: vec![CostLine { minute, ..line }],
        watermark: None,
    };
    let err = store.write(&again).await.unwrap_err().to_string();
    assert!(err.contains("compacted before"), "{err}");

    // A second run finds nothing more to fold and changes nothing.
    job.run_once().await.unwrap();
    assert_eq!(figures(&store).await, before);
}
