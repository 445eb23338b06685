//! Bedrock service tiers as the pricing core sees them: the `+tier` suffix of
//! a `ModelId` (`…+priority`, `…+flex`, `…+latency-optimized`, or a series the
//! collector wrote as `<ModelId>+<tier>`) and the `tier` field of a price
//! entry. Pure string work: no prices, no I/O.
//!
//! The standard tier has no suffix; `+default` (the API's name for it) and
//! `+standard` mean the same. Any other word is kept as written, so a tier
//! AWS adds later is priced only by an entry that names it, never silently at
//! the standard rate.

use std::fmt;

/// The tier that served a call, which decides which price entries may price it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceTier {
    #[default]
    Standard,
    Priority,
    Flex,
    /// Reserved capacity: billed per reserved tokens-per-minute per month.
    Reserved,
    LatencyOptimized,
    /// A tier word this build does not know, lowercased.
    Other(String),
}

impl ServiceTier {
    /// A tier word (a suffix without its `+`, or a table's `tier`), case-insensitive.
    pub fn parse(word: &str) -> Result<ServiceTier, String> {
        let w = word.trim().to_ascii_lowercase();
        if w.is_empty() {
            return Err("empty service tier".into());
        }
        if !w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(format!("`{word}` is not a service tier name (letters, digits, `-` and `_` only)"));
        }
        Ok(match w.as_str() {
            "standard" | "default" => ServiceTier::Standard,
            "priority" => ServiceTier::Priority,
            "flex" => ServiceTier::Flex,
            "reserved" => ServiceTier::Reserved,
            "latency-optimized" => ServiceTier::LatencyOptimized,
            _ => ServiceTier::Other(w),
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            ServiceTier::Standard => "standard",
            ServiceTier::Priority => "priority",
            ServiceTier::Flex => "flex",
            ServiceTier::Reserved => "reserved",
            ServiceTier::LatencyOptimized => "latency-optimized",
            ServiceTier::Other(w) => w,
        }
    }

    pub fn is_standard(&self) -> bool {
        *self == ServiceTier::Standard
    }

    /// What follows a model ID or an entry's scope: empty for standard, else `+word`.
    pub fn suffix(&self) -> String {
        if self.is_standard() {
            String::new()
        } else {
            format!("+{}", self.as_str())
        }
    }
}

impl fmt::Display for ServiceTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Splits `<id>+<tier>` at the last `+`. Bedrock IDs and ARNs never contain
/// `+`, so a second one means the text is not a model ID: refused rather than
/// letting a catalog pattern's trailing `*` swallow it.
pub fn split_tier(raw: &str) -> Result<(&str, ServiceTier), String> {
    let Some((id, word)) = raw.rsplit_once('+') else {
        return Ok((raw, ServiceTier::Standard));
    };
    if id.is_empty() {
        return Err("a service-tier suffix without a model ID".into());
    }
    if id.contains('+') {
        return Err(format!("`{raw}` has more than one `+` service-tier suffix"));
    }
    let tier = ServiceTier::parse(word).map_err(|e| format!("service-tier suffix of `{raw}`: {e}"))?;
    Ok((id, tier))
}

/// The series name for usage of `model_id` served in `tier`: the ID itself for
/// standard, `<ModelId>+<tier>` otherwise, which `split_tier` reads back.
pub fn tiered_model_id(model_id: &str, tier: &ServiceTier) -> String {
    format!("{model_id}{}", tier.suffix())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_words() {
        let other = |w: &str| ServiceTier::Other(w.into());
        let cases = [
            ("priority", Ok(ServiceTier::Priority)),
            ("PRIORITY", Ok(ServiceTier::Priority)),
            ("flex", Ok(ServiceTier::Flex)),
            ("reserved", Ok(ServiceTier::Reserved)),
            ("latency-optimized", Ok(ServiceTier::LatencyOptimized)),
            ("default", Ok(ServiceTier::Standard)),
            ("standard", Ok(ServiceTier::Standard)),
            ("turbo_2", Ok(other("turbo_2"))),
            ("", Err(())),
            ("prio rity", Err(())),
            ("a:b", Err(())),
        ];
        for (word, want) in cases {
            assert_eq!(ServiceTier::parse(word).map_err(|_| ()), want, "{word:?}");
        }
    }

    #[test]
    fn splits_at_the_last_plus_only() {
        let base = "anthropic.claude-3-5-sonnet-20241022-v2:0";
        let ok = |id: &str, t: ServiceTier| Ok::<_, ()>((id.to_string(), t));
        let cases = [
            (base.to_string(), ok(base, ServiceTier::Standard)),
            (format!("{base}+priority"), ok(base, ServiceTier::Priority)),
            (format!("{base}+default"), ok(base, ServiceTier::Standard)),
            (format!("us.{base}+flex"), ok(&format!("us.{base}"), ServiceTier::Flex)),
            ("+priority".to_string(), Err(())),
            (format!("{base}+"), Err(())),
            (format!("{base}+priority+flex"), Err(())),
        ];
        for (raw, want) in cases {
            let got = split_tier(&raw).map(|(id, t)| (id.to_string(), t)).map_err(|_| ());
            assert_eq!(got, want, "{raw}");
        }
    }

    #[test]
    fn tiered_ids_round_trip() {
        for tier in [ServiceTier::Standard, ServiceTier::Priority, ServiceTier::Other("x-1".into())] {
            let id = tiered_model_id("us.anthropic.claude-sonnet-4-6", &tier);
            assert_eq!(split_tier(&id).unwrap(), ("us.anthropic.claude-sonnet-4-6", tier));
        }
    }
}
