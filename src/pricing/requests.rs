//! Pricing one request at a time, from its invocation-log record: exact where
//! a minute's CloudWatch sums cannot be. The long-context rates apply to the
//! requests whose own prompt is above the model's threshold (and only to
//! them), the batch discount where the record says batch, and cache writes
//! at the TTL the response reported, else at the configured TTL (flagged).
//!
//! Pure: the table, application profiles and TTL settings come from the
//! [`PointPricer`]; must not read logs or store anything.

use super::cost::cost;
use super::{PointPricer, PriceOptions, PriceOutcome, Resolution, TokenType, Usage};
use crate::records::{CacheWrites, RequestCost, RequestPricing, RequestTokens, RequestUsage};

/// Prices `usage` on its own. An unknown model, a missing price or an
/// overflow is "unpriced" with its reason, never $0.
pub fn price_request(config: &PointPricer, usage: &RequestUsage) -> RequestCost {
    let pricer = config.pricer();
    let resolution = pricer.resolve(&usage.model_id);
    let (tokens, ttl_assumed) = bucket_tokens(config, &resolution, usage);
    let buckets = as_usage(&tokens);
    let opts = PriceOptions { batch: usage.batch, long_context: false };
    let outcome = pricer.price_resolved(&usage.model_id, resolution, &usage.region, usage.at, &buckets, opts);
    let pricing = match outcome {
        Ok(PriceOutcome::Priced(priced)) => {
            // The threshold is a property of the entry in force, so it is
            // known only once the standard price is found.
            let threshold = priced.entry.long_context.as_ref().map(|lc| lc.above_prompt_tokens);
            let long_context = threshold.is_some_and(|t| buckets.prompt_tokens() > t);
            let total = if long_context {
                cost(priced.entry, &buckets, PriceOptions { long_context: true, ..opts }).map(|c| c.total_usd)
            } else {
                Ok(priced.cost.total_usd)
            };
            match total {
                Ok(usd) => RequestPricing::Priced {
                    model: priced.resolved.model,
                    price_entry: priced.entry.id.clone(),
                    usd,
                    long_context,
                    ttl_assumed,
                },
                Err(e) => RequestPricing::Unpriced { reason: e.to_string() },
            }
        }
        Ok(PriceOutcome::Unpriced { reason, .. }) => RequestPricing::Unpriced { reason: reason.to_string() },
        Err(e) => RequestPricing::Unpriced { reason: e.to_string() },
    };
    RequestCost {
        request_id: usage.request_id.clone(),
        minute: usage.minute(),
        region: usage.region.clone(),
        model_id: usage.model_id.clone(),
        principal: usage.principal.clone(),
        dimensions: usage.dimensions.clone(),
        tokens,
        pricing,
    }
}

/// The request's tokens by bucket, and whether the cache-write TTL had to
/// come from configuration.
fn bucket_tokens(
    config: &PointPricer,
    resolution: &Resolution,
    usage: &RequestUsage,
) -> (RequestTokens, bool) {
    let mut tokens = RequestTokens {
        input: usage.input,
        output: usage.output,
        cache_read: usage.cache_read,
        ..RequestTokens::default()
    };
    let assumed = match usage.cache_write {
        CacheWrites::Split { five_minutes, one_hour } => {
            tokens.cache_write_5m = five_minutes;
            tokens.cache_write_1h = one_hour;
            false
        }
        CacheWrites::Total(0) => false,
        CacheWrites::Total(total) => {
            match config.token_type_of(resolution, TokenType::CacheWrite5m) {
                TokenType::CacheWrite1h => tokens.cache_write_1h = total,
                _ => tokens.cache_write_5m = total,
            }
            true
        }
    };
    (tokens, assumed)
}

fn as_usage(t: &RequestTokens) -> Usage {
    Usage::new()
        .with(TokenType::Input, t.input)
        .with(TokenType::Output, t.output)
        .with(TokenType::CacheRead, t.cache_read)
        .with(TokenType::CacheWrite5m, t.cache_write_5m)
        .with(TokenType::CacheWrite1h, t.cache_write_1h)
}

#[cfg(test)]
#[path = "requests_tests.rs"]
mod tests;
