use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;

use super::price_request;
use crate::config::CacheTtl;
use crate::diag::TomlDoc;
use crate::pricing::PointPricer;
use crate::records::{CacheWrites, RequestPricing, RequestTokens, RequestUsage};

fn pricer(ttl: CacheTtl) -> PointPricer {
    let text = include_str!("../../config/prices.toml");
    let doc = TomlDoc::parse("config/prices.toml", text).unwrap();
    PointPricer {
        table: crate::pricing::file::load(&doc).unwrap().table,
        app_profiles: BTreeMap::new(),
        cache_write_ttl: ttl,
        cache_write_ttl_by_model: BTreeMap::new(),
    }
}

const SONNET_GLOBAL: &str = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";

fn usage(model_id: &str, input: u64, output: u64, cache_read: u64, writes: CacheWrites) -> RequestUsage {
    RequestUsage {
        request_id: "req-1".into(),
        at: Utc.with_ymd_and_hms(2026, 12, 1, 10, 7, 42).unwrap(),
        region: "us-east-1".into(),
        model_id: model_id.into(),
        principal: "arn:aws:iam::111122223333:role/app".into(),
        dimensions: BTreeMap::from([("user_id".to_string(), "u-1".to_string())]),
        input,
        output,
        cache_read,
        cache_write: writes,
        batch: false,
    }
}

/// Bills by hand from Sonnet 4.5's global entry: input 3, output 15, cache
/// read 0.30, 5m write 3.75, 1h write 6 per million; above 200K prompt
/// tokens 6, 22.50, 0.60, 7.50, 12; batch 50 % off.
#[test]
fn each_request_priced_on_its_own() {
    use CacheWrites::{Split, Total};
    // (case, usage, batch, want usd, long context, ttl assumed)
    let cases = [
        ("small", usage(SONNET_GLOBAL, 1_000, 500, 0, Total(0)), false, "0.0105", false, false),
        // At the threshold is not above it.
        ("at threshold", usage(SONNET_GLOBAL, 200_000, 1_000, 0, Total(0)), false, "0.615", false, false),
        // 150K fresh + 60K read = 210K prompt: every bucket at the long rates.
        // 150000×6 + 60000×0.60 + 2000×22.50 = 0.9 + 0.036 + 0.045
        ("long", usage(SONNET_GLOBAL, 150_000, 2_000, 60_000, Total(0)), false, "0.981", true, false),
        // Cache writes count toward the prompt: 100K + 120K written = 220K.
        // 100000×6 + 1000×22.50 + 120000×7.50 = 0.6 + 0.0225 + 0.9
        (
            "long by writes",
            usage(SONNET_GLOBAL, 100_000, 1_000, 0, Total(120_000)),
            false,
            "1.5225",
            true,
            true,
        ),
        // 100×3 + 10×15 + 1000×3.75 + 2000×6 = 0.0003 + 0.00015 + 0.00375 + 0.012
        (
            "split writes",
            usage(SONNET_GLOBAL, 100, 10, 0, Split { five_minutes: 1_000, one_hour: 2_000 }),
            false,
            "0.0162",
            false,
            false,
        ),
        // The total at the configured TTL (5m): 0.0003 + 0.00015 + 3000×3.75
        ("total writes", usage(SONNET_GLOBAL, 100, 10, 0, Total(3_000)), false, "0.0117", false, true),
        ("batch", usage(SONNET_GLOBAL, 1_000, 500, 0, Total(0)), true, "0.00525", false, false),
    ];
    let config = pricer(CacheTtl::FiveMinutes);
    for (name, mut u, batch, want, long, assumed) in cases {
        u.batch = batch;
        let priced = price_request(&config, &u);
        match priced.pricing {
            RequestPricing::Priced { usd, long_context, ttl_assumed, ref model, .. } => {
                assert_eq!(usd, Decimal::from_str(want).unwrap(), "{name}");
                assert_eq!((long_context, ttl_assumed), (long, assumed), "{name}");
                assert_eq!(model, "claude-sonnet-4-5", "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(priced.minute, Utc.with_ymd_and_hms(2026, 12, 1, 10, 7, 0).unwrap(), "{name}");
    }
}

#[test]
fn configured_ttl_decides_an_unsplit_total() {
    let u = usage(SONNET_GLOBAL, 0, 0, 0, CacheWrites::Total(1_000));
    let priced = price_request(&pricer(CacheTtl::OneHour), &u);
    assert_eq!(priced.tokens, RequestTokens { cache_write_1h: 1_000, ..RequestTokens::default() });
    let RequestPricing::Priced { usd, ttl_assumed: true, .. } = priced.pricing else {
        panic!("{:?}", priced.pricing)
    };
    assert_eq!(usd, Decimal::from_str("0.006").unwrap());
}

#[test]
fn unknown_model_is_unpriced_with_its_tokens() {
    let u = usage("meta.llama3-70b-instruct-v1:0", 10, 20, 0, CacheWrites::Total(0));
    let priced = price_request(&pricer(CacheTtl::FiveMinutes), &u);
    assert!(matches!(priced.pricing, RequestPricing::Unpriced { .. }), "{:?}", priced.pricing);
    assert_eq!((priced.tokens.input, priced.tokens.output), (10, 20));
}
