//! Hand-built Prometheus metric families: counters whose value is a ledger
//! total (set, never incremented) and gauges, with sorted label pairs.
//!
//! Owns [`usd_sample`], the single conversion of money (`Decimal`) into an
//! `f64` sample. Nothing here reads state or talks to anything: callers pass
//! values in and get `MetricFamily` values out.

use prometheus::core::Desc;
use prometheus::proto::{Counter, Gauge, LabelPair, Metric, MetricFamily, MetricType};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Money becomes `f64` here and nowhere else, at the moment it is written
/// into a Prometheus sample: the nearest `f64` to the exact amount.
///
/// `Decimal::to_f64` is not correctly rounded (it adds the integral and
/// fractional parts in `f64`, e.g. 190000.000150467473 comes out a few ulps
/// off), so the exact decimal text is parsed instead, which is. The text of a
/// `Decimal` always parses; the `to_f64` fallback is only a safety net.
#[expect(clippy::disallowed_methods, reason = "the Prometheus boundary: the one place money becomes f64")]
pub fn usd_sample(usd: Decimal) -> f64 {
    usd.to_string().parse::<f64>().unwrap_or_else(|_| usd.to_f64().unwrap_or(f64::NAN))
}

/// A token or call count as a sample (exact up to 2^53, far beyond any total).
pub fn count_sample(count: u64) -> f64 {
    // The precision loss above 2^53 is accepted: Prometheus samples are f64.
    count as f64
}

/// The description of one family, for `Collector::desc`.
pub fn desc(name: &str, help: &str, labels: &[&str]) -> prometheus::Result<Desc> {
    Desc::new(
        name.to_string(),
        help.to_string(),
        labels.iter().map(|l| (*l).to_string()).collect(),
        Default::default(),
    )
}

/// A family being built: name, help and type, then one sample per label set.
#[derive(Debug)]
pub struct FamilyBuilder {
    family: MetricFamily,
    /// Set by [`FamilyBuilder::by_account`]: the primary account's label.
    primary: Option<String>,
}

impl FamilyBuilder {
    pub fn counter(name: &str, help: &str) -> Self {
        Self::new(name, help, MetricType::COUNTER)
    }

    pub fn gauge(name: &str, help: &str) -> Self {
        Self::new(name, help, MetricType::GAUGE)
    }

    fn new(name: &str, help: &str, kind: MetricType) -> Self {
        let mut family = MetricFamily::default();
        family.set_name(name.to_string());
        family.set_help(help.to_string());
        family.set_field_type(kind);
        FamilyBuilder { family, primary: None }
    }

    /// The family's `region` label values are ledger keys: each sample's
    /// key is split into `account` (a member's ID, or `primary`'s label for
    /// a plain region) and `region`.
    pub fn by_account(mut self, primary: &str) -> Self {
        self.primary = Some(primary.to_string());
        self
    }

    /// Adds one sample. Label pairs are sorted by name, as the prometheus
    /// crate's own vectors do, so the exposition order is stable.
    pub fn sample(&mut self, labels: &[(&str, &str)], value: f64) {
        let pair = |name: &str, value: &str| {
            let mut pair = LabelPair::default();
            pair.set_name(name.to_string());
            pair.set_value(value.to_string());
            pair
        };
        let mut pairs = Vec::with_capacity(labels.len() + 1);
        for (name, value) in labels {
            match &self.primary {
                Some(primary) if *name == "region" => {
                    // An empty label is no label to Prometheus: leave it out.
                    let account = crate::shard::account_label(value, primary);
                    if !account.is_empty() {
                        pairs.push(pair("account", account));
                    }
                    pairs.push(pair(name, crate::shard::region_of(value)));
                }
                _ => pairs.push(pair(name, value)),
            }
        }
        pairs.sort_by(|a, b| a.name().cmp(b.name()));
        let mut metric = Metric::from_label(pairs);
        match self.family.get_field_type() {
            MetricType::COUNTER => {
                let mut counter = Counter::default();
                counter.set_value(value);
                metric.set_counter(counter);
            }
            _ => {
                let mut gauge = Gauge::default();
                gauge.set_value(value);
                metric.set_gauge(gauge);
            }
        }
        self.family.mut_metric().push(metric);
    }

    /// The finished family; the registry drops it when it has no sample.
    pub fn build(self) -> MetricFamily {
        self.family
    }
}

/// The sample lines of `families` as `/metrics` shows them, empty families
/// dropped as the registry drops them; for tests that render without one.
#[cfg(test)]
pub fn sample_lines(families: Vec<MetricFamily>) -> Vec<String> {
    let families: Vec<MetricFamily> = families.into_iter().filter(|f| !f.get_metric().is_empty()).collect();
    let text = prometheus::TextEncoder::new().encode_to_string(&families).unwrap_or_default();
    text.lines().filter(|l| !l.starts_with('#')).map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    #[allow(clippy::excessive_precision, reason = "the literals are the exact amounts")]
    fn usd_sample_is_the_nearest_f64() {
        // rustc rounds float literals correctly: they are the expected samples.
        let cases = [
            ("0", 0.0),
            ("0.000003", 0.000003),
            ("0.1", 0.1),
            ("12.345678901234", 12.345678901234),
            // `Decimal::to_f64` gives 190000.0001504675 here, a few ulps off.
            ("190000.000150467473", 190000.000150467473),
            ("50000000000000395967.13", 50000000000000395967.13),
            ("79228162514264337593543950335", 79228162514264337593543950335.0),
            ("-2.5", -2.5),
        ];
        for (text, expected) in cases {
            assert_eq!(usd_sample(Decimal::from_str(text).unwrap()), expected, "{text}");
        }
    }

    #[test]
    fn builder_sorts_labels_and_sets_the_type() {
        let mut b = FamilyBuilder::counter("x_total", "help");
        b.sample(&[("z", "1"), ("a", "2")], 3.0);
        let family = b.build();
        assert_eq!(family.get_field_type(), MetricType::COUNTER);
        let text = prometheus::TextEncoder::new().encode_to_string(&[family]).unwrap();
        assert_eq!(text, "# HELP x_total help\n# TYPE x_total counter\nx_total{a=\"2\",z=\"1\"} 3\n");
    }
}
