//! Per-shard self-metrics: what each (account, region) cost the daemon in
//! AWS requests and whether its last collection failed, and the one rule
//! that turns a ledger key into the `account` and `region` labels every
//! self-metric with a region uses.
//!
//! Only counts what callers report; never reads the ledger or calls AWS.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGaugeVec, Opts, Registry};
use rust_decimal::Decimal;

use super::families::{desc, usd_sample, FamilyBuilder};
use crate::records::Source;
use crate::shard::{account_label, region_of, PRIMARY_LABEL};

const API_COST: &str = "bedrock_monitor_shard_api_cost_usd_total";
const API_COST_HELP: &str = "Estimated USD cost of the daemon's AWS requests per shard (account and region) since \
start: GetMetricData and ListMetrics (LookupEvents is free). Its sum is part of bedrock_monitor_aws_api_cost_usd_total.";

/// The label rule, the per-shard cost and the failing flags. Cheap to clone.
#[derive(Clone)]
pub struct ShardMetrics {
    primary: Arc<OnceLock<String>>,
    cost: Arc<Mutex<BTreeMap<String, Decimal>>>,
    failing: IntGaugeVec,
}

impl ShardMetrics {
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        let primary = Arc::new(OnceLock::new());
        let cost = Arc::new(Mutex::new(BTreeMap::new()));
        let failing = IntGaugeVec::new(
            Opts::new(
                "bedrock_monitor_shard_failing",
                "1 while the last collection of the source in this shard (account and region) failed.",
            ),
            &["source", "account", "region"],
        )?;
        let collector = CostCollector {
            primary: primary.clone(),
            cost: cost.clone(),
            desc: desc(API_COST, API_COST_HELP, &["account", "region"])?,
        };
        super::register(registry, Box::new(collector))?;
        super::register(registry, Box::new(failing.clone()))?;
        Ok(ShardMetrics { primary, cost, failing })
    }

    /// The primary account's label; set once at start (later calls are ignored).
    pub fn set_primary_account(&self, label: &str) {
        let _ = self.primary.set(label.to_string());
    }

    /// `[account, region]` of a ledger key.
    pub fn labels<'a>(&'a self, key: &'a str) -> [&'a str; 2] {
        let primary = self.primary.get().map_or(PRIMARY_LABEL, String::as_str);
        [account_label(key, primary), region_of(key)]
    }

    /// Adds what one shard's requests cost, exactly.
    pub fn add_api_cost(&self, key: &str, usd: Decimal) {
        if usd.is_zero() {
            return;
        }
        let mut cost = self.cost.lock().unwrap_or_else(PoisonError::into_inner);
        *cost.entry(key.to_string()).or_default() += usd;
    }

    /// Whether the last run of `source` failed in shard `key`.
    pub fn set_failing(&self, source: Source, key: &str, failing: bool) {
        let [account, region] = self.labels(key);
        self.failing.with_label_values(&[source.as_str(), account, region]).set(i64::from(failing));
    }
}

struct CostCollector {
    primary: Arc<OnceLock<String>>,
    cost: Arc<Mutex<BTreeMap<String, Decimal>>>,
    desc: Desc,
}

impl Collector for CostCollector {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.desc]
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let primary = self.primary.get().map_or(PRIMARY_LABEL, String::as_str);
        let mut family = FamilyBuilder::counter(API_COST, API_COST_HELP).by_account(primary);
        for (key, usd) in self.cost.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            family.sample(&[("region", key)], usd_sample(*usd));
        }
        vec![family.build()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::families::sample_lines;

    #[test]
    fn keys_become_account_and_region_labels_and_costs_add_up_exactly() {
        let m = ShardMetrics::new(&Registry::new()).unwrap();
        m.set_primary_account("123456789012");
        assert_eq!(m.labels("us-east-1"), ["123456789012", "us-east-1"]);
        assert_eq!(m.labels("111122223333/eu-west-1"), ["111122223333", "eu-west-1"]);
        for _ in 0..3 {
            m.add_api_cost("111122223333/eu-west-1", Decimal::new(1, 5));
        }
        m.add_api_cost("us-east-1", Decimal::new(7, 5));
        let c = CostCollector {
            primary: m.primary.clone(),
            cost: m.cost.clone(),
            desc: m.failing.desc()[0].clone(),
        };
        let lines = sample_lines(c.collect());
        assert_eq!(
            lines,
            vec![
                "bedrock_monitor_shard_api_cost_usd_total{account=\"111122223333\",region=\"eu-west-1\"} 0.00003",
                "bedrock_monitor_shard_api_cost_usd_total{account=\"123456789012\",region=\"us-east-1\"} 0.00007",
            ]
        );
    }
}
