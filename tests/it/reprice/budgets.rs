//! Budgets after a re-price, as the leader's next evaluation sees them: it
//! plans only the periods open now, so a re-price that pushes a closed
//! month over its limit raises nothing for that month, while the open
//! month's new spend crosses its threshold and is alerted once per period
//! (its dedupe key names the period).

use bedrock_cost_monitor::alerts::budget;
use bedrock_cost_monitor::budgets::{self, BudgetStatus, Plan, Spend};
use bedrock_cost_monitor::config::Loaded;
use bedrock_cost_monitor::ledger::Store;
use bedrock_cost_monitor::pricing::PointPricer;
use bedrock_cost_monitor::reprice::{self, table_in_use, Request, Window};
use chrono::{DateTime, TimeZone, Utc};

use super::{day, fixture, usd, REGION};

/// 13.50 USD a day priced with table A, 17.85 with B: over 15 only after the re-price.
const BUDGET: &str = "\n[[budgets]]\nname = \"monthly\"\nperiod = \"month\"\nlimit_usd = \"15\"\n\
                      thresholds_pct = [100]\nforecast_alert = false\ntimezone = \"UTC\"\n";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 2, 6, 0, 0).unwrap()
}

/// What the leader's evaluation computes now: statuses of the open periods.
async fn evaluate(store: &dyn Store, loaded: &Loaded) -> Vec<BudgetStatus> {
    let tz = loaded.config.monitor.timezone.0;
    let plans: Vec<Plan<'_>> = loaded.config.budgets.iter().map(|b| Plan::new(b, tz, now(), now())).collect();
    let mut spend = Spend::default();
    for w in &budgets::needs(&plans, false).cost {
        spend.cost.insert(*w, store.cost_sums(w.from, w.to).await.unwrap());
    }
    budgets::evaluate(&plans, &spend, now())
}

#[tokio::test]
async fn the_open_period_is_alerted_and_a_closed_one_is_not_again() {
    let f = fixture(&["2026-03-31", "2026-04-01"], BUDGET, now()).await;
    table_in_use::record(&f.store, &f.b.price_table_sha256, "leader", now()).await.unwrap();
    let before = evaluate(&f.store, &f.b).await;
    assert_eq!(before.len(), 1);
    assert_eq!((before[0].spend_usd, before[0].thresholds_crossed.len()), (usd("13.5"), 0));

    let pricer = PointPricer::from_config(&f.b);
    let request = Request {
        window: Window { from: day("2026-03-31"), to: day("2026-04-01") },
        apply: true,
        by: "finance@ops".into(),
        force: false,
        now: now(),
        table_sha256: f.b.price_table_sha256.clone(),
        pricer: &pricer,
        attribute_regions: vec![REGION.into()],
    };
    let report = reprice::run(&f.store, &request).await.unwrap();
    let per_day: Vec<_> = report.days.iter().map(|d| d.diff.total().new_usd).collect();
    assert_eq!(per_day, vec![usd("17.85"), usd("17.85")], "March 31 is over the limit now too");

    let after = evaluate(&f.store, &f.b).await;
    assert_eq!(after.len(), 1, "only the open period is evaluated");
    let april = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
    assert_eq!((after[0].period.start, after[0].spend_usd), (april, usd("17.85")));
    assert_eq!(after[0].thresholds_crossed, vec![100]);
    let alerts = budget::alerts(&after[0], false, now());
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].dedupe_key.contains("2026-04-01"), "{}", alerts[0].dedupe_key);
    assert!(
        alerts.iter().all(|a| !a.dedupe_key.contains("2026-03")),
        "the closed March period raises nothing: {:?}",
        alerts.iter().map(|a| &a.dedupe_key).collect::<Vec<_>>()
    );
    assert_eq!(
        budget::alerts(&evaluate(&f.store, &f.b).await[0], false, now())[0].dedupe_key,
        alerts[0].dedupe_key
    );
}
