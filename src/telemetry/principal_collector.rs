//! Per-principal families from the snapshot's CloudTrail totals:
//! `bedrock_principal_invocations_total{region,model_id,model,principal}`
//! (successful calls), `bedrock_principal_errors_total{…,error_code}` and
//! `bedrock_principal_cost_usd_total{…,attribution}` (the attributed share
//! of the priced cost).
//!
//! Principals are capped: the top N by all-time cost (then calls) when the
//! daemon starts, then new ones while there is room, keep their ARN for the
//! life of the process; the rest are summed into `principal="other"`, so
//! label cardinality stays bounded however many roles call Bedrock and no
//! counter here ever decreases. `unattributed` is never folded. The
//! refresher keeps the totals already folded (`fold_unkept`). The
//! `model_id` label is bounded as in every other family (`model_ids`), so a
//! series is summed over both folds at once. Read-only; money is summed in
//! `Decimal` before it becomes `f64`.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::families::{count_sample, usd_sample, FamilyBuilder};
use super::snapshot::Snapshot;
use crate::records::{Attribution, CallTotal, PrincipalTotal, UNATTRIBUTED_PRINCIPAL};

pub const INVOCATIONS: (&str, &str) =
    ("bedrock_principal_invocations_total", "Successful Bedrock calls per principal (CloudTrail).");
pub const ERRORS: (&str, &str) =
    ("bedrock_principal_errors_total", "Failed Bedrock calls per principal and error code (CloudTrail).");
pub const COST: (&str, &str) = (
    "bedrock_principal_cost_usd_total",
    "Priced cost attributed to principals: exact from CloudTrail token counts, estimated from invocations, or unattributed.",
);

/// The label for the principal folded beyond the cap.
pub const OTHER: &str = "other";

/// Adds to `kept` the principals with the most all-time cost (then calls)
/// while fewer than `top` are kept; never removes one.
pub fn keep_more(
    kept: &mut BTreeSet<String>,
    principal_totals: &[PrincipalTotal],
    call_totals: &[CallTotal],
    top: usize,
) {
    super::sticky::keep_best(kept, rank(principal_totals, call_totals).into_iter().collect(), top);
}

/// The totals as `render` shows them: the rows of every principal neither
/// kept nor `unattributed` summed under `other`. The snapshot holds these
/// instead of every caller's rows (at a thousand callers most of its
/// memory); what `render` exports is the same, since it sums them alike.
pub fn fold_unkept(
    calls: Vec<CallTotal>,
    principals: Vec<PrincipalTotal>,
    kept: &BTreeSet<String>,
) -> (Vec<CallTotal>, Vec<PrincipalTotal>) {
    let shown = |p: String| {
        if p == UNATTRIBUTED_PRINCIPAL || kept.contains(&p) {
            p
        } else {
            OTHER.to_string()
        }
    };
    let mut call_sums: BTreeMap<(String, String, String, Option<String>), u64> = BTreeMap::new();
    for c in calls {
        let n = call_sums.entry((c.region, c.model_id, shown(c.principal), c.error_code)).or_default();
        *n = n.saturating_add(c.calls);
    }
    let mut cost_sums: BTreeMap<(String, String, String, String, Attribution), Decimal> = BTreeMap::new();
    for p in principals {
        *cost_sums.entry((p.region, p.model_id, p.model, shown(p.principal), p.attribution)).or_default() +=
            p.usd;
    }
    let calls = call_sums
        .into_iter()
        .map(|((region, model_id, principal, error_code), calls)| CallTotal {
            region,
            model_id,
            principal,
            error_code,
            calls,
        })
        .collect();
    let principals = cost_sums
        .into_iter()
        .map(|((region, model_id, model, principal, attribution), usd)| PrincipalTotal {
            region,
            model_id,
            model,
            principal,
            attribution,
            usd,
        })
        .collect();
    (calls, principals)
}

/// Each principal's claim to its own label: attributed cost, then calls.
pub fn rank(
    principal_totals: &[PrincipalTotal],
    call_totals: &[CallTotal],
) -> BTreeMap<String, (Decimal, u64)> {
    let mut rank: BTreeMap<String, (Decimal, u64)> = BTreeMap::new();
    for p in principal_totals {
        rank.entry(p.principal.clone()).or_default().0 += p.usd;
    }
    for c in call_totals {
        let slot = &mut rank.entry(c.principal.clone()).or_default().1;
        *slot = slot.saturating_add(c.calls);
    }
    rank.remove(UNATTRIBUTED_PRINCIPAL);
    rank
}

pub fn render(snapshot: &Snapshot) -> Vec<prometheus::proto::MetricFamily> {
    let keep = &snapshot.principals_kept;
    let label = |p: &str| -> String {
        if p == UNATTRIBUTED_PRINCIPAL || keep.contains(p) {
            p.to_string()
        } else {
            OTHER.to_string()
        }
    };
    let mut calls: BTreeMap<[String; 5], u64> = BTreeMap::new();
    for c in &snapshot.call_totals {
        let model = snapshot.model_label(&c.model_id).to_string();
        let code = c.error_code.clone().unwrap_or_default();
        let model_id = snapshot.model_id_label(&c.model_id).to_string();
        *calls.entry([c.region.clone(), model_id, model, label(&c.principal), code]).or_default() += c.calls;
    }
    let mut cost: BTreeMap<[String; 5], Decimal> = BTreeMap::new();
    for p in &snapshot.principal_totals {
        let key = [
            p.region.clone(),
            snapshot.model_id_label(&p.model_id).to_string(),
            p.model.clone(),
            label(&p.principal),
            p.attribution.as_str().into(),
        ];
        *cost.entry(key).or_default() += p.usd;
    }
    let primary = &snapshot.primary_account;
    let mut invocations = FamilyBuilder::counter(INVOCATIONS.0, INVOCATIONS.1).by_account(primary);
    let mut errors = FamilyBuilder::counter(ERRORS.0, ERRORS.1).by_account(primary);
    for ([region, model_id, model, principal, code], n) in &calls {
        let series =
            [("region", region.as_str()), ("model_id", model_id), ("model", model), ("principal", principal)];
        if code.is_empty() {
            invocations.sample(&series, count_sample(*n));
        } else {
            let [a, b, c, d] = series;
            errors.sample(&[a, b, c, d, ("error_code", code)], count_sample(*n));
        }
    }
    let mut cost_family = FamilyBuilder::counter(COST.0, COST.1).by_account(primary);
    for ([region, model_id, model, principal, attribution], usd) in &cost {
        let labels = [
            ("region", region.as_str()),
            ("model_id", model_id),
            ("model", model),
            ("principal", principal),
            ("attribution", attribution),
        ];
        cost_family.sample(&labels, usd_sample(*usd));
    }
    vec![invocations.build(), errors.build(), cost_family.build()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(region: &str, principal: &str, code: Option<&str>, calls: u64) -> CallTotal {
        CallTotal {
            region: region.into(),
            model_id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
            principal: principal.into(),
            error_code: code.map(Into::into),
            calls,
        }
    }

    fn cost(region: &str, principal: &str, attribution: Attribution, usd: &str) -> PrincipalTotal {
        PrincipalTotal {
            region: region.into(),
            model_id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
            model: "claude-sonnet-4-5".into(),
            principal: principal.into(),
            attribution,
            usd: usd.parse().unwrap(),
        }
    }

    #[test]
    fn folded_totals_render_exactly_as_every_callers_rows_do() {
        let (a, b, c, d) = ("role/app", "role/batch", "role/cron", "user/alice");
        let calls = vec![
            call("us-east-1", a, None, 7),
            call("us-east-1", b, None, 3),
            call("us-east-1", c, None, 2),
            call("us-east-1", c, Some("ThrottlingException"), 1),
            call("us-east-1", d, Some("ThrottlingException"), 4),
            call("210987654321/eu-west-1", d, None, 5),
            call("us-east-1", UNATTRIBUTED_PRINCIPAL, None, 9),
        ];
        let costs = vec![
            cost("us-east-1", a, Attribution::Exact, "0.000003"),
            cost("us-east-1", b, Attribution::Exact, "1.100001"),
            cost("us-east-1", c, Attribution::Exact, "2.200002"),
            cost("us-east-1", c, Attribution::Estimated, "0.3"),
            cost("210987654321/eu-west-1", d, Attribution::Estimated, "0.000000001"),
            cost("us-east-1", UNATTRIBUTED_PRINCIPAL, Attribution::Unattributed, "4"),
        ];
        let kept: BTreeSet<String> = [a.to_string()].into();
        let every = Snapshot {
            call_totals: calls.clone(),
            principal_totals: costs.clone(),
            principals_kept: kept.clone(),
            ..Snapshot::default()
        };
        let (calls, costs) = fold_unkept(calls, costs, &kept);
        assert_eq!(calls.len(), 5, "{calls:?}");
        assert_eq!(costs.len(), 5, "{costs:?}");
        let folded = Snapshot { call_totals: calls, principal_totals: costs, ..every.clone() };
        assert_eq!(render(&folded), render(&every));
    }
}
