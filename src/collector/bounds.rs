//! The uncertainty of stored minutes: per (region, model ID, minute) of the
//! ledger's metric points, the usage as it was priced (cache writes under
//! the configured TTL) and the minute's invocations, bounded by
//! `pricing::bounds`. What `report --bounds` adds to each row.
//!
//! Pure: reads no store; must not write anything.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::bedrock::BedrockMetric;
use crate::pricing::bounds::{minute_bounds, Bounds};
use crate::pricing::points::{whole_tokens, PointPricer};
use crate::pricing::Usage;
use crate::records::MetricPoint;

/// The bounds of one priced minute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinuteBounds {
    pub region: String,
    pub model_id: String,
    /// The price-table model key.
    pub model: String,
    pub minute: DateTime<Utc>,
    pub bounds: Bounds,
}

/// (region, model ID, minute) → the usage as priced, and the invocations.
type Minutes<'a> = BTreeMap<(&'a str, &'a str, DateTime<Utc>), (Usage, Option<u64>)>;

/// Bounds of every minute of `points` whose usage can be priced.
pub fn of_points(pricer: &PointPricer, points: &[MetricPoint]) -> Vec<MinuteBounds> {
    let mut minutes: Minutes<'_> = BTreeMap::new();
    let table = pricer.pricer();
    for p in points {
        let slot = minutes.entry((p.region.as_str(), p.model_id.as_str(), p.minute)).or_default();
        if p.metric == BedrockMetric::Invocations {
            slot.1 = whole_tokens(p.sum);
        } else if let (Some(base), Some(n)) = (p.metric.token_type(), whole_tokens(p.sum)) {
            slot.0.add(pricer.token_type(&table, &p.model_id, base), n);
        }
    }
    minutes
        .into_iter()
        .filter_map(|((region, model_id, minute), (usage, calls))| {
            let bounds = minute_bounds(&table, model_id, region, minute, &usage, calls)?;
            Some(MinuteBounds {
                region: region.to_string(),
                model_id: model_id.to_string(),
                model: pricer.model_of(model_id)?,
                minute,
                bounds,
            })
        })
        .collect()
}
