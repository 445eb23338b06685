//! Table-driven tests of `report::aggregate`: groupings, timezones, DST, unpriced lines.

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
        account: None,
        region: region.map(String::from),
        project: None,
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
        Case { name: "no lines: no rows", group_by: "day,model", tz: Tz::UTC, lines: vec![], rows: vec![] },
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
    let months: Vec<_> = report.rows.iter().map(|r| (r.key.month.clone().unwrap(), r.spend.tokens)).collect();
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
    let every = [Dimension::Month, Dimension::Day, Dimension::Model, Dimension::Region, Dimension::TokenType];
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

#[test]
fn accounts_and_regions_are_told_apart_or_summed() {
    let lines = [
        line(&("2026-03-01T10:00:00Z", "us-east-1", "a", Input, 10, Some("1"))),
        line(&("2026-03-01T10:00:00Z", "222222222222/us-east-1", "a", Input, 5, Some("0.5"))),
    ];
    let by = |g: &str| {
        let r = aggregate(&lines, g.parse().unwrap(), Tz::UTC).unwrap();
        r.rows
            .iter()
            .map(|row| (row.key.account.clone(), row.key.region.clone(), row.spend.tokens))
            .collect::<Vec<_>>()
    };
    let s = |x: &str| Some(x.to_string());
    // By region alone, the accounts' same region is one row.
    assert_eq!(by("region"), [(None, s("us-east-1"), 15)]);
    assert_eq!(by("account"), [(s("222222222222"), None, 5), (s("primary"), None, 10)]);
    assert_eq!(
        by("account,region"),
        [(s("222222222222"), s("us-east-1"), 5), (s("primary"), s("us-east-1"), 10)]
    );
}
