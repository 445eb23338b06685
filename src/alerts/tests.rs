//! Tests of the pure alert builders: dedupe keys (what makes each alert
//! exactly-once and each period fresh), payload fields and subjects.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::budget::{alerts, burn_rate_alert};
use super::kind::AlertKind;
use super::ops;
use crate::budgets::{BudgetState, BudgetStatus, BurnRate, PeriodInfo, SpendItem};
use crate::config::budget::{AlertSeverity, OnExceeded, Period};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn status(spend: &str, forecast: &str, crossed: Vec<u32>, start: &str) -> BudgetStatus {
    BudgetStatus {
        budget: "team-daily".into(),
        principal: None,
        metadata: None,
        period: PeriodInfo {
            kind: Period::Day,
            start: at(start),
            end: at(start) + chrono::Duration::days(1),
            timezone: "UTC".into(),
        },
        spend_usd: d(spend),
        limit_usd: d("250.00"),
        remaining_usd: d("250.00") - d(spend),
        utilization: (d(spend) / d("250")).round_dp(6),
        forecast_usd: Some(d(forecast)),
        state: BudgetState::Warning,
        on_exceeded: OnExceeded::Deny,
        severity: AlertSeverity::Critical,
        thresholds_crossed: crossed,
        burn_rate: None,
        top_models: vec![SpendItem { name: "claude-sonnet-4-5".into(), usd: d("150.123456") }],
        top_principals: vec![],
        unpriced_tokens: 0,
        evaluated_at: at("2026-03-01T12:00:00Z"),
        data_through: Some(at("2026-03-01T11:59:00Z")),
    }
}

#[test]
fn one_alert_per_threshold_and_period_with_decimal_strings() {
    let now = at("2026-03-01T12:00:00Z");
    let s = status("210.000000001", "300", vec![50, 80], "2026-03-01T00:00:00Z");
    let out = alerts(&s, true, now);
    let keys: Vec<&str> = out.iter().map(|m| m.dedupe_key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "budget.threshold:team-daily:2026-03-01T00:00:00Z:50",
            "budget.threshold:team-daily:2026-03-01T00:00:00Z:80",
            "budget.forecast:team-daily:2026-03-01T00:00:00Z",
        ]
    );
    let body = out[1].body();
    assert_eq!(body["spend_usd"], Value::from("210.000000001"));
    assert_eq!(body["limit_usd"], Value::from("250.00"));
    assert_eq!(body["threshold_pct"], Value::from(80));
    assert_eq!(body["period"]["start"], Value::from("2026-03-01T00:00:00Z"));
    assert_eq!(body["top_models"][0]["usd"], Value::from("150.123456"));
    assert_eq!(out[1].severity, "critical");
    assert_eq!(out[1].subject, "Budget team-daily reached 80%: 210.00 of 250.00 USD this day");
    assert!(body.get("unpriced_tokens").is_none(), "no note when everything in scope is priced");
    let mut partly = s.clone();
    partly.unpriced_tokens = 3_744_000;
    let body = alerts(&partly, true, now)[0].body();
    assert_eq!(body["unpriced_tokens"], Value::from(3_744_000));
    assert!(body["unpriced_note"].as_str().unwrap().contains("leaves out 3744000 tokens"), "{body}");
    // The next day is a new period: new keys.
    let next = alerts(&status("130", "200", vec![50], "2026-03-02T00:00:00Z"), true, now);
    assert_eq!(next[0].dedupe_key, "budget.threshold:team-daily:2026-03-02T00:00:00Z:50");
    assert_eq!(next.len(), 1, "no forecast alert under the limit");
    // Forecast alerts can be turned off, and are moot once the limit is reached.
    assert_eq!(alerts(&s, false, now).len(), 2);
    assert_eq!(alerts(&status("260", "400", vec![50, 80, 100], "2026-03-01T00:00:00Z"), true, now).len(), 3);
}

#[test]
fn per_principal_keys_name_the_principal_and_burn_alerts_their_episode() {
    let now = at("2026-03-01T12:00:00Z");
    let mut s = status("130", "100", vec![50], "2026-03-01T00:00:00Z");
    s.principal = Some("arn:aws:iam::1:role/app".into());
    assert_eq!(
        alerts(&s, true, now)[0].dedupe_key,
        "budget.threshold:team-daily@arn:aws:iam::1:role/app:2026-03-01T00:00:00Z:50"
    );
    assert!(burn_rate_alert(&s, now, now).is_none(), "no anomaly, no alert");
    s.burn_rate = Some(BurnRate { short_usd_per_hour: d("40"), long_usd_per_hour: d("2"), anomalous: true });
    let m = burn_rate_alert(&s, at("2026-03-01T11:45:00Z"), now).unwrap();
    assert_eq!(m.dedupe_key, "budget.burn_rate:team-daily@arn:aws:iam::1:role/app:2026-03-01T11:45:00Z");
    assert_eq!(m.body()["short_usd_per_hour"], Value::from("40"));
}

#[test]
fn operational_alert_keys() {
    let now = at("2026-03-01T12:00:00Z");
    let m = ops::unpriced_model("us-east-1", "anthropic.claude-opus-9", now);
    assert_eq!(
        (m.kind, m.dedupe_key.as_str()),
        (AlertKind::UNPRICED_MODEL, "pricing.unpriced_model:us-east-1:anthropic.claude-opus-9")
    );
    let m = ops::stalled(
        "cloudwatch",
        "eu-west-1",
        Some(at("2026-03-01T10:30:00Z")),
        at("2026-03-01T11:31:00Z"),
        60,
        now,
    );
    assert_eq!(m.dedupe_key, "collector.stalled:cloudwatch:eu-west-1:2026-03-01T11:31:00Z");
    assert_eq!(m.body()["lag_minutes"], Value::from(90));
    let spike = ops::Spike {
        kind: AlertKind::ACCESS_DENIED,
        error_code: "AccessDeniedException",
        region: "us-east-1".into(),
        count: 12,
        window_minutes: 15,
        threshold: 10,
        top_principals: vec![("arn:aws:iam::1:role/app".into(), 12)],
        top_models: vec![],
    };
    let m = ops::spike(&spike, at("2026-03-01T11:50:00Z"), now);
    assert_eq!(m.dedupe_key, "bedrock.access_denied:us-east-1:2026-03-01T11:50:00Z");
    assert_eq!(m.subject, "12 AccessDeniedException errors in us-east-1 within 15 minutes");
}

#[test]
fn stalled_table() {
    let started = at("2026-03-01T10:00:00Z");
    let bound = chrono::Duration::minutes(30);
    // (expected watermark, watermark, stalled)
    let cases = [
        (None, None, false),
        (Some("2026-03-01T10:30:00Z"), None, false),
        (Some("2026-03-01T10:31:00Z"), None, true),
        (Some("2026-03-01T12:00:00Z"), Some("2026-03-01T11:30:00Z"), false),
        (Some("2026-03-01T12:00:00Z"), Some("2026-03-01T11:29:00Z"), true),
        // Ahead of the schedule (a manual run, a clock step): never stalled.
        (Some("2026-03-01T12:00:00Z"), Some("2026-03-01T12:05:00Z"), false),
    ];
    for (expected, watermark, stalled) in cases {
        let (e, w) = (expected.map(at), watermark.map(at));
        assert_eq!(ops::is_stalled(e, w, started, bound), stalled, "{expected:?} {watermark:?}");
    }
}

/// What a healthy collector has at a given instant: the minute of its last
/// run scheduled a minute or more before, whatever the schedule.
#[test]
fn expected_watermark_follows_the_schedule() {
    let sched = |s: &str| s.parse::<crate::config::CronSchedule>().unwrap();
    let tz = chrono_tz::Europe::Berlin;
    let cases = [
        // A 5-second schedule: the run at 12:04:55 has landed by 12:05:56; its minute is 12:04.
        ("*/5 * * * * *", "2026-03-01T12:05:56Z", Some("2026-03-01T12:04:00Z")),
        ("*/5 * * * * *", "2026-03-01T12:06:01Z", Some("2026-03-01T12:05:00Z")),
        // Every 15 minutes at second 0: at 12:15:30 the 12:15 run may still be running.
        ("0 */15 * * * *", "2026-03-01T12:15:30Z", Some("2026-03-01T12:00:00Z")),
        ("0 */15 * * * *", "2026-03-01T12:16:01Z", Some("2026-03-01T12:15:00Z")),
        // Business hours only (Berlin): overnight the 17:45 local run is the last one due.
        ("0 */15 9-17 * * Mon-Fri", "2026-03-03T02:00:00Z", Some("2026-03-02T16:45:00Z")),
    ];
    for (expr, now, want) in cases {
        assert_eq!(ops::expected_watermark(&sched(expr), &tz, at(now)), want.map(at), "{expr} at {now}");
    }
}

#[test]
fn spike_codes() {
    assert_eq!(ops::spike_error_code(AlertKind::ACCESS_DENIED), Some("AccessDeniedException"));
    assert_eq!(ops::spike_error_code(AlertKind::THROTTLING), Some("ThrottlingException"));
    assert_eq!(ops::spike_error_code(AlertKind::COLLECTOR_STALLED), None);
}
