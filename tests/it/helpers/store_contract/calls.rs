//! Contract of the CloudTrail side of the ledger: call counts and attributed
//! shares are replaced window by window (a re-read converges, never adds),
//! their totals always equal the sum of the latest rows, and window sums use
//! the same half-open minutes as everything else. Written against the traits
//! only, for every store.

use std::collections::BTreeMap;

use bedrock_cost_monitor::ledger::{AttributionBatch, Backend, CallBatch, ReplaceStats};
use bedrock_cost_monitor::records::{
    Attribution, CallCount, CallTotal, PrincipalCost, PrincipalTotal, Source,
};
use rust_decimal::Decimal;

use super::{t, usd};

const R: &str = "us-east-1";
const ROLE: &str = "arn:aws:iam::111122223333:role/app";
const USER: &str = "arn:aws:iam::111122223333:user/alice";

pub fn call(m: u32, model_id: &str, principal: &str, error: Option<&str>, calls: u64) -> CallCount {
    CallCount {
        region: R.into(),
        minute: t(m),
        model_id: model_id.into(),
        principal: principal.into(),
        error_code: error.map(Into::into),
        calls,
        input_tokens: None,
        output_tokens: None,
    }
}

pub fn calls_batch(from: u32, to: u32, calls: Vec<CallCount>, watermark: Option<u32>) -> CallBatch {
    CallBatch { region: R.into(), from: t(from), to: t(to), calls, watermark: watermark.map(t) }
}

fn totals_of_calls(calls: &[CallCount]) -> Vec<CallTotal> {
    let mut sums: BTreeMap<(String, String, String, Option<String>), u64> = BTreeMap::new();
    for c in calls {
        *sums
            .entry((c.region.clone(), c.model_id.clone(), c.principal.clone(), c.error_code.clone()))
            .or_default() += c.calls;
    }
    sums.into_iter()
        .map(|((region, model_id, principal, error_code), calls)| CallTotal {
            region,
            model_id,
            principal,
            error_code,
            calls,
        })
        .collect()
}

pub async fn calls_replace_their_window(store: &dyn Backend) {
    let first = vec![
        call(0, "m", ROLE, None, 3),
        call(0, "m", ROLE, Some("ThrottlingException"), 1),
        CallCount { input_tokens: Some(1200), output_tokens: Some(300), ..call(1, "m", USER, None, 2) },
        call(70, "m", USER, None, 5),
    ];
    let b = calls_batch(0, 120, first.clone(), Some(120));
    assert_eq!(store.write_calls(&b).await.unwrap(), ReplaceStats { inserted: 4, changed: 0, removed: 0 });
    assert_eq!(store.write_calls(&b).await.unwrap(), ReplaceStats::default(), "a re-read writes nothing");
    assert_eq!(store.call_counts(R, t(0), t(120)).await.unwrap(), first);
    assert_eq!(store.call_counts(R, t(1), t(70)).await.unwrap(), vec![first[2].clone()], "half-open");
    assert_eq!(store.call_totals().await.unwrap(), totals_of_calls(&first));
    assert_eq!(store.watermark(Source::CloudTrail, R).await.unwrap(), Some(t(120)));

    // Re-reading [0, 60): the throttle is gone, the role made 4 calls, minute 70 is outside and stays.
    let second = vec![call(0, "m", ROLE, None, 4), first[2].clone()];
    let stats = store.write_calls(&calls_batch(0, 60, second.clone(), Some(60))).await.unwrap();
    assert_eq!(stats, ReplaceStats { inserted: 0, changed: 1, removed: 1 });
    let mut latest = second;
    latest.push(first[3].clone());
    assert_eq!(store.call_counts(R, t(0), t(240)).await.unwrap(), latest);
    assert_eq!(store.call_totals().await.unwrap(), totals_of_calls(&latest));
    assert_eq!(store.watermark(Source::CloudTrail, R).await.unwrap(), Some(t(120)), "never backwards");
    assert!(store.call_counts("eu-west-1", t(0), t(240)).await.unwrap().is_empty());
}

pub async fn refused_call_batch_writes_nothing(store: &dyn Backend) {
    store.write_calls(&calls_batch(0, 10, vec![call(0, "m", ROLE, None, 1)], Some(10))).await.unwrap();
    let outside =
        calls_batch(0, 10, vec![call(0, "m", ROLE, None, 9), call(10, "m", ROLE, None, 1)], Some(20));
    assert!(store.write_calls(&outside).await.is_err(), "a count outside the window is refused");
    let twice = calls_batch(0, 10, vec![call(0, "m", ROLE, None, 2), call(0, "m", ROLE, None, 3)], Some(20));
    assert!(store.write_calls(&twice).await.is_err(), "a key twice is refused");
    assert_eq!(store.call_counts(R, t(0), t(60)).await.unwrap(), vec![call(0, "m", ROLE, None, 1)]);
    assert_eq!(store.watermark(Source::CloudTrail, R).await.unwrap(), Some(t(10)));
}

pub fn share(m: u32, principal: &str, attribution: Attribution, amount: &str) -> PrincipalCost {
    PrincipalCost {
        region: R.into(),
        minute: t(m),
        model_id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
        model: "claude-sonnet-4-5".into(),
        principal: principal.into(),
        attribution,
        usd: usd(amount),
    }
}

fn sums_of(shares: &[PrincipalCost]) -> Vec<PrincipalTotal> {
    let mut sums: BTreeMap<(String, String, String, String, Attribution), Decimal> = BTreeMap::new();
    for s in shares {
        *sums
            .entry((
                s.region.clone(),
                s.model_id.clone(),
                s.model.clone(),
                s.principal.clone(),
                s.attribution,
            ))
            .or_default() += s.usd;
    }
    sums.into_iter()
        .map(|((region, model_id, model, principal, attribution), usd)| PrincipalTotal {
            region,
            model_id,
            model,
            principal,
            attribution,
            usd,
        })
        .collect()
}

pub async fn shares_replace_their_window_and_sum_exactly(store: &dyn Backend) {
    use Attribution::{Estimated, Exact, Unattributed};
    let first = vec![
        share(0, ROLE, Estimated, "0.000001234567890123"),
        share(0, USER, Exact, "0.5"),
        share(59, "unattributed", Unattributed, "0.25"),
        share(61, ROLE, Estimated, "1.75"),
        share(150, USER, Estimated, "3"),
    ];
    let b = AttributionBatch { region: R.into(), from: t(0), to: t(180), shares: first.clone() };
    assert_eq!(
        store.write_attribution(&b).await.unwrap(),
        ReplaceStats { inserted: 5, changed: 0, removed: 0 }
    );
    assert_eq!(store.write_attribution(&b).await.unwrap(), ReplaceStats::default());
    assert_eq!(store.principal_totals().await.unwrap(), sums_of(&first));
    for (a, z) in [(0, 60), (30, 150), (0, 180), (60, 61), (151, 180)] {
        let inside: Vec<_> = first.iter().filter(|s| s.minute >= t(a) && s.minute < t(z)).cloned().collect();
        assert_eq!(store.principal_sums(t(a), t(z)).await.unwrap(), sums_of(&inside), "[{a}, {z})");
    }
    // CloudTrail caught up for minute 59: its cost moves from unattributed to the role.
    let second = vec![share(59, ROLE, Estimated, "0.25")];
    let b = AttributionBatch { region: R.into(), from: t(59), to: t(60), shares: second };
    assert_eq!(
        store.write_attribution(&b).await.unwrap(),
        ReplaceStats { inserted: 1, changed: 0, removed: 1 }
    );
    let mut latest = first.clone();
    latest[2] = share(59, ROLE, Estimated, "0.25");
    assert_eq!(store.principal_totals().await.unwrap(), sums_of(&latest));
    assert_eq!(store.principal_sums(t(0), t(240)).await.unwrap(), sums_of(&latest));
}
