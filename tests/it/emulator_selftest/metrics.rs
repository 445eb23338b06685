//! CloudWatch metric data as the gateway models it, through the real SDK client: a
//! series is its namespace, name and exact dimension set; ListMetrics lists each once
//! and pages at 500; statistic sets aggregate; PutMetricData refuses NaN; and the
//! injected PartialData answers and odd values reach the SDK as CloudWatch would send
//! them.

use std::collections::BTreeSet;

use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{DimensionFilter, MetricDataQuery, MetricDatum, StatisticSet, StatusCode};
use aws_sdk_cloudwatch::Client;
use bedrock_cost_monitor::emulator::{Fault, FaultKind};

use super::metric_calls::{
    dims, get, minute_start, points, put, query, result, value_datum, BEDROCK, MANTLE, TOKENS,
};
use super::{cloudwatch, HAIKU, REGION, SONNET};
use crate::helpers::emulator;

#[tokio::test]
async fn multi_dimension_series_matches_whatever_order_the_query_lists() {
    let emu = emulator::exclusive().await;
    let cw = cloudwatch(&emu.sdk_config(REGION).await, false);
    let start = minute_start();
    put(&cw, BEDROCK, vec![value_datum(&[("ModelId", HAIKU), ("Operation", "Converse")], start + 5, 7.0)])
        .await;

    let out = get(
        &cw,
        vec![
            query("same", BEDROCK, &[("ModelId", HAIKU), ("Operation", "Converse")], "Sum"),
            query("reversed", BEDROCK, &[("Operation", "Converse"), ("ModelId", HAIKU)], "Sum"),
        ],
        start,
        None,
    )
    .await;
    assert_eq!(points(result(&out, "same")), [(start, 7.0)]);
    assert_eq!(points(result(&out, "reversed")), [(start, 7.0)]);
}

#[tokio::test]
async fn a_subset_of_the_dimensions_names_another_series() {
    let emu = emulator::exclusive().await;
    let cw = cloudwatch(&emu.sdk_config(REGION).await, false);
    let start = minute_start();
    put(&cw, BEDROCK, vec![value_datum(&[("ModelId", HAIKU), ("Operation", "Converse")], start + 5, 7.0)])
        .await;

    let out = get(&cw, vec![query("subset", BEDROCK, &[("ModelId", HAIKU)], "Sum")], start, None).await;
    let subset = result(&out, "subset");
    assert_eq!(points(subset), []);
    assert_eq!(subset.status_code(), Some(&StatusCode::Complete));
}

#[tokio::test]
async fn a_query_without_dimensions_matches_only_the_dimensionless_series() {
    let emu = emulator::exclusive().await;
    let cw = cloudwatch(&emu.sdk_config(REGION).await, false);
    let start = minute_start();
    let data = vec![
        value_datum(&[], start + 5, 1000.0),
        value_datum(&[("ModelId", HAIKU)], start + 5, 3.0),
        value_datum(&[("ModelId", SONNET)], start + 5, 4.0),
    ];
    put(&cw, BEDROCK, data).await;

    let out = get(&cw, vec![query("all", BEDROCK, &[], "Sum")], start, None).await;
    assert_eq!(points(result(&out, "all")), [(start, 1000.0)]);
}

#[tokio::test]
async fn list_metrics_lists_each_series_once_and_pages_at_500() {
    let emu = emulator::exclusive().await;
    let cw = cloudwatch(&emu.sdk_config(REGION).await, false);
    let start = minute_start();
    let models: Vec<String> = (0..1203).map(|i| format!("model-{i:04}")).collect();
    // Every series twice, in two calls, at two minutes: still one series each.
    for offset in [5, 65] {
        let data = models.iter().map(|m| value_datum(&[("ModelId", m)], start + offset, 1.0)).collect();
        put(&cw, BEDROCK, data).await;
    }
    put(&cw, BEDROCK, vec![value_datum(&[("ModelId", HAIKU), ("Operation", "Converse")], start, 1.0)]).await;
    put(&cw, BEDROCK, vec![value_datum(&[], start, 1.0)]).await;

    let mut pages = Vec::new();
    let mut listed: Vec<Vec<(String, String)>> = Vec::new();
    let mut token = None;
    loop {
        let out = cw
            .list_metrics()
            .namespace(BEDROCK)
            .dimensions(DimensionFilter::builder().name("ModelId").build())
            .set_next_token(token)
            .send()
            .await
            .expect("ListMetrics");
        pages.push(out.metrics().len());
        listed.extend(out.metrics().iter().map(|m| {
            m.dimensions()
                .iter()
                .map(|d| (d.name().unwrap().to_owned(), d.value().unwrap().to_owned()))
                .collect()
        }));
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    // A name-only filter matches series that also have other dimensions, never those
    // without the name.
    assert_eq!(pages, [500, 500, 204]);
    let unique: BTreeSet<&Vec<(String, String)>> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "a series listed twice");
    assert!(listed.contains(&vec![("ModelId".into(), HAIKU.into()), ("Operation".into(), "Converse".into())]));

    let one = cw
        .list_metrics()
        .namespace(BEDROCK)
        .dimensions(DimensionFilter::builder().name("ModelId").value("model-0042").build())
        .send()
        .await
        .expect("ListMetrics with a value");
    assert_eq!(one.metrics().len(), 1);
    assert_eq!(one.next_token(), None);
}

#[tokio::test]
async fn namespaces_keep_their_own_series() {
    let emu = emulator::exclusive().await;
    let cw = cloudwatch(&emu.sdk_config(REGION).await, false);
    let start = minute_start();
    put(&cw, BEDROCK, vec![value_datum(&[("ModelId", HAIKU)], start + 5, 10.0)]).await;
    put(&cw, MANTLE, vec![value_datum(&[("ModelId", HAIKU)], start + 5, 20.0)]).await;

    let out = get(
        &cw,
        vec![
            query("bedrock", BEDROCK, &[("ModelId", HAIKU)], "Sum"),
            query("mantle", MANTLE, &[("ModelId", HAIKU)], "Sum"),
        ],
        start,
        None,
    )
    .await;
    assert_eq!(points(result(&out, "bedrock")), [(start, 10.0)]);
    assert_eq!(points(result(&out, "mantle")), [(start, 20.0)]);
    let listed = cw.list_metrics().namespace(MANTLE).send().await.expect("ListMetrics");
    assert_eq!(listed.metrics().len(), 1);
}

#[tokio::test]
async fn statistic_sets_aggregate_into_sum_sample_count_and_average() {
    let emu = emulator::exclusive().await;
    let cw = cloudwatch(&emu.sdk_config(REGION).await, false);
    let start = minute_start();
    let pairs = [("ModelId", HAIKU)];
    let set = |at: i64, count: f64, sum: f64, min: f64, max: f64| {
        MetricDatum::builder()
            .metric_name(TOKENS)
            .set_dimensions(Some(dims(&pairs)))
            .timestamp(DateTime::from_secs(at))
            .statistic_values(
                StatisticSet::builder().sample_count(count).sum(sum).minimum(min).maximum(max).build(),
            )
            .build()
    };
    put(&cw, BEDROCK, vec![set(start + 1, 4.0, 100.0, 10.0, 40.0), set(start + 30, 1.0, 5.0, 5.0, 5.0)])
        .await;
    put(&cw, BEDROCK, vec![value_datum(&pairs, start + 59, 15.0), set(start + 61, 2.0, 8.0, 3.0, 5.0)]).await;

    let stats = ["Sum", "SampleCount", "Average", "Minimum", "Maximum"];
    let queries = stats.iter().map(|s| query(&s.to_lowercase(), BEDROCK, &pairs, s)).collect();
    let out = get(&cw, queries, start, None).await;
    // Newest first: ScanBy defaults to TimestampDescending.
    assert_eq!(points(result(&out, "sum")), [(start + 60, 8.0), (start, 120.0)]);
    assert_eq!(points(result(&out, "samplecount")), [(start + 60, 2.0), (start, 6.0)]);
    assert_eq!(points(result(&out, "average")), [(start + 60, 4.0), (start, 20.0)]);
    assert_eq!(points(result(&out, "minimum")), [(start + 60, 3.0), (start, 5.0)]);
    assert_eq!(points(result(&out, "maximum")), [(start + 60, 5.0), (start, 40.0)]);
}

/// Four minutes of `HAIKU` and `SONNET`; the queries for both, by Sum.
async fn four_minutes(cw: &Client, start: i64) -> Vec<MetricDataQuery> {
    let mut data = Vec::new();
    let values = [(1.0, 10.0), (2.0, 11.0), (3.0, 12.0), (4.0, 13.0)];
    for (at, (haiku, sonnet)) in (0..).map(|minute| start + minute * 60).zip(values) {
        data.push(value_datum(&[("ModelId", HAIKU)], at, haiku));
        data.push(value_datum(&[("ModelId", SONNET)], at, sonnet));
    }
    put(cw, BEDROCK, data).await;
    vec![
        query("haiku", BEDROCK, &[("ModelId", HAIKU)], "Sum"),
        query("sonnet", BEDROCK, &[("ModelId", SONNET)], "Sum"),
    ]
}

#[tokio::test]
async fn max_datapoints_pages_newest_first_with_partial_data_until_the_last_page() {
    let emu = emulator::exclusive().await;
    let cw = cloudwatch(&emu.sdk_config(REGION).await, false);
    let start = minute_start();
    let queries = four_minutes(&cw, start).await;
    let page = |token| {
        cw.get_metric_data()
            .set_metric_data_queries(Some(queries.clone()))
            .start_time(DateTime::from_secs(start))
            .end_time(DateTime::from_secs(start + 600))
            .max_datapoints(5)
            .set_next_token(token)
            .send()
    };
    let first = page(None).await.expect("first page");
    assert!(first.next_token().is_some());
    assert!(first.metric_data_results().iter().all(|r| r.status_code() == Some(&StatusCode::PartialData)));
    // The 5 newest of 8 datapoints, across both series.
    let newest: Vec<i64> = first.metric_data_results().iter().flat_map(points).map(|(t, _)| t).collect();
    assert_eq!(newest.len(), 5);
    assert!(newest.iter().all(|&t| t >= start + 60), "{newest:?}");
    let last = page(first.next_token().map(str::to_owned)).await.expect("second page");
    assert_eq!(last.next_token(), None);
    assert!(last.metric_data_results().iter().all(|r| r.status_code() == Some(&StatusCode::Complete)));
    let total = first.metric_data_results().iter().chain(last.metric_data_results()).flat_map(points).count();
    assert_eq!(total, 8);
}

#[tokio::test]
async fn injected_partial_data_without_next_token_leaves_only_the_status() {
    let emu = emulator::exclusive().await;
    let cw = cloudwatch(&emu.sdk_config(REGION).await, false);
    let start = minute_start();
    let queries = four_minutes(&cw, start).await;
    let fault =
        Fault::metric_data(FaultKind::PartialData { next_token: false }).dimension_value(HAIKU).count(1);
    emu.inject_fault(&fault).await.unwrap();

    let out = get(&cw, queries.clone(), start, None).await;
    assert_eq!(out.next_token(), None);
    let haiku = result(&out, "haiku");
    assert_eq!(haiku.status_code(), Some(&StatusCode::PartialData));
    assert_eq!(points(haiku), [(start + 60, 2.0), (start, 1.0)], "the newest half is missing");
    let sonnet = result(&out, "sonnet");
    assert_eq!(sonnet.status_code(), Some(&StatusCode::Complete));
    assert_eq!(points(sonnet).len(), 4);

    let again = get(&cw, queries, start, None).await;
    assert_eq!(result(&again, "haiku").status_code(), Some(&StatusCode::Complete), "count was 1");
    assert_eq!(points(result(&again, "haiku")).len(), 4);
}

#[tokio::test]
async fn injected_partial_data_with_next_token_returns_the_rest_on_the_next_page() {
    let emu = emulator::exclusive().await;
    let cw = cloudwatch(&emu.sdk_config(REGION).await, false);
    let start = minute_start();
    let queries = four_minutes(&cw, start).await;
    let fault = Fault::metric_data(FaultKind::PartialData { next_token: true }).metric_name(TOKENS).count(1);
    emu.inject_fault(&fault).await.unwrap();

    let first = get(&cw, queries.clone(), start, None).await;
    let token = first.next_token().map(str::to_owned);
    assert!(token.is_some());
    assert_eq!(result(&first, "haiku").status_code(), Some(&StatusCode::PartialData));
    assert_eq!(points(result(&first, "haiku")), [(start + 60, 2.0), (start, 1.0)]);
    let rest = get(&cw, queries, start, token).await;
    assert_eq!(rest.next_token(), None);
    assert_eq!(result(&rest, "haiku").status_code(), Some(&StatusCode::Complete));
    assert_eq!(points(result(&rest, "haiku")), [(start + 180, 4.0), (start + 120, 3.0)]);
    assert_eq!(points(result(&rest, "sonnet")), [(start + 180, 13.0), (start + 120, 12.0)]);
}

#[tokio::test]
async fn injected_odd_values_reach_the_sdk() {
    let emu = emulator::exclusive().await;
    let cw = cloudwatch(&emu.sdk_config(REGION).await, false);
    let start = minute_start();
    let queries = four_minutes(&cw, start).await;

    for odd in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -3.0, 0.25] {
        let fault =
            Fault::metric_data(FaultKind::MetricValue(odd)).metric_name(TOKENS).dimension_value(HAIKU);
        emu.inject_fault(&fault.count(1)).await.unwrap();
        let out = get(&cw, queries.clone(), start, None).await;
        let values = result(&out, "haiku").values();
        assert_eq!(values.len(), 4);
        for value in values {
            assert!(
                value.to_bits() == odd.to_bits() || (odd.is_nan() && value.is_nan()),
                "{value} for {odd}"
            );
        }
        assert_eq!(result(&out, "sonnet").values(), [13.0, 12.0, 11.0, 10.0], "other series untouched");
    }
    let out = get(&cw, queries, start, None).await;
    assert_eq!(result(&out, "haiku").values(), [4.0, 3.0, 2.0, 1.0], "each rule had a count of 1");
}

#[tokio::test]
async fn put_metric_data_refuses_nan_and_infinity_and_stores_nothing_of_the_call() {
    let emu = emulator::exclusive().await;
    let cw = cloudwatch(&emu.sdk_config(REGION).await, false);
    let start = minute_start();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = cw
            .put_metric_data()
            .namespace(BEDROCK)
            .metric_data(value_datum(&[("ModelId", SONNET)], start, 1.0))
            .metric_data(value_datum(&[("ModelId", HAIKU)], start, bad))
            .send()
            .await
            .expect_err("CloudWatch refuses special values");
        assert_eq!(err.code(), Some("InvalidParameterValue"));
        assert!(err.into_service_error().is_invalid_parameter_value_exception());
    }
    let listed = cw.list_metrics().namespace(BEDROCK).send().await.expect("ListMetrics");
    assert_eq!(listed.metrics().len(), 0, "a refused call stores none of its datums");
}

#[tokio::test]
async fn metric_math_is_refused_loudly() {
    let emu = emulator::exclusive().await;
    let cw = cloudwatch(&emu.sdk_config(REGION).await, false);
    let start = minute_start();
    let math = MetricDataQuery::builder().id("e1").expression("SUM(METRICS())").build();
    let err = cw
        .get_metric_data()
        .metric_data_queries(math)
        .start_time(DateTime::from_secs(start))
        .end_time(DateTime::from_secs(start + 600))
        .send()
        .await
        .expect_err("expressions are not modelled");
    assert_eq!(err.code(), Some("NotImplemented"));
    assert!(err.message().unwrap_or_default().contains("expressions"), "{err:?}");
}
