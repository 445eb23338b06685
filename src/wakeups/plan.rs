//! The alarms a region should have: the priced token series of its active
//! models, weighted into USD per hour by one metric-math expression per
//! alarm, compared with a threshold in USD per hour.
//!
//! CloudWatch evaluates a standard-resolution alarm every minute and bills
//! it per metric it watches, so each alarm watches the plain per-model
//! input and output token series (`InputTokenCount` and `OutputTokenCount`
//! by `ModelId` in AWS/Bedrock; `TotalInputTokens` and `TotalOutputTokens`
//! by `Model` in AWS/BedrockMantle, whose usage is billed too; Sum over
//! 60 s) and nothing else; a metric-math alarm
//! takes at most ten metrics, so the models are packed up to five to an
//! alarm (all series of a model ID together), in model-ID order, and each alarm has the whole threshold (a runaway loop
//! is one model ID). Missing minutes count as zero (`FILL(m, 0)`): a
//! model without traffic adds nothing.
//!
//! Pure: the series, their prices and the threshold are parameters.

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// The bedrock-runtime namespace.
pub const DEFAULT_NAMESPACE: &str = "AWS/Bedrock";

/// CloudWatch: at most ten metrics in one metric-math alarm.
pub const METRICS_PER_ALARM: usize = 10;

/// One token series an alarm watches, and what a token of it costs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watched {
    /// `AWS/Bedrock` or `AWS/BedrockMantle`.
    pub namespace: String,
    pub model_id: String,
    /// The AWS name: `InputTokenCount`, `TotalInputTokens`, …
    pub metric_name: String,
    /// Exactly the series' dimensions (the model's only).
    pub dimensions: Vec<(String, String)>,
    /// The standard rate in force; the highest rate of the region's set when
    /// the model is unpriced, so an unknown model still wakes the daemon.
    pub usd_per_million: Decimal,
}

impl Watched {
    /// USD per hour that one token a minute costs: the series' weight.
    pub fn weight(&self) -> Decimal {
        (self.usd_per_million * Decimal::from(60) / Decimal::from(1_000_000)).normalize()
    }
}

/// One alarm as the daemon wants it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlarmSpec {
    pub name: String,
    pub region: String,
    pub watched: Vec<Watched>,
    pub usd_per_hour: Decimal,
}

impl AlarmSpec {
    /// The query ID of the `i`-th watched series.
    pub fn metric_id(i: usize) -> String {
        format!("m{i}")
    }

    /// The expression the alarm watches: USD per hour at this minute's pace.
    pub fn expression(&self) -> String {
        let terms: Vec<String> = self
            .watched
            .iter()
            .enumerate()
            .map(|(i, w)| format!("FILL({},0)*{}", Self::metric_id(i), w.weight()))
            .collect();
        terms.join("+")
    }

    /// Changes whenever anything PutMetricAlarm would set changes; kept in
    /// the description, so an unchanged alarm is not written again.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.expression());
        h.update(self.usd_per_hour.normalize().to_string());
        for w in &self.watched {
            // AWS/Bedrock, the first namespace watched, is left out: the
            // alarms written before mantle was watched keep their fingerprint.
            if w.namespace != DEFAULT_NAMESPACE {
                h.update(format!("|{}", w.namespace));
            }
            h.update(format!("|{}|{}", w.metric_name, w.model_id));
            for (k, v) in &w.dimensions {
                h.update(format!("|{k}={v}"));
            }
        }
        h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    pub fn description(&self) -> String {
        let models: std::collections::BTreeSet<&str> =
            self.watched.iter().map(|w| w.model_id.as_str()).collect();
        format!(
            "bedrock-cost-monitor wake-up: Bedrock spend of {} model ID(s) at or above {} USD/hour \
             wakes the daemon for an immediate collection. Managed by the daemon; edits are overwritten. \
             fingerprint={}",
            models.len(),
            self.usd_per_hour.normalize(),
            self.fingerprint()
        )
    }

    /// The fingerprint an existing alarm's description carries.
    pub fn fingerprint_of(description: &str) -> Option<&str> {
        description.rsplit_once("fingerprint=").map(|(_, f)| f.trim())
    }

    /// Alarm metrics billed per month: one per watched series.
    pub fn billed_metrics(&self) -> usize {
        self.watched.len()
    }
}

/// The alarms of one region: `series` (any order) packed in model-ID order,
/// both series of a model always in the same alarm. Names are
/// `<prefix><region>-<n>`, so the set is the same on every replica and restart.
pub fn plan(prefix: &str, region: &str, mut series: Vec<Watched>, usd_per_hour: Decimal) -> Vec<AlarmSpec> {
    let key = |w: &Watched| (w.model_id.clone(), w.namespace.clone(), w.metric_name.clone());
    series.sort_by_key(key);
    series.dedup_by(|a, b| key(a) == key(b));
    let mut alarms: Vec<AlarmSpec> = Vec::new();
    let mut i = 0;
    while i < series.len() {
        let model = series[i].model_id.clone();
        let run = series[i..].iter().take_while(|s| s.model_id == model).count();
        let fits = alarms.last().is_some_and(|a| a.watched.len() + run <= METRICS_PER_ALARM);
        if !fits {
            alarms.push(AlarmSpec {
                name: format!("{prefix}{region}-{}", alarms.len() + 1),
                region: region.to_string(),
                watched: Vec::new(),
                usd_per_hour,
            });
        }
        if let Some(a) = alarms.last_mut() {
            a.watched.extend(series[i..i + run].iter().take(METRICS_PER_ALARM).cloned());
        }
        i += run;
    }
    alarms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(model: &str, metric: &str, usd: i64) -> Watched {
        Watched {
            namespace: DEFAULT_NAMESPACE.into(),
            model_id: model.into(),
            metric_name: metric.into(),
            dimensions: vec![("ModelId".into(), model.into())],
            usd_per_million: Decimal::from(usd),
        }
    }

    fn both(model: &str) -> Vec<Watched> {
        vec![w(model, "OutputTokenCount", 75), w(model, "InputTokenCount", 15)]
    }

    #[test]
    fn five_models_to_an_alarm_both_series_of_a_model_together() {
        let series: Vec<Watched> = (0..12).rev().flat_map(|i| both(&format!("model-{i:02}"))).collect();
        let alarms = plan("bcm-wake-", "us-east-1", series, Decimal::from(20));
        assert_eq!(alarms.len(), 3);
        assert_eq!(alarms.iter().map(|a| a.watched.len()).collect::<Vec<_>>(), vec![10, 10, 4]);
        assert_eq!(alarms[0].name, "bcm-wake-us-east-1-1");
        assert_eq!(alarms[0].watched[0].model_id, "model-00", "model-ID order, whatever the input order");
        assert_eq!(alarms[0].watched[0].metric_name, "InputTokenCount");
        assert!(alarms.iter().all(|a| a.billed_metrics() <= METRICS_PER_ALARM));
    }

    #[test]
    fn the_expression_is_usd_per_hour_at_this_minutes_pace() {
        let alarms = plan("p-", "us-east-1", both("opus"), Decimal::from(20));
        // 15 USD/M input: one token a minute is 60 tokens an hour = 0.0009 USD/hour.
        assert_eq!(alarms[0].expression(), "FILL(m0,0)*0.0009+FILL(m1,0)*0.0045");
    }

    #[test]
    fn the_fingerprint_follows_what_the_alarm_would_do() {
        let a = plan("p-", "us-east-1", both("opus"), Decimal::from(20));
        let same = plan("p-", "us-east-1", both("opus"), Decimal::new(2000, 2));
        let higher = plan("p-", "us-east-1", both("opus"), Decimal::from(30));
        assert_eq!(a[0].fingerprint(), same[0].fingerprint(), "20 and 20.00 are one threshold");
        assert_ne!(a[0].fingerprint(), higher[0].fingerprint());
        let d = a[0].description();
        assert_eq!(AlarmSpec::fingerprint_of(&d), Some(a[0].fingerprint().as_str()));
    }

    #[test]
    fn no_series_no_alarm() {
        assert!(plan("p-", "us-east-1", vec![], Decimal::from(20)).is_empty());
    }

    #[test]
    fn a_mantle_series_joins_its_models_alarm_and_changes_the_fingerprint() {
        let mut series = both("opus");
        let runtime_only = plan("p-", "us-east-1", series.clone(), Decimal::from(20));
        let mut mantle = w("opus", "TotalInputTokens", 15);
        mantle.namespace = "AWS/BedrockMantle".into();
        mantle.dimensions = vec![("Model".into(), "opus".into())];
        series.push(mantle);
        let alarms = plan("p-", "us-east-1", series, Decimal::from(20));
        assert_eq!(alarms.len(), 1);
        assert_eq!(alarms[0].watched.len(), 3, "both endpoints of a model in one alarm");
        assert_ne!(alarms[0].fingerprint(), runtime_only[0].fingerprint());
    }
}
