//! CloudTrail call counts in SQLite: replacing a window (with `call_totals`
//! kept by delta and the CloudTrail watermark moved in the same
//! transaction) and reading windows and totals back.
//!
//! A window is replaced by diffing, not by delete-and-insert: unchanged rows
//! are not touched, so re-reading an overlapping window writes nothing.
//! Must not aggregate events or attribute cost.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::codec::{self, Context};
use super::replace::{replace, Rows};
use super::write::advance_watermark;
use crate::ledger::{CallBatch, Fence, ReplaceStats, StoreError};
use crate::records::{CallCount, CallTotal, Source};

/// (minute, model ID, principal, error code or '').
type Key = (i64, String, String, String);
/// (calls, input tokens, output tokens).
type Value = (i64, Option<i64>, Option<i64>);

fn key_of(c: &CallCount) -> Result<Key, StoreError> {
    Ok((
        codec::minute_to_sql(c.minute)?,
        c.model_id.clone(),
        c.principal.clone(),
        c.error_code.clone().unwrap_or_default(),
    ))
}

fn value_of(c: &CallCount) -> Result<Value, StoreError> {
    let opt = |v: Option<u64>| v.map(codec::tokens_to_sql).transpose();
    Ok((codec::tokens_to_sql(c.calls)?, opt(c.input_tokens)?, opt(c.output_tokens)?))
}

/// Checks the whole batch (`CallBatch::check`) before anything is written,
/// so a refused batch leaves no trace, and keys it.
fn validate(batch: &CallBatch) -> Result<BTreeMap<Key, Value>, StoreError> {
    batch.check()?;
    batch.calls.iter().map(|c| Ok((key_of(c)?, value_of(c)?))).collect()
}

pub(super) fn write_calls(
    conn: &mut Connection,
    batch: &CallBatch,
    fence: Option<&Fence>,
) -> Result<ReplaceStats, StoreError> {
    let new = validate(batch)?;
    let (from, to) = (codec::bound_to_sql(batch.from), codec::bound_to_sql(batch.to));
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("starting call write")?;
    super::fence::check_if(&tx, fence)?;
    super::compact::check_writable(&tx, Some(from))?;
    let old = read_window(&tx, &batch.region, from, to)?;
    let stats = replace(old, &new, &mut CallRows { tx: &tx, region: &batch.region })?;
    if let Some(until) = batch.watermark {
        advance_watermark(&tx, Source::CloudTrail, &batch.region, until)?;
    }
    tx.commit().ctx("committing call write")?;
    Ok(stats)
}

/// The `calls` rows of one region, with their totals.
struct CallRows<'a> {
    tx: &'a Transaction<'a>,
    region: &'a str,
}

impl Rows<Key, Value> for CallRows<'_> {
    fn upsert(&mut self, key: &Key, value: &Value) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO calls (region, minute, model_id, principal, error_code, calls, input_tokens, output_tokens)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (region, minute, model_id, principal, error_code) DO UPDATE SET
                   calls = excluded.calls, input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens",
            )
            .and_then(|mut st| {
                st.execute(params![self.region, key.0, key.1, key.2, key.3, value.0, value.1, value.2])
            })
            .ctx("upserting call count")
            .map(drop)
    }

    fn delete(&mut self, key: &Key) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "DELETE FROM calls WHERE region = ?1 AND minute = ?2 AND model_id = ?3 AND principal = ?4
                 AND error_code = ?5",
            )
            .and_then(|mut st| st.execute(params![self.region, key.0, key.1, key.2, key.3]))
            .ctx("deleting call count")
            .map(drop)
    }

    fn account(&mut self, key: &Key, value: &Value, entering: bool) -> Result<(), StoreError> {
        if entering {
            adjust_total(self.tx, self.region, key, value.0, 1)
        } else {
            adjust_total(self.tx, self.region, key, -value.0, -1)
        }
    }
}

fn read_window(
    tx: &Transaction<'_>,
    region: &str,
    from: i64,
    to: i64,
) -> Result<BTreeMap<Key, Value>, StoreError> {
    let mut st = tx
        .prepare_cached(
            "SELECT minute, model_id, principal, error_code, calls, input_tokens, output_tokens
             FROM calls WHERE region = ?1 AND minute >= ?2 AND minute < ?3",
        )
        .ctx("reading call window")?;
    let rows = st
        .query_map(params![region, from, to], |r| {
            Ok(((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?), (r.get(4)?, r.get(5)?, r.get(6)?)))
        })
        .ctx("reading call window")?;
    rows.collect::<rusqlite::Result<BTreeMap<Key, Value>>>().ctx("reading call window")
}

/// Adds `calls` (negative to remove) and `rows` (±1) to the series total;
/// a total whose last row left is deleted.
fn adjust_total(
    tx: &Transaction<'_>,
    region: &str,
    key: &Key,
    calls: i64,
    rows: i64,
) -> Result<(), StoreError> {
    let k = params![region, key.1, key.2, key.3];
    let old: Option<(i64, i64)> = tx
        .prepare_cached(
            "SELECT rows, calls FROM call_totals
             WHERE region = ?1 AND model_id = ?2 AND principal = ?3 AND error_code = ?4",
        )
        .and_then(|mut st| st.query_row(k, |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .ctx("reading call total")?;
    let (old_rows, old_calls) = old.unwrap_or((0, 0));
    let (new_rows, new_calls) = (old_rows + rows, old_calls + calls);
    if new_rows < 0 || new_calls < 0 {
        return Err(StoreError::Corrupt {
            what: "call total",
            detail: format!("{region} {key:?}: ({old_rows}, {old_calls}) cannot take ({rows}, {calls})"),
        });
    }
    let sql = if new_rows == 0 {
        "DELETE FROM call_totals WHERE region = ?1 AND model_id = ?2 AND principal = ?3 AND error_code = ?4"
    } else {
        "INSERT INTO call_totals (region, model_id, principal, error_code, rows, calls)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (region, model_id, principal, error_code)
         DO UPDATE SET rows = excluded.rows, calls = excluded.calls"
    };
    tx.prepare_cached(sql)
        .and_then(|mut st| {
            let all = params![region, key.1, key.2, key.3, new_rows, new_calls];
            let n = st.parameter_count();
            st.execute(&all[..n])
        })
        .ctx("writing call total")?;
    Ok(())
}

fn error_code(text: String) -> Option<String> {
    Some(text).filter(|c| !c.is_empty())
}

pub(super) fn call_counts(
    conn: &Connection,
    region: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<CallCount>, StoreError> {
    let mut st = conn
        .prepare_cached(
            "SELECT minute, model_id, principal, error_code, calls, input_tokens, output_tokens
             FROM calls WHERE region = ?1 AND minute >= ?2 AND minute < ?3",
        )
        .ctx("reading call counts")?;
    let raw = st
        .query_map(params![region, codec::bound_to_sql(from), codec::bound_to_sql(to)], |r| {
            Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
        })
        .ctx("reading call counts")?
        .collect::<rusqlite::Result<Vec<(i64, String, String, String, i64, Option<i64>, Option<i64>)>>>()
        .ctx("reading call counts")?;
    let opt = |v: Option<i64>| v.map(codec::tokens_from_sql).transpose();
    let mut out = raw
        .into_iter()
        .map(|(minute, model_id, principal, code, calls, input, output)| {
            Ok(CallCount {
                region: region.to_string(),
                minute: codec::minute_from_sql(minute)?,
                model_id,
                principal,
                error_code: error_code(code),
                calls: codec::tokens_from_sql(calls)?,
                input_tokens: opt(input)?,
                output_tokens: opt(output)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    out.sort();
    Ok(out)
}

pub(super) fn call_totals(conn: &Connection) -> Result<Vec<CallTotal>, StoreError> {
    let mut st = conn
        .prepare_cached("SELECT region, model_id, principal, error_code, calls FROM call_totals")
        .ctx("reading call totals")?;
    let raw = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, i64>(4)?)))
        .ctx("reading call totals")?
        .collect::<rusqlite::Result<Vec<(String, String, String, String, i64)>>>()
        .ctx("reading call totals")?;
    let mut out = raw
        .into_iter()
        .map(|(region, model_id, principal, code, calls)| {
            Ok(CallTotal {
                region,
                model_id,
                principal,
                error_code: error_code(code),
                calls: codec::tokens_from_sql(calls)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    out.sort();
    Ok(out)
}
