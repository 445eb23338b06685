//! One UTC day of the ledger against the same day of the bill, per region ×
//! model × token bucket: both costs, the drift (ledger − bill) and its
//! share of the bill, plus what cannot be compared — billed lines whose
//! usage type or model is not understood (unmapped) and ledger tokens that
//! have no price — listed, never dropped. Pure.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::models::BillModels;
use super::rates::{rate_checks, RateCheck, RateInputs};
use crate::records::{BillDay, BillLine, CostTotal};
use crate::sources::cost_explorer::usage_type::{self, UsageType};

/// Region, model key and token bucket (`input`, `output`, `cache_read`, `cache_write`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub region: String,
    pub model: String,
    pub token_type: &'static str,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub ledger_usd: Decimal,
    pub ledger_tokens: u64,
    pub billed_usd: Decimal,
    pub billed_quantity: Decimal,
    /// The billed usage types summed into this row.
    pub usage_types: Vec<String>,
}

impl Row {
    /// Ledger − bill: positive when the ledger counts more than was billed.
    pub fn drift(&self) -> Decimal {
        self.ledger_usd - self.billed_usd
    }

    /// The drift as a share of the bill; `None` when nothing was billed.
    pub fn ratio(&self) -> Option<Decimal> {
        (!self.billed_usd.is_zero()).then(|| (self.drift() / self.billed_usd).round_dp(6))
    }

    /// `both`, `billed_only` (the ledger has none of it) or `ledger_only` (no bill line).
    pub fn presence(&self) -> &'static str {
        match (self.usage_types.is_empty(), self.ledger_tokens == 0 && self.ledger_usd.is_zero()) {
            (false, false) => "both",
            (false, true) => "billed_only",
            (true, _) => "ledger_only",
        }
    }
}

/// A billed line the reconciliation cannot place, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unmapped {
    pub line: BillLine,
    pub reason: &'static str,
}

/// Ledger tokens with no price (their model is not in the table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unpriced {
    pub region: String,
    pub model_id: String,
    pub token_type: &'static str,
    pub tokens: u64,
}

/// What counts as agreeing: within `usd` OR within `ratio` of the bill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tolerance {
    pub usd: Decimal,
    pub ratio: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayDrift {
    pub day: NaiveDate,
    pub rows: BTreeMap<Key, Row>,
    pub unmapped: Vec<Unmapped>,
    pub unpriced: Vec<Unpriced>,
    pub rates: Vec<RateCheck>,
}

impl DayDrift {
    pub fn ledger_usd(&self) -> Decimal {
        self.rows.values().map(|r| r.ledger_usd).sum()
    }

    /// Everything billed, unmapped lines included.
    pub fn billed_usd(&self) -> Decimal {
        self.rows.values().map(|r| r.billed_usd).sum::<Decimal>() + self.unmapped_usd()
    }

    pub fn unmapped_usd(&self) -> Decimal {
        self.unmapped.iter().map(|u| u.line.usd).sum()
    }

    /// Ledger − bill over the day.
    pub fn net(&self) -> Decimal {
        self.ledger_usd() - self.billed_usd()
    }

    /// Every row's drift counted as a loss, plus every unmapped dollar: errors
    /// of opposite sign (one model over, another under) do not cancel here.
    pub fn gross(&self) -> Decimal {
        self.rows.values().map(|r| r.drift().abs()).sum::<Decimal>() + self.unmapped_usd().abs()
    }

    /// Beyond both the dollar and the relative tolerance (gross drift).
    pub fn exceeds(&self, t: Tolerance) -> bool {
        let gross = self.gross();
        let billed = self.billed_usd().abs();
        gross > t.usd && (billed.is_zero() || gross > t.ratio * billed)
    }

    /// Rows by absolute drift, largest first (ties by key), for alerts and reports.
    pub fn biggest(&self, n: usize) -> Vec<(&Key, &Row)> {
        let mut rows: Vec<_> = self.rows.iter().filter(|(_, r)| !r.drift().is_zero()).collect();
        rows.sort_by(|a, b| b.1.drift().abs().cmp(&a.1.drift().abs()).then(a.0.cmp(b.0)));
        rows.truncate(n);
        rows
    }

    pub fn stale_rates(&self) -> impl Iterator<Item = &RateCheck> {
        self.rates.iter().filter(|r| r.stale)
    }
}

/// Compares `ledger` (the day's cost sums) with `bill`.
pub fn compare(
    ledger: &[CostTotal],
    bill: &BillDay,
    models: &BillModels<'_>,
    rates: &RateInputs<'_>,
) -> DayDrift {
    let mut rows: BTreeMap<Key, Row> = BTreeMap::new();
    let mut unpriced: BTreeMap<(String, String, &'static str), u64> = BTreeMap::new();
    for t in ledger {
        let token_type = t.token_type.metric_label();
        let Some(model) = &t.model else {
            *unpriced.entry((t.region.clone(), t.model_id.clone(), token_type)).or_default() += t.tokens;
            continue;
        };
        let row = rows.entry(Key { region: t.region.clone(), model: model.clone(), token_type }).or_default();
        row.ledger_usd += t.usd;
        row.ledger_tokens = row.ledger_tokens.saturating_add(t.tokens);
    }
    let mut unmapped = Vec::new();
    let mut mapped: Vec<(Key, &BillLine, UsageType)> = Vec::new();
    for line in &bill.lines {
        let parsed = usage_type::parse(&line.service, &line.usage_type);
        match place(&parsed, models) {
            Ok(key) => mapped.push((key, line, parsed)),
            Err(reason) if line.usd.is_zero() && line.quantity.is_zero() => {
                let _ = reason; // an empty line of something else: nothing to account for
            }
            Err(reason) => unmapped.push(Unmapped { line: line.clone(), reason }),
        }
    }
    for (key, line, _) in &mapped {
        let row = rows.entry(key.clone()).or_default();
        row.billed_usd += line.usd;
        row.billed_quantity += line.quantity;
        row.usage_types.push(line.usage_type.clone());
    }
    let unpriced = unpriced
        .into_iter()
        .map(|((region, model_id, token_type), tokens)| Unpriced { region, model_id, token_type, tokens })
        .collect();
    let rates = rate_checks(bill.day, &mapped, rates);
    DayDrift { day: bill.day, rows, unmapped, unpriced, rates }
}

fn place(parsed: &UsageType, models: &BillModels<'_>) -> Result<Key, &'static str> {
    let region = parsed.region.clone().ok_or("unknown region code")?;
    let tokens = parsed.tokens.ok_or("not a token usage type")?;
    let text = parsed.model.as_deref().ok_or("no model named")?;
    let model = models.key_of(text).ok_or("model not in the price table")?;
    Ok(Key { region, model, token_type: tokens.label() })
}

#[cfg(test)]
#[path = "drift_tests.rs"]
mod tests;
