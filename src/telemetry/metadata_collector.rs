//! Per end user (or tenant, feature…) families from the logged requests'
//! all-time totals: `bedrock_metadata_cost_usd_total{key,value,region,model}`
//! (the exact priced cost) and `bedrock_metadata_requests_total{…}`, one set
//! per configured `requestMetadata` key; requests without the key count as
//! `value="none"`.
//!
//! Values are capped per key: the first ones kept (the top N by all-time
//! cost when the daemon starts, then new values while there is room) keep
//! their label for the life of the process, every other is summed into
//! `value="other"`. A value never leaves its series while the process runs,
//! so no counter here ever decreases. Pure; money is summed in `Decimal`.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::families::{count_sample, usd_sample, FamilyBuilder};
use super::snapshot::{Snapshot, UNPRICED_MODEL};
use crate::records::RequestSum;

pub const COST: (&str, &str) = (
    "bedrock_metadata_cost_usd_total",
    "Priced cost of the logged requests (invocation logs) per requestMetadata key and value, each request priced on its own.",
);
pub const REQUESTS: (&str, &str) = (
    "bedrock_metadata_requests_total",
    "Logged requests (invocation logs) per requestMetadata key and value.",
);
pub const LABELS: [&str; 4] = ["key", "value", "region", "model"];

pub const OTHER: &str = "other";
pub const NONE: &str = "none";

/// Key → the values that keep their own label.
pub type Kept = BTreeMap<String, BTreeSet<String>>;

/// Adds, per key, the values with the highest all-time cost (then name)
/// until `cap` are kept; never removes one.
pub fn keep_more(kept: &mut Kept, keys: &[String], totals: &[RequestSum], cap: usize) {
    for key in keys {
        let mut by_value: BTreeMap<String, Decimal> = BTreeMap::new();
        for t in totals {
            if let Some(v) = t.dimensions.get(key) {
                *by_value.entry(v.clone()).or_default() += t.usd;
            }
        }
        super::sticky::keep_best(kept.entry(key.clone()).or_default(), by_value.into_iter().collect(), cap);
    }
}

pub fn render(snapshot: &Snapshot) -> Vec<prometheus::proto::MetricFamily> {
    let mut cost: BTreeMap<[String; 4], Decimal> = BTreeMap::new();
    let mut requests: BTreeMap<[String; 4], u64> = BTreeMap::new();
    for (key, kept) in &snapshot.metadata_kept {
        for t in &snapshot.request_totals {
            let value = match t.dimensions.get(key) {
                Some(v) if kept.contains(v) => v.clone(),
                Some(_) => OTHER.to_string(),
                None => NONE.to_string(),
            };
            let model = t.model.clone().unwrap_or_else(|| UNPRICED_MODEL.to_string());
            let labels = [key.clone(), value, t.region.clone(), model];
            *cost.entry(labels.clone()).or_default() += t.usd;
            *requests.entry(labels).or_default() += t.requests;
        }
    }
    let mut cost_family = FamilyBuilder::counter(COST.0, COST.1);
    for (labels, usd) in &cost {
        cost_family.sample(&pairs(labels), usd_sample(*usd));
    }
    let mut request_family = FamilyBuilder::counter(REQUESTS.0, REQUESTS.1);
    for (labels, n) in &requests {
        request_family.sample(&pairs(labels), count_sample(*n));
    }
    vec![cost_family.build(), request_family.build()]
}

fn pairs(labels: &[String; 4]) -> [(&str, &str); 4] {
    [(LABELS[0], &labels[0]), (LABELS[1], &labels[1]), (LABELS[2], &labels[2]), (LABELS[3], &labels[3])]
}

#[cfg(test)]
#[path = "metadata_collector_tests.rs"]
mod tests;
