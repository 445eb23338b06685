//! Rendering tests: a known snapshot gives exactly the expected samples.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use prometheus::{Registry, TextEncoder};
use rust_decimal::Decimal;

use super::principal_collector::keep_more;
use super::self_metrics::{AwsApi, AwsOutcome, JobOutcome, SelfMetrics};
use super::snapshot::{price_rows, Snapshot};
use crate::alerts::AlertKind;
use crate::bedrock::BedrockMetric;
use crate::clock::ManualClock;
use crate::pricing::table::Prices;
use crate::pricing::{PriceEntry, PriceTable, Scope, ServiceTier, TokenType};
use crate::records::{Attribution, CallTotal, CostTotal, MetricPoint, MetricTotal, PrincipalTotal, Source};
use crate::scheduler::JobName;

const SONNET: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const FUTURE: &str = "anthropic.claude-future-9-v1:0";

fn usd(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, h, m, 0).unwrap()
}

fn cost(model_id: &str, model: Option<&str>, t: TokenType, tokens: u64, amount: &str) -> CostTotal {
    CostTotal {
        region: "us-east-1".into(),
        model_id: model_id.into(),
        model: model.map(String::from),
        token_type: t,
        tokens,
        usd: usd(amount),
    }
}

fn total(model_id: &str, metric: BedrockMetric, sum: f64) -> MetricTotal {
    MetricTotal { region: "us-east-1".into(), model_id: model_id.into(), metric, sum, count: sum }
}

fn point(metric: BedrockMetric, minute: DateTime<Utc>, sum: f64, count: Option<f64>) -> MetricPoint {
    MetricPoint { region: "us-east-1".into(), model_id: SONNET.into(), metric, minute, sum, count }
}

fn snapshot() -> Snapshot {
    let s = Some("claude-sonnet-4-5");
    Snapshot {
        cost_totals: vec![
            cost(SONNET, s, TokenType::Input, 1_000_000, "3.30"),
            cost(SONNET, s, TokenType::Output, 2_000, "0.033"),
            // Both TTLs fold into cache_write, summed exactly: 0.1 + 0.2 = 0.3.
            cost(SONNET, s, TokenType::CacheWrite5m, 1_000, "0.1"),
            cost(SONNET, s, TokenType::CacheWrite1h, 500, "0.2"),
            cost(FUTURE, None, TokenType::Input, 700, "0"),
            cost(FUTURE, None, TokenType::CacheWrite5m, 10, "0"),
            cost(FUTURE, None, TokenType::CacheWrite1h, 5, "0"),
        ],
        metric_totals: vec![
            total(SONNET, BedrockMetric::Invocations, 42.0),
            total(SONNET, BedrockMetric::InvocationClientErrors, 2.0),
            total(SONNET, BedrockMetric::InvocationServerErrors, 1.0),
            total(SONNET, BedrockMetric::InvocationThrottles, 3.0),
            total(SONNET, BedrockMetric::InputTokenCount, 1e6),
            total(FUTURE, BedrockMetric::Invocations, 7.0),
        ],
        latest_points: vec![
            point(BedrockMetric::InvocationLatency, at(10, 1), 1000.0, Some(4.0)),
            point(BedrockMetric::InvocationLatency, at(10, 0), 900.0, Some(3.0)),
            point(BedrockMetric::TimeToFirstToken, at(10, 1), 0.0, None),
            point(BedrockMetric::EstimatedTpmQuotaUsage, at(10, 0), 999.0, None),
            point(BedrockMetric::EstimatedTpmQuotaUsage, at(10, 1), 12345.0, None),
        ],
        models: [(SONNET.to_string(), s.map(String::from)), (FUTURE.to_string(), None)].into_iter().collect(),
        prices: Vec::new(),
        principal_totals: Vec::new(),
        call_totals: Vec::new(),
        principals_kept: Default::default(),
        model_ids_kept: [SONNET.to_string(), FUTURE.to_string()].into(),
        request_totals: Vec::new(),
        metadata_kept: Default::default(),
        bounds: [(
            ("us-east-1".to_string(), SONNET.to_string(), "claude-sonnet-4-5".to_string()),
            crate::pricing::bounds::Bounds {
                long_context_max_extra_usd: "1.35".parse().unwrap(),
                long_context_certain_minutes: 1,
                cache_ttl_low_usd: rust_decimal::Decimal::ZERO,
                cache_ttl_high_usd: "0.225".parse().unwrap(),
            },
        )]
        .into_iter()
        .collect(),
        primary_account: "123456789012".into(),
    }
}

fn share(principal: &str, attribution: Attribution, amount: &str) -> PrincipalTotal {
    PrincipalTotal {
        region: "us-east-1".into(),
        model_id: SONNET.into(),
        model: "claude-sonnet-4-5".into(),
        principal: principal.into(),
        attribution,
        usd: usd(amount),
    }
}

fn calls(principal: &str, error_code: Option<&str>, n: u64) -> CallTotal {
    CallTotal {
        region: "us-east-1".into(),
        model_id: SONNET.into(),
        principal: principal.into(),
        error_code: error_code.map(String::from),
        calls: n,
    }
}

#[test]
fn principals_beyond_the_cap_fold_into_other_and_unattributed_stays() {
    let (a, b, c) = ("arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b", "arn:aws:iam::1:user/c");
    let mut snap = snapshot();
    snap.cost_totals.clear();
    snap.metric_totals.clear();
    snap.latest_points.clear();
    snap.bounds.clear();
    snap.principal_totals = vec![
        share(a, Attribution::Estimated, "0.1"),
        share(b, Attribution::Exact, "5"),
        share(c, Attribution::Estimated, "0.2"),
        share("unattributed", Attribution::Unattributed, "0.7"),
    ];
    snap.call_totals =
        vec![calls(a, None, 3), calls(b, None, 10), calls(c, Some("AccessDeniedException"), 4)];
    // One label kept, as the refresher keeps it: the top spender.
    keep_more(&mut snap.principals_kept, &snap.principal_totals, &snap.call_totals, 1);
    // Summed in Decimal before the sample: 0.1 + 0.2 is 0.3, not 0.30000000000000004.
    let (_, lines) = render(snap);
    let s = format!("model=\"claude-sonnet-4-5\",model_id=\"{SONNET}\"");
    let expected = [
        format!("bedrock_principal_cost_usd_total{{account=\"123456789012\",attribution=\"estimated\",{s},principal=\"other\",region=\"us-east-1\"}} 0.3"),
        format!("bedrock_principal_cost_usd_total{{account=\"123456789012\",attribution=\"exact\",{s},principal=\"{b}\",region=\"us-east-1\"}} 5"),
        format!("bedrock_principal_cost_usd_total{{account=\"123456789012\",attribution=\"unattributed\",{s},principal=\"unattributed\",region=\"us-east-1\"}} 0.7"),
        format!("bedrock_principal_errors_total{{account=\"123456789012\",error_code=\"AccessDeniedException\",{s},principal=\"other\",region=\"us-east-1\"}} 4"),
        format!("bedrock_principal_invocations_total{{account=\"123456789012\",{s},principal=\"{b}\",region=\"us-east-1\"}} 10"),
        format!("bedrock_principal_invocations_total{{account=\"123456789012\",{s},principal=\"other\",region=\"us-east-1\"}} 3"),
    ];
    assert_eq!(lines, expected);
}

/// The non-comment lines of the exposition of `registry`.
fn samples(registry: &Registry) -> Vec<String> {
    let text = TextEncoder::new().encode_to_string(&registry.gather()).unwrap();
    text.lines().filter(|l| !l.starts_with('#')).map(String::from).collect()
}

fn render(snapshot: Snapshot) -> (Registry, Vec<String>) {
    let registry = Registry::new();
    let shared = Snapshot::shared();
    *shared.write().unwrap() = snapshot;
    super::register_ledger(&registry, shared).unwrap();
    let lines = samples(&registry);
    (registry, lines)
}

#[test]
fn renders_exactly_the_expected_domain_samples() {
    let (_, lines) = render(snapshot());
    // The primary account's rows are labelled with its ID.
    let a = "account=\"123456789012\"";
    let s = format!("model=\"claude-sonnet-4-5\",model_id=\"{SONNET}\",region=\"us-east-1\"");
    let f = format!("model=\"unpriced\",model_id=\"{FUTURE}\",region=\"us-east-1\"");
    // Token families carry the project too: `default` for bedrock-runtime usage.
    let sp =
        format!("model=\"claude-sonnet-4-5\",model_id=\"{SONNET}\",project=\"default\",region=\"us-east-1\"");
    let fp = format!("model=\"unpriced\",model_id=\"{FUTURE}\",project=\"default\",region=\"us-east-1\"");
    let expected = [
        format!("bedrock_cost_uncertainty_usd{{{a},bound=\"cache_ttl_high\",{s}}} 0.225"),
        format!("bedrock_cost_uncertainty_usd{{{a},bound=\"cache_ttl_low\",{s}}} 0"),
        format!("bedrock_cost_uncertainty_usd{{{a},bound=\"long_context_max_extra\",{s}}} 1.35"),
        format!("bedrock_cost_usd_total{{{a},{sp},token_type=\"cache_write\"}} 0.3"),
        format!("bedrock_cost_usd_total{{{a},{sp},token_type=\"input\"}} 3.3"),
        format!("bedrock_cost_usd_total{{{a},{sp},token_type=\"output\"}} 0.033"),
        format!("bedrock_estimated_tpm_quota_usage{{{a},{s}}} 12345"),
        format!("bedrock_invocation_errors_total{{{a},kind=\"client\",{s}}} 2"),
        format!("bedrock_invocation_errors_total{{{a},kind=\"server\",{s}}} 1"),
        format!("bedrock_invocation_errors_total{{{a},kind=\"throttle\",{s}}} 3"),
        format!("bedrock_invocation_latency_ms{{{a},{s}}} 250"),
        format!("bedrock_invocations_total{{{a},{s}}} 42"),
        format!("bedrock_invocations_total{{{a},{f}}} 7"),
        format!("bedrock_tokens_total{{{a},{sp},token_type=\"cache_write\"}} 1500"),
        format!("bedrock_tokens_total{{{a},{sp},token_type=\"input\"}} 1000000"),
        format!("bedrock_tokens_total{{{a},{sp},token_type=\"output\"}} 2000"),
        format!("bedrock_tokens_total{{{a},{fp},token_type=\"cache_write\"}} 15"),
        format!("bedrock_tokens_total{{{a},{fp},token_type=\"input\"}} 700"),
        format!("bedrock_unpriced_tokens_total{{{a},model_id=\"{FUTURE}\",project=\"default\",region=\"us-east-1\",token_type=\"cache_write\"}} 15"),
        format!("bedrock_unpriced_tokens_total{{{a},model_id=\"{FUTURE}\",project=\"default\",region=\"us-east-1\",token_type=\"input\"}} 700"),
    ];
    assert_eq!(lines, expected);
}

#[test]
fn unpriced_series_never_appear_in_cost() {
    let (_, lines) = render(snapshot());
    assert!(lines.iter().filter(|l| l.starts_with("bedrock_cost_usd_total")).all(|l| !l.contains(FUTURE)));
    assert!(lines.iter().any(|l| l.starts_with("bedrock_unpriced_tokens_total") && l.contains(FUTURE)));
}

#[test]
fn families_have_the_contract_types() {
    let registry = render(snapshot()).0;
    let text = TextEncoder::new().encode_to_string(&registry.gather()).unwrap();
    for counter in ["tokens_total", "cost_usd_total", "unpriced_tokens_total", "invocations_total"] {
        assert!(text.contains(&format!("# TYPE bedrock_{counter} counter\n")), "{counter}");
    }
    assert!(text.contains("# TYPE bedrock_invocation_errors_total counter\n"));
    assert!(text.contains("# TYPE bedrock_invocation_latency_ms gauge\n"));
}

#[test]
fn money_is_exact_until_the_sample() {
    // Many sub-cent amounts: summed in Decimal, one conversion at the end.
    let mut snap = Snapshot::default();
    for i in 0..1000 {
        let t = if i % 2 == 0 { TokenType::CacheWrite5m } else { TokenType::CacheWrite1h };
        let mut line = cost(SONNET, Some("m"), t, 1, "0.000001");
        snap.model_ids_kept.insert(SONNET.to_string());
        line.region = format!("r{}", i / 2);
        snap.cost_totals.push(line.clone());
        line.region = "all".into();
        snap.cost_totals.push(line);
    }
    let (_, lines) = render(snap);
    let all =
        lines.iter().find(|l| l.starts_with("bedrock_cost_usd_total") && l.contains("\"all\"")).unwrap();
    assert!(all.ends_with(" 0.001"), "{all}");
    assert!(lines
        .iter()
        .filter(|l| l.starts_with("bedrock_cost_usd_total{") && l.contains("\"r1\""))
        .all(|l| l.ends_with(" 0.000002")));
}

fn entry(
    scope: Scope,
    region: Option<&str>,
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
) -> PriceEntry {
    let rates = ["3.30", "16.50", "0.33", "4.125", "6.60"];
    let prices = Prices(TokenType::ALL.into_iter().zip(rates.map(usd)).collect());
    PriceEntry {
        id: PriceEntry::make_id("claude-sonnet-4-5", scope, &ServiceTier::Standard, region, from),
        model: "claude-sonnet-4-5".into(),
        tier: ServiceTier::Standard,
        scope,
        region: region.map(String::from),
        from,
        until,
        source: "test".into(),
        checked: from.date_naive(),
        prices,
        long_context: None,
        batch_discount: usd("0.5"),
    }
}

#[test]
fn price_gauge_shows_entries_in_force_with_an_empty_region_unless_overridden() {
    let table = PriceTable::new(
        Default::default(),
        vec![
            entry(Scope::Regional, None, at(0, 0), None),
            entry(Scope::Regional, Some("eu-west-3"), at(0, 0), None),
            entry(Scope::Global, None, at(0, 0), Some(at(9, 0))),
            entry(Scope::All, None, at(11, 0), None),
            // Not exported: the family has no tier label, and the same labels twice would break the scrape.
            PriceEntry { tier: ServiceTier::Priority, ..entry(Scope::Regional, None, at(0, 0), None) },
        ],
    );
    let rows = price_rows(&table, at(10, 0));
    assert_eq!(rows.len(), 10);
    let (_, lines) = render(Snapshot { prices: rows, ..Snapshot::default() });
    let p = "bedrock_price_usd_per_million_tokens{model=\"claude-sonnet-4-5\"";
    let expected: Vec<String> = [("", "3.3"), ("eu-west-3", "3.3")]
        .iter()
        .flat_map(|(region, input)| {
            [
                ("cache_read", "0.33"),
                ("cache_write", "4.125"),
                ("cache_write_1h", "6.6"),
                ("input", input),
                ("output", "16.5"),
            ]
            .map(|(t, v)| format!("{p},region=\"{region}\",scope=\"regional\",token_type=\"{t}\"}} {v}"))
        })
        .collect();
    assert_eq!(lines, expected);
}

#[test]
fn self_metrics_render_with_typed_labels_and_exact_api_cost() {
    let registry = Registry::new();
    let clock = Arc::new(ManualClock::new(at(12, 0)));
    let m = SelfMetrics::new(&registry, clock).unwrap();
    m.shards.set_primary_account("123456789012");
    m.job_finished(JobName::CLOUDWATCH, JobOutcome::Success, std::time::Duration::from_millis(1500));
    m.job_finished(JobName::CLOUDWATCH, JobOutcome::Skipped, std::time::Duration::ZERO);
    m.job_failed(JobName::CLOUDTRAIL, crate::scheduler::FailureKind::Throttled);
    m.record_aws_requests(AwsApi::GET_METRIC_DATA, "us-east-1", AwsOutcome::Success, 3);
    m.record_aws_request(AwsApi::LOOKUP_EVENTS, "us-east-1", AwsOutcome::Throttled);
    m.add_cloudwatch_metrics_requested("us-east-1", 480);
    m.add_cloudwatch_metrics_requested("111122223333/eu-west-1", 20);
    for _ in 0..3 {
        m.add_api_cost(usd("0.1"));
    }
    m.set_data_lag(Source::CloudWatch, "us-east-1", chrono::Duration::seconds(90));
    m.alert_published(AlertKind::BUDGET_THRESHOLD);
    m.set_leader(true);
    assert_eq!(m.api_cost(), usd("0.3"));
    let lines = samples(&registry);
    let version = env!("CARGO_PKG_VERSION");
    for expected in [
        "bedrock_monitor_alerts_published_total{kind=\"budget.threshold\"} 1".to_string(),
        "bedrock_monitor_aws_api_cost_usd_total 0.3".to_string(),
        "bedrock_monitor_aws_requests_total{account=\"123456789012\",api=\"GetMetricData\",outcome=\"success\",region=\"us-east-1\"} 3".to_string(),
        "bedrock_monitor_aws_requests_total{account=\"123456789012\",api=\"LookupEvents\",outcome=\"throttled\",region=\"us-east-1\"} 1".to_string(),
        format!("bedrock_monitor_build_info{{version=\"{version}\"}} 1"),
        "bedrock_monitor_cloudwatch_metrics_requested_total{account=\"123456789012\",region=\"us-east-1\"} 480".to_string(),
        "bedrock_monitor_cloudwatch_metrics_requested_total{account=\"111122223333\",region=\"eu-west-1\"} 20".to_string(),
        "bedrock_monitor_data_lag_seconds{account=\"123456789012\",region=\"us-east-1\",source=\"cloudwatch\"} 90".to_string(),
        "bedrock_monitor_job_duration_seconds_count{job=\"cloudwatch\"} 1".to_string(),
        "bedrock_monitor_job_duration_seconds_sum{job=\"cloudwatch\"} 1.5".to_string(),
        "bedrock_monitor_job_failures_total{job=\"cloudtrail\",kind=\"throttled\"} 1".to_string(),
        "bedrock_monitor_job_runs_total{job=\"cloudwatch\",outcome=\"skipped\"} 1".to_string(),
        "bedrock_monitor_job_runs_total{job=\"cloudwatch\",outcome=\"success\"} 1".to_string(),
        format!("bedrock_monitor_last_success_timestamp_seconds{{job=\"cloudwatch\"}} {}", at(12, 0).timestamp()),
        "bedrock_monitor_leader 1".to_string(),
    ] {
        assert!(lines.contains(&expected), "missing {expected} in\n{}", lines.join("\n"));
    }
}

#[test]
fn the_dynamodb_store_adds_its_requests_units_and_cost_at_scrape_time() {
    use crate::ledger::StoreUsage;
    use std::sync::Mutex;
    let registry = Registry::new();
    let m = SelfMetrics::new(&registry, Arc::new(ManualClock::new(at(12, 0)))).unwrap();
    let meter = Arc::new(Mutex::new(StoreUsage::default()));
    let source = meter.clone();
    m.watch_store(&registry, Arc::new(move || source.lock().unwrap().clone())).unwrap();
    m.add_api_cost(usd("0.01"));
    assert_eq!(m.api_cost(), usd("0.01"), "nothing sent yet costs nothing");

    *meter.lock().unwrap() = StoreUsage {
        requests: [("Query", 4), ("TransactWriteItems", 4)].into_iter().collect(),
        items_read: 300,
        items_written: 398,
        read_units: 51,
        write_units: 795,
    };
    // 795 x 0.000000625 + 51 x 0.000000125 = 0.000503250
    assert_eq!(m.api_cost(), usd("0.01050325"), "read live from the meter, exactly");
    let lines = samples(&registry);
    for expected in [
        "bedrock_monitor_aws_api_cost_usd_total 0.01050325",
        "bedrock_monitor_dynamodb_capacity_units_total{kind=\"read\"} 51",
        "bedrock_monitor_dynamodb_capacity_units_total{kind=\"write\"} 795",
        "bedrock_monitor_dynamodb_requests_total{operation=\"Query\"} 4",
        "bedrock_monitor_dynamodb_requests_total{operation=\"TransactWriteItems\"} 4",
    ] {
        assert!(lines.iter().any(|l| l == expected), "missing {expected} in\n{}", lines.join("\n"));
    }
    assert!(m.watch_store(&registry, Arc::new(StoreUsage::default)).is_err(), "one store per registry");
}

#[test]
fn a_new_top_spender_does_not_make_other_decrease() {
    let (a, b) = ("arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b");
    let mut snap = snapshot();
    snap.cost_totals.clear();
    snap.metric_totals.clear();
    snap.latest_points.clear();
    snap.bounds.clear();
    snap.principal_totals = vec![share(a, Attribution::Exact, "5"), share(b, Attribution::Exact, "1")];
    keep_more(&mut snap.principals_kept, &snap.principal_totals, &[], 1);
    let other = |lines: &[String]| -> Vec<String> {
        lines.iter().filter(|l| l.contains("principal=\"other\"")).cloned().collect()
    };
    let (_, before) = render(snap.clone());
    // b overtakes a: re-ranking would move a into `other` and b out of it.
    snap.principal_totals = vec![share(a, Attribution::Exact, "5"), share(b, Attribution::Exact, "50")];
    keep_more(&mut snap.principals_kept, &snap.principal_totals, &[], 1);
    let (_, after) = render(snap);
    assert!(before.iter().any(|l| l.contains(&format!("principal=\"{a}\""))));
    assert!(after.iter().any(|l| l.contains(&format!("principal=\"{a}\""))), "a keeps its label");
    assert_eq!(other(&before).len(), 1);
    assert!(other(&after)[0].ends_with(" 50"), "b stays in other, which only grew: {after:?}");
}

#[test]
fn a_member_accounts_rows_carry_its_id_and_plain_region() {
    let s = Some("claude-sonnet-4-5");
    let mut member = cost(SONNET, s, TokenType::Input, 10, "0.00003");
    member.region = "111122223333/eu-west-1".into();
    let snap = Snapshot {
        cost_totals: vec![cost(SONNET, s, TokenType::Input, 20, "0.00006"), member],
        model_ids_kept: [SONNET.to_string()].into(),
        primary_account: "123456789012".into(),
        ..Snapshot::default()
    };
    let (_, lines) = render(snap);
    let cost_lines: Vec<&String> = lines.iter().filter(|l| l.starts_with("bedrock_cost_usd_total")).collect();
    let rest = format!("model=\"claude-sonnet-4-5\",model_id=\"{SONNET}\",project=\"default\"");
    assert_eq!(
        cost_lines,
        [
            &format!("bedrock_cost_usd_total{{account=\"111122223333\",{rest},region=\"eu-west-1\",token_type=\"input\"}} 0.00003"),
            &format!("bedrock_cost_usd_total{{account=\"123456789012\",{rest},region=\"us-east-1\",token_type=\"input\"}} 0.00006"),
        ]
    );
}
