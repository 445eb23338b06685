//! Spend report rows by principal: the attributed shares of each local day
//! (`Store::principal_sums` of that day's window) grouped by any of month,
//! day, model, region and principal. Pure, like `report.rs`, whose rows and
//! keys it produces; shares carry dollars, not tokens, so the token columns
//! are zero and the report says so (`by_principal`). Cost without a
//! CloudTrail match is the principal `unattributed`, shown like any other.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::report::{GroupBy, ReportError, Spend, SpendKey, SpendReport, SpendRow};
use super::report_days::day_key;
use crate::records::PrincipalTotal;

/// `days`: each local day of the report with its summed shares.
pub fn aggregate(days: &[(NaiveDate, Vec<PrincipalTotal>)], g: GroupBy) -> Result<SpendReport, ReportError> {
    let mut groups: BTreeMap<SpendKey, Spend> = BTreeMap::new();
    let mut total = Spend::default();
    for (day, shares) in days {
        for s in shares {
            let key = day_key(g, *day, &s.model, &s.model_id, &s.region, Some(&s.principal), None);
            let overflow = || ReportError::Overflow(format!("{} {} {day}", s.principal, s.model_id));
            let slot = groups.entry(key).or_default();
            slot.usd = slot.usd.checked_add(s.usd).ok_or_else(overflow)?;
            total.usd = total.usd.checked_add(s.usd).ok_or_else(overflow)?;
        }
    }
    let rows = groups.into_iter().map(|(key, spend)| SpendRow { key, spend }).collect();
    Ok(SpendReport { rows, total, by_principal: true })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use rust_decimal::Decimal;

    use super::*;
    use crate::records::Attribution;

    fn share(principal: &str, model: &str, attribution: Attribution, usd: &str) -> PrincipalTotal {
        PrincipalTotal {
            region: "us-east-1".into(),
            model_id: format!("us.anthropic.{model}"),
            model: model.into(),
            principal: principal.into(),
            attribution,
            usd: Decimal::from_str(usd).unwrap(),
        }
    }

    #[test]
    fn days_and_attributions_add_up_per_principal() {
        let d = |s: &str| NaiveDate::from_str(s).unwrap();
        let days = vec![
            (
                d("2026-11-30"),
                vec![
                    share("app", "sonnet", Attribution::Estimated, "1.25"),
                    share("app", "sonnet", Attribution::Exact, "0.75"),
                ],
            ),
            (
                d("2026-12-01"),
                vec![
                    share("app", "haiku", Attribution::Estimated, "0.1"),
                    share("unattributed", "sonnet", Attribution::Unattributed, "3"),
                ],
            ),
        ];
        let r = aggregate(&days, "principal".parse().unwrap()).unwrap();
        let got: Vec<_> =
            r.rows.iter().map(|row| (row.key.principal.clone().unwrap(), row.spend.usd)).collect();
        assert_eq!(
            got,
            vec![
                ("app".into(), Decimal::from_str("2.1").unwrap()),
                ("unattributed".into(), Decimal::from(3))
            ]
        );
        assert_eq!((r.total.usd, r.by_principal), (Decimal::from_str("5.1").unwrap(), true));
        let by_month = aggregate(&days, "month,principal".parse().unwrap()).unwrap();
        let months: Vec<_> = by_month.rows.iter().map(|row| row.key.month.clone().unwrap()).collect();
        assert_eq!(months, vec!["2026-11", "2026-12", "2026-12"]);
        assert!(matches!(GroupBy::from_str("principal,token_type"), Err(ReportError::PrincipalByTokenType)));
    }
}
