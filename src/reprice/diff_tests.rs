use std::str::FromStr;

use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

use super::{diff_day, Row};
use crate::pricing::TokenType;
use crate::records::{CostLine, LinePricing};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
}

fn usd(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn priced(model: &str, entry: &str, cost: &str) -> LinePricing {
    LinePricing::Priced { model: model.into(), price_entry: entry.into(), usd: usd(cost) }
}

fn unpriced() -> LinePricing {
    LinePricing::Unpriced { reason: "no catalog pattern matches".into() }
}

fn line(model_id: &str, minute: u32, tt: TokenType, tokens: u64, pricing: LinePricing) -> CostLine {
    CostLine {
        region: "us-east-1".into(),
        model_id: model_id.into(),
        minute: Utc.with_ymd_and_hms(2026, 3, 1, 10, minute, 0).unwrap(),
        token_type: tt,
        tokens,
        pricing,
    }
}

/// (model ID, model, lines, changed, tokens, old, new, became priced, became unpriced, unpriced after)
type Want =
    (&'static str, Option<&'static str>, usize, usize, u64, &'static str, &'static str, u64, u64, u64);

struct Case {
    name: &'static str,
    lines: Vec<(CostLine, LinePricing)>,
    rows: Vec<Want>,
    changes: usize,
}

fn cases() -> Vec<Case> {
    use TokenType::{Input, Output};
    let a = || priced("sonnet", "sonnet:all:2026-01-01", "3");
    vec![
        Case {
            name: "nothing changes",
            lines: vec![(line("s", 0, Input, 1_000_000, a()), a())],
            rows: vec![("s", Some("sonnet"), 1, 0, 1_000_000, "3", "3", 0, 0, 0)],
            changes: 0,
        },
        Case {
            name: "a corrected rate",
            lines: vec![
                (line("s", 0, Input, 1_000_000, a()), priced("sonnet", "sonnet:all:2026-01-01", "3.3")),
                (line("s", 1, Input, 1_000_000, a()), priced("sonnet", "sonnet:all:2026-01-01", "3.3")),
            ],
            rows: vec![("s", Some("sonnet"), 2, 2, 2_000_000, "6", "6.6", 0, 0, 0)],
            changes: 2,
        },
        Case {
            name: "same rate, another entry: audited as a change",
            lines: vec![(
                line("s", 0, Input, 1_000_000, a()),
                priced("sonnet", "sonnet:regional:2026-01-01", "3"),
            )],
            rows: vec![("s", Some("sonnet"), 1, 1, 1_000_000, "3", "3", 0, 0, 0)],
            changes: 1,
        },
        Case {
            name: "a new model becomes priced",
            lines: vec![
                (line("new", 0, Input, 500, unpriced()), priced("opus", "opus:all:2026-02-01", "0.0025")),
                (line("new", 0, Output, 100, unpriced()), priced("opus", "opus:all:2026-02-01", "0.0025")),
                (line("s", 0, Input, 10, a()), a()),
            ],
            rows: vec![
                ("new", Some("opus"), 2, 2, 600, "0", "0.0050", 600, 0, 0),
                ("s", Some("sonnet"), 1, 0, 10, "3", "3", 0, 0, 0),
            ],
            changes: 2,
        },
        Case {
            name: "a dropped entry makes tokens unpriced",
            lines: vec![(line("s", 0, Input, 70, a()), unpriced())],
            rows: vec![("s", Some("sonnet"), 1, 1, 70, "3", "0", 0, 70, 70)],
            changes: 1,
        },
        Case {
            name: "unpriced stays unpriced with another reason",
            lines: vec![(
                line("x", 0, Input, 9, unpriced()),
                LinePricing::Unpriced { reason: "other".into() },
            )],
            rows: vec![("x", None, 1, 1, 9, "0", "0", 0, 0, 9)],
            changes: 1,
        },
    ]
}

#[test]
fn diff_table() {
    for case in cases() {
        let (lines, new): (Vec<_>, Vec<_>) = case.lines.into_iter().unzip();
        let d = diff_day(day(), &lines, &new);
        let got: Vec<_> = d
            .rows
            .iter()
            .map(|r| {
                (
                    r.model_id.as_str(),
                    r.model.as_deref(),
                    r.lines,
                    r.changed,
                    r.tokens,
                    r.old_usd,
                    r.new_usd,
                    r.became_priced,
                    r.became_unpriced,
                    r.unpriced,
                )
            })
            .collect();
        let want: Vec<_> = case
            .rows
            .iter()
            .map(|&(id, m, l, c, t, o, n, bp, bu, u)| (id, m, l, c, t, usd(o), usd(n), bp, bu, u))
            .collect();
        assert_eq!(got, want, "{}", case.name);
        assert_eq!(d.changes.len(), case.changes, "{}", case.name);
        for c in &d.changes {
            let i = lines.iter().position(|l| l == &c.line).unwrap();
            assert_eq!(c.pricing, new[i], "{}: a change carries the line's new pricing", case.name);
        }
    }
}

#[test]
fn totals_add_every_row_and_differences_are_exact() {
    let lines = vec![
        line("a", 0, TokenType::Input, 3, priced("m", "e", "0.000000000000000001")),
        line("b", 0, TokenType::Input, 4, unpriced()),
    ];
    let new = vec![priced("m", "e", "0.000000000000000002"), priced("m", "e", "0.1")];
    let d = diff_day(day(), &lines, &new);
    let total = d.total();
    assert_eq!((total.lines, total.changed, total.tokens), (2, 2, 7));
    assert_eq!(total.difference(), usd("0.100000000000000001"));
    assert_eq!(total.became_priced, 4);
    assert_eq!(d.changed_rows().count(), 2);
    let unpriced_before: Vec<u64> = d.rows.iter().map(Row::unpriced_before).collect();
    assert_eq!(unpriced_before, vec![0, 4], "b had no price before");
    let mut sum = Row::default();
    d.rows.iter().for_each(|r| sum.add(r));
    assert_eq!((sum.old_usd, sum.new_usd), (total.old_usd, total.new_usd));
}
