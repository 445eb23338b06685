//! `bedrock_cost_uncertainty_usd{region,model_id,model,bound}`: what the
//! exact cost of the snapshot's recent minutes cannot know from CloudWatch,
//! as computed by the refresher (`collector::bounds`): `long_context_max_extra`
//! (the most the long-context tier could add), `cache_ttl_low` and
//! `cache_ttl_high` (the change had cache writes used the other TTL).
//!
//! Renders only; the `Decimal` becomes `f64` in `usd_sample`, at this edge.

use prometheus::proto::MetricFamily;

use super::families::{usd_sample, FamilyBuilder};
use super::snapshot::Snapshot;

pub const NAME: &str = "bedrock_cost_uncertainty_usd";
pub const HELP: &str = "Over the recent minutes of data: the most the long-context tier could add to the \
exact cost (bound=long_context_max_extra), and the cost change had cache writes used the other TTL \
(bound=cache_ttl_low, cache_ttl_high).";
pub const LABELS: &[&str] = &["region", "model_id", "model", "bound"];

pub fn render(snapshot: &Snapshot) -> MetricFamily {
    let mut family = FamilyBuilder::gauge(NAME, HELP);
    for ((region, model_id, model), b) in &snapshot.bounds {
        for (bound, usd) in [
            ("long_context_max_extra", b.long_context_max_extra_usd),
            ("cache_ttl_low", b.cache_ttl_low_usd),
            ("cache_ttl_high", b.cache_ttl_high_usd),
        ] {
            let labels =
                [("region", region.as_str()), ("model_id", model_id), ("model", model), ("bound", bound)];
            family.sample(&labels, usd_sample(usd));
        }
    }
    family.build()
}
