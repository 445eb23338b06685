//! Re-pricing history through the library entry point (`reprice::run`) on
//! a SQLite ledger priced with one table and re-priced with a corrected
//! one: `apply.rs` (dry run equals apply, a failure between days leaves
//! whole days, the leader's table and the compaction horizon are checked),
//! `budgets.rs` (what the leader's next evaluation sees: the open period
//! changes, a closed period raises nothing again), `dynamodb.rs` (the same
//! run on the DynamoDB store in the emulator). The `reprice` command
//! itself is in `cli::reprice`.

mod apply;
mod budgets;
#[cfg(feature = "demo")]
mod dynamodb;

use std::path::Path;
use std::str::FromStr;

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::collector::Attributor;
use bedrock_cost_monitor::config::{self, Loaded};
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::{Backend, CallBatch, MinuteBatch};
use bedrock_cost_monitor::pricing::PointPricer;
use bedrock_cost_monitor::records::{CallCount, CostLine, CostTotal, MetricPoint, Source};
use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use tempfile::TempDir;

pub const REGION: &str = "us-east-1";
pub const SONNET: &str = "anthropic.test-sonnet-1";
/// Unpriced in the first table, priced in the corrected one.
pub const OPUS: &str = "anthropic.test-opus-1";
pub const ROLE: &str = "arn:aws:iam::111122223333:role/app";

const SONNET_MODEL: &str = r#"
[[model]]
key = "test-sonnet"
name = "Test Sonnet"
match = ["anthropic.test-sonnet-*"]

[[price]]
model = "test-sonnet"
scope = "all"
from = 2026-01-01
source = "https://example.com/prices"
checked = 2026-01-02
"#;

/// The table the ledger was priced with: Sonnet only, input at 3 USD per million.
pub const TABLE_A: &str = r#"usd_per_million = { input = "3", output = "15", cache_read = "0.30", cache_write_5m = "3.75", cache_write_1h = "6" }"#;

/// The corrected table: Sonnet 10% dearer, and Opus priced.
pub const TABLE_B: &str = r#"usd_per_million = { input = "3.30", output = "16.50", cache_read = "0.33", cache_write_5m = "4.125", cache_write_1h = "6.60" }

[[model]]
key = "test-opus"
name = "Test Opus"
match = ["anthropic.test-opus-*"]

[[price]]
model = "test-opus"
scope = "all"
from = 2026-01-01
source = "https://example.com/prices"
checked = 2026-01-02
usd_per_million = { input = "5", output = "25", cache_read = "0.50", cache_write_5m = "6.25", cache_write_1h = "10" }
"#;

pub fn day(text: &str) -> NaiveDate {
    NaiveDate::from_str(text).unwrap()
}

pub fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

pub fn usd(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A ledger priced with table A, and the configurations of both tables.
pub struct Fixture {
    pub _dir: TempDir,
    pub store: SqliteStore,
    pub a: Loaded,
    pub b: Loaded,
    pub days: Vec<NaiveDate>,
}

/// Writes `monitor-<name>.toml` over `prices-<name>.toml` and loads it.
fn config(dir: &Path, name: &str, table: &str, budgets: &str, now: DateTime<Utc>) -> Loaded {
    std::fs::write(dir.join(format!("prices-{name}.toml")), format!("{SONNET_MODEL}{table}\n")).unwrap();
    let monitor = format!(
        "[monitor]\ntimezone = \"UTC\"\nregions = [\"{REGION}\"]\ndata_dir = \"{}\"\n\n[pricing]\ntable = \
         \"prices-{name}.toml\"\n\n[sources.cloudtrail]\nenabled = true\n{budgets}",
        dir.join("data").display()
    );
    let path = dir.join(format!("monitor-{name}.toml"));
    std::fs::write(&path, monitor).unwrap();
    config::load_with_env(&path, &|_| None, now).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Per day, at 00:00, 05:30 and 23:59: Sonnet 1M input and 100k output
/// tokens (4.50 USD, 4.95 corrected), Opus 200k input tokens (unpriced, 1
/// USD corrected); CloudTrail saw the app's role call Sonnet each minute.
pub async fn fixture(days: &[&str], budgets: &str, now: DateTime<Utc>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let a = config(dir.path(), "a", TABLE_A, budgets, now);
    let b = config(dir.path(), "b", TABLE_B, budgets, now);
    let store = SqliteStore::open(&dir.path().join("data")).unwrap();
    let days: Vec<NaiveDate> = days.iter().map(|d| day(d)).collect();
    seed(&store, &a, &days).await;
    Fixture { _dir: dir, store, a, b, days }
}

/// Writes the fixture's usage of `days` to `store`, priced with `a`'s table,
/// with its call counts and attributed shares.
pub async fn seed(store: &dyn Backend, a: &Loaded, days: &[NaiveDate]) {
    let pricer = PointPricer::from_config(a);
    for d in days {
        let minutes =
            [(0, 0), (5, 30), (23, 59)].map(|(h, m)| midnight(*d) + chrono::Duration::minutes(h * 60 + m));
        let point = |model_id: &str, metric, minute, sum| MetricPoint {
            region: REGION.into(),
            model_id: model_id.into(),
            metric,
            minute,
            sum,
            count: None,
        };
        let points: Vec<MetricPoint> = minutes
            .iter()
            .flat_map(|m| {
                [
                    point(SONNET, BedrockMetric::InputTokenCount, *m, 1_000_000.0),
                    point(SONNET, BedrockMetric::OutputTokenCount, *m, 100_000.0),
                    point(OPUS, BedrockMetric::InputTokenCount, *m, 200_000.0),
                ]
            })
            .collect();
        let lines = pricer.lines(&points);
        let batch =
            MinuteBatch { source: Source::CloudWatch, region: REGION.into(), points, lines, watermark: None };
        store.write(&batch).await.unwrap();
        let calls = minutes
            .iter()
            .map(|m| CallCount {
                region: REGION.into(),
                minute: *m,
                model_id: SONNET.into(),
                principal: ROLE.into(),
                error_code: None,
                calls: 2,
                input_tokens: None,
                output_tokens: None,
            })
            .collect();
        let next = midnight(d.checked_add_days(Days::new(1)).unwrap());
        let batch = CallBatch { region: REGION.into(), from: midnight(*d), to: next, calls, watermark: None };
        store.write_calls(&batch).await.unwrap();
        Attributor::default().attribute(store, REGION, midnight(*d), next).await.unwrap();
    }
}

fn sorted(mut v: Vec<CostTotal>) -> Vec<CostTotal> {
    v.sort_by(|x, y| (&x.model_id, &x.model, x.token_type).cmp(&(&y.model_id, &y.model, y.token_type)));
    v
}

/// Sums of lines per series, exactly, as a store reports sums.
pub fn sums_of(lines: &[CostLine]) -> Vec<CostTotal> {
    crate::helpers::store_contract::totals_of(lines)
}

/// Totals equal the sum of every line; each hour's and each day's rollup
/// sums equal that hour's or day's lines; shares add up to the priced cost.
pub async fn assert_consistent(store: &dyn Backend, days: &[NaiveDate]) {
    let (from, to) = (midnight(days[0]), midnight(*days.last().unwrap() + Days::new(1)));
    let all = store.cost_lines(from, to).await.unwrap();
    assert_eq!(sorted(store.cost_totals().await.unwrap()), sorted(sums_of(&all)), "totals == lines");
    for d in days {
        let start = midnight(*d);
        let windows = (0..24)
            .map(|h| (start + chrono::Duration::hours(h), start + chrono::Duration::hours(h + 1)))
            .chain([(start, start + chrono::Duration::days(1))]);
        for (f, t) in windows {
            let lines = store.cost_lines(f, t).await.unwrap();
            assert_eq!(
                sorted(store.cost_sums(f, t).await.unwrap()),
                sorted(sums_of(&lines)),
                "rollup [{f}, {t})"
            );
        }
    }
    let priced: Decimal = store.cost_sums(from, to).await.unwrap().iter().map(|c| c.usd).sum();
    let shared: Decimal = store.principal_sums(from, to).await.unwrap().iter().map(|s| s.usd).sum();
    assert_eq!(shared, priced, "attributed shares add up to the priced cost");
}
