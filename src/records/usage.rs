//! What usage records say: token and metric points per minute, the priced
//! cost lines made from them, and the all-time totals kept of both.
//!
//! Plain data handed from sources to pricing to the ledger and on to budgets
//! and telemetry; must not price, store or read anything.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::bedrock::BedrockMetric;
use crate::pricing::TokenType;

/// One CloudWatch datapoint over one minute. A minute without a datapoint has
/// no `MetricPoint`: "no data" is never recorded as zero.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricPoint {
    pub region: String,
    pub model_id: String,
    pub metric: BedrockMetric,
    /// Start of the minute (seconds = 0).
    pub minute: DateTime<Utc>,
    /// The `Sum` statistic.
    pub sum: f64,
    /// The `SampleCount` statistic, for metrics that are averaged.
    pub count: Option<f64>,
}

/// How a line of tokens was priced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinePricing {
    Priced {
        /// Price-table model key, e.g. `claude-sonnet-4-5`.
        model: String,
        /// The price entry used, e.g. `claude-sonnet-4-5:regional:2025-09-29`.
        price_entry: String,
        usd: Decimal,
    },
    /// Kept with its ID so it stays visible; never a zero price.
    Unpriced { reason: String },
}

/// Tokens of one type, of one model ID, in one region and minute, with their cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostLine {
    pub region: String,
    pub model_id: String,
    pub minute: DateTime<Utc>,
    pub token_type: TokenType,
    pub tokens: u64,
    pub pricing: LinePricing,
}

/// All-time totals of one cost series, kept by the store as lines are
/// written and revised, so /metrics never resets on restart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostTotal {
    pub region: String,
    pub model_id: String,
    /// `None` for unpriced tokens.
    pub model: Option<String>,
    pub token_type: TokenType,
    pub tokens: u64,
    /// Zero for unpriced tokens.
    pub usd: Decimal,
}

/// All-time sum of one metric series (invocations, errors, throttles, …).
#[derive(Clone, Debug, PartialEq)]
pub struct MetricTotal {
    pub region: String,
    pub model_id: String,
    pub metric: BedrockMetric,
    pub sum: f64,
    pub count: f64,
}
