//! Two accounts: with `aws.assume_role_arn` naming a role in another account,
//! the daemon reads that account's Bedrock metrics, and keeps its ledger
//! and sends its alerts in its own account.
//!
//! The emulator keeps each account's data apart (moto per account, the
//! gateway's CloudWatch metrics per account and region) and maps the keys
//! STS `AssumeRole` hands out to the role's account. The tests' dummy key is
//! the default account.

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::config::SharedCredentialsProvider;
use bedrock_cost_monitor::aws::AwsConfig;
use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::ledger::dynamodb::{DynamoOptions, DynamoStore};
use bedrock_cost_monitor::ledger::Store;
use bedrock_cost_monitor::sim::publish::publish;
use bedrock_cost_monitor::sim::SimDatum;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use tempfile::TempDir;

use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
use crate::helpers::emulator;
use crate::helpers::inbox::Topic;
use crate::helpers::workload::{datum, publish_all, seeded_series, workload, Truth, EAST, OPUS_US, WEST};

/// A role in the monitored account (the emulator, like STS, needs no such role to exist).
const ROLE: &str = "arn:aws:iam::222222222222:role/bedrock-cost-monitor-read";
const TABLE: &str = "bcm-ledger";

/// The test's "now": half an hour of traffic before it (a DynamoDB ledger
/// writes each minute in a transaction: more would only slow the test).
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 30).unwrap()
}

/// The emulator's SDK configuration with the credentials of `ROLE`,
/// assumed with the default account's: requests act in the monitored account.
async fn monitored(emu: &Emulator, region: &str) -> SdkConfig {
    let own = emu.sdk_config(region).await;
    let role =
        aws_config::sts::AssumeRoleProvider::builder(ROLE).session_name("test").configure(&own).build().await;
    own.into_builder().credentials_provider(SharedCredentialsProvider::new(role)).build()
}

/// Publishes `datums` into the monitored account's `AWS/Bedrock` namespace.
async fn publish_monitored(emu: &Emulator, datums: &[SimDatum]) {
    for region in [EAST, WEST] {
        let mine: Vec<SimDatum> = datums.iter().filter(|d| d.region == region).cloned().collect();
        #[expect(
            clippy::disallowed_methods,
            reason = "the monitored account's traffic, published by the test"
        )]
        let client = aws_sdk_cloudwatch::Client::new(&monitored(emu, region).await);
        publish(&client, &mine).await.expect("PutMetricData");
    }
}

/// A daily budget whose limit puts `spend` at 60 %: 50 % crossed, 80 % not.
fn budget_at_60_percent(spend: Decimal) -> String {
    let limit = (spend / Decimal::new(6, 1)).round_dp(2);
    format!("[[budgets]]\nname = \"team-daily\"\nperiod = \"day\"\nlimit_usd = \"{limit}\"\nforecast_alert = false\n")
}

async fn tables(sdk: &SdkConfig) -> Vec<String> {
    #[expect(clippy::disallowed_methods, reason = "the test looks into each account's DynamoDB")]
    let client = aws_sdk_dynamodb::Client::new(sdk);
    client.list_tables().send().await.unwrap().table_names().to_vec()
}

#[tokio::test]
async fn the_role_reads_the_monitored_account_and_the_ledger_and_alerts_stay_in_the_own_account() {
    let emu = emulator::exclusive().await;
    let end = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    let usage = workload(&seeded_series(), end - Duration::minutes(30), end);
    publish_monitored(&emu, &usage).await;
    // Traffic of the daemon's own account: not the monitored one's, never read.
    let own_traffic: Vec<SimDatum> = (1..=30)
        .map(|m| datum(EAST, OPUS_US, BedrockMetric::InputTokenCount, end - Duration::minutes(m), 50_000))
        .collect();
    publish_all(&emu, &own_traffic).await;
    let truth = Truth::of(&usage);

    // The ledger table and the alert topic exist in the daemon's own account only.
    let own = AwsConfig::from_sdk(emu.sdk_config(EAST).await);
    DynamoStore::create_table(own.own(), EAST, TABLE).await.unwrap();
    let topic = Topic::create(&emu, "budget-alerts", false).await;
    let dir = TempDir::new().unwrap();
    let store =
        format!("[store]\nkind = \"dynamodb\"\ndynamodb_table = \"{TABLE}\"\ndynamodb_region = \"{EAST}\"\n");
    let config = TestConfig::driven(dir.path(), emu.endpoint_url())
        .assume_role(ROLE)
        .topic(&topic.arn)
        .extra(&format!("{store}\n{}", budget_at_60_percent(truth.total_usd())));
    let clock = Arc::new(ManualClock::new(now()));
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), clock)).await;
    daemon.collect_usage().await.unwrap();

    let sts = emu.requests(Some("sts")).await.unwrap();
    assert!(sts.iter().any(|r| r.operation == "AssumeRole"), "the daemon assumed the role: {sts:?}");
    // Exactly the monitored account's usage, read back from the own account's table.
    let view = DynamoStore::connect(own.own(), EAST, TABLE, DynamoOptions::default()).unwrap();
    assert_eq!(
        view.cost_totals().await.unwrap(),
        truth.cost_totals(),
        "the ledger holds the monitored usage only"
    );
    assert!(!view.cost_totals().await.unwrap().iter().any(|t| t.model_id == OPUS_US));
    assert_eq!(tables(&emu.sdk_config(EAST).await).await, vec![TABLE.to_string()]);
    assert!(tables(&monitored(&emu, EAST).await).await.is_empty(), "no table in the monitored account");
    // The budget alert arrived through the own account's topic.
    let delivered = topic.drain().await;
    let crossing: Vec<_> = delivered.iter().filter(|d| d.kind() == "budget.threshold").collect();
    assert_eq!(crossing.len(), 1, "{delivered:#?}");
    assert_eq!(crossing[0].body["spend_usd"], json!(truth.total_usd().to_string()));
}
