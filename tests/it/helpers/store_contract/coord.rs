//! Contract of the coordination state every store keeps: an alert is
//! claimed by exactly one caller however many race for it, stays pending
//! until published, and the leader lease has one holder at a time and
//! passes on when it expires. Written against the traits only.

#![allow(clippy::disallowed_methods, reason = "racing claims need concurrent tasks")]

use bedrock_cost_monitor::config::budget::{AlertSeverity, OnExceeded, Period};
use std::collections::BTreeMap;
use std::sync::Arc;

use bedrock_cost_monitor::budgets::{BudgetState, BudgetStatus, PeriodInfo, SpendItem};
use bedrock_cost_monitor::ledger::{Backend, Delivery, FailedAttempt, Fence, OutboxEntry, StoreError};
use chrono::Duration;

use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::records::Source;

use super::{batch, priced, t, until, usd};

pub fn entry(key: &str, m: u32) -> OutboxEntry {
    OutboxEntry {
        dedupe_key: key.into(),
        kind: "budget.threshold".into(),
        created_at: t(m),
        subject: format!("Budget {key} crossed 80%"),
        body: format!("{{\"dedupe_key\":\"{key}\",\"spend_usd\":\"80.000000001\"}}"),
        attributes: BTreeMap::from([
            ("kind".to_string(), "budget.threshold".to_string()),
            ("budget".to_string(), key.to_string()),
        ]),
        group_id: key.into(),
        attempts: 0,
        last_error: None,
        published_at: None,
        retry_at: None,
        uncertain: false,
        parked_at: None,
    }
}

pub async fn alerts_are_claimed_once_and_stay_pending_until_published(store: Arc<dyn Backend>) {
    let a = entry("budget.threshold:team:2026-03-01:80", 1);
    assert!(store.claim_alert(&a).await.unwrap());
    assert!(!store.claim_alert(&a).await.unwrap(), "a second claim of the same key loses");
    let mut racers = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        racers.push(tokio::spawn(async move { store.claim_alert(&entry("race", 2 + i)).await.unwrap() }));
    }
    let mut won = 0;
    for r in racers {
        won += usize::from(r.await.unwrap());
    }
    assert_eq!(won, 1, "exactly one of eight racing claims wins");
    let pending = store.pending_alerts(t(2), 10).await.unwrap();
    assert_eq!(
        pending.iter().map(|e| e.dedupe_key.as_str()).collect::<Vec<_>>(),
        vec![a.dedupe_key.as_str(), "race"]
    );
    assert_eq!(pending[0], a, "the entry comes back as claimed");

    // One publisher at a time: the lock is taken once, until it expires or a failure ends it.
    assert!(store.lock_alert(&a.dedupe_key, "replica-1", t(2), t(4)).await.unwrap());
    assert!(!store.lock_alert(&a.dedupe_key, "replica-2", t(3), t(5)).await.unwrap(), "locked by replica-1");
    assert!(!store.lock_alert(&a.dedupe_key, "replica-1", t(3), t(5)).await.unwrap(), "even for its holder");
    assert!(
        store.lock_alert(&a.dedupe_key, "replica-2", t(4), t(6)).await.unwrap(),
        "an expired lock passes"
    );
    let failure = FailedAttempt { error: "SNS: InternalError", retry_at: t(4), uncertain: false };
    store.mark_alert_failed(&a.dedupe_key, &failure).await.unwrap();
    assert!(
        store.lock_alert(&a.dedupe_key, "replica-1", t(4), t(6)).await.unwrap(),
        "a failure ends the lock"
    );
    let failed = store.alert(&a.dedupe_key).await.unwrap().unwrap();
    assert_eq!(
        (failed.attempts, failed.last_error.as_deref(), failed.is_pending()),
        (1, Some("SNS: InternalError"), true)
    );
    assert!(store.mark_alert_published(&a.dedupe_key, t(5)).await.unwrap());
    assert!(!store.mark_alert_published(&a.dedupe_key, t(6)).await.unwrap(), "published once");
    let done = store.alert(&a.dedupe_key).await.unwrap().unwrap();
    assert_eq!((done.attempts, done.published_at), (2, Some(t(5))));
    assert_eq!(store.pending_alerts(t(9), 10).await.unwrap().len(), 1, "only the race entry is pending");
    assert!(!store.claim_alert(&a).await.unwrap(), "a published key is never claimed again");
    assert!(!store.lock_alert(&a.dedupe_key, "replica-2", t(9), t(10)).await.unwrap(), "nor locked");
    assert!(store.alert("never").await.unwrap().is_none());
}

/// A failed attempt backs its entry off without holding back the others;
/// a parked entry (the dead letter) leaves the queue for good but stays
/// listed; every state survives the round trip.
pub async fn failed_alerts_back_off_and_parked_ones_leave_the_queue(store: &dyn Backend) {
    let [a, b, c] = [("a", 1), ("b", 2), ("c", 3)].map(|(k, m)| entry(k, m));
    for e in [&a, &b, &c] {
        assert!(store.claim_alert(e).await.unwrap());
    }
    let due = |m: u32| async move {
        store.pending_alerts(t(m), 10).await.unwrap().into_iter().map(|e| e.dedupe_key).collect::<Vec<_>>()
    };
    assert!(store.lock_alert("a", "r1", t(4), t(5)).await.unwrap());
    let timed_out = FailedAttempt { error: "SNS Publish failed: timeout", retry_at: t(10), uncertain: true };
    store.mark_alert_failed("a", &timed_out).await.unwrap();
    assert_eq!(due(5).await, ["b", "c"], "a backs off; the ones behind it are due");
    assert_eq!(due(10).await, ["a", "b", "c"], "due again at its retry time, first in line");
    let got = store.alert("a").await.unwrap().unwrap();
    assert_eq!(
        (got.attempts, got.retry_at, got.delivery(), got.is_due(t(9)), got.is_due(t(10))),
        (1, Some(t(10)), Delivery::Uncertain, false, true)
    );

    assert!(store.lock_alert("b", "r1", t(10), t(11)).await.unwrap());
    assert!(store.park_alert("b", "SNS Publish failed: InvalidParameter", t(10)).await.unwrap());
    assert!(!store.park_alert("b", "again", t(11)).await.unwrap(), "parked once");
    assert!(!store.lock_alert("b", "r2", t(20), t(21)).await.unwrap(), "a parked entry is never locked");
    assert!(!store.mark_alert_published("b", t(20)).await.unwrap(), "nor published");
    assert_eq!(due(60).await, ["a", "c"]);
    let parked = store.alert("b").await.unwrap().unwrap();
    assert_eq!(
        (parked.attempts, parked.parked_at, parked.delivery(), parked.last_error.as_deref()),
        (1, Some(t(10)), Delivery::Parked, Some("SNS Publish failed: InvalidParameter"))
    );
    assert!(!store.claim_alert(&b).await.unwrap(), "a parked key is never claimed again");

    assert!(store.mark_alert_published("c", t(12)).await.unwrap());
    let listed = store.recent_alerts(10).await.unwrap();
    let states: Vec<_> = listed.iter().map(|e| (e.dedupe_key.as_str(), e.delivery())).collect();
    assert_eq!(states, [("c", Delivery::Published), ("b", Delivery::Parked), ("a", Delivery::Uncertain)]);
    assert_eq!(store.recent_alerts(1).await.unwrap()[0].dedupe_key, "c", "newest first, at most the limit");
}

/// Leadership is fenced: each new holding of the lease has a higher epoch,
/// and once the lease has moved on, every leader-only write made under the
/// old fence is refused (and says so) while the new holder's goes through.
pub async fn a_deposed_leaders_writes_are_refused(store: &dyn Backend) {
    let ttl = Duration::seconds(30);
    let fence = |holder: &str, epoch| Fence { lease: "collector".into(), holder: holder.into(), epoch };
    assert_eq!(store.acquire_lease("collector", "a", t(0), ttl).await.unwrap().epoch, 1);
    assert_eq!(
        store.acquire_lease("collector", "a", t(0), ttl).await.unwrap().epoch,
        1,
        "renewed: same epoch"
    );
    store.set_fence(fence("a", 1));
    assert!(store.claim_alert(&entry("k1", 1)).await.unwrap());
    assert!(store.put_budget_statuses(&[], t(1)).await.unwrap());
    let chunk = |m: u32| {
        let line = priced("us-east-1", "m", m, TokenType::Input, 100, "0.0003");
        until(batch(Source::CloudWatch, "us-east-1", vec![], vec![line]), m + 1)
    };
    store.write(&chunk(1)).await.unwrap();
    // `a` freezes; its lease runs out and `b` takes it.
    let b = store.acquire_lease("collector", "b", t(1), ttl).await.unwrap();
    assert_eq!((b.holder.as_str(), b.epoch), ("b", 2));
    let fenced = |r: Result<(), StoreError>, what: &str| {
        assert!(
            matches!(r, Err(StoreError::Fenced { ref holder, epoch: 1, .. }) if holder == "a"),
            "{what}: {r:?}"
        );
    };
    fenced(store.claim_alert(&entry("k2", 2)).await.map(drop), "claim");
    fenced(store.lock_alert("k1", "a", t(2), t(3)).await.map(drop), "lock");
    fenced(store.mark_alert_published("k1", t(2)).await.map(drop), "publish");
    let failure = FailedAttempt { error: "x", retry_at: t(3), uncertain: false };
    fenced(store.mark_alert_failed("k1", &failure).await, "fail");
    fenced(store.park_alert("k1", "x", t(2)).await.map(drop), "park");
    fenced(store.put_budget_statuses(&[], t(2)).await.map(drop), "statuses");
    fenced(store.open_state("episode:f", "2026-03-01T10:02:00Z").await.map(drop), "open episode");
    fenced(store.delete_state("episode:f").await, "close episode");
    fenced(store.write(&chunk(2)).await.map(drop), "ledger chunk and watermark");
    assert!(store.fenced_out(), "the refusals are remembered until a new fence is set");
    assert!(store.alert("k2").await.unwrap().is_none(), "nothing the deposed leader wrote landed");
    assert_eq!(store.alert("k1").await.unwrap().unwrap().delivery(), Delivery::Pending);
    assert_eq!(store.get_state("episode:f").await.unwrap(), None);
    assert_eq!(store.watermark(Source::CloudWatch, "us-east-1").await.unwrap(), Some(t(2)), "not moved");
    assert_eq!(store.cost_totals().await.unwrap()[0].tokens, 100, "the late chunk added nothing");

    store.set_fence(fence("b", 2));
    assert!(!store.fenced_out());
    assert!(store.mark_alert_published("k1", t(2)).await.unwrap(), "the holder's writes go through");
    store.write(&chunk(2)).await.unwrap();
    assert_eq!(store.watermark(Source::CloudWatch, "us-east-1").await.unwrap(), Some(t(3)));
    // Released, the lease keeps its epoch: the next holding is the third.
    store.release_lease("collector", "b").await.unwrap();
    assert_eq!(store.acquire_lease("collector", "a", t(2), ttl).await.unwrap().epoch, 3);
}

pub async fn lease_has_one_holder_and_passes_on_expiry(store: &dyn Backend) {
    let ttl = Duration::seconds(30);
    let lease = |h: &'static str, m: u32| store.acquire_lease("collector", h, t(m), ttl);
    assert_eq!(lease("a", 0).await.unwrap().holder, "a");
    assert_eq!(lease("b", 0).await.unwrap().holder, "a", "held: b cannot take it");
    let renewed = lease("a", 0).await.unwrap();
    assert_eq!(renewed.expires_at, t(0) + ttl);
    // One minute later a's lease has expired: b takes over and a cannot renew.
    let taken = lease("b", 1).await.unwrap();
    assert_eq!((taken.holder.as_str(), taken.expires_at), ("b", t(1) + ttl));
    assert!(taken.held_by("b", t(1)) && !taken.held_by("a", t(1)));
    assert_eq!(lease("a", 1).await.unwrap().holder, "b");
    store.release_lease("collector", "a").await.unwrap();
    assert_eq!(lease("a", 1).await.unwrap().holder, "b", "only the holder releases");
    store.release_lease("collector", "b").await.unwrap();
    assert_eq!(lease("a", 1).await.unwrap().holder, "a", "released: free at once");
    assert_eq!(
        store.acquire_lease("other", "b", t(1), ttl).await.unwrap().holder,
        "b",
        "leases are independent"
    );
}

fn status(budget: &str, principal: Option<&str>, spend: &str) -> BudgetStatus {
    BudgetStatus {
        budget: budget.into(),
        principal: principal.map(Into::into),
        metadata: None,
        period: PeriodInfo {
            kind: Period::Month,
            start: t(0),
            end: t(600),
            timezone: "Europe/Berlin".into(),
        },
        spend_usd: usd(spend),
        limit_usd: usd("100.00"),
        remaining_usd: usd("100.00") - usd(spend),
        utilization: (usd(spend) / usd("100.00")).round_dp(6),
        forecast_usd: Some(usd("120.5")),
        state: BudgetState::Warning,
        on_exceeded: OnExceeded::Deny,
        severity: AlertSeverity::Warning,
        thresholds_crossed: vec![50],
        burn_rate: None,
        top_models: vec![SpendItem { name: "claude-sonnet-4-5".into(), usd: usd("40.5") }],
        top_principals: vec![],
        unpriced_tokens: 7,
        evaluated_at: t(3),
        data_through: Some(t(2)),
    }
}

pub async fn statuses_are_replaced_whole_and_flags_kept(store: &dyn Backend) {
    let first = vec![
        status("team", None, "50.000000000000000001"),
        status("per-user", Some("arn:aws:iam::1:user/a"), "1"),
    ];
    assert!(store.put_budget_statuses(&first, t(3)).await.unwrap());
    let mut want = first.clone();
    want.sort_by(|a, b| (&a.budget, &a.principal).cmp(&(&b.budget, &b.principal)));
    assert_eq!(store.budget_statuses().await.unwrap(), want);
    let second = vec![status("team", None, "60")];
    assert!(store.put_budget_statuses(&second, t(4)).await.unwrap());
    assert_eq!(store.budget_statuses().await.unwrap(), second, "a principal gone from the set is gone");
    // A replica that evaluated earlier (it lost the lease meanwhile) writes nothing.
    assert!(!store.put_budget_statuses(&first, t(3)).await.unwrap(), "an older set is refused");
    assert_eq!(store.budget_statuses().await.unwrap(), second);
    assert!(store.put_budget_statuses(&second, t(4)).await.unwrap(), "the same instant again is fine");

    // Opening an episode is conditional: the first start stands for everyone.
    let opened = store.open_state("episode:y", "2026-03-01T10:00:00Z").await.unwrap();
    let again = store.open_state("episode:y", "2026-03-01T10:01:00Z").await.unwrap();
    assert_eq!((opened.as_str(), again.as_str()), ("2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z"));
    let values: Vec<String> = (0..8).map(|i| format!("2026-03-01T11:0{i}:00Z")).collect();
    let racing =
        futures_util::future::join_all(values.iter().map(|v| store.open_state("episode:z", v))).await;
    let winners: std::collections::BTreeSet<String> = racing.into_iter().map(Result::unwrap).collect();
    assert_eq!(winners.len(), 1, "eight racing openings agree on one start: {winners:?}");

    assert_eq!(store.get_state("episode:x").await.unwrap(), None);
    store.put_state("episode:x", "2026-03-01T10:00:00Z").await.unwrap();
    store.put_state("episode:x", "2026-03-01T10:05:00Z").await.unwrap();
    assert_eq!(store.get_state("episode:x").await.unwrap().as_deref(), Some("2026-03-01T10:05:00Z"));
    store.delete_state("episode:x").await.unwrap();
    store.delete_state("episode:x").await.unwrap();
    assert_eq!(store.get_state("episode:x").await.unwrap(), None);
}
