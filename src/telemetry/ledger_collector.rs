//! The domain metrics (`bedrock_*`), rendered on every scrape from the
//! [`Snapshot`] of the ledger's all-time totals.
//!
//! The counters are COUNTER families built by hand from those totals, not
//! counters incremented in memory, so they never reset when the daemon
//! restarts and two replicas export the same values. Every family with a
//! `model_id` label bounds it the same way (`model_ids`: the top IDs keep
//! theirs, the rest are summed into `other`). This collector only reads the
//! snapshot: it never queries the store, prices or calls AWS.

use std::collections::BTreeMap;
use std::sync::PoisonError;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use rust_decimal::Decimal;

use super::bounds_family;
use super::families::{count_sample, desc, usd_sample, FamilyBuilder};
use super::snapshot::{SharedSnapshot, Snapshot, UNPRICED_MODEL};
use crate::bedrock::{project_of, BedrockMetric};

struct Spec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
}

const SERIES: &[&str] = &["account", "region", "model_id", "model"];
/// `project` is the real model ID's (`default` for bedrock-runtime usage):
/// it adds no series to a kept ID, and to `model_id="other"` one per project
/// of the IDs it folds, so its cardinality is bounded by the projects'.
const TOKEN_SERIES: &[&str] = &["account", "region", "model_id", "model", "project", "token_type"];

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
    labels: &["account", "region", "model_id", "project", "token_type"],
};
const INVOCATIONS: Spec = Spec {
    name: "bedrock_invocations_total",
    help: "Model invocations (CloudWatch Invocations), from the ledger's all-time totals.",
    labels: SERIES,
};
const ERRORS: Spec = Spec {
    name: "bedrock_invocation_errors_total",
    help: "Failed invocations by kind (client, server, throttle), from the ledger's all-time totals.",
    labels: &["account", "region", "model_id", "model", "kind"],
};
const PRICE: Spec = Spec {
    name: "bedrock_price_usd_per_million_tokens",
    help: "Price in force, USD per million tokens; region is set only for region overrides.",
    labels: &["model", "token_type", "scope", "region"],
};

const ALL: [&Spec; 6] = [&TOKENS, &COST, &UNPRICED, &INVOCATIONS, &ERRORS, &PRICE];

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
        use super::gauge_families as gauges;
        for (name, help) in [gauges::LATENCY, gauges::TTFT, gauges::QUOTA] {
            descs.push(desc(name, help, gauges::LABELS)?);
        }
        use super::principal_collector::{COST, ERRORS, INVOCATIONS};
        let series = ["account", "region", "model_id", "model", "principal"];
        let with = |last: &'static str| [series[0], series[1], series[2], series[3], series[4], last];
        descs.push(desc(INVOCATIONS.0, INVOCATIONS.1, &series)?);
        descs.push(desc(ERRORS.0, ERRORS.1, &with("error_code"))?);
        descs.push(desc(COST.0, COST.1, &with("attribution"))?);
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
    families.extend(super::gauge_families::render(snapshot));
    families.push(price_family(snapshot));
    families.push(bounds_family::render(snapshot));
    families.extend(super::principal_collector::render(snapshot));
    families.extend(super::metadata_collector::render(snapshot));
    families
}

/// The exact sums behind the token families: (region, model_id label,
/// model, project, token type) → (tokens, USD) for priced rows, and (region,
/// model_id label, project, token type) → tokens for unpriced ones.
pub struct CostSums<'a> {
    pub priced: BTreeMap<[&'a str; 5], (u64, Decimal)>,
    pub unpriced: BTreeMap<[&'a str; 4], u64>,
}

/// Both cache-write TTLs fold into `cache_write`, and model IDs beyond the
/// cap into `other` (keeping the real ID's `model` and `project`), so rows
/// are summed per label set: exactly, in `Decimal` and whole tokens.
pub fn cost_sums(snapshot: &Snapshot) -> CostSums<'_> {
    let mut sums = CostSums { priced: BTreeMap::new(), unpriced: BTreeMap::new() };
    for t in &snapshot.cost_totals {
        let (token, project) = (t.token_type.metric_label(), project_of(&t.model_id));
        let model_id = snapshot.model_id_label(&t.model_id);
        match &t.model {
            Some(model) => {
                let slot = sums.priced.entry([&t.region, model_id, model, project, token]).or_default();
                slot.0 = slot.0.saturating_add(t.tokens);
                slot.1 = slot.1.saturating_add(t.usd);
            }
            None => {
                let slot = sums.unpriced.entry([&t.region, model_id, project, token]).or_default();
                *slot = slot.saturating_add(t.tokens);
            }
        }
    }
    sums
}

/// Tokens, cost and unpriced tokens, from [`cost_sums`].
fn cost_families(snapshot: &Snapshot) -> Vec<MetricFamily> {
    let CostSums { priced, unpriced } = cost_sums(snapshot);
    let primary = &snapshot.primary_account;
    let (mut tokens, mut cost) = (
        FamilyBuilder::counter(TOKENS.name, TOKENS.help).by_account(primary),
        FamilyBuilder::counter(COST.name, COST.help).by_account(primary),
    );
    for ([region, model_id, model, project, token], (n, usd)) in &priced {
        let labels = [
            ("region", *region),
            ("model_id", *model_id),
            ("model", *model),
            ("project", *project),
            ("token_type", *token),
        ];
        tokens.sample(&labels, count_sample(*n));
        cost.sample(&labels, usd_sample(*usd));
    }
    let mut unpriced_family = FamilyBuilder::counter(UNPRICED.name, UNPRICED.help).by_account(primary);
    for ([region, model_id, project, token], n) in &unpriced {
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
            [("region", *region), ("model_id", *model_id), ("project", *project), ("token_type", *token)];
        unpriced_family.sample(&labels, count_sample(*n));
    }
    vec![tokens.build(), cost.build(), unpriced_family.build()]
}

/// Invocations and errors from the metric totals; model IDs beyond the cap
/// are summed into `other` per real `model`.
fn call_families(snapshot: &Snapshot) -> Vec<MetricFamily> {
    let mut sums: BTreeMap<(&str, &str, &str, BedrockMetric), f64> = BTreeMap::new();
    for t in &snapshot.metric_totals {
        let (model_id, model) = (snapshot.model_id_label(&t.model_id), snapshot.model_label(&t.model_id));
        let slot = sums.entry((&t.region, model_id, model, t.metric)).or_default();
        *slot = add(*slot, t.sum);
    }
    let primary = &snapshot.primary_account;
    let mut invocations = FamilyBuilder::counter(INVOCATIONS.name, INVOCATIONS.help).by_account(primary);
    let mut errors = FamilyBuilder::counter(ERRORS.name, ERRORS.help).by_account(primary);
    for ((region, model_id, model, metric), sum) in sums {
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
