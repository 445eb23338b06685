//! The one place requests are sent: Query with paging, GetItem, BatchGetItem
//! with unprocessed keys, TransactWriteItems, and conditional single writes.
//! Every read is strongly consistent (a store reads its own writes, as the
//! SQLite one does).
//!
//! Owns the error mapping: a failed condition is an answer (`false`,
//! `Tx::Cancelled`), not an error; a missing table gets a message saying how
//! to create it; anything else becomes `StoreError::Backend` naming what was
//! being done. Throttling and transient errors are retried by the SDK's retry
//! configuration, not here. Must not know what any item means.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, KeysAndAttributes, Put, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;

use super::attrs::{self, Item};
use super::expr::{key_condition, placeholders};
pub(super) use super::expr::{Expr, Range};
use super::keys::Key;
use super::meter::Meter;
use crate::ledger::StoreError;

/// Cancellation reasons after which re-reading and trying again can succeed.
const RETRYABLE: [&str; 5] = [
    "ConditionalCheckFailed",
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
];
const CONFLICT_ATTEMPTS: u32 = 6;
const BATCH_GET_KEYS: usize = 100;
const UNPROCESSED_ATTEMPTS: u32 = 8;

/// What a guarded transaction did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Guarded {
    Committed,
    /// Refused by its first item's condition.
    Refused,
    /// Refused by the guard (its last item).
    GuardRefused,
}

/// The result of a transaction.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Tx {
    Committed,
    /// Cancelled for a reason re-reading can fix; one code per item ("None" for items that were fine).
    Cancelled(Vec<String>),
}

/// The result of a conditional update.
#[derive(Debug)]
pub(super) enum Updated {
    /// The item as it is now.
    Done(Item),
    /// The condition failed; the item as it was, if it exists.
    Refused(Option<Item>),
}

pub(super) struct Db {
    client: Client,
    table: String,
    pub meter: Meter,
}

impl Db {
    pub fn new(client: Client, table: String) -> Db {
        Db { client, table, meter: Meter::default() }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The error for a failed request: the missing table named with the fix,
    /// anything else with what was being done and the SDK's full context.
    pub fn fail<E, R>(&self, doing: &str, err: SdkError<E, R>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        if err.code() == Some("ResourceNotFoundException") {
            return StoreError::Backend(format!(
                "{doing}: DynamoDB table `{}` does not exist in this account and region; create it \
                 (pk S hash key, sk S range key, TTL on `expires_at`, on-demand), e.g. with the \
                 Terraform module in deploy/, or set store.dynamodb_table to the right name",
                self.table
            ));
        }
        StoreError::Backend(format!(
            "{doing} (DynamoDB table `{}`): {}",
            self.table,
            DisplayErrorContext(&err)
        ))
    }

    /// Every item of a partition within `range`, all pages.
    pub async fn query(&self, pk: &str, range: &Range, doing: &str) -> Result<Vec<Item>, StoreError> {
        let condition = key_condition(pk, range);
        let (text, (names, values)) = (&condition.text, placeholders(&[&condition]));
        let mut items = Vec::new();
        let mut start = None;
        loop {
            self.meter.request("Query");
            let out = (self.client.query().table_name(&self.table).consistent_read(true))
                .key_condition_expression(text)
                .set_expression_attribute_names(names.clone())
                .set_expression_attribute_values(values.clone())
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.fail(doing, e))?;
            let page = out.items.unwrap_or_default();
            self.meter.read_page(page.len(), page.iter().map(attrs::item_size).sum());
            items.extend(page);
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    pub async fn get(&self, key: &Key, doing: &str) -> Result<Option<Item>, StoreError> {
        self.meter.request("GetItem");
        let out = (self.client.get_item().table_name(&self.table).consistent_read(true))
            .set_key(Some(attrs::key_item(key)))
            .send()
            .await
            .map_err(|e| self.fail(doing, e))?;
        self.meter.read_items([out.item.as_ref().map_or(0, attrs::item_size)]);
        Ok(out.item)
    }

    /// The items that exist among `keys`, by key; unprocessed keys are asked again.
    pub async fn batch_get(&self, keys: &[Key], doing: &str) -> Result<HashMap<Key, Item>, StoreError> {
        let mut found = HashMap::new();
        for chunk in keys.chunks(BATCH_GET_KEYS) {
            let mut pending: Vec<Item> = chunk.iter().map(attrs::key_item).collect();
            let mut attempt = 0;
            while !pending.is_empty() {
                if attempt == UNPROCESSED_ATTEMPTS {
                    return Err(StoreError::Backend(format!("{doing}: DynamoDB left keys unprocessed")));
                }
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(25 << attempt)).await;
                }
                attempt += 1;
                let ask = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| StoreError::Backend(format!("{doing}: {e}")))?;
                self.meter.request("BatchGetItem");
                let out = (self.client.batch_get_item().request_items(&self.table, ask).send().await)
                    .map_err(|e| self.fail(doing, e))?;
                let items = out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default();
                self.meter.read_items(items.iter().map(attrs::item_size));
                for item in items {
                    found.insert(attrs::key_of(&item)?, item);
                }
                pending = (out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)))
                    .map(|k| k.keys)
                    .unwrap_or_default();
            }
        }
        Ok(found)
    }

    pub fn tx_put(&self, item: Item, condition: Option<&Expr>) -> Result<TransactWriteItem, StoreError> {
        let (names, values) = placeholders(condition.as_slice());
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(|c| c.text.clone()))
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .build()
            .map_err(|e| StoreError::Backend(format!("building a transactional put: {e}")))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    pub fn tx_delete(&self, key: &Key, condition: Option<&Expr>) -> Result<TransactWriteItem, StoreError> {
        let (names, values) = placeholders(condition.as_slice());
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(attrs::key_item(key)))
            .set_condition_expression(condition.map(|c| c.text.clone()))
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .build()
            .map_err(|e| StoreError::Backend(format!("building a transactional delete: {e}")))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    pub fn tx_update(
        &self,
        key: &Key,
        update: &Expr,
        condition: &Expr,
    ) -> Result<TransactWriteItem, StoreError> {
        let (names, values) = placeholders(&[update, condition]);
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(attrs::key_item(key)))
            .update_expression(&update.text)
            .condition_expression(&condition.text)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .build()
            .map_err(|e| StoreError::Backend(format!("building a transactional update: {e}")))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// A transaction whose first item carries the condition that decides
    /// (`Refused`), with `guard` (a condition check: the lease's fence)
    /// appended as the last item, whose refusal is told apart. Conflicts
    /// with other transactions are tried again.
    pub async fn transact_guarded(
        &self,
        mut writes: Vec<TransactWriteItem>,
        guard: Option<TransactWriteItem>,
        doing: &str,
    ) -> Result<Guarded, StoreError> {
        let guarded = guard.is_some();
        writes.extend(guard);
        let refused = |code: Option<&String>| code.map(String::as_str) == Some("ConditionalCheckFailed");
        let mut last = Vec::new();
        for attempt in 0..CONFLICT_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
            }
            let sizes = vec![0; writes.len()];
            match self.transact(writes.clone(), &sizes, doing).await? {
                Tx::Committed => return Ok(Guarded::Committed),
                Tx::Cancelled(codes) if guarded && refused(codes.last()) => return Ok(Guarded::GuardRefused),
                Tx::Cancelled(codes) if refused(codes.first()) => return Ok(Guarded::Refused),
                Tx::Cancelled(codes) => last = codes,
            }
        }
        Err(StoreError::Backend(format!(
            "{doing}: still conflicting after {CONFLICT_ATTEMPTS} attempts ({last:?})"
        )))
    }

    /// A transactional check of `condition` on `key`'s item, writing nothing.
    pub fn tx_check(&self, key: &Key, condition: &Expr) -> Result<TransactWriteItem, StoreError> {
        let (names, values) = placeholders(&[condition]);
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(attrs::key_item(key)))
            .condition_expression(&condition.text)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .build()
            .map_err(|e| StoreError::Backend(format!("building a condition check: {e}")))?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// Sends one transaction; `sizes` are its items' sizes, for the meter.
    pub async fn transact(
        &self,
        writes: Vec<TransactWriteItem>,
        sizes: &[usize],
        doing: &str,
    ) -> Result<Tx, StoreError> {
        self.meter.request("TransactWriteItems");
        let sent = self.client.transact_write_items().set_transact_items(Some(writes)).send().await;
        match sent {
            Ok(_) => {
                self.meter.written(sizes.iter().copied(), true);
                Ok(Tx::Committed)
            }
            Err(err) => match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
                    let codes: Vec<String> = e
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code().unwrap_or("None").to_string())
                        .collect();
                    if codes.iter().any(|c| RETRYABLE.contains(&c.as_str())) {
                        Ok(Tx::Cancelled(codes))
                    } else {
                        Err(self.fail(doing, err))
                    }
                }
                Some(TransactWriteItemsError::TransactionInProgressException(_)) => {
                    Ok(Tx::Cancelled(vec!["TransactionInProgress".into()]))
                }
                _ => Err(self.fail(doing, err)),
            },
        }
    }

    /// A put that only happens if `condition` holds (or unconditionally); `false` if refused.
    pub async fn put(&self, item: Item, condition: Option<&Expr>, doing: &str) -> Result<bool, StoreError> {
        let (names, values) = placeholders(condition.as_slice());
        let size = attrs::item_size(&item);
        self.meter.request("PutItem");
        let sent = (self.client.put_item().table_name(&self.table).set_item(Some(item)))
            .set_condition_expression(condition.map(|c| c.text.clone()))
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .send()
            .await;
        match sent {
            Ok(_) => {
                self.meter.written([size], false);
                Ok(true)
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                Ok(false)
            }
            Err(e) => Err(self.fail(doing, e)),
        }
    }

    /// `update` applied if `condition` holds; either way the item comes back.
    pub async fn update(
        &self,
        key: &Key,
        update: &Expr,
        condition: &Expr,
        doing: &str,
    ) -> Result<Updated, StoreError> {
        let (names, values) = placeholders(&[update, condition]);
        self.meter.request("UpdateItem");
        let sent = (self.client.update_item().table_name(&self.table).set_key(Some(attrs::key_item(key))))
            .update_expression(&update.text)
            .condition_expression(&condition.text)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match sent {
            Ok(out) => {
                let item = out.attributes.unwrap_or_default();
                self.meter.written([attrs::item_size(&item)], false);
                Ok(Updated::Done(item))
            }
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(c)) => {
                    Ok(Updated::Refused(c.item.clone()))
                }
                _ => Err(self.fail(doing, e)),
            },
        }
    }
}
