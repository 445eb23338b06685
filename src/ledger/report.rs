//! Spend report rows: the grouping vocabulary of the `report` command and
//! cost lines aggregated by any subset of {month, day, model, account, region, token
//! type} (the demo's summary, and the reference that `report_days.rs`, what
//! `report` reads, must equal). Pure: no I/O, no async, no clock; lines come
//! from `Store::cost_lines` and the timezone from the configuration. Must not
//! round (display rounding is `money::display_usd`).
//!
//! A day is the calendar day of the line's minute in the given timezone, so
//! a 23:59 UTC minute can belong to the next day (Asia/Tokyo) and a DST day
//! has 23 or 25 hours. Unpriced lines are never $0: their tokens are counted
//! in `unpriced_tokens` and their model shows as `unpriced:<model ID>`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::bedrock::project_of;
use crate::pricing::TokenType;
use crate::records::{CostLine, LinePricing};

/// One dimension a report can be grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    Month,
    Day,
    Model,
    /// The AWS account: a member's 12-digit ID, `primary` for the primary account.
    Account,
    /// The AWS region (summed across accounts unless `account` is grouped too).
    Region,
    /// The IAM principal (CloudTrail attribution): its share of the cost.
    Principal,
    TokenType,
    /// The project: a bedrock-mantle project, or `default` for bedrock-runtime usage.
    Project,
}

impl Dimension {
    pub const ALL: [Dimension; 8] = [
        Dimension::Month,
        Dimension::Day,
        Dimension::Model,
        Dimension::Account,
        Dimension::Region,
        Dimension::Principal,
        Dimension::TokenType,
        Dimension::Project,
    ];

    /// The name used on the command line (`--group-by day,model`).
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Month => "month",
            Dimension::Day => "day",
            Dimension::Model => "model",
            Dimension::Account => "account",
            Dimension::Region => "region",
            Dimension::Principal => "principal",
            Dimension::TokenType => "token_type",
            Dimension::Project => "project",
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error(
        "unknown group-by dimension `{0}` (expected any of month, day, model, account, region, principal, token_type, project)"
    )]
    UnknownDimension(String),
    #[error("principal and token_type cannot be grouped together: a principal's share is of a model's cost, not of a token type")]
    PrincipalByTokenType,
    #[error("spend of {0} overflows exact decimal arithmetic")]
    Overflow(String),
}

impl FromStr for Dimension {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dimension::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| ReportError::UnknownDimension(s.to_string()))
    }
}

/// A set of dimensions. Empty: one row with everything (same as the total).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupBy {
    month: bool,
    day: bool,
    model: bool,
    account: bool,
    region: bool,
    principal: bool,
    token_type: bool,
    project: bool,
}

impl GroupBy {
    pub const NONE: GroupBy = GroupBy {
        month: false,
        day: false,
        model: false,
        account: false,
        region: false,
        principal: false,
        token_type: false,
        project: false,
    };

    pub fn new(dimensions: impl IntoIterator<Item = Dimension>) -> GroupBy {
        dimensions.into_iter().fold(GroupBy::NONE, GroupBy::with)
    }

    pub fn with(mut self, d: Dimension) -> GroupBy {
        *self.slot(d) = true;
        self
    }

    pub fn contains(self, d: Dimension) -> bool {
        match d {
            Dimension::Month => self.month,
            Dimension::Day => self.day,
            Dimension::Model => self.model,
            Dimension::Account => self.account,
            Dimension::Region => self.region,
            Dimension::Principal => self.principal,
            Dimension::TokenType => self.token_type,
            Dimension::Project => self.project,
        }
    }

    fn slot(&mut self, d: Dimension) -> &mut bool {
        match d {
            Dimension::Month => &mut self.month,
            Dimension::Day => &mut self.day,
            Dimension::Model => &mut self.model,
            Dimension::Account => &mut self.account,
            Dimension::Region => &mut self.region,
            Dimension::Principal => &mut self.principal,
            Dimension::TokenType => &mut self.token_type,
            Dimension::Project => &mut self.project,
        }
    }
}

/// Comma-separated dimensions, e.g. `day,model`; empty text is no grouping.
impl FromStr for GroupBy {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts = s.split(',').map(str::trim).filter(|p| !p.is_empty());
        let g = parts.map(Dimension::from_str).collect::<Result<Vec<_>, _>>().map(GroupBy::new)?;
        if g.principal && g.token_type {
            return Err(ReportError::PrincipalByTokenType);
        }
        Ok(g)
    }
}

/// The values of the grouped dimensions (`None` for the others). Field order
/// is the sort order of the rows.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpendKey {
    /// `2026-11`: the calendar month in the report's timezone.
    pub month: Option<String>,
    pub day: Option<NaiveDate>,
    /// The price-table model key, or `unpriced:<model ID>`.
    pub model: Option<String>,
    /// A member's account ID, or `primary`.
    pub account: Option<String>,
    /// The plain region (a ledger key's region).
    pub region: Option<String>,
    /// The bedrock-mantle project, or `default` (bedrock-runtime usage).
    pub project: Option<String>,
    pub principal: Option<String>,
    pub token_type: Option<TokenType>,
}

/// Tokens and exact dollars of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spend {
    /// Every token of the group, priced or not.
    pub tokens: u64,
    /// Exact; unpriced tokens add nothing here.
    pub usd: Decimal,
    /// The part of `tokens` that has no price.
    pub unpriced_tokens: u64,
}

impl Spend {
    fn add(&mut self, line: &CostLine) -> Result<(), ReportError> {
        let overflow = || ReportError::Overflow(format!("{} {} {}", line.region, line.model_id, line.minute));
        self.tokens = self.tokens.checked_add(line.tokens).ok_or_else(overflow)?;
        match &line.pricing {
            LinePricing::Priced { usd, .. } => self.usd = self.usd.checked_add(*usd).ok_or_else(overflow)?,
            LinePricing::Unpriced { .. } => {
                self.unpriced_tokens = self.unpriced_tokens.checked_add(line.tokens).ok_or_else(overflow)?;
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpendRow {
    pub key: SpendKey,
    pub spend: Spend,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpendReport {
    /// Sorted by key.
    pub rows: Vec<SpendRow>,
    pub total: Spend,
    /// False for reports by principal: shares carry dollars, not tokens.
    pub by_principal: bool,
}

/// The key of one line under a grouping, days taken in `tz`.
fn key_of(line: &CostLine, group_by: GroupBy, tz: Tz) -> SpendKey {
    let model = || match &line.pricing {
        LinePricing::Priced { model, .. } => model.clone(),
        LinePricing::Unpriced { .. } => format!("unpriced:{}", line.model_id),
    };
    SpendKey {
        month: group_by.month.then(|| line.minute.with_timezone(&tz).format("%Y-%m").to_string()),
        day: group_by.day.then(|| line.minute.with_timezone(&tz).date_naive()),
        model: group_by.model.then(model),
        account: group_by.account.then(|| account_label(&line.region)),
        region: group_by.region.then(|| crate::shard::region_of(&line.region).to_string()),
        project: group_by.project.then(|| project_of(&line.model_id).to_string()),
        principal: None,
        token_type: group_by.token_type.then_some(line.token_type),
    }
}

/// The `account` of a ledger key in a report: a member's ID, or `primary`.
pub(crate) fn account_label(key: &str) -> String {
    crate::shard::account_label(key, crate::shard::PRIMARY_LABEL).to_string()
}

/// Aggregates lines into rows sorted by key, plus the grand total.
pub fn aggregate(lines: &[CostLine], group_by: GroupBy, tz: Tz) -> Result<SpendReport, ReportError> {
    let mut groups: BTreeMap<SpendKey, Spend> = BTreeMap::new();
    let mut total = Spend::default();
    for line in lines {
        groups.entry(key_of(line, group_by, tz)).or_default().add(line)?;
        total.add(line)?;
    }
    let rows = groups.into_iter().map(|(key, spend)| SpendRow { key, spend }).collect();
    Ok(SpendReport { rows, total, by_principal: false })
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
