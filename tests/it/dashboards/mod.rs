//! The Grafana dashboards and the Prometheus alert rules against a real
//! Prometheus scraping the real daemon: every dashboard query is tested.
//!
//! The daemon binary (`run`) collects the demo's simulated workload
//! (`sim::demo_series`, two hours of history, then live minutes) from the
//! emulator, plus what the demo does not simulate (time to first token,
//! quota usage, server errors) and CloudTrail events with errors. One of its
//! CloudWatch calls is throttled on purpose, so failure outcomes exist as
//! they would in production. Debian's `prometheus` scrapes it every second
//! and evaluates `deploy/prometheus/rules.yml`. Then:
//!
//! - every `expr` of every target of every panel of every dashboard in
//!   `dashboards/` returns at least one series, with Grafana's variables
//!   substituted (`$account`, `$region`, `$model`, `$principal` → `.*`; `$__interval`,
//!   `$__rate_interval` → `1m`; `$__range` → `1h`), and every panel uses the
//!   `${datasource}` variable;
//! - every template variable's `label_values(...)` has values;
//! - every alert of `rules.yml` is loaded and evaluates without error, and
//!   every metric selector in its expression returns data.
//!
//! Needs `tests/emulator/setup.sh` and `tests/tools/setup.sh` (prometheus).

mod checks;

use checks::{check_dashboards, check_rules, Findings};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::clock::{floor_minute, Clock, SystemClock};
use bedrock_cost_monitor::emulator::{Fault, FaultKind};
use bedrock_cost_monitor::sim::{demo_series, SimDatum};
use bedrock_cost_monitor::telemetry::probe;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::helpers::daemon::{process, TestConfig};
use crate::helpers::prometheus::{wait_for, Guarded, Prometheus};
use crate::helpers::workload::{publish_all, workload, EAST, HAIKU_45_US, SONNET_US, WEST};
use crate::helpers::{self, emulator};

/// The scrape job the rules and dashboards expect (deploy/prometheus/prometheus.yml).
const JOB: &str = "bedrock-cost-monitor";

/// Grafana's variables as the test evaluates them.
const GRAFANA_VALUES: &[(&str, &str)] = &[
    ("account", ".*"),
    ("region", ".*"),
    ("model", ".*"),
    ("principal", ".*"),
    ("__interval", "1m"),
    ("__rate_interval", "1m"),
    ("__range", "1h"),
];

const PRINCIPALS: [&str; 2] = ["dashboard-server-task", "reporting-job"];

/// A configuration shaped like config/demo.toml: both jobs every 2 seconds,
/// no retries (so that one throttled call fails one run), a budget.
fn write_config(dir: &Path, endpoint: &str, port: u16) -> PathBuf {
    TestConfig::scheduled(dir, endpoint, port)
        .max_attempts(1)
        .cloudwatch(
            "schedule = \"*/2 * * * * *\"\ndetail_schedule = \"*/2 * * * * *\"\n\
             restatement_minutes = 20\nbackfill_hours = 3\n",
        )
        .cloudtrail("schedule = \"*/10 * * * * *\"\noverlap_minutes = 20\nbackfill_hours = 3\n")
        .extra(
            "[sources.cost_explorer]\nenabled = true\n\n\
             [[budgets]]\nname = \"test-daily\"\nperiod = \"day\"\nlimit_usd = \"100.00\"\n",
        )
        .write()
}

/// A bill three days back (due for reconciliation), with a stale input rate
/// and a line nobody can place, for the reconciliation panels.
fn bill(today: chrono::NaiveDate) -> Vec<Value> {
    let day = (today - chrono::Duration::days(3)).to_string();
    let line = |service: &str, usage_type: &str, usd: &str, quantity: &str| serde_json::json!({ "day": day, "service": service, "usage_type": usage_type, "usd": usd, "quantity": quantity });
    vec![
        line("Amazon Bedrock", "USE1-Claude4.5Sonnet-input-tokens-cross-region-global", "3.30", "1000000"),
        line("Amazon Bedrock", "USE1-ProvisionedThroughput-ModelUnits", "2", "1"),
    ]
}

/// The demo's workload in `[start, end)`, plus streaming, quota and server
/// error datapoints for two series (the demo simulates none of these).
fn traffic(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<SimDatum> {
    let mut data = workload(&demo_series(), start, end);
    let mut minute = start;
    while minute < end {
        // Time to first token: 20 streaming calls a minute at 350 ms and 180 ms.
        for (region, model_id, ttft_sum_ms) in [(EAST, SONNET_US, 7_000.0), (WEST, HAIKU_45_US, 3_600.0)] {
            let datum = |metric, sum, count| SimDatum {
                region: region.into(),
                model_id: model_id.into(),
                metric,
                minute,
                sum,
                count,
            };
            data.push(datum(BedrockMetric::TimeToFirstToken, ttft_sum_ms, Some(20.0)));
            data.push(datum(BedrockMetric::EstimatedTpmQuotaUsage, 120_000.0, None));
            if minute.timestamp() % 600 == 0 {
                data.push(datum(BedrockMetric::InvocationServerErrors, 1.0, None));
            }
        }
        minute += chrono::Duration::minutes(1);
    }
    data
}

/// Bedrock runtime calls in CloudTrail's record format: two principals each
/// minute, and AccessDenied and Throttling errors now and then.
fn trail_events(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Value> {
    let mut events = Vec::new();
    let mut minute = start;
    let mut n = 0u32;
    while minute < end {
        for (i, role) in PRINCIPALS.iter().enumerate() {
            n += 1;
            let error = match n % 9 {
                0 => Some(("AccessDeniedException", "not authorized to perform: bedrock:InvokeModel")),
                4 => Some(("ThrottlingException", "Too many requests, please wait before trying again.")),
                _ => None,
            };
            let mut event = json!({
                "eventVersion": "1.09",
                "eventID": format!("00000000-0000-4000-8000-{n:012}"),
                "eventTime": (minute + chrono::Duration::seconds(7 + 11 * i as i64)).to_rfc3339(),
                "eventSource": "bedrock.amazonaws.com",
                "eventName": "InvokeModel",
                "eventType": "AwsApiCall",
                "awsRegion": EAST,
                "sourceIPAddress": "10.0.1.23",
                "userAgent": "aws-sdk-rust/1.3",
                "readOnly": false,
                "managementEvent": true,
                "recipientAccountId": "123456789012",
                "userIdentity": {
                    "type": "AssumedRole",
                    "principalId": format!("AROAEXAMPLE{i}:task-{i}"),
                    "arn": format!("arn:aws:sts::123456789012:assumed-role/{role}/task-{i}"),
                    "accountId": "123456789012",
                    "sessionContext": {
                        "sessionIssuer": {
                            "type": "Role",
                            "principalId": format!("AROAEXAMPLE{i}"),
                            "arn": format!("arn:aws:iam::123456789012:role/{role}"),
                            "accountId": "123456789012",
                            "userName": role,
                        }
                    }
                },
                "requestParameters": { "modelId": SONNET_US },
                "responseElements": null,
            });
            if let Some((code, message)) = error {
                event["errorCode"] = json!(code);
                event["errorMessage"] = json!(message);
            }
            events.push(event);
        }
        minute += chrono::Duration::minutes(1);
    }
    events
}

/// `bedrock-cost-monitor run` on `config`, logging JSON lines.
fn daemon_command(config: &Path) -> Command {
    process::command(&["--config", &config.display().to_string(), "run"], "json")
}

/// The generated Prometheus configuration: the job of the example
/// configuration, on the test's daemon, every second, with the real rules.
fn prometheus_config(daemon_port: u16) -> String {
    let rules = helpers::repo_root().join("deploy/prometheus/rules.yml");
    format!(
        r#"global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - "{rules}"
scrape_configs:
  - job_name: {JOB}
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:{daemon_port}"]
"#,
        rules = rules.display()
    )
}

async fn metrics_text(url: &str) -> String {
    match probe::request("GET", url, &[], &[], Duration::from_secs(5)).await {
        Ok(r) if r.is_success() => r.body_text(),
        _ => String::new(),
    }
}

/// Starts the daemon on `config` and waits until it is ready.
async fn start_daemon(dir: &Path, config: &Path, base: &str) -> Guarded {
    let mut daemon =
        Guarded::spawn("bedrock-cost-monitor run", &mut daemon_command(config), &dir.join("daemon.log"));
    let ready = format!("{base}/readyz");
    let daemon_ref = &mut daemon;
    wait_for("the daemon to be ready", Duration::from_secs(60), || {
        let exited = daemon_ref.exited();
        let ready = ready.clone();
        async move {
            assert!(exited.is_none(), "the daemon exited early ({exited:?})");
            probe::probe(&ready, Duration::from_secs(2)).await.ok()
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", daemon.log_tail()));
    daemon
}

/// Throttles one CloudWatch call, so that one run fails; waits until
/// `/metrics` shows the throttled request and the failed run.
async fn throttle_one_call(emu: &bedrock_cost_monitor::emulator::Emulator, daemon: &Guarded, base: &str) {
    emu.inject_fault(&Fault::new("cloudwatch", FaultKind::Throttle).count(1)).await.unwrap();
    let metrics = format!("{base}/metrics");
    let m = &metrics;
    let has = |text: &str, family: &str, label: &str| {
        text.lines().any(|l| l.starts_with(family) && l.contains(label))
    };
    wait_for(
        "a throttled AWS request and a failed run in /metrics",
        Duration::from_secs(30),
        || async move {
            let text = metrics_text(m).await;
            let seen = has(&text, "bedrock_monitor_aws_requests_total", "outcome=\"throttled\"")
                && has(&text, "bedrock_monitor_job_runs_total", "outcome=\"failure\"");
            seen.then_some(())
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", daemon.log_tail()));
}

/// Starts Prometheus on the daemon and waits for three successful scrapes.
async fn start_prometheus(binary: &Path, dir: &Path, daemon_port: u16, daemon: &Guarded) -> Prometheus {
    let prom = Prometheus::start(binary, &prometheus_config(daemon_port), dir).await;
    let p = &prom;
    wait_for("three successful scrapes", Duration::from_secs(30), || async move {
        let up = p.value(&format!("up{{job=\"{JOB}\"}}")).await.ok()??;
        let scrapes = p.value("count_over_time(bedrock_monitor_build_info[1m])").await.ok()??;
        (up == 1.0 && scrapes >= 3.0).then_some(())
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}\n{}", prom.log_tail(), daemon.log_tail()));
    prom
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_query_and_alert_selector_has_data_in_a_real_prometheus() {
    let prometheus_bin = crate::helpers::prometheus::binary().unwrap_or_else(|e| panic!("{e}"));
    let emu = emulator::exclusive().await;
    let dir = TempDir::new().unwrap();

    // History up to ten minutes ago; the last minutes arrive while Prometheus scrapes.
    let t0 = floor_minute(SystemClock.now());
    let split = t0 - chrono::Duration::minutes(10);
    publish_all(&emu, &traffic(t0 - chrono::Duration::hours(2), split)).await;
    emu.seed_cloudtrail(&trail_events(t0 - chrono::Duration::hours(2), t0)).await.unwrap();
    emu.seed_bill(&bill(t0.date_naive()), &[]).await.unwrap();

    let port = helpers::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let config = write_config(dir.path(), emu.endpoint_url(), port);
    let daemon = start_daemon(dir.path(), &config, &base).await;
    throttle_one_call(&emu, &daemon, &base).await;
    let prom = start_prometheus(&prometheus_bin, dir.path(), port, &daemon).await;

    // The last ten minutes: the ledger totals grow while Prometheus scrapes.
    publish_all(&emu, &traffic(split, t0)).await;
    let p = &prom;
    wait_for("spend to grow while scraped", Duration::from_secs(30), || async move {
        let grown = p.value("sum(increase(bedrock_cost_usd_total[1m]))").await.ok()??;
        (grown > 0.0).then_some(())
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", daemon.log_tail()));

    let mut findings = Findings::default();
    check_rules(&prom, &mut findings).await;
    check_dashboards(&prom, &mut findings).await;
    println!("{} checks with data, {} failures", findings.passed, findings.failures.len());
    assert!(
        findings.failures.is_empty(),
        "{} dashboard or alert-rule checks failed:\n  {}\n{}",
        findings.failures.len(),
        findings.failures.join("\n  "),
        daemon.log_tail()
    );
}
