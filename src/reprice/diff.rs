//! What re-pricing a day changes, computed from its stored lines and their
//! new pricing: the lines to rewrite, and per model ID the tokens, the USD
//! before and after, and the tokens that go from unpriced to priced (or
//! back). Pure: no I/O, no clock; exact `Decimal` sums.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::ledger::LineChange;
use crate::records::{CostLine, LinePricing};

/// One day × model ID of a re-price.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub day: NaiveDate,
    pub model_id: String,
    /// The price-table model after re-pricing (else before); `None`: unpriced both times.
    pub model: Option<String>,
    /// Lines of the day and model ID, and how many of them change.
    pub lines: usize,
    pub changed: usize,
    pub tokens: u64,
    /// Priced USD before and after (unpriced lines count nothing).
    pub old_usd: Decimal,
    pub new_usd: Decimal,
    /// Tokens that were unpriced and are priced now, and the reverse.
    pub became_priced: u64,
    pub became_unpriced: u64,
    /// Tokens still unpriced after re-pricing.
    pub unpriced: u64,
}

impl Row {
    pub fn difference(&self) -> Decimal {
        self.new_usd - self.old_usd
    }

    /// Tokens that were unpriced before re-pricing.
    pub fn unpriced_before(&self) -> u64 {
        (self.unpriced + self.became_priced).saturating_sub(self.became_unpriced)
    }

    /// Adds `other` (same day and model ID, or a total).
    pub fn add(&mut self, other: &Row) {
        self.lines += other.lines;
        self.changed += other.changed;
        self.tokens += other.tokens;
        self.old_usd += other.old_usd;
        self.new_usd += other.new_usd;
        self.became_priced += other.became_priced;
        self.became_unpriced += other.became_unpriced;
        self.unpriced += other.unpriced;
    }
}

/// A day's re-price: every line's contribution summed per model ID, and the
/// lines whose pricing changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayDiff {
    pub day: NaiveDate,
    /// Per model ID, every line of the day (changed or not), by model ID.
    pub rows: Vec<Row>,
    pub changes: Vec<LineChange>,
}

impl DayDiff {
    /// The day's sums over every model ID.
    pub fn total(&self) -> Row {
        let mut total = Row { day: self.day, ..Row::default() };
        self.rows.iter().for_each(|r| total.add(r));
        total
    }

    /// Only the rows of model IDs with a changed line.
    pub fn changed_rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.changed > 0)
    }
}

fn usd(p: &LinePricing) -> Decimal {
    match p {
        LinePricing::Priced { usd, .. } => *usd,
        LinePricing::Unpriced { .. } => Decimal::ZERO,
    }
}

fn model(p: &LinePricing) -> Option<&str> {
    match p {
        LinePricing::Priced { model, .. } => Some(model),
        LinePricing::Unpriced { .. } => None,
    }
}

/// `lines` of `day` with `repriced[i]` the new pricing of `lines[i]`. A line
/// changes when its pricing differs in anything (entry, USD, reason): the
/// entry it names is part of the audit, even at an unchanged rate.
pub fn diff_day(day: NaiveDate, lines: &[CostLine], repriced: &[LinePricing]) -> DayDiff {
    let mut rows: BTreeMap<&str, Row> = BTreeMap::new();
    let mut changes = Vec::new();
    for (line, new) in lines.iter().zip(repriced) {
        let row = rows.entry(&line.model_id).or_insert_with(|| Row {
            day,
            model_id: line.model_id.clone(),
            ..Row::default()
        });
        let (old, changed) = (&line.pricing, &line.pricing != new);
        let after = model(new).or(model(old)).map(str::to_string);
        if row.model.is_none() {
            row.model = after;
        }
        row.lines += 1;
        row.tokens += line.tokens;
        row.old_usd += usd(old);
        row.new_usd += usd(new);
        match (model(old).is_some(), model(new).is_some()) {
            (false, true) => row.became_priced += line.tokens,
            (true, false) => row.became_unpriced += line.tokens,
            _ => {}
        }
        if model(new).is_none() {
            row.unpriced += line.tokens;
        }
        if changed {
            row.changed += 1;
            changes.push(LineChange { line: line.clone(), pricing: new.clone() });
        }
    }
    DayDiff { day, rows: rows.into_values().collect(), changes }
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
