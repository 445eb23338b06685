//! Records of single requests, from Bedrock's model invocation logs: what one
//! request used ([`RequestUsage`]), what it cost ([`RequestCost`]), and the
//! per-minute sums the ledger keeps of them ([`RequestSum`]).
//!
//! Plain data. The invocation-log source produces usages, `pricing/` prices
//! them one by one, the ledger de-duplicates them by request ID and sums
//! them. Must not parse logs, price or store anything itself.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// The caller's own `requestMetadata` keys kept as dimensions (only the keys
/// configured), sorted by key: the same map always encodes the same way.
pub type Dimensions = BTreeMap<String, String>;

/// Cache-write tokens of one request. The log's top-level count is a total;
/// the split by TTL is known only when the logged response body carried it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheWrites {
    /// The split by TTL, as the response body reported it.
    Split { five_minutes: u64, one_hour: u64 },
    /// A total whose TTL is not in the record: priced at the configured TTL.
    Total(u64),
}

impl CacheWrites {
    pub fn total(self) -> u64 {
        match self {
            CacheWrites::Split { five_minutes, one_hour } => five_minutes.saturating_add(one_hour),
            CacheWrites::Total(t) => t,
        }
    }
}

/// What one request used, as its invocation-log record says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestUsage {
    /// Bedrock's `requestId`: the key a re-delivered record is dropped by.
    pub request_id: String,
    /// When the request was made (the record's `timestamp`).
    pub at: DateTime<Utc>,
    /// The region the call was made to, where its price and metrics are.
    pub region: String,
    pub model_id: String,
    /// Normalised principal (an assumed role's role ARN, not its session).
    pub principal: String,
    pub dimensions: Dimensions,
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: CacheWrites,
    /// The record says the call was a batch-inference request.
    pub batch: bool,
}

impl RequestUsage {
    /// Start of the request's minute.
    pub fn minute(&self) -> DateTime<Utc> {
        crate::clock::floor_minute(self.at)
    }
}

/// Token counts by bucket, as stored per request sum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestTokens {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
}

impl RequestTokens {
    /// Adds `other`; `None` on overflow (never wrapped).
    pub fn checked_add(self, other: RequestTokens) -> Option<RequestTokens> {
        Some(RequestTokens {
            input: self.input.checked_add(other.input)?,
            output: self.output.checked_add(other.output)?,
            cache_read: self.cache_read.checked_add(other.cache_read)?,
            cache_write_5m: self.cache_write_5m.checked_add(other.cache_write_5m)?,
            cache_write_1h: self.cache_write_1h.checked_add(other.cache_write_1h)?,
        })
    }

    /// Every token of every bucket.
    pub fn total(&self) -> u64 {
        [self.input, self.output, self.cache_read, self.cache_write_5m, self.cache_write_1h]
            .into_iter()
            .fold(0u64, u64::saturating_add)
    }

    /// Cache writes of both TTLs, as CloudWatch counts them.
    pub fn cache_write(&self) -> u64 {
        self.cache_write_5m.saturating_add(self.cache_write_1h)
    }
}

/// How a request was priced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestPricing {
    Priced {
        /// Price-table model key.
        model: String,
        price_entry: String,
        usd: Decimal,
        /// The long-context rates applied (the prompt was above the threshold).
        long_context: bool,
        /// The cache-write TTL came from configuration, not from the record.
        ttl_assumed: bool,
    },
    /// Kept with its reason and tokens; never a zero price.
    Unpriced { reason: String },
}

/// One request, priced on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestCost {
    pub request_id: String,
    pub minute: DateTime<Utc>,
    pub region: String,
    pub model_id: String,
    pub principal: String,
    pub dimensions: Dimensions,
    pub tokens: RequestTokens,
    pub pricing: RequestPricing,
}

/// Requests summed per (minute, region, model ID, model, principal,
/// dimensions); over a window, `minute` is the window's start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestSum {
    pub minute: DateTime<Utc>,
    pub region: String,
    pub model_id: String,
    /// `None` for unpriced requests.
    pub model: Option<String>,
    pub principal: String,
    pub dimensions: Dimensions,
    pub requests: u64,
    pub tokens: RequestTokens,
    /// Zero for unpriced requests.
    pub usd: Decimal,
    /// Requests priced at long-context rates.
    pub long_context: u64,
    /// Requests whose cache-write TTL came from configuration.
    pub ttl_assumed: u64,
}
