use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

use super::*;
use crate::config::CacheTtl;
use crate::pricing::catalog::{Catalog, ModelDef};
use crate::pricing::{PointPricer, PriceEntry, PriceTable, Scope, ServiceTier, TokenType};
use crate::reconcile::models::BillModels;
use crate::reconcile::rates::RateInputs;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn pricer() -> PointPricer {
    let catalog = Catalog::new(vec![ModelDef {
        key: "claude-sonnet-4-6".into(),
        name: "Claude Sonnet 4.6".into(),
        patterns: vec!["anthropic.claude-sonnet-4-6".into()],
    }]);
    let prices = [
        (TokenType::Input, "3"),
        (TokenType::Output, "15"),
        (TokenType::CacheRead, "0.3"),
        (TokenType::CacheWrite5m, "3.75"),
        (TokenType::CacheWrite1h, "6"),
    ]
    .into_iter()
    .map(|(t, p)| (t, d(p)))
    .collect();
    let entry = PriceEntry {
        id: "claude-sonnet-4-6:all:2026-01-01".into(),
        model: "claude-sonnet-4-6".into(),
        tier: ServiceTier::Standard,
        scope: Scope::All,
        region: None,
        from: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        until: None,
        source: "test".into(),
        checked: day(),
        prices: crate::pricing::table::Prices(prices),
        long_context: None,
        batch_discount: d("0.5"),
    };
    PointPricer {
        table: PriceTable::new(catalog, vec![entry]),
        app_profiles: Default::default(),
        cache_write_ttl: CacheTtl::FiveMinutes,
        cache_write_ttl_by_model: Default::default(),
    }
}

fn ledger(model_id: &str, model: Option<&str>, t: TokenType, tokens: u64, usd: &str) -> CostTotal {
    CostTotal {
        region: "us-east-1".into(),
        model_id: model_id.into(),
        model: model.map(String::from),
        token_type: t,
        tokens,
        usd: d(usd),
    }
}

fn line(service: &str, usage_type: &str, usd: &str, quantity: &str) -> BillLine {
    BillLine {
        service: service.into(),
        usage_type: usage_type.into(),
        usd: d(usd),
        quantity: d(quantity),
        unit: "N/A".into(),
    }
}

fn bill(lines: Vec<BillLine>) -> BillDay {
    let now = Utc.with_ymd_and_hms(2026, 12, 4, 0, 0, 0).unwrap();
    BillDay {
        day: day(),
        lines,
        estimated: false,
        first_read: now,
        last_read: now,
        reads: 1,
        last_changed: now,
        frozen: false,
    }
}

const SONNET: &str = "claude-sonnet-4-6";
const ID: &str = "global.anthropic.claude-sonnet-4-6";

fn run(ledger: &[CostTotal], bill: &BillDay) -> DayDrift {
    let p = pricer();
    let models = BillModels::new(p.table.catalog());
    compare(ledger, bill, &models, &RateInputs { pricer: &p, tolerance: d("0.01") })
}

fn key(token_type: &'static str) -> Key {
    Key { region: "us-east-1".into(), model: SONNET.into(), token_type }
}

#[test]
fn exact_agreement_has_no_drift_and_no_stale_rate() {
    let l = [
        ledger(ID, Some(SONNET), TokenType::Input, 1_000_000, "3"),
        ledger(ID, Some(SONNET), TokenType::CacheWrite5m, 1_000_000, "3.75"),
    ];
    let b = bill(vec![
        line("Amazon Bedrock", "USE1-Claude4.6Sonnet-input-tokens", "3", "1000000"),
        line(
            "Claude Sonnet 4.6 (Amazon Bedrock Edition)",
            "USE1-MP:USE1_CacheWriteInputTokenCount-Units",
            "3.75",
            "1000",
        ),
    ]);
    let got = run(&l, &b);
    assert_eq!(got.net(), Decimal::ZERO);
    assert_eq!(got.gross(), Decimal::ZERO);
    assert_eq!(got.rows[&key("input")].presence(), "both");
    assert_eq!(got.rates.len(), 2);
    assert_eq!(got.stale_rates().count(), 0, "{:?}", got.rates);
    let cw = got.rates.iter().find(|r| r.key.token_type == "cache_write").unwrap();
    assert_eq!(cw.unit_tokens, Decimal::from(1_000), "quantity in thousands, inferred");
    assert!(!got.exceeds(Tolerance { usd: d("1"), ratio: d("0.01") }));
}

#[test]
fn a_missing_model_a_stale_price_and_an_unparseable_line_are_all_shown() {
    let l = [
        ledger(ID, Some(SONNET), TokenType::Input, 1_000_000, "3"),
        ledger(ID, Some(SONNET), TokenType::Output, 100_000, "1.5"),
        ledger("anthropic.claude-mystery-9", None, TokenType::Input, 500, "0"),
    ];
    let b = bill(vec![
        // Billed at $3.30, not the table's $3: a stale price (+10%).
        line("Amazon Bedrock", "USE1-Claude4.6Sonnet-input-tokens", "3.30", "1000000"),
        // The ledger has no cache reads: the daemon did not count them.
        line("Amazon Bedrock", "USE1-Claude4.6Sonnet-cache-read-input-token-count", "0.60", "2000000"),
        // No bill line for output: ledger only.
        line("Amazon Bedrock", "USE1-SomethingElse-hours", "7", "1"),
        line("Amazon Bedrock", "USE1-Claude9.9Mystery-input-tokens", "2", "1000"),
        line("Amazon Bedrock", "USE1-Claude4.6Sonnet-input-tokens-zero", "0", "0"),
    ]);
    let got = run(&l, &b);
    assert_eq!(got.rows[&key("input")].drift(), d("-0.30"));
    assert_eq!(got.rows[&key("input")].ratio(), Some(d("-0.090909")));
    assert_eq!(got.rows[&key("cache_read")].presence(), "billed_only");
    assert_eq!(got.rows[&key("output")].presence(), "ledger_only");
    let reasons: Vec<_> = got.unmapped.iter().map(|u| (u.line.usage_type.as_str(), u.reason)).collect();
    assert_eq!(
        reasons,
        [
            ("USE1-SomethingElse-hours", "not a token usage type"),
            ("USE1-Claude9.9Mystery-input-tokens", "model not in the price table")
        ]
    );
    assert_eq!(got.unmapped_usd(), d("9"));
    assert_eq!(got.unpriced.len(), 1);
    assert_eq!(got.ledger_usd(), d("4.5"));
    assert_eq!(got.billed_usd(), d("12.90"));
    assert_eq!(got.net(), d("-8.40"));
    assert_eq!(got.gross(), d("0.30") + d("0.60") + d("1.5") + d("9"));
    let stale: Vec<_> = got.stale_rates().collect();
    assert_eq!(stale.len(), 1);
    assert_eq!((stale[0].billed_per_million, stale[0].table_per_million), (d("3.3"), d("3")));
    assert_eq!(stale[0].ratio(), d("0.1"));
    let biggest: Vec<_> = got.biggest(2).into_iter().map(|(k, _)| k.token_type).collect();
    assert_eq!(biggest, ["output", "cache_read"]);
    assert!(got.exceeds(Tolerance { usd: d("1"), ratio: d("0.01") }));
}

#[test]
fn the_tolerance_is_dollars_or_share_whichever_is_looser() {
    let l = [ledger(ID, Some(SONNET), TokenType::Input, 1_000_000, "1000.50")];
    let b = bill(vec![line("Amazon Bedrock", "USE1-Claude4.6Sonnet-input-tokens", "1000", "1000000")]);
    let got = run(&l, &b);
    // $0.50 off: within $1.
    assert!(!got.exceeds(Tolerance { usd: d("1"), ratio: d("0") }));
    // Within 1% of $1000 even with a $0.10 dollar tolerance.
    assert!(!got.exceeds(Tolerance { usd: d("0.10"), ratio: d("0.01") }));
    // Beyond both.
    assert!(got.exceeds(Tolerance { usd: d("0.10"), ratio: d("0.0001") }));
}
