//! Re-pricing in DynamoDB: a day's line changes go through the write
//! engine like any minute batch (each row item with the deltas of its
//! all-time total, hourly and daily rollups, in transactions conditioned on
//! every item's version), so totals and rollups always equal the lines.
//!
//! A line is rewritten only while its row holds it as it was read; one
//! holding the new pricing already counts as done (an interrupted run), any
//! other value as stale, left alone for the caller to read again. A day of
//! one model ID is up to 1,440 row items and a transaction holds at most
//! 100, so a day is not atomic here: its audit item (`REPRICE`,
//! `<run start, ns, 20 digits>#<day>`) is written only once every line of the
//! day is in. Must not price anything.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::attrs::{self, Item};
use super::db::Range;
use super::engine::{self, Change, Tally, Unit};
use super::keys::{Key, Kind, REPRICE_PK};
use super::minutes::{LineValue, LINE_CODEC};
use super::rows::{self, RowId};
use super::{numbers, Ctx, DynamoStore};
use crate::ledger::encoding::{instant_nanos, minute_secs};
use crate::ledger::reprice::{decode_record, encode_record};
use crate::ledger::{RepriceDay, RepriceRecord, RepriceStats, RepriceStore, StoreError};
use crate::pricing::TokenType;
use crate::records::LinePricing;

const BODY: &str = "body";

/// Per row item: each token type's line as read and as it should become.
struct RepriceChange {
    rows: BTreeMap<RowId, Vec<(TokenType, LineValue, LineValue)>>,
}

impl RepriceChange {
    /// Checks every change before anything is read or written.
    fn new(ctx: &Ctx, day: &RepriceDay) -> Result<RepriceChange, StoreError> {
        let mut rows: BTreeMap<RowId, Vec<_>> = BTreeMap::new();
        for c in &day.changes {
            let minute = ctx.options.writable(minute_secs(c.line.minute)?)?;
            if let LinePricing::Priced { usd, .. } = &c.pricing {
                numbers::from_decimal("line usd", *usd)?;
            }
            let id = RowId {
                kind: Kind::Lines,
                region: c.line.region.clone(),
                model_id: c.line.model_id.clone(),
                minute,
                source: None,
            };
            let was = LineValue { tokens: c.line.tokens, pricing: c.line.pricing.clone() };
            let now = LineValue { tokens: c.line.tokens, pricing: c.pricing.clone() };
            rows.entry(id).or_default().push((c.line.token_type, was, now));
        }
        Ok(RepriceChange { rows })
    }
}

/// Tally slots: rewritten, already, stale.
#[async_trait]
impl Change for RepriceChange {
    async fn units(&self, ctx: &Ctx) -> Result<(Vec<Unit>, Tally), StoreError> {
        let stored = rows::read(ctx, self.rows.keys(), "reading the lines a re-price rewrites").await?;
        let (mut units, mut unwritten) = (Vec::new(), Tally::default());
        for (id, wanted) in &self.rows {
            let (expect, old) = LINE_CODEC.stored(stored.get(id))?;
            let mut new = old.clone();
            let mut tally = Tally::default();
            for (tt, was, now) in wanted {
                match old.get(tt) {
                    Some(v) if v == now => tally.0[1] += 1,
                    Some(v) if v == was => {
                        new.insert(*tt, now.clone());
                        tally.0[0] += 1;
                    }
                    _ => tally.0[2] += 1,
                }
            }
            match LINE_CODEC.unit(ctx, id, expect, &old, &new)? {
                Some(u) => units.push(Unit { tally, ..u }),
                None => unwritten.add(tally),
            }
        }
        Ok((units, unwritten))
    }
}

fn record_key(r: &RepriceRecord) -> Result<Key, StoreError> {
    let at = u64::try_from(instant_nanos(r.at)?)
        .map_err(|_| StoreError::Backend(format!("a re-price at {} is before 1970", r.at)))?;
    Ok(Key::new(REPRICE_PK, format!("{at:020}#{}", r.day)))
}

#[async_trait]
impl RepriceStore for DynamoStore {
    async fn reprice_day(&self, day: &RepriceDay) -> Result<RepriceStats, StoreError> {
        let change = RepriceChange::new(&self.ctx, day)?;
        let key = record_key(&day.record)?;
        let t = engine::run(&self.ctx, &change, "re-pricing a day").await?;
        let stats = RepriceStats { rewritten: t.0[0], already: t.0[1], stale: t.0[2] };
        if stats.stale == 0 {
            let mut item: Item = attrs::key_item(&key);
            item.insert(BODY.into(), attrs::s(encode_record(&day.record)?));
            attrs::check_size(&item)?;
            self.ctx.db.put(item, None, "recording a re-price").await?;
        }
        Ok(stats)
    }

    async fn reprice_records(&self) -> Result<Vec<RepriceRecord>, StoreError> {
        let items = self.ctx.db.query(REPRICE_PK, &Range::All, "reading reprices").await?;
        items.iter().map(|i| decode_record(attrs::get_s(i, BODY, "reprice record")?)).collect()
    }

    async fn rewritable_from(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.ctx.options.writable_from())
    }
}
