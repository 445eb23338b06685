//! Minute batches: the cost lines of one (region, model ID, minute) packed
//! in one item (`l`: token type → line), the metric points of one (source,
//! region, model ID, minute) in another (`p`: metric → sum and count), their
//! encoding, and the change that diffs a batch against what is stored, so a
//! re-written minute that did not change costs no write.
//!
//! Must not price anything or move watermarks (the store does that once all
//! of a batch is in).

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::aggregate::Amount;
use super::attrs::{self, Item};
use super::engine::{Change, Tally, Unit};
use super::keys::{compose, Kind};
use super::rows::{self, Codec, Contribution, Encoded, RowId};
use super::{numbers, Ctx};
use crate::bedrock::BedrockMetric;
use crate::ledger::encoding::{self, corrupt};
use crate::ledger::{MinuteBatch, StoreError};
use crate::pricing::TokenType;
use crate::records::{CostLine, LinePricing, MetricPoint, Source};

const LINES: &str = "l";
const POINTS: &str = "p";
const TOKENS: &str = "n";
const MODEL: &str = "m";
const PRICE_ENTRY: &str = "e";
const USD: &str = "u";
const REASON: &str = "r";
const SUM: &str = "s";
const COUNT: &str = "c";

/// The part of a cost line that a revision can change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct LineValue {
    pub tokens: u64,
    pub pricing: LinePricing,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct PointValue {
    pub sum: f64,
    pub count: Option<f64>,
}

pub(super) type Lines = BTreeMap<TokenType, LineValue>;
type Points = BTreeMap<BedrockMetric, PointValue>;

pub(super) const LINE_CODEC: Codec<TokenType, LineValue> =
    Codec { attribute: LINES, encode: encode_line, decode: decode_lines, contribution: line_contribution };
const POINT_CODEC: Codec<BedrockMetric, PointValue> = Codec {
    attribute: POINTS,
    encode: encode_point,
    decode: decode_points,
    contribution: point_contribution,
};

/// A checked batch: each row item's records in batch order (a key twice ends as the later one).
pub(super) struct MinuteChange {
    /// The batch's shard key: its writes check that shard's fence.
    shard: String,
    lines: BTreeMap<RowId, Vec<(TokenType, LineValue)>>,
    points: BTreeMap<RowId, Vec<(BedrockMetric, PointValue)>>,
}

impl MinuteChange {
    /// Checks every record before anything is read or written.
    pub fn new(ctx: &Ctx, batch: &MinuteBatch) -> Result<MinuteChange, StoreError> {
        let mut lines: BTreeMap<RowId, Vec<_>> = BTreeMap::new();
        for l in &batch.lines {
            let minute = ctx.options.writable(encoding::minute_secs(l.minute)?)?;
            if let LinePricing::Priced { usd, .. } = &l.pricing {
                numbers::from_decimal("line usd", *usd)?;
            }
            let id = row(Kind::Lines, &l.region, &l.model_id, minute, None);
            lines
                .entry(id)
                .or_default()
                .push((l.token_type, LineValue { tokens: l.tokens, pricing: l.pricing.clone() }));
        }
        let mut points: BTreeMap<RowId, Vec<_>> = BTreeMap::new();
        for p in &batch.points {
            let minute = ctx.options.writable(encoding::minute_secs(p.minute)?)?;
            numbers::from_f64("metric sum", p.sum)?;
            p.count.map(|c| numbers::from_f64("metric count", c)).transpose()?;
            let id = row(Kind::Points, &p.region, &p.model_id, minute, Some(batch.source));
            points.entry(id).or_default().push((p.metric, PointValue { sum: p.sum, count: p.count }));
        }
        Ok(MinuteChange { shard: batch.region.clone(), lines, points })
    }
}

fn row(kind: Kind, region: &str, model_id: &str, minute: i64, source: Option<Source>) -> RowId {
    RowId { kind, region: region.into(), model_id: model_id.into(), minute, source }
}

#[async_trait]
impl Change for MinuteChange {
    fn shard(&self) -> Option<&str> {
        Some(&self.shard)
    }

    async fn units(&self, ctx: &Ctx) -> Result<(Vec<Unit>, Tally), StoreError> {
        let ids = self.lines.keys().chain(self.points.keys());
        let stored = rows::read(ctx, ids, "reading the minutes a batch rewrites").await?;
        let (mut units, mut unwritten) = (Vec::new(), Tally::default());
        for (id, wanted) in &self.lines {
            let (expect, old) = LINE_CODEC.stored(stored.get(id))?;
            let mut new = old.clone();
            let mut written = 0;
            for (tt, v) in wanted {
                if new.get(tt) != Some(v) {
                    new.insert(*tt, v.clone());
                    written += 1;
                }
            }
            let tally = Tally([0, 0, written]);
            match LINE_CODEC.unit(ctx, id, expect, &old, &new)? {
                Some(u) => units.push(Unit { tally, ..u }),
                None => unwritten.add(tally),
            }
        }
        for (id, wanted) in &self.points {
            let (expect, old) = POINT_CODEC.stored(stored.get(id))?;
            let mut new = old.clone();
            let mut tally = Tally::default();
            for (metric, v) in wanted {
                match new.insert(*metric, *v) {
                    None => tally.0[0] += 1,
                    Some(prev) if prev != *v => tally.0[1] += 1,
                    Some(_) => {}
                }
            }
            match POINT_CODEC.unit(ctx, id, expect, &old, &new)? {
                Some(u) => units.push(Unit { tally, ..u }),
                None => unwritten.add(tally),
            }
        }
        Ok((units, unwritten))
    }
}

fn line_contribution(tt: &TokenType, v: &LineValue) -> Contribution {
    let tokens = Amount::Exact(v.tokens.into());
    match &v.pricing {
        LinePricing::Priced { model, usd, .. } => {
            (compose(&[model, tt.as_str()]), vec![tokens, Amount::Exact(*usd)])
        }
        LinePricing::Unpriced { .. } => (compose(&["", tt.as_str()]), vec![tokens, Amount::Exact(0.into())]),
    }
}

fn point_contribution(metric: &BedrockMetric, v: &PointValue) -> Contribution {
    (metric.key().to_string(), vec![Amount::Real(v.sum), Amount::Real(v.count.unwrap_or(0.0))])
}

fn encode_line(tt: &TokenType, v: &LineValue) -> Result<Encoded, StoreError> {
    let mut m = HashMap::from([(TOKENS.to_string(), attrs::n(numbers::from_u64(v.tokens)))]);
    match &v.pricing {
        LinePricing::Priced { model, price_entry, usd } => {
            m.insert(MODEL.into(), attrs::s(model.clone()));
            m.insert(PRICE_ENTRY.into(), attrs::s(price_entry.clone()));
            m.insert(USD.into(), attrs::n(numbers::from_decimal("line usd", *usd)?));
        }
        LinePricing::Unpriced { reason } => {
            m.insert(REASON.into(), attrs::s(reason.clone()));
        }
    }
    Ok((tt.as_str().to_string(), AttributeValue::M(m)))
}

fn encode_point(metric: &BedrockMetric, v: &PointValue) -> Result<Encoded, StoreError> {
    let mut m = HashMap::from([(SUM.to_string(), attrs::n(numbers::from_f64("metric sum", v.sum)?))]);
    if let Some(c) = v.count {
        m.insert(COUNT.into(), attrs::n(numbers::from_f64("metric count", c)?));
    }
    Ok((metric.key().to_string(), AttributeValue::M(m)))
}

pub(super) fn decode_lines(item: &Item) -> Result<Lines, StoreError> {
    let what = "cost line";
    let mut lines = Lines::new();
    for (tt, value) in attrs::get_m(item, LINES, what)? {
        let m = attrs::as_m(value, tt, what)?;
        let tokens = numbers::to_u64(what, attrs::get_n(m, TOKENS, what)?)?;
        let pricing = match (attrs::opt_s(m, REASON, what)?, attrs::opt_s(m, MODEL, what)?) {
            (Some(reason), None) => LinePricing::Unpriced { reason: reason.into() },
            (None, Some(model)) => LinePricing::Priced {
                model: model.into(),
                price_entry: attrs::get_s(m, PRICE_ENTRY, what)?.into(),
                usd: numbers::to_decimal(what, attrs::get_n(m, USD, what)?)?,
            },
            _ => return Err(corrupt(what, format!("`{tt}` is neither priced nor unpriced"))),
        };
        lines.insert(encoding::token_type(tt)?, LineValue { tokens, pricing });
    }
    Ok(lines)
}

fn decode_points(item: &Item) -> Result<Points, StoreError> {
    let what = "metric point";
    let mut points = Points::new();
    for (metric, value) in attrs::get_m(item, POINTS, what)? {
        let m = attrs::as_m(value, metric, what)?;
        let sum = numbers::to_f64(what, attrs::get_n(m, SUM, what)?)?;
        let count = attrs::opt_n(m, COUNT, what)?.map(|c| numbers::to_f64(what, c)).transpose()?;
        points.insert(encoding::metric(metric)?, PointValue { sum, count });
    }
    Ok(points)
}

/// A line item's records.
pub(super) fn line_records(id: &RowId, item: &Item) -> Result<Vec<CostLine>, StoreError> {
    let minute = encoding::minute_at(id.minute)?;
    Ok(decode_lines(item)?
        .into_iter()
        .map(|(token_type, v)| CostLine {
            region: id.region.clone(),
            model_id: id.model_id.clone(),
            minute,
            token_type,
            tokens: v.tokens,
            pricing: v.pricing,
        })
        .collect())
}

/// A point item's records, with the source they were written under.
pub(super) fn point_records(id: &RowId, item: &Item) -> Result<Vec<(Source, MetricPoint)>, StoreError> {
    let minute = encoding::minute_at(id.minute)?;
    let source = id.source.ok_or_else(|| corrupt("metric point", "a point item without its source"))?;
    Ok(decode_points(item)?
        .into_iter()
        .map(|(metric, v)| {
            let point = MetricPoint {
                region: id.region.clone(),
                model_id: id.model_id.clone(),
                metric,
                minute,
                sum: v.sum,
                count: v.count,
            };
            (source, point)
        })
        .collect())
}
