//! The `model_id` bound: who keeps a label, that capping loses no token or
//! cent, and that no `other` counter decreases while IDs come and go.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use prometheus::proto::MetricType;
use rust_decimal::Decimal;

use super::*;
use crate::bedrock::project_of;
use crate::pricing::bounds::Bounds;
use crate::pricing::TokenType;
use crate::records::{Attribution, CallTotal, MetricTotal, PrincipalTotal};
use crate::telemetry::ledger_collector::{cost_sums, render};
use crate::telemetry::snapshot::Snapshot;

const SONNET: &str = "claude-sonnet-4-5";
const HAIKU: &str = "claude-haiku-4-5";

fn usd(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn line(region: &str, id: &str, model: Option<&str>, t: TokenType, tokens: u64, amount: &str) -> CostTotal {
    CostTotal {
        region: region.into(),
        model_id: id.into(),
        model: model.map(String::from),
        token_type: t,
        tokens,
        usd: usd(amount),
    }
}

fn kept_for(totals: &[CostTotal], seen: &[&str], cap: usize) -> BTreeSet<String> {
    let mut kept = BTreeSet::new();
    let rank = rank(totals, seen.iter().copied());
    crate::telemetry::sticky::keep_best(&mut kept, rank.into_iter().collect(), cap);
    kept
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_top_ids_by_cost_then_tokens_then_name_keep_their_label() {
    use TokenType::{Input, Output};
    let totals = vec![
        line("us-east-1", "us.a", Some(SONNET), Input, 10, "3"),
        line("eu-west-1", "us.a", Some(SONNET), Output, 10, "0.5"), // a: 3.5 over two regions
        line("us-east-1", "b", Some(HAIKU), Input, 1_000_000, "1"),
        line("us-east-1", "c", Some(HAIKU), Input, 5, "3.5"), // c ties a on cost, fewer tokens
        line("us-east-1", "unpriced.big", None, Input, 900, "0"),
        line("us-east-1", "unpriced.small", None, Input, 20, "0"),
    ];
    // (cap, IDs seen only in other families, kept)
    let cases: [(usize, &[&str], &[&str]); 6] = [
        (1, &[], &["us.a"]),
        (2, &[], &["c", "us.a"]),
        (3, &[], &["b", "c", "us.a"]),
        (4, &[], &["b", "c", "unpriced.big", "us.a"]),
        (
            6,
            &["z.calls-only", "y.calls-only"],
            &["b", "c", "unpriced.big", "unpriced.small", "us.a", "y.calls-only"],
        ),
        (100, &["z"], &["b", "c", "unpriced.big", "unpriced.small", "us.a", "z"]),
    ];
    for (cap, seen, want) in cases {
        assert_eq!(kept_for(&totals, seen, cap), set(want), "cap {cap}");
    }
    let kept = set(&["us.a"]);
    assert_eq!(label(&kept, "us.a"), "us.a");
    assert_eq!(label(&kept, "b"), OTHER);
}

/// Usage over regions, profiles, application profiles, mantle projects and
/// unpriced IDs, with amounts whose float sums would not be exact.
fn usage() -> Vec<CostTotal> {
    use TokenType::{CacheWrite1h, CacheWrite5m, Input, Output};
    let app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/";
    vec![
        line("us-east-1", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", Some(SONNET), Input, 7, "0.1"),
        line("us-east-1", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", Some(SONNET), Output, 3, "0.2"),
        line("us-east-1", &format!("{app}t1"), Some(SONNET), Input, 11, "0.000000000000001"),
        line("us-east-1", &format!("{app}t2"), Some(SONNET), Input, 13, "12345678901234.123456789012345"),
        line("us-east-1", &format!("{app}t3"), Some(SONNET), CacheWrite5m, 17, "0.3"),
        line("us-east-1", &format!("{app}t3"), Some(SONNET), CacheWrite1h, 19, "0.7"),
        line("eu-west-1", "eu.anthropic.claude-haiku-4-5-20251001-v1:0", Some(HAIKU), Input, 23, "1.1"),
        line("eu-west-1", "global.anthropic.claude-haiku-4-5-20251001-v1:0", Some(HAIKU), Input, 29, "2.2"),
        line("us-east-1", "mantle/alpha/anthropic.claude-haiku-4-5", Some(HAIKU), Input, 31, "0.03"),
        line("us-east-1", "mantle/beta/anthropic.claude-haiku-4-5", Some(HAIKU), Input, 37, "0.07"),
        line("us-east-1", "anthropic.claude-future-9-v1:0", None, Input, 41, "0"),
        line("us-east-1", "anthropic.claude-future-8-v1:0", None, Output, 43, "0"),
    ]
}

#[test]
fn capping_keeps_every_cost_and_token_sum_exact() {
    let totals = usage();
    let ledger_usd: Decimal = totals.iter().map(|t| t.usd).sum();
    let ledger_tokens: u64 = totals.iter().map(|t| t.tokens).sum();
    let ids: BTreeSet<&str> = totals.iter().map(|t| t.model_id.as_str()).collect();
    for cap in [1, 2, 3, 5, 8, ids.len(), 1000] {
        let kept = kept_for(&totals, &[], cap);
        let snapshot =
            Snapshot { cost_totals: totals.clone(), model_ids_kept: kept.clone(), ..Snapshot::default() };
        let sums = cost_sums(&snapshot);
        let usd: Decimal = sums.priced.values().map(|(_, u)| *u).sum();
        let tokens: u64 =
            sums.priced.values().map(|(n, _)| *n).sum::<u64>() + sums.unpriced.values().sum::<u64>();
        assert_eq!(usd, ledger_usd, "cap {cap}: the cost of every model_id series adds up to the ledger's");
        assert_eq!(tokens, ledger_tokens, "cap {cap}");
        let labels: BTreeSet<&str> =
            sums.priced.keys().map(|k| k[1]).chain(sums.unpriced.keys().map(|k| k[1])).collect();
        assert!(labels.len() <= cap + 1, "cap {cap}: {labels:?}");
        assert_eq!(labels.contains(OTHER), cap < ids.len(), "cap {cap}");
        // `other` keeps each folded ID's model and project.
        let folded = |t: &&CostTotal| !kept.contains(&t.model_id);
        let want: BTreeSet<(String, String)> = totals
            .iter()
            .filter(folded)
            .map(|t| (t.model.clone().unwrap_or("unpriced".into()), project_of(&t.model_id).to_string()))
            .collect();
        let got: BTreeSet<(String, String)> = sums
            .priced
            .keys()
            .filter(|k| k[1] == OTHER)
            .map(|k| (k[2].to_string(), k[3].to_string()))
            .chain(sums.unpriced.keys().filter(|k| k[1] == OTHER).map(|k| ("unpriced".into(), k[2].into())))
            .collect();
        assert_eq!(got, want, "cap {cap}");
    }
}

#[test]
fn other_is_one_exact_sample_per_model_project_and_token_type() {
    let app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/";
    let snapshot =
        Snapshot { cost_totals: usage(), model_ids_kept: set(&[&format!("{app}t2")]), ..Snapshot::default() };
    let lines = text(&snapshot);
    let other_sonnet =
        "bedrock_cost_usd_total{model=\"claude-sonnet-4-5\",model_id=\"other\",project=\"default\",\
                        region=\"us-east-1\",token_type=";
    // 0.1 + 0.000000000000001 (both inputs), 0.3 + 0.7 (both cache-write TTLs).
    assert!(lines.contains(&format!("{other_sonnet}\"input\"}} 0.100000000000001")), "{lines:#?}");
    assert!(lines.contains(&format!("{other_sonnet}\"cache_write\"}} 1")), "{lines:#?}");
    for (project, n) in [("alpha", 31), ("beta", 37)] {
        let want = format!(
            "bedrock_tokens_total{{model=\"claude-haiku-4-5\",model_id=\"other\",project=\"{project}\",\
             region=\"us-east-1\",token_type=\"input\"}} {n}"
        );
        assert!(lines.contains(&want), "{want} missing");
    }
    let unpriced =
        "bedrock_unpriced_tokens_total{model_id=\"other\",project=\"default\",region=\"us-east-1\",";
    assert!(lines.contains(&format!("{unpriced}token_type=\"input\"}} 41")));
    assert!(lines.contains(&format!("{unpriced}token_type=\"output\"}} 43")));
}

/// One snapshot of a history: cost per ID (one region, model, token type),
/// invocations, calls and shares derived from it, uncertainty bounds.
fn at_step(costs: &[(&str, &str)]) -> Snapshot {
    let mut s = Snapshot::default();
    for (id, amount) in costs {
        s.cost_totals.push(line("us-east-1", id, Some(SONNET), TokenType::Input, 1000, amount));
        let sum = f64::from_str(amount).unwrap();
        s.metric_totals.push(MetricTotal {
            region: "us-east-1".into(),
            model_id: id.to_string(),
            metric: crate::bedrock::BedrockMetric::Invocations,
            sum,
            count: sum,
        });
        s.call_totals.push(CallTotal {
            region: "us-east-1".into(),
            model_id: id.to_string(),
            principal: "arn:aws:iam::1:role/app".into(),
            error_code: None,
            calls: 7,
        });
        s.principal_totals.push(PrincipalTotal {
            region: "us-east-1".into(),
            model_id: id.to_string(),
            model: SONNET.into(),
            principal: "arn:aws:iam::1:role/app".into(),
            attribution: Attribution::Exact,
            usd: usd(amount),
        });
        let b = Bounds { long_context_max_extra_usd: usd("0.01"), ..Bounds::default() };
        s.bounds.insert(("us-east-1".into(), id.to_string(), SONNET.into()), b);
        s.models.insert(id.to_string(), Some(SONNET.into()));
    }
    s.principals_kept = set(&["arn:aws:iam::1:role/app"]);
    s
}

/// Every counter sample as (family and labels) → value.
fn counters(snapshot: &Snapshot) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let counter_families = render(snapshot).into_iter().filter(|f| f.get_field_type() == MetricType::COUNTER);
    for family in counter_families {
        for m in family.get_metric() {
            let labels: Vec<String> =
                m.get_label().iter().map(|l| format!("{}={}", l.name(), l.value())).collect();
            out.insert(format!("{}{{{}}}", family.name(), labels.join(",")), m.get_counter().value());
        }
    }
    out
}

fn text(snapshot: &Snapshot) -> Vec<String> {
    crate::telemetry::families::sample_lines(render(snapshot))
}

#[test]
fn no_counter_decreases_as_new_ids_appear_and_rankings_change() {
    // Cap 2: a and b are kept at start; c and d arrive when it is full, and
    // d overtakes everyone. Re-ranking would move d out of `other` and a in.
    let steps: [&[(&str, &str)]; 4] = [
        &[("a", "5"), ("b", "3")],
        &[("a", "5"), ("b", "3"), ("c", "1")],
        &[("a", "5.5"), ("b", "3"), ("c", "1.25"), ("d", "0.5")],
        &[("a", "5.5"), ("b", "3.1"), ("c", "1.25"), ("d", "90")],
    ];
    let mut kept = BTreeSet::new();
    let mut before: BTreeMap<String, f64> = BTreeMap::new();
    for (i, costs) in steps.iter().enumerate() {
        let mut snapshot = at_step(costs);
        let seen: Vec<&str> = snapshot.models.keys().map(String::as_str).collect();
        let r = rank(&snapshot.cost_totals, seen);
        crate::telemetry::sticky::keep_best(&mut kept, r.into_iter().collect(), 2);
        snapshot.model_ids_kept = kept.clone();
        let after = counters(&snapshot);
        for (series, value) in &before {
            let now = after.get(series).copied();
            assert!(now.is_some_and(|v| v >= *value), "step {i}: {series} went from {value} to {now:?}");
        }
        before = after;
    }
    assert_eq!(kept, set(&["a", "b"]));
    let other = "bedrock_cost_usd_total{model=claude-sonnet-4-5,model_id=other,project=default,\
                 region=us-east-1,token_type=input}";
    assert_eq!(before[other], 91.25);
    let principal = "bedrock_principal_cost_usd_total{attribution=exact,model=claude-sonnet-4-5,\
                     model_id=other,principal=arn:aws:iam::1:role/app,region=us-east-1}";
    assert_eq!(before[principal], 91.25, "principal families fold model IDs the same way");
}

#[test]
fn uncertainty_bounds_of_folded_ids_add_up() {
    let mut snapshot = at_step(&[("a", "5"), ("b", "3"), ("c", "1")]);
    snapshot.model_ids_kept = set(&["a"]);
    let lines = text(&snapshot);
    let bound = "bedrock_cost_uncertainty_usd{bound=\"long_context_max_extra\",model=\"claude-sonnet-4-5\",";
    assert!(lines.contains(&format!("{bound}model_id=\"a\",region=\"us-east-1\"}} 0.01")));
    assert!(lines.contains(&format!("{bound}model_id=\"other\",region=\"us-east-1\"}} 0.02")), "{lines:#?}");
}
