//! Wake-ups in the demo: the queue and the per-region alarm topics made in
//! the emulator as deploy/terraform makes them in AWS (each topic delivers
//! to the one queue), and the alarms' threshold sized to the simulated
//! traffic, between the busiest normal minute and the runaway's first.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::DemoError;
use crate::bedrock::BedrockMetric;
use crate::emulator::Emulator;
use crate::pricing::{PointPricer, PriceOptions, PriceOutcome, TokenType, Usage};
use crate::sim::{datums, scaled, SimDatum, SimSeries};

/// Where deploy/terraform puts the queue: the daemon's own region.
const QUEUE_REGION: &str = "us-east-1";
const NAME: &str = "bedrock-cost-monitor-wakeups";

/// The queue and, per monitored region, the topic its alarms notify.
pub struct Wiring {
    pub queue_url: String,
    pub topics: BTreeMap<String, String>,
}

impl Wiring {
    pub async fn create(emulator: &Emulator, regions: &[String]) -> Result<Wiring, DemoError> {
        #[expect(clippy::disallowed_methods, reason = "the demo's wake-up queue on the emulator")]
        let sqs = aws_sdk_sqs::Client::new(&emulator.sdk_config(QUEUE_REGION).await);
        let (queue_url, queue_arn) = super::inbox::queue(&sqs, NAME).await?;
        let mut topics = BTreeMap::new();
        for region in regions {
            #[expect(clippy::disallowed_methods, reason = "the demo's alarm topics on the emulator")]
            let sns = aws_sdk_sns::Client::new(&emulator.sdk_config(region).await);
            let arn = super::inbox::topic_to_queue(&sns, NAME, &queue_arn).await?;
            topics.insert(region.clone(), arn);
        }
        Ok(Wiring { queue_url, topics })
    }

    /// `wakeups.topic_arns` as its environment variable spells it.
    pub fn topics_env(&self) -> String {
        let pairs: Vec<String> = self.topics.iter().map(|(r, a)| format!("{r}={a}")).collect();
        pairs.join(",")
    }
}

/// The alarm threshold, in USD per hour at one minute's pace.
pub struct Threshold {
    pub usd_per_hour: Decimal,
    /// The busiest minute of a region's normal traffic, all its models together.
    pub busiest: Decimal,
    /// The runaway series alone, in its first minute.
    pub runaway: Decimal,
}

/// Weighs token sums as the daemon's alarms do: input and output tokens at
/// their standard rates; a model without a price at the highest rate seen.
struct Weights {
    rates: BTreeMap<(String, String, bool), Option<Decimal>>,
    highest: Decimal,
}

impl Weights {
    fn of(pricer: &PointPricer, data: &[SimDatum], now: DateTime<Utc>) -> Weights {
        let mut rates = BTreeMap::new();
        for d in data {
            let Some(token) = token_type(d.metric) else { continue };
            let key = (d.region.clone(), d.model_id.clone(), token == TokenType::Input);
            rates.entry(key).or_insert_with(|| {
                let usage = Usage::new().with(token, 1_000_000);
                match pricer.pricer().price(&d.model_id, &d.region, now, &usage, PriceOptions::default()) {
                    Ok(PriceOutcome::Priced(p)) => Some(p.cost.total_usd),
                    _ => None,
                }
            });
        }
        let highest = rates.values().flatten().copied().max().unwrap_or_default();
        Weights { rates, highest }
    }

    /// USD per hour at the pace of `data` (one minute of it).
    fn pace<'a>(&self, data: impl IntoIterator<Item = &'a SimDatum>) -> Decimal {
        let mut usd = Decimal::ZERO;
        for d in data {
            let Some(token) = token_type(d.metric) else { continue };
            let key = (d.region.clone(), d.model_id.clone(), token == TokenType::Input);
            let rate = self.rates.get(&key).copied().flatten().unwrap_or(self.highest);
            let tokens = Decimal::from_str_exact(&format!("{:.0}", d.sum)).unwrap_or_default();
            usd += tokens * rate;
        }
        usd * Decimal::from(60) / Decimal::from(1_000_000)
    }
}

fn token_type(metric: BedrockMetric) -> Option<TokenType> {
    match metric {
        BedrockMetric::InputTokenCount => Some(TokenType::Input),
        BedrockMetric::OutputTokenCount => Some(TokenType::Output),
        _ => None,
    }
}

/// Halfway between the busiest normal minute of any region and the
/// runaway's first minute with calls, so normal traffic leaves the alarms in OK and the
/// runaway puts its alarm in ALARM; `None` when the runaway is not above.
pub fn threshold(
    pricer: &PointPricer,
    history: &[SimDatum],
    runaway: &SimSeries,
    factor: u64,
    starts: DateTime<Utc>,
) -> Option<Threshold> {
    // About one simulated minute in eleven has no traffic: the runaway's
    // first minute is its first with calls.
    let fast = scaled(runaway, factor);
    let spike = (0..10)
        .map(|n| starts + Duration::minutes(n))
        .map(|m| datums(&fast, m, m + Duration::minutes(1)))
        .find(|d| !d.is_empty())
        .unwrap_or_default();
    let all: Vec<SimDatum> = history.iter().chain(&spike).cloned().collect();
    let weights = Weights::of(pricer, &all, starts);
    let mut minutes: BTreeMap<(&str, DateTime<Utc>), Vec<&SimDatum>> = BTreeMap::new();
    for d in history {
        minutes.entry((d.region.as_str(), d.minute)).or_default().push(d);
    }
    let busiest = minutes.values().map(|m| weights.pace(m.iter().copied())).max().unwrap_or_default();
    let runaway = weights.pace(&spike);
    (runaway > busiest).then(|| Threshold {
        usd_per_hour: ((busiest + runaway) / Decimal::TWO).round_dp(2),
        busiest: busiest.round_dp(2),
        runaway: runaway.round_dp(2),
    })
}
