//! The domain metrics (`bedrock_*`), rendered on every scrape from the
//! [`Snapshot`] of the ledger's all-time totals.
//!
//! The counters are COUNTER families built by hand from those totals, not
//! counters incremented in memory, so they never reset when the daemon
//! restarts and two replicas export the same values. This collector only
//! reads the snapshot: it never queries the store, prices or calls AWS.

use std::collections::BTreeMap;
use std::sync::PoisonError;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use rust_decimal::Decimal;

use super::bounds_family;
use super::families::{count_sample, desc, usd_sample, FamilyBuilder};
use super::snapshot::{SharedSnapshot, Snapshot, UNPRICED_MODEL};
use crate::bedrock::{project_of, BedrockMetric};
use crate::records::MetricPoint;

struct Spec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
}

const SERIES: &[&str] = &["region", "model_id", "model"];
/// `project` is the model ID's (`default` for bedrock-runtime usage), so it
/// adds no series: its cardinality is bounded by the model IDs'.
const TOKEN_SERIES: &[&str] = &["region", "model_id", "model", "project", "token_type"];

const TOKENS: Spec = Spec {
    name: "bedrock_tokens_total",
    help: "Tokens used, from the ledger's all-time totals (model=\"unpriced\" when not priced).",
    labels: TOKEN_SERIES,
};
const COST: Spec = Spec {
    name: "bedrock_cost_usd_total",
    help: "Exact cost in USD of the priced tokens, from the ledger's all-time totals.",
    labels: TOKEN_SERIES,
};
const UNPRICED: Spec = Spec {
    name: "bedrock_unpriced_tokens_total",
    help: "Tokens of model IDs that resolve to no price: their cost is unknown, not zero.",
    labels: &["region", "model_id", "project", "token_type"],
};
const INVOCATIONS: Spec = Spec {
    name: "bedrock_invocations_total",
    help: "Model invocations (CloudWatch Invocations), from the ledger's all-time totals.",
    labels: SERIES,
};
const ERRORS: Spec = Spec {
    name: "bedrock_invocation_errors_total",
    help: "Failed invocations by kind (client, server, throttle), from the ledger's all-time totals.",
    labels: &["region", "model_id", "model", "kind"],
};
const LATENCY: Spec = Spec {
    name: "bedrock_invocation_latency_ms",
    help: "Average invocation latency in milliseconds over the latest minute with data.",
    labels: SERIES,
};
const TTFT: Spec = Spec {
    name: "bedrock_time_to_first_token_ms",
    help: "Average time to first token in milliseconds over the latest minute with data.",
    labels: SERIES,
};
const QUOTA: Spec = Spec {
    name: "bedrock_estimated_tpm_quota_usage",
    help: "Estimated tokens-per-minute quota usage in the latest minute with data.",
    labels: SERIES,
};
const PRICE: Spec = Spec {
    name: "bedrock_price_usd_per_million_tokens",
    help: "Price in force, USD per million tokens; region is set only for region overrides.",
    labels: &["model", "token_type", "scope", "region"],
};

const ALL: [&Spec; 9] = [&TOKENS, &COST, &UNPRICED, &INVOCATIONS, &ERRORS, &LATENCY, &TTFT, &QUOTA, &PRICE];

/// The `prometheus` collector of the domain metrics.
#[derive(Debug)]
pub struct LedgerCollector {
    snapshot: SharedSnapshot,
    descs: Vec<Desc>,
}

impl LedgerCollector {
    pub fn new(snapshot: SharedSnapshot) -> prometheus::Result<Self> {
        let mut descs: Vec<Desc> =
            ALL.iter().map(|s| desc(s.name, s.help, s.labels)).collect::<Result<_, _>>()?;
        use super::principal_collector::{COST, ERRORS, INVOCATIONS};
        let series = ["region", "model_id", "model", "principal"];
        descs.push(desc(INVOCATIONS.0, INVOCATIONS.1, &series)?);
        descs.push(desc(ERRORS.0, ERRORS.1, &[series[0], series[1], series[2], series[3], "error_code"])?);
        descs.push(desc(COST.0, COST.1, &[series[0], series[1], series[2], series[3], "attribution"])?);
        descs.push(desc(bounds_family::NAME, bounds_family::HELP, bounds_family::LABELS)?);
        use super::metadata_collector as meta;
        descs.push(desc(meta::COST.0, meta::COST.1, &meta::LABELS)?);
        descs.push(desc(meta::REQUESTS.0, meta::REQUESTS.1, &meta::LABELS)?);
        Ok(LedgerCollector { snapshot, descs })
    }
}

impl Collector for LedgerCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        // A writer that panicked left a whole snapshot behind: still render it.
        let snapshot = self.snapshot.read().unwrap_or_else(PoisonError::into_inner);
        render(&snapshot)
    }
}

/// Every domain family for one snapshot (empty families included; the
/// registry drops them).
pub fn render(snapshot: &Snapshot) -> Vec<MetricFamily> {
    let mut families = cost_families(snapshot);
    families.extend(call_families(snapshot));
    families.extend(gauge_families(snapshot));
    families.push(price_family(snapshot));
    families.push(bounds_family::render(snapshot));
    families.extend(super::principal_collector::render(snapshot));
    families.extend(super::metadata_collector::render(snapshot));
    families
}

/// Tokens, cost and unpriced tokens. Both cache-write TTLs fold into
/// `cache_write`, so rows are summed per label set (exactly, in `Decimal`).
fn cost_families(snapshot: &Snapshot) -> Vec<MetricFamily> {
    let mut priced: BTreeMap<[&str; 4], (u64, Decimal)> = BTreeMap::new();
    let mut unpriced: BTreeMap<[&str; 3], u64> = BTreeMap::new();
    for t in &snapshot.cost_totals {
        let token = t.token_type.metric_label();
        match &t.model {
            Some(model) => {
                let slot = priced.entry([&t.region, &t.model_id, model, token]).or_default();
                slot.0 = slot.0.saturating_add(t.tokens);
                slot.1 = slot.1.saturating_add(t.usd);
            }
            None => {
                let slot = unpriced.entry([&t.region, &t.model_id, token]).or_default();
                *slot = slot.saturating_add(t.tokens);
            }
        }
    }
    let (mut tokens, mut cost) =
        (FamilyBuilder::counter(TOKENS.name, TOKENS.help), FamilyBuilder::counter(COST.name, COST.help));
    for ([region, model_id, model, token], (n, usd)) in &priced {
        let project = project_of(model_id);
        let labels = [
            ("region", *region),
            ("model_id", *model_id),
            ("model", *model),
            ("project", project),
            ("token_type", *token),
        ];
        tokens.sample(&labels, count_sample(*n));
        cost.sample(&labels, usd_sample(*usd));
    }
    let mut unpriced_family = FamilyBuilder::counter(UNPRICED.name, UNPRICED.help);
    for ([region, model_id, token], n) in &unpriced {
        let project = project_of(model_id);
        tokens.sample(
            &[
                ("region", region),
                ("model_id", model_id),
                ("model", UNPRICED_MODEL),
                ("project", project),
                ("token_type", token),
            ],
            count_sample(*n),
        );
        let labels =
            [("region", *region), ("model_id", *model_id), ("project", project), ("token_type", *token)];
        unpriced_family.sample(&labels, count_sample(*n));
    }
    vec![tokens.build(), cost.build(), unpriced_family.build()]
}

/// Invocations and errors from the metric totals.
fn call_families(snapshot: &Snapshot) -> Vec<MetricFamily> {
    let mut sums: BTreeMap<(&str, &str, BedrockMetric), f64> = BTreeMap::new();
    for t in &snapshot.metric_totals {
        let slot = sums.entry((&t.region, &t.model_id, t.metric)).or_default();
        *slot = add(*slot, t.sum);
    }
    let mut invocations = FamilyBuilder::counter(INVOCATIONS.name, INVOCATIONS.help);
    let mut errors = FamilyBuilder::counter(ERRORS.name, ERRORS.help);
    for ((region, model_id, metric), sum) in sums {
        let model = snapshot.model_label(model_id);
        let series = [("region", region), ("model_id", model_id), ("model", model)];
        match error_kind(metric) {
            Some(kind) => errors.sample(&[series[0], series[1], series[2], ("kind", kind)], sum),
            None if metric == BedrockMetric::Invocations => invocations.sample(&series, sum),
            None => {}
        }
    }
    vec![invocations.build(), errors.build()]
}

fn error_kind(metric: BedrockMetric) -> Option<&'static str> {
    match metric {
        BedrockMetric::InvocationClientErrors => Some("client"),
        BedrockMetric::InvocationServerErrors => Some("server"),
        BedrockMetric::InvocationThrottles => Some("throttle"),
        _ => None,
    }
}

/// Latency, time to first token and quota usage from each series' latest minute.
fn gauge_families(snapshot: &Snapshot) -> Vec<MetricFamily> {
    let mut latest: BTreeMap<(&str, &str, BedrockMetric), &MetricPoint> = BTreeMap::new();
    for p in &snapshot.latest_points {
        let slot = latest.entry((&p.region, &p.model_id, p.metric)).or_insert(p);
        if p.minute > slot.minute {
            *slot = p;
        }
    }
    let mut latency = FamilyBuilder::gauge(LATENCY.name, LATENCY.help);
    let mut ttft = FamilyBuilder::gauge(TTFT.name, TTFT.help);
    let mut quota = FamilyBuilder::gauge(QUOTA.name, QUOTA.help);
    for ((region, model_id, metric), point) in latest {
        let labels = [("region", region), ("model_id", model_id), ("model", snapshot.model_label(model_id))];
        let (family, value) = match metric {
            BedrockMetric::InvocationLatency => (&mut latency, average(point.sum, point.count)),
            BedrockMetric::TimeToFirstToken => (&mut ttft, average(point.sum, point.count)),
            BedrockMetric::EstimatedTpmQuotaUsage => (&mut quota, Some(point.sum)),
            _ => continue,
        };
        if let Some(value) = value {
            family.sample(&labels, value);
        }
    }
    vec![latency.build(), ttft.build(), quota.build()]
}

/// The price gauge; `region` is empty (absent to Prometheus) unless the
/// entry is a region override.
fn price_family(snapshot: &Snapshot) -> MetricFamily {
    let mut family = FamilyBuilder::gauge(PRICE.name, PRICE.help);
    for row in &snapshot.prices {
        let labels = [
            ("model", row.model.as_str()),
            ("token_type", row.token_type),
            ("scope", row.scope.as_str()),
            ("region", row.region.as_deref().unwrap_or("")),
        ];
        family.sample(&labels, usd_sample(row.usd_per_million));
    }
    family.build()
}

/// CloudWatch statistics are `f64` measurements (counts, milliseconds), not
/// money, so plain float arithmetic is right for them.
#[allow(clippy::float_arithmetic, reason = "CloudWatch statistics, not money")]
fn add(a: f64, b: f64) -> f64 {
    a + b
}

/// Sum / SampleCount; no average without samples.
#[allow(clippy::float_arithmetic, reason = "CloudWatch statistics, not money")]
fn average(sum: f64, count: Option<f64>) -> Option<f64> {
    count.filter(|c| *c > 0.0).map(|c| sum / c)
}
