#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use chrono::{Duration, TimeZone};
use proptest::prelude::*;

use super::*;

const MODEL_ID: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

fn minute(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap() + Duration::minutes(n)
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn line(token_type: TokenType, tokens: u64, usd: &str) -> CostLine {
    CostLine {
        region: "us-east-1".into(),
        model_id: MODEL_ID.into(),
        minute: minute(0),
        token_type,
        tokens,
        pricing: LinePricing::Priced {
            model: "claude-sonnet-4-5".into(),
            price_entry: "claude-sonnet-4-5:regional:2025-09-29".into(),
            usd: d(usd),
        },
    }
}

fn call(principal: &str, error: Option<&str>, calls: u64, tokens: (Option<u64>, Option<u64>)) -> CallCount {
    CallCount {
        region: "us-east-1".into(),
        minute: minute(0),
        model_id: MODEL_ID.into(),
        principal: principal.into(),
        error_code: error.map(String::from),
        calls,
        input_tokens: tokens.0,
        output_tokens: tokens.1,
    }
}

const NONE: (Option<u64>, Option<u64>) = (None, None);
const DENIED: Option<&str> = Some("AccessDeniedException");
use Attribution::{Estimated, Exact, Unattributed};
use TokenType::{CacheRead, Input, Output};

struct Case {
    name: &'static str,
    lines: Vec<CostLine>,
    calls: Vec<CallCount>,
    want: Vec<(&'static str, Attribution, &'static str)>,
}

/// The three kinds of share and the rounding rule.
fn split_cases() -> Vec<Case> {
    vec![
        Case {
            name: "no token counts: by successful invocations",
            lines: vec![line(Input, 1000, "0.003"), line(Output, 200, "0.003")],
            calls: vec![call("alice", None, 3, NONE), call("bob", None, 1, NONE)],
            want: vec![("alice", Estimated, "0.0045"), ("bob", Estimated, "0.0015")],
        },
        Case {
            name: "token counts for everyone: exact",
            lines: vec![line(Input, 1000, "0.003"), line(Output, 200, "0.003")],
            calls: vec![
                call("alice", None, 1, (Some(600), Some(150))),
                call("bob", None, 5, (Some(400), Some(50))),
            ],
            want: vec![("alice", Exact, "0.00405"), ("bob", Exact, "0.00195")],
        },
        Case {
            name: "mixed: exact tokens first, the rest by calls, leftover unit by largest remainder",
            lines: vec![line(Input, 1000, "0.001")],
            calls: vec![
                call("alice", None, 1, (Some(300), None)),
                call("bob", None, 2, NONE),
                call("carol", None, 1, NONE),
            ],
            want: vec![
                ("alice", Exact, "0.0003"),
                ("bob", Estimated, "0.000466666666667"),
                ("carol", Estimated, "0.000233333333333"),
            ],
        },
    ]
}

/// Errors, missing calls, cache lines and disagreeing token counts.
fn edge_cases() -> Vec<Case> {
    vec![
        Case {
            name: "failed calls never get cost",
            lines: vec![line(Input, 10, "0.00003")],
            calls: vec![
                call("alice", DENIED, 9, NONE),
                call("bob", None, 1, NONE),
                call("bob", Some("ThrottlingException"), 4, NONE),
            ],
            want: vec![("bob", Estimated, "0.00003")],
        },
        Case {
            name: "only failed calls: unattributed",
            lines: vec![line(Input, 10, "0.00003")],
            calls: vec![call("alice", DENIED, 9, NONE)],
            want: vec![("unattributed", Unattributed, "0.00003")],
        },
        Case {
            name: "no calls at all: unattributed",
            lines: vec![line(Input, 10, "0.00003"), line(Output, 1, "0.000015")],
            calls: vec![],
            want: vec![("unattributed", Unattributed, "0.000045")],
        },
        Case {
            name: "cache lines are estimated even for principals with exact input",
            lines: vec![line(CacheRead, 5000, "0.0015")],
            calls: vec![call("alice", None, 1, (Some(10), Some(10))), call("bob", None, 2, NONE)],
            want: vec![("alice", Estimated, "0.0005"), ("bob", Estimated, "0.001")],
        },
        Case {
            name: "reported tokens above CloudWatch's: shares scale to the larger count",
            lines: vec![line(Input, 100, "0.0003")],
            calls: vec![call("alice", None, 1, (Some(150), None)), call("bob", None, 1, (Some(50), None))],
            want: vec![("alice", Exact, "0.000225"), ("bob", Exact, "0.000075")],
        },
        Case {
            name: "everyone exact but CloudWatch saw more: the rest is unattributed",
            lines: vec![line(Input, 1000, "0.003")],
            calls: vec![call("alice", None, 1, (Some(400), None)), call("bob", None, 1, (Some(100), None))],
            want: vec![
                ("alice", Exact, "0.0012"),
                ("bob", Exact, "0.0003"),
                ("unattributed", Unattributed, "0.0015"),
            ],
        },
        Case {
            name: "one call of a principal without counts makes the principal estimated",
            lines: vec![line(Input, 100, "0.0003")],
            calls: vec![
                call("alice", None, 1, (Some(50), None)),
                call("alice", Some("x"), 1, NONE),
                call("bob", None, 1, (Some(50), None)),
                call("bob", None, 1, NONE),
            ],
            want: vec![("alice", Exact, "0.00015"), ("bob", Estimated, "0.00015")],
        },
        Case {
            name: "ties in the remainder go to the name that sorts first",
            lines: vec![line(Input, 1, "0.00000000000001")],
            calls: vec![
                call("carol", None, 1, NONE),
                call("bob", None, 1, NONE),
                call("alice", None, 1, NONE),
            ],
            want: vec![
                ("alice", Estimated, "0.000000000000004"),
                ("bob", Estimated, "0.000000000000003"),
                ("carol", Estimated, "0.000000000000003"),
            ],
        },
        Case {
            name: "an amount finer than the share scale keeps its own scale",
            lines: vec![line(Input, 1, "0.00000000000000000007")],
            calls: vec![call("alice", None, 1, NONE), call("bob", None, 1, NONE)],
            want: vec![
                ("alice", Estimated, "0.00000000000000000004"),
                ("bob", Estimated, "0.00000000000000000003"),
            ],
        },
    ]
}

#[test]
fn attribution_table() {
    for case in split_cases().into_iter().chain(edge_cases()) {
        let got = attribute_minute(&case.lines, &case.calls);
        let got: Vec<_> = got.iter().map(|s| (s.principal.as_str(), s.attribution, s.usd)).collect();
        let want: Vec<_> = case.want.iter().map(|(p, a, u)| (*p, *a, d(u))).collect();
        assert_eq!(got, want, "{}", case.name);
        let priced: Decimal = case.lines.iter().map(priced).sum();
        assert_eq!(got.iter().map(|s| s.2).sum::<Decimal>(), priced, "{}: conservation", case.name);
    }
}

fn priced(l: &CostLine) -> Decimal {
    match &l.pricing {
        LinePricing::Priced { usd, .. } => *usd,
        LinePricing::Unpriced { .. } => Decimal::ZERO,
    }
}

#[test]
fn unpriced_lines_are_left_alone_and_shares_carry_the_key() {
    let mut unpriced = line(Output, 99, "0");
    unpriced.pricing = LinePricing::Unpriced { reason: "unknown model".into() };
    let shares =
        attribute_minute(&[unpriced.clone(), line(Input, 1, "0.000003")], &[call("alice", None, 1, NONE)]);
    assert_eq!(shares.len(), 1);
    let s = &shares[0];
    assert_eq!(
        (s.region.as_str(), s.minute, s.model_id.as_str(), s.model.as_str()),
        ("us-east-1", minute(0), MODEL_ID, "claude-sonnet-4-5")
    );
    assert!(attribute_minute(&[unpriced], &[call("alice", None, 1, NONE)]).is_empty());
}

#[test]
fn a_window_is_split_minute_by_minute_and_model_by_model() {
    let at = |mut l: CostLine, m: i64, model_id: &str| {
        l.minute = minute(m);
        l.model_id = model_id.into();
        l
    };
    let c_at = |mut c: CallCount, m: i64, model_id: &str| {
        c.minute = minute(m);
        c.model_id = model_id.into();
        c
    };
    let lines = vec![
        at(line(Input, 10, "0.00003"), 0, MODEL_ID),
        at(line(Input, 10, "0.00003"), 1, MODEL_ID),
        at(line(Input, 10, "0.00001"), 1, "anthropic.claude-3-haiku-20240307-v1:0"),
    ];
    let calls = vec![
        c_at(call("alice", None, 1, NONE), 0, MODEL_ID),
        c_at(call("bob", None, 1, NONE), 1, MODEL_ID),
        // A minute without cost: nothing to split.
        c_at(call("carol", None, 1, NONE), 7, MODEL_ID),
    ];
    let shares = attribute_window(&lines, &calls, &[]);
    let got: Vec<_> =
        shares.iter().map(|s| (s.minute, s.model_id.as_str(), s.principal.as_str(), s.usd)).collect();
    assert_eq!(
        got,
        vec![
            (minute(0), MODEL_ID, "alice", d("0.00003")),
            (minute(1), "anthropic.claude-3-haiku-20240307-v1:0", "unattributed", d("0.00001")),
            (minute(1), MODEL_ID, "bob", d("0.00003")),
        ]
    );
}

fn arb_line() -> impl Strategy<Value = (usize, i64, TokenType, u64, Decimal)> {
    let token_type = prop::sample::select(TokenType::ALL.to_vec());
    let usd =
        (0u64..=10_000_000_000_000, 0u32..=12).prop_map(|(m, s)| Decimal::new(i64::try_from(m).unwrap(), s));
    (0usize..2, 0i64..3, token_type, 0u64..=2_000_000, usd)
}

fn arb_call() -> impl Strategy<Value = (usize, i64, usize, bool, u64, Option<u64>, Option<u64>)> {
    let tokens = prop::option::of(0u64..=2_000_000);
    (0usize..2, 0i64..3, 0usize..5, prop::bool::weighted(0.8), 0u64..50, tokens.clone(), tokens)
}

const MODELS: [&str; 2] = [MODEL_ID, "anthropic.claude-3-haiku-20240307-v1:0"];
const WHO: [&str; 5] = ["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b", "arn:aws:iam::1:user/c", "d", "e"];

proptest! {
    #[test]
    fn shares_conserve_money_exactly_are_never_negative_and_deterministic(
        raw_lines in prop::collection::vec(arb_line(), 0..12),
        raw_calls in prop::collection::vec(arb_call(), 0..16),
    ) {
        let lines: Vec<CostLine> = raw_lines.iter().map(|(m, t, tt, tokens, usd)| {
            let mut l = line(*tt, *tokens, "0");
            l.model_id = MODELS[*m].into();
            l.minute = minute(*t);
            l.pricing = LinePricing::Priced { model: "k".into(), price_entry: "e".into(), usd: *usd };
            l
        }).collect();
        let calls: Vec<CallCount> = raw_calls.iter().map(|(m, t, w, ok, n, i, o)| {
            let mut c = call(WHO[*w], if *ok { None } else { DENIED }, *n, (*i, *o));
            c.model_id = MODELS[*m].into();
            c.minute = minute(*t);
            c
        }).collect();
        let shares = attribute_window(&lines, &calls, &[]);
        let total: Decimal = lines.iter().map(priced).sum();
        prop_assert_eq!(shares.iter().map(|s| s.usd).sum::<Decimal>(), total);
        prop_assert!(shares.iter().all(|s| s.usd > Decimal::ZERO));
        // Per minute and model as well, not only in total.
        let mut per_key: BTreeMap<(DateTime<Utc>, String), Decimal> = BTreeMap::new();
        for l in &lines { *per_key.entry((l.minute, l.model_id.clone())).or_default() += priced(l); }
        for s in &shares { *per_key.entry((s.minute, s.model_id.clone())).or_default() -= s.usd; }
        prop_assert!(per_key.values().all(Decimal::is_zero));
        // Only principals with a successful call get anything but unattributed.
        for s in &shares {
            if s.attribution != Unattributed {
                prop_assert!(calls.iter().any(|c| c.principal == s.principal && c.error_code.is_none() && c.calls > 0
                    && c.minute == s.minute && c.model_id == s.model_id));
            }
        }
        // The same inputs in another order give the same shares.
        let (mut rl, mut rc) = (lines.clone(), calls.clone());
        rl.reverse();
        rc.reverse();
        prop_assert_eq!(attribute_window(&rl, &rc, &[]), shares);
    }
}
