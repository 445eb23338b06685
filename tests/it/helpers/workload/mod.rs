//! Shared by the CloudWatch, alert, replica and restart tests: the seeded workload, its
//! truth computed independently of the crate's pricing (hand-written literal
//! rates, exact `Decimal`), publishing into the emulator and reading
//! Prometheus text.
//!
//! The truth never calls the pricing code: if a rate, a model resolution or
//! a token mapping in the crate is wrong, the comparison fails.

pub mod prom;

use std::collections::BTreeMap;
use std::str::FromStr;

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::records::CostTotal;
use bedrock_cost_monitor::sim::publish::publish;
use bedrock_cost_monitor::sim::{self, SimDatum, SimSeries};
use bedrock_cost_monitor::sources::cloudwatch::MetricNames;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

pub const EAST: &str = "us-east-1";
pub const WEST: &str = "us-west-2";
pub const SONNET_US: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
pub const OPUS_GLOBAL: &str = "global.anthropic.claude-opus-4-5-20251101-v1:0";
pub const HAIKU_3: &str = "anthropic.claude-3-haiku-20240307-v1:0";
pub const UNKNOWN: &str = "anthropic.claude-opus-9-20290101-v1:0";
pub const HAIKU_45_US: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
pub const HAIKU_35_ARN: &str =
    "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0";
/// A series that only appears later (the restart test).
pub const OPUS_US: &str = "us.anthropic.claude-opus-4-5-20251101-v1:0";

/// The `model` key and USD per 1M tokens (input, output, cache read, 5-minute
/// cache write) of each model ID, copied by hand from config/prices.toml.
/// `None`: the price table does not know the model.
pub fn literal_rates(model_id: &str) -> Option<(&'static str, [&'static str; 4])> {
    match model_id {
        // Sonnet 4.5 through a geographic profile: the regional (+10%) rates.
        SONNET_US => Some(("claude-sonnet-4-5", ["3.30", "16.50", "0.33", "4.125"])),
        // Opus 4.5 through the global profile: the global rates.
        OPUS_GLOBAL => Some(("claude-opus-4-5", ["5", "25", "0.50", "6.25"])),
        OPUS_US => Some(("claude-opus-4-5", ["5.50", "27.50", "0.55", "6.875"])),
        HAIKU_3 => Some(("claude-3-haiku", ["0.25", "1.25", "0.03", "0.30"])),
        HAIKU_45_US => Some(("claude-haiku-4-5", ["1.10", "5.50", "0.11", "1.375"])),
        HAIKU_35_ARN => Some(("claude-3-5-haiku", ["0.80", "4", "0.08", "1"])),
        UNKNOWN => None,
        other => panic!("no literal rate written for {other}"),
    }
}

/// Token metrics and their bucket (cache writes at the configured 5-minute TTL).
fn token_type(metric: BedrockMetric) -> Option<TokenType> {
    match metric {
        BedrockMetric::InputTokenCount => Some(TokenType::Input),
        BedrockMetric::OutputTokenCount => Some(TokenType::Output),
        BedrockMetric::CacheReadInputTokens => Some(TokenType::CacheRead),
        BedrockMetric::CacheWriteInputTokens => Some(TokenType::CacheWrite5m),
        _ => None,
    }
}

pub fn is_token_metric(metric: BedrockMetric) -> bool {
    token_type(metric).is_some()
}

/// The seeded workload: every ID form over two regions, cache tokens, an unknown model.
pub fn seeded_series() -> Vec<SimSeries> {
    let s = |region: &str, model_id: &str, peak, input, output, read, write, throttle| SimSeries {
        region: region.into(),
        model_id: model_id.into(),
        peak_invocations: peak,
        input_per_call: input,
        output_per_call: output,
        cache_read_per_call: read,
        cache_write_per_call: write,
        throttle_every: throttle,
    };
    vec![
        s(EAST, SONNET_US, 40, 2_400, 650, 9_000, 1_200, 17),
        s(EAST, OPUS_GLOBAL, 6, 5_000, 1_500, 20_000, 2_000, 0),
        s(EAST, HAIKU_3, 90, 800, 120, 0, 0, 0),
        s(EAST, UNKNOWN, 3, 3_000, 900, 0, 0, 0),
        s(WEST, HAIKU_45_US, 60, 1_500, 300, 4_000, 500, 23),
        s(WEST, HAIKU_35_ARN, 20, 1_000, 250, 0, 0, 0),
    ]
}

/// Every datum of `series` for the minutes in `[start, end)`.
pub fn workload(series: &[SimSeries], start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<SimDatum> {
    series.iter().flat_map(|s| sim::datums(s, start, end)).collect()
}

/// One extra datum, as a late CloudWatch datapoint would add to a minute.
pub fn datum(
    region: &str,
    model_id: &str,
    metric: BedrockMetric,
    minute: DateTime<Utc>,
    sum: u32,
) -> SimDatum {
    SimDatum {
        region: region.into(),
        model_id: model_id.into(),
        metric,
        minute,
        sum: f64::from(sum),
        count: None,
    }
}

/// The monitor's default metric names (both cache spellings).
pub fn names() -> MetricNames {
    MetricNames::from_config(&Default::default())
}

/// Publishes datums (any regions) into the emulator's `AWS/Bedrock` namespace.
pub async fn publish_all(emu: &Emulator, datums: &[SimDatum]) {
    for region in [EAST, WEST] {
        let mine: Vec<SimDatum> = datums.iter().filter(|d| d.region == region).cloned().collect();
        if mine.is_empty() {
            continue;
        }
        #[expect(clippy::disallowed_methods, reason = "publishes the simulated traffic to the emulator")]
        let client = aws_sdk_cloudwatch::Client::new(&emu.sdk_config(region).await);
        publish(&client, &mine).await.expect("PutMetricData");
    }
}

/// Tokens per (region, model ID, token type), summed from the datums the
/// collector is expected to have read; costs priced with [`literal_rates`].
#[derive(Clone, Debug, Default)]
pub struct Truth {
    pub tokens: BTreeMap<(String, String, TokenType), u64>,
}

impl Truth {
    pub fn of<'a>(datums: impl IntoIterator<Item = &'a SimDatum>) -> Truth {
        let mut truth = Truth::default();
        for d in datums {
            let Some(token_type) = token_type(d.metric) else { continue };
            assert!(d.sum >= 0.0 && d.sum.fract() == 0.0, "token sums are whole: {d:?}");
            let key = (d.region.clone(), d.model_id.clone(), token_type);
            *truth.tokens.entry(key).or_default() += d.sum as u64;
        }
        truth
    }

    /// Exact USD of `tokens` of one bucket: tokens × rate ÷ 10⁶.
    pub fn usd(model_id: &str, token_type: TokenType, tokens: u64) -> Option<Decimal> {
        let (_, rates) = literal_rates(model_id)?;
        let index = token_type_index(token_type);
        let rate = Decimal::from_str(rates[index]).unwrap();
        Some(Decimal::from(tokens) * rate / Decimal::from(1_000_000))
    }

    /// What `Store::cost_totals` must return, in its order.
    pub fn cost_totals(&self) -> Vec<CostTotal> {
        let mut totals: Vec<CostTotal> = self
            .tokens
            .iter()
            .map(|((region, model_id, token_type), &tokens)| CostTotal {
                region: region.clone(),
                model_id: model_id.clone(),
                model: literal_rates(model_id).map(|(model, _)| model.to_string()),
                token_type: *token_type,
                tokens,
                usd: Truth::usd(model_id, *token_type, tokens).unwrap_or(Decimal::ZERO),
            })
            .collect();
        totals.sort_by(|a, b| {
            (&a.region, &a.model_id, &a.model, a.token_type).cmp(&(
                &b.region,
                &b.model_id,
                &b.model,
                b.token_type,
            ))
        });
        totals
    }

    /// [`Truth::cost_totals`] as the ledger keys them in `account` (`None`:
    /// the primary account's plain regions; a member's `<account>/<region>`).
    pub fn cost_totals_in(&self, account: Option<&str>) -> Vec<CostTotal> {
        let key = |region: &str| account.map_or_else(|| region.to_string(), |a| format!("{a}/{region}"));
        self.cost_totals().into_iter().map(|t| CostTotal { region: key(&t.region), ..t }).collect()
    }

    pub fn in_region(&self, region: &str) -> Vec<CostTotal> {
        self.cost_totals().into_iter().filter(|t| t.region == region).collect()
    }

    /// All USD of the workload, exact.
    pub fn total_usd(&self) -> Decimal {
        self.cost_totals().iter().map(|t| t.usd).sum()
    }
}

fn token_type_index(t: TokenType) -> usize {
    match t {
        TokenType::Input => 0,
        TokenType::Output => 1,
        TokenType::CacheRead => 2,
        TokenType::CacheWrite5m => 3,
        TokenType::CacheWrite1h => panic!("the seeded configuration prices cache writes at the 5m TTL"),
    }
}
