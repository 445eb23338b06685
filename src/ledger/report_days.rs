//! Spend report rows from each local day's cost sums (`Store::cost_sums` of
//! that day's window), grouped by any of month, day, model, region and token
//! type: what `report` reads, so a month costs the stores a few hundred
//! rollup rows rather than every minute's cost line. Pure, like `report.rs`,
//! whose keys and rows it produces and whose line-by-line `aggregate` it
//! equals exactly for the same lines.
//!
//! Must not fetch, round or decide which days a report covers.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::report::{Dimension, GroupBy, ReportError, Spend, SpendKey, SpendReport, SpendRow};
use crate::pricing::TokenType;
use crate::records::CostTotal;

/// The key of a day's sum under a grouping; the month is the day's.
pub(crate) fn day_key(
    g: GroupBy,
    day: NaiveDate,
    model: &str,
    model_id: &str,
    region: &str,
    principal: Option<&str>,
    token_type: Option<TokenType>,
) -> SpendKey {
    SpendKey {
        month: g.contains(Dimension::Month).then(|| day.format("%Y-%m").to_string()),
        day: g.contains(Dimension::Day).then_some(day),
        model: g.contains(Dimension::Model).then(|| model.to_string()),
        account: g.contains(Dimension::Account).then(|| super::report::account_label(region)),
        region: g.contains(Dimension::Region).then(|| crate::shard::region_of(region).to_string()),
        project: g.contains(Dimension::Project).then(|| crate::bedrock::project_of(model_id).to_string()),
        principal: principal.filter(|_| g.contains(Dimension::Principal)).map(String::from),
        token_type: token_type.filter(|_| g.contains(Dimension::TokenType)),
    }
}

/// Unpriced sums add tokens, never dollars, as unpriced lines do.
fn add(spend: &mut Spend, s: &CostTotal, day: NaiveDate) -> Result<(), ReportError> {
    let overflow = || ReportError::Overflow(format!("{} {} {day}", s.region, s.model_id));
    spend.tokens = spend.tokens.checked_add(s.tokens).ok_or_else(overflow)?;
    match s.model {
        Some(_) => spend.usd = spend.usd.checked_add(s.usd).ok_or_else(overflow)?,
        None => spend.unpriced_tokens = spend.unpriced_tokens.checked_add(s.tokens).ok_or_else(overflow)?,
    }
    Ok(())
}

/// `days`: each local day of the report with its summed cost per series.
pub fn aggregate(days: &[(NaiveDate, Vec<CostTotal>)], g: GroupBy) -> Result<SpendReport, ReportError> {
    let mut groups: BTreeMap<SpendKey, Spend> = BTreeMap::new();
    let mut total = Spend::default();
    for (day, sums) in days {
        for s in sums {
            let model = s.model.clone().unwrap_or_else(|| format!("unpriced:{}", s.model_id));
            let key = day_key(g, *day, &model, &s.model_id, &s.region, None, Some(s.token_type));
            add(groups.entry(key).or_default(), s, *day)?;
            add(&mut total, s, *day)?;
        }
    }
    let rows = groups.into_iter().map(|(key, spend)| SpendRow { key, spend }).collect();
    Ok(SpendReport { rows, total, by_principal: false })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::{DateTime, Duration, Utc};
    use chrono_tz::Tz;
    use rust_decimal::Decimal;

    use super::*;
    use crate::ledger::order::{cost_totals_of, CostKey};
    use crate::records::{CostLine, LinePricing};

    /// Lines every 37 minutes over three local days around Berlin's spring
    /// DST change, two regions, a priced and an unpriced model.
    fn lines() -> Vec<CostLine> {
        let start = DateTime::parse_from_rfc3339("2026-03-28T00:00:00+01:00").unwrap().with_timezone(&Utc);
        (0..200i64)
            .map(|i| {
                let unpriced = i % 5 == 0;
                let pricing = if unpriced {
                    LinePricing::Unpriced { reason: "no catalog entry".into() }
                } else {
                    LinePricing::Priced {
                        model: "claude-sonnet-4-5".into(),
                        price_entry: "claude-sonnet-4-5:regional:2025-09-29".into(),
                        usd: Decimal::new(33 * (i + 1), 7),
                    }
                };
                CostLine {
                    region: if i % 3 == 0 { "eu-west-1" } else { "eu-central-1" }.into(),
                    model_id: if unpriced {
                        "anthropic.claude-future-9-v1:0"
                    } else {
                        "eu.anthropic.claude-sonnet-4-5"
                    }
                    .into(),
                    minute: start + Duration::minutes(37 * i),
                    token_type: if i % 2 == 0 { TokenType::Input } else { TokenType::Output },
                    tokens: u64::try_from(100 + i).unwrap(),
                    pricing,
                }
            })
            .collect()
    }

    /// What `Store::cost_sums` answers for each local day of the lines.
    fn day_sums(lines: &[CostLine], tz: Tz) -> Vec<(NaiveDate, Vec<CostTotal>)> {
        let mut days: BTreeMap<NaiveDate, BTreeMap<CostKey, (u64, Decimal)>> = BTreeMap::new();
        for l in lines {
            let (model, usd) = match &l.pricing {
                LinePricing::Priced { model, usd, .. } => (Some(model.clone()), *usd),
                LinePricing::Unpriced { .. } => (None, Decimal::ZERO),
            };
            let day = l.minute.with_timezone(&tz).date_naive();
            let key = (l.region.clone(), l.model_id.clone(), model, l.token_type);
            let slot = days.entry(day).or_default().entry(key).or_default();
            *slot = (slot.0 + l.tokens, slot.1 + usd);
        }
        days.into_iter().map(|(day, sums)| (day, cost_totals_of(sums))).collect()
    }

    #[test]
    fn equals_the_line_by_line_report_for_every_grouping() {
        let lines = lines();
        for tz in [Tz::UTC, Tz::Europe__Berlin, Tz::Asia__Kolkata] {
            let days = day_sums(&lines, tz);
            for g in [
                "",
                "day",
                "month",
                "model",
                "region,token_type",
                "day,model,region,token_type",
                "month,model",
            ] {
                let g = GroupBy::from_str(g).unwrap();
                let by_lines = crate::ledger::report::aggregate(&lines, g, tz).unwrap();
                assert_eq!(aggregate(&days, g).unwrap(), by_lines, "{tz} {g:?}");
            }
        }
    }

    #[test]
    fn unpriced_sums_add_tokens_never_dollars() {
        let days = day_sums(&lines(), Tz::UTC);
        let r = aggregate(&days, GroupBy::from_str("model").unwrap()).unwrap();
        let unpriced =
            r.rows.iter().find(|row| row.key.model.as_deref().unwrap().starts_with("unpriced:")).unwrap();
        assert_eq!(
            (unpriced.spend.usd, unpriced.spend.unpriced_tokens),
            (Decimal::ZERO, unpriced.spend.tokens)
        );
        assert_eq!(r.total.unpriced_tokens, unpriced.spend.tokens);
        assert_eq!(aggregate(&[], GroupBy::NONE).unwrap(), SpendReport::default());
    }
}
