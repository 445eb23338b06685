//! `bedrock_cost_uncertainty_usd{region,model_id,model,bound}`: what the
//! exact cost of the snapshot's recent minutes cannot know from CloudWatch,
//! as computed by the refresher (`collector::bounds`): `long_context_max_extra`
//! (the most the long-context tier could add), `cache_ttl_low` and
//! `cache_ttl_high` (the change had cache writes used the other TTL).
//!
//! Model IDs beyond the cap are summed into `model_id="other"` per real
//! `model`: each bound is a sum over minutes and series, so the sum over the
//! folded IDs is that bound for all of them together.
//!
//! Renders only; the `Decimal` becomes `f64` in `usd_sample`, at this edge.

use std::collections::BTreeMap;

use prometheus::proto::MetricFamily;

use super::families::{usd_sample, FamilyBuilder};
use super::snapshot::Snapshot;
use crate::pricing::bounds::Bounds;

pub const NAME: &str = "bedrock_cost_uncertainty_usd";
pub const HELP: &str = "Over the recent minutes of data: the most the long-context tier could add to the \
exact cost (bound=long_context_max_extra), and the cost change had cache writes used the other TTL \
(bound=cache_ttl_low, cache_ttl_high).";
pub const LABELS: &[&str] = &["account", "region", "model_id", "model", "bound"];

pub fn render(snapshot: &Snapshot) -> MetricFamily {
    let mut summed: BTreeMap<(&str, &str, &str), Bounds> = BTreeMap::new();
    for ((region, model_id, model), b) in &snapshot.bounds {
        summed.entry((region, snapshot.model_id_label(model_id), model)).or_default().add(b);
    }
    let mut family = FamilyBuilder::gauge(NAME, HELP).by_account(&snapshot.primary_account);
    for ((region, model_id, model), b) in &summed {
        for (bound, usd) in [
            ("long_context_max_extra", b.long_context_max_extra_usd),
            ("cache_ttl_low", b.cache_ttl_low_usd),
            ("cache_ttl_high", b.cache_ttl_high_usd),
        ] {
            let labels = [("region", *region), ("model_id", *model_id), ("model", *model), ("bound", bound)];
            family.sample(&labels, usd_sample(usd));
        }
    }
    family.build()
}
