//! Token types (the buckets Bedrock bills separately) and a usage of them.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// One separately priced token bucket. CloudWatch reports cache writes as one
/// bucket; which TTL they had is configuration (see `pricing.cache_write_ttl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenType {
    Input,
    Output,
    CacheRead,
    CacheWrite5m,
    CacheWrite1h,
}

impl TokenType {
    pub const ALL: [TokenType; 5] = [
        TokenType::Input,
        TokenType::Output,
        TokenType::CacheRead,
        TokenType::CacheWrite5m,
        TokenType::CacheWrite1h,
    ];

    /// The name used in the price table, `price --json` and the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Input => "input",
            TokenType::Output => "output",
            TokenType::CacheRead => "cache_read",
            TokenType::CacheWrite5m => "cache_write_5m",
            TokenType::CacheWrite1h => "cache_write_1h",
        }
    }

    /// The `token_type` label value of the metrics contract, where both cache
    /// write TTLs are one bucket, as CloudWatch reports them.
    pub fn metric_label(self) -> &'static str {
        match self {
            TokenType::CacheWrite5m | TokenType::CacheWrite1h => "cache_write",
            other => other.as_str(),
        }
    }

    pub fn names() -> String {
        TokenType::ALL.map(TokenType::as_str).join(", ")
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown token type `{0}` (expected one of {names})", names = TokenType::names())]
pub struct UnknownTokenType(pub String);

impl FromStr for TokenType {
    type Err = UnknownTokenType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TokenType::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| UnknownTokenType(s.to_string()))
    }
}

/// Token counts by type. Counts are integers: tokens are never fractional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage(BTreeMap<TokenType, u64>);

impl Usage {
    pub fn new() -> Self {
        Usage::default()
    }

    pub fn with(mut self, t: TokenType, tokens: u64) -> Self {
        self.add(t, tokens);
        self
    }

    /// Adds tokens; saturates instead of wrapping, which no real count reaches.
    pub fn add(&mut self, t: TokenType, tokens: u64) {
        let slot = self.0.entry(t).or_insert(0);
        *slot = slot.saturating_add(tokens);
    }

    pub fn get(&self, t: TokenType) -> u64 {
        self.0.get(&t).copied().unwrap_or(0)
    }

    /// Non-zero buckets in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = (TokenType, u64)> + '_ {
        self.0.iter().map(|(t, n)| (*t, *n)).filter(|(_, n)| *n > 0)
    }

    /// Input-side tokens of a request, which is what long-context tiers count.
    pub fn prompt_tokens(&self) -> u64 {
        [TokenType::Input, TokenType::CacheRead, TokenType::CacheWrite5m, TokenType::CacheWrite1h]
            .iter()
            .map(|t| self.get(*t))
            .fold(0u64, u64::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in TokenType::ALL {
            assert_eq!(t.as_str().parse::<TokenType>().unwrap(), t);
        }
        let err = "cache_write_2h".parse::<TokenType>().unwrap_err();
        assert!(err.to_string().contains("cache_write_5m"), "{err}");
    }

    #[test]
    fn metric_label_folds_cache_write_ttls() {
        assert_eq!(TokenType::CacheWrite1h.metric_label(), "cache_write");
        assert_eq!(TokenType::CacheRead.metric_label(), "cache_read");
    }
}
