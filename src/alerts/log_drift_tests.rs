use std::str::FromStr;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;

use super::*;
use crate::pricing::TokenType;
use crate::records::{LinePricing, RequestTokens};

fn line(model_id: &str, tokens: u64) -> CostLine {
    CostLine {
        region: "us-east-1".into(),
        model_id: model_id.into(),
        minute: Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
        token_type: TokenType::Input,
        tokens,
        pricing: LinePricing::Unpriced { reason: "test".into() },
    }
}

fn row(model_id: &str, input: u64) -> RequestSum {
    RequestSum {
        minute: Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
        region: "us-east-1".into(),
        model_id: model_id.into(),
        model: None,
        principal: "p".into(),
        dimensions: Default::default(),
        requests: 1,
        tokens: RequestTokens { input, ..RequestTokens::default() },
        usd: Decimal::ZERO,
        long_context: 0,
        ttl_assumed: 0,
    }
}

const SONNET: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

#[test]
fn drift_table() {
    let window = (
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 12, 1, 11, 0, 0).unwrap(),
    );
    let mantle = line("mantle/proj_1/anthropic.claude-opus-4-7", 1_000_000);
    // (case, CloudWatch lines, logged rows, failures, ratio, exceeds at 2 % and 1,000 tokens)
    let cases = [
        ("agree", vec![line(SONNET, 100_000)], vec![row(SONNET, 100_000)], 0, "0", false),
        ("within tolerance", vec![line(SONNET, 100_000)], vec![row(SONNET, 99_000)], 0, "0.01", false),
        ("logging off", vec![line(SONNET, 100_000)], vec![], 0, "1", true),
        ("half missing", vec![line(SONNET, 100_000)], vec![row(SONNET, 50_000)], 0, "0.5", true),
        // Far apart in share but under the token floor: noise of a quiet hour.
        ("quiet", vec![line(SONNET, 500)], vec![], 0, "1", false),
        // Mantle is never logged: it takes no part.
        (
            "mantle ignored",
            vec![line(SONNET, 10_000), mantle.clone()],
            vec![row(SONNET, 10_000)],
            0,
            "0",
            false,
        ),
        ("nothing", vec![], vec![], 0, "0", false),
        ("logs only", vec![], vec![row(SONNET, 5_000)], 0, "-1", true),
        ("delivery failures", vec![line(SONNET, 100_000)], vec![row(SONNET, 100_000)], 3, "0", true),
    ];
    for (name, lines, rows, failures, ratio, exceeds) in cases {
        let mut d = Drift::of("us-east-1", window, &lines, &rows);
        d.delivery_failures = failures;
        assert_eq!(d.ratio(), Decimal::from_str(ratio).unwrap(), "{name}");
        assert_eq!(d.exceeds(Decimal::from(2), 1_000), exceeds, "{name}");
    }
}

#[test]
fn the_alert_names_the_models_furthest_apart() {
    let window = (
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 12, 1, 11, 0, 0).unwrap(),
    );
    let haiku = "anthropic.claude-3-haiku-20240307-v1:0";
    let d =
        Drift::of("us-east-1", window, &[line(SONNET, 100_000), line(haiku, 10_000)], &[row(haiku, 10_000)]);
    let since = window.1;
    let m = drift_alert(&d, since, since);
    assert_eq!(m.subject, "Invocation logs in us-east-1 miss 90.91% of CloudWatch's tokens");
    let body = m.body();
    assert_eq!(body["models"][0]["model_id"], SONNET);
    assert_eq!(body["cloudwatch_tokens"], 110_000);
}
