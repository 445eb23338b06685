//! The DynamoDB table's data-layout version, against moto through the
//! emulator: `create-table` stamps it, the first start on a table without one
//! stamps it, and a table holding a layout this build does not know makes
//! the store refuse to start, naming the table and both versions, before it
//! writes anything.

use aws_sdk_dynamodb::types::AttributeValue;
use bedrock_cost_monitor::aws::AwsConfig;
use bedrock_cost_monitor::ledger::dynamodb::{
    create_table_if_missing, DynamoOptions, DynamoStore, LAYOUT_VERSION,
};
use bedrock_cost_monitor::ledger::{Store, StoreError};

use crate::helpers::emulator;

const REGION: &str = "us-west-2";

async fn layout(client: &aws_sdk_dynamodb::Client, table: &str) -> Option<String> {
    let out = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S("META".into()))
        .key("sk", AttributeValue::S("layout".into()))
        .send()
        .await
        .unwrap();
    out.item.and_then(|i| i.get("layout").and_then(|v| v.as_n().ok().cloned()))
}

#[tokio::test]
async fn create_table_and_a_first_start_stamp_the_layout() {
    let emu = emulator::exclusive().await;
    let aws = AwsConfig::from_sdk(emu.sdk_config(REGION).await);
    #[expect(clippy::disallowed_methods, reason = "a client of the emulator, for the test")]
    let client = aws_sdk_dynamodb::Client::new(&emu.sdk_config(REGION).await);
    assert!(DynamoStore::create_table(aws.own(), REGION, "bcm-layout-made").await.unwrap());
    assert_eq!(layout(&client, "bcm-layout-made").await, Some(LAYOUT_VERSION.to_string()));

    // A table made before the layout item existed is stamped at the first start.
    create_table_if_missing(&client, "bcm-layout-old").await.unwrap();
    assert_eq!(layout(&client, "bcm-layout-old").await, None);
    let store = DynamoStore::new(client.clone(), "bcm-layout-old", DynamoOptions::default()).unwrap();
    store.check_table().await.unwrap();
    assert_eq!(layout(&client, "bcm-layout-old").await, Some(LAYOUT_VERSION.to_string()));
    store.check_table().await.unwrap();
}

#[tokio::test]
async fn a_newer_layout_is_refused_before_anything_is_written() {
    let emu = emulator::exclusive().await;
    #[expect(clippy::disallowed_methods, reason = "a client of the emulator, for the test")]
    let client = aws_sdk_dynamodb::Client::new(&emu.sdk_config(REGION).await);
    create_table_if_missing(&client, "bcm-layout-new").await.unwrap();
    let newer = (LAYOUT_VERSION + 1).to_string();
    client
        .put_item()
        .table_name("bcm-layout-new")
        .item("pk", AttributeValue::S("META".into()))
        .item("sk", AttributeValue::S("layout".into()))
        .item("layout", AttributeValue::N(newer.clone()))
        .send()
        .await
        .unwrap();
    let store = DynamoStore::new(client.clone(), "bcm-layout-new", DynamoOptions::default()).unwrap();
    let err = store.check_table().await.unwrap_err();
    assert!(matches!(err, StoreError::Unusable { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("`bcm-layout-new`"), "{text}");
    assert!(
        text.contains(&format!("version {newer}, newer than this build writes ({LAYOUT_VERSION})")),
        "{text}"
    );
    assert_eq!(layout(&client, "bcm-layout-new").await, Some(newer), "left as it was");
    assert!(store.cost_totals().await.unwrap().is_empty(), "nothing was written");
}
