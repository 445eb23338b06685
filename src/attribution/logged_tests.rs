//! Attribution from the invocation logs: every bucket exact, logs superseding
//! CloudTrail where both exist, the remainder explicit, money conserved.

use std::str::FromStr;

use chrono::{Duration, TimeZone};

use super::*;
use crate::records::RequestTokens;

const MODEL_ID: &str = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";

fn minute(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap() + Duration::minutes(n)
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn line(m: i64, token_type: TokenType, tokens: u64, usd: &str) -> CostLine {
    CostLine {
        region: "us-east-1".into(),
        model_id: MODEL_ID.into(),
        minute: minute(m),
        token_type,
        tokens,
        pricing: LinePricing::Priced {
            model: "claude-sonnet-4-5".into(),
            price_entry: "claude-sonnet-4-5:global:2025-09-29".into(),
            usd: d(usd),
        },
    }
}

fn logged(m: i64, principal: &str, tokens: RequestTokens) -> RequestSum {
    RequestSum {
        minute: minute(m),
        region: "us-east-1".into(),
        model_id: MODEL_ID.into(),
        model: Some("claude-sonnet-4-5".into()),
        principal: principal.into(),
        dimensions: Default::default(),
        requests: 1,
        tokens,
        usd: Decimal::ZERO,
        long_context: 0,
        ttl_assumed: 0,
    }
}

fn call(m: i64, principal: &str, calls: u64) -> CallCount {
    CallCount {
        region: "us-east-1".into(),
        minute: minute(m),
        model_id: MODEL_ID.into(),
        principal: principal.into(),
        error_code: None,
        calls,
        input_tokens: None,
        output_tokens: None,
    }
}

fn shares(got: &[PrincipalCost]) -> Vec<(i64, &str, Attribution, Decimal)> {
    got.iter()
        .map(|s| ((s.minute - minute(0)).num_minutes(), s.principal.as_str(), s.attribution, s.usd))
        .collect()
}

/// Sonnet global rates: input 3, output 15, 5m write 3.75 per million.
#[test]
fn logged_requests_make_every_bucket_exact() {
    let t = |input, output, cache_write_5m, cache_write_1h| RequestTokens {
        input,
        output,
        cache_write_5m,
        cache_write_1h,
        ..RequestTokens::default()
    };
    let lines = vec![
        line(0, TokenType::Input, 1_000, "0.003"),
        line(0, TokenType::Output, 400, "0.006"),
        // CloudWatch's one cache-write bucket: both of alice's TTLs.
        line(0, TokenType::CacheWrite5m, 300, "0.001125"),
        // Minute 1: the logs miss 100 of 1,000 input tokens.
        line(1, TokenType::Input, 1_000, "0.003"),
        // Minute 2: no logs at all; CloudTrail's estimate.
        line(2, TokenType::Input, 1_000, "0.003"),
    ];
    let logs = vec![
        logged(0, "alice", t(600, 100, 100, 200)),
        logged(0, "bob", t(400, 300, 0, 0)),
        logged(1, "alice", t(900, 0, 0, 0)),
    ];
    // CloudTrail saw the same calls (and carol's) in minutes 0 and 2.
    let calls = vec![call(0, "alice", 1), call(0, "carol", 5), call(2, "carol", 3), call(2, "bob", 1)];
    let got = attribute_window(&lines, &calls, &logs);
    use Attribution::{Estimated, Exact, Unattributed};
    assert_eq!(
        shares(&got),
        vec![
            (0, "alice", Exact, d("0.004425")),
            (0, "bob", Exact, d("0.0057")),
            (1, "alice", Exact, d("0.0027")),
            (1, UNATTRIBUTED_PRINCIPAL, Unattributed, d("0.0003")),
            (2, "bob", Estimated, d("0.00075")),
            (2, "carol", Estimated, d("0.00225")),
        ]
    );
    // Every minute's shares add up to its priced cost, to the last digit.
    for m in 0..3 {
        let cost: Decimal = lines
            .iter()
            .filter(|l| l.minute == minute(m))
            .map(|l| match &l.pricing {
                LinePricing::Priced { usd, .. } => *usd,
                LinePricing::Unpriced { .. } => Decimal::ZERO,
            })
            .sum();
        let shared: Decimal = got.iter().filter(|s| s.minute == minute(m)).map(|s| s.usd).sum();
        assert_eq!(shared, cost, "minute {m}");
    }
}
