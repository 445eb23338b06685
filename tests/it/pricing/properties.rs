//! Property: pricing a usage split into many pieces sums exactly to pricing
//! the total, for every model of the shipped table. This is what lets the
//! ledger price minute by minute and still agree with a monthly total.

use std::collections::BTreeMap;
use std::path::Path;

use bedrock_cost_monitor::clock::{Clock, SystemClock};
use bedrock_cost_monitor::config;
use bedrock_cost_monitor::pricing::{PriceOptions, PriceOutcome, Pricer, TokenType, Usage};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn total(pricer: &Pricer<'_>, model_id: &str, usage: &Usage, batch: bool) -> Decimal {
    let at = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
    let opts = PriceOptions { batch, long_context: false };
    match pricer.price(model_id, "us-east-1", at, usage, opts).unwrap() {
        PriceOutcome::Priced(p) => p.cost.total_usd,
        PriceOutcome::Unpriced { reason, .. } => panic!("{model_id}: {reason}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn split_usage_sums_exactly_to_the_total(
        // Any index: taken modulo the number of models, so new models are covered.
        model in 0usize..1_000,
        prefix in prop::sample::select(vec!["", "us.", "global.", "eu."]),
        pieces in prop::collection::vec(
            (0u64..5_000_000, 0u64..500_000, 0u64..9_000_000, 0u64..300_000, 0u64..100_000),
            1..60,
        ),
        batch in any::<bool>(),
    ) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/monitor.toml");
        let loaded = config::load_with_env(&path, &|_| None, SystemClock.now()).unwrap();
        let none = BTreeMap::new();
        let pricer = Pricer::new(&loaded.prices, &none);
        let m = &loaded.prices.catalog().models()[model % loaded.prices.catalog().models().len()];
        // A concrete ID of the model: its first pattern with `*` filled in.
        let base = m.patterns[0].replace('*', "20990101-v1:0");
        let id = format!("{prefix}{base}");

        let mut whole = Usage::new();
        let mut sum = Decimal::ZERO;
        for (i, o, r, w5, w1) in &pieces {
            let piece = Usage::new()
                .with(TokenType::Input, *i)
                .with(TokenType::Output, *o)
                .with(TokenType::CacheRead, *r)
                .with(TokenType::CacheWrite5m, *w5)
                .with(TokenType::CacheWrite1h, *w1);
            for (t, n) in piece.iter() {
                whole.add(t, n);
            }
            if piece.iter().next().is_some() {
                sum += total(&pricer, &id, &piece, batch);
            }
        }
        prop_assume!(whole.iter().next().is_some());
        prop_assert_eq!(sum, total(&pricer, &id, &whole, batch));
    }
}
