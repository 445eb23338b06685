//! The CloudWatch adapter on the real SDK client with scripted responses:
//! NextToken paging, throttling retried by the SDK, errors classified, and
//! ListMetrics discovery and classification, PartialData detected by
//! StatusCode. (Exact response sequences are easier to script here than in
//! the emulator.)

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::config::retry::RetryConfig;
use aws_sdk_cloudwatch::error::ErrorMetadata;
use aws_sdk_cloudwatch::operation::get_metric_data::{GetMetricDataError, GetMetricDataOutput};
use aws_sdk_cloudwatch::operation::list_metrics::ListMetricsOutput;
use aws_sdk_cloudwatch::primitives::DateTime as SmithyTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataResult, StatusCode};
use aws_sdk_cloudwatch::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::sources::cloudwatch::plan::{series_for, Call};
use bedrock_cost_monitor::sources::cloudwatch::{CloudWatchSource, MetricNames};
use bedrock_cost_monitor::sources::{ErrorKind, MetricSource};
use chrono::{TimeZone, Utc};

fn names() -> MetricNames {
    MetricNames::documented()
}

fn source(rules: &[&Rule], max_attempts: u32) -> CloudWatchSource {
    #[expect(
        clippy::disallowed_methods,
        reason = "a mocked client: the adapter under test sees scripted answers"
    )]
    let client: Client = mock_client!(aws_sdk_cloudwatch, RuleMode::Sequential, rules, |b| b.retry_config(
        RetryConfig::standard()
            .with_max_attempts(max_attempts)
            .with_initial_backoff(std::time::Duration::from_millis(1))
    ));
    let mut clients = BTreeMap::new();
    clients.insert("us-east-1".to_string(), client);
    CloudWatchSource::new(clients, names())
}

fn call() -> Call {
    let start = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
    Call {
        start,
        end: start + chrono::Duration::minutes(3),
        series: series_for(
            &names(),
            &["us.anthropic.claude-sonnet-4-5-20250929-v1:0".to_string()],
            &[BedrockMetric::InputTokenCount],
        ),
    }
}

fn page(minutes: &[u32], values: &[f64], token: Option<&str>) -> GetMetricDataOutput {
    let ts = minutes
        .iter()
        .map(|m| SmithyTime::from_secs(Utc.with_ymd_and_hms(2026, 11, 25, 10, *m, 0).unwrap().timestamp()));
    let result = MetricDataResult::builder()
        .id("q0")
        .set_timestamps(Some(ts.collect()))
        .set_values(Some(values.to_vec()))
        .status_code(if token.is_some() { StatusCode::PartialData } else { StatusCode::Complete })
        .build();
    GetMetricDataOutput::builder().metric_data_results(result).set_next_token(token.map(String::from)).build()
}

#[tokio::test]
async fn follows_next_token_and_counts_every_page() {
    let first = mock!(Client::get_metric_data)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| page(&[2, 1], &[300.0, 200.0], Some("page-2")));
    let second = mock!(Client::get_metric_data)
        .match_requests(|r| r.next_token() == Some("page-2") && r.metric_data_queries().len() == 1)
        .then_output(|| page(&[0], &[100.0], None));
    let src = source(&[&first, &second], 1);
    let (results, count) = src.fetch("us-east-1", &call()).await.unwrap();
    assert_eq!(results[&0].values, vec![300.0, 200.0, 100.0]);
    assert!(results[&0].complete, "PartialData followed by its NextToken is complete");
    assert_eq!((count.requests, count.metrics_requested), (2, 2));
    assert_eq!(first.num_calls() + second.num_calls(), 2);
}

#[tokio::test]
async fn throttling_is_retried_by_the_sdk() {
    let throttled = mock!(Client::get_metric_data)
        .sequence()
        .error(|| {
            GetMetricDataError::generic(
                ErrorMetadata::builder().code("Throttling").message("Rate exceeded").build(),
            )
        })
        .times(2)
        .output(|| page(&[0], &[42.0], None))
        .build();
    let src = source(&[&throttled], 3);
    let (results, _) = src.fetch("us-east-1", &call()).await.unwrap();
    assert_eq!(results[&0].values, vec![42.0]);
    assert_eq!(throttled.num_calls(), 3);
}

#[tokio::test]
async fn exhausted_throttling_is_classified_not_fatal() {
    let throttled = mock!(Client::get_metric_data).then_error(|| {
        GetMetricDataError::generic(
            ErrorMetadata::builder().code("Throttling").message("Rate exceeded").build(),
        )
    });
    let src = source(&[&throttled], 2);
    let err = src.fetch("us-east-1", &call()).await.unwrap_err();
    assert_eq!(
        (err.api, err.kind, err.region.as_str()),
        ("GetMetricData", ErrorKind::Throttled, "us-east-1")
    );
    let unknown_region = src.fetch("eu-west-1", &call()).await.unwrap_err();
    assert_eq!(unknown_region.kind, ErrorKind::Other);
}

#[tokio::test]
async fn discovery_pages_and_keeps_only_per_model_series() {
    let named = |name: &str, id: &str| {
        Metric::builder()
            .namespace("AWS/Bedrock")
            .metric_name(name)
            .dimensions(Dimension::builder().name("ModelId").value(id).build())
            .build()
    };
    let metric = move |id: &str| named("Invocations", id);
    let aggregate = Metric::builder().namespace("AWS/Bedrock").metric_name("Invocations").build();
    let p1 =
        mock!(Client::list_metrics).match_requests(|r| r.next_token().is_none()).then_output(move || {
            ListMetricsOutput::builder()
                .metrics(metric("b-model"))
                .metrics(aggregate.clone())
                .next_token("n")
                .build()
        });
    let p2 =
        mock!(Client::list_metrics).match_requests(|r| r.next_token() == Some("n")).then_output(move || {
            ListMetricsOutput::builder().metrics(metric("a-model")).metrics(metric("b-model")).build()
        });
    let src = source(&[&p1, &p2], 1);
    let listing = src.list_model_ids("us-east-1").await.unwrap();
    assert_eq!(listing.model_ids, vec!["a-model".to_string(), "b-model".to_string()]);
    assert_eq!(listing.requests, 2);
}

#[tokio::test]
async fn partial_data_without_a_next_token_is_incomplete() {
    let partial = mock!(Client::get_metric_data).then_output(|| {
        let result = MetricDataResult::builder()
            .id("q0")
            .timestamps(SmithyTime::from_secs(
                Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap().timestamp(),
            ))
            .values(7.0)
            .status_code(StatusCode::PartialData)
            .build();
        GetMetricDataOutput::builder().metric_data_results(result).build()
    });
    let src = source(&[&partial], 1);
    let (results, _) = src.fetch("us-east-1", &call()).await.unwrap();
    assert_eq!(results[&0].values, vec![7.0]);
    assert!(!results[&0].complete);
}

#[tokio::test]
async fn discovery_keeps_tiers_and_spellings_and_surfaces_unknown_token_metrics() {
    let metric = |name: &str, dims: &[(&str, &str)]| {
        let dims = dims.iter().map(|(n, v)| Dimension::builder().name(*n).value(*v).build());
        Metric::builder()
            .namespace("AWS/Bedrock")
            .metric_name(name)
            .set_dimensions(Some(dims.collect()))
            .build()
    };
    let page = mock!(Client::list_metrics).then_output(move || {
        ListMetricsOutput::builder()
            .metrics(metric("CacheReadInputTokens", &[("ModelId", "m")]))
            .metrics(metric("CacheReadInputTokenCount", &[("ModelId", "m")]))
            .metrics(metric("InputTokenCount", &[("ResolvedServiceTier", "priority"), ("ModelId", "m")]))
            .metrics(metric("ReasoningTokenCount", &[("ModelId", "m")]))
            .metrics(metric("OutputImageCount", &[("ModelId", "m"), ("ImageSize", "1024")]))
            .build()
    });
    let src = source(&[&page], 1);
    let listing = src.list_series("us-east-1").await.unwrap();
    let got: Vec<(String, Vec<(String, String)>)> =
        listing.series.iter().map(|s| (s.name.clone(), s.dimensions.clone())).collect();
    let d = |pairs: &[(&str, &str)]| {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect::<Vec<_>>()
    };
    assert_eq!(
        got,
        vec![
            ("InputTokenCount".to_string(), d(&[("ModelId", "m"), ("ResolvedServiceTier", "priority")])),
            ("CacheReadInputTokenCount".to_string(), d(&[("ModelId", "m")])),
            ("CacheReadInputTokens".to_string(), d(&[("ModelId", "m")])),
        ]
    );
    assert_eq!(listing.unknown.into_iter().collect::<Vec<_>>(), vec!["ReasoningTokenCount".to_string()]);
}
