//! Model invocation logs through the real SDK and the emulator's CloudWatch
//! Logs: each request priced on its own (the long-context rates only for the
//! requests above the threshold, the TTL split where the record has it),
//! summed per user exactly as billed by hand, counted once however often it
//! is read or delivered, and a run interrupted mid-stream resumed without a
//! request lost or doubled. Unusable records are skipped and counted.
//!
//! The records follow AWS's documented `ModelInvocationLog` schema (1.0):
//! schemaType, schemaVersion, timestamp, accountId, identity.arn, region,
//! requestId, operation, modelId, requestMetadata, input.inputTokenCount,
//! output.outputTokenCount, plus the cache counts real records carry
//! (input.cacheReadInputTokenCount / cacheWriteInputTokenCount) and, in a
//! Converse response body, `usage.cacheDetails` with each TTL's tokens.
//! Bedrock delivers them to the log stream `aws/bedrock/modelinvocations`.

mod records;
mod s3;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use bedrock_cost_monitor::aws::AwsConfig;
use bedrock_cost_monitor::clock::{floor_minute, Clock, ManualClock, SystemClock};
use bedrock_cost_monitor::collector::{InvocationLogsJob, LogsJobConfig};
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::Store;
use bedrock_cost_monitor::pricing::PointPricer;
use bedrock_cost_monitor::records::RequestSum;
use bedrock_cost_monitor::sources::invocation_logs::client::CloudWatchLogsSource;
use bedrock_cost_monitor::sources::invocation_logs::pages::{LogPage, LogPages, LogQuery, PageFailure};
use bedrock_cost_monitor::sources::{ErrorKind, SourceError};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use crate::helpers::emulator;
use crate::helpers::workload::EAST;
use records::put_records;

const GROUP: &str = "bedrock-invocation-logs";

pub(crate) fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Two hours before the wall clock's hour: CloudWatch Logs refuses events
/// older than 14 days, so the test's manual clock follows the real one.
pub(crate) fn base() -> DateTime<Utc> {
    floor_minute(SystemClock.now()) - Duration::hours(2)
}

fn pricer() -> Arc<PointPricer> {
    let text = include_str!("../../../config/prices.toml");
    let doc = bedrock_cost_monitor::diag::TomlDoc::parse("config/prices.toml", text).unwrap();
    Arc::new(PointPricer {
        table: bedrock_cost_monitor::pricing::file::load(&doc).unwrap().table,
        app_profiles: BTreeMap::new(),
        cache_write_ttl: bedrock_cost_monitor::config::CacheTtl::FiveMinutes,
        cache_write_ttl_by_model: BTreeMap::new(),
    })
}

pub(crate) fn job(
    pages: Arc<dyn LogPages>,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
) -> InvocationLogsJob {
    let config = LogsJobConfig {
        regions: vec![EAST.to_string()],
        lookback_minutes: 90,
        backfill_hours: 1,
        metadata_keys: vec!["user_id".into(), "tenant".into()],
    };
    InvocationLogsJob::new(pages, store, pricer(), clock, config)
}

async fn source(emu: &bedrock_cost_monitor::emulator::Emulator) -> Arc<CloudWatchLogsSource> {
    let aws = AwsConfig::from_sdk(emu.sdk_config(EAST).await);
    Arc::new(CloudWatchLogsSource::connect(
        aws.monitored(),
        &BTreeMap::from([(EAST.to_string(), GROUP.to_string())]),
    ))
}

/// Requests with a `limit` per page, failing on the `fail_at`-th page: a
/// daemon killed in the middle of a log stream.
struct SmallPages {
    inner: Arc<CloudWatchLogsSource>,
    limit: i32,
    fail_at: Option<usize>,
    served: AtomicUsize,
}

#[async_trait]
impl LogPages for SmallPages {
    async fn page(&self, region: &str, q: &LogQuery) -> Result<LogPage, PageFailure> {
        let n = self.served.fetch_add(1, Ordering::SeqCst);
        if self.fail_at == Some(n) {
            let error = SourceError {
                api: "FilterLogEvents",
                region: region.into(),
                kind: ErrorKind::Other,
                message: "killed".into(),
            };
            return Err(PageFailure { error, retry: false });
        }
        self.inner.page(region, &LogQuery { limit: Some(self.limit), ..q.clone() }).await
    }
}

/// Per user: (requests, USD), summed over the window.
pub(crate) async fn by_user(
    store: &dyn Store,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> BTreeMap<String, (u64, Decimal)> {
    let mut out = BTreeMap::new();
    for s in store.request_sums(from, to).await.unwrap() {
        let user = s.dimensions.get("user_id").cloned().unwrap_or_else(|| "(none)".into());
        let e: &mut (u64, Decimal) = out.entry(user).or_default();
        e.0 += s.requests;
        e.1 += s.usd;
    }
    out
}

fn total(sums: &[RequestSum]) -> Decimal {
    sums.iter().map(|s| s.usd).sum()
}

#[tokio::test]
async fn each_request_is_priced_exactly_and_counted_once() {
    let emu = emulator::exclusive().await;
    let t0 = base();
    let calls = records::mixed_workload(t0);
    put_records(&emu, GROUP, &calls, &records::garbage()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let clock = Arc::new(ManualClock::new(t0 + Duration::minutes(60)));
    let report = job(source(&emu).await, store.clone(), clock.clone()).run_once().await;
    assert!(report.succeeded(), "{:?}", report.errors);
    let r = &report.regions[0];
    // 7 distinct requests, one delivered twice, three lines unusable.
    assert_eq!((r.added, r.duplicates), (7, 1), "{r:?}");
    assert_eq!(r.rejected.values().sum::<u64>(), 3, "{:?}", r.rejected);
    assert_eq!(r.foreign_region, 1);

    let users = by_user(store.as_ref(), t0, t0 + Duration::hours(2)).await;
    // By hand (records.rs): u-1 small + long + split writes; u-2 Haiku 3 + unsplit writes; no user: one call.
    assert_eq!(users["u-1"], (3, d(records::U1_USD)), "{users:?}");
    assert_eq!(users["u-2"], (2, d(records::U2_USD)), "{users:?}");
    assert_eq!(users["(none)"], (2, d(records::NONE_USD)), "{users:?}");
    let sums = store.request_sums(t0, t0 + Duration::hours(2)).await.unwrap();
    assert_eq!(sums.iter().map(|s| s.long_context).sum::<u64>(), 1, "only the 210K-token prompt is long");
    assert_eq!(sums.iter().map(|s| s.ttl_assumed).sum::<u64>(), 1, "only the unsplit cache write");

    // A second run re-reads its lookback: nothing is added.
    clock.advance(Duration::minutes(5));
    let again = job(source(&emu).await, store.clone(), clock).run_once().await;
    assert!(again.succeeded());
    assert_eq!(again.regions[0].added, 0);
    assert_eq!(total(&store.request_sums(t0, t0 + Duration::hours(2)).await.unwrap()), total(&sums));
}

#[tokio::test]
async fn a_run_killed_mid_stream_resumes_without_loss_or_double_count() {
    let emu = emulator::exclusive().await;
    let t0 = base();
    let calls = records::mixed_workload(t0);
    put_records(&emu, GROUP, &calls, &[]).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let clock = Arc::new(ManualClock::new(t0 + Duration::minutes(60)));
    let inner = source(&emu).await;
    let dying = SmallPages { inner: inner.clone(), limit: 2, fail_at: Some(2), served: AtomicUsize::new(0) };
    let first = job(Arc::new(dying), store.clone(), clock.clone()).run_once().await;
    assert!(!first.succeeded(), "the run was killed on its third page");
    let written = first.regions[0].added;
    assert!(written > 0 && written < 7, "part of the stream was written: {written}");

    let healthy = SmallPages { inner, limit: 2, fail_at: None, served: AtomicUsize::new(0) };
    let second = job(Arc::new(healthy), store.clone(), clock).run_once().await;
    assert!(second.succeeded(), "{:?}", second.errors);
    assert_eq!(second.regions[0].added + written, 7, "every request once");
    let users = by_user(store.as_ref(), t0, t0 + Duration::hours(2)).await;
    assert_eq!(users["u-1"], (3, d(records::U1_USD)));
    assert_eq!(users["u-2"], (2, d(records::U2_USD)));
}

#[tokio::test]
async fn a_missing_log_group_fails_the_region_with_a_clear_error() {
    let emu = emulator::exclusive().await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let clock = Arc::new(ManualClock::new(base()));
    let report = job(source(&emu).await, store, clock).run_once().await;
    assert_eq!(report.errors.len(), 1);
    let text = report.errors[0].to_string();
    assert!(text.contains("FilterLogEvents") && text.contains("ResourceNotFound"), "{text}");
}

/// Through the whole daemon: the logs job prices the requests, the per-user
/// budget gives u-1 (over $1) its own status, the alert is claimed once, and
/// the decision API denies u-1 but not u-2.
#[tokio::test]
async fn a_per_user_budget_alerts_once_and_the_api_denies_that_user() {
    use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
    let emu = emulator::exclusive().await;
    let t0 = base();
    put_records(&emu, GROUP, &records::mixed_workload(t0), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let extra = format!(
        "[sources.invocation_logs]\nmetadata_keys = [\"user_id\", \"tenant\"]\nbackfill_hours = 1\n\
         [sources.invocation_logs.regions.{EAST}]\nlog_group = \"{GROUP}\"\n\
         [[budgets]]\nname = \"per-user\"\nperiod = \"month\"\nlimit_usd = \"1\"\nper_metadata = \"user_id\"\n"
    );
    let config = TestConfig::driven(dir.path(), emu.endpoint_url()).extra(&extra);
    let clock = Arc::new(ManualClock::new(t0 + Duration::minutes(60)));
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), clock.clone()).http()).await;
    daemon.collect_logs().await.unwrap();

    let statuses = daemon.parts().store.budget_statuses().await.unwrap();
    let users: Vec<_> =
        statuses.iter().filter_map(|s| Some((s.metadata.clone()?.value, s.spend_usd, s.state))).collect();
    use bedrock_cost_monitor::budgets::BudgetState::{Exceeded, Ok as Fine};
    assert_eq!(
        users,
        vec![("u-1".into(), d(records::U1_USD), Exceeded), ("u-2".into(), d(records::U2_USD), Fine)]
    );
    let again = daemon.parts().evaluator.run_once().await.unwrap();
    assert!(
        again.claimed.is_empty(),
        "each threshold alert was claimed by the first run: {:?}",
        again.claimed
    );
    let u1 = statuses.iter().find(|s| s.subject().as_deref() == Some("user_id=u-1")).unwrap();
    let start = u1.period.start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let key = format!("budget.threshold:per-user@user_id=u-1:{start}:100");
    let alert = daemon.parts().store.alert(&key).await.unwrap();
    let alert = alert.unwrap_or_else(|| panic!("no alert {key}"));
    assert!(alert.subject.contains("per-user (user_id=u-1) reached 100%"), "{}", alert.subject);

    let ask = |user: &str| {
        let url = format!("{}/api/v1/decision?user_id={user}&model=claude-sonnet-4-5", daemon.api_base());
        async move { reqwest_json(&url).await }
    };
    let deny = ask("u-1").await;
    assert_eq!((deny["decision"].as_str(), deny["metadata"]["value"].as_str()), (Some("deny"), Some("u-1")));
    assert_eq!(ask("u-2").await["decision"], "allow");

    // Per-user spend in /metrics: u-1's three Sonnet requests, exactly.
    let text = prometheus::TextEncoder::new().encode_to_string(&daemon.parts().registry.gather()).unwrap();
    let u1 = format!(
        "bedrock_metadata_cost_usd_total{{key=\"user_id\",model=\"claude-sonnet-4-5\",region=\"{EAST}\",value=\"u-1\"}} {}",
        records::U1_USD
    );
    assert!(text.contains(&u1), "{u1} not in\n{text}");
    let globex = format!("bedrock_metadata_requests_total{{key=\"tenant\",model=\"claude-3-haiku\",region=\"{EAST}\",value=\"globex\"}} 2");
    assert!(text.contains(&globex), "{text}");
    daemon.shutdown().await;
}

async fn reqwest_json(url: &str) -> serde_json::Value {
    let timeout = std::time::Duration::from_secs(5);
    let answer =
        bedrock_cost_monitor::telemetry::probe::request("GET", url, &[], &[], timeout).await.unwrap();
    assert_eq!(answer.status, 200, "{url}: {}", answer.body_text());
    serde_json::from_slice(&answer.body).unwrap()
}

/// Logging switched off for the second hour, and Bedrock reporting failed
/// deliveries: the cross-check of the settled hour against CloudWatch sees
/// the logs miss CloudWatch's tokens and alerts once for the episode.
#[tokio::test]
async fn a_logging_outage_is_caught_by_the_cross_check() {
    use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
    use crate::helpers::workload::{datum, publish_all};
    use bedrock_cost_monitor::bedrock::BedrockMetric;
    let emu = emulator::exclusive().await;
    let t0 = base();
    // The logs hold the first ten minutes only; CloudWatch counts two hours.
    put_records(&emu, GROUP, &records::mixed_workload(t0), &[]).await;
    let sonnet = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";
    let usage: Vec<_> = (0..120)
        .map(|m| datum(EAST, sonnet, BedrockMetric::InputTokenCount, t0 + Duration::minutes(m), 20_000))
        .collect();
    publish_all(&emu, &usage).await;
    records::put_delivery_failures(&emu, t0 + Duration::minutes(75), 3).await;

    let dir = tempfile::tempdir().unwrap();
    let extra = format!(
        "[sources.invocation_logs]\nbackfill_hours = 3\n[sources.invocation_logs.regions.{EAST}]\nlog_group = \"{GROUP}\"\n"
    );
    let config = TestConfig::driven(dir.path(), emu.endpoint_url()).extra(&extra);
    let clock = Arc::new(ManualClock::new(t0 + Duration::minutes(120)));
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), clock.clone())).await;
    daemon.collect_usage().await.unwrap();
    daemon.collect_logs().await.unwrap();

    let key = format!(
        "invocation_logs.drift:{EAST}:{}",
        clock.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let alert = daemon.parts().store.alert(&key).await.unwrap().unwrap_or_else(|| panic!("no alert {key}"));
    assert_eq!(alert.subject, format!("Invocation logs in {EAST} miss 100% of CloudWatch's tokens"));
    let body: serde_json::Value = serde_json::from_str(&alert.body).unwrap();
    // The settled hour is [t0+30, t0+90): 60 minutes x 20,000 tokens, none logged.
    assert_eq!(
        (body["cloudwatch_tokens"].as_u64(), body["logged_tokens"].as_u64()),
        (Some(1_200_000), Some(0))
    );
    assert_eq!(body["delivery_failures"], 3);

    // The episode goes on: no second alert.
    clock.advance(Duration::minutes(5));
    daemon.collect_logs().await.unwrap();
    let text = prometheus::TextEncoder::new().encode_to_string(&daemon.parts().registry.gather()).unwrap();
    assert!(
        text.contains(&format!("bedrock_monitor_invocation_log_drift_ratio{{region=\"{EAST}\"}} 1")),
        "{text}"
    );
    let raised = daemon.parts().store.recent_alerts(100).await.unwrap();
    let drift: Vec<_> = raised.iter().filter(|a| a.dedupe_key.starts_with("invocation_logs.drift")).collect();
    assert_eq!(drift.len(), 1, "one alert for the whole episode: {drift:?}");
}

/// Where the logs cover a minute, the CloudWatch cost of it is split among
/// the logged callers exactly, every bucket, without CloudTrail.
#[tokio::test]
async fn logged_minutes_are_attributed_exactly() {
    use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
    use crate::helpers::workload::{datum, publish_all};
    use bedrock_cost_monitor::bedrock::BedrockMetric::{InputTokenCount, OutputTokenCount};
    use bedrock_cost_monitor::records::Attribution;
    let emu = emulator::exclusive().await;
    let t0 = base();
    put_records(&emu, GROUP, &records::mixed_workload(t0), &[]).await;
    // What CloudWatch counts for req-a (minute 1) and req-d (minute 4).
    let (sonnet, haiku) =
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-3-haiku-20240307-v1:0");
    let at = |m| t0 + Duration::minutes(m);
    publish_all(
        &emu,
        &[
            datum(EAST, sonnet, InputTokenCount, at(1), 1_000),
            datum(EAST, sonnet, OutputTokenCount, at(1), 500),
            datum(EAST, haiku, InputTokenCount, at(4), 10_000),
            datum(EAST, haiku, OutputTokenCount, at(4), 2_000),
        ],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let extra = format!(
        "[sources.invocation_logs]\nbackfill_hours = 3\n[sources.invocation_logs.regions.{EAST}]\nlog_group = \"{GROUP}\"\n"
    );
    let config = TestConfig::driven(dir.path(), emu.endpoint_url()).extra(&extra);
    let clock = Arc::new(ManualClock::new(t0 + Duration::minutes(60)));
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), clock)).await;
    daemon.collect_usage().await.unwrap();
    daemon.collect_logs().await.unwrap();

    let shares = daemon.parts().store.principal_totals().await.unwrap();
    let role = "arn:aws:iam::111122223333:role/app-task";
    assert!(shares.iter().all(|s| s.principal == role && s.attribution == Attribution::Exact), "{shares:?}");
    // 1000×3 + 500×15 (Sonnet global) + 10000×0.25 + 2000×1.25 (Haiku 3), per million.
    assert_eq!(shares.iter().map(|s| s.usd).sum::<Decimal>(), d("0.0155"));
}
