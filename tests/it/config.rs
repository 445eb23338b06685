//! A broken configuration or price table is refused with `file:line: field:
//! reason`, one test row per kind of mistake; warnings do not refuse.

use std::collections::BTreeMap;
use std::path::Path;

use bedrock_cost_monitor::clock::{Clock, SystemClock};
use bedrock_cost_monitor::config::{self, ConfigError};

const CONFIG: &str = r#"[monitor]
regions = ["us-east-1"]
timezone = "UTC"

[sources.cloudwatch]
schedule = "0 */5 * * * *"

[pricing]
table = "prices.toml"

[[budgets]]
name = "monthly"
period = "month"
limit_usd = "100"
"#;

const PRICES: &str = r#"[[model]]
key = "m"
name = "M"
match = ["anthropic.m-*"]

[[price]]
model = "m"
scope = "all"
from = 2025-01-01
source = "https://example.com/prices"
checked = 2026-11-01
usd_per_million = { input = "1", output = "5", cache_read = "0.1", cache_write_5m = "1.25", cache_write_1h = "2" }
"#;

const SECOND_ENTRY: &str = r#"
[[price]]
model = "m"
scope = "all"
from = 2025-06-01
source = "https://example.com/prices"
checked = 2026-11-01
usd_per_million = { input = "1", output = "5", cache_read = "0.1", cache_write_5m = "1.25", cache_write_1h = "2" }
"#;

/// Loads the two texts from a temporary directory; returns every diagnostic line.
fn load(config_text: &str, prices_text: &str, env: &[(&str, &str)]) -> Result<Vec<String>, Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("monitor.toml"), config_text).unwrap();
    std::fs::write(dir.path().join("prices.toml"), prices_text).unwrap();
    let env: BTreeMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let prefix = format!("{}/", dir.path().display());
    let strip = |d: &dyn std::fmt::Display| d.to_string().replace(&prefix, "");
    let loaded =
        config::load_with_env(&dir.path().join("monitor.toml"), &|k| env.get(k).cloned(), SystemClock.now());
    match loaded {
        Ok(l) => Ok(l.warnings.0.iter().map(|d| strip(d)).collect()),
        Err(ConfigError::Invalid(diags)) => Err(diags.0.iter().map(|d| strip(d)).collect()),
        Err(e) => Err(vec![e.to_string()]),
    }
}

fn assert_refused(result: Result<Vec<String>, Vec<String>>, want: &str) {
    match result {
        Ok(warnings) => panic!("accepted (warnings {warnings:?}), expected `{want}`"),
        Err(errors) => assert!(
            errors.iter().any(|e| e.starts_with(want)),
            "expected an error starting `{want}`, got {errors:#?}"
        ),
    }
}

#[test]
fn the_shipped_configs_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["config/monitor.toml", "config/example.toml"] {
        let loaded = config::load_with_env(&root.join(file), &|_| None, SystemClock.now())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(loaded.warnings.0, vec![], "{file} has warnings");
    }
}

#[test]
fn broken_configs_name_file_line_field_and_reason() {
    let cases: Vec<(String, &str)> = vec![
        (
            CONFIG.replace("0 */5 * * * *", "0 61 * * * *"),
            "monitor.toml:6: sources.cloudwatch.schedule: invalid cron expression `0 61 * * * *`",
        ),
        (
            CONFIG.replace("0 */5 * * * *", "0 0 0 1 1 * 2001"),
            "monitor.toml:6: sources.cloudwatch.schedule: cron expression `0 0 0 1 1 * 2001` never fires again",
        ),
        (CONFIG.replace("timezone = \"UTC\"", "timezone = \"Mars/Olympus\"\ncolour = 1"), "monitor.toml:4: monitor.colour: unknown field `colour`"),
        (CONFIG.replace("\"UTC\"", "\"Mars/Olympus\""), "monitor.toml:3: monitor.timezone: unknown IANA timezone `Mars/Olympus`"),
        (CONFIG.replace("\"100\"", "100.5"), "monitor.toml:14: budgets[0].limit_usd: write the amount as a string (\"100.5\")"),
        (CONFIG.replace("\"100\"", "\"-100\""), "monitor.toml:14: budgets[0].limit_usd: -100 must be greater than 0"),
        (CONFIG.replace("[\"us-east-1\"]", "[\"us-east-1\", \"moon-1\"]"), "monitor.toml:2: monitor.regions[1]: `moon-1` is not an AWS region name"),
        (format!("{CONFIG}\n[[budgets]]\nname = \"monthly\"\nperiod = \"day\"\nlimit_usd = \"5\"\n"), "monitor.toml:17: budgets[1].name: budget `monthly` is defined twice"),
        (CONFIG.replace("period = \"month\"", "period = \"fortnight\""), "monitor.toml:13: budgets[0].period: unknown variant `fortnight`"),
        (format!("{CONFIG}\n[store]\nkind = \"dynamodb\"\n"), "monitor.toml:16: store.dynamodb_table: required when store.kind = \"dynamodb\""),
        (CONFIG.replace("[pricing]", "[pricing]\ncache_write_ttl_by_model = { nope = \"1h\" }"), "monitor.toml:9: pricing.cache_write_ttl_by_model.nope: `nope` is not a model key"),
        (
            CONFIG.replace("[pricing]", "[pricing.application_profiles]\nabc123 = \"anthropic.other-1\"\n[pricing]"),
            "monitor.toml:9: pricing.application_profiles.abc123: target `anthropic.other-1` cannot be priced",
        ),
        (
            CONFIG.replace("[pricing]", "[pricing.application_profiles]\nabc123 = \"anthropic.m-1+priority\"\n[pricing]"),
            "monitor.toml:9: pricing.application_profiles.abc123: target `anthropic.m-1+priority` has a `+priority` suffix",
        ),
        (CONFIG.replace("timezone = \"UTC\"", "timezone = = \"UTC\""), "monitor.toml:3: invalid TOML"),
        (
            CONFIG.replace("[pricing]", "[aws]\nassume_role_arn = \"arn:aws:iam::123456789012:user/x\"\n[pricing]"),
            "monitor.toml:9: aws.assume_role_arn: `arn:aws:iam::123456789012:user/x` is not an IAM role ARN",
        ),
        (
            format!("{CONFIG}[budgets.burn_rate]\nfactor = \"0.5\"\nmin_usd_per_hour = \"1\"\n"),
            "monitor.toml:16: budgets[0].burn_rate.factor: 0.5 must be greater than 1",
        ),
        (
            format!("{CONFIG}[budgets.burn_rate]\nfactor = \"3\"\n"),
            "monitor.toml:15: budgets[0].burn_rate: missing field `min_usd_per_hour`",
        ),
        (
            CONFIG.replace("limit_usd = \"100\"", "limit_usd = \"100\"\nprincipals = [\"arn:aws:iam::*:role/app\"]")
                .replace("[pricing]", "[sources.cloudtrail]\nenabled = false\n[pricing]"),
            "monitor.toml:17: budgets[0].principals: principal filters need sources.cloudtrail.enabled = true",
        ),
        (format!("{CONFIG}\n[replicas]\nfollower_refresh_secs = 45\n"), "monitor.toml:17: replicas.follower_refresh_secs: 45 seconds is not a whole divisor"),
        (format!("{CONFIG}\n[metrics]\ntop_model_ids = 0\n"), "monitor.toml:17: metrics.top_model_ids: 0 must be between 1 and 1000 (it bounds label cardinality)"),
        (format!("{CONFIG}\n[metrics]\ntop_model_ids = 1001\n"), "monitor.toml:17: metrics.top_model_ids: 1001 must be between 1 and 1000 (it bounds label cardinality)"),
        (format!("{CONFIG}\n[metrics]\ntop_model_ids = -1\n"), "monitor.toml:17: metrics.top_model_ids: invalid value"),
        (format!("{CONFIG}\n[alerts.throttling]\nwindow_minutes = 0\nthreshold = 5\n"), "monitor.toml:17: alerts.throttling.window_minutes: 0 must be between 1 and 1440"),
        (CONFIG.replace("limit_usd = \"100\"", "limit_usd = \"100\"\ntimezone = \"Mars/Base\""), "monitor.toml:15: budgets[0].timezone: unknown IANA timezone `Mars/Base`"),
    ];
    for (text, want) in cases {
        assert_refused(load(&text, PRICES, &[]), want);
    }
}

/// The invocation-log source and the budgets that read it.
#[test]
fn broken_invocation_log_configs_are_refused() {
    let cases: Vec<(String, &str)> = vec![
        (
            format!("{CONFIG}\n[sources.invocation_logs.regions.us-west-2]\nlog_group = \"logs\"\n"),
            "monitor.toml:16: sources.invocation_logs.regions.us-west-2: `us-west-2` is not in monitor.regions",
        ),
        (
            format!("{CONFIG}\n[sources.invocation_logs.regions.us-east-1]\nlog_group = \"has space\"\n"),
            "monitor.toml:17: sources.invocation_logs.regions.us-east-1.log_group: `has space` is not a log group name",
        ),
        (
            format!("{CONFIG}\n[sources.invocation_logs.regions.us-east-1]\n"),
            "monitor.toml:16: sources.invocation_logs.regions.us-east-1.log_group: required: the log group (or s3_bucket) the region delivers to",
        ),
        (
            CONFIG.replace("limit_usd = \"100\"", "limit_usd = \"100\"\nper_metadata = \"user_id\""),
            "monitor.toml:15: budgets[0].per_metadata: `user_id` is not in sources.invocation_logs.metadata_keys",
        ),
        (
            CONFIG.replace("limit_usd = \"100\"", "limit_usd = \"100\"\nmetadata = { tenant = \"acme\" }\nprojects = [\"default\"]")
                + "[sources.invocation_logs]\nmetadata_keys = [\"tenant\"]\n[sources.invocation_logs.regions.us-east-1]\nlog_group = \"g\"\n",
            "monitor.toml:16: budgets[0].projects: bedrock-mantle calls are not in the invocation logs",
        ),
        (
            format!("{CONFIG}\n[sources.invocation_logs.regions.us-east-1]\nlog_group = \"g\"\ns3_bucket = \"b-logs\"\n"),
            "monitor.toml:18: sources.invocation_logs.regions.us-east-1.s3_bucket: choose one of log_group and s3_bucket",
        ),
        (
            format!("{CONFIG}\n[sources.invocation_logs.regions.us-east-1]\ns3_bucket = \"b-logs\"\ns3_prefix = \"raw\"\naccount_id = \"111122223333\"\n"),
            "monitor.toml:18: sources.invocation_logs.regions.us-east-1.s3_prefix: must be empty or end with `/`",
        ),
        (
            format!("{CONFIG}\n[sources.invocation_logs.regions.us-east-1]\ns3_bucket = \"b-logs\"\n"),
            "monitor.toml:16: sources.invocation_logs.regions.us-east-1.account_id: required with s3_bucket",
        ),
        (
            format!("{CONFIG}\n[sources.invocation_logs]\nlookback_minutes = 0\n"),
            "monitor.toml:17: sources.invocation_logs.lookback_minutes: must be between 1 and 1440",
        ),
    ];
    for (text, want) in cases {
        assert_refused(load(&text, PRICES, &[]), want);
    }
}

/// The two listeners and the API's token: each mistake located, the token
/// read at load from the file or variable the configuration names.
#[test]
fn broken_listener_configs_are_refused() {
    let cases: Vec<(String, &str)> = vec![
        (
            format!("{CONFIG}\n[api]\ntoken_file = \"missing-token\"\n"),
            "monitor.toml:17: api.token_file: cannot read missing-token: ",
        ),
        (
            format!("{CONFIG}\n[api]\ntoken_env = \"BCM_TEST_API_TOKEN\"\n"),
            "monitor.toml:17: api.token_env: environment variable BCM_TEST_API_TOKEN is not set",
        ),
        (
            format!("{CONFIG}\n[http]\nlisten = \"127.0.0.1:9000\"\n[api]\nlisten = \"127.0.0.1:9000\"\n"),
            "monitor.toml:19: api.listen: must differ from http.listen",
        ),
        (
            format!("{CONFIG}\n[api.limits]\nmax_connections_per_client = 500\n"),
            "monitor.toml:17: api.limits.max_connections_per_client: 500 must be between 1 and 128",
        ),
        (
            format!("{CONFIG}\n[http.limits]\nidle_timeout_secs = 5\nrequest_timeout_secs = 10\n"),
            "monitor.toml:17: http.limits.idle_timeout_secs: 5 must be between 10 and 3600",
        ),
        (
            format!("{CONFIG}\n[http.limits]\nmax_request_bytes = 100\n"),
            "monitor.toml:17: http.limits.max_request_bytes: 100 must be between 8192 and 1048576",
        ),
        (
            format!("{CONFIG}\n[api]\non_stale = \"maybe\"\n"),
            "monitor.toml:17: api.on_stale: unknown variant `maybe`",
        ),
        (
            format!("{CONFIG}\n[api]\nstale_after_secs = 0\n"),
            "monitor.toml:17: api.stale_after_secs: must be greater than 0",
        ),
    ];
    for (text, want) in cases {
        assert_refused(load(&text, PRICES, &[]), want);
    }
    let from_env = format!("{CONFIG}\n[api]\ntoken_env = \"BCM_TEST_API_TOKEN\"\n");
    assert_refused(
        load(&from_env, PRICES, &[("BCM_TEST_API_TOKEN", "  ")]),
        "monitor.toml:17: api.token_env: environment variable BCM_TEST_API_TOKEN holds an empty token",
    );
    assert_eq!(load(&from_env, PRICES, &[("BCM_TEST_API_TOKEN", "abc")]), Ok(vec![]));
    // Off loopback without a token: allowed, and warned about.
    let open = format!("{CONFIG}\n[api]\nlisten = \"0.0.0.0:9471\"\n");
    assert_eq!(
        load(&open, PRICES, &[]),
        Ok(vec!["warning: monitor.toml:17: api.listen: 0.0.0.0:9471 is reachable from outside the task and no token is required".to_string()])
    );
    assert_refused(
        load(CONFIG, PRICES, &[("BCM_API_LISTEN", "loopback")]),
        "environment variable BCM_API_LISTEN: api.listen: `loopback` is not an address",
    );
}

#[test]
fn environment_overrides_apply_and_are_blamed_by_name() {
    assert!(load(
        CONFIG,
        PRICES,
        &[("BCM_REGIONS", "eu-west-1,eu-central-1"), ("BCM_LISTEN", "127.0.0.1:9999")]
    )
    .is_ok());
    assert_refused(
        load(CONFIG, PRICES, &[("BCM_LISTEN", "everywhere")]),
        "environment variable BCM_LISTEN: http.listen: `everywhere` is not an address",
    );
    assert_refused(
        load(CONFIG, PRICES, &[("BCM_REGIONS", "us-east-1,moon-1")]),
        "environment variable BCM_REGIONS: monitor.regions[1]: `moon-1` is not an AWS region name",
    );
    assert_refused(
        load(CONFIG, PRICES, &[("BCM_SNS_TOPIC_ARN", "arn:aws:sqs:us-east-1:1:q")]),
        "environment variable BCM_SNS_TOPIC_ARN: alerts.sns_topic_arn: `arn:aws:sqs:us-east-1:1:q` is not an SNS topic ARN",
    );
}

#[test]
fn broken_price_tables_name_file_line_field_and_reason() {
    let with_second = format!("{PRICES}{SECOND_ENTRY}");
    let cases: Vec<(String, &str)> = vec![
        (
            PRICES.replace("input = \"1\"", "input = \"-1\""),
            "prices.toml:12: price[0].usd_per_million.input: price -1 is negative",
        ),
        (
            PRICES.replace("cache_write_1h", "cache_write_2h"),
            "prices.toml:12: price[0].usd_per_million.cache_write_2h: unknown token type `cache_write_2h`",
        ),
        (
            PRICES.replace("output = \"5\", ", ""),
            "prices.toml:12: price[0].usd_per_million.output: missing price for token type `output`",
        ),
        (
            PRICES.replace("input = \"1\"", "input = 1.5"),
            "prices.toml:12: price[0].usd_per_million.input: write the amount as a string",
        ),
        (with_second.clone(), "prices.toml:17: price[1].from: effective range overlaps price[0]"),
        (with_second.replace("2025-06-01", "2025-01-01"), "prices.toml:17: price[1].from: duplicate entry"),
        (
            PRICES.replace("model = \"m\"", "model = \"x\""),
            "prices.toml:7: price[0].model: unknown model `x`",
        ),
        (
            PRICES.replace("scope = \"all\"", "scope = \"moon\""),
            "prices.toml:8: price[0].scope: unknown variant `moon`",
        ),
        (
            PRICES.replace("checked = 2026-11-01", "checked = 2026-11-01\nuntil = 2024-01-01"),
            "prices.toml:12: price[0].until: must be after `from`",
        ),
        (
            PRICES.replace("https://example.com/prices", "example.com"),
            "prices.toml:10: price[0].source: must be an https:// URL",
        ),
        (
            PRICES.replace("from = 2025-01-01", "from = 2025-01-01T00:00:00"),
            "prices.toml:9: price[0].from: `2025-01-01T00:00:00` must be a date",
        ),
        (
            PRICES.replace("scope = \"all\"", "scope = \"all\"\ntier = \"pri ority\""),
            "prices.toml:9: price[0].tier: `pri ority` is not a service tier name",
        ),
        (
            with_second.replacen("scope = \"all\"", "scope = \"all\"\ntier = \"priority\"", 2),
            "prices.toml:19: price[1].from: effective range overlaps price[0]",
        ),
        (
            PRICES.replace("scope = \"all\"", "scope = \"all\"\nregion = \"us-gov-west-1\""),
            "prices.toml:9: price[0].region: `us-gov-west-1` is a GovCloud region: its calls are priced only by scope = \"govcloud\" entries",
        ),
        (
            PRICES.replace("scope = \"all\"", "scope = \"govcloud\"\nregion = \"us-east-1\""),
            "prices.toml:9: price[0].region: `us-east-1` is not a GovCloud region",
        ),
        (
            PRICES.replace("scope = \"all\"", "scope = \"all\"\ncache_ratio_note = \" \""),
            "prices.toml:9: price[0].cache_ratio_note: must say why the cache prices differ",
        ),
    ];
    for (text, want) in cases {
        assert_refused(load(CONFIG, &text, &[]), want);
    }
}

#[test]
fn closed_ranges_do_not_overlap_and_odd_cache_ratios_only_warn() {
    let closed = format!("{PRICES}{SECOND_ENTRY}").replacen(
        "checked = 2026-11-01",
        "checked = 2026-11-01\nuntil = 2025-06-01",
        1,
    );
    assert_eq!(load(CONFIG, &closed, &[]), Ok(vec![]));
    let odd = PRICES.replace("cache_read = \"0.1\"", "cache_read = \"0.12\"");
    let warnings = load(CONFIG, &odd, &[]).expect("a ratio is a warning, not an error");
    assert_eq!(
        warnings,
        vec!["warning: prices.toml:12: price[0].usd_per_million.cache_read: 0.12 is not 0.1× the input price 1 (expected 0.1); check the source, or say why in `cache_ratio_note`"]
    );
    // A note that says why silences the warning; one on standard ratios is stale.
    let explained = odd.replace("scope = \"all\"", "scope = \"all\"\ncache_ratio_note = \"published so\"");
    assert_eq!(load(CONFIG, &explained, &[]), Ok(vec![]));
    let stale = PRICES.replace("scope = \"all\"", "scope = \"all\"\ncache_ratio_note = \"published so\"");
    let warnings = load(CONFIG, &stale, &[]).expect("a stale note is a warning");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with(
            "warning: prices.toml:9: price[0].cache_ratio_note: every cache price has the documented ratio"
        ),
        "{warnings:?}"
    );
    // The long-context tier is held to the same ratios.
    let lc = PRICES.replace(
        "cache_write_1h = \"2\" }\n",
        "cache_write_1h = \"2\" }\nlong_context = { above_prompt_tokens = 100000, usd_per_million = { input = \"2\", output = \"10\", cache_read = \"0.2\", cache_write_5m = \"2.5\", cache_write_1h = \"5\" } }\n",
    );
    let warnings = load(CONFIG, &lc, &[]).expect("a ratio is a warning");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with(
            "warning: prices.toml:13: price[0].long_context.usd_per_million.cache_write_1h: 5 is not 2×"
        ),
        "{warnings:?}"
    );
}

/// Entries of different tiers never compete for a call, so they may overlap in time.
#[test]
fn tier_entries_may_overlap_the_standard_ones() {
    let tiered = format!("{PRICES}{SECOND_ENTRY}").replacen(
        "scope = \"all\"\nfrom = 2025-06-01",
        "scope = \"all\"\ntier = \"flex\"\nfrom = 2025-06-01",
        1,
    );
    assert_eq!(load(CONFIG, &tiered, &[]), Ok(vec![]));
}

#[test]
fn sharing_shards_on_sqlite_only_warns() {
    let config = format!("{CONFIG}\n[replicas]\nshare_shards = true\n");
    let warnings = load(&config, PRICES, &[]).expect("a warning, not an error");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].ends_with(
            "replicas.share_shards: has no effect with store.kind = \"sqlite\": one process holds every shard"
        ),
        "{warnings:?}"
    );
}
