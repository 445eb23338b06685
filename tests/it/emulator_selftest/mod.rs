//! Proves the local AWS emulator behaves like AWS for the real Rust SDK clients the
//! monitor uses: CloudWatch over RPCv2-CBOR and its metric matching rules, CloudTrail
//! LookupEvents (paging, filters, 2 TPS throttle), CloudWatch Logs FilterLogEvents
//! paging (1 MB pages, empty pages before more), DynamoDB conditional writes, SNS →
//! SQS delivery and fault injection.
//!
//! Needs `tests/emulator/setup.sh` to have been run once.

mod cloudtrail;
mod logs;
mod metric_calls;
mod metrics;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::error::ProvideErrorMetadata;
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDataQuery, MetricDatum, MetricStat, Statistic};
use bedrock_cost_monitor::clock::{Clock, SystemClock};
use bedrock_cost_monitor::emulator::{Emulator, EmulatorError, Fault, FaultKind};

use crate::helpers::{self, emulator};

const REGION: &str = "us-east-1";
const OTHER_REGION: &str = "us-west-2";
const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const SONNET: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

fn now_secs() -> i64 {
    SystemClock.now().timestamp()
}

#[expect(clippy::disallowed_methods, reason = "a client of the emulator, for the test")]
fn cloudwatch(sdk: &SdkConfig, retries: bool) -> aws_sdk_cloudwatch::Client {
    let mut conf = aws_sdk_cloudwatch::config::Builder::from(sdk);
    if !retries {
        conf = conf.retry_config(RetryConfig::disabled());
    }
    aws_sdk_cloudwatch::Client::from_conf(conf.build())
}

fn datum(model: &str, at: i64, value: f64) -> MetricDatum {
    MetricDatum::builder()
        .metric_name("InputTokenCount")
        .dimensions(Dimension::builder().name("ModelId").value(model).build())
        .timestamp(DateTime::from_secs(at))
        .value(value)
        .build()
}

fn sum_query(id: &str, model: &str) -> MetricDataQuery {
    let metric = aws_sdk_cloudwatch::types::Metric::builder()
        .namespace("AWS/Bedrock")
        .metric_name("InputTokenCount")
        .dimensions(Dimension::builder().name("ModelId").value(model).build())
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(MetricStat::builder().metric(metric).period(60).stat("Sum").build())
        .build()
}

#[tokio::test]
async fn cloudwatch_round_trips_through_cbor_translation() {
    let emu = emulator::exclusive().await;
    let cw = cloudwatch(&emu.sdk_config(REGION).await, true);
    let start = now_secs() / 60 * 60 - 10 * 60;

    let haiku = [(5, 100.0), (40, 50.0), (61, 7.0), (239, 1000.0), (210, 1.5)];
    let sonnet = [(10, 3.0), (70, 4.0)];
    let data = haiku
        .iter()
        .map(|&(offset, value)| datum(HAIKU, start + offset, value))
        .chain(sonnet.iter().map(|&(o, v)| datum(SONNET, start + o, v)))
        .collect::<Vec<_>>();
    cw.put_metric_data()
        .namespace("AWS/Bedrock")
        .set_metric_data(Some(data))
        .send()
        .await
        .expect("PutMetricData");

    let out = cw
        .get_metric_data()
        .metric_data_queries(sum_query("haiku", HAIKU))
        .metric_data_queries(sum_query("sonnet", SONNET))
        .start_time(DateTime::from_secs(start))
        .end_time(DateTime::from_secs(start + 5 * 60))
        .send()
        .await
        .expect("GetMetricData");
    let sums = |id: &str| -> BTreeMap<i64, f64> {
        let result = out
            .metric_data_results()
            .iter()
            .find(|r| r.id() == Some(id))
            .unwrap_or_else(|| panic!("no result {id}"));
        assert_eq!(result.timestamps().len(), result.values().len());
        result.timestamps().iter().map(DateTime::secs).zip(result.values().iter().copied()).collect()
    };
    let expected: BTreeMap<i64, f64> =
        [(start, 150.0), (start + 60, 7.0), (start + 180, 1001.5)].into_iter().collect();
    assert_eq!(sums("haiku"), expected);
    let expected: BTreeMap<i64, f64> = [(start, 3.0), (start + 60, 4.0)].into_iter().collect();
    assert_eq!(sums("sonnet"), expected);

    let stats = cw
        .get_metric_statistics()
        .namespace("AWS/Bedrock")
        .metric_name("InputTokenCount")
        .dimensions(Dimension::builder().name("ModelId").value(HAIKU).build())
        .start_time(DateTime::from_secs(start))
        .end_time(DateTime::from_secs(start + 5 * 60))
        .period(60)
        .statistics(Statistic::Sum)
        .send()
        .await
        .expect("GetMetricStatistics");
    // Buckets start at StartTime; CloudWatch returns them in no particular order.
    let sums: BTreeMap<i64, f64> = stats
        .datapoints()
        .iter()
        .map(|d| (d.timestamp().map(DateTime::secs).unwrap(), d.sum().unwrap()))
        .collect();
    let expected: BTreeMap<i64, f64> =
        [(start, 150.0), (start + 60, 7.0), (start + 180, 1001.5)].into_iter().collect();
    assert_eq!(sums, expected);

    let listed = cw
        .list_metrics()
        .namespace("AWS/Bedrock")
        .metric_name("InputTokenCount")
        .send()
        .await
        .expect("ListMetrics");
    let mut models: Vec<&str> = listed
        .metrics()
        .iter()
        .flat_map(|m| m.dimensions())
        .filter(|d| d.name() == Some("ModelId"))
        .filter_map(|d| d.value())
        .collect();
    models.sort_unstable();
    assert_eq!(models, vec![HAIKU, SONNET]);

    let log = emu.requests(Some("cloudwatch")).await.unwrap();
    let ops: Vec<&str> = log.iter().map(|r| r.operation.as_str()).collect();
    assert_eq!(ops, ["PutMetricData", "GetMetricData", "GetMetricStatistics", "ListMetrics"]);
    assert!(log.iter().all(|r| r.status == 200 && r.region == REGION));
}

#[tokio::test]
async fn dynamodb_conditional_put_succeeds_once() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let emu = emulator::exclusive().await;
    #[expect(clippy::disallowed_methods, reason = "a client of the emulator, for the test")]
    let ddb = aws_sdk_dynamodb::Client::new(&emu.sdk_config(REGION).await);
    ddb.create_table()
        .table_name("bcm-state")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(KeySchemaElement::builder().attribute_name("pk").key_type(KeyType::Hash).build().unwrap())
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable");

    let put = || {
        ddb.put_item()
            .table_name("bcm-state")
            .item("pk", AttributeValue::S("alert#2026-11#budget-a".into()))
            .item("spent", AttributeValue::N("12.5000".into()))
            .condition_expression("attribute_not_exists(pk)")
            .send()
    };
    put().await.expect("first conditional put");
    let err = put().await.expect_err("second conditional put must fail");
    assert!(err.into_service_error().is_conditional_check_failed_exception(), "wrong error");
    let item = ddb
        .get_item()
        .table_name("bcm-state")
        .key("pk", AttributeValue::S("alert#2026-11#budget-a".into()))
        .send()
        .await
        .unwrap();
    // moto keeps number text verbatim.
    assert_eq!(item.item().and_then(|i| i.get("spent")), Some(&AttributeValue::N("12.5000".into())));
}

#[tokio::test]
async fn sns_publish_reaches_subscribed_sqs_queue() {
    use aws_sdk_sns::types::MessageAttributeValue;
    use aws_sdk_sqs::types::QueueAttributeName;
    let emu = emulator::exclusive().await;
    let sdk = emu.sdk_config(REGION).await;
    #[expect(clippy::disallowed_methods, reason = "a client of the emulator, for the test")]
    let sns = aws_sdk_sns::Client::new(&sdk);
    #[expect(clippy::disallowed_methods, reason = "a client of the emulator, for the test")]
    let sqs = aws_sdk_sqs::Client::new(&sdk);

    let queue_url = sqs
        .create_queue()
        .queue_name("bcm-alerts")
        .send()
        .await
        .expect("CreateQueue")
        .queue_url()
        .unwrap()
        .to_owned();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes");
    let queue_arn =
        attributes.attributes().and_then(|a| a.get(&QueueAttributeName::QueueArn)).unwrap().clone();
    let topic_arn = sns
        .create_topic()
        .name("bcm-budget-alerts")
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn()
        .unwrap()
        .to_owned();
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .expect("Subscribe");
    sns.publish()
        .topic_arn(&topic_arn)
        .subject("Budget exceeded")
        .message("team-a spent 101% of its monthly budget")
        .message_attributes(
            "severity",
            MessageAttributeValue::builder().data_type("String").string_value("critical").build().unwrap(),
        )
        .send()
        .await
        .expect("Publish");

    let received = sqs
        .receive_message()
        .queue_url(&queue_url)
        .message_attribute_names("All")
        .max_number_of_messages(10)
        .wait_time_seconds(5)
        .send()
        .await
        .expect("ReceiveMessage");
    let [message] = received.messages() else {
        panic!("expected one message, got {:?}", received.messages())
    };
    assert_eq!(message.body(), Some("team-a spent 101% of its monthly budget"));
    let severity =
        message.message_attributes().and_then(|a| a.get("severity")).and_then(|v| v.string_value());
    assert_eq!(severity, Some("critical"));
}

#[tokio::test]
async fn injected_faults_use_each_service_protocol() {
    let emu = emulator::exclusive().await;
    let sdk = emu.sdk_config(REGION).await;
    let cw = cloudwatch(&sdk, false);
    let start = now_secs() / 60 * 60 - 300;
    let get = || {
        cw.get_metric_data()
            .metric_data_queries(sum_query("q", HAIKU))
            .start_time(DateTime::from_secs(start))
            .end_time(DateTime::from_secs(start + 300))
            .send()
    };

    // One 5xx, then back to normal.
    emu.inject_fault(
        &Fault::new("cloudwatch", FaultKind::ServerError { status: 500 }).operation("GetMetricData").count(1),
    )
    .await
    .unwrap();
    let err = get().await.expect_err("injected server error");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(500));
    assert_eq!(err.code(), Some("InternalFailure"));
    get().await.expect("fault count exhausted");

    // Throttling errors carry a code the SDK classifies as throttling.
    #[expect(clippy::disallowed_methods, reason = "a client of the emulator, for the test")]
    let ddb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk).retry_config(RetryConfig::disabled()).build(),
    );
    #[expect(clippy::disallowed_methods, reason = "a client of the emulator, for the test")]
    let sns = aws_sdk_sns::Client::from_conf(
        aws_sdk_sns::config::Builder::from(&sdk).retry_config(RetryConfig::disabled()).build(),
    );
    #[expect(clippy::disallowed_methods, reason = "a client of the emulator, for the test")]
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&sdk).retry_config(RetryConfig::disabled()).build(),
    );
    for service in ["cloudwatch", "dynamodb", "sns", "sqs"] {
        emu.inject_fault(&Fault::new(service, FaultKind::Throttle).count(1)).await.unwrap();
    }
    let cw_err = get().await.expect_err("cloudwatch throttle");
    assert_eq!(cw_err.code(), Some("Throttling"));
    let ddb_err = ddb.list_tables().send().await.expect_err("dynamodb throttle");
    assert_eq!(ddb_err.code(), Some("ThrottlingException"));
    let sns_err = sns.list_topics().send().await.expect_err("sns throttle");
    assert_eq!(sns_err.code(), Some("Throttling"));
    let sqs_err = sqs.list_queues().send().await.expect_err("sqs throttle");
    assert_eq!(sqs_err.code(), Some("ThrottlingException"));
    for err in [cw_err.raw_response(), ddb_err.raw_response(), sns_err.raw_response(), sqs_err.raw_response()]
    {
        assert_eq!(err.map(|r| r.status().as_u16()), Some(400));
    }

    // Unlimited rules last until cleared.
    emu.inject_fault(&Fault::new("sns", FaultKind::ServerError { status: 503 })).await.unwrap();
    for _ in 0..2 {
        let err = sns.list_topics().send().await.expect_err("sns 503");
        assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(503));
        assert_eq!(err.code(), Some("ServiceUnavailable"));
    }
    emu.clear_faults().await.unwrap();
    sns.list_topics().send().await.expect("faults cleared");

    // Latency delays, then answers normally. (Only a lower bound is asserted.)
    emu.inject_fault(&Fault::new("dynamodb", FaultKind::Latency(Duration::from_millis(300))).count(1))
        .await
        .unwrap();
    let started = Instant::now();
    ddb.list_tables().send().await.expect("delayed ListTables");
    assert!(started.elapsed() >= Duration::from_millis(300));

    // The control API rejects nonsense instead of ignoring it.
    let err = emu.inject_fault(&Fault::new("sns", FaultKind::ServerError { status: 200 })).await.unwrap_err();
    assert!(matches!(err, EmulatorError::ControlStatus { status: 400, .. }), "{err}");

    let log = emu.requests(Some("cloudwatch")).await.unwrap();
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 200, 400]);
}

#[tokio::test]
async fn missing_venv_names_the_setup_command() {
    let venv = Path::new("/nonexistent/bcm-emulator-venv");
    let err = Emulator::start_with_venv(helpers::repo_root(), venv).await.expect_err("no venv, no emulator");
    assert!(matches!(err, EmulatorError::VenvMissing { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("tests/emulator/setup.sh"), "{message}");
    assert!(message.contains("/nonexistent/bcm-emulator-venv"), "{message}");
}
