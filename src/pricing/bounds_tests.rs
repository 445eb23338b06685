use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::TimeZone;

use super::*;
use crate::diag::TomlDoc;
use crate::pricing::PriceTable;

fn table() -> PriceTable {
    let text = include_str!("../../config/prices.toml");
    let doc = TomlDoc::parse("config/prices.toml", text).unwrap();
    crate::pricing::file::load(&doc).unwrap().table
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

const SONNET_GLOBAL: &str = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";

#[test]
fn bounds_table() {
    let table = table();
    let profiles = BTreeMap::new();
    let pricer = Pricer::new(&table, &profiles);
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
    let usage = |input, output, write5m, write1h| {
        Usage::new()
            .with(TokenType::Input, input)
            .with(TokenType::Output, output)
            .with(TokenType::CacheWrite5m, write5m)
            .with(TokenType::CacheWrite1h, write1h)
    };
    // (usage, invocations, long-context max extra, certain minutes, TTL low, TTL high), by hand from
    // Sonnet 4.5 global: input 3 → 6, output 15 → 22.50, 5m write 3.75 → 7.50, 1h write 6 → 12 above 200K.
    let cases = [
        // Prompt at the threshold: no long request possible; 5m writes could have been 1h (+2.25/M).
        (usage(200_000, 1_000, 0, 0), Some(1), "0", 0, "0", "0"),
        // 250K prompt (cache writes count): extra (6-3)*0.15 + (7.50-3.75)*0.1 = 0.825.
        (usage(150_000, 0, 100_000, 0), Some(2), "0.825", 0, "0", "0.225"),
        // 300K prompt over one call: certainly long; extra (6-3)*0.3 + (22.5-15)*0.01 = 0.975.
        (usage(300_000, 10_000, 0, 0), Some(1), "0.975", 1, "0", "0"),
        // The same over two calls: the average (150K) is below, so possibly but not certainly.
        (usage(300_000, 10_000, 0, 0), Some(2), "0.975", 0, "0", "0"),
        // 1h writes configured: the 5m rate would be 0.225 less per 100K.
        (usage(1_000, 0, 0, 100_000), None, "0", 0, "-0.225", "0"),
    ];
    for (u, invocations, extra, certain, low, high) in cases {
        let b = minute_bounds(&pricer, SONNET_GLOBAL, "us-east-1", at, &u, invocations).unwrap();
        assert_eq!(
            (
                b.long_context_max_extra_usd,
                b.long_context_certain_minutes,
                b.cache_ttl_low_usd,
                b.cache_ttl_high_usd
            ),
            (d(extra), certain, d(low), d(high)),
            "{u:?} {invocations:?}"
        );
    }
    assert_eq!(
        minute_bounds(&pricer, "anthropic.claude-opus-9", "us-east-1", at, &usage(1, 1, 0, 0), None),
        None
    );
}
