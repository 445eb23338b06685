//! Dry run and apply: the same report, nothing written by the first; a
//! failure between days leaves each day old or new, and running again
//! finishes; the leader's table and the compaction horizon are checked;
//! the leader's fence is neither needed nor broken.

use async_trait::async_trait;
use bedrock_cost_monitor::ledger::{
    CompactPlan, RepriceDay, RepriceRecord, RepriceStats, RepriceStore, StatusStore, Store, StoreError,
};
use bedrock_cost_monitor::pricing::PointPricer;
use bedrock_cost_monitor::records::{CostLine, LinePricing};
use bedrock_cost_monitor::reprice::{self, table_in_use, Report, RepriceError, Request, Window};
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{assert_consistent, day, fixture, midnight, usd, Fixture, REGION};

const DAYS: [&str; 3] = ["2026-03-01", "2026-03-02", "2026-03-03"];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap()
}

fn request<'a>(f: &Fixture, pricer: &'a PointPricer, apply: bool, force: bool) -> Request<'a> {
    Request {
        window: Window { from: f.days[0], to: *f.days.last().unwrap() },
        apply,
        by: "finance@ops".into(),
        force,
        now: now(),
        table_sha256: f.b.price_table_sha256.clone(),
        pricer,
        attribute_regions: vec![REGION.into()],
    }
}

/// The leader ran with table A, then was restarted with B.
async fn leader_restarted_with_b(f: &Fixture) {
    table_in_use::record(&f.store, &f.a.price_table_sha256, "leader-1", now() - chrono::Duration::days(9))
        .await
        .unwrap();
    table_in_use::record(&f.store, &f.b.price_table_sha256, "leader-2", now() - chrono::Duration::hours(1))
        .await
        .unwrap();
}

/// Everything a re-price may write.
async fn state(f: &Fixture) -> (Vec<CostLine>, usize, Vec<RepriceRecord>, Vec<String>) {
    let (from, to) = (midnight(f.days[0]), midnight(day("2026-03-04")));
    let shares = f.store.principal_sums(from, to).await.unwrap();
    let shares = shares.iter().map(|s| format!("{} {} {}", s.principal, s.model, s.usd)).collect();
    let totals = f.store.cost_totals().await.unwrap().len();
    (f.store.cost_lines(from, to).await.unwrap(), totals, f.store.reprice_records().await.unwrap(), shares)
}

fn rows(r: &Report) -> Vec<bedrock_cost_monitor::reprice::Row> {
    r.rows().cloned().collect()
}

#[tokio::test]
async fn a_dry_run_reports_what_apply_does_and_writes_nothing() {
    let f = fixture(&DAYS, "", now()).await;
    leader_restarted_with_b(&f).await;
    let pricer = PointPricer::from_config(&f.b);
    let before = state(&f).await;
    let dry = reprice::run(&f.store, &request(&f, &pricer, false, false)).await.unwrap();
    assert_eq!(state(&f).await, before, "a dry run writes nothing");
    let total = dry.total();
    // Per day: 3 × (4.50 → 4.95) for Sonnet, 3 × (unpriced → 1.00) for Opus.
    assert_eq!((total.lines, total.changed), (27, 27));
    assert_eq!((total.old_usd, total.new_usd), (usd("40.5"), usd("53.55")));
    assert_eq!(total.became_priced, 1_800_000, "Opus tokens that had no price");
    assert_eq!((total.became_unpriced, total.unpriced), (0, 0));
    assert_eq!(dry.rows().count(), 6, "3 days × 2 model IDs");
    assert_eq!(dry.table_before.as_deref(), Some(f.a.price_table_sha256.as_str()));

    let applied = reprice::run(&f.store, &request(&f, &pricer, true, false)).await.unwrap();
    assert_eq!(rows(&applied), rows(&dry), "apply changed exactly what the dry run said");
    assert_eq!(applied.total(), total);
    assert!(applied
        .days
        .iter()
        .all(|d| d.stats == Some(RepriceStats { rewritten: 9, already: 0, stale: 0 })));
    assert_consistent(&f.store, &f.days).await;
    let records = f.store.reprice_records().await.unwrap();
    let days: Vec<NaiveDate> = records.iter().map(|r| r.day).collect();
    assert_eq!(days, f.days);
    for r in &records {
        assert_eq!((r.by.as_str(), r.at, r.lines, r.became_priced), ("finance@ops", now(), 9, 3));
        assert_eq!((r.old_usd, r.new_usd), (usd("13.5"), usd("17.85")));
        assert_eq!(r.table_before.as_deref(), Some(f.a.price_table_sha256.as_str()));
        assert_eq!(r.table_after, f.b.price_table_sha256);
    }
    let again = reprice::run(&f.store, &request(&f, &pricer, false, false)).await.unwrap();
    assert_eq!((again.total().changed, again.total().old_usd), (0, usd("53.55")), "nothing left to change");
}

/// Fails every day after the first `n` (a process killed between days).
struct FailAfter<'a> {
    inner: &'a dyn RepriceStore,
    n: usize,
    done: AtomicUsize,
}

#[async_trait]
impl RepriceStore for FailAfter<'_> {
    async fn reprice_day(&self, day: &RepriceDay) -> Result<RepriceStats, StoreError> {
        if self.done.fetch_add(1, Ordering::SeqCst) >= self.n {
            return Err(StoreError::Backend("injected: the process died here".into()));
        }
        self.inner.reprice_day(day).await
    }

    async fn reprice_records(&self) -> Result<Vec<RepriceRecord>, StoreError> {
        self.inner.reprice_records().await
    }

    async fn rewritable_from(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.inner.rewritable_from().await
    }
}

#[tokio::test]
async fn a_failure_between_days_leaves_each_day_old_or_new() {
    let f = fixture(&DAYS, "", now()).await;
    leader_restarted_with_b(&f).await;
    let (old, new) = (PointPricer::from_config(&f.a), PointPricer::from_config(&f.b));
    let writer = FailAfter { inner: &f.store, n: 1, done: AtomicUsize::new(0) };
    let failed = reprice::run_with_writer(&f.store, &writer, &request(&f, &new, true, false)).await;
    assert!(matches!(failed, Err(RepriceError::Store(_))), "{failed:?}");
    assert_consistent(&f.store, &f.days).await;
    for (i, d) in f.days.iter().enumerate() {
        let lines = f.store.cost_lines(midnight(*d), midnight(*d + Days::new(1))).await.unwrap();
        let table = if i == 0 { &new } else { &old };
        let pricing: Vec<LinePricing> = lines.iter().map(|l| l.pricing.clone()).collect();
        assert_eq!(pricing, table.reprice(&lines), "{d} is wholly {}", if i == 0 { "new" } else { "old" });
    }
    let recorded: Vec<NaiveDate> = f.store.reprice_records().await.unwrap().iter().map(|r| r.day).collect();
    assert_eq!(recorded, vec![f.days[0]], "only the applied day has its record");

    let rest = reprice::run(&f.store, &request(&f, &new, true, false)).await.unwrap();
    let changed: Vec<(NaiveDate, usize)> =
        rest.days.iter().map(|d| (d.diff.day, d.diff.total().changed)).collect();
    assert_eq!(
        changed,
        vec![(f.days[0], 0), (f.days[1], 9), (f.days[2], 9)],
        "the run again finishes the rest"
    );
    assert_consistent(&f.store, &f.days).await;
    assert_eq!(rest.total().new_usd, usd("53.55"));
}

#[tokio::test]
async fn apply_is_refused_while_the_leader_prices_with_another_table() {
    let f = fixture(&DAYS, "", now()).await;
    table_in_use::record(&f.store, &f.a.price_table_sha256, "leader-1", now()).await.unwrap();
    let pricer = PointPricer::from_config(&f.b);
    let before = state(&f).await;
    let refused = reprice::run(&f.store, &request(&f, &pricer, true, false)).await;
    match refused {
        Err(RepriceError::TableDiffers { holder, running, applying, .. }) => {
            assert_eq!(
                (holder.as_str(), &running, &applying),
                ("leader-1", &f.a.price_table_sha256, &f.b.price_table_sha256)
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(state(&f).await, before, "nothing written");
    let dry = reprice::run(&f.store, &request(&f, &pricer, false, false)).await.unwrap();
    assert_eq!(dry.in_use.as_ref().map(|t| t.sha256.as_str()), Some(f.a.price_table_sha256.as_str()));
    let forced = reprice::run(&f.store, &request(&f, &pricer, true, true)).await.unwrap();
    assert!(forced.forced);
    let records = f.store.reprice_records().await.unwrap();
    assert!(records
        .iter()
        .all(|r| r.forced && r.table_before.as_deref() == Some(f.a.price_table_sha256.as_str())));
    assert_consistent(&f.store, &f.days).await;
    let flag = f.store.get_state(table_in_use::TABLE_FLAG).await.unwrap();
    assert!(flag.unwrap().contains(&f.a.price_table_sha256), "re-pricing never claims the leader's table");
}

#[tokio::test]
async fn days_folded_into_rollups_are_refused_not_skipped() {
    let f = fixture(&DAYS, "", now()).await;
    leader_restarted_with_b(&f).await;
    let plan = CompactPlan {
        minutes_before: midnight(f.days[1]),
        alerts_before: midnight(f.days[0]),
        timezones: vec![],
    };
    f.store.compact(&plan).await.unwrap();
    let pricer = PointPricer::from_config(&f.b);
    for apply in [false, true] {
        match reprice::run(&f.store, &request(&f, &pricer, apply, false)).await {
            Err(RepriceError::BeforeHorizon { from, first, .. }) => {
                assert_eq!((from, first), (f.days[0], f.days[1]))
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    let mut later = request(&f, &pricer, true, false);
    later.window.from = f.days[1];
    let report = reprice::run(&f.store, &later).await.unwrap();
    assert_eq!(report.total().changed, 18);
}

/// The operator's process writes under no fence: the leader's lease and
/// epoch stay as they were, and the leader's next fenced write lands.
#[tokio::test]
async fn a_running_leaders_fence_is_neither_needed_nor_broken() {
    use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
    use bedrock_cost_monitor::ledger::{Fence, LeaseStore, MinuteBatch};
    use bedrock_cost_monitor::records::Source;

    let f = fixture(&DAYS, "", now()).await;
    leader_restarted_with_b(&f).await;
    let leader = SqliteStore::open(f.store.path().unwrap().parent().unwrap()).unwrap();
    let lease =
        leader.acquire_lease("collector", "leader-2", now(), chrono::Duration::seconds(30)).await.unwrap();
    leader.set_fence(Fence { lease: "collector".into(), holder: "leader-2".into(), epoch: lease.epoch });
    let pricer = PointPricer::from_config(&f.b);
    reprice::run(&f.store, &request(&f, &pricer, true, false)).await.unwrap();
    let after =
        leader.acquire_lease("collector", "leader-2", now(), chrono::Duration::seconds(30)).await.unwrap();
    assert_eq!(after.epoch, lease.epoch, "the lease is untouched");
    let minute = midnight(day("2026-03-03")) + chrono::Duration::hours(12);
    let line = CostLine {
        region: REGION.into(),
        model_id: super::SONNET.into(),
        minute,
        token_type: bedrock_cost_monitor::pricing::TokenType::Input,
        tokens: 10,
        pricing: LinePricing::Unpriced { reason: String::new() },
    };
    let line = CostLine { pricing: pricer.reprice(std::slice::from_ref(&line)).remove(0), ..line };
    let batch = MinuteBatch {
        source: Source::CloudWatch,
        region: REGION.into(),
        points: vec![],
        lines: vec![line],
        watermark: None,
    };
    leader.write(&batch).await.unwrap();
    assert!(!leader.fenced_out(), "the leader's fenced write was not refused");
}
