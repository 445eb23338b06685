//! CloudTrail rows: the call counts of one (region, model ID, minute) in one
//! item (`c`: principal and error code → calls and reported tokens), the
//! attributed cost shares in another (`s`: model, principal and attribution
//! → usd), and replacing a region's window of either.
//!
//! A window is replaced by diffing every row item of the window against the
//! batch: unchanged items are not written, items left empty are deleted.
//! Must not aggregate events or compute shares.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::aggregate::Amount;
use super::attrs::{self, Item};
use super::engine::{Change, Tally, Unit};
use super::keys::{compose, decompose, Kind};
use super::rows::{self, Codec, Contribution, Encoded, RowId};
use super::{numbers, read, Ctx};
use crate::ledger::encoding;
use crate::ledger::{AttributionBatch, CallBatch, StoreError};
use crate::records::{Attribution, CallCount, PrincipalTotal};

const CALLS: &str = "c";
const SHARES: &str = "s";
const COUNT: &str = "n";
const INPUT: &str = "i";
const OUTPUT: &str = "o";

/// (principal, error code).
type CallKey = (String, Option<String>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct CallValue {
    calls: u64,
    input: Option<u64>,
    output: Option<u64>,
}

/// (model, principal, attribution).
pub(super) type ShareKey = (String, String, Attribution);

const CALL_CODEC: Codec<CallKey, CallValue> =
    Codec { attribute: CALLS, encode: encode_call, decode: decode_calls, contribution: call_contribution };
const SHARE_CODEC: Codec<ShareKey, Decimal> = Codec {
    attribute: SHARES,
    encode: encode_share,
    decode: decode_shares,
    contribution: share_contribution,
};

/// A checked window replacement: what every row item of `kind` in `region`
/// and `[from, to)` must hold afterwards (absent: nothing).
pub(super) struct Window<K, V> {
    kind: Kind,
    region: String,
    span: (i64, i64),
    rows: BTreeMap<RowId, BTreeMap<K, V>>,
    codec: Codec<K, V>,
}

/// The window in whole minutes, refused if it reaches back to minutes that
/// may already have expired.
fn span(ctx: &Ctx, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(i64, i64), StoreError> {
    let (from, to) = read::minutes_of(from, to);
    if from < to {
        ctx.options.writable(from)?;
    }
    Ok((from, to))
}

fn row_of(
    ctx: &Ctx,
    kind: Kind,
    region: &str,
    model_id: &str,
    minute: DateTime<Utc>,
) -> Result<RowId, StoreError> {
    let minute = ctx.options.writable(encoding::minute_secs(minute)?)?;
    Ok(RowId { kind, region: region.into(), model_id: model_id.into(), minute, source: None })
}

pub(super) fn calls_window(ctx: &Ctx, batch: &CallBatch) -> Result<Window<CallKey, CallValue>, StoreError> {
    batch.check()?;
    let mut rows: BTreeMap<RowId, BTreeMap<CallKey, CallValue>> = BTreeMap::new();
    for c in &batch.calls {
        let id = row_of(ctx, Kind::Calls, &c.region, &c.model_id, c.minute)?;
        let value = CallValue { calls: c.calls, input: c.input_tokens, output: c.output_tokens };
        rows.entry(id).or_default().insert((c.principal.clone(), c.error_code.clone()), value);
    }
    let span = span(ctx, batch.from, batch.to)?;
    Ok(Window { kind: Kind::Calls, region: batch.region.clone(), span, rows, codec: CALL_CODEC })
}

pub(super) fn shares_window(
    ctx: &Ctx,
    batch: &AttributionBatch,
) -> Result<Window<ShareKey, Decimal>, StoreError> {
    batch.check()?;
    let mut rows: BTreeMap<RowId, BTreeMap<ShareKey, Decimal>> = BTreeMap::new();
    for s in &batch.shares {
        let id = row_of(ctx, Kind::Shares, &s.region, &s.model_id, s.minute)?;
        numbers::from_decimal("share usd", s.usd)?;
        rows.entry(id).or_default().insert((s.model.clone(), s.principal.clone(), s.attribution), s.usd);
    }
    let span = span(ctx, batch.from, batch.to)?;
    Ok(Window { kind: Kind::Shares, region: batch.region.clone(), span, rows, codec: SHARE_CODEC })
}

#[async_trait]
impl<K, V> Change for Window<K, V>
where
    K: Ord + Clone + Send + Sync,
    V: PartialEq + Clone + Send + Sync,
{
    fn shard(&self) -> Option<&str> {
        Some(&self.region)
    }

    async fn units(&self, ctx: &Ctx) -> Result<(Vec<Unit>, Tally), StoreError> {
        let stored =
            rows::scan(ctx, self.kind, &self.region, self.span, "reading the window a batch replaces")
                .await?;
        let stored: HashMap<RowId, Item> = stored.into_iter().collect();
        let ids: BTreeSet<&RowId> = stored.keys().chain(self.rows.keys()).collect();
        let empty = BTreeMap::new();
        let mut units = Vec::new();
        for id in ids {
            let (expect, old) = self.codec.stored(stored.get(id))?;
            let new = self.rows.get(id).unwrap_or(&empty);
            let mut tally = Tally::default();
            for (k, v) in new {
                match old.get(k) {
                    None => tally.0[0] += 1,
                    Some(prev) if prev != v => tally.0[1] += 1,
                    Some(_) => {}
                }
            }
            tally.0[2] = old.keys().filter(|k| !new.contains_key(*k)).count();
            if let Some(u) = self.codec.unit(ctx, id, expect, &old, new)? {
                units.push(Unit { tally, ..u });
            }
        }
        Ok((units, Tally::default()))
    }
}

fn call_contribution(key: &CallKey, v: &CallValue) -> Contribution {
    (compose(&[&key.0, key.1.as_deref().unwrap_or("")]), vec![Amount::Exact(v.calls.into())])
}

fn share_contribution(key: &ShareKey, usd: &Decimal) -> Contribution {
    (compose(&[&key.0, &key.1, key.2.as_str()]), vec![Amount::Exact(*usd)])
}

fn encode_call(key: &CallKey, v: &CallValue) -> Result<Encoded, StoreError> {
    let mut m = HashMap::from([(COUNT.to_string(), attrs::n(numbers::from_u64(v.calls)))]);
    for (name, tokens) in [(INPUT, v.input), (OUTPUT, v.output)] {
        if let Some(t) = tokens {
            m.insert(name.into(), attrs::n(numbers::from_u64(t)));
        }
    }
    Ok((call_contribution(key, v).0, AttributeValue::M(m)))
}

fn encode_share(key: &ShareKey, usd: &Decimal) -> Result<Encoded, StoreError> {
    Ok((share_contribution(key, usd).0, attrs::n(numbers::from_decimal("share usd", *usd)?)))
}

/// A series name `principal#error` (empty error: success) taken apart.
pub(super) fn call_key(series: &str) -> Result<CallKey, StoreError> {
    let mut parts = decompose(series, 2)?;
    let error = parts.pop().filter(|e| !e.is_empty());
    Ok((parts.pop().unwrap_or_default(), error))
}

/// A series name `model#principal#attribution` taken apart.
pub(super) fn share_key(series: &str) -> Result<ShareKey, StoreError> {
    let mut parts = decompose(series, 3)?;
    let attribution = parts.pop().unwrap_or_default();
    let attribution = Attribution::from_key(&attribution)
        .ok_or_else(|| encoding::corrupt("attribution", format!("unknown `{attribution}`")))?;
    let principal = parts.pop().unwrap_or_default();
    Ok((parts.pop().unwrap_or_default(), principal, attribution))
}

fn decode_calls(item: &Item) -> Result<BTreeMap<CallKey, CallValue>, StoreError> {
    let what = "call count";
    let mut calls = BTreeMap::new();
    for (series, value) in attrs::get_m(item, CALLS, what)? {
        let m = attrs::as_m(value, series, what)?;
        let opt = |name| attrs::opt_n(m, name, what)?.map(|t| numbers::to_u64(what, t)).transpose();
        let v = CallValue {
            calls: numbers::to_u64(what, attrs::get_n(m, COUNT, what)?)?,
            input: opt(INPUT)?,
            output: opt(OUTPUT)?,
        };
        calls.insert(call_key(series)?, v);
    }
    Ok(calls)
}

fn decode_shares(item: &Item) -> Result<BTreeMap<ShareKey, Decimal>, StoreError> {
    let what = "cost share";
    let mut shares = BTreeMap::new();
    for (series, value) in attrs::get_m(item, SHARES, what)? {
        let usd = value.as_n().map_err(|_| encoding::corrupt(what, format!("`{series}` is not a number")))?;
        shares.insert(share_key(series)?, numbers::to_decimal(what, usd)?);
    }
    Ok(shares)
}

pub(super) fn call_records(id: &RowId, item: &Item) -> Result<Vec<CallCount>, StoreError> {
    let minute = encoding::minute_at(id.minute)?;
    Ok(decode_calls(item)?
        .into_iter()
        .map(|((principal, error_code), v)| CallCount {
            region: id.region.clone(),
            minute,
            model_id: id.model_id.clone(),
            principal,
            error_code,
            calls: v.calls,
            input_tokens: v.input,
            output_tokens: v.output,
        })
        .collect())
}

/// A share item's entries as unsummed totals.
pub(super) fn share_records(id: &RowId, item: &Item) -> Result<Vec<PrincipalTotal>, StoreError> {
    Ok(decode_shares(item)?
        .into_iter()
        .map(|((model, principal, attribution), usd)| PrincipalTotal {
            region: id.region.clone(),
            model_id: id.model_id.clone(),
            model,
            principal,
            attribution,
            usd,
        })
        .collect())
}
