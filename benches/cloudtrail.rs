//! Benchmark: the CloudTrail path after the network, single thread, on
//! recorded-shape event JSON generated in-process (no emulator):
//!
//! - `parse_event` alone (the `CloudTrailEvent` string → `InvocationEvent`);
//! - `EventCollector` (name filter, `eventID` de-duplication, parse, window);
//! - `aggregate` (events → `CallCount`s per region, minute, model, principal, error);
//! - `attribute_window` (priced lines of every minute and model + call counts → shares);
//! - the three in a row, as one collection run does them.
//!
//! The mix: 3 models, 40 principals (role sessions, IAM users, an Identity
//! Center role), 4% errors, token counts on half the calls, 2% repeated IDs,
//! 1% control-plane events, over 60 minutes.
//!
//! `cargo bench --bench cloudtrail` (size: `BCM_BENCH_EVENTS`, default
//! 200,000; repetitions: `BCM_BENCH_REPS`, default 5). Without `--bench` (as
//! under `cargo test --all-targets`) it runs a thousand events once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::json;

use bedrock_cost_monitor::attribution::attribute_window;
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::records::{CallCount, CostLine, LinePricing};
use bedrock_cost_monitor::sources::cloudtrail::calls::aggregate;
use bedrock_cost_monitor::sources::cloudtrail::event::parse_event;
use bedrock_cost_monitor::sources::cloudtrail::fetch::{EventCollector, RawEvent};

const REGION: &str = "us-east-1";
/// (model ID, USD per million input, output, cache read)
const MODELS: [(&str, &str, &str, &str); 3] = [
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "3.30", "16.50", "0.33"),
    ("anthropic.claude-3-haiku-20240307-v1:0", "0.25", "1.25", "0.03"),
    ("global.anthropic.claude-opus-4-5-20251101-v1:0", "5", "25", "0.50"),
];
const MINUTES: usize = 60;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

fn identity(i: usize) -> serde_json::Value {
    match i % 40 {
        p @ 0..=19 => {
            let (role, session) = (p % 10, i % 7);
            json!({"type": "AssumedRole", "principalId": format!("AROAEXAMPLE{role}:worker-{session}"),
                "arn": format!("arn:aws:sts::111122223333:assumed-role/service-{role}/worker-{session}"),
                "accountId": "111122223333", "accessKeyId": "ASIAEXAMPLE",
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": format!("AROAEXAMPLE{role}"),
                    "arn": format!("arn:aws:iam::111122223333:role/apps/service-{role}"),
                    "accountId": "111122223333", "userName": format!("service-{role}")},
                    "attributes": {"creationDate": "2026-11-25T09:00:00Z", "mfaAuthenticated": "false"}}})
        }
        p @ 20..=37 => json!({"type": "IAMUser", "principalId": format!("AIDAEXAMPLE{p}"),
            "arn": format!("arn:aws:iam::111122223333:user/dev-{p}"), "accountId": "111122223333",
            "accessKeyId": "AKIAEXAMPLE", "userName": format!("dev-{p}")}),
        _ => json!({"type": "AssumedRole", "principalId": "AROAEXAMPLESSO:alice@example.com",
            "arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_DataScience_0a1b2c3d/alice@example.com",
            "accountId": "111122223333",
            "sessionContext": {"sessionIssuer": {"type": "Role", "accountId": "111122223333",
                "arn": "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScience_0a1b2c3d"}}}),
    }
}

/// `n` LookupEvents events, as the adapter hands them over: newest first.
fn raw_events(n: usize) -> Vec<RawEvent> {
    let step = (MINUTES * 60_000 / n.max(1)).max(1) as i64;
    (0..n)
        .rev()
        .map(|i| {
            // Every 50th event repeats a neighbour's ID, as overlapping pages do.
            let id_n = if i % 50 == 49 { i - 1 } else { i };
            let id = format!("0b3c{id_n:08}-6f0e-4d2a-9c1b-5e7f{:08x}", id_n.wrapping_mul(2_654_435_761));
            let at = start() + Duration::milliseconds(step * i as i64);
            let name = match i % 100 {
                0 => "ListFoundationModels",
                1..=40 => "InvokeModel",
                41..=70 => "Converse",
                71..=90 => "ConverseStream",
                _ => "InvokeModelWithResponseStream",
            };
            let mut r = json!({
                "eventVersion": "1.09", "userIdentity": identity(i),
                "eventTime": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                "eventSource": "bedrock.amazonaws.com", "eventName": name, "awsRegion": REGION,
                "sourceIPAddress": "198.51.100.7",
                "userAgent": "Boto3/1.35.10 md/Botocore#1.35.10 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.12.4",
                "requestParameters": {"modelId": MODELS[i % MODELS.len()].0},
                "responseElements": null, "additionalEventData": {"inferenceRegion": "us-east-2"},
                "requestID": format!("req-{i}"), "eventID": id, "readOnly": true, "eventType": "AwsApiCall",
                "managementEvent": true, "recipientAccountId": "111122223333", "eventCategory": "Management",
                "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                    "clientProvidedHostHeader": "bedrock-runtime.us-east-1.amazonaws.com"},
            });
            if i % 25 == 3 {
                r["errorCode"] = json!(if i % 2 == 0 { "AccessDeniedException" } else { "ThrottlingException" });
                r["errorMessage"] = json!("denied or throttled");
            } else if i % 2 == 0 {
                r["additionalEventData"]["inputTokens"] = json!(1000 + i % 3000);
                r["additionalEventData"]["outputTokens"] = json!(100 + i % 700);
            }
            RawEvent {
                event_id: Some(id),
                event_name: Some(name.to_string()),
                event_time: Some(at),
                cloudtrail_event: Some(r.to_string()),
            }
        })
        .collect()
}

fn usd(tokens: u64, per_million: &str) -> Decimal {
    Decimal::from(tokens) * per_million.parse::<Decimal>().unwrap() / Decimal::from(1_000_000)
}

/// What CloudWatch would have priced: every minute and model with calls, each
/// token type a little above what CloudTrail reported.
fn lines_for(calls: &[CallCount]) -> Vec<CostLine> {
    let mut tokens: BTreeMap<(DateTime<Utc>, &str), u64> = BTreeMap::new();
    for c in calls {
        *tokens.entry((c.minute, c.model_id.as_str())).or_default() +=
            c.calls * 500 + c.input_tokens.unwrap_or(0) + c.output_tokens.unwrap_or(0);
    }
    let mut out = Vec::new();
    for ((minute, model_id), t) in tokens {
        let (_, input, output, cache) = MODELS.iter().find(|m| m.0 == model_id).unwrap();
        for (token_type, n, rate) in [
            (TokenType::Input, t, input),
            (TokenType::Output, t / 5, output),
            (TokenType::CacheRead, t * 2, cache),
        ] {
            out.push(CostLine {
                region: REGION.into(),
                model_id: model_id.into(),
                minute,
                token_type,
                tokens: n,
                pricing: LinePricing::Priced {
                    model: "m".into(),
                    price_entry: "e".into(),
                    usd: usd(n, rate),
                },
            });
        }
    }
    out
}

fn names() -> Vec<String> {
    ["InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream"].map(String::from).to_vec()
}

fn collect(raw: &[RawEvent]) -> bedrock_cost_monitor::sources::EventFetch {
    let mut c = EventCollector::new(&names(), start(), start() + Duration::minutes(MINUTES as i64));
    raw.iter().for_each(|r| c.offer(r));
    c.finish()
}

/// The median of `reps` runs.
fn measure(reps: usize, f: impl FnMut()) -> StdDuration {
    let times = support::timings(reps, f);
    times[times.len() / 2]
}

#[allow(clippy::float_arithmetic)]
fn report(name: &str, items: usize, unit: &str, events: usize, d: StdDuration) {
    let secs = d.as_secs_f64();
    println!("| {name} | {items} {unit} | {:.0} | {:.1?} |", events as f64 / secs, d);
}

fn main() {
    let real = support::measuring();
    let (n, reps) = if real {
        (support::env_or("BCM_BENCH_EVENTS", 200_000), support::env_or("BCM_BENCH_REPS", 5).max(1))
    } else {
        (1_000, 1)
    };
    let raw = raw_events(n);
    let fetch = collect(&raw);
    let calls = aggregate(&fetch.events).calls;
    let lines = lines_for(&calls);
    let shares = attribute_window(&lines, &calls, &[]);
    let priced: Decimal = lines
        .iter()
        .map(|l| match &l.pricing {
            LinePricing::Priced { usd, .. } => *usd,
            _ => Decimal::ZERO,
        })
        .sum();
    assert_eq!(shares.iter().map(|s| s.usd).sum::<Decimal>(), priced, "shares conserve the priced cost");
    assert!(fetch.duplicates > 0 && fetch.other_events > 0 && fetch.malformed.is_empty());
    if !real {
        println!(
            "cloudtrail: smoke run ok (pass --bench, e.g. `cargo bench --bench cloudtrail`, to measure)"
        );
        return;
    }
    let bytes: usize = raw.iter().filter_map(|r| r.cloudtrail_event.as_ref()).map(String::len).sum();
    println!(
        "# CloudTrail path throughput, single thread: {n} events ({} KiB of JSON, {} kept), {} call counts, {} cost lines, {} shares; median of {reps}\n",
        bytes / 1024,
        fetch.events.len(),
        calls.len(),
        lines.len(),
        shares.len()
    );
    // Rates are per raw event of the run, whatever the stage's own input.
    println!("| stage | input | raw events/s | median time |");
    println!("|---|---:|---:|---:|");
    let texts: Vec<&str> = raw.iter().filter_map(|r| r.cloudtrail_event.as_deref()).collect();
    let d = measure(reps, || texts.iter().for_each(|t| drop(black_box(parse_event(black_box(t))))));
    report("parse_event", n, "records", n, d);
    let d = measure(reps, || drop(black_box(collect(black_box(&raw)))));
    report("EventCollector (filter, dedupe, parse, window)", n, "raw events", n, d);
    let d = measure(reps, || drop(black_box(aggregate(black_box(&fetch.events)))));
    report("aggregate → CallCount", fetch.events.len(), "events", n, d);
    let d = measure(reps, || drop(black_box(attribute_window(black_box(&lines), black_box(&calls), &[]))));
    report("attribute_window", lines.len(), "lines", n, d);
    let d = measure(reps, || {
        let f = collect(&raw);
        let c = aggregate(&f.events).calls;
        black_box(attribute_window(&lines, &c, &[]));
    });
    report("all three, per raw event", n, "raw events", n, d);
}
