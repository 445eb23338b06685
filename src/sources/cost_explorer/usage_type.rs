//! Reading a billed usage type: which region, which model, which token
//! bucket, which endpoint and tier. Real bills spell these many ways —
//! `USE1-Claude4.6Sonnet-input-tokens`, `USE1-Claude4.6Sonnet-output-tokens-cross-region-global`,
//! `USW2-anthropic.claude-opus-4-8-mantle-cache-write-tokens-global-standard`,
//! `USE1-MP:USE1_CacheReadInputTokenCount-Units` (AWS Marketplace, the model
//! is then only in the service name), `USE2_InputTokenCount_Global-Units` —
//! so the parse is by substring, tolerant, and says what it could not tell
//! instead of guessing. Pure.

/// The token bucket a usage type bills. Cache writes are one bucket as
/// CloudWatch reports them; the TTL, when the usage type names one, is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BilledTokens {
    Input,
    Output,
    CacheRead,
    CacheWrite { one_hour: Option<bool> },
}

impl BilledTokens {
    /// The `token_type` label of the metrics contract (`cache_write` for either TTL).
    pub fn label(self) -> &'static str {
        match self {
            BilledTokens::Input => "input",
            BilledTokens::Output => "output",
            BilledTokens::CacheRead => "cache_read",
            BilledTokens::CacheWrite { .. } => "cache_write",
        }
    }
}

/// Where the tokens were served, as far as the usage type tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BilledEndpoint {
    /// In the region, or a usage type that does not say.
    InRegion,
    /// A geographic cross-region profile (`cross-region` without `global`).
    Geographic,
    /// The `global.` cross-region profile.
    Global,
}

/// What one usage type (with its service) says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageType {
    /// The AWS region of the billing prefix (`USE1` → `us-east-1`).
    pub region: Option<String>,
    /// The text that names the model: from the usage type
    /// (`Claude4.6Sonnet`, `anthropic.claude-opus-4-8`) or, for Marketplace
    /// lines, the service (`Claude Sonnet 4.6 (Amazon Bedrock Edition)`).
    pub model: Option<String>,
    pub tokens: Option<BilledTokens>,
    pub endpoint: BilledEndpoint,
    /// A service tier the usage type names (`priority`, `flex`, …); `None` is standard.
    pub tier: Option<String>,
    pub mantle: bool,
}

impl UsageType {
    /// Region, model and token bucket are all known: the line can be compared.
    pub fn is_mapped(&self) -> bool {
        self.region.is_some() && self.model.is_some() && self.tokens.is_some()
    }
}

/// The service Bedrock's own (non-Marketplace) usage is billed under.
pub const BEDROCK_SERVICE: &str = "Amazon Bedrock";

/// AWS's billing region codes (the usage-type prefix), for the regions where
/// Bedrock serves Claude and their neighbours.
const REGION_CODES: &[(&str, &str)] = &[
    ("USE1", "us-east-1"),
    ("USE2", "us-east-2"),
    ("USW1", "us-west-1"),
    ("USW2", "us-west-2"),
    ("CAN1", "ca-central-1"),
    ("CAN2", "ca-west-1"),
    ("SAE1", "sa-east-1"),
    ("EUC1", "eu-central-1"),
    ("EUC2", "eu-central-2"),
    ("EU", "eu-west-1"),
    ("EUW1", "eu-west-1"),
    ("EUW2", "eu-west-2"),
    ("EUW3", "eu-west-3"),
    ("EUN1", "eu-north-1"),
    ("EUS1", "eu-south-1"),
    ("EUS2", "eu-south-2"),
    ("APN1", "ap-northeast-1"),
    ("APN2", "ap-northeast-2"),
    ("APN3", "ap-northeast-3"),
    ("APS1", "ap-southeast-1"),
    ("APS2", "ap-southeast-2"),
    ("APS3", "ap-south-1"),
    ("APS4", "ap-southeast-3"),
    ("APS5", "ap-south-2"),
    ("APS6", "ap-southeast-4"),
    ("APS7", "ap-southeast-5"),
    ("APE1", "ap-east-1"),
    ("MES1", "me-south-1"),
    ("MEC1", "me-central-1"),
    ("ILC1", "il-central-1"),
    ("AFS1", "af-south-1"),
    ("UGW1", "us-gov-west-1"),
    ("UGE1", "us-gov-east-1"),
];

/// Where the token part of a usage type starts (lower case); the model is
/// what comes before the earliest of these.
const TOKEN_PARTS: &[&str] = &[
    "-mantle-",
    "-input",
    "-output",
    "-cache",
    "_input",
    "_output",
    "_cache",
    "-inputtoken",
    "-outputtoken",
];

const TIERS: &[&str] = &["priority", "flex", "reserved", "latency-optimized"];

/// The billing prefix of a region (`us-east-1` → `USE1`).
pub fn code_of_region(region: &str) -> Option<&'static str> {
    REGION_CODES.iter().find(|(c, r)| *r == region && *c != "EU").map(|(c, _)| *c)
}

pub fn region_of_code(code: &str) -> Option<&'static str> {
    REGION_CODES.iter().find(|(c, _)| c.eq_ignore_ascii_case(code)).map(|(_, r)| *r)
}

/// Reads one usage type of `service`.
pub fn parse(service: &str, usage_type: &str) -> UsageType {
    let (region, body) = split_region(usage_type);
    let words = words_of(body);
    let tokens = tokens_of(&words);
    let endpoint = if words.contains("global") {
        BilledEndpoint::Global
    } else if words.contains("cross-region") {
        BilledEndpoint::Geographic
    } else {
        BilledEndpoint::InRegion
    };
    let tier = TIERS.iter().find(|t| words.contains(&format!("-{t}"))).map(|t| (*t).to_string());
    UsageType {
        region: region.map(str::to_string),
        model: model_of(service, body),
        tokens,
        endpoint,
        tier,
        mantle: words.contains("mantle"),
    }
}

/// `USE1-…`, `USE1_…` or `USE1-MP:USE1_…`: the region and the rest.
fn split_region(usage_type: &str) -> (Option<&'static str>, &str) {
    let cut = usage_type.find(['-', '_']).unwrap_or(usage_type.len());
    let Some(region) = region_of_code(&usage_type[..cut]) else { return (None, usage_type) };
    let mut rest = usage_type.get(cut + 1..).unwrap_or_default();
    if let Some(after) = rest.strip_prefix("MP:") {
        // The Marketplace form repeats the code: `MP:USE1_InputTokenCount`.
        let code = after.find(['-', '_']).map_or("", |i| &after[..i]);
        rest = if region_of_code(code) == Some(region) { &after[code.len() + 1..] } else { after };
        return (Some(region), rest.strip_prefix("MP:").unwrap_or(rest));
    }
    (Some(region), rest)
}

/// Lower-case, `_` as `-`, and CamelCase split (`CacheReadInputTokenCount`
/// → `cache-read-input-token-count`), with a leading `-` so every word can
/// be found as `-word`.
fn words_of(body: &str) -> String {
    let mut out = String::from("-");
    let mut previous_lower = false;
    for c in body.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            out.push('-');
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(if c == '_' { '-' } else { c.to_ascii_lowercase() });
    }
    out
}

fn tokens_of(words: &str) -> Option<BilledTokens> {
    // Cache before input: `cache-read-input-token-count` is a cache read.
    if words.contains("-cache-read") || words.contains("-cacheread") {
        return Some(BilledTokens::CacheRead);
    }
    if words.contains("-cache-write") || words.contains("-cachewrite") {
        let one_hour = if words.contains("-1h") {
            Some(true)
        } else if words.contains("-5m") {
            Some(false)
        } else {
            None
        };
        return Some(BilledTokens::CacheWrite { one_hour });
    }
    if words.contains("-output") {
        return Some(BilledTokens::Output);
    }
    if words.contains("-input") {
        return Some(BilledTokens::Input);
    }
    None
}

fn model_of(service: &str, body: &str) -> Option<String> {
    let lower = body.to_ascii_lowercase();
    let cut = TOKEN_PARTS.iter().filter_map(|p| lower.find(p)).min();
    let from_usage = cut.map(|i| body[..i].trim_matches(['-', '_'])).filter(|m| {
        // A Marketplace body starts at the token part (`InputTokenCount`).
        !m.is_empty() && !m.eq_ignore_ascii_case("mp")
    });
    if let Some(model) = from_usage {
        return Some(model.to_string());
    }
    let service = service.trim();
    (!service.is_empty() && service != BEDROCK_SERVICE).then(|| service.to_string())
}

#[cfg(test)]
#[path = "usage_type_tests.rs"]
mod tests;
