use super::*;

const MP_SONNET: &str = "Claude Sonnet 4.6 (Amazon Bedrock Edition)";

fn cw(one_hour: Option<bool>) -> Option<BilledTokens> {
    Some(BilledTokens::CacheWrite { one_hour })
}

/// (service, usage type, region, model, tokens, endpoint, tier, mantle)
type Case<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<BilledTokens>,
    BilledEndpoint,
    Option<&'a str>,
    bool,
);

#[test]
fn usage_types_as_bills_spell_them() {
    use BilledEndpoint::{Geographic, Global, InRegion};
    use BilledTokens::{CacheRead, Input, Output};
    #[rustfmt::skip]
    let cases: &[Case<'_>] = &[
        (BEDROCK_SERVICE, "USE1-Claude4.6Sonnet-input-tokens", Some("us-east-1"), Some("Claude4.6Sonnet"), Some(Input), InRegion, None, false),
        (BEDROCK_SERVICE, "USE1-Claude4.6Sonnet-cache-read-input-token-count", Some("us-east-1"), Some("Claude4.6Sonnet"), Some(CacheRead), InRegion, None, false),
        (BEDROCK_SERVICE, "USE1-Claude4.6Sonnet-cache-write-input-token-count", Some("us-east-1"), Some("Claude4.6Sonnet"), cw(None), InRegion, None, false),
        (BEDROCK_SERVICE, "USE1-Claude4.6Sonnet-cache-write-1h-input-token-count", Some("us-east-1"), Some("Claude4.6Sonnet"), cw(Some(true)), InRegion, None, false),
        (BEDROCK_SERVICE, "USE1-Claude4.6Sonnet-output-tokens-cross-region-global", Some("us-east-1"), Some("Claude4.6Sonnet"), Some(Output), Global, None, false),
        (BEDROCK_SERVICE, "EUC1-Claude4.5Haiku-output-tokens-cross-region", Some("eu-central-1"), Some("Claude4.5Haiku"), Some(Output), Geographic, None, false),
        (BEDROCK_SERVICE, "USE1-Claude4.6Sonnet-input-tokens-priority", Some("us-east-1"), Some("Claude4.6Sonnet"), Some(Input), InRegion, Some("priority"), false),
        (BEDROCK_SERVICE, "USW2-anthropic.claude-opus-4-8-mantle-cache-write-tokens-global-standard", Some("us-west-2"), Some("anthropic.claude-opus-4-8"), cw(None), Global, None, true),
        (BEDROCK_SERVICE, "USW2-anthropic.claude-opus-4-8-mantle-input-tokens-flex", Some("us-west-2"), Some("anthropic.claude-opus-4-8"), Some(Input), InRegion, Some("flex"), true),
        (MP_SONNET, "USE1-MP:USE1_InputTokenCount-Units", Some("us-east-1"), Some(MP_SONNET), Some(Input), InRegion, None, false),
        (MP_SONNET, "USE1-MP:USE1_CacheReadInputTokenCount-Units", Some("us-east-1"), Some(MP_SONNET), Some(CacheRead), InRegion, None, false),
        (MP_SONNET, "USE1-MP:USE1_CacheWriteInputTokenCount_Global-Units", Some("us-east-1"), Some(MP_SONNET), cw(None), Global, None, false),
        (MP_SONNET, "USE2_InputTokenCount_Global-Units", Some("us-east-2"), Some(MP_SONNET), Some(Input), Global, None, false),
        (MP_SONNET, "USW2-MP:USW2_input_tokens_global_standard-Units", Some("us-west-2"), Some(MP_SONNET), Some(Input), Global, None, false),
        (MP_SONNET, "USW2-MP:USW2_cache_write_tokens_standard-Units", Some("us-west-2"), Some(MP_SONNET), cw(None), InRegion, None, false),
        (BEDROCK_SERVICE, "EU-Claude3Haiku-output-tokens", Some("eu-west-1"), Some("Claude3Haiku"), Some(Output), InRegion, None, false),
        (BEDROCK_SERVICE, "UGW1-Claude4.5Sonnet-input-tokens", Some("us-gov-west-1"), Some("Claude4.5Sonnet"), Some(Input), InRegion, None, false),
        // What cannot be told stays unknown, never guessed.
        (BEDROCK_SERVICE, "USE1-ModelUnits-hours", Some("us-east-1"), None, None, InRegion, None, false),
        (BEDROCK_SERVICE, "XXX9-Claude4.6Sonnet-input-tokens", None, Some("XXX9-Claude4.6Sonnet"), Some(Input), InRegion, None, false),
        (BEDROCK_SERVICE, "USE1-MP:USE1_InputTokenCount-Units", Some("us-east-1"), None, Some(Input), InRegion, None, false),
        (BEDROCK_SERVICE, "", None, None, None, InRegion, None, false),
    ];
    for (service, usage_type, region, model, tokens, endpoint, tier, mantle) in cases {
        let got = parse(service, usage_type);
        let want = UsageType {
            region: region.map(str::to_string),
            model: model.map(str::to_string),
            tokens: *tokens,
            endpoint: *endpoint,
            tier: tier.map(str::to_string),
            mantle: *mantle,
        };
        assert_eq!(got, want, "{service} / {usage_type}");
    }
}

#[test]
fn only_a_line_with_region_model_and_bucket_is_mapped() {
    assert!(parse(BEDROCK_SERVICE, "USE1-Claude4.6Sonnet-input-tokens").is_mapped());
    assert!(!parse(BEDROCK_SERVICE, "USE1-MP:USE1_InputTokenCount-Units").is_mapped());
    assert!(!parse(BEDROCK_SERVICE, "USE1-ModelUnits-hours").is_mapped());
}

#[test]
fn labels_follow_the_metrics_contract() {
    assert_eq!(BilledTokens::CacheWrite { one_hour: Some(true) }.label(), "cache_write");
    assert_eq!(BilledTokens::CacheRead.label(), "cache_read");
}
