//! The shipped price table priced through the public API, against totals
//! computed independently (Python `decimal`, by hand for the line cases).
//! Usage for every row: 1,234,567 input, 89,012 output, 3,456,789 cache read,
//! 123,456 cache write 5m and 7,890 cache write 1h tokens.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use bedrock_cost_monitor::clock::{Clock, SystemClock};
use bedrock_cost_monitor::config;
use bedrock_cost_monitor::pricing::{CostError, PriceOptions, PriceOutcome, Pricer, TokenType, Usage};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

mod rows;
use rows::ROWS;

fn loaded() -> config::Loaded {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/monitor.toml");
    config::load_with_env(&path, &|_| None, SystemClock.now()).expect("shipped config is valid")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn usage() -> Usage {
    Usage::new()
        .with(TokenType::Input, 1_234_567)
        .with(TokenType::Output, 89_012)
        .with(TokenType::CacheRead, 3_456_789)
        .with(TokenType::CacheWrite5m, 123_456)
        .with(TokenType::CacheWrite1h, 7_890)
}

#[test]
fn every_model_and_id_form_prices_to_the_last_digit() {
    let l = loaded();
    let none = BTreeMap::new();
    let pricer = Pricer::new(&l.prices, &none);
    for (model_id, region, model, entry, total) in ROWS {
        let outcome = pricer
            .price(model_id, region, at("2026-11-25T00:00:00Z"), &usage(), PriceOptions::default())
            .unwrap();
        let PriceOutcome::Priced(p) = outcome else { panic!("{model_id} unpriced: {outcome:?}") };
        assert_eq!(p.resolved.model, *model, "{model_id}");
        assert_eq!(p.entry.id, *entry, "{model_id}");
        assert_eq!(p.cost.total_usd, d(total), "{model_id} in {region}");
        let line_sum: Decimal = p.cost.lines.iter().map(|l| l.usd).sum();
        assert_eq!(line_sum, p.cost.total_usd, "{model_id}: lines add up to the total");
    }
    // Every model of the price table is exercised by at least one row.
    for m in l.prices.catalog().models() {
        assert!(ROWS.iter().any(|r| r.2 == m.key), "no row for {}", m.key);
    }
}

/// Each token type of Sonnet 4.5 through `us.` (regional premium), by hand:
/// 1,234,567 × 3.30 / 10⁶ = 4.0740711; 89,012 × 16.50 / 10⁶ = 1.468698;
/// 3,456,789 × 0.33 / 10⁶ = 1.14074037; 123,456 × 4.125 / 10⁶ = 0.509256;
/// 7,890 × 6.60 / 10⁶ = 0.052074. And through `global.` without the premium.
#[test]
fn each_token_type_and_the_regional_premium_by_hand() {
    let l = loaded();
    let none = BTreeMap::new();
    let pricer = Pricer::new(&l.prices, &none);
    let cases = [
        (
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            [
                ("input", "3.3", "4.0740711"),
                ("output", "16.5", "1.468698"),
                ("cache_read", "0.33", "1.14074037"),
                ("cache_write_5m", "4.125", "0.509256"),
                ("cache_write_1h", "6.6", "0.052074"),
            ],
        ),
        (
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            [
                ("input", "3", "3.703701"),
                ("output", "15", "1.33518"),
                ("cache_read", "0.3", "1.0370367"),
                ("cache_write_5m", "3.75", "0.46296"),
                ("cache_write_1h", "6", "0.04734"),
            ],
        ),
    ];
    for (model_id, lines) in cases {
        let PriceOutcome::Priced(p) = pricer
            .price(model_id, "us-east-1", at("2026-11-25T00:00:00Z"), &usage(), PriceOptions::default())
            .unwrap()
        else {
            panic!("{model_id} unpriced")
        };
        let got: Vec<(String, Decimal, Decimal)> =
            p.cost.lines.iter().map(|l| (l.token_type.to_string(), l.usd_per_million, l.usd)).collect();
        let want: Vec<(String, Decimal, Decimal)> =
            lines.iter().map(|(t, r, u)| (t.to_string(), d(r), d(u))).collect();
        assert_eq!(got, want, "{model_id}");
    }
}

/// (model ID, region, long-context tier, lines as (token type, tokens, rate, USD), total USD)
type HandCase =
    (&'static str, &'static str, bool, &'static [(TokenType, u64, &'static str, &'static str)], &'static str);

/// Newer models, each line worked out by hand from the table's rates
/// (tokens × USD per 1M ÷ 1,000,000), not by the code under test.
const NEWER_MODELS: &[HandCase] = &[
    // Opus 5.5 reads at 0.20, 0.05× its input price: 4 + 4 + 0.4.
    (
        "global.anthropic.claude-opus-5-5",
        "us-east-1",
        false,
        &[
            (TokenType::Input, 1_000_000, "4", "4"),
            (TokenType::Output, 200_000, "20", "4"),
            (TokenType::CacheRead, 2_000_000, "0.2", "0.4"),
        ],
        "8.4",
    ),
    // Fable 5.1 through `eu.`: +10%, reads at 0.275: 1.1 + 0.55 + 0.275 + 0.55.
    (
        "eu.anthropic.claude-fable-5-1",
        "eu-north-1",
        false,
        &[
            (TokenType::Input, 100_000, "11", "1.1"),
            (TokenType::Output, 10_000, "55", "0.55"),
            (TokenType::CacheRead, 1_000_000, "0.275", "0.275"),
            (TokenType::CacheWrite5m, 40_000, "13.75", "0.55"),
        ],
        "2.475",
    ),
    // Haiku 5.5 above 100K prompt tokens, 5×: 0.075 + 0.005 + 0.0025.
    (
        "global.anthropic.claude-haiku-5-5",
        "us-east-1",
        true,
        &[
            (TokenType::Input, 150_000, "0.5", "0.075"),
            (TokenType::Output, 2_000, "2.5", "0.005"),
            (TokenType::CacheRead, 50_000, "0.05", "0.0025"),
        ],
        "0.0825",
    ),
    // The same usage at the base tier: 0.015 + 0.001 + 0.0005.
    (
        "global.anthropic.claude-haiku-5-5",
        "us-east-1",
        false,
        &[
            (TokenType::Input, 150_000, "0.1", "0.015"),
            (TokenType::Output, 2_000, "0.5", "0.001"),
            (TokenType::CacheRead, 50_000, "0.01", "0.0005"),
        ],
        "0.0165",
    ),
    // Sonnet 5 in GovCloud, 1.2× global: 2.4 + 1.2.
    (
        "us-gov.anthropic.claude-sonnet-5",
        "us-gov-west-1",
        false,
        &[(TokenType::Input, 1_000_000, "2.4", "2.4"), (TokenType::Output, 100_000, "12", "1.2")],
        "3.6",
    ),
    // Sonnet 5.5 through `us.`: reads 0.22, 1-hour writes 4.40: 0.11 + 0.044.
    (
        "us.anthropic.claude-sonnet-5-5",
        "us-east-1",
        false,
        &[(TokenType::CacheRead, 500_000, "0.22", "0.11"), (TokenType::CacheWrite1h, 10_000, "4.4", "0.044")],
        "0.154",
    ),
];

#[test]
fn newer_models_by_hand() {
    let l = loaded();
    let none = BTreeMap::new();
    let pricer = Pricer::new(&l.prices, &none);
    for (model_id, region, long_context, lines, total) in NEWER_MODELS {
        let usage = lines.iter().fold(Usage::new(), |u, (t, n, _, _)| u.with(*t, *n));
        let opts = PriceOptions { long_context: *long_context, ..Default::default() };
        let outcome = pricer.price(model_id, region, at("2026-12-06T00:00:00Z"), &usage, opts).unwrap();
        let PriceOutcome::Priced(p) = outcome else { panic!("{model_id} unpriced: {outcome:?}") };
        let got: Vec<(TokenType, u64, Decimal, Decimal)> =
            p.cost.lines.iter().map(|l| (l.token_type, l.tokens, l.usd_per_million, l.usd)).collect();
        let want: Vec<(TokenType, u64, Decimal, Decimal)> =
            lines.iter().map(|(t, n, r, u)| (*t, *n, d(r), d(u))).collect();
        assert_eq!(got, want, "{model_id}");
        assert_eq!(p.cost.total_usd, d(total), "{model_id}");
    }
}

/// Opus 4.6 had a long-context tier until the 1M window went GA on 2026-03-13.
#[test]
fn effective_date_boundary_is_the_exact_instant() {
    let l = loaded();
    let none = BTreeMap::new();
    let pricer = Pricer::new(&l.prices, &none);
    let usage = Usage::new().with(TokenType::Input, 300_000).with(TokenType::Output, 10_000);
    let lc = PriceOptions { long_context: true, ..Default::default() };
    let id = "global.anthropic.claude-opus-4-6-v1";

    // One second before: the tier applies, 300,000 × 10 + 10,000 × 37.50 = 3.375.
    let before = pricer.price(id, "us-east-1", at("2026-03-12T23:59:59Z"), &usage, lc).unwrap();
    let PriceOutcome::Priced(p) = before else { panic!("unpriced") };
    assert_eq!(p.entry.id, "claude-opus-4-6:global:2026-02-05");
    assert_eq!(p.cost.total_usd, d("3.375"));

    // At the instant: the new entry is in force and has no tier any more.
    let err = pricer.price(id, "us-east-1", at("2026-03-13T00:00:00Z"), &usage, lc).unwrap_err();
    assert_eq!(err, CostError::NoLongContextTier("claude-opus-4-6:global:2026-03-13".into()));
    let PriceOutcome::Priced(p) =
        pricer.price(id, "us-east-1", at("2026-03-13T00:00:00Z"), &usage, PriceOptions::default()).unwrap()
    else {
        panic!("unpriced")
    };
    assert_eq!(p.cost.total_usd, d("1.75"));

    // Before the model's first price there is none: unpriced, not $0.
    let early =
        pricer.price(id, "us-east-1", at("2026-02-04T23:59:59Z"), &usage, PriceOptions::default()).unwrap();
    assert!(matches!(early, PriceOutcome::Unpriced { .. }), "{early:?}");
}

#[test]
fn batch_discount_halves_every_rate() {
    let l = loaded();
    let none = BTreeMap::new();
    let pricer = Pricer::new(&l.prices, &none);
    let usage = Usage::new().with(TokenType::Input, 1_000_000).with(TokenType::Output, 1_000_000);
    let opts = PriceOptions { batch: true, ..Default::default() };
    let PriceOutcome::Priced(p) = pricer
        .price(
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            "us-west-2",
            at("2026-11-25T00:00:00Z"),
            &usage,
            opts,
        )
        .unwrap()
    else {
        panic!("unpriced")
    };
    // (0.80 + 4) / 2
    assert_eq!(p.cost.total_usd, d("2.4"));
}

#[test]
fn unknown_and_unbillable_ids_are_unpriced_never_zero() {
    let l = loaded();
    let mut profiles = BTreeMap::new();
    profiles.insert(
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/known1".to_string(),
        "global.anthropic.claude-haiku-4-5-20251001-v1:0".to_string(),
    );
    let pricer = Pricer::new(&l.prices, &profiles);
    let now = at("2026-11-25T00:00:00Z");
    for id in [
        "anthropic.claude-opus-5-20270101-v1:0",
        "meta.llama3-70b-instruct-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/unknown9",
        "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc",
    ] {
        let outcome = pricer.price(id, "us-east-1", now, &usage(), PriceOptions::default()).unwrap();
        match outcome {
            PriceOutcome::Unpriced { model_id, .. } => assert_eq!(model_id, id),
            other => panic!("{id} priced: {other:?}"),
        }
    }
    // A mapped application profile prices as its target: global Haiku 4.5, no premium.
    let app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/known1";
    let one = Usage::new().with(TokenType::Input, 1_000_000);
    let PriceOutcome::Priced(p) = pricer.price(app, "us-east-1", now, &one, PriceOptions::default()).unwrap()
    else {
        panic!("mapped profile unpriced")
    };
    assert_eq!((p.resolved.model.as_str(), p.cost.total_usd), ("claude-haiku-4-5", d("1")));
}
