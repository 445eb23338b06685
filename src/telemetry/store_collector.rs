//! The DynamoDB store's own requests, rendered on every scrape from the
//! store's meter: `bedrock_monitor_dynamodb_requests_total{operation}` and
//! `bedrock_monitor_dynamodb_capacity_units_total{kind=read|write}`
//! (estimated from item sizes). Registered only for the DynamoDB store; the
//! SQLite file makes no AWS requests.
//!
//! Reads counters the store keeps in memory; must not query the store or AWS.

use std::sync::Arc;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;

use super::families::{count_sample, desc, FamilyBuilder};
use crate::ledger::StoreUsage;

/// Where the counters come from: the store's meter, read at scrape time.
pub type UsageSource = Arc<dyn Fn() -> StoreUsage + Send + Sync>;

const REQUESTS: &str = "bedrock_monitor_dynamodb_requests_total";
const REQUESTS_HELP: &str = "DynamoDB requests the store has sent, by operation.";
const UNITS: &str = "bedrock_monitor_dynamodb_capacity_units_total";
const UNITS_HELP: &str =
    "DynamoDB capacity units the store has used, estimated from item sizes (transactional writes count twice).";

pub struct StoreCollector {
    usage: UsageSource,
    descs: [Desc; 2],
}

impl StoreCollector {
    pub fn new(usage: UsageSource) -> prometheus::Result<Self> {
        let descs = [desc(REQUESTS, REQUESTS_HELP, &["operation"])?, desc(UNITS, UNITS_HELP, &["kind"])?];
        Ok(StoreCollector { usage, descs })
    }
}

impl Collector for StoreCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let usage = (self.usage)();
        let mut requests = FamilyBuilder::counter(REQUESTS, REQUESTS_HELP);
        for (operation, n) in &usage.requests {
            requests.sample(&[("operation", operation)], count_sample(*n));
        }
        let mut units = FamilyBuilder::counter(UNITS, UNITS_HELP);
        units.sample(&[("kind", "read")], count_sample(usage.read_units));
        units.sample(&[("kind", "write")], count_sample(usage.write_units));
        vec![requests.build(), units.build()]
    }
}
