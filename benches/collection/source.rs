//! The counting fake of the collection bench: which (model ID, metric)
//! series exist under each profile, and a `MetricSource` that answers with no
//! datapoints while counting what a real account would be billed for.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::sim::{datums, SimSeries};
use bedrock_cost_monitor::sources::cloudwatch::plan::Call;
use bedrock_cost_monitor::sources::cloudwatch::{ListedSeries, MetricNames, Namespace, QueryResult};
use bedrock_cost_monitor::sources::{Listing, MetricSource, RequestCount, SeriesListing, SourceError};

use chrono::Duration;

use super::{start_instant, LIST_PAGE, REGIONS};

/// Which (model ID, metric) series exist, i.e. what ListMetrics returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Every metric of every model ID: the most a month can cost.
    Every,
    /// Every metric but TimeToFirstToken and LegacyModelInvocations.
    NoTtftNoLegacy,
    /// What the `sim` workload publishes (half the models cache prompts, a third are throttled).
    Sim,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Every => "every metric",
            Profile::NoTtftNoLegacy => "all but TTFT, legacy",
            Profile::Sim => "sim workload",
        }
    }
}

pub fn model_ids(models: usize) -> Vec<String> {
    (0..models).map(|i| format!("us.anthropic.claude-bench-{i:02}-v1:0")).collect()
}

/// The sim series behind `Profile::Sim`: varied traffic, half with prompt caching.
pub fn sim_series(models: usize) -> Vec<SimSeries> {
    bedrock_cost_monitor::sim::varied_series(REGIONS[0], model_ids(models))
}

pub fn existing_series(models: usize, profile: Profile) -> Vec<(String, BedrockMetric)> {
    let every = |keep: &dyn Fn(BedrockMetric) -> bool| -> Vec<(String, BedrockMetric)> {
        model_ids(models)
            .into_iter()
            .flat_map(|id| BedrockMetric::ALL.into_iter().filter(|m| keep(*m)).map(move |m| (id.clone(), m)))
            .collect()
    };
    match profile {
        Profile::Every => every(&|_| true),
        Profile::NoTtftNoLegacy => {
            every(&|m| !matches!(m, BedrockMetric::TimeToFirstToken | BedrockMetric::LegacyModelInvocations))
        }
        Profile::Sim => {
            // A day of the workload shows every series it ever publishes.
            let start = start_instant() - Duration::days(1);
            let mut seen = BTreeSet::new();
            for s in sim_series(models) {
                for d in datums(&s, start, start_instant()) {
                    seen.insert((d.model_id, d.metric));
                }
            }
            seen.into_iter().collect()
        }
    }
}

/// What AWS/BedrockMantle lists for `models` models called from `projects`
/// projects: per model the Model-level totals and per project + model the
/// per-inference series (the account and project levels carry no Model and
/// are not read), each with `Inferences` and `InferenceClientErrors`.
pub fn mantle_series(models: usize, projects: usize) -> Vec<ListedSeries> {
    let names = MetricNames::mantle();
    let series = |model: &str, project: Option<String>, name: &str| {
        let mut dimensions = vec![("Model".to_string(), model.to_string())];
        dimensions.extend(project.map(|p| ("Project".to_string(), p)));
        dimensions.sort();
        ListedSeries {
            namespace: Namespace::Mantle,
            model_id: model.to_string(),
            metric: names.metric_of(name).unwrap(),
            name: name.to_string(),
            dimensions,
        }
    };
    let mut out = Vec::new();
    for m in 0..models {
        let model = format!("anthropic.claude-bench-{m:02}");
        for name in ["Inferences", "InferenceClientErrors", "TotalInputTokens", "TotalOutputTokens"] {
            out.push(series(&model, None, name));
        }
        for p in 0..projects {
            for name in ["Inferences", "InferenceClientErrors", "InputTokens", "OutputTokens"] {
                out.push(series(&model, Some(format!("proj_bench{p}")), name));
            }
        }
    }
    out
}

/// Answers every query with no datapoints and counts what a real account would be billed for.
pub struct CountingSource {
    pub series: Vec<ListedSeries>,
    pub get_calls: AtomicU64,
    pub metrics: AtomicU64,
    pub list_calls: AtomicU64,
    /// Longest call window since the last reset, in minutes.
    pub window: AtomicU64,
}

impl CountingSource {
    pub fn new(models: usize, profile: Profile) -> Self {
        let names = MetricNames::documented();
        let plain = existing_series(models, profile)
            .iter()
            .map(|(id, m)| ListedSeries::plain(&names, id, *m))
            .collect();
        Self::with_series(plain)
    }

    pub fn with_series(series: Vec<ListedSeries>) -> Self {
        CountingSource {
            series,
            get_calls: AtomicU64::new(0),
            metrics: AtomicU64::new(0),
            list_calls: AtomicU64::new(0),
            window: AtomicU64::new(0),
        }
    }

    pub fn list_pages(&self) -> u64 {
        (self.series.len() as u64).div_ceil(LIST_PAGE).max(1)
    }
}

#[async_trait]
impl MetricSource for CountingSource {
    async fn list_model_ids(&self, _region: &str) -> Result<Listing, SourceError> {
        let ids: BTreeSet<String> = self.series.iter().map(|s| s.model_id.clone()).collect();
        self.list_calls.fetch_add(self.list_pages(), Ordering::Relaxed);
        Ok(Listing { model_ids: ids.into_iter().collect(), requests: self.list_pages() })
    }

    async fn list_series(&self, _region: &str) -> Result<SeriesListing, SourceError> {
        self.list_calls.fetch_add(self.list_pages(), Ordering::Relaxed);
        Ok(SeriesListing {
            series: self.series.clone(),
            unknown: Default::default(),
            requests: self.list_pages(),
        })
    }

    async fn fetch(
        &self,
        _region: &str,
        call: &Call,
    ) -> Result<(BTreeMap<usize, QueryResult>, RequestCount), SourceError> {
        let n = call.series.len() as u64;
        self.get_calls.fetch_add(1, Ordering::Relaxed);
        self.metrics.fetch_add(n, Ordering::Relaxed);
        let minutes = u64::try_from((call.end - call.start).num_minutes()).unwrap_or(0);
        self.window.fetch_max(minutes, Ordering::Relaxed);
        let results = (0..call.series.len()).map(|i| (i, QueryResult::default())).collect();
        Ok((results, RequestCount { requests: 1, metrics_requested: n }))
    }
}
