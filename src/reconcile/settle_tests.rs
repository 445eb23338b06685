use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

use super::*;

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, n).unwrap()
}

fn at(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap()
}

fn rule() -> SettleRule {
    SettleRule { settle: Duration::hours(72), reread_after: Duration::hours(8), lookback_days: 14 }
}

fn lines(usd: i64) -> Vec<BillLine> {
    vec![BillLine {
        service: "Amazon Bedrock".into(),
        usage_type: "USE1-Claude4.6Sonnet-input-tokens".into(),
        usd: Decimal::new(usd, 2),
        quantity: Decimal::from(1000),
        unit: "N/A".into(),
    }]
}

#[test]
fn a_day_freezes_at_the_first_unchanged_read_after_it_settled() {
    let r = rule();
    // Day 1 ends at 2 Dec 00:00; settled from 5 Dec 00:00.
    let mut known = r.after_read(day(1), None, lines(100), true, at(2, 7));
    let steps = [
        (at(3, 7), 120, false, at(3, 7)), // changed
        (at(4, 7), 120, false, at(3, 7)), // unchanged but not settled
        (at(5, 7), 125, false, at(5, 7)), // settled, but changed: read again
        (at(6, 7), 125, true, at(5, 7)),  // settled and unchanged: final
    ];
    for (now, usd, frozen, changed) in steps {
        assert!(r.wants(Some(&known), now));
        known = r.after_read(day(1), Some(&known), lines(usd), false, now);
        assert_eq!((known.frozen, known.last_changed), (frozen, changed), "at {now}");
    }
    assert_eq!(known.reads, 5);
    assert_eq!(known.first_read, at(2, 7));
    assert!(!r.wants(Some(&known), at(30, 7)), "a frozen day is never asked again");
}

#[test]
fn a_day_read_recently_is_not_asked_again() {
    let r = rule();
    let known = r.after_read(day(1), None, lines(1), false, at(2, 7));
    assert!(!r.wants(Some(&known), at(2, 14)));
    assert!(r.wants(Some(&known), at(2, 15)));
    assert!(r.wants(None, at(2, 15)));
}

#[test]
fn closed_days_and_runs() {
    let days = closed_days(at(5, 3), 3);
    assert_eq!(days, [day(2), day(3), day(4)]);
    assert_eq!(runs(&[day(1), day(2), day(4), day(5), day(6)]), [(day(1), day(3)), (day(4), day(7))]);
    assert_eq!(runs(&[]), []);
    assert_eq!(day_end(day(31)), Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
}
