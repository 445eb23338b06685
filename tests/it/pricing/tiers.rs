//! Service tiers and GovCloud through the shipped table: a call in a tier or
//! in GovCloud is priced only by an entry meant for it. Without one it is
//! unpriced with a reason that says what to add, never priced at the standard
//! or the commercial rate.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use bedrock_cost_monitor::clock::{Clock, SystemClock};
use bedrock_cost_monitor::config;
use bedrock_cost_monitor::diag::TomlDoc;
use bedrock_cost_monitor::pricing::{
    file, PriceOptions, PriceOutcome, PriceTable, Pricer, Resolution, ServiceTier, TokenType, UnpricedReason,
    Usage,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

fn shipped() -> PriceTable {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/monitor.toml");
    config::load_with_env(&path, &|_| None, SystemClock.now()).expect("shipped config is valid").prices
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-06T00:00:00Z").unwrap().with_timezone(&Utc)
}

fn one_million_input() -> Usage {
    Usage::new().with(TokenType::Input, 1_000_000)
}

static NO_PROFILES: BTreeMap<String, String> = BTreeMap::new();

fn price<'t>(table: &'t PriceTable, id: &str, region: &str) -> PriceOutcome<'t> {
    let pricer = Pricer::new(table, &NO_PROFILES);
    pricer.price(id, region, now(), &one_million_input(), PriceOptions::default()).unwrap()
}

/// A concrete base ID of each model: its first pattern, a dated revision filled in.
fn base_ids(table: &PriceTable) -> Vec<(String, String)> {
    let models = table.catalog().models();
    models.iter().map(|m| (m.key.clone(), m.patterns[0].replace('*', "20990101-v1:0"))).collect()
}

#[test]
fn every_model_resolves_under_every_prefix_and_tier_suffix() {
    let table = shipped();
    let pricer = Pricer::new(&table, &NO_PROFILES);
    let tiers = [
        ("", ServiceTier::Standard),
        ("+default", ServiceTier::Standard),
        ("+priority", ServiceTier::Priority),
        ("+flex", ServiceTier::Flex),
        ("+reserved", ServiceTier::Reserved),
        ("+latency-optimized", ServiceTier::LatencyOptimized),
    ];
    for (key, base) in base_ids(&table) {
        for prefix in ["", "global.", "us.", "eu.", "jp.", "us-gov."] {
            for (suffix, tier) in &tiers {
                let id = format!("{prefix}{base}{suffix}");
                match pricer.resolve(&id) {
                    Resolution::Resolved(r) => {
                        assert_eq!(
                            (r.model.as_str(), &r.tier, r.base_id.as_str()),
                            (key.as_str(), tier, &*base),
                            "{id}"
                        )
                    }
                    other => panic!("{id}: {other:?}"),
                }
            }
        }
    }
}

#[test]
fn tiered_calls_are_unpriced_with_the_tier_named() {
    let table = shipped();
    let cases = [
        (
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0+priority",
            "Claude Sonnet 4.5",
            ServiceTier::Priority,
        ),
        ("us.anthropic.claude-opus-4-8+flex", "Claude Opus 4.8", ServiceTier::Flex),
        (
            "anthropic.claude-3-5-haiku-20241022-v1:0+latency-optimized",
            "Claude 3.5 Haiku",
            ServiceTier::LatencyOptimized,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-5+priority",
            "Claude Sonnet 5",
            ServiceTier::Priority,
        ),
        // The tier is refused before GovCloud is considered.
        ("us-gov.anthropic.claude-sonnet-5+priority", "Claude Sonnet 5", ServiceTier::Priority),
        ("global.anthropic.claude-haiku-5-5+turbo", "Claude Haiku 5.5", ServiceTier::Other("turbo".into())),
    ];
    for (id, name, tier) in cases {
        let region = if id.starts_with("us-gov.") { "us-gov-west-1" } else { "us-east-1" };
        let PriceOutcome::Unpriced { model_id, reason } = price(&table, id, region) else {
            panic!("{id} was priced")
        };
        assert_eq!(model_id, id);
        let text = reason.to_string();
        assert!(
            matches!(&reason, UnpricedReason::NoTierPrice { tier: t, .. } if *t == tier),
            "{id}: {reason:?}"
        );
        assert!(text.contains(&format!("no price for the `{tier}` tier of {name} in the table")), "{text}");
        assert!(text.contains(&format!("add a [[price]] with tier = \"{tier}\"")), "{text}");
    }
    let PriceOutcome::Unpriced { reason, .. } =
        price(&table, "us.anthropic.claude-opus-4-8+reserved", "us-east-1")
    else {
        panic!("reserved was priced")
    };
    assert!(
        reason.to_string().contains("billed per reserved tokens-per-minute per month, not per token"),
        "{reason}"
    );
}

#[test]
fn default_and_standard_suffixes_are_the_standard_tier() {
    let table = shipped();
    for id in ["us.anthropic.claude-opus-4-8+default", "us.anthropic.claude-opus-4-8+standard"] {
        let PriceOutcome::Priced(p) = price(&table, id, "us-east-1") else { panic!("{id} unpriced") };
        assert_eq!(
            (p.entry.id.as_str(), p.cost.total_usd),
            ("claude-opus-4-8:regional:2026-05-28", Decimal::new(55, 1))
        );
    }
}

/// A tier entry prices its own tier and scope only: the standard entries and
/// the other scopes are untouched, and nothing falls back across tiers.
#[test]
fn a_tier_entry_prices_its_tier_only() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/prices.toml")).unwrap();
    let priority = r#"
[[price]]
model = "claude-sonnet-4-5"
tier = "priority"
scope = "global"
from = 2026-12-01
source = "https://example.com/a-priority-rate-for-this-test"
checked = 2026-12-06
usd_per_million = { input = "5.25", output = "26.25", cache_read = "0.525", cache_write_5m = "6.5625", cache_write_1h = "10.50" }
"#;
    let doc = TomlDoc::parse("prices.toml", format!("{text}{priority}")).unwrap();
    let table = file::load(&doc).map_err(|d| d.to_string()).unwrap().table;
    let id = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";
    let PriceOutcome::Priced(p) = price(&table, &format!("{id}+priority"), "us-east-1") else {
        panic!("unpriced")
    };
    assert_eq!(p.entry.id, "claude-sonnet-4-5:global+priority:2026-12-01");
    assert_eq!(p.cost.total_usd, Decimal::from_str("5.25").unwrap());
    let PriceOutcome::Priced(p) = price(&table, id, "us-east-1") else { panic!("unpriced") };
    assert_eq!(
        (p.entry.id.as_str(), p.cost.total_usd),
        ("claude-sonnet-4-5:global:2025-09-29", Decimal::new(3, 0))
    );
    // Regional priority calls have no entry: unpriced, not the global priority rate.
    let us = "us.anthropic.claude-sonnet-4-5-20250929-v1:0+priority";
    let PriceOutcome::Unpriced { reason, .. } = price(&table, us, "us-east-1") else { panic!("{us} priced") };
    assert!(reason.to_string().contains("`priority` tier"), "{reason}");
}

#[test]
fn govcloud_calls_without_a_govcloud_entry_are_unpriced() {
    let table = shipped();
    let cases = [
        ("us-gov.anthropic.claude-haiku-4-5-20251001-v1:0", "us-gov-west-1", "Claude Haiku 4.5"),
        ("anthropic.claude-3-haiku-20240307-v1:0", "us-gov-west-1", "Claude 3 Haiku"),
        ("us-gov.anthropic.claude-opus-4-6-v1", "us-gov-east-1", "Claude Opus 4.6"),
        // A `us-gov.` profile is GovCloud even where the region says otherwise.
        ("us-gov.anthropic.claude-sonnet-4-6", "us-east-1", "Claude Sonnet 4.6"),
        ("global.anthropic.claude-opus-5-5", "us-gov-west-1", "Claude Opus 5.5"),
    ];
    for (id, region, name) in cases {
        let PriceOutcome::Unpriced { reason, .. } = price(&table, id, region) else { panic!("{id} priced") };
        assert!(matches!(reason, UnpricedReason::NoGovCloudPrice { .. }), "{id}: {reason:?}");
        let text = reason.to_string();
        assert!(text.contains(&format!("no GovCloud price for {name} in the table")), "{text}");
        assert!(text.contains("scope = \"govcloud\""), "{text}");
    }
    // The same model outside GovCloud keeps its commercial price.
    let PriceOutcome::Priced(p) = price(&table, "us.anthropic.claude-haiku-4-5-20251001-v1:0", "us-east-1")
    else {
        panic!("unpriced")
    };
    assert_eq!(p.cost.total_usd, Decimal::from_str("1.1").unwrap());
}

/// GovCloud entries price GovCloud calls at 1.2× global (1M input tokens).
#[test]
fn govcloud_entries_price_govcloud_calls() {
    let table = shipped();
    for (id, region, entry, usd) in [
        (
            "us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "us-gov-west-1",
            "claude-sonnet-4-5:govcloud:2025-09-29",
            "3.6",
        ),
        (
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "us-gov-east-1",
            "claude-sonnet-4-5:govcloud:2025-09-29",
            "3.6",
        ),
        ("us-gov.anthropic.claude-opus-4-8", "us-gov-west-1", "claude-opus-4-8:govcloud:2026-05-28", "6"),
        ("us-gov.anthropic.claude-sonnet-5", "us-gov-east-1", "claude-sonnet-5:govcloud:2026-06-30", "2.4"),
    ] {
        let PriceOutcome::Priced(p) = price(&table, id, region) else { panic!("{id} unpriced") };
        assert_eq!((p.entry.id.as_str(), p.cost.total_usd), (entry, Decimal::from_str(usd).unwrap()), "{id}");
    }
}

/// New undated IDs never fall into an older or a neighbouring model's pattern.
#[test]
fn undated_ids_resolve_to_their_own_model_only() {
    let table = shipped();
    let pricer = Pricer::new(&table, &NO_PROFILES);
    let key = |id: &str| match pricer.resolve(id) {
        Resolution::Resolved(r) => r.model,
        Resolution::Unpriced { reason, .. } => format!("unpriced: {reason}"),
    };
    for (id, want) in [
        ("anthropic.claude-opus-4-8", "claude-opus-4-8"),
        ("anthropic.claude-opus-4-8-v1:0", "claude-opus-4-8"),
        ("anthropic.claude-opus-4-7", "claude-opus-4-7"),
        ("anthropic.claude-opus-4-6-v1", "claude-opus-4-6"),
        ("anthropic.claude-opus-4-20250514-v1:0", "claude-opus-4"),
        ("anthropic.claude-opus-5", "claude-opus-5"),
        ("anthropic.claude-opus-5-5", "claude-opus-5-5"),
        ("anthropic.claude-sonnet-5", "claude-sonnet-5"),
        ("anthropic.claude-sonnet-5-5", "claude-sonnet-5-5"),
        ("anthropic.claude-fable-5", "claude-fable-5"),
        ("anthropic.claude-fable-5-1", "claude-fable-5-1"),
        ("anthropic.claude-haiku-5-5", "claude-haiku-5-5"),
        ("anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
    ] {
        assert_eq!(key(id), want, "{id}");
    }
    // A later minor version or an unknown dated revision is unknown, not its neighbour.
    for id in
        ["anthropic.claude-opus-5-6", "anthropic.claude-opus-4-9", "anthropic.claude-opus-5-20270101-v1:0"]
    {
        assert!(key(id).starts_with("unpriced: model"), "{id}: {}", key(id));
    }
}
