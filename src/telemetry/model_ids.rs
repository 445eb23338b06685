//! The bound on the `model_id` label of every `bedrock_*` family that has one.
//!
//! CloudWatch `ModelId` values are whatever callers pass: base IDs, each
//! cross-region profile prefix, one application inference profile ARN per
//! application or tenant, bedrock-mantle `mantle/<project>/<model>` IDs.
//! At most `metrics.top_model_ids` of them keep their own label: the top
//! ones by all-time cost, then tokens (so unpriced IDs rank among
//! themselves), then name, when the daemon starts, then new ones while there
//! is room. Every other ID is exported as `model_id="other"`, summed exactly
//! with the `model` and `project` labels of the real ID, which are bounded by
//! the price table and the mantle projects. A kept ID stays kept
//! ([`super::sticky::keep_best`]), so no `other` counter ever decreases.
//!
//! Pure: ranks IDs ([`rank`], kept with `sticky`) and maps labels; the
//! families apply [`Snapshot::model_id_label`]. Must not read the store or
//! decide how a family combines what it folds.
//!
//! [`Snapshot::model_id_label`]: super::snapshot::Snapshot::model_id_label

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use crate::records::CostTotal;

/// The label of every model ID beyond the cap.
pub const OTHER: &str = "other";

/// The all-time rank of one model ID: priced cost, then tokens of any kind.
pub type Rank = (Decimal, u64);

/// Every ID's rank, cost and tokens summed exactly across regions and token
/// types. `seen` names the IDs that appear only in other families
/// (invocations, calls): they rank last, by name, and take what room is left.
pub fn rank<'a>(
    cost_totals: &[CostTotal],
    seen: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, Rank> {
    let mut out: BTreeMap<String, Rank> = BTreeMap::new();
    for t in cost_totals {
        let slot = out.entry(t.model_id.clone()).or_default();
        slot.0 = slot.0.saturating_add(t.usd);
        slot.1 = slot.1.saturating_add(t.tokens);
    }
    for id in seen {
        if !out.contains_key(id) {
            out.insert(id.to_string(), Rank::default());
        }
    }
    out
}

/// The `model_id` label of `id`: itself if kept, else [`OTHER`].
pub fn label<'a>(kept: &BTreeSet<String>, id: &'a str) -> &'a str {
    if kept.contains(id) {
        id
    } else {
        OTHER
    }
}

#[cfg(test)]
#[path = "model_ids_tests.rs"]
mod tests;
