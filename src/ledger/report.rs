//! Spend report rows: the grouping vocabulary of the `report` command and
//! cost lines aggregated by any subset of {month, day, model, region, token
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

use super::{CostLine, LinePricing};
use crate::pricing::TokenType;

/// One dimension a report can be grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    Month,
    Day,
    Model,
    Region,
    /// The IAM principal (CloudTrail attribution): its share of the cost.
    Principal,
    TokenType,
}

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        Dimension::Month,
        Dimension::Day,
        Dimension::Model,
        Dimension::Region,
        Dimension::Principal,
        Dimension::TokenType,
    ];

    /// The name used on the command line (`--group-by day,model`).
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Month => "month",
            Dimension::Day => "day",
            Dimension::Model => "model",
            Dimension::Region => "region",
            Dimension::Principal => "principal",
            Dimension::TokenType => "token_type",
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
        "unknown group-by dimension `{0}` (expected any of month, day, model, region, principal, token_type)"
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
    region: bool,
    principal: bool,
    token_type: bool,
}

impl GroupBy {
    pub const NONE: GroupBy = GroupBy {
        month: false,
        day: false,
        model: false,
        region: false,
        principal: false,
        token_type: false,
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
            Dimension::Region => self.region,
            Dimension::Principal => self.principal,
            Dimension::TokenType => self.token_type,
        }
    }

    fn slot(&mut self, d: Dimension) -> &mut bool {
        match d {
            Dimension::Month => &mut self.month,
            Dimension::Day => &mut self.day,
            Dimension::Model => &mut self.model,
            Dimension::Region => &mut self.region,
            Dimension::Principal => &mut self.principal,
            Dimension::TokenType => &mut self.token_type,
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
    pub region: Option<String>,
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
        region: group_by.region.then(|| line.region.clone()),
        principal: None,
        token_type: group_by.token_type.then_some(line.token_type),
    }
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
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    /// (UTC minute, region, model ID, token type, tokens, usd or unpriced)
    type L = (&'static str, &'static str, &'static str, TokenType, u64, Option<&'static str>);
    /// (day, model, region, token type, tokens, usd, unpriced tokens)
    type R = (
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        Option<TokenType>,
        u64,
        &'static str,
        u64,
    );

    fn line(&(at, region, model_id, token_type, tokens, usd): &L) -> CostLine {
        let pricing = match usd {
            Some(usd) => LinePricing::Priced {
                model: format!("model-of-{model_id}"),
                price_entry: format!("model-of-{model_id}:all:2025-01-01"),
                usd: Decimal::from_str(usd).unwrap(),
            },
            None => LinePricing::Unpriced { reason: "no catalog entry".into() },
        };
        let minute = DateTime::parse_from_rfc3339(at).unwrap().with_timezone(&Utc);
        CostLine { region: region.into(), model_id: model_id.into(), minute, token_type, tokens, pricing }
    }

    fn row(&(day, model, region, token_type, tokens, usd, unpriced_tokens): &R) -> SpendRow {
        let key = SpendKey {
            month: None,
            day: day.map(|d| NaiveDate::from_str(d).unwrap()),
            model: model.map(String::from),
            region: region.map(String::from),
            principal: None,
            token_type,
        };
        SpendRow { key, spend: Spend { tokens, usd: Decimal::from_str(usd).unwrap(), unpriced_tokens } }
    }

    struct Case {
        name: &'static str,
        group_by: &'static str,
        tz: Tz,
        lines: Vec<L>,
        rows: Vec<R>,
    }

    use TokenType::{Input, Output};

    /// No grouping, and calendar days in a timezone.
    fn day_cases() -> Vec<Case> {
        vec![
            Case {
                name: "no grouping: one row equal to the total; unpriced adds tokens, never usd",
                group_by: "",
                tz: Tz::UTC,
                lines: vec![
                    ("2026-03-01T10:00:00Z", "us-east-1", "a", Input, 100, Some("0.0003")),
                    ("2026-03-01T10:01:00Z", "eu-west-1", "a", Output, 50, Some("0.00075")),
                    ("2026-03-01T10:02:00Z", "us-east-1", "x", Input, 20, None),
                ],
                rows: vec![(None, None, None, None, 170, "0.00105", 20)],
            },
            Case {
                name: "Asia/Tokyo: 23:59 UTC belongs to the next day, 14:59 UTC to the same day",
                group_by: "day",
                tz: chrono_tz::Asia::Tokyo,
                lines: vec![
                    ("2026-03-01T23:59:00Z", "us-east-1", "a", Input, 1, Some("1")),
                    ("2026-03-01T14:59:00Z", "us-east-1", "a", Input, 2, Some("2")),
                    ("2026-03-01T15:00:00Z", "us-east-1", "a", Input, 4, Some("4")),
                ],
                rows: vec![
                    (Some("2026-03-01"), None, None, None, 2, "2", 0),
                    (Some("2026-03-02"), None, None, None, 5, "5", 0),
                ],
            },
            Case {
                name: "UTC: 23:59 stays on its day",
                group_by: "day",
                tz: Tz::UTC,
                lines: vec![("2026-03-01T23:59:00Z", "us-east-1", "a", Input, 1, Some("1"))],
                rows: vec![(Some("2026-03-01"), None, None, None, 1, "1", 0)],
            },
            Case {
                name: "Europe/Berlin: the spring-forward day runs 23:00Z to 22:00Z (23 hours)",
                group_by: "day",
                tz: chrono_tz::Europe::Berlin,
                lines: vec![
                    ("2026-03-28T22:59:00Z", "us-east-1", "a", Input, 1, Some("0.1")),
                    ("2026-03-28T23:00:00Z", "us-east-1", "a", Input, 2, Some("0.2")),
                    ("2026-03-29T21:59:00Z", "us-east-1", "a", Input, 4, Some("0.4")),
                    ("2026-03-29T22:00:00Z", "us-east-1", "a", Input, 8, Some("0.8")),
                ],
                rows: vec![
                    (Some("2026-03-28"), None, None, None, 1, "0.1", 0),
                    (Some("2026-03-29"), None, None, None, 6, "0.6", 0),
                    (Some("2026-03-30"), None, None, None, 8, "0.8", 0),
                ],
            },
        ]
    }

    /// Model, region and token type, alone and combined.
    fn grouping_cases() -> Vec<Case> {
        vec![
            Case {
                name: "by model: unpriced shows its model ID, priced and unpriced never merge",
                group_by: "model",
                tz: Tz::UTC,
                lines: vec![
                    ("2026-03-01T10:00:00Z", "us-east-1", "a", Input, 10, Some("0.25")),
                    ("2026-03-01T10:00:00Z", "us-east-1", "x", Input, 7, None),
                    ("2026-03-01T10:01:00Z", "eu-west-1", "a", Output, 5, Some("0.5")),
                ],
                rows: vec![
                    (None, Some("model-of-a"), None, None, 15, "0.75", 0),
                    (None, Some("unpriced:x"), None, None, 7, "0", 7),
                ],
            },
            Case {
                name: "all four dimensions, rows sorted by day, model, region, token type",
                group_by: "token_type, region,model,day",
                tz: Tz::UTC,
                lines: vec![
                    ("2026-03-02T00:00:00Z", "us-east-1", "a", Input, 1, Some("1")),
                    ("2026-03-01T10:00:00Z", "us-east-1", "a", Output, 2, Some("2")),
                    ("2026-03-01T10:00:00Z", "us-east-1", "a", Input, 4, Some("4")),
                    ("2026-03-01T11:00:00Z", "eu-west-1", "a", Input, 8, Some("8")),
                    ("2026-03-01T12:00:00Z", "us-east-1", "a", Input, 16, Some("16")),
                ],
                rows: vec![
                    (Some("2026-03-01"), Some("model-of-a"), Some("eu-west-1"), Some(Input), 8, "8", 0),
                    (Some("2026-03-01"), Some("model-of-a"), Some("us-east-1"), Some(Input), 20, "20", 0),
                    (Some("2026-03-01"), Some("model-of-a"), Some("us-east-1"), Some(Output), 2, "2", 0),
                    (Some("2026-03-02"), Some("model-of-a"), Some("us-east-1"), Some(Input), 1, "1", 0),
                ],
            },
            Case {
                name: "no lines: no rows",
                group_by: "day,model",
                tz: Tz::UTC,
                lines: vec![],
                rows: vec![],
            },
        ]
    }

    #[test]
    fn table() {
        for case in day_cases().into_iter().chain(grouping_cases()) {
            let lines: Vec<CostLine> = case.lines.iter().map(line).collect();
            let report = aggregate(&lines, case.group_by.parse().unwrap(), case.tz).unwrap();
            let want: Vec<SpendRow> = case.rows.iter().map(row).collect();
            assert_eq!(report.rows, want, "{}", case.name);
            let mut total = Spend::default();
            lines.iter().for_each(|l| total.add(l).unwrap());
            assert_eq!(report.total, total, "{}", case.name);
            let row_usd: Decimal = report.rows.iter().map(|r| r.spend.usd).sum();
            assert_eq!(row_usd, report.total.usd, "{}: rows add up to the total exactly", case.name);
        }
    }

    #[test]
    fn months_are_calendar_months_in_the_timezone() {
        let lines: Vec<CostLine> = [
            ("2026-11-30T14:59:00Z", "r", "m", Input, 1, Some("0.1")),
            ("2026-11-30T15:00:00Z", "r", "m", Input, 2, Some("0.2")), // 00:00 on 1 December in Tokyo
            ("2026-12-31T23:59:00Z", "r", "m", Input, 4, Some("0.4")),
        ]
        .iter()
        .map(line)
        .collect();
        let report = aggregate(&lines, GroupBy::new([Dimension::Month]), chrono_tz::Asia::Tokyo).unwrap();
        let months: Vec<_> =
            report.rows.iter().map(|r| (r.key.month.clone().unwrap(), r.spend.tokens)).collect();
        assert_eq!(
            months,
            vec![("2026-11".to_string(), 1), ("2026-12".to_string(), 2), ("2027-01".to_string(), 4)]
        );
        assert_eq!(report.total.usd, Decimal::from_str("0.7").unwrap());
    }

    #[test]
    fn group_by_parses_and_refuses_unknown_names() {
        let g: GroupBy = "day, token_type".parse().unwrap();
        assert!(g.contains(Dimension::Day) && g.contains(Dimension::TokenType));
        assert!(!g.contains(Dimension::Model) && !g.contains(Dimension::Region));
        assert_eq!("".parse::<GroupBy>().unwrap(), GroupBy::NONE);
        let every =
            [Dimension::Month, Dimension::Day, Dimension::Model, Dimension::Region, Dimension::TokenType];
        assert_eq!(GroupBy::new(every), "month,day,model,region,token_type".parse().unwrap());
        let err = "day,week".parse::<GroupBy>().unwrap_err();
        assert_eq!(err, ReportError::UnknownDimension("week".into()));
    }

    #[test]
    fn token_overflow_is_an_error_not_a_wrap() {
        let big = ("2026-03-01T10:00:00Z", "us-east-1", "a", Input, u64::MAX, Some("1"));
        let lines = [line(&big), line(&big)];
        assert!(matches!(aggregate(&lines, GroupBy::NONE, Tz::UTC), Err(ReportError::Overflow(_))));
    }
}
