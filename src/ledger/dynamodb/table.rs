//! The table itself: checking that it exists with the key schema the store
//! needs (a clear message if not), and creating it for the demo and tests.
//! Production tables come from Terraform: `pk` (S) hash key, `sk` (S) range
//! key, TTL on `expires_at`, on-demand billing.
//!
//! Must not touch items.

use std::time::Duration;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableDescription,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;

use super::attrs::{EXPIRES_AT, PK, SK};
use super::db::Db;
use crate::ledger::StoreError;

const CREATE_WAIT: Duration = Duration::from_secs(120);

async fn describe(db: &Db) -> Result<Option<TableDescription>, StoreError> {
    let out = db.client().describe_table().table_name(db.table()).send().await;
    match out {
        Ok(out) => Ok(out.table),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(None),
        Err(e) => Err(db.fail("describing the table", e)),
    }
}

fn check_schema(table: &str, desc: &TableDescription) -> Result<(), StoreError> {
    let key = |name: &str| {
        desc.key_schema().iter().find(|k| k.attribute_name() == name).map(|k| k.key_type().clone())
    };
    let typ = |name: &str| {
        desc.attribute_definitions()
            .iter()
            .find(|a| a.attribute_name() == name)
            .map(|a| a.attribute_type().clone())
    };
    let ok = key(PK) == Some(KeyType::Hash)
        && key(SK) == Some(KeyType::Range)
        && typ(PK) == Some(ScalarAttributeType::S)
        && typ(SK) == Some(ScalarAttributeType::S);
    if ok {
        return Ok(());
    }
    let found: Vec<String> = desc
        .key_schema()
        .iter()
        .map(|k| format!("{} {}", k.attribute_name(), k.key_type().as_str()))
        .collect();
    Err(StoreError::Backend(format!(
        "DynamoDB table `{table}` has the key schema [{}]; the ledger needs `pk` (S) as hash key and \
         `sk` (S) as range key",
        found.join(", ")
    )))
}

async fn ttl_enabled(db: &Db) -> Result<bool, StoreError> {
    let out = (db.client().describe_time_to_live().table_name(db.table()).send().await)
        .map_err(|e| db.fail("reading the table's TTL setting", e))?;
    let desc = out.time_to_live_description;
    let status = desc.as_ref().and_then(|d| d.time_to_live_status().cloned());
    let attribute = desc.as_ref().and_then(|d| d.attribute_name());
    Ok(matches!(status, Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling))
        && attribute == Some(EXPIRES_AT))
}

/// Fails with a message saying how to fix it unless the table exists with
/// the right key schema; warns if its TTL is not on `expires_at` (minute
/// rows would then be kept forever, which costs storage but loses nothing).
pub(super) async fn check(db: &Db) -> Result<(), StoreError> {
    let desc = describe(db).await?.ok_or_else(|| {
        StoreError::Backend(format!(
            "DynamoDB table `{}` does not exist in this account and region; create it (pk S hash key, \
             sk S range key, TTL on `expires_at`, on-demand), e.g. with the Terraform module in deploy/, \
             or set store.dynamodb_table to the right name",
            db.table()
        ))
    })?;
    check_schema(db.table(), &desc)?;
    if !ttl_enabled(db).await? {
        tracing::warn!(
            table = db.table(),
            "TTL is not enabled on `expires_at`: minute rows will never expire"
        );
    }
    Ok(())
}

/// Creates the table as Terraform would (and turns TTL on) unless it exists;
/// `true` if it was created. An existing table must have the right key schema.
pub async fn create_table_if_missing(client: &Client, table: &str) -> Result<bool, StoreError> {
    let db = Db::new(client.clone(), table.to_string());
    if let Some(desc) = describe(&db).await? {
        check_schema(table, &desc)?;
        return Ok(false);
    }
    let attribute = |name: &str| {
        AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
    };
    let key =
        |name: &str, key_type| KeySchemaElement::builder().attribute_name(name).key_type(key_type).build();
    let build =
        |e: aws_sdk_dynamodb::error::BuildError| StoreError::Backend(format!("describing the table: {e}"));
    (client.create_table().table_name(table).billing_mode(BillingMode::PayPerRequest))
        .attribute_definitions(attribute(PK).map_err(build)?)
        .attribute_definitions(attribute(SK).map_err(build)?)
        .key_schema(key(PK, KeyType::Hash).map_err(build)?)
        .key_schema(key(SK, KeyType::Range).map_err(build)?)
        .send()
        .await
        .map_err(|e| db.fail("creating the table", e))?;
    (client.wait_until_table_exists().table_name(table).wait(CREATE_WAIT).await).map_err(|e| {
        StoreError::Backend(format!("waiting for DynamoDB table `{table}` to become active: {e}"))
    })?;
    let ttl =
        TimeToLiveSpecification::builder().enabled(true).attribute_name(EXPIRES_AT).build().map_err(build)?;
    (client.update_time_to_live().table_name(table).time_to_live_specification(ttl).send().await)
        .map_err(|e| db.fail("enabling TTL on `expires_at`", e))?;
    Ok(true)
}
